// The two signals beyond the configured rules, and the character accounting
// behind `lingopipe clean --report`:
//
// - repeated lines: a line found in many articles of the same site in one
//   batch is the site's chrome (menus, sign-up prompts, footers);
// - a score for short paragraphs: high link density, or short with no stop
//   words of the article's language, reads as a label, not as prose.
//
// Characters are counted without white space, so that reflowing a line does
// not move the balance: total = kept + the sum of what each reason removed.
#pragma once

#include "article/article.hpp"
#include "article/cleaner.hpp"
#include "config/config.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace article {

// Characters of one line that count: not white space, not a leading Markdown
// marker ("# ", "- ", "> ").
size_t counted_chars(std::string_view line);

struct ParagraphScore {
  double score = 0;                   // 0: prose .. 1: boilerplate
  double link_density = 0;            // share of characters inside URLs
  double stop_word_share = 0;         // of the words; -1: no list for the language
  size_t chars = 0;
};

// `language`: an ISO code ("de"); stop words are known for de, en, fr, es,
// it, nl, pt and pl, elsewhere only link density counts.
ParagraphScore score_paragraph(std::string_view text, const std::string& language);

// Drops short paragraphs scoring at or above options.threshold, except the
// first (the title) and those followed by a long paragraph (a heading).
void drop_scored_paragraphs(CleanResult& r, const std::string& language, const config::Score& options);

// Counts, per site, in how many articles each kept line occurs (first pass,
// every article); finish(); then drops lines that occur in at least
// min_articles and min_share of that site's articles (second pass). Lines
// are counted by a 64-bit hash, 8 bytes each until finish() keeps only the
// repeated ones, so the first pass over a large batch holds no text.
class RepeatedLines {
public:
  explicit RepeatedLines(const config::RepeatedLines& options) : m_options(options) {}
  bool enabled() const { return m_options.min_articles > 0; }
  void count(const std::string& site, const CleanResult& r);
  void finish();
  void drop(const std::string& site, CleanResult& r) const;

private:
  struct Site {
    int articles = 0;
    std::vector<uint64_t> seen;       // each article's distinct line hashes, until finish()
    std::unordered_map<uint64_t, int> repeated; // line hash -> articles holding it
  };
  config::RepeatedLines m_options;
  std::map<std::string, Site> m_sites;
};

struct Accounting {
  size_t total = 0;
  size_t kept = 0;
  std::map<std::string, size_t> removed; // by rule
};

// `original`: the article's text as cleaning began (for HTML, the extracted
// text; `extraction` then adds what the extractor left out).
Accounting account(std::string_view original, const CleanResult& cleaned,
                   const std::vector<Removal>& extraction);

} // namespace article
