// Ollama's native /api/chat (PROTOCOLS.md §4): stream false, options.num_ctx
// sized for the request, keep_alive, done_reason. Ollama silently cuts a
// prompt longer than num_ctx and answers 200; comparing prompt_eval_count with
// the estimate turns that into "input too long" instead of a bad translation.
#include "llm/codec.hpp"
#include "llm/errors.hpp"
#include "llm/stream.hpp"
#include "util/text.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

using nlohmann::json;

namespace llm {

int ollama_num_ctx(const ChatRequest& request, const Endpoint& endpoint) {
  const int wanted = request.estimated_prompt_tokens * 5 / 4 + request.max_output_tokens;
  const int rounded = (wanted + 1023) / 1024 * 1024;
  return std::clamp(rounded, 2048, std::max(2048, endpoint.num_ctx_max));
}

bool read_in_part(int read_tokens, const ChatRequest& request) {
  return read_tokens > 0 && read_tokens * 2 < request.estimated_prompt_tokens;
}

std::optional<ChatError> ollama_prompt_cut(const ChatResult& result, const ChatRequest& request) {
  const int read = result.usage.prompt_tokens;
  if (!read_in_part(read, request)) {
    return std::nullopt;
  }
  ChatError e;
  e.status = 200;
  e.kind = ErrorKind::input_too_long;
  e.message = fmt::format("Ollama read {} prompt tokens of about {} and silently dropped the rest; "
                          "raise endpoint.num_ctx_max (the cap on options.num_ctx) if the model "
                          "allows",
                          read, request.estimated_prompt_tokens);
  return e;
}

HttpRequest encode_ollama(const ChatRequest& request, const Endpoint& endpoint) {
  json messages = json::array();
  for (const auto& m : request.messages) {
    messages.push_back({{"role", m.role}, {"content", m.content}});
  }
  json body = {{"model", request.model},
               {"messages", std::move(messages)},
               {"stream", endpoint.stream},
               {"keep_alive", endpoint.keep_alive},
               {"options",
                {{"num_ctx", ollama_num_ctx(request, endpoint)},
                 {"num_predict", request.max_output_tokens},
                 {"temperature", request.temperature}}}};
  HttpRequest http;
  http.url = join_url(endpoint.base_url, "/api/chat");
  http.headers = {"Content-Type: application/json", "Accept: application/json"};
  if (!endpoint.api_key.empty()) { // a proxy in front of Ollama may want one
    http.headers.push_back("Authorization: Bearer " + endpoint.api_key);
  }
  http.body = body.dump();
  if (endpoint.stream) watch_stream(http, endpoint.provider);
  return http;
}

ChatOutcome decode_ollama(const HttpResponse& r, const ChatRequest& request) {
  if (auto failed = failed_exchange(r)) {
    return std::unexpected(*failed);
  }
  if (util::to_lower_ascii(r.header("content-type")).find("ndjson") != std::string::npos) {
    return decode_ollama_stream(r, request);
  }
  ChatError e = answer_error(r);
  auto parsed = json_answer(r, e, "e.g. http://127.0.0.1:11434; for Ollama's /v1 use provider: openai");
  if (!parsed) {
    return std::unexpected(parsed.error());
  }
  const json& body = *parsed;
  if (body.contains("error")) { // {"error":"..."} with status 200
    extract_error(body, e);
    e.kind = ErrorKind::overloaded;
    return std::unexpected(e);
  }
  const json& message = body.value("message", json());
  if (!message.is_object() || !body.value("done", false)) {
    e.kind = ErrorKind::malformed;
    e.message = "response is not a finished chat message: " + excerpt(r.body);
    return std::unexpected(e);
  }
  ChatResult result;
  result.content = message.contains("content") ? as_text(message["content"]) : "";
  if (message.contains("thinking")) result.reasoning = as_text(message["thinking"]);
  result.finish_reason = body.contains("done_reason") ? as_text(body["done_reason"]) : "";
  result.model = body.contains("model") ? as_text(body["model"]) : "";
  result.usage.prompt_tokens = body.value("prompt_eval_count", 0);
  result.usage.completion_tokens = body.value("eval_count", 0);
  if (auto cut = ollama_prompt_cut(result, request)) return std::unexpected(*cut);
  const Stop stop = openai_stop(result.finish_reason);
  return finish(std::move(result), stop, e);
}

} // namespace llm
