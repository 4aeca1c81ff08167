// Checks over what came back, run on read: changing them costs no requests.
// `tidy_answer` strips what a model wraps around an answer; the translation
// checks flag echoes and text still in the source language, a length ratio
// outside the configured bounds, lost numbers, URLs and product names, and
// glossary terms missing. Each problem is a short flag name that every
// export shows beside the text, with a detail for the run report.
#pragma once

#include "config/config.hpp"
#include "pipeline/glossary.hpp"
#include "pipeline/results.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace pipeline {

// Without <think> blocks, a preamble line ("Here is the translation:",
// "Sure!"), an epilogue ("I hope this helps"), or quotes or a code fence
// around the whole answer.
std::string tidy_answer(std::string_view answer);

class Checker {
public:
  Checker(const config::Config& config, Glossary glossary);

  // The glossary entries that occur in `source` (they go into its prompt).
  std::vector<GlossaryEntry> glossary_for(std::string_view source) const { return m_glossary.matching(source); }
  static std::string glossary_prompt(const std::vector<GlossaryEntry>& e) { return Glossary::prompt_block(e); }

  // `source`: the text sent; `source_language`: the article's ISO code.
  std::vector<CheckProblem> check_translation(std::string_view source, std::string_view translation,
                                              const std::string& source_language) const;

  const std::string& target_language() const { return m_target; }

private:
  config::Checks m_options;
  Glossary m_glossary;
  std::string m_target;               // ISO code of languages.target
};

// The repair instruction's list of problems, one per line.
std::string describe_problems(const std::vector<CheckProblem>& problems);

// The flags every export shows for a section: its check problems, plus
// "translation-missing" and "summary-missing".
std::vector<std::string> section_flags(const article::Section& section, const SectionOutput& out);

// Adds `flag` unless `flags` has it: an article's flags are the union of its
// sections' flags, in first-seen order.
void add_flag(std::vector<std::string>& flags, const std::string& flag);

} // namespace pipeline
