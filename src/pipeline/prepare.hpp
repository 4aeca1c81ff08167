// load → clean → segment for a set of inputs: what `run`, `export` and
// `clean` start from, so they plan identical jobs and therefore identical
// cache keys. Cleaning uses three signals: the configured rules (plus a
// per-site rule file), lines repeated across a site's articles in the batch,
// and a score for short paragraphs; every removal is recorded with its reason.
#pragma once

#include "article/article.hpp"
#include "article/boilerplate.hpp"
#include "article/loader.hpp"
#include "config/config.hpp"

#include <string>
#include <vector>

namespace pipeline {

struct Prepared {
  std::vector<article::Document> docs;
  std::vector<std::vector<article::Removal>> removals; // parallel to docs: extraction, then cleaning
  std::vector<article::Accounting> accounting;         // parallel to docs
  std::vector<article::LoadProblem> problems;
  std::vector<std::string> warnings;
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
