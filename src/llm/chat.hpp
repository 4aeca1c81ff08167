// What the pipeline asks of a model and what comes back, independent of the
// wire format. A failed request is a ChatError value, not an exception.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <vector>

namespace llm {

struct Message {
  std::string role;                   // "system" or "user"
  std::string content;
};

// The order in which an engine sends the requests waiting for a slot (first
// in, first out within one): work already under way before the requests
// other requests wait for, before the rest. So an article's summary leaves as
// soon as its section summaries are in, and the run's last round trip is not
// left to a few article summaries alone.
enum class Priority {
  follow_up,        // released by an answer: an article summary, a section's parts, a repair
  feeds_another,    // another request waits for its answer: a section summary
  plain,
};
constexpr size_t k_priorities = 3;

struct ChatRequest {
  std::string model;
  std::vector<Message> messages;
  double temperature = 0.2;
  int max_output_tokens = 2048;
  int estimated_tokens = 0;           // prompt + expected answer, for tokens-per-minute pacing
  int estimated_prompt_tokens = 0;    // the prompt alone (Ollama's num_ctx, truncation checks)
  Priority priority = Priority::plain; // not sent: when the engine sends it
};

struct Usage {
  int prompt_tokens = 0;
  int completion_tokens = 0;
  int cached_tokens = 0;
};

struct ChatResult {
  std::string content;                // the answer, without reasoning
  std::string reasoning;              // reasoning_content / reasoning / <think>: kept apart
  std::string finish_reason;
  Usage usage;
  std::string model;                  // as the server reported it
  std::string request_id;
};

enum class ErrorKind {
  transport,        // connection failed, reset, timed out, stalled
  throttle,         // 429 rate limit
  overloaded,       // 5xx, 529, 408, 409
  quota,            // insufficient_quota, 402, credit balance
  auth,             // 401, 403
  not_found,        // 404: wrong model or base URL
  bad_request,      // 400, 413, 422 other than the cases below
  input_too_long,   // context length exceeded
  truncated,        // finish_reason "length"
  refused,          // refusal or content filter
  empty,            // 200 with empty content
  malformed,        // 200 whose body is not the expected JSON shape
  gateway,          // HTML where JSON was expected
  tls,              // the server's certificate is not trusted: retrying cannot help
  cancelled,        // never sent: the endpoint was stopped
  unprocessed,      // in a batch that ended (expired, cancelled) before answering it
};

const char* kind_name(ErrorKind kind);

struct ChatError {
  ErrorKind kind = ErrorKind::transport;
  int status = 0;                     // HTTP status, 0 for transport errors
  std::string type;                   // error.type from the body
  std::string code;                   // error.code from the body
  std::string message;                // server's message or transport description
  std::string request_id;
  std::optional<double> retry_after_s;
  std::optional<bool> should_retry;   // x-should-retry
};

using ChatOutcome = std::expected<ChatResult, ChatError>;

// A transfer that got no complete HTTP response (CURLcode `curl_code`):
// certificate problems are `tls` (stop the endpoint), the rest `transport`.
ChatError transport_error(int curl_code, const std::string& curl_error);

// One line for logs and reports: "HTTP 429 rate_limit_exceeded: slow down (request req_1)".
std::string describe(const ChatError& error);

} // namespace llm
