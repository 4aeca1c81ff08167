// Language identification with CLD2 (Google's Compact Language Detector 2,
// Debian libcld2-dev). Chosen over libexttextcat on short news paragraphs:
// 93.8 % vs 90.0 % right on tests/fixtures/langid/paragraphs.tsv, 4 to 7 times
// faster, a reliability flag instead of a list of guesses, and no data files
// to install (scripts/langid_compare.cpp; docs/BENCHMARKS.md).
#pragma once

#include <string>
#include <string_view>

namespace article {

struct DetectedLanguage {
  std::string code;                   // ISO 639-1 where one exists, e.g. "de"; empty: unknown
  std::string name;                   // English name, e.g. "German"
  bool reliable = false;
};

DetectedLanguage detect_language(std::string_view utf8_text);

// The ISO code for a language given by name ("German", "german") or code
// ("de", "de-AT"); empty when CLD2 does not know it.
std::string language_code(std::string_view name_or_code);

// "German" for "de" or "GERMAN"; `name_or_code` itself when unknown.
std::string language_name(std::string_view name_or_code);

} // namespace article
