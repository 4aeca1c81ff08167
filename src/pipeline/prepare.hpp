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

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace pipeline {

// An article a batch run let go while its batches ran, to be prepared again.
struct Revisit {
  std::filesystem::path source;
  std::string id;                     // as the first time (ids are made unique in input order)
};

struct Prepared {
  std::vector<article::Document> docs;
  std::vector<std::vector<article::Removal>> removals; // parallel to docs: extraction, then cleaning
  std::vector<article::Accounting> accounting;         // parallel to docs
  std::vector<article::LoadProblem> problems;
  std::vector<std::string> warnings;
};

// Prepares the inputs a chunk at a time, in input order, so a run holds only
// the articles it is working on and its first request leaves after the first
// chunk, not after the whole batch. Lines repeated across a site's articles
// are the one batch-wide signal: with it on, the first call reads every
// article once to count them (by hash, no text kept) before preparing any.
class Preparer {
public:
  Preparer(const config::Config& config, const std::vector<std::string>& paths);
  ~Preparer();
  Preparer(Preparer&&) noexcept;

  // The next `max` input files, prepared; the inputs' own problems (a
  // missing folder) come with the first chunk.
  Prepared next(size_t max);
  // Once every file was prepared: a preparer of these files again, each
  // with the id it had, cleaned with the same rules and counts.
  Preparer revisit(const std::vector<Revisit>& articles) &&;
  bool done() const;
  size_t files() const;               // found in the inputs: what the chunks add up to

private:
  struct State;
  std::unique_ptr<State> m_state;
};

// Every input in one chunk (the commands take chunks; tests compare them with this).
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
