#include "llm/errors.hpp"

#include "util/text.hpp"
#include "util/utf8.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

using nlohmann::json;

namespace llm {

namespace {
constexpr size_t k_body_excerpt = 200;

} // namespace

std::string excerpt(std::string_view body) {
  std::string out(util::utf8_prefix(util::trim(body), k_body_excerpt));
  std::ranges::replace(out, '\n', ' ');
  return out;
}

bool looks_like_html(const HttpResponse& r) {
  const std::string type = util::to_lower_ascii(r.header("content-type"));
  return type.find("text/html") != std::string::npos || util::trim(r.body).starts_with('<');
}

std::string as_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  return {};
}

// Finds the error object in every shape of PROTOCOLS.md item 16.
void extract_error(const json& body, ChatError& e) {
  const json* err = &body;
  if (body.is_array() && !body.empty()) {
    err = &body[0]; // Gemini: [{"error":{...}}]
  }
  if (err->is_object() && err->contains("error")) {
    const json& inner = (*err)["error"];
    if (inner.is_string()) { // Ollama: {"error":"text"}
      e.message = inner.get<std::string>();
      return;
    }
    err = &inner;
  }
  if (!err->is_object()) {
    return;
  }
  if (err->contains("message")) e.message = as_text((*err)["message"]);
  if (err->contains("type")) e.type = as_text((*err)["type"]);
  if (err->contains("code")) e.code = as_text((*err)["code"]);
  if (e.type.empty() && err->contains("status")) e.type = as_text((*err)["status"]);
  // Anthropic: a monthly spend cap is a 429 with details.error_code.
  if (e.code.empty() && err->contains("details") && (*err)["details"].is_object()) {
    e.code = as_text((*err)["details"].value("error_code", json()));
  }
}

bool mentions(const ChatError& e, std::string_view needle) {
  return util::to_lower_ascii(e.message).find(needle) != std::string::npos ||
         e.code == needle || e.type == needle;
}

ErrorKind kind_for_status(const ChatError& e) {
  const int s = e.status;
  if (s == 429) {
    return mentions(e, "insufficient_quota") || mentions(e, "enforced_spend_limit_reached")
             ? ErrorKind::quota
             : ErrorKind::throttle;
  }
  if (s == 402) return ErrorKind::quota;
  if (s == 401 || s == 403) return ErrorKind::auth;
  if (s == 404) return ErrorKind::not_found;
  if (s == 408 || s == 409 || s >= 500) return ErrorKind::overloaded;
  if (e.code == "content_filter") return ErrorKind::refused; // Azure: prompt filtered
  if (s == 400) {
    if (mentions(e, "context_length_exceeded") || mentions(e, "exceed_context_size_error") ||
        mentions(e, "maximum context length") || mentions(e, "exceeds the available context") ||
        mentions(e, "prompt is too long") ||                 // Anthropic
        mentions(e, "longer than the context length")) {     // Ollama without context shift
      return ErrorKind::input_too_long;
    }
    if (mentions(e, "credit balance is too low")) return ErrorKind::quota;
  }
  return ErrorKind::bad_request;
}

ChatError answer_error(const HttpResponse& r) {
  ChatError e;
  e.status = static_cast<int>(r.status);
  e.request_id = r.header("x-request-id");
  if (e.request_id.empty()) e.request_id = r.header("request-id");
  return e;
}

Stop openai_stop(const std::string& reason) {
  if (reason == "length" || reason == "model_length") return Stop::truncated;
  if (reason == "content_filter") return Stop::filtered;
  return Stop::done;
}

Stop anthropic_stop(const std::string& reason) {
  if (reason == "max_tokens" || reason == "model_context_window_exceeded") return Stop::truncated;
  if (reason == "refusal") return Stop::refused;
  return Stop::done; // end_turn, stop_sequence
}

ChatError error_from_status(const HttpResponse& r) {
  ChatError e = answer_error(r);
  e.retry_after_s = parse_retry_after(r);
  if (auto sr = r.header("x-should-retry"); sr == "true" || sr == "false") {
    e.should_retry = sr == "true";
  }
  if (looks_like_html(r)) {
    e.message = "HTML instead of JSON (check the base URL): " + excerpt(r.body);
  } else {
    json body = json::parse(r.body, nullptr, false);
    if (!body.is_discarded()) extract_error(body, e);
    if (e.message.empty()) e.message = excerpt(r.body);
  }
  e.kind = kind_for_status(e);
  return e;
}

std::optional<double> parse_retry_after(const HttpResponse& r) {
  if (std::string ms = r.header("retry-after-ms"); !ms.empty()) {
    try {
      return std::stod(ms) / 1000.0;
    } catch (const std::exception&) {
    }
  }
  std::string ra = std::string(util::trim(r.header("retry-after")));
  if (ra.empty()) {
    return std::nullopt;
  }
  if (ra.find_first_not_of("0123456789.") == std::string::npos) {
    return std::stod(ra);
  }
  time_t when = curl_getdate(ra.c_str(), nullptr); // HTTP-date
  if (when < 0) {
    return std::nullopt;
  }
  auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  return std::max(0.0, static_cast<double>(when - now));
}

std::optional<ChatError> failed_exchange(const HttpResponse& r) {
  if (r.curl_code != 0) return transport_error(r.curl_code, r.curl_error);
  if (r.status < 200 || r.status >= 300) return error_from_status(r);
  return std::nullopt;
}

std::expected<json, ChatError> json_answer(const HttpResponse& r, ChatError e, std::string_view url_hint) {
  if (looks_like_html(r)) {
    e.kind = ErrorKind::gateway;
    e.message = fmt::format("HTML instead of JSON (check the base URL, {}): {}", url_hint, excerpt(r.body));
    return std::unexpected(e);
  }
  json body = json::parse(r.body, nullptr, false); // skips leading blank lines (DeepSeek)
  if (body.is_discarded() || !body.is_object()) {
    e.kind = ErrorKind::malformed;
    e.message = "invalid JSON: " + excerpt(r.body);
    return std::unexpected(e);
  }
  return body;
}

ChatOutcome finish(ChatResult result, Stop stop, ChatError e, const std::string& refusal) {
  split_reasoning(result);
  switch (stop) {
  case Stop::refused:
    e.kind = ErrorKind::refused;
    e.message = refusal.empty() ? "the model refused" : "model refused: " + refusal;
    return std::unexpected(e);
  case Stop::filtered:
    e.kind = ErrorKind::refused;
    e.message = "output blocked by the content filter";
    return std::unexpected(e);
  case Stop::truncated:
    e.kind = ErrorKind::truncated;
    e.message = util::trim(result.content).empty()
                  ? "budget consumed by reasoning: no text within max_output_tokens"
                  : "answer truncated at max_output_tokens";
    return std::unexpected(e);
  case Stop::done:
    break;
  }
  if (util::trim(result.content).empty()) {
    e.kind = ErrorKind::empty;
    e.message = "empty answer";
    return std::unexpected(e);
  }
  return result;
}

void split_reasoning(ChatResult& result) {
  // Reasoning models served without a reasoning parser (vLLM, llama.cpp,
  // Groq, Ollama) put their thoughts first, inside <think>...</think>.
  const std::string_view content = util::trim(result.content);
  if (!content.starts_with("<think>")) {
    return;
  }
  const size_t close = content.find("</think>");
  if (close == std::string_view::npos) {
    return; // an unclosed block is all thought: finish() then finds it empty
  }
  std::string thought(util::trim(content.substr(7, close - 7)));
  std::string answer(util::trim(content.substr(close + 8)));
  result.reasoning = result.reasoning.empty() ? std::move(thought) : result.reasoning + "\n\n" + thought;
  result.content = std::move(answer);
}

void scrub_secret(std::string& text, const std::string& secret) {
  if (secret.size() < 4) return; // nothing a message could quote by accident
  for (size_t pos; (pos = text.find(secret)) != std::string::npos;) text.replace(pos, secret.size(), "***");
}

void scrub_secret(ChatOutcome& outcome, const std::string& secret) {
  if (!outcome) scrub_secret(outcome.error().message, secret);
}

} // namespace llm
