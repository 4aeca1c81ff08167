// OpenAI chat completions, spoken by OpenAI and every compatible server
// (vLLM, llama.cpp, Ollama's /v1, LM Studio, OpenRouter, ...). Pure functions:
// request → HTTP request, HTTP response → result or classified error
// (PROTOCOLS.md §2, §10).
#pragma once

#include "llm/chat.hpp"
#include "llm/http.hpp"

#include <string>

namespace llm {

struct Endpoint {
  std::string base_url;               // ".../v1"; "/chat/completions" is appended
  std::string api_key;                // empty: no Authorization header
};

HttpRequest encode_openai(const ChatRequest& request, const Endpoint& endpoint);
ChatOutcome decode_openai(const HttpResponse& response);

// Server-requested delay from retry-after-ms, then retry-after (seconds or an
// HTTP date), or nullopt.
std::optional<double> parse_retry_after(const HttpResponse& response);

} // namespace llm
