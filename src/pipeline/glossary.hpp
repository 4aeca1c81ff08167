// The glossary: a CSV of (source term, target term or "keep") named by
// config.yaml's `glossary`. Only the entries that occur in a section enter
// that section's translate prompt (and so its cache key); after translation
// each required term must appear in the answer.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace pipeline {

struct GlossaryEntry {
  std::string source;
  std::string target;                 // what the translation must contain (the source when kept)
  bool keep = false;
};

class Glossary {
public:
  Glossary() = default;
  // Reads the CSV (an optional header "source,target"; rows starting with #
  // are comments). Throws util::Error naming file and row of a bad row.
  static Glossary load(const std::filesystem::path& file);
  static Glossary parse(const std::string& csv, const std::filesystem::path& name);

  // Entries whose source term occurs in `text` as a whole word, in file order.
  std::vector<GlossaryEntry> matching(std::string_view text) const;

  // The prompt lines for `entries`; empty when there are none.
  static std::string prompt_block(const std::vector<GlossaryEntry>& entries);

  // The entries whose required term the translation lacks (case-insensitive).
  static std::vector<GlossaryEntry> violations(const std::vector<GlossaryEntry>& entries,
                                               std::string_view translation);

  size_t size() const { return m_entries.size(); }

private:
  std::vector<GlossaryEntry> m_entries;
};

} // namespace pipeline
