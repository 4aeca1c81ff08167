// UTF-8 helpers built on utf8proc.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace util {

// Byte offset of the first invalid UTF-8 sequence, or nullopt when valid.
std::optional<size_t> find_invalid_utf8(std::string_view text);

// Number of code points; `text` must be valid UTF-8.
size_t utf8_length(std::string_view text);

// Code points that are not white space (Unicode category Z or ASCII controls).
size_t visible_length(std::string_view text);

// The words of `text` (runs of letters, digits and inner apostrophes or
// hyphens), lowercased by Unicode rules; `text` must be valid UTF-8.
std::vector<std::string> lower_words(std::string_view text);

// `text` lowercased by Unicode rules (for case-insensitive comparison).
std::string lower_utf8(std::string_view text);

// Largest prefix of `text` of at most `max_bytes` that does not cut a code point.
std::string_view utf8_prefix(std::string_view text, size_t max_bytes);

} // namespace util
