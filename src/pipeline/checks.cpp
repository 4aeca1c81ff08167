#include "pipeline/checks.hpp"

#include "article/language.hpp"
#include "pipeline/numbers.hpp"
#include "util/regex.hpp"
#include "util/text.hpp"
#include "util/utf8.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace pipeline {

namespace {

// Letters and digits only, so that Markdown heading marks, line breaks and
// spacing do not hide an echoed source text.
std::string fingerprint(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    const bool ascii_alnum = static_cast<unsigned>((c | 0x20) - 'a') < 26 || static_cast<unsigned>(c - '0') < 10;
    if (c >= 0x80 || ascii_alnum) out += static_cast<char>(c);
  }
  return out;
}

std::string strip_think_blocks(std::string text) {
  static const util::Regex think(R"((?s)<think(?:ing)?>.*?</think(?:ing)?>)", "checks: think block");
  util::Match m;
  while (think.search(text, &m)) text.erase(m.begin, m.end - m.begin);
  return text;
}

std::string_view strip_fence(std::string_view t) {
  if (!t.starts_with("```") || !t.ends_with("```") || t.size() < 6) return t;
  const size_t first_newline = t.find('\n');
  if (first_newline == std::string_view::npos) return t;
  return util::trim(t.substr(first_newline + 1, t.size() - 3 - first_newline - 1));
}

std::string_view strip_wrapping_quotes(std::string_view t) {
  static const std::pair<std::string_view, std::string_view> k_pairs[] = {
    {"\"", "\""}, {"\xE2\x80\x9C", "\xE2\x80\x9D"}, {"\xE2\x80\x9E", "\xE2\x80\x9C"}, {"\xC2\xAB", "\xC2\xBB"}};
  for (const auto& [open, close] : k_pairs) {
    if (t.size() > open.size() + close.size() && t.starts_with(open) && t.ends_with(close)) {
      const std::string_view inner = t.substr(open.size(), t.size() - open.size() - close.size());
      // Quotes inside mean the answer is a quotation with more after it.
      if (inner.find(open) == std::string_view::npos && inner.find(close) == std::string_view::npos) {
        return util::trim(inner);
      }
    }
  }
  return t;
}

// What models put before and after an answer, in the words they use.
const util::Regex& preamble() {
  static const util::Regex r(
    R"((?i)^(sure|certainly|of course|okay|ok|absolutely)\b[^\n]{0,80}$|^(here is|here's|below is)\b[^\n]{0,100}:$|^(translation|summary|english translation)\s*:$)",
    "checks: preamble");
  return r;
}

const util::Regex& epilogue() {
  static const util::Regex r(
    R"((?i)^(i hope this helps|let me know if|feel free to|if you (need|have|want|would like)|please note that (this|the) translation|note: (this|the|i) )[^\n]{0,200}$)",
    "checks: epilogue");
  return r;
}

// Drops the first (or last) paragraph while it is a preamble (or epilogue)
// and something else remains.
std::string strip_edges(std::string_view t) {
  std::vector<std::string_view> paragraphs;
  for (size_t pos = 0; pos <= t.size();) {
    size_t end = t.find("\n\n", pos);
    if (end == std::string_view::npos) end = t.size();
    const std::string_view p = util::trim(t.substr(pos, end - pos));
    if (!p.empty()) paragraphs.push_back(p);
    pos = end + 2;
  }
  // A preamble may share its paragraph with the answer: "Here is ...:\ntext".
  if (!paragraphs.empty()) {
    const size_t nl = paragraphs.front().find('\n');
    if (nl != std::string_view::npos && preamble().search(paragraphs.front().substr(0, nl))) {
      paragraphs.front() = util::trim(paragraphs.front().substr(nl + 1));
    }
  }
  while (paragraphs.size() > 1 && preamble().search(paragraphs.front())) paragraphs.erase(paragraphs.begin());
  while (paragraphs.size() > 1 && epilogue().search(paragraphs.back())) paragraphs.pop_back();
  std::string out;
  for (const auto& p : paragraphs) {
    if (!out.empty()) out += "\n\n";
    out += p;
  }
  return out;
}

// URLs as written, without trailing sentence punctuation.
std::vector<std::string> urls_in(std::string_view text) {
  static const util::Regex url(R"(https?://[^\s<>"'\)\]]+)", "checks: url");
  std::vector<std::string> out;
  util::Match m;
  for (size_t start = 0; url.search(text, &m, start); start = m.end) {
    std::string_view u = text.substr(m.begin, m.end - m.begin);
    while (!u.empty() && (u.back() == '.' || u.back() == ',' || u.back() == ';' || u.back() == ':')) u.remove_suffix(1);
    out.emplace_back(u);
  }
  return out;
}

// Product and brand names a translation must not touch: a capital after a
// lowercase letter ("OpenAI", "iPhone", "LLaMA") or letters mixed with digits
// ("H100", "GPT-4o"). All-capital acronyms are left out: "KI" is "AI".
std::vector<std::string> product_names(std::string_view text) {
  static const util::Regex name(
    R"((?<![\p{L}\p{N}])(?:\p{L}*\p{Ll}\p{Lu}[\p{L}\p{N}]*|\p{Lu}+\p{N}+[\p{L}\p{N}]*|\p{L}+-\p{N}+[\p{L}\p{N}.]*)(?![\p{L}\p{N}]))",
    "checks: product name");
  std::vector<std::string> out;
  util::Match m;
  for (size_t start = 0; name.search(text, &m, start); start = m.end) {
    std::string n(text.substr(m.begin, m.end - m.begin));
    while (!n.empty() && n.back() == '.') n.pop_back();
    if (std::ranges::find(out, n) == out.end()) out.push_back(std::move(n));
  }
  return out;
}

std::string join(const std::vector<std::string>& items) { return fmt::format("{}", fmt::join(items, ", ")); }

// What CLD2 reads of a translation: a paragraph decides; more only costs.
constexpr size_t k_language_sample_bytes = 512;

// Below this, CLD2 is rarely sure of a language: not worth asking.
constexpr size_t k_min_bytes_for_language = 24;

// Length ratios mean little below this many characters (titles, headings).
constexpr size_t k_min_chars_for_ratio = 80;

} // namespace

std::string tidy_answer(std::string_view answer) {
  std::string text = strip_think_blocks(std::string(answer));
  std::string_view t = util::trim(text);
  t = strip_wrapping_quotes(strip_fence(t));
  std::string out = strip_edges(t);
  return std::string(strip_wrapping_quotes(util::trim(out)));
}

Checker::Checker(const config::Config& config, Glossary glossary)
  : m_options(config.checks), m_glossary(std::move(glossary)),
    m_target(article::language_code(config.languages.target)) {}

std::vector<CheckProblem> Checker::check_translation(std::string_view source, std::string_view translation,
                                                     const std::string& source_language) const {
  std::vector<CheckProblem> problems;
  const std::string src_fp = fingerprint(source);
  if (!src_fp.empty() && fingerprint(translation) == src_fp) {
    problems.push_back({"untranslated", "the answer repeats the source text"});
  } else if (!source_language.empty() && source_language != m_target &&
             translation.size() >= k_min_bytes_for_language) {
    const article::DetectedLanguage lang = article::detect_language(util::utf8_prefix(translation, k_language_sample_bytes));
    if (lang.reliable && lang.code == source_language) {
      problems.push_back({"untranslated", fmt::format("the answer is in {}", lang.name)});
    }
  }
  const size_t src_chars = util::visible_length(source);
  if (src_chars >= k_min_chars_for_ratio) {
    const double ratio = static_cast<double>(util::visible_length(translation)) / static_cast<double>(src_chars);
    if (ratio < m_options.min_length_ratio || ratio > m_options.max_length_ratio) {
      problems.push_back({"length-ratio", fmt::format("{:.2f} times the source's length, outside {}..{}", ratio,
                                                      m_options.min_length_ratio, m_options.max_length_ratio)});
    }
  }
  if (auto lost = lost_numbers(source, source_language, translation, m_target); !lost.empty()) {
    problems.push_back({"numbers-lost", join(lost) + " not in the translation"});
  }
  std::vector<std::string> lost_urls;
  for (const auto& u : urls_in(source)) {
    if (translation.find(u) == std::string_view::npos) lost_urls.push_back(u);
  }
  if (!lost_urls.empty()) problems.push_back({"urls-lost", join(lost_urls) + " not in the translation"});
  std::vector<std::string> lost_names;
  for (const auto& n : product_names(source)) {
    if (translation.find(n) == std::string_view::npos) lost_names.push_back(n);
  }
  if (!lost_names.empty()) problems.push_back({"names-lost", join(lost_names) + " not in the translation"});
  std::vector<std::string> terms;
  for (const auto& e : Glossary::violations(m_glossary.matching(source), translation)) {
    terms.push_back(e.keep ? fmt::format("\"{}\" (keep)", e.source) : fmt::format("\"{}\" for \"{}\"", e.target, e.source));
  }
  if (!terms.empty()) problems.push_back({"glossary", "missing " + join(terms)});
  return problems;
}

std::string describe_problems(const std::vector<CheckProblem>& problems) {
  std::string out;
  for (const auto& p : problems) {
    if (!out.empty()) out += '\n';
    out += fmt::format("- {}: {}", p.flag, p.detail);
  }
  return out;
}

void add_flag(std::vector<std::string>& flags, const std::string& flag) {
  if (std::ranges::find(flags, flag) == flags.end()) flags.push_back(flag);
}

std::vector<std::string> section_flags(const article::Section& section, const SectionOutput& out) {
  std::vector<std::string> flags;
  if (!out.translation) flags.emplace_back("translation-missing");
  for (const auto& p : out.problems) add_flag(flags, p.flag);
  if (section.kind != article::SectionKind::title && !out.summary) {
    flags.emplace_back("summary-missing");
  }
  return flags;
}

} // namespace pipeline
