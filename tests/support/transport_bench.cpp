// lingopipe-transport-bench: lingopipe's HTTP transport alone, as a yardstick
// for the client CPU a run spends per request. Sends the given request bodies
// (one JSON body per line) to URL through llm::make_curl_transport with IN_FLIGHT
// requests outstanding, as the engine keeps them: each answer's replacement is
// started as soon as the answer is read. No planning, cache, checks or export.
// Prints the loop's wall and CPU time (getrusage, reading the file excluded).
//
//   lingopipe-transport-bench BODIES URL IN_FLIGHT
#include "llm/transport.hpp"

#include <sys/resource.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::vector<std::string> read_lines(const char* path) {
  std::ifstream in(path);
  if (!in) {
    fmt::print(stderr, "transport-bench: cannot read {}\n", path);
    std::exit(2);
  }
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(std::move(line));
  return lines;
}

llm::HttpRequest request_for(const std::string& url, const std::string& body) {
  llm::HttpRequest request;
  request.url = url;
  request.headers = {"Content-Type: application/json", "Authorization: Bearer unused"};
  request.body = body;
  return request;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    fmt::print(stderr, "usage: lingopipe-transport-bench BODIES URL IN_FLIGHT\n");
    return 2;
  }
  const std::vector<std::string> bodies = read_lines(argv[1]);
  const std::string url = argv[2];
  const size_t in_flight = std::strtoul(argv[3], nullptr, 10);

  auto transport = llm::make_curl_transport({static_cast<int>(in_flight)});
  const double cpu_start = cpu_seconds();
  const auto wall_start = std::chrono::steady_clock::now();
  size_t sent = 0, answered = 0, failed = 0;
  while (sent < bodies.size() && sent < in_flight) {
    transport->start(sent, request_for(url, bodies[sent]));
    ++sent;
  }
  while (answered < sent) {
    for (llm::Completion& done : transport->wait(std::chrono::milliseconds(100))) {
      ++answered;
      if (done.response.curl_code != 0 || done.response.status != 200) ++failed;
      if (sent < bodies.size()) {
        transport->start(sent, request_for(url, bodies[sent]));
        ++sent;
      }
    }
  }
  const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - wall_start;
  const double cpu = cpu_seconds() - cpu_start;
  fmt::print("{} requests, {} failed, wall {:.2f} s, CPU {:.2f} s ({:.3f} s / 1,000 requests)\n",
             answered, failed, wall.count(), cpu, cpu * 1000 / answered);
  return failed == 0 ? 0 : 1;
}
