#include "article/cleaner.hpp"

#include "util/text.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace article {

namespace {

std::string key(const std::string& origin, const char* list, size_t i, const char* field) {
  return fmt::format("{}{}[{}].{}", origin, list, i, field);
}

bool kept(const std::vector<std::string>& lines, const std::vector<bool>& gone, size_t i) {
  return !gone[i] && !util::trim(lines[i]).empty();
}

// Index of the first (or last) line that is neither blank nor already gone.
std::optional<size_t> edge_line(const std::vector<std::string>& lines,
                                const std::vector<bool>& gone, bool from_end) {
  for (size_t k = 0; k < lines.size(); ++k) {
    size_t i = from_end ? lines.size() - 1 - k : k;
    if (kept(lines, gone, i)) {
      return i;
    }
  }
  return std::nullopt;
}

std::optional<size_t> next_kept(const std::vector<std::string>& lines,
                                const std::vector<bool>& gone, size_t after) {
  for (size_t i = after + 1; i < lines.size(); ++i) {
    if (kept(lines, gone, i)) {
      return i;
    }
  }
  return std::nullopt;
}

} // namespace

Cleaner::Cleaner(const config::Clean& rules, const std::string& origin) {
  for (size_t i = 0; i < rules.drop_blocks.size(); ++i) {
    const auto& b = rules.drop_blocks[i];
    std::optional<util::Regex> end;
    if (!b.end.empty()) {
      end.emplace(b.end, key(origin, "drop_blocks", i, "end"));
    }
    m_blocks.push_back({b.name, util::Regex(b.start, key(origin, "drop_blocks", i, "start")),
                        std::move(end), b.max_lines});
  }
  for (size_t i = 0; i < rules.drop_lines.size(); ++i) {
    const auto& l = rules.drop_lines[i];
    std::optional<util::Regex> next;
    if (!l.followed_by.empty()) {
      next.emplace(l.followed_by, key(origin, "drop_lines", i, "followed_by"));
    }
    m_lines.push_back({l.name, util::Regex(l.pattern, key(origin, "drop_lines", i, "pattern")), l.where,
                       std::move(next)});
  }
  for (size_t i = 0; i < rules.drop_spans.size(); ++i) {
    const auto& s = rules.drop_spans[i];
    m_spans.push_back({s.name, util::Regex(s.pattern, key(origin, "drop_spans", i, "pattern"))});
  }
}

CleanResult Cleaner::clean(std::string_view text) const {
  CleanResult r;
  for (auto line : util::split_lines(text)) {
    r.lines.emplace_back(line);
  }
  std::vector<bool> gone(r.lines.size(), false);
  drop_blocks(r, gone);
  drop_lines(r, gone);
  drop_spans(r, gone);
  for (size_t i = 0; i < r.lines.size(); ++i) {
    if (gone[i]) {
      r.lines[i].clear();
    }
  }
  std::ranges::sort(r.removals, {}, &Removal::line);
  return r;
}

// A block runs from a line matching `start` to the next line matching `end`
// within max_lines; without `end` it runs to the end of the article, which must
// then come within max_lines. Otherwise nothing is dropped: a rule that cannot
// find its end must not eat the article.
void Cleaner::drop_blocks(CleanResult& r, std::vector<bool>& gone) const {
  const size_t n = r.lines.size();
  for (size_t i = 0; i < n; ++i) {
    for (const Block& b : m_blocks) {
      if (gone[i] || !b.start.search(util::trim(r.lines[i]))) {
        continue;
      }
      std::optional<size_t> last;
      const size_t limit = std::min(n, i + static_cast<size_t>(b.max_lines));
      if (!b.end) {
        if (n <= limit) {
          last = n - 1;
        }
      } else {
        for (size_t j = i; j < limit && !last; ++j) {
          if (b.end->search(util::trim(r.lines[j]))) {
            last = j;
          }
        }
      }
      if (!last) {
        continue;
      }
      for (size_t j = i; j <= *last; ++j) {
        if (!gone[j] && !util::trim(r.lines[j]).empty()) {
          r.removals.push_back({static_cast<int>(j + 1), r.lines[j], "block:" + b.name, {}});
        }
        gone[j] = true;
      }
    }
  }
}

void Cleaner::drop_lines(CleanResult& r, std::vector<bool>& gone) const {
  for (const Line& rule : m_lines) {
    auto next_matches = [&](size_t i) {
      if (!rule.followed_by) {
        return true;
      }
      auto next = next_kept(r.lines, gone, i);
      return next && rule.followed_by->search(util::trim(r.lines[*next]));
    };
    auto check = [&](size_t i) {
      if (!gone[i] && rule.pattern.search(util::trim(r.lines[i])) && next_matches(i)) {
        r.removals.push_back({static_cast<int>(i + 1), r.lines[i], "line:" + rule.name, {}});
        gone[i] = true;
      }
    };
    if (rule.where == config::Where::any) {
      for (size_t i = 0; i < r.lines.size(); ++i) {
        if (!util::trim(r.lines[i]).empty()) {
          check(i);
        }
      }
    } else if (auto i = edge_line(r.lines, gone, rule.where == config::Where::last)) {
      check(*i);
    }
  }
}

void Cleaner::drop_spans(CleanResult& r, std::vector<bool>& gone) const {
  for (const Span& rule : m_spans) {
    for (size_t i = 0; i < r.lines.size(); ++i) {
      util::Match m;
      while (!gone[i] && rule.pattern.search(r.lines[i], &m) && m.end > m.begin) {
        r.removals.push_back({static_cast<int>(i + 1), r.lines[i].substr(m.begin, m.end - m.begin),
                              "span:" + rule.name, {}});
        r.lines[i].erase(m.begin, m.end - m.begin);
        if (util::trim(r.lines[i]).empty()) {
          gone[i] = true;
        }
      }
    }
  }
}

} // namespace article
