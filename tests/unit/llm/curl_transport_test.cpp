// The curl transport against a loopback server: what each request carries on
// the wire, and when it leaves.
#include "llm/transport.hpp"

#include <httplib.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace {

using namespace std::chrono_literals;

struct Seen {
  std::string method;
  std::string body;
  std::string content_type;
  std::string marker; // the X-Marker header
  std::string parts;  // a multipart body's part names, in name order
  std::string file;   // a multipart body's "file" part
};

// Records every request it is sent and answers each with a small JSON body.
class RecordingServer {
public:
  RecordingServer() {
    auto record = [this](const httplib::Request& req, httplib::Response& res) {
      std::string parts;
      for (const auto& [name, part] : req.files) parts += (parts.empty() ? "" : ",") + name;
      const auto file = req.files.find("file");
      {
        std::lock_guard lock(m_mutex);
        m_seen.push_back({req.method, req.body, req.get_header_value("Content-Type"),
                          req.get_header_value("X-Marker"), parts,
                          file == req.files.end() ? std::string() : file->second.content});
      }
      res.set_content(R"({"ok":true})", "application/json");
    };
    m_server.Get("/echo", record);
    m_server.Post("/echo", record);
    m_port = m_server.bind_to_any_port("127.0.0.1"); // listening from here on
    m_thread = std::thread([this] { m_server.listen_after_bind(); });
  }
  ~RecordingServer() {
    m_server.stop();
    m_thread.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port) + "/echo"; }

  std::vector<Seen> seen() const {
    std::lock_guard lock(m_mutex);
    return m_seen;
  }

private:
  httplib::Server m_server;
  int m_port = 0;
  std::thread m_thread;
  mutable std::mutex m_mutex;
  std::vector<Seen> m_seen;
};

llm::HttpResponse exchange(llm::Transport& transport, llm::HttpRequest request) {
  transport.start(1, std::move(request));
  // Time-bound, not a count of waits: a wait returns early whenever libcurl
  // has a socket to serve (each piece of an upload read from its source).
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    for (auto& done : transport.wait(100ms)) {
      if (done.tag == 1 && !done.begun) return std::move(done.response); // others were started by the test itself
    }
  }
  ADD_FAILURE() << "no answer within 10 s";
  return {};
}

llm::HttpRequest post(const std::string& url, std::string body, std::string marker) {
  llm::HttpRequest r;
  r.url = url;
  r.body = std::move(body);
  r.headers = {"Content-Type: application/json", "X-Marker: " + marker};
  return r;
}

// One after another, so every request after the first is made on the
// handle (and connection) the one before used: nothing of an earlier
// request's method, body, form or headers may carry over.
TEST(CurlTransportTest, EachRequestCarriesOnlyItsOwnMethodBodyAndHeaders) {
  RecordingServer server;
  auto transport = llm::make_curl_transport({4});

  EXPECT_EQ(exchange(*transport, post(server.url(), R"({"n":1})", "first")).status, 200);
  llm::HttpRequest get;
  get.method = "GET";
  get.url = server.url();
  EXPECT_EQ(exchange(*transport, get).status, 200);
  llm::HttpRequest form;
  form.url = server.url();
  form.form = {{"purpose", "batch", "", "", {}}, {"file", "{}\n", "in.jsonl", "application/jsonl", {}}};
  EXPECT_EQ(exchange(*transport, form).status, 200);
  EXPECT_EQ(exchange(*transport, post(server.url(), R"({"n":2})", "second")).status, 200);

  const std::vector<Seen> seen = server.seen();
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].body, R"({"n":1})");
  EXPECT_EQ(seen[0].marker, "first");
  EXPECT_EQ(seen[1].method, "GET");
  EXPECT_EQ(seen[1].body, "");
  EXPECT_EQ(seen[1].marker, "");
  EXPECT_EQ(seen[2].method, "POST");
  EXPECT_TRUE(seen[2].content_type.starts_with("multipart/form-data; boundary=")) << seen[2].content_type;
  EXPECT_EQ(seen[2].parts, "file,purpose");
  EXPECT_EQ(seen[2].marker, "");
  EXPECT_EQ(seen[3].method, "POST");
  EXPECT_EQ(seen[3].body, R"({"n":2})");
  EXPECT_EQ(seen[3].content_type, "application/json");
  EXPECT_EQ(seen[3].parts, "");
  EXPECT_EQ(seen[3].marker, "second");
}

// A source handing out a few bytes per read: libcurl must ask until it has
// the whole size.
llm::DataSource trickle(std::string text, size_t step) {
  auto kept = std::make_shared<const std::string>(std::move(text));
  return {kept->size(), [kept, step](uint64_t offset, char* buffer, size_t max) {
            const size_t n = std::min({step, max, kept->size() - static_cast<size_t>(offset)});
            std::memcpy(buffer, kept->data() + offset, n);
            return n;
          }};
}

// A body or a form part read from a DataSource (a batch file kept on disk)
// arrives whole, byte for byte; a source that fails mid-way fails the
// transfer rather than sending a short body.
TEST(CurlTransportTest, BodiesAndFormPartsAreReadFromTheirSourcesAsTheyAreSent) {
  RecordingServer server;
  auto transport = llm::make_curl_transport({4});
  std::string big;
  for (int i = 0; big.size() < 300'000; ++i) big += "{\"line\":" + std::to_string(i) + "}\n";

  llm::HttpRequest body = post(server.url(), "", "source");
  body.body_source = trickle(big, 1000);
  EXPECT_EQ(exchange(*transport, body).status, 200);
  llm::HttpRequest form;
  form.url = server.url();
  form.form.push_back({"purpose", "batch", "", "", {}});
  form.form.push_back({"file", "", "in.jsonl", "application/jsonl", trickle(big, 7000)});
  EXPECT_EQ(exchange(*transport, form).status, 200);

  const std::vector<Seen> seen = server.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].body.size(), big.size());
  EXPECT_TRUE(seen[0].body == big);
  EXPECT_EQ(seen[0].marker, "source");
  EXPECT_EQ(seen[1].parts, "file,purpose");
  EXPECT_EQ(seen[1].file.size(), big.size());
  EXPECT_TRUE(seen[1].file == big);

  llm::HttpRequest broken = post(server.url(), "", "broken");
  broken.body_source = {big.size(), [&big](uint64_t offset, char* buffer, size_t max) -> size_t {
                          if (offset >= 100'000) return 0; // a read error
                          const size_t n = std::min<size_t>(max, 100'000 - offset);
                          std::memcpy(buffer, big.data() + offset, n);
                          return n;
                        }};
  const llm::HttpResponse failed = exchange(*transport, broken);
  EXPECT_NE(failed.curl_code, 0);
  EXPECT_EQ(failed.curl_error, "the data to send ended early");
  broken.body_source.read = [](uint64_t, char*, size_t) -> size_t {
    throw std::runtime_error("spill: cannot read back a temporary file: Input/output error");
  };
  EXPECT_EQ(exchange(*transport, broken).curl_error, "spill: cannot read back a temporary file: Input/output error");
  EXPECT_EQ(server.seen().size(), 2u) << "no request with a short body was handled";
}

// A body sink (a batch's result file on its way to disk) gets a 2xx body
// piece by piece, in order, and the response keeps none of it; an error
// answer's body stays in the response, for its message.
TEST(CurlTransportTest, ASuccessfulBodyGoesToTheSinkAnErrorBodyStaysInTheResponse) {
  httplib::Server server;
  std::string big;
  for (int i = 0; big.size() < 300'000; ++i) big += "{\"line\":" + std::to_string(i) + "}\n";
  server.Get("/file", [&big](const httplib::Request&, httplib::Response& res) { res.set_content(big, "application/jsonl"); });
  server.Get("/gone", [](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_content(R"({"error":{"message":"No such file"}})", "application/json");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread thread([&server] { server.listen_after_bind(); });
  auto transport = llm::make_curl_transport({4});
  const std::string base = "http://127.0.0.1:" + std::to_string(port);

  std::string sunk;
  bool in_order = true;
  llm::HttpRequest get;
  get.method = "GET";
  get.url = base + "/file";
  get.body_sink = [&](uint64_t offset, std::string_view piece) {
    in_order = in_order && offset == sunk.size();
    sunk += piece;
  };
  const llm::HttpResponse file = exchange(*transport, get);
  EXPECT_EQ(file.status, 200);
  EXPECT_TRUE(file.body.empty());
  EXPECT_TRUE(in_order);
  EXPECT_TRUE(sunk == big) << sunk.size() << " of " << big.size() << " bytes";

  // A sink that cannot take a piece (its disk is full) fails the transfer
  // with its own message, never throwing through libcurl.
  llm::HttpRequest full = get;
  full.body_sink = [](uint64_t offset, std::string_view) {
    if (offset > 0) throw std::runtime_error("spill: cannot write a temporary file: No space left on device");
  };
  const llm::HttpResponse refused = exchange(*transport, full);
  EXPECT_NE(refused.curl_code, 0);
  EXPECT_EQ(refused.curl_error, "spill: cannot write a temporary file: No space left on device");

  sunk.clear();
  get.url = base + "/gone";
  const llm::HttpResponse gone = exchange(*transport, get);
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(gone.body, R"({"error":{"message":"No such file"}})");
  EXPECT_EQ(sunk, "");
  transport.reset(); // its kept-alive connection would hold the server's stop
  server.stop();
  thread.join();
}

// A request started on an open connection is on the wire when start()
// returns, not after the engine's next wait: the engine starts an answer's
// replacement before it reads the next answer of the same wake-up.
TEST(CurlTransportTest, ARequestOnAnOpenConnectionLeavesWhenStarted) {
  RecordingServer server;
  auto transport = llm::make_curl_transport({4});
  ASSERT_EQ(exchange(*transport, post(server.url(), "{}", "opens the connection")).status, 200);

  transport->start(2, post(server.url(), "{}", "no wait"));
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (server.seen().size() < 2 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(5ms); // the transport is not waited on meanwhile
  }
  ASSERT_EQ(server.seen().size(), 2u);
  EXPECT_EQ(server.seen()[1].marker, "no wait");
  EXPECT_EQ(exchange(*transport, post(server.url(), "{}", "after")).status, 200); // still usable
}

// A request that asks hears that its 2xx answer began (status and headers
// in) before the answer ends: an engine's streamed probe proves the endpoint
// then. No news for a request that did not ask, nor for an error answer.
TEST(CurlTransportTest, AnAnswerThatBeginsIsReportedBeforeItEnds) {
  httplib::Server server;
  server.Post("/slow", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-Request-Id", "req-1");
    res.set_chunked_content_provider("text/event-stream", [](size_t, httplib::DataSink& sink) {
      std::this_thread::sleep_for(400ms); // the model at work: the headers are out
      sink.write("data: [DONE]\n\n", 14);
      sink.done();
      return true;
    });
  });
  server.Post("/refuse", [](const httplib::Request&, httplib::Response& res) {
    res.status = 403;
    res.set_content(R"({"error":{"message":"forbidden"}})", "application/json");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread thread([&server] { server.listen_after_bind(); });
  auto transport = llm::make_curl_transport({4});
  const std::string base = "http://127.0.0.1:" + std::to_string(port);

  struct Event {
    bool begun;
    long status;
    std::string request_id;
    std::chrono::milliseconds after;
  };
  auto events_of = [&](const std::string& path, bool report_begun) {
    llm::HttpRequest r = post(base + path, "{}", path);
    r.report_begun = report_begun;
    const auto t0 = std::chrono::steady_clock::now();
    transport->start(7, std::move(r));
    std::vector<Event> events;
    while (events.empty() || events.back().begun) {
      for (auto& done : transport->wait(50ms)) {
        events.push_back({done.begun, done.response.status, done.response.header("x-request-id"),
                          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)});
      }
      if (std::chrono::steady_clock::now() - t0 > 10s) break;
    }
    return events;
  };

  const auto slow = events_of("/slow", true);
  ASSERT_EQ(slow.size(), 2u);
  EXPECT_TRUE(slow[0].begun);
  EXPECT_EQ(slow[0].status, 200);
  EXPECT_EQ(slow[0].request_id, "req-1");
  EXPECT_LT(slow[0].after, 300ms);
  EXPECT_FALSE(slow[1].begun);
  EXPECT_EQ(slow[1].status, 200);
  EXPECT_GE(slow[1].after, 400ms);

  const auto unasked = events_of("/slow", false);
  ASSERT_EQ(unasked.size(), 1u);
  EXPECT_FALSE(unasked[0].begun);

  const auto refused = events_of("/refuse", true);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_FALSE(refused[0].begun);
  EXPECT_EQ(refused[0].status, 403);
  transport.reset(); // its kept-alive connection would hold the server's stop
  server.stop();
  thread.join();
}

} // namespace
