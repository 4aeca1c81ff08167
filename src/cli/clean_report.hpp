// Printing what preparing the articles found: shared by `clean`, `run` and `export`.
#pragma once

#include "article/article.hpp"
#include "pipeline/prepare.hpp"

#include <vector>

namespace cli {

// One line per removal: "removed <file>:<line> [<rule>; <detail>]: <text>".
void print_removals(const article::Article& a, const std::vector<article::Removal>& removals);

// Logs a chunk's load problems and warnings as it is prepared.
void report_problems(const pipeline::Prepared& chunk);

} // namespace cli
