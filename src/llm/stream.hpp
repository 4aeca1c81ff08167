// Streamed answers (PROTOCOLS.md §2.3, §3, §4.1): an incremental
// Server-Sent-Events parser, an NDJSON line splitter, and per-provider
// assembly of the events into one result. Bytes may arrive split anywhere
// (inside a UTF-8 character, inside "data:", between CR and LF); lines are
// only interpreted once complete.
#pragma once

#include "llm/chat.hpp"
#include "llm/http.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace llm {

enum class Provider;

struct SseEvent {
  std::string event;                  // "event:" field; empty for unnamed events
  std::string data;                   // "data:" lines joined with "\n"
};

class SseParser {
public:
  // Appends bytes; returns the events they completed.
  std::vector<SseEvent> feed(std::string_view bytes);

private:
  void line(std::string_view text, std::vector<SseEvent>& out);

  std::string m_partial;              // bytes of a line not yet ended
  bool m_after_cr = false;            // the last byte was CR: a following LF belongs to it
  SseEvent m_event;
  bool m_has_data = false;
};

// Splits bytes into complete lines (LF or CRLF), keeping the unfinished rest.
class LineSplitter {
public:
  std::vector<std::string> feed(std::string_view bytes);

private:
  std::string m_partial;
};

// Watches a stream as it arrives and says when it is complete, so a server
// that keeps the connection open after its last event costs nothing.
class StreamWatcher {
public:
  virtual ~StreamWatcher() = default;
  virtual bool complete(std::string_view bytes) = 0;
};

std::shared_ptr<StreamWatcher> make_stream_watcher(Provider provider);

// Sets request.stream_complete to a fresh watcher for `provider`.
void watch_stream(HttpRequest& request, Provider provider);

// Whether the answer is Server-Sent Events (text/event-stream).
bool is_event_stream(const HttpResponse& response);

// The whole streamed body assembled into a result, or the error it carried;
// a stream without its terminator is a truncated transfer (retried whole).
// llama-server puts "timings" (and may put "truncated") beside the choices
// of its last chunks; they are copied into `llama_extras` when given, for
// the same check of a prompt cut short as a whole answer gets.
ChatOutcome decode_openai_stream(const HttpResponse& response, nlohmann::json* llama_extras = nullptr);
ChatOutcome decode_anthropic_stream(const HttpResponse& response);
ChatOutcome decode_ollama_stream(const HttpResponse& response, const ChatRequest& request);

} // namespace llm
