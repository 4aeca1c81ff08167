// Optional YAML front matter at the top of a .txt or .md article:
//
//   ---
//   title: ...
//   url: https://...
//   date: 2025-01-30
//   language: German
//   source: heise.de
//   ---
//
// It is metadata, never text to translate: it is cut from the body before
// cleaning, and the body's line numbers are kept for cleaning reports.
#pragma once

#include "article/article.hpp"

#include <filesystem>
#include <string>

namespace article {

struct FrontMatter {
  Metadata meta;
  std::string body;                   // the text after the closing ---
  int body_line = 1;                  // the body's first line in the file
};

// Throws util::Error naming "path:line: front matter: problem; what to do".
FrontMatter split_front_matter(const std::filesystem::path& path, std::string text);

} // namespace article
