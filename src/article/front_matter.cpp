#include "article/front_matter.hpp"

#include "util/error.hpp"
#include "util/regex.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>


namespace article {

namespace {

bool is_fence(std::string_view line) { return line == "---" || line == "---\r"; }

// A date must sort as text, so --since can compare it: YYYY-MM-DD, optionally
// followed by a time.
bool is_iso_date(const std::string& s) {
  static const util::Regex iso(R"(^\d{4}-\d{2}-\d{2}([T ].*)?$)", "front matter date");
  return iso.search(s);
}

[[noreturn]] void fail(const std::filesystem::path& path, int line, const std::string& what) {
  throw util::Error(fmt::format("{}:{}: front matter: {}", path.string(), line, what));
}

} // namespace

FrontMatter split_front_matter(const std::filesystem::path& path, std::string text) {
  FrontMatter fm;
  const size_t first_nl = text.find('\n');
  if (first_nl == std::string::npos || !is_fence(std::string_view(text).substr(0, first_nl))) {
    fm.body = std::move(text);
    return fm;
  }
  // Find the closing fence on a line of its own.
  size_t pos = first_nl + 1;
  int line = 2;
  size_t close = std::string::npos;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view l = std::string_view(text).substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    if (is_fence(l)) {
      close = pos;
      break;
    }
    if (nl == std::string::npos) break;
    pos = nl + 1;
    ++line;
  }
  if (close == std::string::npos) {
    fail(path, 1, "no closing '---' line; end the front matter with a line holding only ---");
  }
  const std::string yaml = text.substr(first_nl + 1, close - first_nl - 1);
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    fail(path, e.mark.line + 2, e.msg + "; fix the YAML between the --- lines");
  }
  if (root && !root.IsNull() && !root.IsMap()) {
    fail(path, 2, "expected 'key: value' lines (title, url, date, language, source, author)");
  }
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    const int key_line = kv.first.Mark().line + 2;
    std::string* field = key == "title"                       ? &fm.meta.title
                         : key == "url"                       ? &fm.meta.url
                         : key == "date"                      ? &fm.meta.date
                         : key == "language" || key == "lang" ? &fm.meta.language
                         : key == "source" || key == "site"   ? &fm.meta.site
                         : key == "author"                    ? &fm.meta.author
                                                              : nullptr;
    if (!field) {
      continue; // other keys (tags, categories, ...) are the user's own
    }
    if (!kv.second.IsScalar()) {
      fail(path, key_line, fmt::format("'{}' must be a single value", key));
    }
    *field = kv.second.as<std::string>();
    if (field == &fm.meta.date && !is_iso_date(*field)) {
      fail(path, key_line, fmt::format("date '{}' is not YYYY-MM-DD", *field));
    }
  }
  const size_t after = text.find('\n', close);
  fm.body_line = line + 1;
  fm.body = after == std::string::npos ? std::string() : text.substr(after + 1);
  return fm;
}

} // namespace article
