// load → clean → segment for a set of inputs: what both `run` and `export`
// start from, so they plan identical jobs and therefore identical cache keys.
#pragma once

#include "article/article.hpp"
#include "article/cleaner.hpp"
#include "article/loader.hpp"
#include "config/config.hpp"

#include <string>
#include <vector>

namespace pipeline {

struct Prepared {
  std::vector<article::Document> docs;
  std::vector<std::vector<article::Removal>> removals; // parallel to docs
  std::vector<article::LoadProblem> problems;
};

Prepared prepare(const config::Config& config, const std::vector<std::string>& paths);

// Which articles an export covers; empty fields select everything.
struct Selection {
  std::string glob;                   // matched (fnmatch) against the id and the file path
  std::string since;                  // YYYY-MM-DD; undated articles are left out
};

// Keeps the selected documents (and their removals); returns how many it
// left out.
int select(Prepared& prepared, const Selection& selection);

} // namespace pipeline
