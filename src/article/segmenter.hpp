// Splits a cleaned article into title, lead and sections at headings, then
// splits any section over the token budget at paragraph, then sentence
// boundaries (never inside a sentence).
//
// Plain text: a heading is a single-line paragraph of at most
// heading_max_chars / heading_max_words that does not end in . , ; : or !
// and is followed by a paragraph. Markdown: ATX headings (# ...). Lists and
// short statistic lines stay in the section they appear in.
#pragma once

#include "article/article.hpp"
#include "article/sentences.hpp"
#include "config/config.hpp"

#include <string>
#include <vector>

namespace article {

class Segmenter {
public:
  explicit Segmenter(const config::Segment& options);

  Document segment(const Article& article, const std::vector<std::string>& clean_lines) const;

  // Chunks of `paragraphs` that each fit max_chunk_tokens where possible.
  std::vector<std::string> chunk(const std::vector<std::string>& paragraphs) const;

  // Two halves of `text` of about equal size, cut between paragraphs, else
  // between sentences; `text` alone when it is a single sentence. For a
  // section the server says is too long.
  std::vector<std::string> halve(std::string_view text) const;

private:
  bool is_heading(const std::string& paragraph, bool markdown, bool has_next) const;

  config::Segment m_options;
  SentenceSplitter m_sentences;
};

} // namespace article
