// UTF-8 helpers built on utf8proc.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace util {

// Byte offset of the first invalid UTF-8 sequence, or nullopt when valid.
std::optional<size_t> find_invalid_utf8(std::string_view text);

// Number of code points; `text` must be valid UTF-8.
size_t utf8_length(std::string_view text);

// Largest prefix of `text` of at most `max_bytes` that does not cut a code point.
std::string_view utf8_prefix(std::string_view text, size_t max_bytes);

} // namespace util
