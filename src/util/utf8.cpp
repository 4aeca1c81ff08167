#include "util/utf8.hpp"

#include <utf8proc.h>

namespace util {

namespace {

utf8proc_ssize_t next_codepoint(std::string_view text, size_t pos, utf8proc_int32_t& cp) {
  return utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(text.data() + pos),
                          static_cast<utf8proc_ssize_t>(text.size() - pos), &cp);
}

} // namespace

std::optional<size_t> find_invalid_utf8(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t n = next_codepoint(text, pos, cp);
    if (n <= 0 || cp < 0) {
      return pos;
    }
    pos += static_cast<size_t>(n);
  }
  return std::nullopt;
}

size_t utf8_length(std::string_view text) {
  size_t count = 0;
  for (unsigned char c : text) {
    count += (c & 0xC0) != 0x80; // count lead bytes only
  }
  return count;
}

std::string_view utf8_prefix(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) {
    return text;
  }
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  return text.substr(0, end);
}

} // namespace util
