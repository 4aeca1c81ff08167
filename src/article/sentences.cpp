#include "article/sentences.hpp"

#include "util/text.hpp"

#include <utf8proc.h>

namespace article {

namespace {

bool is_terminal(char c) { return c == '.' || c == '!' || c == '?'; }

// Length of a closing quote or bracket at `pos` (multi-byte aware), else 0.
size_t closing_at(std::string_view s, size_t pos) {
  for (std::string_view q : {"\"", "'", ")", "]", "\u201C", "\u201D", "\u2019", "\u00AB",
                             "\u00BB", "\u203A", "\u2026"}) {
    if (s.substr(pos).starts_with(q)) {
      return q.size();
    }
  }
  return 0;
}

utf8proc_int32_t codepoint_at(std::string_view s, size_t pos) {
  utf8proc_int32_t cp = -1;
  utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + pos),
                   static_cast<utf8proc_ssize_t>(s.size() - pos), &cp);
  return cp;
}

// A sentence starts with an upper-case letter, a digit or an opening quote.
bool starts_sentence(std::string_view s, size_t pos) {
  if (pos >= s.size()) {
    return false;
  }
  for (std::string_view q : {"\"", "\u201E", "\u201C", "\u00BB", "\u00AB", "(", "'"}) {
    if (s.substr(pos).starts_with(q)) {
      return true;
    }
  }
  utf8proc_int32_t cp = codepoint_at(s, pos);
  auto cat = utf8proc_category(cp);
  return cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT ||
         cat == UTF8PROC_CATEGORY_ND;
}

// The word right before position `end` (exclusive), without leading punctuation.
std::string_view word_before(std::string_view s, size_t end) {
  size_t begin = s.find_last_of(" \t\n(\u00A0", end == 0 ? 0 : end - 1);
  begin = begin == std::string_view::npos ? 0 : begin + 1;
  return s.substr(begin, end - begin);
}

// A single upper-case letter, as in "Mark E. Zuckerberg".
bool is_initial(std::string_view w) {
  if (w.empty()) {
    return false;
  }
  utf8proc_int32_t cp = -1;
  auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(w.data()),
                            static_cast<utf8proc_ssize_t>(w.size()), &cp);
  return n == static_cast<utf8proc_ssize_t>(w.size()) &&
         utf8proc_category(cp) == UTF8PROC_CATEGORY_LU;
}

bool all_digits(std::string_view w) {
  return !w.empty() && w.find_first_not_of("0123456789") == std::string_view::npos;
}

} // namespace

SentenceSplitter::SentenceSplitter(std::vector<std::string> abbreviations)
  : m_abbreviations(std::move(abbreviations)) {}

// True when the period at `punct` belongs to a known abbreviation, including
// the inner periods of multi-part ones such as "z. B." and "d. h.".
bool SentenceSplitter::inside_abbreviation(std::string_view text, size_t punct) const {
  for (const auto& abbr : m_abbreviations) {
    for (size_t k = abbr.find('.'); k != std::string::npos; k = abbr.find('.', k + 1)) {
      if (k > punct || text.substr(punct - k, abbr.size()) != abbr) {
        continue;
      }
      size_t start = punct - k;
      if (start == 0 || text[start - 1] == ' ' || text[start - 1] == '(') {
        return true;
      }
    }
  }
  return false;
}

// `punct` is the terminal character, `next` the first byte after the closing
// quotes that follow it.
bool SentenceSplitter::is_boundary(std::string_view text, size_t punct, size_t next) const {
  if (next >= text.size() || (text[next] != ' ' && text[next] != '\t')) {
    return false; // "1.3", "www.example.com", "Nr.5": no space, no boundary
  }
  size_t start = text.find_first_not_of(" \t", next);
  if (start == std::string_view::npos || !starts_sentence(text, start)) {
    return false;
  }
  if (text[punct] != '.') {
    return true;
  }
  std::string_view word = word_before(text, punct);
  if (inside_abbreviation(text, punct)) {
    return false;
  }
  // Initials ("Mark E. Zuckerberg") and German ordinals ("am 1. Juli").
  if (is_initial(word) || (all_digits(word) && word.size() <= 2)) {
    return false;
  }
  return true;
}

std::vector<std::string_view> SentenceSplitter::split(std::string_view paragraph) const {
  std::vector<std::string_view> out;
  size_t begin = 0;
  for (size_t i = 0; i < paragraph.size(); ++i) {
    if (!is_terminal(paragraph[i])) {
      continue;
    }
    size_t next = i + 1;
    while (next < paragraph.size() && is_terminal(paragraph[next])) {
      ++next; // "?!" and "..."
    }
    while (size_t q = closing_at(paragraph, next)) {
      next += q;
    }
    if (is_boundary(paragraph, i, next)) {
      out.push_back(util::trim(paragraph.substr(begin, next - begin)));
      begin = next;
    }
    i = next - 1;
  }
  std::string_view rest = util::trim(paragraph.substr(begin));
  if (!rest.empty()) {
    out.push_back(rest);
  }
  return out;
}

std::vector<std::string> default_abbreviations() {
  return {"z. B.", "z.B.", "u. a.", "u.a.", "d. h.", "d.h.", "o. ä.", "s. o.", "u. U.",
          "Mio.",  "Mrd.", "Nr.",   "Dr.",  "Prof.", "bzw.", "usw.", "ca.",   "vgl.",
          "etc.",  "inkl.", "ggf.", "evtl.", "Jh.",  "Str.", "St.",  "Abb.",  "Tel.",
          "zzgl.", "bspw.", "sog.", "Hrsg.", "e.g.", "i.e.", "Mr.",  "Mrs.",  "Ms.",
          "vs.",   "Inc.",  "Corp.", "Ltd.", "Co.",  "No.",  "approx.", "Jan.", "Feb.",
          "Aug.",  "Sept.", "Okt.", "Nov.", "Dez.", "Dec.", "Oct."};
}

} // namespace article
