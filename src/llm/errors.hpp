// What every provider codec shares: finding the error object in a body,
// classifying an HTTP status (PROTOCOLS.md §10), Retry-After, and the checks
// every answer passes (truncated, refused, empty, <think> blocks).
#pragma once

#include "llm/chat.hpp"
#include "llm/http.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace llm {

// The start of a body for messages: trimmed, 200 bytes at most, one line.
std::string excerpt(std::string_view body);
bool looks_like_html(const HttpResponse& response);
// A string, or an integer's digits; empty otherwise.
std::string as_text(const nlohmann::json& value);
// Reads message, type and code from every error shape of PROTOCOLS.md item 16.
void extract_error(const nlohmann::json& body, ChatError& error);
// Whether the message (case-insensitively), code or type names `needle`.
bool mentions(const ChatError& error, std::string_view needle);
ErrorKind kind_for_status(const ChatError& error);
// A non-2xx response as a classified error: status, request id, Retry-After,
// x-should-retry and the body's error fields.
ChatError error_from_status(const HttpResponse& response);

// Server-requested delay from retry-after-ms, then retry-after (seconds or an
// HTTP date), or nullopt.
std::optional<double> parse_retry_after(const HttpResponse& response);

// A failure every answer can have before its body is read: no HTTP answer
// at all, or a non-2xx status. nullopt for a 2xx answer.
std::optional<ChatError> failed_exchange(const HttpResponse& response);

// A 2xx non-streamed body as a JSON object, or the error: HTML where JSON
// was expected (a proxy or a web UI; `url_hint` says what the base URL should
// look like), or invalid JSON. `e` carries status and request id.
std::expected<nlohmann::json, ChatError> json_answer(const HttpResponse& response, ChatError e,
                                                     std::string_view url_hint);

// The error a 2xx answer may still turn into: its status and request id
// (x-request-id, or Anthropic's request-id).
ChatError answer_error(const HttpResponse& response);

// How a provider said the answer ended, normalized.
enum class Stop { done, truncated, refused, filtered };

// OpenAI's finish_reason (also Ollama's done_reason): length and Mistral's
// model_length are truncated, content_filter is filtered.
Stop openai_stop(const std::string& finish_reason);
// Anthropic's stop_reason: max_tokens and model_context_window_exceeded are
// truncated, refusal is refused.
Stop anthropic_stop(const std::string& stop_reason);

// The checks every decoded answer passes: <think> blocks moved to
// `reasoning`, then truncated, refused, filtered and empty answers become
// errors (never cached). `e` carries status and request id.
ChatOutcome finish(ChatResult result, Stop stop, ChatError e, const std::string& refusal = {});

// A server's message may quote the key sent (OpenAI's 401 does): every
// occurrence of `secret` in `text` becomes "***" before anything prints it.
void scrub_secret(std::string& text, const std::string& secret);
// The same for an outcome's error message.
void scrub_secret(ChatOutcome& outcome, const std::string& secret);

// Moves a leading <think>...</think> block from content to reasoning.
void split_reasoning(ChatResult& result);

} // namespace llm
