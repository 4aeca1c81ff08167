#include "pipeline/checks.hpp"

#include <algorithm>

namespace pipeline {

namespace {

// Letters and digits only, so that Markdown heading marks, line breaks and
// spacing do not hide an echoed source text.
std::string fingerprint(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    const bool ascii_alnum = static_cast<unsigned>((c | 0x20) - 'a') < 26 || static_cast<unsigned>(c - '0') < 10;
    if (c >= 0x80 || ascii_alnum) out += static_cast<char>(c);
  }
  return out;
}

bool is_echo(const article::Section& section, const std::string& translation) {
  const std::string source = fingerprint(section.heading + section.text);
  return !source.empty() && fingerprint(translation) == source;
}

} // namespace

void add_flag(std::vector<std::string>& flags, const std::string& flag) {
  if (std::ranges::find(flags, flag) == flags.end()) flags.push_back(flag);
}

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

} // namespace pipeline
