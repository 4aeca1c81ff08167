#include "cache/key.hpp"

#include "util/hash.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace cache {

namespace {

constexpr std::string_view k_key_version = "lingopipe-cache-v1";

void field(std::string& out, std::string_view tag, std::string_view value) {
  out += fmt::format("\x1f{}={}:", tag, value.size());
  out += value;
}

std::string serialize(const KeyInput& in) {
  std::string out(k_key_version);
  field(out, "provider", in.provider);
  field(out, "model", in.model);
  for (const auto& [name, value] : in.params) {
    field(out, "param." + name, value);
  }
  for (const auto& [role, content] : in.messages) {
    field(out, "message." + role, content);
  }
  return out;
}

} // namespace

std::string cache_key(const KeyInput& input) { return util::sha256_hex(serialize(input)); }

std::string describe_key_inputs(const KeyInput& input) {
  std::string s = serialize(input);
  std::ranges::replace(s, '\x1f', '\n');
  return s;
}

} // namespace cache
