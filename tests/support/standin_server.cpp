// lingopipe-standin: a stand-in LLM server on loopback speaking OpenAI chat
// completions (/v1/chat/completions, Azure's deployment and v1 paths),
// Anthropic messages (/v1/messages) and Ollama's native chat (/api/chat). Its
// answers are NOT translations: it tags and echoes the text so a run can be
// exercised end to end without a model. It counts and logs every request
// (path, auth headers present, body) and injects faults from a script, for
// the integration tests.
//
//   lingopipe-standin [--port N] [--port-file F] [--log F] [--faults F]
//                     [--latency-ms N] [--threads N] [--rpm N] [--tpm N]
//                     [--compress yes|no] [--require-key K] [--llama-context-shift N]
//                     [--timing-log F]
//
// --latency-ms: each answer takes this long; a streamed one sends its status
//   and headers at once (a server takes the request before its model
//   writes) and its events after the latency.
//
// --timing-log: one line per chat request, "CONNECTION RECEIVED_US ANSWERED_US"
//   (the client's port; wall-clock microseconds when the handler got the
//   request and when the answer had been written), for scripts/bench.sh to
//   show how long the server took beyond --latency-ms and how long the client
//   took between an answer and the next request on that connection.
//
// --compress no: plain answers. By default answers are compressed when the
//   client accepts it (Brotli for libcurl, at a cost of ~1.5 ms of server CPU
//   each), which benchmarks would measure instead of the client.
//
// --rpm / --tpm: provider-style limits (continuously refilled buckets of a
//   minute's worth); every answer carries x-ratelimit-* headers and an
//   over-limit request gets 429 with retry-after at once.
//
// --faults: a JSON array of {"nth": K | "every": true, "status": S,
//   "headers": {...}, "body": "...", "content_type": "...", "delay_ms": N,
//   "truncate_at": BYTES (send only that much of the announced body, then close),
//   "stall_at": BYTES, "stall_ms": N (send that much, fall silent, then the rest),
//   "user_longer_than": BYTES (only requests whose user message is longer),
//   "stream": {"cut": true} | {"hold_open_ms": N} (shapes a streamed answer)}.
//
// Batch APIs: OpenAI's (/v1/files multipart upload, /v1/batches, file
//   content) and Anthropic's (/v1/messages/batches, its results). Each
//   request line is answered at creation through the same path as a live
//   request (so --faults "nth" counts lines too); a batch then reports
//   running statuses for "polls" status reads (default 3) and ends. Results
//   are written in reverse request order. --batch-faults: a JSON array of
//   {"nth": K | "every": true, "polls": N, "final": "completed" | "expired" |
//   "cancelled" | "failed", "answer_first": N (expired/cancelled: lines
//   answered before), "errors": [{"line": L, "code", "message"}] (failed;
//   without "line": a batch-wide error), "download_fails": N (the first N
//   downloads of its result files answer 503), "create_answer": {"status": S,
//   "created": true | false} (the Kth create call is answered S with a
//   gateway's HTML page, after creating the batch or without), "create_delay_ms":
//   N (the answer to the Kth create call, the batch created, comes N ms late)}.
//   GET /v1/batches and /v1/messages/batches list the batches, newest first,
//   a page of "limit" after "after" / "after_id". An input that breaks the rules
//   (duplicate custom_id, a method or url other than POST
//   /v1/chat/completions) fails validation with the line named, as OpenAI's does.
//
// --llama-context-shift N: OpenAI-dialect answers as llama-server's with
//   -c N --context-shift: each carries llama.cpp's timings, and a prompt over
//   N tokens is answered 200 from its last N/2 with "truncated": true (a
//   streamed answer carries only the timings, in its last chunk).
//   --llama-props yes: GET /props reports N as each slot's n_ctx; --llama-props
//   slots: /props reports no n_ctx, and GET /slots lists four slots of N.
//
// --require-key K: requests without K (as Bearer, x-api-key or api-key) get
//   401 invalid_api_key, whose message quotes the key sent, as OpenAI's does.
//   Request K (1-based, counting chat requests) gets that answer instead.
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

using nlohmann::json;

namespace {

struct Options {
  int port = 0;
  std::string port_file;
  std::string log_file;
  std::string timing_log_file;
  std::string faults_file;
  std::string batch_faults_file;
  std::string require_key;            // when set, requests without it get 401
  int latency_ms = 0;
  size_t llama_context = 0;           // --llama-context-shift; 0: not llama.cpp
  std::string llama_props;            // --llama-props yes | slots: where llama_context per slot is reported
  int threads = 512; // a kept-alive connection holds a thread: more than any test keeps open
  bool compress = true;               // answer compressed when the client accepts it
  double rpm = 0;                     // rate limits enforced like a provider; 0: none
  double tpm = 0;
};

// A provider-style limit: a bucket of `per_minute` refilled continuously.
struct Bucket {
  double per_minute = 0;
  double level = 0;
  std::chrono::steady_clock::time_point updated = std::chrono::steady_clock::now();

  void refill() {
    const auto now = std::chrono::steady_clock::now();
    level = std::min(per_minute,
                     level + std::chrono::duration<double>(now - updated).count() * per_minute / 60);
    updated = now;
  }
  double seconds_until(double amount) const { return (amount - level) * 60 / per_minute; }
  double seconds_to_full() const { return (per_minute - level) * 60 / per_minute; }
};

// Go-style duration, as providers send in x-ratelimit-reset-*: "12ms", "6.5s", "1m30s".
std::string go_duration(double seconds) {
  if (seconds < 1) return std::to_string(static_cast<int>(seconds * 1000)) + "ms";
  const int minutes = static_cast<int>(seconds / 60);
  char text[32];
  std::snprintf(text, sizeof text, "%.3gs", seconds - minutes * 60);
  return minutes > 0 ? std::to_string(minutes) + "m" + text : text;
}

int64_t wall_clock_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

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

enum class Dialect { openai, anthropic, ollama };

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
    if (!o.timing_log_file.empty()) {
      m_timing_log.open(o.timing_log_file, std::ios::app);
    }
    if (!o.batch_faults_file.empty()) {
      std::ifstream in(o.batch_faults_file);
      m_batch_faults = json::parse(in);
    }
    m_requests.per_minute = m_requests.level = o.rpm;
    m_tokens.per_minute = m_tokens.level = o.tpm;
  }

  // Every dialect is served by one path: the request is read into OpenAI's
  // shape (system message first, max_tokens), faults and limits apply alike,
  // and the answer is written in the dialect's own shape.
  void chat(const httplib::Request& req, httplib::Response& res, Dialect dialect = Dialect::openai) {
    t_received_us = wall_clock_us(); // httplib answers a request on the thread that handled it
    const int n = ++m_count;
    const json raw = json::parse(req.body, nullptr, false);
    json body = normalized(raw, dialect);
    if (!m_options.log_file.empty()) log(n, body, raw, req);
    if (!authorized(req, res)) return;
    const bool valid = !body.is_discarded() && body.contains("messages");
    const json* fault = fault_for(n, valid ? user_text(body).size() : 0);
    // A "stream" fault shapes a streamed answer (cut short, held open)
    // instead of replacing it.
    const json stream_fault = fault && fault->contains("stream") ? (*fault)["stream"] : json::object();
    if (fault && fault->contains("stream")) fault = nullptr;
    std::string content;
    if (!fault && valid) {
      content = answer_text(body);
      const int tokens = static_cast<int>((prompt_text(body).size() + content.size()) / 4);
      if (!admit(tokens, res)) { // a provider refuses at once, before any model time
        ++m_throttled;
        return;
      }
    }
    // A streamed answer's status and headers leave at once, as a server's do
    // once it has taken the request; its events come after the latency.
    const bool streamed = !fault && valid && raw.value("stream", false);
    if (m_options.latency_ms > 0 && !streamed) {
      std::this_thread::sleep_for(std::chrono::milliseconds(m_options.latency_ms));
    }
    if (fault) {
      apply(*fault, res);
    } else if (!valid) {
      res.status = 400;
      res.set_content(R"({"error":{"message":"invalid JSON body","type":"invalid_request_error"}})",
                      "application/json");
    } else if (streamed) {
      stream(body, content, dialect, stream_fault, m_options, res);
    } else {
      answer(body, std::move(content), m_options, dialect, raw, res);
    }
  }

  // --require-key: the key must come as Bearer, x-api-key or api-key.
  bool authorized(const httplib::Request& req, httplib::Response& res) const {
    const std::string& key = m_options.require_key;
    if (key.empty() || req.get_header_value("Authorization") == "Bearer " + key ||
        req.get_header_value("x-api-key") == key || req.get_header_value("api-key") == key) {
      return true;
    }
    res.status = 401;
    res.set_content(R"({"error":{"message":"Incorrect API key provided: )" +
                      req.get_header_value("Authorization").substr(std::min<size_t>(7, req.get_header_value("Authorization").size())) +
                      R"(","type":"invalid_request_error","code":"invalid_api_key"}})",
                    "application/json");
    return false;
  }

  // After the answer was written (httplib's logger): the chat request's timing line.
  void log_timing(const httplib::Request& req) {
    if (!m_timing_log.is_open() || t_received_us == 0) return;
    const int64_t answered = wall_clock_us();
    std::lock_guard lock(m_log_mutex);
    m_timing_log << req.remote_port << ' ' << std::exchange(t_received_us, 0) << ' ' << answered << '\n';
  }

  json stats() const {
    std::lock_guard lock(m_batch_mutex);
    return {{"chat_requests", m_count.load()}, {"throttled", m_throttled.load()},
            {"batches_created", m_batches.size()}, {"batch_lines", m_batch_lines}};
  }

  // POST /v1/files: multipart with purpose=batch and the JSONL file.
  void upload(const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    const std::string purpose = req.has_file("purpose") ? req.get_file_value("purpose").content : "";
    if (!req.has_file("file") || purpose != "batch") {
      invalid(res, "expected multipart/form-data with purpose=batch and a file");
      return;
    }
    const auto file = req.get_file_value("file");
    std::lock_guard lock(m_batch_mutex);
    const std::string id = "file-in-" + std::to_string(m_files.size() + 1);
    m_files[id] = file.content;
    log_control(req, {{"purpose", purpose}, {"filename", file.filename},
                      {"content_type", req.get_header_value("Content-Type")}, {"file", file.content}});
    res.set_content(json{{"id", id}, {"object", "file"}, {"purpose", "batch"}, {"filename", file.filename},
                         {"bytes", file.content.size()}}.dump(), "application/json");
  }

  // POST /v1/batches and /v1/messages/batches: every line is answered now;
  // status reads show it running for a while.
  void create_batch(const httplib::Request& req, httplib::Response& res, Dialect dialect) {
    if (!authorized(req, res)) return;
    const json body = json::parse(req.body, nullptr, false);
    std::vector<json> lines;
    if (dialect == Dialect::anthropic) {
      if (!body.is_object() || !body.value("requests", json()).is_array()) {
        invalid(res, "requests: expected an array");
        return;
      }
      for (const auto& r : body["requests"]) lines.push_back(r);
    } else {
      std::lock_guard lock(m_batch_mutex);
      const std::string file_id = body.is_object() ? body.value("input_file_id", "") : "";
      if (!m_files.contains(file_id) || body.value("completion_window", "") != "24h" ||
          body.value("endpoint", "") != "/v1/chat/completions") {
        invalid(res, "input_file_id, endpoint /v1/chat/completions and completion_window 24h are required");
        return;
      }
      std::istringstream in(m_files[file_id]);
      for (std::string line; std::getline(in, line);) {
        if (!line.empty()) lines.push_back(json::parse(line, nullptr, false));
      }
    }
    Batch batch;
    batch.dialect = dialect;
    json create_fault;
    {
      std::lock_guard lock(m_batch_mutex);
      create_fault = batch_fault(++m_create_calls);
      const json answer = create_fault.value("create_answer", json::object());
      if (!answer.value("created", true)) {
        log_control(req, {{"created", false}});
        gateway_page(res, answer.value("status", 502));
        return;
      }
      batch.id = (dialect == Dialect::anthropic ? "msgbatch_" : "batch_") + std::to_string(m_batches.size() + 1);
      batch.fault = batch_fault(static_cast<int>(m_batches.size()) + 1);
      m_batch_lines += lines.size();
    }
    batch.host = req.get_header_value("Host");
    batch.created_at = std::time(nullptr);
    if (dialect == Dialect::openai) batch.input_file_id = body.value("input_file_id", "");
    if (dialect == Dialect::openai) validate(lines, batch);
    if (batch.errors.empty()) answer_lines(req, lines, batch);
    json status;
    {
      std::lock_guard lock(m_batch_mutex);
      status = batch_status(batch);
      m_batch_order.push_back(batch.id);
      log_control(req, {{"batch", batch.id}, {"lines", lines}}); // once it can be read and listed
      m_batches[batch.id] = std::move(batch);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(create_fault.value("create_delay_ms", 0)));
    if (const json answer = create_fault.value("create_answer", json()); answer.is_object()) {
      gateway_page(res, answer.value("status", 502));
      return;
    }
    res.set_content(status.dump(), "application/json");
  }

  // GET /v1/batches?limit=N&after=ID and /v1/messages/batches?limit=N&after_id=ID.
  void list_batches(const httplib::Request& req, httplib::Response& res, Dialect dialect) {
    if (!authorized(req, res)) return;
    std::lock_guard lock(m_batch_mutex);
    log_control(req, {{"list", true}});
    const std::string after = req.get_param_value(dialect == Dialect::anthropic ? "after_id" : "after");
    const size_t limit = req.has_param("limit") ? std::stoul(req.get_param_value("limit")) : 20;
    json data = json::array();
    bool skipping = !after.empty(), more = false;
    for (auto it = m_batch_order.rbegin(); it != m_batch_order.rend(); ++it) {
      Batch& b = m_batches[*it];
      if (b.dialect != dialect) continue;
      if (skipping) {
        skipping = b.id != after;
        continue;
      }
      if (data.size() == limit) {
        more = true;
        break;
      }
      data.push_back(batch_status(b));
    }
    json out = {{"data", data}, {"has_more", more}};
    out["first_id"] = data.empty() ? json(nullptr) : data.front()["id"];
    out["last_id"] = data.empty() ? json(nullptr) : data.back()["id"];
    if (dialect == Dialect::openai) out["object"] = "list";
    res.set_content(out.dump(), "application/json");
  }

  void batch_status(const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    std::lock_guard lock(m_batch_mutex);
    auto it = m_batches.find(req.matches[1]);
    if (it == m_batches.end()) {
      res.status = 404;
      res.set_content(R"({"error":{"message":"No batch found","type":"invalid_request_error","code":"not_found"}})",
                      "application/json");
      return;
    }
    ++it->second.polls;
    log_control(req, {{"batch", it->first}});
    res.set_content(batch_status(it->second).dump(), "application/json");
  }

  // GET /v1/files/{id}/content and /v1/messages/batches/{id}/results.
  void batch_file(const httplib::Request& req, httplib::Response& res, const std::string& suffix = "") {
    if (!authorized(req, res)) return;
    std::lock_guard lock(m_batch_mutex);
    log_control(req, {});
    const std::string file_id = req.matches[1].str() + suffix;
    if (Batch* batch = batch_of_file(file_id); batch && ++batch->downloads <= batch->fault.value("download_fails", 0)) {
      res.status = 503;
      res.set_content(R"({"error":{"message":"The server is overloaded","type":"server_error"}})", "application/json");
      return;
    }
    auto it = m_files.find(file_id);
    if (it == m_files.end()) {
      res.status = 404;
      res.set_content(R"({"error":{"message":"No such file","type":"invalid_request_error"}})", "application/json");
      return;
    }
    res.set_content(it->second, "application/binary");
  }

private:
  struct Batch {
    std::string id;
    Dialect dialect = Dialect::openai;
    std::string host;
    json fault = json::object();
    int polls = 0;
    int total = 0;
    std::vector<json> errors;         // validation errors: the batch fails
    std::vector<json> answered;       // result lines, in request order
    std::vector<json> failed;         // OpenAI's error-file lines
    std::vector<std::string> unanswered; // custom_ids the batch did not get to
    int downloads = 0;                // of its result files, for "download_fails"
    std::string input_file_id;        // OpenAI
    std::time_t created_at = 0;
  };

  static void gateway_page(httplib::Response& res, int status) {
    res.status = status;
    res.set_content("<html><head><title>" + std::to_string(status) + " Bad Gateway</title></head><body>"
                    "<center><h1>" + std::to_string(status) + " Bad Gateway</h1></center></body></html>",
                    "text/html");
  }

  static void invalid(httplib::Response& res, const std::string& message) {
    res.status = 400;
    res.set_content(json{{"error", {{"message", message}, {"type", "invalid_request_error"}}}}.dump(),
                    "application/json");
  }

  // Result files are named after their batch: "<batch>-output", "-errors", "-results".
  Batch* batch_of_file(const std::string& file_id) {
    const auto dash = file_id.rfind('-');
    auto it = dash == std::string::npos ? m_batches.end() : m_batches.find(file_id.substr(0, dash));
    return it == m_batches.end() ? nullptr : &it->second;
  }

  json batch_fault(int n) const {
    for (const auto& f : m_batch_faults) {
      if (f.value("every", false) || f.value("nth", 0) == n) return f;
    }
    return json::object();
  }

  // OpenAI's input validation: each line names its error.
  void validate(const std::vector<json>& lines, Batch& batch) const {
    std::set<std::string> seen;
    for (size_t i = 0; i < lines.size(); ++i) {
      const json& l = lines[i];
      std::string problem;
      if (!l.is_object() || !l.value("body", json()).is_object()) problem = "line is not a request object";
      else if (!seen.insert(l.value("custom_id", "")).second) problem = "duplicate custom_id";
      else if (l.value("method", "") != "POST") problem = "method must be POST";
      else if (l.value("url", "") != "/v1/chat/completions") problem = "url must be /v1/chat/completions";
      if (!problem.empty()) {
        batch.errors.push_back({{"code", "invalid_request"}, {"message", problem}, {"line", i + 1}});
      }
    }
    for (const auto& e : batch.fault.value("errors", json::array())) batch.errors.push_back(e);
  }

  // Each line through the live path; "answer_first" leaves the rest unanswered.
  void answer_lines(const httplib::Request& req, const std::vector<json>& lines, Batch& batch) {
    const Dialect dialect = batch.dialect;
    const size_t first = batch.fault.value("answer_first", lines.size());
    batch.total = static_cast<int>(lines.size());
    for (size_t i = 0; i < lines.size(); ++i) {
      const std::string custom_id = lines[i].value("custom_id", "");
      if (i >= first) {
        batch.unanswered.push_back(custom_id);
        continue;
      }
      httplib::Request line_req;
      line_req.headers = req.headers;
      line_req.path = dialect == Dialect::anthropic ? "/v1/messages" : lines[i].value("url", "");
      line_req.set_header("X-Standin-Batch", batch.id);
      line_req.body = lines[i].value(dialect == Dialect::anthropic ? "params" : "body", json()).dump();
      httplib::Response line_res;
      chat(line_req, line_res, dialect);
      if (line_res.status == -1) line_res.status = 200; // httplib's "not set": 200 when written
      const json answer = json::parse(line_res.body, nullptr, false);
      if (dialect == Dialect::anthropic) {
        json result = line_res.status == 200 ? json{{"type", "succeeded"}, {"message", answer}}
                                             : json{{"type", "errored"}, {"error", answer}};
        batch.answered.push_back({{"custom_id", custom_id}, {"result", result}});
        continue;
      }
      json out = {{"id", "batch_req_" + std::to_string(i + 1)}, {"custom_id", custom_id},
                  {"response", {{"status_code", line_res.status}, {"request_id", "req_b" + std::to_string(i + 1)},
                                {"body", answer.is_discarded() ? json(line_res.body) : answer}}},
                  {"error", nullptr}};
      (line_res.status == 200 ? batch.answered : batch.failed).push_back(out);
    }
  }

  // Running for "polls" reads, then the final status; result files are
  // written when it ends, in reverse request order.
  json batch_status(Batch& b) {
    const int polls = b.fault.value("polls", 3);
    const std::string final_status = !b.errors.empty() ? "failed" : b.fault.value("final", std::string("completed"));
    const bool ended = b.polls > polls;
    if (b.dialect == Dialect::anthropic) {
      json counts = {{"processing", ended ? 0 : b.total}, {"succeeded", 0}, {"errored", 0}, {"canceled", 0}, {"expired", 0}};
      char created[32];
      std::tm utc{};
      gmtime_r(&b.created_at, &utc);
      std::strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &utc);
      json out = {{"id", b.id}, {"type", "message_batch"}, {"created_at", created},
                  {"processing_status", ended ? "ended" : (b.polls == polls && final_status == "cancelled" ? "canceling" : "in_progress")},
                  {"request_counts", counts}, {"results_url", nullptr}};
      if (ended) {
        const std::string file = b.id + "-results";
        if (!m_files.contains(file)) {
          std::string jsonl;
          const std::string lost = final_status == "cancelled" ? "canceled" : "expired";
          for (const auto& c : b.unanswered) jsonl += json{{"custom_id", c}, {"result", {{"type", lost}}}}.dump() + "\n";
          for (auto it = b.answered.rbegin(); it != b.answered.rend(); ++it) jsonl += it->dump() + "\n";
          m_files[file] = jsonl;
        }
        out["results_url"] = "http://" + b.host + "/v1/messages/batches/" + b.id + "/results";
        out["request_counts"]["succeeded"] = b.answered.size();
        out["request_counts"][final_status == "cancelled" ? "canceled" : "expired"] = b.unanswered.size();
      }
      return out;
    }
    static const char* k_running[] = {"validating", "in_progress", "finalizing"};
    std::string status = ended ? final_status : k_running[std::clamp(b.polls - 1, 0, 2)];
    if (!ended && b.polls == polls && final_status == "cancelled") status = "cancelling";
    json out = {{"id", b.id}, {"object", "batch"}, {"endpoint", "/v1/chat/completions"},
                {"input_file_id", b.input_file_id}, {"created_at", b.created_at},
                {"completion_window", "24h"}, {"status", status}, {"output_file_id", nullptr},
                {"error_file_id", nullptr}, {"errors", nullptr},
                {"request_counts", {{"total", b.total}, {"completed", ended ? b.answered.size() : 0},
                                    {"failed", ended ? b.failed.size() : 0}}}};
    if (!ended) return out;
    if (final_status == "failed") {
      out["errors"] = {{"object", "list"}, {"data", b.errors}};
      return out;
    }
    auto write = [&](const std::string& id, const std::vector<json>& lines, const std::string& extra) {
      std::string jsonl = extra;
      for (auto it = lines.rbegin(); it != lines.rend(); ++it) jsonl += it->dump() + "\n";
      if (!jsonl.empty()) m_files.try_emplace(id, jsonl);
      return jsonl.empty() ? json(nullptr) : json(id);
    };
    std::string expired; // OpenAI lists requests an expired batch did not reach in the error file
    if (final_status == "expired") {
      for (const auto& c : b.unanswered) {
        expired += json{{"id", nullptr}, {"custom_id", c}, {"response", nullptr},
                        {"error", {{"code", "batch_expired"}, {"message", "This request could not be executed before the completion window expired."}}}}.dump() + "\n";
      }
    }
    out["output_file_id"] = write(b.id + "-output", b.answered, "");
    out["error_file_id"] = write(b.id + "-errors", b.failed, expired);
    return out;
  }

  void log_control(const httplib::Request& req, json fields) {
    if (m_options.log_file.empty()) return;
    fields["path"] = req.path;
    fields["method"] = req.method;
    fields["batch_api"] = true;
    fields["authorization"] = req.has_header("Authorization");
    fields["x_api_key"] = req.has_header("x-api-key");
    std::lock_guard lock(m_log_mutex);
    m_log << fields.dump() << "\n";
    m_log.flush();
  }

  // A fault applies to the nth request, or to every one; "user_longer_than"
  // narrows either to requests whose user message is longer (bytes), like a
  // server with a small context window.
  const json* fault_for(int n, size_t user_bytes) const {
    if (!m_faults.is_array()) return nullptr;
    for (const auto& f : m_faults) {
      const bool selected = f.value("every", false) || f.value("nth", 0) == n;
      if (selected && user_bytes > f.value("user_longer_than", size_t{0})) return &f;
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
    if (f.contains("stall_at")) {
      // Send the start of the body, then nothing for stall_ms, then the rest.
      const size_t cut = std::min<size_t>(f["stall_at"].get<size_t>(), body.size());
      const int stall_ms = f.value("stall_ms", 0);
      res.set_content_provider(
        body.size(), f.value("content_type", "application/json"),
        [body, cut, stall_ms](size_t offset, size_t, httplib::DataSink& sink) {
          if (offset < cut) {
            sink.write(body.data(), cut);
          } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(stall_ms));
            sink.write(body.data() + offset, body.size() - offset);
          }
          return true;
        });
      return;
    }
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

  // Charges the buckets, or answers 429 like a provider; sets the headers.
  bool admit(int tokens, httplib::Response& res) {
    if (m_options.rpm <= 0 && m_options.tpm <= 0) return true;
    std::lock_guard lock(m_limit_mutex);
    m_requests.refill();
    m_tokens.refill();
    const bool ok = (m_options.rpm <= 0 || m_requests.level >= 1) &&
                    (m_options.tpm <= 0 || m_tokens.level >= tokens);
    if (ok) {
      if (m_options.rpm > 0) m_requests.level -= 1;
      if (m_options.tpm > 0) m_tokens.level -= tokens;
    }
    auto headers = [&](const Bucket& b, const std::string& kind) {
      res.set_header("x-ratelimit-limit-" + kind, std::to_string(static_cast<long>(b.per_minute)));
      res.set_header("x-ratelimit-remaining-" + kind,
                     std::to_string(static_cast<long>(std::max(0.0, b.level))));
      res.set_header("x-ratelimit-reset-" + kind, go_duration(b.seconds_to_full()));
    };
    if (m_options.rpm > 0) headers(m_requests, "requests");
    if (m_options.tpm > 0) headers(m_tokens, "tokens");
    if (!ok) {
      double wait = std::max(m_options.rpm > 0 ? m_requests.seconds_until(1) : 0,
                             m_options.tpm > 0 ? m_tokens.seconds_until(tokens) : 0);
      res.status = 429;
      res.set_header("retry-after", std::to_string(static_cast<int>(std::ceil(wait))));
      res.set_content(R"({"error":{"message":"Rate limit reached","type":"tokens","code":"rate_limit_exceeded"}})",
                      "application/json");
    }
    return ok;
  }

  static std::string prompt_text(const json& body) {
    std::string all;
    for (const auto& m : body["messages"]) all += m.value("content", "");
    return all;
  }

  // The first user message: the text to work on. A repair request appends
  // the first answer and an instruction; a model translates the text again.
  static std::string user_text(const json& body) {
    for (const auto& m : body["messages"]) {
      if (m.value("role", "") == "user") return m.value("content", "");
    }
    return {};
  }

  static std::string answer_text(const json& body) {
    const std::string user = user_text(body);
    const bool summary = prompt_text(body).find("ummar") != std::string::npos;
    return summary ? "[stand-in summary, not a real summary] " + first_sentence(user)
                   : fake_translation(user);
  }

  static void answer(const json& body, std::string content, const Options& options, Dialect dialect,
                     const json& raw, httplib::Response& res) {
    const bool compress = options.compress;
    const std::string all = prompt_text(body);
    const size_t prompt_tokens = all.size() / 4;
    const size_t completion_tokens = content.size() / 4;
    json out;
    if (dialect == Dialect::anthropic) {
      out = {{"id", "msg_standin"},
             {"type", "message"},
             {"role", "assistant"},
             {"model", body.value("model", "lingopipe-standin")},
             {"content", {{{"type", "text"}, {"text", content}}}},
             {"stop_reason", "end_turn"},
             {"stop_sequence", nullptr},
             {"usage", {{"input_tokens", prompt_tokens}, {"output_tokens", completion_tokens}}}};
      res.set_header("request-id", "req_standin");
    } else if (dialect == Dialect::ollama) {
      // Like Ollama, a prompt over options.num_ctx is cut (to about half the
      // window) without an error; only prompt_eval_count tells.
      const size_t num_ctx = raw.contains("options") ? raw["options"].value("num_ctx", size_t{2048}) : 2048;
      out = {{"model", body.value("model", "lingopipe-standin")},
             {"created_at", "2026-01-01T00:00:00Z"},
             {"message", {{"role", "assistant"}, {"content", content}}},
             {"done", true},
             {"done_reason", "stop"},
             {"prompt_eval_count", prompt_tokens > num_ctx ? num_ctx / 2 : prompt_tokens},
             {"eval_count", completion_tokens}};
    } else {
      out = {{"id", "chatcmpl-standin"},
             {"object", "chat.completion"},
             {"created", 0},
             {"model", body.value("model", "lingopipe-standin")},
             {"choices", {{{"index", 0},
                           {"message", {{"role", "assistant"}, {"content", content}}},
                           {"finish_reason", "stop"}}}},
             {"usage", {{"prompt_tokens", prompt_tokens},
                        {"completion_tokens", completion_tokens},
                        {"total_tokens", prompt_tokens + completion_tokens}}}};
      if (options.llama_context > 0) out.update(llama_cpp_report(options.llama_context, prompt_tokens));
      res.set_header("x-request-id", "req-standin");
    }
    // httplib compresses application/json when the client accepts it (Brotli
    // for libcurl); with a charset parameter it does not.
    res.set_content(out.dump(), compress ? "application/json" : "application/json; charset=utf-8");
  }

  // A streamed answer in the dialect's framing: SSE with a keep-alive
  // comment and the text in three deltas, each event written in two pieces
  // split mid-way (inside "data:" or a UTF-8 character); or Ollama's NDJSON.
  // fault {"cut": true} stops before the terminator; {"hold_open_ms": N}
  // keeps the connection open after it.
  // llama-server with --context-shift: a prompt over n_ctx tokens is read
  // from its last n_ctx / 2, and the answer says so.
  static json llama_cpp_report(size_t n_ctx, size_t prompt_tokens) {
    const bool cut = prompt_tokens > n_ctx;
    return {{"truncated", cut}, {"timings", {{"prompt_n", cut ? n_ctx / 2 : prompt_tokens}, {"cache_n", 0}}}};
  }

  static void stream(const json& body, const std::string& content, Dialect dialect,
                     const json& fault, const Options& options, httplib::Response& res) {
    const size_t llama_context = options.llama_context;
    const std::string model = body.value("model", "lingopipe-standin");
    const size_t prompt_tokens = prompt_text(body).size() / 4, completion_tokens = content.size() / 4;
    // Thirds of the text, cut between characters (each delta is valid JSON);
    // the frames themselves are then split anywhere, mid-character included.
    auto boundary = [&](size_t at) {
      while (at < content.size() && (static_cast<unsigned char>(content[at]) & 0xC0) == 0x80) ++at;
      return at;
    };
    const size_t a = boundary(content.size() / 3), b = boundary(2 * content.size() / 3);
    std::vector<std::string> pieces = {content.substr(0, a), content.substr(a, b - a), content.substr(b)};
    std::vector<std::string> frames;
    std::string terminator;
    auto sse = [&](const std::string& event, const json& data) {
      frames.push_back((event.empty() ? "" : "event: " + event + "\n") + "data: " + data.dump() + "\n\n");
    };
    if (dialect == Dialect::ollama) {
      for (const auto& p : pieces) {
        frames.push_back(json{{"model", model}, {"message", {{"role", "assistant"}, {"content", p}}}, {"done", false}}.dump() + "\n");
      }
      terminator = json{{"model", model}, {"message", {{"role", "assistant"}, {"content", ""}}}, {"done", true},
                        {"done_reason", "stop"}, {"prompt_eval_count", prompt_tokens}, {"eval_count", completion_tokens}}.dump() + "\n";
    } else if (dialect == Dialect::anthropic) {
      sse("message_start", {{"type", "message_start"}, {"message", {{"model", model}, {"usage", {{"input_tokens", prompt_tokens}}}}}});
      sse("ping", {{"type", "ping"}});
      for (const auto& p : pieces) {
        sse("content_block_delta", {{"type", "content_block_delta"}, {"index", 0}, {"delta", {{"type", "text_delta"}, {"text", p}}}});
      }
      sse("message_delta", {{"type", "message_delta"}, {"delta", {{"stop_reason", "end_turn"}}}, {"usage", {{"output_tokens", completion_tokens}}}});
      terminator = "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    } else {
      frames.push_back(": keep-alive\n\n");
      for (const auto& p : pieces) {
        sse("", {{"model", model}, {"choices", {{{"index", 0}, {"delta", {{"content", p}}}, {"finish_reason", nullptr}}}}});
      }
      json last = {{"model", model}, {"choices", {{{"index", 0}, {"delta", json::object()}, {"finish_reason", "stop"}}}}};
      // As llama-server streams: its timings beside the last choice, no "truncated".
      if (llama_context > 0) last["timings"] = llama_cpp_report(llama_context, prompt_tokens)["timings"];
      sse("", last);
      sse("", {{"model", model}, {"choices", json::array()},
               {"usage", {{"prompt_tokens", prompt_tokens}, {"completion_tokens", completion_tokens}}}});
      terminator = "data: [DONE]\n\n";
    }
    if (!fault.value("cut", false)) frames.push_back(terminator);
    const int hold_ms = fault.value("hold_open_ms", 0);
    res.set_chunked_content_provider(
      dialect == Dialect::ollama ? "application/x-ndjson" : "text/event-stream",
      [frames, hold_ms, latency_ms = options.latency_ms](size_t, httplib::DataSink& sink) {
        std::this_thread::sleep_for(std::chrono::milliseconds(latency_ms)); // the headers are out
        for (const auto& f : frames) {
          const size_t half = f.size() / 2; // split anywhere, as networks do
          sink.write(f.data(), half);
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          sink.write(f.data() + half, f.size() - half);
        }
        if (hold_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
        sink.done(); // a clean end: with "cut", one that lacks the terminator
        return true;
      });
  }

  // Anthropic's top-level system and Ollama's options.num_predict, read into
  // OpenAI's shape.
  static json normalized(const json& raw, Dialect dialect) {
    if (raw.is_discarded() || !raw.is_object() || dialect == Dialect::openai) return raw;
    json body = raw;
    if (dialect == Dialect::anthropic && raw.contains("system")) {
      json messages = json::array({{{"role", "system"}, {"content", raw["system"]}}});
      for (const auto& m : raw.value("messages", json::array())) messages.push_back(m);
      body["messages"] = messages;
    }
    if (dialect == Dialect::ollama && raw.contains("options")) {
      body["max_tokens"] = raw["options"].value("num_predict", 0);
    }
    return body;
  }

  void log(int n, const json& body, const json& raw, const httplib::Request& req) {
    const auto since_start = std::chrono::steady_clock::now() - m_started;
    json entry = {{"n", n},
                  {"ms", std::chrono::duration_cast<std::chrono::milliseconds>(since_start).count()},
                  {"path", req.path},
                  {"api_version", req.get_param_value("api-version")},
                  {"authorization", req.has_header("Authorization")},
                  {"x_api_key", req.has_header("x-api-key")},
                  {"api_key_header", req.has_header("api-key")},
                  {"anthropic_version", req.get_header_value("anthropic-version")},
                  {"accept_encoding", req.get_header_value("Accept-Encoding")},
                  {"batch", req.get_header_value("X-Standin-Batch")},
                  {"body", raw.is_discarded() ? json(nullptr) : raw}};
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
  json m_batch_faults = json::array();
  mutable std::mutex m_batch_mutex;
  std::map<std::string, std::string> m_files;  // uploaded inputs and result files
  std::map<std::string, Batch> m_batches;
  std::vector<std::string> m_batch_order; // ids, oldest first
  int m_create_calls = 0;
  size_t m_batch_lines = 0;
  std::atomic<int> m_count{0};
  std::atomic<int> m_throttled{0};
  std::mutex m_limit_mutex;
  Bucket m_requests;
  Bucket m_tokens;
  std::chrono::steady_clock::time_point m_started = std::chrono::steady_clock::now();
  std::mutex m_log_mutex;
  std::ofstream m_log;
  std::ofstream m_timing_log; // flushed when the server stops
  static thread_local int64_t t_received_us;
};

thread_local int64_t StandIn::t_received_us = 0;

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--port") o.port = std::stoi(value);
    else if (flag == "--port-file") o.port_file = value;
    else if (flag == "--log") o.log_file = value;
    else if (flag == "--timing-log") o.timing_log_file = value;
    else if (flag == "--faults") o.faults_file = value;
    else if (flag == "--batch-faults") o.batch_faults_file = value;
    else if (flag == "--latency-ms") o.latency_ms = std::stoi(value);
    else if (flag == "--llama-context-shift") o.llama_context = std::stoul(value);
    else if (flag == "--llama-props") o.llama_props = value;
    else if (flag == "--threads") o.threads = std::stoi(value);
    else if (flag == "--rpm") o.rpm = std::stod(value);
    else if (flag == "--compress") o.compress = value != "no";
    else if (flag == "--tpm") o.tpm = std::stod(value);
    else if (flag == "--require-key") o.require_key = value;
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
    server.set_logger([&standin](const auto& req, const auto&) { standin.log_timing(req); });
    // httplib writes headers and body separately; with Nagle on, the body
    // waits for the client's delayed ACK (up to 40 ms) on every answer.
    server.set_tcp_nodelay(true);
    // httplib listens with a backlog of 5, so a client opening 64 connections
    // at once sees dropped SYNs and 1 s retransmits. Linux lets a second
    // listen() raise the backlog; the socket is captured for that.
    int listen_fd = -1;
    server.set_socket_options([&listen_fd](socket_t fd) {
      int yes = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
      listen_fd = fd;
    });
    server.Post("/v1/chat/completions", [&](const auto& req, auto& res) { standin.chat(req, res); });
    server.Post("/chat/completions", [&](const auto& req, auto& res) { standin.chat(req, res); });
    // Azure OpenAI: the classic deployment path (api-version in the query) and v1.
    server.Post(R"(/openai/deployments/([^/]+)/chat/completions)",
                [&](const auto& req, auto& res) { standin.chat(req, res); });
    server.Post("/openai/v1/chat/completions", [&](const auto& req, auto& res) { standin.chat(req, res); });
    server.Post("/v1/messages", [&](const auto& req, auto& res) { standin.chat(req, res, Dialect::anthropic); });
    server.Post("/api/chat", [&](const auto& req, auto& res) { standin.chat(req, res, Dialect::ollama); });
    // Batch APIs.
    server.Post("/v1/files", [&](const auto& req, auto& res) { standin.upload(req, res); });
    server.Post("/v1/batches", [&](const auto& req, auto& res) { standin.create_batch(req, res, Dialect::openai); });
    server.Get("/v1/batches", [&](const auto& req, auto& res) { standin.list_batches(req, res, Dialect::openai); });
    server.Get(R"(/v1/batches/([^/]+))", [&](const auto& req, auto& res) { standin.batch_status(req, res); });
    server.Get(R"(/v1/files/([^/]+)/content)", [&](const auto& req, auto& res) { standin.batch_file(req, res); });
    server.Post("/v1/messages/batches",
                [&](const auto& req, auto& res) { standin.create_batch(req, res, Dialect::anthropic); });
    server.Get("/v1/messages/batches",
               [&](const auto& req, auto& res) { standin.list_batches(req, res, Dialect::anthropic); });
    server.Get(R"(/v1/messages/batches/([^/]+))", [&](const auto& req, auto& res) { standin.batch_status(req, res); });
    server.Get(R"(/v1/messages/batches/([^/]+)/results)",
               [&](const auto& req, auto& res) { standin.batch_file(req, res, "-results"); });
    // Model listings (lingopipe doctor): OpenAI and Anthropic shape, and Ollama's tags.
    server.Get(R"(/(v1|openai/v1)/models)", [&](const auto& req, auto& res) {
      if (standin.authorized(req, res)) {
        res.set_content(R"({"object":"list","data":[{"id":"lingopipe-standin","object":"model"}]})",
                        "application/json");
      }
    });
    server.Get("/api/tags", [&](const auto&, auto& res) {
      res.set_content(R"({"models":[{"name":"lingopipe-standin:latest","model":"lingopipe-standin:latest"}]})",
                      "application/json");
    });
    if (o.llama_props == "yes") {
      server.Get("/props", [&o](const auto&, auto& res) {
        res.set_content(json{{"default_generation_settings", {{"n_ctx", o.llama_context}}}, {"total_slots", 4}}.dump(),
                        "application/json");
      });
    } else if (o.llama_props == "slots") {
      server.Get("/props", [](const auto&, auto& res) {
        res.set_content(R"({"default_generation_settings":{},"total_slots":4})", "application/json");
      });
      server.Get("/slots", [&o](const auto&, auto& res) {
        json slots = json::array();
        for (int id = 0; id < 4; ++id) slots.push_back({{"id", id}, {"n_ctx", o.llama_context}, {"is_processing", false}});
        res.set_content(slots.dump(), "application/json");
      });
    }
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
