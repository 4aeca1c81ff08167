// The wire formats lingopipe speaks, one pure codec per provider family:
// request → HTTP request, HTTP response → result or classified error.
//   openai     OpenAI and every compatible server (vLLM, llama.cpp, Ollama's
//              /v1, LM Studio, OpenRouter, Gemini, Mistral, Groq, DeepSeek)
//   azure      Azure OpenAI: deployment URL with api-version, or the v1 URL;
//              api-key header
//   anthropic  Anthropic Messages API
//   ollama     Ollama's native /api/chat
#pragma once

#include "llm/chat.hpp"
#include "llm/http.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llm {

enum class Provider { openai, azure, anthropic, ollama };

std::optional<Provider> provider_from_name(std::string_view name);
const char* provider_name(Provider provider);

struct Endpoint {
  Provider provider = Provider::openai;
  std::string base_url;
  std::string api_key;                // empty: no auth header
  bool reasoning_model = false;       // openai/azure: max_completion_tokens, no temperature
  std::string deployment;             // azure classic: .../openai/deployments/<deployment>
  std::string api_version;            // azure classic: ?api-version=
  std::string anthropic_version = "2023-06-01";
  int num_ctx_max = 32768;            // ollama: cap on options.num_ctx
  std::string keep_alive = "30m";     // ollama
  bool stream = false;                // ask for a streamed answer (SSE / NDJSON)
  TransferLimits transfer;            // timeouts and CA for this endpoint's requests
};

using Encode = HttpRequest (*)(const ChatRequest& request, const Endpoint& endpoint);
using Decode = ChatOutcome (*)(const HttpResponse& response, const ChatRequest& request);

struct Codec {
  Encode encode;
  Decode decode;
};

const Codec& codec_for(Provider provider);

HttpRequest encode_openai(const ChatRequest& request, const Endpoint& endpoint);
ChatOutcome decode_openai(const HttpResponse& response, const ChatRequest& request);
HttpRequest encode_azure(const ChatRequest& request, const Endpoint& endpoint);
HttpRequest encode_anthropic(const ChatRequest& request, const Endpoint& endpoint);
ChatOutcome decode_anthropic(const HttpResponse& response, const ChatRequest& request);
HttpRequest encode_ollama(const ChatRequest& request, const Endpoint& endpoint);
ChatOutcome decode_ollama(const HttpResponse& response, const ChatRequest& request);

// The context Ollama is asked for: prompt estimate with a quarter's margin
// plus the output budget, rounded up to 1,024 tokens, at most num_ctx_max.
int ollama_num_ctx(const ChatRequest& request, const Endpoint& endpoint);

// The request that lists the models an endpoint serves (GET /models,
// Anthropic's /v1/models, Ollama's /api/tags), with the endpoint's auth.
HttpRequest models_request(const Endpoint& endpoint);
// llama.cpp's GET /props or GET /slots at the server's root (beside /v1),
// with the endpoint's auth; and the per-slot context either reports
// (/props: default_generation_settings.n_ctx; /slots: each slot's n_ctx, the
// smallest), nullopt from any other server.
HttpRequest llama_request(const Endpoint& endpoint, std::string_view path);
std::optional<int> slot_context(const HttpResponse& response);

// Model ids in a models listing of any of those shapes.
std::vector<std::string> listed_models(const HttpResponse& response);

// Ollama's silent prompt truncation, seen in prompt_eval_count: an
// input_too_long error, or nullopt when the prompt was read whole.
std::optional<ChatError> ollama_prompt_cut(const ChatResult& result, const ChatRequest& request);
// True when a server says it read `read_tokens` of the prompt and that is
// under half the estimate: it dropped the rest to fit its context.
bool read_in_part(int read_tokens, const ChatRequest& request);

// base_url without trailing slashes, plus `path`.
std::string join_url(const std::string& base_url, std::string_view path);

} // namespace llm
