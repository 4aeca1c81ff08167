// The subcommands. Each reads like a table of contents of its steps.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cli {

struct Options {
  std::filesystem::path config = "config.yaml";
  int verbosity = 0;
  bool quiet = false;
  std::vector<std::string> paths;     // articles; empty: config inputs
  bool dry_run = false;
  std::optional<double> max_cost;     // run: stop sending once the estimate would pass it
  std::optional<double> deadline_s;   // run: stop sending after this many seconds
  std::filesystem::path out;          // export: overrides export.dir
  std::vector<std::string> formats;   // export: overrides export.formats
  std::string articles_glob;          // export: only article ids or paths matching it
  std::string since;                  // export: only articles dated on or after (YYYY-MM-DD)
  bool report = false;                // clean: list every removal
};

int run_command(const Options& options);
int export_command(const Options& options);
int clean_command(const Options& options);
int cache_stats_command(const Options& options);
int cache_clear_command(const Options& options);

} // namespace cli
