// Finds and reads articles: files or folders (recursively, sorted), .txt,
// .md and .html. A bad file is reported, not fatal: the other articles still
// run.
#pragma once

#include "article/article.hpp"

#include <filesystem>
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

// Reads one file into an Article (id not set): decoded to UTF-8, front matter
// split off, HTML extracted. Throws util::Error naming the file.
Article load_article(const std::filesystem::path& path);

} // namespace article
