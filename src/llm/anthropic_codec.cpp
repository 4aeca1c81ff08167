// Anthropic Messages API (PROTOCOLS.md §3): system prompt at top level,
// max_tokens always sent, x-api-key and anthropic-version headers, content
// blocks and stop_reason in the answer.
#include "llm/codec.hpp"
#include "llm/errors.hpp"
#include "llm/stream.hpp"

#include <nlohmann/json.hpp>

using nlohmann::json;

namespace llm {

HttpRequest encode_anthropic(const ChatRequest& request, const Endpoint& endpoint) {
  std::string system;
  json messages = json::array();
  for (const auto& m : request.messages) {
    if (m.role == "system") {
      system += system.empty() ? m.content : "\n\n" + m.content;
    } else {
      messages.push_back({{"role", m.role}, {"content", m.content}});
    }
  }
  json body = {{"model", request.model}, {"max_tokens", request.max_output_tokens}};
  if (!system.empty()) body["system"] = system;
  body["messages"] = std::move(messages);
  body["temperature"] = request.temperature;
  if (endpoint.stream) body["stream"] = true;
  HttpRequest http;
  // base_url is https://api.anthropic.com, with or without /v1.
  const std::string base = join_url(endpoint.base_url, "");
  http.url = base + (base.ends_with("/v1") ? "/messages" : "/v1/messages");
  http.headers = {"Content-Type: application/json",
                  endpoint.stream ? "Accept: text/event-stream" : "Accept: application/json",
                  "anthropic-version: " + endpoint.anthropic_version};
  if (!endpoint.api_key.empty()) {
    http.headers.push_back("x-api-key: " + endpoint.api_key);
  }
  http.body = body.dump();
  if (endpoint.stream) watch_stream(http, endpoint.provider);
  return http;
}

ChatOutcome decode_anthropic(const HttpResponse& r, const ChatRequest&) {
  if (auto failed = failed_exchange(r)) {
    return std::unexpected(*failed);
  }
  if (is_event_stream(r)) {
    return decode_anthropic_stream(r);
  }
  ChatError e = answer_error(r);
  auto parsed = json_answer(r, e, "e.g. https://api.anthropic.com");
  if (!parsed) {
    return std::unexpected(parsed.error());
  }
  const json& body = *parsed;
  if (body.value("type", "") == "error") { // e.g. overloaded_error after HTTP 200
    extract_error(body, e);
    e.kind = e.type == "overloaded_error" || e.type == "api_error" ? ErrorKind::overloaded
                                                                   : ErrorKind::bad_request;
    return std::unexpected(e);
  }
  const json& content = body.value("content", json());
  if (!content.is_array()) {
    e.kind = ErrorKind::malformed;
    e.message = "response has no content blocks: " + excerpt(r.body);
    return std::unexpected(e);
  }
  ChatResult result;
  for (const auto& block : content) {
    const std::string type = block.value("type", "");
    if (type == "text") result.content += block.value("text", "");
    if (type == "thinking") result.reasoning += block.value("thinking", "");
  }
  result.finish_reason = body.contains("stop_reason") ? as_text(body["stop_reason"]) : "";
  result.model = body.contains("model") ? as_text(body["model"]) : "";
  result.request_id = e.request_id;
  if (const json& u = body.value("usage", json()); u.is_object()) {
    result.usage.prompt_tokens = u.value("input_tokens", 0);
    result.usage.completion_tokens = u.value("output_tokens", 0);
    result.usage.cached_tokens = u.value("cache_read_input_tokens", 0);
  }
  const Stop stop = anthropic_stop(result.finish_reason);
  return finish(std::move(result), stop, e);
}

} // namespace llm
