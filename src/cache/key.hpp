// The cache key: SHA-256 over a versioned, field-tagged serialization of
// everything that changes a model's answer: provider kind, model, generation
// parameters and the fully rendered messages (so prompt edits, context and
// glossary entries all count). Never the API key, the base URL or a time.
//
// Serialization: "lingopipe-cache-v1" then, per field, "\x1f<tag>=<length>:<value>",
// so no value can be confused with a delimiter.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace cache {

struct KeyInput {
  std::string provider;
  std::string model;
  std::vector<std::pair<std::string, std::string>> params;   // name → canonical value
  std::vector<std::pair<std::string, std::string>> messages; // role → content
};

std::string cache_key(const KeyInput& input);

// The serialized inputs, readable, for `-v` debugging of unexpected misses.
std::string describe_key_inputs(const KeyInput& input);

} // namespace cache
