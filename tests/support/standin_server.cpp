// lingopipe-standin: a stand-in OpenAI-compatible chat completions server on
// loopback. Its answers are NOT translations: it tags and echoes the text so a
// run can be exercised end to end without a model. It counts and logs every
// request and injects faults from a script, for the integration tests.
//
//   lingopipe-standin [--port N] [--port-file F] [--log F] [--faults F]
//                     [--latency-ms N] [--threads N]
//
// --faults: a JSON array of {"nth": K | "every": true, "status": S,
//   "headers": {...}, "body": "...", "content_type": "...", "delay_ms": N,
//   "truncate_at": BYTES (send only that much of the announced body, then close)}.
//   Request K (1-based, counting chat requests) gets that answer instead.
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

using nlohmann::json;

namespace {

struct Options {
  int port = 0;
  std::string port_file;
  std::string log_file;
  std::string faults_file;
  int latency_ms = 0;
  int threads = 64;
};

httplib::Server* g_server = nullptr;

void on_signal(int) {
  if (g_server) g_server->stop();
}

std::string first_sentence(const std::string& text) {
  std::string body = text;
  if (auto nl = body.find("\n\n"); nl != std::string::npos && nl < 120) {
    body = body.substr(nl + 2); // skip a heading line
  }
  size_t end = std::min(body.find(". "), body.find('\n'));
  if (end == std::string::npos || end > 240) end = std::min<size_t>(body.size(), 240);
  std::string out = body.substr(0, end);
  while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
  if (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0xC0) out.pop_back();
  return out;
}

std::string fake_translation(const std::string& text) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line)) {
    if (!out.empty()) out += "\n";
    if (!line.empty()) out += "[EN stand-in] " + line;
  }
  return out;
}

class StandIn {
public:
  explicit StandIn(const Options& o) : m_options(o) {
    if (!o.faults_file.empty()) {
      std::ifstream in(o.faults_file);
      m_faults = json::parse(in);
    }
    if (!o.log_file.empty()) {
      m_log.open(o.log_file, std::ios::app);
    }
  }

  void chat(const httplib::Request& req, httplib::Response& res) {
    const int n = ++m_count;
    json body = json::parse(req.body, nullptr, false);
    if (!m_options.log_file.empty()) log(n, body, req);
    if (m_options.latency_ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(m_options.latency_ms));
    }
    if (const json* fault = fault_for(n)) {
      apply(*fault, res);
      return;
    }
    if (body.is_discarded() || !body.contains("messages")) {
      res.status = 400;
      res.set_content(R"({"error":{"message":"invalid JSON body","type":"invalid_request_error"}})",
                      "application/json");
      return;
    }
    answer(body, res);
  }

  json stats() const { return {{"chat_requests", m_count.load()}}; }

private:
  const json* fault_for(int n) const {
    if (!m_faults.is_array()) return nullptr;
    for (const auto& f : m_faults) {
      if (f.value("every", false) || f.value("nth", 0) == n) return &f;
    }
    return nullptr;
  }

  static void apply(const json& f, httplib::Response& res) {
    if (int delay = f.value("delay_ms", 0); delay > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    }
    res.status = f.value("status", 500);
    if (f.contains("headers")) {
      for (const auto& [k, v] : f["headers"].items()) res.set_header(k, v.get<std::string>());
    }
    const std::string body = f.value("body", "");
    if (f.contains("truncate_at")) {
      // Announce the whole body, send only its start, then drop the connection.
      const size_t cut = std::min<size_t>(f["truncate_at"].get<size_t>(), body.size());
      res.set_content_provider(
        body.size(), f.value("content_type", "application/json"),
        [body, cut](size_t offset, size_t, httplib::DataSink& sink) {
          if (offset < cut) sink.write(body.data() + offset, cut - offset);
          return offset < cut; // false: abort, closing the connection
        });
      return;
    }
    res.set_content(body, f.value("content_type", "application/json"));
  }

  static void answer(const json& body, httplib::Response& res) {
    std::string all, user;
    for (const auto& m : body["messages"]) {
      std::string content = m.value("content", "");
      all += content;
      if (m.value("role", "") == "user") user = content;
    }
    const bool summary = all.find("ummar") != std::string::npos;
    std::string content = summary ? "[stand-in summary, not a real summary] " + first_sentence(user)
                                  : fake_translation(user);
    json out = {{"id", "chatcmpl-standin"},
                {"object", "chat.completion"},
                {"created", 0},
                {"model", body.value("model", "lingopipe-standin")},
                {"choices", {{{"index", 0},
                              {"message", {{"role", "assistant"}, {"content", content}}},
                              {"finish_reason", "stop"}}}},
                {"usage", {{"prompt_tokens", all.size() / 4},
                           {"completion_tokens", content.size() / 4},
                           {"total_tokens", (all.size() + content.size()) / 4}}}};
    res.set_header("x-request-id", "req-standin");
    res.set_content(out.dump(), "application/json");
  }

  void log(int n, const json& body, const httplib::Request& req) {
    const auto since_start = std::chrono::steady_clock::now() - m_started;
    json entry = {{"n", n},
                  {"ms", std::chrono::duration_cast<std::chrono::milliseconds>(since_start).count()},
                  {"authorization", req.has_header("Authorization")},
                  {"accept_encoding", req.get_header_value("Accept-Encoding")}};
    if (!body.is_discarded() && body.contains("messages")) {
      entry["model"] = body.value("model", "");
      entry["max_tokens"] = body.value("max_tokens", 0);
      entry["messages"] = body["messages"];
    }
    std::lock_guard lock(m_log_mutex);
    m_log << entry.dump() << "\n";
    m_log.flush();
  }

  Options m_options;
  json m_faults;
  std::atomic<int> m_count{0};
  std::chrono::steady_clock::time_point m_started = std::chrono::steady_clock::now();
  std::mutex m_log_mutex;
  std::ofstream m_log;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--port") o.port = std::stoi(value);
    else if (flag == "--port-file") o.port_file = value;
    else if (flag == "--log") o.log_file = value;
    else if (flag == "--faults") o.faults_file = value;
    else if (flag == "--latency-ms") o.latency_ms = std::stoi(value);
    else if (flag == "--threads") o.threads = std::stoi(value);
    else throw std::runtime_error("unknown flag " + flag);
  }
  return o;
}

} // namespace

int main(int argc, char** argv) {
  try {
    const Options o = parse(argc, argv);
    StandIn standin(o);
    httplib::Server server;
    server.new_task_queue = [threads = o.threads] { return new httplib::ThreadPool(threads); };
    // Keep connections open like a real API server; httplib's default closes
    // each one after 5 requests, which would measure reconnects, not the client.
    server.set_keep_alive_max_count(1000000);
    server.set_keep_alive_timeout(60);
    // httplib listens with a backlog of 5, so a client opening 64 connections
    // at once sees dropped SYNs and 1 s retransmits. Linux lets a second
    // listen() raise the backlog; the socket is captured for that.
    int listen_fd = -1;
    server.set_socket_options([&listen_fd](socket_t fd) {
      int yes = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
      listen_fd = fd;
    });
    server.Post("/v1/chat/completions", [&](const auto& req, auto& res) { standin.chat(req, res); });
    server.Post("/chat/completions", [&](const auto& req, auto& res) { standin.chat(req, res); });
    server.Get("/_stats", [&](const auto&, auto& res) {
      res.set_content(standin.stats().dump(), "application/json");
    });
    int port = o.port == 0 ? server.bind_to_any_port("127.0.0.1")
                           : (server.bind_to_port("127.0.0.1", o.port) ? o.port : -1);
    if (port <= 0) {
      std::cerr << "lingopipe-standin: cannot bind 127.0.0.1:" << o.port << "\n";
      return 1;
    }
    ::listen(listen_fd, 4096);
    if (!o.port_file.empty()) {
      std::ofstream(o.port_file + ".tmp") << port << "\n";
      std::rename((o.port_file + ".tmp").c_str(), o.port_file.c_str());
    }
    std::cout << "lingopipe-standin listening on http://127.0.0.1:" << port << "/v1" << std::endl;
    g_server = &server;
    std::signal(SIGTERM, on_signal);
    std::signal(SIGINT, on_signal);
    server.listen_after_bind();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "lingopipe-standin: " << e.what() << "\n";
    return 2;
  }
}
