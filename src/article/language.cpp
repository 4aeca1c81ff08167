#include "article/language.hpp"

#include <cstdio> // compact_lang_det.h uses FILE without including it

#include <cld2/public/compact_lang_det.h>

#include <algorithm>
#include <cctype>

namespace article {

namespace {

// CLD2 names languages in capitals ("GERMAN"); prompts and reports want "German".
std::string title_case(std::string_view upper) {
  std::string out(upper);
  bool word_start = true;
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    c = static_cast<char>(word_start ? std::toupper(u) : std::tolower(u));
    word_start = !std::isalpha(u);
  }
  return out;
}

// CLD2 knows codes as written ("de", "zh-Hant") and names in capitals.
CLD2::Language lookup(std::string_view name_or_code) {
  const std::string s(name_or_code);
  CLD2::Language lang = CLD2::GetLanguageFromName(s.c_str());
  if (lang == CLD2::UNKNOWN_LANGUAGE) {
    std::string upper = s;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    lang = CLD2::GetLanguageFromName(upper.c_str());
  }
  return lang;
}

bool known(CLD2::Language lang) {
  return lang != CLD2::UNKNOWN_LANGUAGE && lang != CLD2::TG_UNKNOWN_LANGUAGE;
}

} // namespace

DetectedLanguage detect_language(std::string_view text) {
  const bool has_letters = std::ranges::any_of(text, [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x80 || std::isalpha(u);
  });
  if (!has_letters) return {}; // CLD2 would answer English, unreliably
  bool reliable = false;
  int valid_prefix = 0;
  const CLD2::Language lang = CLD2::DetectLanguageCheckUTF8(
    text.data(), static_cast<int>(text.size()), true, &reliable, &valid_prefix);
  if (!known(lang)) return {};
  return {CLD2::LanguageCode(lang), title_case(CLD2::LanguageName(lang)), reliable};
}

std::string language_code(std::string_view name_or_code) {
  const CLD2::Language lang = lookup(name_or_code);
  return known(lang) ? CLD2::LanguageCode(lang) : std::string();
}

std::string language_name(std::string_view name_or_code) {
  const CLD2::Language lang = lookup(name_or_code);
  return known(lang) ? title_case(CLD2::LanguageName(lang)) : std::string(name_or_code);
}

} // namespace article
