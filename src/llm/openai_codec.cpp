#include "llm/openai_codec.hpp"

#include "util/text.hpp"
#include "util/utf8.hpp"

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fmt/format.h>

#include <algorithm>

using nlohmann::json;

namespace llm {

namespace {

constexpr size_t k_body_excerpt = 200;

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
}

bool mentions(const ChatError& e, std::string_view needle) {
  return util::to_lower_ascii(e.message).find(needle) != std::string::npos ||
         e.code == needle || e.type == needle;
}

ErrorKind kind_for_status(const ChatError& e) {
  const int s = e.status;
  if (s == 429) {
    return e.code == "insufficient_quota" || e.type == "insufficient_quota" ? ErrorKind::quota
                                                                           : ErrorKind::throttle;
  }
  if (s == 402) return ErrorKind::quota;
  if (s == 401 || s == 403) return ErrorKind::auth;
  if (s == 404) return ErrorKind::not_found;
  if (s == 408 || s == 409 || s >= 500) return ErrorKind::overloaded;
  if (e.code == "content_filter") return ErrorKind::refused; // Azure: prompt filtered
  if (s == 400) {
    if (mentions(e, "context_length_exceeded") || mentions(e, "exceed_context_size_error") ||
        mentions(e, "maximum context length") || mentions(e, "exceeds the available context")) {
      return ErrorKind::input_too_long;
    }
    if (mentions(e, "credit balance is too low")) return ErrorKind::quota;
  }
  return ErrorKind::bad_request;
}

ChatError error_from_status(const HttpResponse& r) {
  ChatError e;
  e.status = static_cast<int>(r.status);
  e.request_id = r.header("x-request-id");
  if (e.request_id.empty()) e.request_id = r.header("request-id");
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

ChatOutcome decode_success(const HttpResponse& r) {
  ChatError e;
  e.status = static_cast<int>(r.status);
  e.request_id = r.header("x-request-id");
  if (looks_like_html(r)) {
    e.kind = ErrorKind::gateway;
    e.message = "HTML instead of JSON (check the base URL, it usually ends in /v1): " +
                excerpt(r.body);
    return std::unexpected(e);
  }
  json body = json::parse(r.body, nullptr, false); // skips leading blank lines
  if (body.is_discarded() || !body.is_object()) {
    e.kind = ErrorKind::malformed;
    e.message = "invalid JSON: " + excerpt(r.body);
    return std::unexpected(e);
  }
  if (body.contains("error")) { // some servers send errors with status 200
    extract_error(body, e);
    e.kind = ErrorKind::overloaded;
    return std::unexpected(e);
  }
  const json& choices = body.value("choices", json());
  if (!choices.is_array() || choices.empty() || !choices[0].contains("message")) {
    e.kind = ErrorKind::malformed;
    e.message = "response has no choices[0].message: " + excerpt(r.body);
    return std::unexpected(e);
  }
  const json& choice = choices[0];
  const json& message = choice["message"];
  ChatResult result;
  result.content = message.contains("content") ? as_text(message["content"]) : "";
  result.finish_reason = choice.contains("finish_reason") ? as_text(choice["finish_reason"]) : "";
  result.model = body.contains("model") ? as_text(body["model"]) : "";
  result.request_id = e.request_id;
  if (const json& u = body.value("usage", json()); u.is_object()) {
    result.usage.prompt_tokens = u.value("prompt_tokens", 0);
    result.usage.completion_tokens = u.value("completion_tokens", 0);
    if (u.contains("prompt_tokens_details") && u["prompt_tokens_details"].is_object()) {
      result.usage.cached_tokens = u["prompt_tokens_details"].value("cached_tokens", 0);
    } else {
      result.usage.cached_tokens = u.value("prompt_cache_hit_tokens", 0);
    }
  }
  const bool refused = message.contains("refusal") && message["refusal"].is_string();
  if (refused || result.finish_reason == "content_filter") {
    e.kind = ErrorKind::refused;
    e.message = refused ? "model refused: " + message["refusal"].get<std::string>()
                        : "output blocked by the content filter";
    return std::unexpected(e);
  }
  if (result.finish_reason == "length") {
    e.kind = ErrorKind::truncated;
    e.message = util::trim(result.content).empty()
                  ? "budget consumed by reasoning: no text within max_output_tokens"
                  : "answer truncated at max_output_tokens";
    return std::unexpected(e);
  }
  if (util::trim(result.content).empty()) {
    e.kind = ErrorKind::empty;
    e.message = "empty answer";
    return std::unexpected(e);
  }
  return result;
}

} // namespace

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

HttpRequest encode_openai(const ChatRequest& request, const Endpoint& endpoint) {
  json messages = json::array();
  for (const auto& m : request.messages) {
    messages.push_back({{"role", m.role}, {"content", m.content}});
  }
  json body = {{"model", request.model},
               {"messages", std::move(messages)},
               {"temperature", request.temperature},
               {"max_tokens", request.max_output_tokens},
               {"stream", false}};
  std::string base = endpoint.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  HttpRequest http;
  http.url = base + "/chat/completions";
  http.headers = {"Content-Type: application/json", "Accept: application/json"};
  if (!endpoint.api_key.empty()) {
    http.headers.push_back("Authorization: Bearer " + endpoint.api_key);
  }
  http.body = body.dump();
  return http;
}

ChatOutcome decode_openai(const HttpResponse& r) {
  if (r.curl_code != 0) {
    return std::unexpected(transport_error(r.curl_code, r.curl_error));
  }
  if (r.status >= 200 && r.status < 300) {
    return decode_success(r);
  }
  return std::unexpected(error_from_status(r));
}

} // namespace llm
