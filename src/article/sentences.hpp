// Splits a paragraph into sentences without breaking inside one: known
// abbreviations ("z. B.", "Mio.", "Nr.", "e.g."), initials, ordinals ("1. Juli"),
// decimal points and commas, and closing quotes („…“, "…", »…«) are respected.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace article {

class SentenceSplitter {
public:
  explicit SentenceSplitter(std::vector<std::string> abbreviations);

  std::vector<std::string_view> split(std::string_view paragraph) const;

private:
  bool is_boundary(std::string_view text, size_t punct, size_t next) const;
  bool inside_abbreviation(std::string_view text, size_t punct) const;

  std::vector<std::string> m_abbreviations;
};

// Abbreviations used when config.yaml names none (German and English).
std::vector<std::string> default_abbreviations();

} // namespace article
