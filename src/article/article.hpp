// The article model: what the loader reads, the cleaner keeps and the
// segmenter splits into translatable sections.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace article {

struct Article {
  std::string id;                     // stable: derived from the path relative to its input
  std::filesystem::path source;
  std::string format;                 // "txt" or "md"
  std::string text;                   // valid UTF-8, BOM stripped
};

enum class SectionKind { title, lead, body };

struct Section {
  std::string id;                     // "<article id>#<index>" or "#<index>.<part>" for chunks
  SectionKind kind = SectionKind::body;
  int index = 0;                      // position in the article; title is 0
  int part = 1;                       // 1-based chunk number within the section
  int parts = 1;
  std::string heading;                // source-language heading, empty for title and lead
  std::string text;                   // the text to translate
};

struct Document {
  Article article;
  std::string title;                  // source-language title
  std::vector<Section> sections;      // title first, then lead and body chunks
};

const char* kind_name(SectionKind kind);

} // namespace article
