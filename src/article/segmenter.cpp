#include "article/segmenter.hpp"

#include "article/tokens.hpp"
#include "util/text.hpp"
#include "util/utf8.hpp"

#include <fmt/format.h>

namespace article {

namespace {

// Paragraphs are runs of non-blank lines; lines inside one are kept as they
// are so lists survive.
std::vector<std::string> paragraphs_of(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  std::string current;
  for (const auto& raw : lines) {
    std::string_view line = util::trim(raw);
    if (line.empty()) {
      if (!current.empty()) {
        out.push_back(std::move(current));
        current.clear();
      }
      continue;
    }
    if (!current.empty()) {
      current += '\n';
    }
    current += line;
  }
  if (!current.empty()) {
    out.push_back(std::move(current));
  }
  return out;
}

bool is_markdown_heading(std::string_view p) {
  size_t hashes = p.find_first_not_of('#');
  return hashes > 0 && hashes <= 6 && hashes < p.size() && p[hashes] == ' ' &&
         p.find('\n') == std::string_view::npos;
}

std::string strip_markdown_heading(std::string_view p) {
  return std::string(util::trim(p.substr(p.find_first_not_of('#'))));
}

bool is_list_item(std::string_view p) {
  for (std::string_view bullet : {"\u2022", "- ", "* ", "\u2013 "}) {
    if (p.starts_with(bullet)) {
      return true;
    }
  }
  return false;
}

size_t word_count(std::string_view s) {
  size_t words = 0;
  bool in_word = false;
  for (char c : s) {
    bool space = c == ' ' || c == '\t';
    words += !space && !in_word;
    in_word = !space;
  }
  return words;
}

} // namespace

Segmenter::Segmenter(const config::Segment& options)
  : m_options(options),
    m_sentences(options.abbreviations.empty() ? default_abbreviations() : options.abbreviations) {}

bool Segmenter::is_heading(const std::string& p, bool markdown, bool has_next) const {
  if (markdown) {
    return is_markdown_heading(p);
  }
  if (!has_next || p.find('\n') != std::string::npos || is_list_item(p)) {
    return false;
  }
  if (util::utf8_length(p) > static_cast<size_t>(m_options.heading_max_chars) ||
      word_count(p) > static_cast<size_t>(m_options.heading_max_words)) {
    return false;
  }
  const char last = p.back();
  return last != '.' && last != ',' && last != ';' && last != ':' && last != '!';
}

std::vector<std::string> Segmenter::chunk(const std::vector<std::string>& paragraphs) const {
  const int budget = m_options.max_chunk_tokens;
  std::vector<std::string> pieces; // paragraphs, or sentences of paragraphs over budget
  std::vector<bool> starts_paragraph;
  for (const auto& p : paragraphs) {
    if (estimate_tokens(p) <= budget) {
      pieces.push_back(p);
      starts_paragraph.push_back(true);
      continue;
    }
    bool first = true;
    for (auto sentence : m_sentences.split(p)) {
      pieces.emplace_back(sentence);
      starts_paragraph.push_back(first);
      first = false;
    }
  }
  std::vector<std::string> chunks;
  std::string current;
  size_t current_length = 0; // in code points, so the estimate needs no joined copy
  for (size_t i = 0; i < pieces.size(); ++i) {
    const std::string_view sep = starts_paragraph[i] ? "\n\n" : " ";
    const size_t length = util::utf8_length(pieces[i]);
    if (!current.empty() && estimate_tokens_for_length(current_length + sep.size() + length) > budget) {
      chunks.push_back(std::move(current));
      current.clear();
      current_length = 0;
    }
    if (!current.empty()) {
      current += sep;
      current_length += sep.size();
    }
    current += pieces[i];
    current_length += length;
  }
  if (!current.empty()) {
    chunks.push_back(std::move(current));
  }
  return chunks;
}

std::vector<std::string> Segmenter::halve(std::string_view text) const {
  std::vector<std::string_view> pieces;
  std::string_view separator = "\n\n";
  for (size_t pos = 0; pos <= text.size();) {
    const size_t end = std::min(text.find("\n\n", pos), text.size());
    if (auto p = util::trim(text.substr(pos, end - pos)); !p.empty()) pieces.push_back(p);
    pos = end + 2;
  }
  if (pieces.size() < 2) {
    pieces = m_sentences.split(util::trim(text));
    separator = " ";
  }
  if (pieces.size() < 2) {
    return {std::string(text)};
  }
  // Cut where the first half's size comes closest to half of the whole.
  size_t best = 1;
  size_t before = 0;
  size_t best_distance = text.size();
  for (size_t k = 1; k < pieces.size(); ++k) {
    before += pieces[k - 1].size();
    const size_t distance = before * 2 > text.size() ? before * 2 - text.size() : text.size() - before * 2;
    if (distance < best_distance) {
      best_distance = distance;
      best = k;
    }
  }
  auto join = [&](size_t from, size_t to) {
    std::string out;
    for (size_t i = from; i < to; ++i) {
      if (!out.empty()) out += separator;
      out += pieces[i];
    }
    return out;
  };
  return {join(0, best), join(best, pieces.size())};
}

Document Segmenter::segment(const Article& article,
                            const std::vector<std::string>& clean_lines) const {
  const bool markdown = article.format == "md" || article.format == "html";
  const std::vector<std::string> paragraphs = paragraphs_of(clean_lines);
  Document doc;
  // Who the article is, not its text: that is in the sections now, and a
  // second copy would double what a run holds of every article it waits on.
  doc.article.id = article.id;
  doc.article.source = article.source;
  doc.article.format = article.format;
  doc.article.meta = article.meta;
  doc.article.first_line = article.first_line;
  doc.article.warning = article.warning;

  struct Raw {
    SectionKind kind;
    std::string heading;
    std::vector<std::string> paragraphs;
  };
  std::vector<Raw> raws;
  size_t i = 0;
  if (i < paragraphs.size()) {
    doc.title = markdown && is_markdown_heading(paragraphs[0]) ? strip_markdown_heading(paragraphs[0])
                                                               : paragraphs[0];
    raws.push_back({SectionKind::title, "", {doc.title}});
    ++i;
  }
  if (i < paragraphs.size() && !is_heading(paragraphs[i], markdown, i + 1 < paragraphs.size())) {
    raws.push_back({SectionKind::lead, "", {paragraphs[i]}});
    ++i;
  }
  for (; i < paragraphs.size(); ++i) {
    const std::string& p = paragraphs[i];
    if (is_heading(p, markdown, i + 1 < paragraphs.size())) {
      raws.push_back({SectionKind::body, markdown ? strip_markdown_heading(p) : p, {}});
    } else if (raws.empty() || raws.back().kind != SectionKind::body) {
      raws.push_back({SectionKind::body, "", {p}});
    } else {
      raws.back().paragraphs.push_back(p);
    }
  }

  for (size_t index = 0; index < raws.size(); ++index) {
    const Raw& raw = raws[index];
    std::vector<std::string> chunks =
      raw.kind == SectionKind::title ? raw.paragraphs : chunk(raw.paragraphs);
    if (chunks.empty()) {
      chunks.push_back(""); // a heading with no text still carries its heading
    }
    for (size_t part = 0; part < chunks.size(); ++part) {
      Section s;
      s.kind = raw.kind;
      s.index = static_cast<int>(index);
      s.part = static_cast<int>(part + 1);
      s.parts = static_cast<int>(chunks.size());
      s.heading = raw.heading;
      s.text = std::move(chunks[part]);
      s.id = chunks.size() == 1 ? fmt::format("{}#{:02}", article.id, index)
                                : fmt::format("{}#{:02}.{}", article.id, index, part + 1);
      doc.sections.push_back(std::move(s));
    }
  }
  return doc;
}

} // namespace article
