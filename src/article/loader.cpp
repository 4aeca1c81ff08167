#include "article/loader.hpp"

#include "article/encoding.hpp"
#include "article/front_matter.hpp"
#include "article/html.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/parallel.hpp"
#include "util/text.hpp"
#include "util/utf8.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <optional>
#include <set>

namespace fs = std::filesystem;

namespace article {

namespace {

// "txt", "md" or "html" for the extensions read; empty for others.
std::string format_of(const fs::path& p) {
  const std::string ext = util::to_lower_ascii(p.extension().string());
  if (ext == ".txt" || ext == ".md") return ext.substr(1);
  if (ext == ".html" || ext == ".htm") return "html";
  return {};
}

bool is_article_file(const fs::path& p) { return !format_of(p).empty(); }

std::string make_id(const fs::path& relative) {
  fs::path without_ext = relative;
  without_ext.replace_extension();
  std::string id = util::slugify(without_ext.generic_string());
  return id.empty() ? "article" : id;
}

std::string unique_id(std::string id, std::set<std::string>& taken) {
  std::string candidate = id;
  for (int n = 2; taken.contains(candidate); ++n) {
    candidate = fmt::format("{}-{}", id, n);
  }
  taken.insert(candidate);
  return candidate;
}

void collect(const fs::path& input, std::vector<Candidate>& out, Found& result) {
  std::error_code ec;
  if (!fs::exists(input, ec)) {
    result.problems.push_back(
      {input, fmt::format("{}: no such file or folder; check the path", input.string())});
    return;
  }
  if (!fs::is_directory(input, ec)) {
    out.push_back({input, input.filename()});
    return;
  }
  std::vector<Candidate> found;
  for (const auto& entry : fs::recursive_directory_iterator(input, ec)) {
    if (entry.is_regular_file() && is_article_file(entry.path())) {
      // Lexical: the entry was found under input, and fs::relative would
      // resolve every path's links with a system call per component.
      found.push_back({entry.path(), entry.path().lexically_relative(input)});
    }
  }
  std::ranges::sort(found, {}, &Candidate::path);
  if (found.empty()) {
    result.problems.push_back(
      {input, fmt::format("{}: folder holds no .txt, .md or .html articles", input.string())});
  }
  out.insert(out.end(), found.begin(), found.end());
}

} // namespace

Article load_article(const fs::path& path) {
  const std::string format = format_of(path);
  if (format.empty()) {
    throw util::Error(fmt::format("{}: unsupported file type; use .txt, .md or .html", path.string()));
  }
  std::string bytes = util::read_file(path);
  if (util::trim(bytes).empty()) {
    throw util::Error(fmt::format("{}: file is empty; add text or remove it", path.string()));
  }
  const std::string declared = format == "html" ? html_declared_charset(bytes) : "";
  Decoded decoded = decode_to_utf8(path, std::move(bytes), declared);
  // Decoded text is valid UTF-8; NUL bytes mean the file is not text at all.
  if (decoded.text.find('\0') != std::string::npos) {
    throw util::Error(fmt::format("{}: binary file (contains NUL bytes); articles must be UTF-8 text",
                                  path.string()));
  }
  Article a;
  a.source = path;
  a.format = format;
  a.warning = std::move(decoded.warning);
  if (format == "html") {
    HtmlArticle html = extract_html(decoded.text);
    a.text = std::move(html.text);
    a.meta = std::move(html.meta);
    a.extraction = std::move(html.removals);
    if (util::trim(a.text).empty()) {
      throw util::Error(fmt::format("{}: no article text found in the page (everything was "
                                    "navigation, banners or scripts); save the article page itself",
                                    path.string()));
    }
    return a;
  }
  FrontMatter fm = split_front_matter(path, std::move(decoded.text));
  a.text = std::move(fm.body);
  a.meta = std::move(fm.meta);
  a.first_line = fm.body_line;
  return a;
}

Found find_articles(const std::vector<fs::path>& inputs) {
  Found found;
  for (const auto& input : inputs) {
    collect(input, found.candidates, found);
  }
  return found;
}

LoadResult load_candidates(std::span<const Candidate> candidates, std::set<std::string>& taken) {
  LoadResult result;
  // Reading, decoding and HTML extraction run on every core; ids and order
  // are settled afterwards, in input order, so they never depend on timing.
  std::vector<std::optional<Article>> loaded(candidates.size());
  std::vector<std::string> errors(candidates.size());
  util::parallel_for(candidates.size(), [&](size_t i) {
    try {
      loaded[i] = load_article(candidates[i].path);
    } catch (const std::exception& e) { // util::Error, or a read error naming the file
      errors[i] = e.what();
    }
  });
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (!loaded[i]) {
      result.problems.push_back({candidates[i].path, errors[i]});
      continue;
    }
    Article& a = *loaded[i];
    a.id = unique_id(make_id(candidates[i].relative), taken);
    if (!a.warning.empty()) result.warnings.push_back(a.warning);
    result.articles.push_back(std::move(a));
  }
  return result;
}

LoadResult load_articles(const std::vector<fs::path>& inputs) {
  Found found = find_articles(inputs);
  std::set<std::string> taken;
  LoadResult result = load_candidates(found.candidates, taken);
  result.problems.insert(result.problems.begin(), found.problems.begin(), found.problems.end());
  return result;
}

const char* kind_name(SectionKind kind) {
  switch (kind) {
  case SectionKind::title: return "title";
  case SectionKind::lead: return "lead";
  case SectionKind::body: return "body";
  }
  return "body";
}

} // namespace article
