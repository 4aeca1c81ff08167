#include "cli/app.hpp"

#include "cli/commands.hpp"
#include "cli/doctor.hpp"
#include "cli/progress.hpp"
#include "util/error.hpp"
#include "util/regex.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

namespace cli {

namespace {

bool is_iso_day(const std::string& s) {
  static const util::Regex day(R"(^\d{4}-\d{2}-\d{2}$)", "--since");
  return day.search(s);
}

void setup_logging(const Options& o) {
  auto logger = std::make_shared<spdlog::logger>("lingopipe", progress_aware_stderr_sink());
  logger->set_pattern("%^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(o.quiet            ? spdlog::level::err
                    : o.verbosity >= 2 ? spdlog::level::trace
                    : o.verbosity == 1 ? spdlog::level::debug
                                       : spdlog::level::info);
}

} // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"lingopipe: translate and summarize foreign-language news articles into English "
               "through an LLM endpoint, with every result cached."};
  app.set_version_flag("--version", "lingopipe 0.1.0");
  app.require_subcommand(1);
  app.fallthrough(); // global flags work after the subcommand too
  app.add_option("-c,--config", o.config, "Configuration file")->capture_default_str();
  app.add_flag("-v,--verbose", o.verbosity, "More log output (-vv: cache key inputs)");
  app.add_flag("-q,--quiet", o.quiet, "Only errors; no progress or summary");

  auto* run = app.add_subcommand("run", "Translate and summarize articles, then export");
  run->add_option("paths", o.paths, "Article files or folders (default: config inputs)");
  run->add_flag("--dry-run", o.dry_run,
                "Show removed boilerplate, sections, and the requests, tokens and cost still to "
                "send; send nothing");
  run->add_option("--max-cost", o.max_cost,
                  "Stop sending new requests once the estimated spend would pass this amount "
                  "(currency and prices in config.yaml)")
    ->check(CLI::NonNegativeNumber);
  run->add_option("--deadline", o.deadline_s,
                  "Stop sending new requests after this many seconds; in-flight ones finish")
    ->check(CLI::PositiveNumber);

  auto* exp = app.add_subcommand("export", "Write the exports from the cache alone");
  exp->add_option("paths", o.paths, "Article files or folders (default: config inputs)");
  exp->add_option("-o,--out", o.out, "Export folder (default: export.dir)");
  exp->add_option("-f,--format", o.formats,
                  "Formats to write: md, json, jsonl, csv, html (repeat or comma-separate; "
                  "default: export.formats)")
    ->delimiter(',')
    ->check(CLI::IsMember({"md", "json", "jsonl", "csv", "html"}));
  exp->add_option("--articles", o.articles_glob,
                  "Only articles whose id or file path matches this glob, e.g. 'meta-*'");
  exp->add_option("--since", o.since, "Only articles dated on or after this day (YYYY-MM-DD)")
    ->check(CLI::Validator(
      [](std::string& s) {
        return is_iso_day(s) ? std::string() : "--since '" + s + "' is not a date like 2025-01-30";
      },
      "DATE"));

  auto* clean = app.add_subcommand(
    "clean", "Show what boilerplate removal takes out of each article, with character accounting");
  clean->add_option("paths", o.paths, "Article files or folders (default: config inputs)");
  clean->add_flag("--report", o.report, "List every removed line with the rule or score that removed it");

  auto* doctor = app.add_subcommand(
    "doctor", "Check config, prompts and each endpoint (reach, TLS, key, model, a test request)");

  auto* cache = app.add_subcommand("cache", "Inspect or clear the result cache");
  cache->require_subcommand(1);
  auto* stats = cache->add_subcommand("stats", "Entries, size and tokens in the cache");
  auto* clear = cache->add_subcommand("clear", "Delete every cached result");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : static_cast<int>(util::ExitCode::usage);
  }
  setup_logging(o);
  if (run->parsed()) return run_command(o);
  if (exp->parsed()) return export_command(o);
  if (clean->parsed()) return clean_command(o);
  if (doctor->parsed()) return doctor_command(o);
  if (stats->parsed()) return cache_stats_command(o);
  if (clear->parsed()) return cache_clear_command(o);
  return static_cast<int>(util::ExitCode::usage);
}

} // namespace cli
