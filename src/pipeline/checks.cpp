#include "pipeline/checks.hpp"

#include <algorithm>
#include <cctype>

namespace pipeline {

namespace {

// Letters and digits only, so that Markdown heading marks, line breaks and
// spacing do not hide an echoed source text.
std::string fingerprint(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c >= 0x80 || std::isalnum(c)) out += static_cast<char>(c);
  }
  return out;
}

bool is_echo(const article::Section& section, const std::string& translation) {
  const std::string source = fingerprint(section.heading + section.text);
  return !source.empty() && fingerprint(translation) == source;
}

void add_unique(std::vector<std::string>& flags, const std::string& flag) {
  if (std::ranges::find(flags, flag) == flags.end()) flags.push_back(flag);
}

} // namespace

std::vector<std::string> section_flags(const article::Section& section, const SectionOutput& out) {
  std::vector<std::string> flags;
  if (!out.translation) {
    flags.emplace_back("translation-missing");
  } else if (is_echo(section, out.translation->content)) {
    flags.emplace_back("untranslated");
  }
  if (section.kind != article::SectionKind::title && !out.summary) {
    flags.emplace_back("summary-missing");
  }
  return flags;
}

std::vector<std::string> article_flags(const ArticleOutput& article) {
  std::vector<std::string> flags;
  for (size_t s = 0; s < article.sections.size(); ++s) {
    for (const auto& f : section_flags(article.doc.sections[s], article.sections[s])) {
      add_unique(flags, f);
    }
  }
  if (!article.summary && article.doc.sections.size() > 1) add_unique(flags, "summary-missing");
  return flags;
}

} // namespace pipeline
