// Finds and reads articles: files or folders (recursively, sorted), .txt,
// .md and .html. A bad file is reported, not fatal: the other articles still
// run.
#pragma once

#include "article/article.hpp"

#include <filesystem>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace article {

struct LoadProblem {
  std::filesystem::path path;
  std::string message;                // complete: names the file and what to do
};

struct LoadResult {
  std::vector<Article> articles;
  std::vector<LoadProblem> problems;
  std::vector<std::string> warnings;  // e.g. a file read as Windows-1252
};

LoadResult load_articles(const std::vector<std::filesystem::path>& inputs);

// The same in two steps, so a large batch can be read a chunk at a time:
// first the files (in the order they are read), then any run of them.
struct Candidate {
  std::filesystem::path path;
  std::filesystem::path relative;     // to the input folder: the article's id
};

struct Found {
  std::vector<Candidate> candidates;
  std::vector<LoadProblem> problems;  // inputs that are missing or hold no article
};

Found find_articles(const std::vector<std::filesystem::path>& inputs);

// Reads `candidates` on every core; each id is made unique against `taken`,
// which keeps them, so chunks read in order get the ids one read would.
LoadResult load_candidates(std::span<const Candidate> candidates, std::set<std::string>& taken);

// Reads one file into an Article (id not set): decoded to UTF-8, front matter
// split off, HTML extracted. Throws util::Error naming the file.
Article load_article(const std::filesystem::path& path);

} // namespace article
