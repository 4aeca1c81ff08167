// OpenAI chat completions (PROTOCOLS.md §2), and Azure's URLs and header for
// the same body (§6).
#include "llm/codec.hpp"
#include "llm/errors.hpp"
#include "llm/stream.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

using nlohmann::json;

namespace llm {

namespace {

json openai_body(const ChatRequest& request, const Endpoint& endpoint) {
  json messages = json::array();
  for (const auto& m : request.messages) {
    messages.push_back({{"role", m.role}, {"content", m.content}});
  }
  json body = {{"model", request.model}, {"messages", std::move(messages)}};
  // Reasoning models (o-series, gpt-5) reject max_tokens and any temperature
  // but the default; every other compatible server reads max_tokens.
  if (endpoint.reasoning_model) {
    body["max_completion_tokens"] = request.max_output_tokens;
  } else {
    body["temperature"] = request.temperature;
    body["max_tokens"] = request.max_output_tokens;
  }
  body["stream"] = endpoint.stream;
  if (endpoint.stream) body["stream_options"] = {{"include_usage", true}};
  return body;
}

HttpRequest json_post(std::string url, const json& body, const Endpoint& endpoint) {
  HttpRequest http;
  http.url = std::move(url);
  http.headers = {"Content-Type: application/json",
                  endpoint.stream ? "Accept: text/event-stream" : "Accept: application/json"};
  http.body = body.dump();
  if (endpoint.stream) watch_stream(http, endpoint.provider);
  return http;
}

// llama-server started with --context-shift cuts a prompt longer than its
// slot's context to its last tokens and answers 200 with "truncated": true
// (PROTOCOLS.md §5); its timings say how much of the prompt it read (prompt_n
// evaluated now plus cache_n reused). Output cut at the budget is
// finish_reason "length" instead, which finish() reports as truncated.
std::optional<ChatError> llama_cpp_prompt_cut(const json& body, const ChatResult& result,
                                              const ChatRequest& request, const ChatError& base) {
  if (openai_stop(result.finish_reason) == Stop::truncated) {
    return std::nullopt;
  }
  const bool flagged = body.contains("truncated") && body["truncated"].is_boolean() &&
                       body["truncated"].get<bool>();
  int read = 0;
  if (const json& t = body.value("timings", json()); t.is_object()) {
    for (const char* field : {"prompt_n", "cache_n"}) {
      if (t.contains(field) && t[field].is_number_integer()) read += t[field].get<int>();
    }
  }
  if (!flagged && !read_in_part(read, request)) {
    return std::nullopt;
  }
  ChatError e = base;
  e.status = 200;
  e.kind = ErrorKind::input_too_long;
  const char* advice = "give each slot more context (llama-server -c, which --parallel divides among "
                       "slots) or lower segment.max_chunk_tokens";
  e.message = read > 0 ? fmt::format("llama.cpp read {} prompt tokens of about {} and dropped the rest "
                                     "(--context-shift); {}",
                                     read, request.estimated_prompt_tokens, advice)
                       : fmt::format("llama.cpp cut the prompt to fit its context (\"truncated\": true, "
                                     "--context-shift); {}",
                                     advice);
  return e;
}

} // namespace

HttpRequest encode_openai(const ChatRequest& request, const Endpoint& endpoint) {
  HttpRequest http = json_post(join_url(endpoint.base_url, "/chat/completions"),
                               openai_body(request, endpoint), endpoint);
  if (!endpoint.api_key.empty()) {
    http.headers.push_back("Authorization: Bearer " + endpoint.api_key);
  }
  return http;
}

HttpRequest encode_azure(const ChatRequest& request, const Endpoint& endpoint) {
  // Classic: the deployment names the model in the path and api-version is
  // required; v1 (base URL ending in /openai/v1): a plain OpenAI path.
  const std::string url =
    endpoint.deployment.empty()
      ? join_url(endpoint.base_url, "/chat/completions")
      : join_url(endpoint.base_url, "/openai/deployments/" + endpoint.deployment +
                                      "/chat/completions?api-version=" + endpoint.api_version);
  HttpRequest http = json_post(url, openai_body(request, endpoint), endpoint);
  if (!endpoint.api_key.empty()) {
    http.headers.push_back("api-key: " + endpoint.api_key);
  }
  return http;
}

ChatOutcome decode_openai(const HttpResponse& r, const ChatRequest& request) {
  if (auto failed = failed_exchange(r)) {
    return std::unexpected(*failed);
  }
  ChatError e = answer_error(r);
  if (is_event_stream(r)) {
    json llama_extras = json::object();
    ChatOutcome streamed = decode_openai_stream(r, &llama_extras);
    if (!streamed) return streamed;
    if (auto cut = llama_cpp_prompt_cut(llama_extras, *streamed, request, e)) return std::unexpected(*cut);
    return streamed;
  }
  auto parsed = json_answer(r, e, "it usually ends in /v1");
  if (!parsed) {
    return std::unexpected(parsed.error());
  }
  const json& body = *parsed;
  if (body.contains("error")) { // OpenRouter and others: errors with status 200
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
  // DeepSeek and older vLLM: reasoning_content; Ollama, OpenRouter, newer vLLM: reasoning.
  for (const char* field : {"reasoning_content", "reasoning"}) {
    if (message.contains(field) && message[field].is_string()) result.reasoning = message[field];
  }
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
  if (auto cut = llama_cpp_prompt_cut(body, result, request, e)) {
    return std::unexpected(*cut);
  }
  if (message.contains("refusal") && message["refusal"].is_string()) {
    return finish(std::move(result), Stop::refused, e, message["refusal"].get<std::string>());
  }
  const Stop stop = openai_stop(result.finish_reason);
  return finish(std::move(result), stop, e);
}

} // namespace llm
