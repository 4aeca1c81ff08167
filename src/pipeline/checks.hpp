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

// Adds `flag` unless `flags` has it: an article's flags are the union of its
// sections' flags, in first-seen order.
void add_flag(std::vector<std::string>& flags, const std::string& flag);

} // namespace pipeline
