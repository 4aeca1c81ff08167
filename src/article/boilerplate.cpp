#include "article/boilerplate.hpp"

#include "util/text.hpp"
#include "util/utf8.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <set>
#include <string_view>

namespace article {

namespace {

struct StopWords {
  const char* language;
  std::string_view words;             // space-separated, lowercase
};

// The most frequent function words of each language; enough to tell prose
// ("der Preis steigt um zehn Prozent") from labels ("Jetzt teilen").
constexpr std::array k_stop_words = {
  StopWords{"de", "der die das den dem des ein eine einen einem einer und oder aber in im auf an am "
                  "zu zum zur mit von vom für bei aus nach über um ist sind war wird werden hat haben "
                  "sich nicht auch als wie so dass es er sie wir ich noch nur schon mehr"},
  StopWords{"en", "the a an and or but of to in on at for with from by as is are was were be been "
                  "has have had it its this that these those not also than which who will would "
                  "can more about into over after"},
  StopWords{"fr", "le la les un une des de du et ou mais à au aux en dans sur pour par avec est sont "
                  "a ont été il elle ils nous vous que qui ne pas plus ce cette ces son sa ses"},
  StopWords{"es", "el la los las un una unos unas de del y o pero a al en con por para es son fue "
                  "ha han se que no más como su sus este esta lo le"},
  StopWords{"it", "il lo la i gli le un una di del della dei delle e o ma a al in con per su da è "
                  "sono ha hanno si che non più come suo sua questo questa"},
  StopWords{"nl", "de het een en of maar van in op aan te met voor door bij uit naar over is zijn "
                  "was werd wordt heeft hebben niet ook als dat die dit er ze we"},
  StopWords{"pt", "o a os as um uma de do da dos das e ou mas em no na nos nas com por para é são "
                  "foi se que não mais como seu sua"},
  StopWords{"pl", "i w na z do nie się że to jest o od po za przez dla jak ale lub oraz co ten ta "
                  "są był była by już"},
};

const std::set<std::string, std::less<>>* stop_words_for(const std::string& language) {
  static const auto sets = [] {
    std::vector<std::pair<std::string, std::set<std::string, std::less<>>>> out;
    for (const StopWords& sw : k_stop_words) {
      std::set<std::string, std::less<>> words;
      for (size_t pos = 0; pos < sw.words.size();) {
        size_t end = sw.words.find(' ', pos);
        if (end == std::string_view::npos) end = sw.words.size();
        words.emplace(sw.words.substr(pos, end - pos));
        pos = end + 1;
      }
      out.emplace_back(sw.language, std::move(words));
    }
    return out;
  }();
  for (const auto& [lang, words] : sets) {
    if (lang == language) return &words;
  }
  return nullptr;
}

// Characters inside http(s) URLs and Markdown link targets.
size_t link_chars(std::string_view text) {
  size_t chars = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t start = text.find("http", pos);
    if (start == std::string_view::npos) break;
    const std::string_view rest = text.substr(start);
    if (!rest.starts_with("http://") && !rest.starts_with("https://")) {
      pos = start + 4;
      continue;
    }
    size_t end = start;
    while (end < text.size() && text[end] != ' ' && text[end] != ')' && text[end] != '\n') ++end;
    chars += util::visible_length(text.substr(start, end - start));
    pos = end;
  }
  return chars;
}

struct Paragraph {
  size_t first = 0;                   // line indexes, inclusive
  size_t last = 0;
  std::string text;
};

std::vector<Paragraph> paragraphs_of(const std::vector<std::string>& lines) {
  std::vector<Paragraph> out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (util::trim(lines[i]).empty()) continue;
    if (out.empty() || out.back().last + 1 != i) {
      out.push_back({i, i, {}});
    } else {
      out.back().last = i;
      out.back().text += ' ';
    }
    out.back().text += util::trim(lines[i]);
  }
  return out;
}

std::string_view without_marker(std::string_view line) {
  line = util::trim(line);
  size_t i = 0;
  while (i < line.size() && (line[i] == '#' || line[i] == '>')) ++i;
  if (i == 0 && line.size() > 1 && (line[0] == '-' || line[0] == '*') && line[1] == ' ') i = 1;
  return i > 0 && i < line.size() && line[i] == ' ' ? line.substr(i + 1) : (i == line.size() ? "" : line);
}

// List items, figures and whole sentences are content however short:
// "- 499 Euro", "Der Preis steigt." Only the rest may read as a label.
bool could_be_label(std::string_view text) {
  text = util::trim(text);
  if (text.empty() || text.starts_with("- ") || text.starts_with("* ")) return false;
  if (std::ranges::any_of(text, [](char c) { return c >= '0' && c <= '9'; })) return false;
  const char last = text.back();
  return last != '.' && last != '!' && last != '?';
}

// A long paragraph right after a short one makes the short one a heading.
constexpr size_t k_heading_follower_chars = 150;

} // namespace

size_t counted_chars(std::string_view line) { return util::visible_length(without_marker(line)); }

ParagraphScore score_paragraph(std::string_view text, const std::string& language) {
  ParagraphScore s;
  s.chars = counted_chars(text);
  if (s.chars == 0) return s;
  s.link_density = std::min(1.0, static_cast<double>(link_chars(text)) / static_cast<double>(s.chars));
  const auto* stop = stop_words_for(language);
  double label_likeness = 0;
  if (stop && could_be_label(text)) {
    const std::vector<std::string> words = util::lower_words(text);
    const auto hits = std::ranges::count_if(words, [&](const std::string& w) { return stop->contains(w); });
    s.stop_word_share = words.empty() ? 0 : static_cast<double>(hits) / static_cast<double>(words.size());
    // No stop words at all reads as a label; prose has 30-50 %.
    label_likeness = 1.0 - std::min(1.0, s.stop_word_share / 0.15);
  } else if (!stop) {
    s.stop_word_share = -1;
  }
  s.score = std::max(s.link_density, label_likeness);
  return s;
}

void drop_scored_paragraphs(CleanResult& r, const std::string& language, const config::Score& options) {
  if (options.threshold > 1) return;
  const std::vector<Paragraph> paragraphs = paragraphs_of(r.lines);
  for (size_t p = 1; p < paragraphs.size(); ++p) { // the first is the title
    const Paragraph& para = paragraphs[p];
    if (counted_chars(para.text) > static_cast<size_t>(options.max_chars)) continue; // prose: not scored
    const ParagraphScore s = score_paragraph(para.text, language);
    if (s.score < options.threshold) continue;
    const bool heading = p + 1 < paragraphs.size() &&
                         counted_chars(paragraphs[p + 1].text) >= k_heading_follower_chars;
    if (heading && s.link_density < options.threshold) continue;
    const std::string detail =
      s.stop_word_share < 0
        ? fmt::format("score {:.2f}: {} chars, links {:.0f} %", s.score, s.chars, 100 * s.link_density)
        : fmt::format("score {:.2f}: {} chars, stop words {:.0f} %, links {:.0f} %", s.score, s.chars,
                      100 * s.stop_word_share, 100 * s.link_density);
    for (size_t i = para.first; i <= para.last; ++i) {
      r.removals.push_back({static_cast<int>(i + 1), r.lines[i], "score:short-paragraph", detail});
      r.lines[i].clear();
    }
  }
  std::ranges::stable_sort(r.removals, {}, &Removal::line);
}

namespace {

uint64_t line_hash(std::string_view trimmed) { return std::hash<std::string_view>{}(trimmed); }

} // namespace

void RepeatedLines::count(const std::string& site, const CleanResult& r) {
  if (!enabled()) return;
  Site& s = m_sites[site];
  ++s.articles;
  const size_t first = s.seen.size();
  for (const std::string& line : r.lines) {
    const std::string_view t = util::trim(line);
    if (!t.empty()) s.seen.push_back(line_hash(t));
  }
  // Once per article, however often the article repeats the line.
  std::sort(s.seen.begin() + static_cast<ptrdiff_t>(first), s.seen.end());
  s.seen.erase(std::unique(s.seen.begin() + static_cast<ptrdiff_t>(first), s.seen.end()), s.seen.end());
}

void RepeatedLines::finish() {
  for (auto& [name, s] : m_sites) {
    const int needed = std::max(m_options.min_articles,
                                static_cast<int>(std::ceil(m_options.min_share * s.articles)));
    std::ranges::sort(s.seen);
    for (auto it = s.seen.begin(); it != s.seen.end();) {
      const auto end = std::upper_bound(it, s.seen.end(), *it);
      if (const auto n = static_cast<int>(end - it); n >= needed) s.repeated.emplace(*it, n);
      it = end;
    }
    std::vector<uint64_t>().swap(s.seen);
  }
}

void RepeatedLines::drop(const std::string& site, CleanResult& r) const {
  const auto it = m_sites.find(site);
  if (!enabled() || it == m_sites.end()) return;
  const Site& s = it->second;
  for (size_t i = 0; i < r.lines.size(); ++i) {
    const std::string_view t = util::trim(r.lines[i]);
    if (t.empty()) continue;
    const auto found = s.repeated.find(line_hash(t));
    if (found != s.repeated.end()) {
      r.removals.push_back({static_cast<int>(i + 1), r.lines[i], "repeated:site-chrome",
                            fmt::format("in {} of {} articles from {}", found->second, s.articles, site)});
      r.lines[i].clear();
    }
  }
  std::ranges::stable_sort(r.removals, {}, &Removal::line);
}

Accounting account(std::string_view original, const CleanResult& cleaned,
                   const std::vector<Removal>& extraction) {
  Accounting a;
  for (std::string_view line : util::split_lines(original)) a.total += counted_chars(line);
  for (const std::string& line : cleaned.lines) a.kept += counted_chars(line);
  for (const auto* list : {&extraction, &cleaned.removals}) {
    for (const Removal& r : *list) a.removed[r.rule] += counted_chars(r.text);
  }
  for (const Removal& r : extraction) a.total += counted_chars(r.text);
  return a;
}

} // namespace article
