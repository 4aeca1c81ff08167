#include "util/utf8.hpp"

#include <utf8proc.h>

namespace util {

namespace {

utf8proc_ssize_t next_codepoint(std::string_view text, size_t pos, utf8proc_int32_t& cp) {
  return utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(text.data() + pos),
                          static_cast<utf8proc_ssize_t>(text.size() - pos), &cp);
}

bool is_space(utf8proc_int32_t cp) {
  if (cp < 0x80) return cp <= 0x20 || cp == 0x7F;
  const auto cat = utf8proc_category(cp);
  return cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL || cat == UTF8PROC_CATEGORY_ZP;
}

bool is_word_char(utf8proc_int32_t cp) {
  switch (utf8proc_category(cp)) {
  case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
  case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
  case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ND:
    return true;
  default:
    return false;
  }
}

void append_utf8(std::string& out, utf8proc_int32_t cp) {
  utf8proc_uint8_t buffer[4];
  const auto n = utf8proc_encode_char(cp, buffer);
  out.append(reinterpret_cast<const char*>(buffer), static_cast<size_t>(n));
}

} // namespace

size_t visible_length(std::string_view text) {
  size_t count = 0;
  for (size_t pos = 0; pos < text.size();) {
    const auto byte = static_cast<unsigned char>(text[pos]);
    if (byte < 0x80) { // most text is ASCII: no decoding
      count += byte > 0x20 && byte != 0x7F;
      ++pos;
      continue;
    }
    utf8proc_int32_t cp = 0;
    const utf8proc_ssize_t n = next_codepoint(text, pos, cp);
    if (n <= 0) return count;
    count += !is_space(cp);
    pos += static_cast<size_t>(n);
  }
  return count;
}

std::vector<std::string> lower_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (size_t pos = 0; pos < text.size();) {
    utf8proc_int32_t cp = 0;
    const utf8proc_ssize_t n = next_codepoint(text, pos, cp);
    if (n <= 0) break;
    pos += static_cast<size_t>(n);
    utf8proc_int32_t next = 0;
    const bool joiner = (cp == '\'' || cp == 0x2019 || cp == '-') && !word.empty() &&
                        pos < text.size() && next_codepoint(text, pos, next) > 0 && is_word_char(next);
    if (is_word_char(cp)) {
      append_utf8(word, utf8proc_tolower(cp));
    } else if (joiner) { // "l'entreprise", "KI-Bündnis" stay one word
      append_utf8(word, cp);
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

std::string lower_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    utf8proc_int32_t cp = 0;
    const utf8proc_ssize_t n = next_codepoint(text, pos, cp);
    if (n <= 0) break;
    append_utf8(out, utf8proc_tolower(cp));
    pos += static_cast<size_t>(n);
  }
  return out;
}

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
