// Small string helpers shared by the stages.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace util {

std::string_view trim(std::string_view s);
std::vector<std::string_view> split_lines(std::string_view text);
bool starts_with_icase(std::string_view s, std::string_view prefix);
std::string to_lower_ascii(std::string_view s);
// Levenshtein distance, for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);
// Lowercase ASCII letters, digits and '-' only; other runs become one '-'.
std::string slugify(std::string_view s);

} // namespace util
