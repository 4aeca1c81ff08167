#define PCRE2_CODE_UNIT_WIDTH 8
#include "util/regex.hpp"

#include "util/error.hpp"

#include <pcre2.h>

#include <array>
#include <fmt/format.h>

namespace util {

void Pcre2CodeDeleter::operator()(pcre2_code* code) const { pcre2_code_free(code); }
void Pcre2MatchDataDeleter::operator()(pcre2_match_data* data) const {
  pcre2_match_data_free(data);
}

Regex::Regex(std::string_view pattern, std::string_view where) : m_pattern(pattern) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* raw = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                  PCRE2_UTF | PCRE2_UCP, &error, &offset, nullptr);
  m_code.reset(raw, Pcre2CodeDeleter{});
  if (!raw) {
    std::array<PCRE2_UCHAR, 256> message{};
    pcre2_get_error_message(error, message.data(), message.size());
    throw Error(fmt::format("{}: invalid regular expression '{}' at offset {}: {}", where,
                            pattern, offset, reinterpret_cast<const char*>(message.data())));
  }
  pcre2_jit_compile(raw, PCRE2_JIT_COMPLETE); // best effort: falls back to the interpreter
}

bool Regex::search(std::string_view text, Match* match, size_t start) const {
  std::unique_ptr<pcre2_match_data, Pcre2MatchDataDeleter> data(
    pcre2_match_data_create_from_pattern(m_code.get(), nullptr));
  // Subjects come from validated UTF-8 input, so the per-call check is skipped.
  int rc = pcre2_match(m_code.get(), reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(),
                       start, PCRE2_NO_UTF_CHECK, data.get(), nullptr);
  if (rc < 0) {
    return false;
  }
  if (match) {
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(data.get());
    match->begin = ov[0];
    match->end = ov[1];
  }
  return true;
}

} // namespace util
