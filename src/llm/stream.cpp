#include "llm/stream.hpp"

#include "llm/codec.hpp"
#include "llm/errors.hpp"
#include "util/text.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

using nlohmann::json;

namespace llm {

std::vector<SseEvent> SseParser::feed(std::string_view bytes) {
  std::vector<SseEvent> out;
  for (char c : bytes) {
    if (m_after_cr) {
      m_after_cr = false;
      if (c == '\n') continue; // the LF of a CRLF split across reads
    }
    if (c == '\r' || c == '\n') {
      line(m_partial, out);
      m_partial.clear();
      m_after_cr = c == '\r';
      continue;
    }
    m_partial += c;
  }
  return out;
}

void SseParser::line(std::string_view text, std::vector<SseEvent>& out) {
  if (text.empty()) { // a blank line dispatches; without data there is no event
    if (m_has_data) {
      m_event.data.pop_back(); // the "\n" after the last data line
      out.push_back(std::move(m_event));
    }
    m_event = {};
    m_has_data = false;
    return;
  }
  if (text.front() == ':') {
    return; // comment: ": keep-alive", ": OPENROUTER PROCESSING", pings
  }
  const size_t colon = text.find(':');
  const std::string_view field = text.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? "" : text.substr(colon + 1);
  if (value.starts_with(' ')) value.remove_prefix(1);
  if (field == "data") {
    m_event.data.append(value).push_back('\n');
    m_has_data = true;
  } else if (field == "event") {
    m_event.event = value;
  }
}

std::vector<std::string> LineSplitter::feed(std::string_view bytes) {
  std::vector<std::string> lines;
  m_partial.append(bytes);
  size_t start = 0;
  for (size_t nl; (nl = m_partial.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string_view l(m_partial.data() + start, nl - start);
    if (l.ends_with('\r')) l.remove_suffix(1);
    if (!l.empty()) lines.emplace_back(l);
  }
  m_partial.erase(0, start);
  return lines;
}

namespace {

class SseWatcher final : public StreamWatcher {
public:
  explicit SseWatcher(bool anthropic) : m_anthropic(anthropic) {}
  bool complete(std::string_view bytes) override {
    for (const auto& e : m_parser.feed(bytes)) {
      if (m_anthropic ? (e.event == "message_stop" || e.event == "error")
                      : (e.data.starts_with("[DONE]") || e.data.find("\"error\"") != std::string::npos)) {
        return true;
      }
    }
    return false;
  }

private:
  bool m_anthropic;
  SseParser m_parser;
};

class NdjsonWatcher final : public StreamWatcher {
public:
  bool complete(std::string_view bytes) override {
    for (const auto& l : m_lines.feed(bytes)) {
      const json j = json::parse(l, nullptr, false);
      if (j.is_object() && (j.value("done", false) || j.contains("error"))) return true;
    }
    return false;
  }

private:
  LineSplitter m_lines;
};

// A stream that stopped before its terminator: the partial text is
// discarded and the whole request retried.
ChatOutcome cut_short(const HttpResponse& r, std::string_view terminator) {
  ChatError e = answer_error(r);
  e.kind = ErrorKind::transport;
  e.message = fmt::format("stream ended without {} (truncated by the server or a proxy)", terminator);
  return std::unexpected(e);
}

// An error event inside a 200 stream, classified by its type.
ChatOutcome stream_error(const json& body, const HttpResponse& r) {
  ChatError e = answer_error(r);
  extract_error(body, e);
  if (mentions(e, "rate_limit") || mentions(e, "rate_limit_error")) e.kind = ErrorKind::throttle;
  else if (mentions(e, "insufficient_quota")) e.kind = ErrorKind::quota;
  else if (mentions(e, "invalid_request_error")) e.kind = ErrorKind::bad_request;
  else e.kind = ErrorKind::overloaded; // overloaded_error, server_error, api_error, unknown
  e.message = "error inside the stream: " + (e.message.empty() ? body.dump() : e.message);
  return std::unexpected(e);
}

ChatOutcome malformed(const std::string& data) {
  ChatError e;
  e.kind = ErrorKind::malformed;
  e.message = "invalid JSON in the stream: " + excerpt(data);
  return std::unexpected(e);
}

} // namespace

std::shared_ptr<StreamWatcher> make_stream_watcher(Provider provider) {
  if (provider == Provider::ollama) return std::make_shared<NdjsonWatcher>();
  return std::make_shared<SseWatcher>(provider == Provider::anthropic);
}

void watch_stream(HttpRequest& request, Provider provider) {
  request.stream_complete = [watcher = make_stream_watcher(provider)](std::string_view chunk) {
    return watcher->complete(chunk);
  };
}

bool is_event_stream(const HttpResponse& r) {
  return util::to_lower_ascii(r.header("content-type")).find("text/event-stream") != std::string::npos;
}

ChatOutcome decode_openai_stream(const HttpResponse& r, json* llama_extras) {
  const ChatError e = answer_error(r);
  ChatResult result;
  result.request_id = e.request_id;
  bool done = false;
  for (const auto& ev : SseParser().feed(r.body + "\n\n")) { // a last event without its blank line still counts
    if (ev.data.starts_with("[DONE]")) {
      done = true;
      break;
    }
    const json j = json::parse(ev.data, nullptr, false);
    if (!j.is_object()) return malformed(ev.data);
    if (j.contains("error")) return stream_error(j, r);
    if (j.contains("model") && j["model"].is_string()) result.model = j["model"];
    if (const json& u = j.value("usage", json()); u.is_object()) {
      result.usage.prompt_tokens = u.value("prompt_tokens", 0);
      result.usage.completion_tokens = u.value("completion_tokens", 0);
    }
    for (const char* field : {"timings", "truncated"}) {
      if (llama_extras && j.contains(field)) (*llama_extras)[field] = j[field];
    }
    const json& choices = j.value("choices", json::array());
    if (!choices.is_array() || choices.empty()) continue; // usage or Azure filter chunk
    const json& delta = choices[0].value("delta", json::object());
    if (delta.contains("content") && delta["content"].is_string()) result.content += delta["content"].get<std::string>();
    for (const char* field : {"reasoning_content", "reasoning"}) {
      if (delta.contains(field) && delta[field].is_string()) result.reasoning += delta[field].get<std::string>();
    }
    if (choices[0].contains("finish_reason") && choices[0]["finish_reason"].is_string()) {
      result.finish_reason = choices[0]["finish_reason"];
    }
  }
  if (!done) return cut_short(r, "data: [DONE]");
  const Stop stop = openai_stop(result.finish_reason);
  return finish(std::move(result), stop, e);
}

ChatOutcome decode_anthropic_stream(const HttpResponse& r) {
  const ChatError e = answer_error(r);
  ChatResult result;
  result.request_id = e.request_id;
  bool stopped = false;
  for (const auto& ev : SseParser().feed(r.body + "\n\n")) {
    if (ev.event == "ping") continue;
    const json j = json::parse(ev.data, nullptr, false);
    if (!j.is_object()) return malformed(ev.data);
    const std::string type = j.value("type", ev.event);
    if (type == "error") return stream_error(j, r);
    if (type == "message_start") {
      const json& m = j.value("message", json::object());
      if (m.contains("model") && m["model"].is_string()) result.model = m["model"];
      result.usage.prompt_tokens = m.value("usage", json::object()).value("input_tokens", 0);
    } else if (type == "content_block_delta") {
      const json& d = j.value("delta", json::object());
      if (d.value("type", "") == "text_delta") result.content += d.value("text", "");
      if (d.value("type", "") == "thinking_delta") result.reasoning += d.value("thinking", "");
    } else if (type == "message_delta") {
      const json& d = j.value("delta", json::object());
      if (d.contains("stop_reason") && d["stop_reason"].is_string()) result.finish_reason = d["stop_reason"];
      result.usage.completion_tokens = j.value("usage", json::object()).value("output_tokens", 0);
    } else if (type == "message_stop") {
      stopped = true;
      break;
    }
  }
  if (!stopped) return cut_short(r, "message_stop");
  const Stop stop = anthropic_stop(result.finish_reason);
  return finish(std::move(result), stop, e);
}

ChatOutcome decode_ollama_stream(const HttpResponse& r, const ChatRequest& request) {
  const ChatError e = answer_error(r);
  ChatResult result;
  bool done = false;
  for (const auto& l : LineSplitter().feed(r.body + "\n")) {
    const json j = json::parse(l, nullptr, false);
    if (!j.is_object()) return malformed(l);
    if (j.contains("error")) return stream_error(j, r);
    const json& m = j.value("message", json::object());
    if (m.contains("content") && m["content"].is_string()) result.content += m["content"].get<std::string>();
    if (m.contains("thinking") && m["thinking"].is_string()) result.reasoning += m["thinking"].get<std::string>();
    if (j.value("done", false)) {
      done = true;
      result.model = j.value("model", "");
      result.finish_reason = j.value("done_reason", "");
      result.usage.prompt_tokens = j.value("prompt_eval_count", 0);
      result.usage.completion_tokens = j.value("eval_count", 0);
      break;
    }
  }
  if (!done) return cut_short(r, "a final {\"done\":true}");
  if (auto cut = ollama_prompt_cut(result, request)) return std::unexpected(*cut);
  const Stop stop = openai_stop(result.finish_reason);
  return finish(std::move(result), stop, e);
}

} // namespace llm
