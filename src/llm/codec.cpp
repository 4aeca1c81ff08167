#include "llm/codec.hpp"

#include <nlohmann/json.hpp>

namespace llm {

std::optional<Provider> provider_from_name(std::string_view name) {
  if (name == "openai") return Provider::openai;
  if (name == "azure") return Provider::azure;
  if (name == "anthropic") return Provider::anthropic;
  if (name == "ollama") return Provider::ollama;
  return std::nullopt;
}

const char* provider_name(Provider provider) {
  switch (provider) {
  case Provider::openai: return "openai";
  case Provider::azure: return "azure";
  case Provider::anthropic: return "anthropic";
  case Provider::ollama: return "ollama";
  }
  return "openai";
}

const Codec& codec_for(Provider provider) {
  static const Codec openai{encode_openai, decode_openai};
  static const Codec azure{encode_azure, decode_openai}; // Azure answers in OpenAI's shape
  static const Codec anthropic{encode_anthropic, decode_anthropic};
  static const Codec ollama{encode_ollama, decode_ollama};
  switch (provider) {
  case Provider::openai: return openai;
  case Provider::azure: return azure;
  case Provider::anthropic: return anthropic;
  case Provider::ollama: return ollama;
  }
  return openai;
}

HttpRequest models_request(const Endpoint& endpoint) {
  // The chat request carries exactly the auth headers each provider wants.
  HttpRequest http = codec_for(endpoint.provider).encode(ChatRequest{}, endpoint);
  http.method = "GET";
  http.body.clear();
  switch (endpoint.provider) {
  case Provider::ollama: http.url = join_url(endpoint.base_url, "/api/tags"); break;
  case Provider::anthropic: {
    const std::string base = join_url(endpoint.base_url, "");
    http.url = base + (base.ends_with("/v1") ? "/models" : "/v1/models");
    break;
  }
  case Provider::azure:
    http.url = endpoint.deployment.empty()
                 ? join_url(endpoint.base_url, "/models")
                 : join_url(endpoint.base_url, "/openai/models?api-version=" + endpoint.api_version);
    break;
  case Provider::openai: http.url = join_url(endpoint.base_url, "/models"); break;
  }
  return http;
}

HttpRequest llama_request(const Endpoint& endpoint, std::string_view path) {
  HttpRequest http = models_request(endpoint);
  std::string root = join_url(endpoint.base_url, "");
  if (root.ends_with("/v1")) root.resize(root.size() - 3);
  http.url = root + std::string(path);
  return http;
}

namespace {

std::optional<int> n_ctx_of(const nlohmann::json& object) {
  if (!object.is_object() || !object.value("n_ctx", nlohmann::json()).is_number_integer()) return std::nullopt;
  const int n_ctx = object["n_ctx"].get<int>();
  return n_ctx > 0 ? std::optional(n_ctx) : std::nullopt;
}

} // namespace

std::optional<int> slot_context(const HttpResponse& response) {
  if (response.status != 200) return std::nullopt;
  const nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_object()) {
    return n_ctx_of(body.value("default_generation_settings", nlohmann::json())); // /props
  }
  std::optional<int> smallest; // /slots: the smallest slot decides what any request may hold
  for (const auto& slot : body.is_array() ? body : nlohmann::json::array()) {
    if (const auto n_ctx = n_ctx_of(slot)) smallest = std::min(smallest.value_or(*n_ctx), *n_ctx);
  }
  return smallest;
}

std::vector<std::string> listed_models(const HttpResponse& response) {
  std::vector<std::string> ids;
  const nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
  if (!body.is_object()) return ids;
  for (const char* list : {"data", "models"}) { // OpenAI, Anthropic: data[].id; Ollama: models[].name
    for (const auto& m : body.value(list, nlohmann::json::array())) {
      if (!m.is_object()) continue;
      for (const char* field : {"id", "name", "model"}) {
        if (m.contains(field) && m[field].is_string()) {
          ids.push_back(m[field]);
          break;
        }
      }
    }
  }
  return ids;
}

std::string join_url(const std::string& base_url, std::string_view path) {
  std::string base = base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + std::string(path);
}

} // namespace llm
