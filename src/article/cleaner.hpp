// Drops boilerplate by the rules in config.yaml (clean.drop_blocks,
// clean.drop_lines, clean.drop_spans) and records every removal with the rule
// that made it, so `run --dry-run` can show exactly what was not sent.
#pragma once

#include "article/article.hpp"
#include "config/config.hpp"
#include "util/regex.hpp"

#include <optional>
#include <string>
#include <vector>

namespace article {

struct CleanResult {
  std::vector<std::string> lines;     // kept lines; removed ones become blank
  std::vector<Removal> removals;
};

class Cleaner {
public:
  // Compiles every pattern; throws util::Error naming the config key of a
  // bad one, prefixed by `origin` (a per-site rule file names itself).
  explicit Cleaner(const config::Clean& rules, const std::string& origin = "config clean.");

  CleanResult clean(std::string_view text) const;

private:
  struct Line {
    std::string name;
    util::Regex pattern;
    config::Where where;
    std::optional<util::Regex> followed_by;
  };
  struct Block {
    std::string name;
    util::Regex start;
    std::optional<util::Regex> end;
    int max_lines;
  };
  struct Span {
    std::string name;
    util::Regex pattern;
  };

  void drop_blocks(CleanResult& r, std::vector<bool>& gone) const;
  void drop_lines(CleanResult& r, std::vector<bool>& gone) const;
  void drop_spans(CleanResult& r, std::vector<bool>& gone) const;

  std::vector<Block> m_blocks;
  std::vector<Line> m_lines;
  std::vector<Span> m_spans;
};

} // namespace article
