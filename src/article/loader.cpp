#include "article/loader.hpp"

#include "article/front_matter.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/text.hpp"
#include "util/utf8.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <set>

namespace fs = std::filesystem;

namespace article {

namespace {

constexpr std::string_view k_bom = "\xEF\xBB\xBF";

bool is_article_file(const fs::path& p) {
  const std::string ext = util::to_lower_ascii(p.extension().string());
  return ext == ".txt" || ext == ".md";
}

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

struct Candidate {
  fs::path path;
  fs::path relative;
};

void collect(const fs::path& input, std::vector<Candidate>& out, LoadResult& result) {
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
      found.push_back({entry.path(), fs::relative(entry.path(), input)});
    }
  }
  std::ranges::sort(found, {}, &Candidate::path);
  if (found.empty()) {
    result.problems.push_back(
      {input, fmt::format("{}: folder holds no .txt or .md articles", input.string())});
  }
  out.insert(out.end(), found.begin(), found.end());
}

} // namespace

std::string check_content(const fs::path& path, std::string_view bytes) {
  if (util::trim(bytes).empty()) {
    return fmt::format("{}: file is empty; add text or remove it", path.string());
  }
  if (bytes.find('\0') != std::string_view::npos) {
    return fmt::format("{}: binary file (contains NUL bytes); articles must be UTF-8 text",
                       path.string());
  }
  if (auto offset = util::find_invalid_utf8(bytes)) {
    return fmt::format("{}: invalid UTF-8 at byte offset {}; re-save the file as UTF-8",
                       path.string(), *offset);
  }
  return {};
}

LoadResult load_articles(const std::vector<fs::path>& inputs) {
  LoadResult result;
  std::vector<Candidate> candidates;
  for (const auto& input : inputs) {
    collect(input, candidates, result);
  }
  std::set<std::string> taken;
  for (const auto& c : candidates) {
    if (!is_article_file(c.path)) {
      result.problems.push_back(
        {c.path, fmt::format("{}: unsupported file type; use .txt or .md", c.path.string())});
      continue;
    }
    std::string bytes;
    try {
      bytes = util::read_file(c.path);
    } catch (const std::exception& e) {
      result.problems.push_back({c.path, e.what()});
      continue;
    }
    if (bytes.starts_with(k_bom)) {
      bytes.erase(0, k_bom.size());
    }
    if (std::string problem = check_content(c.path, bytes); !problem.empty()) {
      result.problems.push_back({c.path, problem});
      continue;
    }
    FrontMatter fm;
    try {
      fm = split_front_matter(c.path, std::move(bytes));
    } catch (const util::Error& e) {
      result.problems.push_back({c.path, e.what()});
      continue;
    }
    const std::string format = util::to_lower_ascii(c.path.extension().string()).substr(1);
    result.articles.push_back({unique_id(make_id(c.relative), taken), c.path, format,
                               std::move(fm.body), std::move(fm.meta), fm.body_line});
  }
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
