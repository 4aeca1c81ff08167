// `lingopipe clean [--report]`: what cleaning removes from each article and
// why, with the character accounting total = kept + removed per reason.
#include "cli/clean_report.hpp"

#include "cli/commands.hpp"

#include "config/config.hpp"
#include "pipeline/prepare.hpp"
#include "util/error.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <map>
#include <string>

namespace cli {

namespace {

// HTML removals name the line of the element in the page; the cleaner's
// name lines of the text extracted from it.
std::string where(const article::Article& a, const article::Removal& r) {
  const bool extracted = a.format == "html" && !r.rule.starts_with("html:");
  return extracted ? a.source.string() + " (extracted text) line " + std::to_string(r.line)
                   : a.source.string() + ":" + std::to_string(r.line + a.first_line - 1);
}

void print_accounting(const char* label, const article::Accounting& a) {
  size_t removed = 0;
  for (const auto& [rule, chars] : a.removed) removed += chars;
  std::printf("%s: total %zu = kept %zu + removed %zu\n", label, a.total, a.kept, removed);
  for (const auto& [rule, chars] : a.removed) {
    std::printf("    %-28s %8zu  (%.1f %%)\n", rule.c_str(), chars,
                a.total ? 100.0 * static_cast<double>(chars) / static_cast<double>(a.total) : 0.0);
  }
}

} // namespace

void print_removals(const article::Article& a, const std::vector<article::Removal>& removals) {
  for (const article::Removal& r : removals) {
    std::printf("  removed %s [%s%s%s]: %s\n", where(a, r).c_str(), r.rule.c_str(),
                r.detail.empty() ? "" : "; ", r.detail.c_str(), r.text.c_str());
  }
}

void report_problems(const pipeline::Prepared& chunk) {
  for (const auto& w : chunk.warnings) spdlog::warn("{}", w);
  for (const auto& p : chunk.problems) spdlog::error("{}", p.message);
}

int clean_command(const Options& o) {
  const config::Config cfg = config::load(o.config);
  pipeline::Preparer preparer(cfg, o.paths);
  size_t problems = 0;
  article::Accounting all;
  while (!preparer.done()) { // a chunk at a time: the batch is never held at once
    const pipeline::Prepared chunk = preparer.next(64);
    report_problems(chunk);
    problems += chunk.problems.size();
    for (size_t i = 0; i < chunk.docs.size(); ++i) {
      const article::Article& a = chunk.docs[i].article;
      std::printf("article %s (%s, %s, site %s)\n", a.id.c_str(), a.source.c_str(),
                  a.meta.language.empty() ? "language unknown" : a.meta.language.c_str(),
                  a.meta.site.c_str());
      if (o.report) print_removals(a, chunk.removals[i]);
      const article::Accounting& acc = chunk.accounting[i];
      print_accounting("  characters", acc);
      all.total += acc.total;
      all.kept += acc.kept;
      for (const auto& [rule, chars] : acc.removed) all.removed[rule] += chars;
    }
  }
  print_accounting("all articles, characters (white space not counted)", all);
  return static_cast<int>(problems == 0 ? util::ExitCode::ok : util::ExitCode::some_failed);
}

} // namespace cli
