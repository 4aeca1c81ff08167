// Numbers as a reader means them, so a translation can be checked for lost
// figures across number conventions: German "1,3 Millionen", "60 bis 65
// Milliarden", "27 %", "2.500" and English "1.3 million", "60 to 65
// billion", "27%", "2,500" hold the same numbers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pipeline {

struct NumberMention {
  double value = 0;                   // as written: 1.3 for "1,3 Millionen"
  double scaled = 0;                  // with its scale word: 1.3e6
  std::string text;                   // "1,3 Millionen"
};

// `language`: ISO code of the text ("de"); it decides whether ',' or '.' is
// the decimal mark and which scale words count. Dates and version strings
// ("30.01.2025", "1.2.3") are not numbers here.
std::vector<NumberMention> find_numbers(std::string_view text, const std::string& language);

// The mentions of `source` that `translation` does not hold, by value or by
// scaled value (so "1,3 Millionen" may become "1.3 million" or "1,300,000").
std::vector<std::string> lost_numbers(std::string_view source, const std::string& source_language,
                                      std::string_view translation, const std::string& target_language);

} // namespace pipeline
