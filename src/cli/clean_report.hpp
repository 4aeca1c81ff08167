// Printing what cleaning removed: shared by `clean --report` and `run --dry-run`.
#pragma once

#include "article/article.hpp"

#include <vector>

namespace cli {

// One line per removal: "removed <file>:<line> [<rule>; <detail>]: <text>".
void print_removals(const article::Article& a, const std::vector<article::Removal>& removals);

} // namespace cli
