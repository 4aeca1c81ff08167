// Checks over what came back, run on read: changing them costs no requests.
// Each problem is a short flag name that every export shows beside the text.
#pragma once

#include "pipeline/results.hpp"

#include <string>
#include <vector>

namespace pipeline {

// "translation-missing", "summary-missing", "untranslated" (the answer is the
// source text again).
std::vector<std::string> section_flags(const article::Section& section, const SectionOutput& out);

// The union of the section flags, in first-seen order, plus
// "summary-missing" for the article summary.
std::vector<std::string> article_flags(const ArticleOutput& article);

} // namespace pipeline
