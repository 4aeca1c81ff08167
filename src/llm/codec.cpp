#include "llm/codec.hpp"

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

std::string join_url(const std::string& base_url, std::string_view path) {
  std::string base = base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + std::string(path);
}

} // namespace llm
