// The article model: what the loader reads, the cleaner keeps and the
// segmenter splits into translatable sections.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace article {

// What the article says about itself (front matter, HTML meta tags); every
// field may be empty.
struct Metadata {
  std::string title;
  std::string url;
  std::string date;                   // ISO 8601, YYYY-MM-DD first
  std::string language;
  std::string site;                   // the publication, for grouping digests
  std::string author;
};

// Text left out of what is sent, and why.
struct Removal {
  int line = 0;                       // 1-based line in the source file
  std::string text;                   // the removed line, or the removed span
  std::string rule;                   // "<kind>:<name>", e.g. "block:newsletter", "html:comments"
  std::string detail;                 // why, where a rule name is not enough (scores, counts)
};

struct Article {
  std::string id;                     // stable: derived from the path relative to its input
  std::filesystem::path source;
  std::string format;                 // "txt", "md" or "html"
  std::string text;                   // valid UTF-8, BOM and front matter stripped; HTML: as Markdown
  Metadata meta;
  int first_line = 1;                 // text's first line in the file (after front matter)
  std::vector<Removal> extraction;    // HTML: what the extractor left out
  std::string warning;                // e.g. the charset was guessed
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
  Article article;                    // without its text and extraction: the sections hold the text
  std::string title;                  // source-language title
  std::vector<Section> sections;      // title first, then lead and body chunks
};

const char* kind_name(SectionKind kind);

} // namespace article
