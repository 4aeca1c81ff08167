#include "cli/commands.hpp"

#include "article/tokens.hpp"
#include "cache/store.hpp"
#include "cli/clean_report.hpp"
#include "cli/interrupt.hpp"
#include "cli/progress.hpp"
#include "config/config.hpp"
#include "export/exporter.hpp"
#include "llm/batch_engine.hpp"
#include "llm/http.hpp"
#include "llm/transport.hpp"
#include "pipeline/feed.hpp"
#include "pipeline/prepare.hpp"
#include "pipeline/report.hpp"
#include "pipeline/runner.hpp"
#include "prompt/prompt_set.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <unordered_set>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace cli {

namespace {

using util::ExitCode;

int code(ExitCode c) { return static_cast<int>(c); }

void require_endpoint(const config::Config& c) {
  if (c.endpoint.base_url.empty()) {
    throw util::Error(fmt::format(
      "{}: endpoint.base_url is empty; set it (e.g. https://api.openai.com/v1 or "
      "http://127.0.0.1:11434/v1 for Ollama) or export LINGOPIPE_BASE_URL",
      c.file.string()));
  }
}

// --dry-run: each article's removals and sections, shown as it is prepared.
void print_articles(const pipeline::Prepared& chunk) {
  for (size_t i = 0; i < chunk.docs.size(); ++i) {
    const auto& doc = chunk.docs[i];
    std::printf("article %s (%s)\n", doc.article.id.c_str(), doc.article.source.c_str());
    print_removals(doc.article, chunk.removals[i]);
    for (const auto& s : doc.sections) {
      std::printf("  section %s %s ~%d tokens%s%s\n", s.id.c_str(), article::kind_name(s.kind),
                  article::estimate_tokens(s.text), s.heading.empty() ? "" : ": ",
                  s.heading.c_str());
    }
  }
}

// --dry-run: what the batch would send and cost.
void print_plan(const config::Config& cfg, const pipeline::RunResult& plan) {
  const int missing = static_cast<int>(plan.missing.size());
  const int earlier = plan.stats.in_earlier_batches;
  const std::string in_batches = earlier > 0 ? fmt::format(", {} in batches sent earlier (paid)", earlier) : "";
  std::printf("plan: %d articles, %d sections, %d jobs: %d cached%s, %d to send\n",
              plan.stats.articles, plan.stats.sections, plan.stats.cache_hits + missing,
              plan.stats.cache_hits, in_batches.c_str(), missing - earlier);
  const auto& s = plan.stats;
  std::printf("to send: ~%lld tokens in, ~%lld tokens out, estimated cost %.4f %s%s\n",
              static_cast<long long>(s.pending_tokens_in),
              static_cast<long long>(s.pending_tokens_out),
              pipeline::estimate_cost(cfg, s.pending_tokens_in, s.pending_tokens_out),
              cfg.currency.c_str(),
              cfg.prices.contains(cfg.endpoint.model) ? "" : " (model not in prices: counted as free)");
}

void report_missing(const pipeline::RunResult& result) {
  result.missing.for_each([](const pipeline::Missing& m) {
    std::fprintf(stderr, "missing: %s %s: %s\n",
                 (m.section_id.empty() ? m.article_id : m.section_id).c_str(), m.task.c_str(),
                 m.reason.c_str());
  });
}

exporter::Options export_options(const config::Config& c, const std::filesystem::path& dir,
                                 const std::vector<std::string>& formats) {
  return {dir, formats, c.exports.markdown_template, c.exports.html_template, ""};
}

// One line on what the translation checks found; the details are in the report.
void print_flagged(const pipeline::RunResult& r, const std::filesystem::path& dir) {
  const auto sections = static_cast<int>(r.flagged.size());
  if (sections == 0) return;
  std::string flags;
  for (const auto& [flag, n] : r.flagged_by_check) flags += fmt::format("{}{} {}", flags.empty() ? "" : ", ", flag, n);
  std::fprintf(stderr, "checks: %d translations flagged (%s); %d repairs tried (sent or cached), %d fixed; details in %s\n",
               sections, flags.c_str(), r.stats.repairs, r.stats.repairs_fixed,
               (dir / "run-report.json").c_str());
}

int exit_code_for(size_t input_problems, const pipeline::RunResult& r) {
  if (r.stop_reason) return code(ExitCode::endpoint_unusable);
  if (input_problems > 0 || !r.missing.empty()) return code(ExitCode::some_failed);
  return code(ExitCode::ok);
}

} // namespace

// What run and export both start from: config, prompts, the cache and a
// runner over them.
struct Session {
  explicit Session(const Options& o)
    : cfg(config::load(o.config)), prompts(prompt::PromptSet::load(cfg.prompts_dir)),
      cache(cfg.cache.path), runner(cfg, prompts, cache) {}

  config::Config cfg;
  prompt::PromptSet prompts;
  cache::CacheStore cache;
  pipeline::Runner runner;
};

// Each article goes to the exporter as soon as its jobs are over.
void hand_articles_to(exporter::Exporter& exports, pipeline::Runner& runner) {
  runner.on_article_done([&exports](size_t index, pipeline::ArticleOutput&& article) {
    exports.article_done(index, std::move(article));
  });
}

// The articles of a run, a dry run or an export, prepared on their own
// thread a chunk at a time as they are taken; each chunk's problems are
// reported, its articles selected (`lingopipe export --articles/--since`)
// and shown (--dry-run) as it is made.
struct Inputs {
  Inputs(const Session& s, const Options& o, pipeline::Selection selection,
         std::function<void(const pipeline::Prepared&)> show = {})
    : feed(pipeline::Preparer(s.cfg, o.paths), [this, selection, show](pipeline::Prepared& chunk) {
        report_problems(chunk);
        problems += chunk.problems.size();
        left_out += pipeline::select(chunk, selection);
        if (show) show(chunk);
      }) {}

  std::atomic<size_t> problems = 0;
  std::atomic<int> left_out = 0;      // not selected
  pipeline::PreparingFeed feed;       // last: its thread uses the counts
};

// llama.cpp divides its context among slots (-c 8192 -np 4: 2,048 each);
// what one slot holds is read once from each OpenAI-compatible endpoint's
// /props (or, when a server answers /props without it, its /slots), so a
// section too large for it is split before it is sent. Other servers answer
// 404, which changes nothing.
void read_slot_contexts(const config::Config& cfg, pipeline::Runner& runner) {
  std::vector<config::Endpoint> endpoints = {cfg.endpoint};
  endpoints.insert(endpoints.end(), cfg.fallbacks.begin(), cfg.fallbacks.end());
  for (const auto& e : endpoints) {
    if (e.provider != "openai" || e.batch) continue;
    auto ask = [&e](std::string_view path) {
      llm::HttpRequest http = llm::llama_request(pipeline::llm_endpoint(e), path);
      http.limits.connect_timeout_s = e.connect_timeout_s;
      http.limits.request_timeout_s = http.limits.stall_timeout_s = http.limits.first_byte_timeout_s = 5;
      http.limits.ca_file = e.ca_file.string();
      return llm::fetch_once(std::move(http));
    };
    const llm::HttpResponse props = ask("/props");
    std::string source = "/props";
    std::optional<int> n_ctx = llm::slot_context(props);
    if (!n_ctx && props.curl_code == 0 && props.status != 404) {
      source = "/slots";
      n_ctx = llm::slot_context(ask(source));
    }
    if (n_ctx) {
      runner.set_slot_context(e.name, {*n_ctx, "llama.cpp " + source});
      spdlog::info("endpoint '{}': llama.cpp slots hold {} tokens ({}); larger sections are split before they "
                   "are sent", e.name, *n_ctx, source);
    }
  }
}

// With a batch endpoint, what earlier runs' batches hold (still running, or
// answered into the bank) is paid for: the dry run counts it apart.
void mark_paid_in_batches(const config::Config& cfg, cache::CacheStore& cache, pipeline::Runner& runner) {
  if (!cfg.endpoint.batch) return;
  const llm::Endpoint endpoint = pipeline::llm_endpoint(cfg.endpoint);
  const std::string journal = llm::BatchEngine::journal_key(endpoint);
  std::unordered_set<std::string> paid;
  for (auto& batch : cache.open_batches(journal)) paid.insert(batch.custom_ids.begin(), batch.custom_ids.end());
  for (auto& custom_id : cache.banked(journal)) paid.insert(std::move(custom_id));
  runner.set_paid_in_batches(endpoint, std::move(paid));
}

int run_command(const Options& o) {
  Session s(o);
  if (o.dry_run) {
    mark_paid_in_batches(s.cfg, s.cache, s.runner);
    Inputs inputs(s, o, {}, print_articles);
    s.runner.on_article_done([](size_t, pipeline::ArticleOutput&&) {}); // only the totals are printed
    print_plan(s.cfg, s.runner.from_cache(inputs.feed));
    return code(ExitCode::ok);
  }
  require_endpoint(s.cfg);
  Inputs inputs(s, o, {}); // prepared from now on, as the run takes them
  read_slot_contexts(s.cfg, s.runner);
  const auto& e = s.cfg.endpoint;
  auto transport = llm::make_curl_transport(
    {s.cfg.limits.max_in_flight});
  ProgressLine progress(o.quiet                   ? ProgressStyle::none
                        : isatty(STDERR_FILENO) ? ProgressStyle::terminal
                                                : ProgressStyle::log);
  s.runner.on_progress([&](const pipeline::Progress& p) { progress.update(p); });
  s.runner.set_max_cost(o.max_cost);
  s.runner.set_deadline(o.deadline_s);
  InterruptGuard interrupts;
  s.runner.set_interrupted([&interrupts] { return interrupts.interrupted(); });
  exporter::Exporter exports(export_options(s.cfg, s.cfg.exports.dir, s.cfg.exports.formats));
  hand_articles_to(exports, s.runner);
  pipeline::RunResult result = s.runner.run(inputs.feed, *transport, llm::SteadyClock());
  progress.clear(); // what follows (warnings, the summary) starts on a line of its own
  // The connections close on another core while the exports are finished.
  auto disconnect = std::async(std::launch::async, [&transport] { transport.reset(); });
  // The report is written on another core while the batch-wide exports are
  // (a folder that cannot be made is reported by finish()).
  std::error_code ignored;
  std::filesystem::create_directories(s.cfg.exports.dir, ignored);
  auto report = std::async(std::launch::async, [&] {
    pipeline::write_report(s.cfg, result, s.cfg.exports.dir / "run-report.json");
  });
  exports.finish(result);
  report.get();
  disconnect.get();
  if (result.budget_reached) {
    spdlog::warn("--max-cost {} {} reached: {} requests not sent; run again with a higher limit "
                 "to finish (what is done is cached and exported)",
                 *o.max_cost, s.cfg.currency, result.stats.not_sent);
  }
  if (interrupts.interrupted()) {
    spdlog::warn("interrupted: {} requests not sent; run again to finish (what is done is cached and "
                 "exported)",
                 result.stats.not_sent);
  }
  if (result.stop_reason) {
    // An endpoint that answered earlier in the run had the right URL, model and key.
    const std::string advice =
      result.stats.answered() > 0
        ? std::string("it answered earlier in this run: run again once it is back")
        : fmt::format("check endpoint.base_url, endpoint.model '{}' and the key in ${}", e.model, e.api_key_env);
    spdlog::error("endpoint {} stopped: {}; {} ({} requests not sent; finished results are cached)",
                  llm::redact_url(e.base_url), *result.stop_reason, advice, result.stats.not_sent);
  }
  if (!o.quiet) {
    std::fprintf(stderr, "%s, est. cost %.4f %s\n", summary_line(result.stats).c_str(),
                 result.stats.cost, s.cfg.currency.c_str());
    print_flagged(result, s.cfg.exports.dir);
    std::fprintf(stderr, "exported to %s\n", s.cfg.exports.dir.c_str());
  }
  // 128 + the signal, as a shell reports a process the signal ended.
  if (interrupts.interrupted()) return 128 + interrupts.signal();
  return exit_code_for(inputs.problems, result);
}

int export_command(const Options& o) {
  Session s(o);
  Inputs inputs(s, o, {o.articles_glob, o.since});
  const auto dir = o.out.empty() ? s.cfg.exports.dir : o.out;
  const auto& formats = o.formats.empty() ? s.cfg.exports.formats : o.formats;
  exporter::Exporter exports(export_options(s.cfg, dir, formats));
  hand_articles_to(exports, s.runner);
  pipeline::RunResult result = s.runner.from_cache(inputs.feed);
  exports.finish(result);
  report_missing(result);
  if (!o.quiet) {
    std::fprintf(stderr, "exported %d articles (%s) to %s from the cache; %zu items missing",
                 result.stats.articles, fmt::format("{}", fmt::join(formats, ", ")).c_str(),
                 dir.c_str(), result.missing.size());
    if (inputs.left_out > 0) {
      std::fprintf(stderr, "; %d articles not selected by --articles/--since", inputs.left_out.load());
    }
    std::fputc('\n', stderr);
  }
  return exit_code_for(inputs.problems, result);
}

int cache_stats_command(const Options& o) {
  const config::Config cfg = config::load(o.config);
  cache::CacheStore cache(cfg.cache.path);
  const cache::Stats s = cache.stats();
  std::printf("cache: %s\nentries: %lld\npayload bytes: %lld\nfile bytes: %lld\n"
              "tokens in: %lld\ntokens out: %lld\nbatches sent and not collected yet: %lld\n"
              "batch answers kept for later runs: %lld\n",
              cfg.cache.path.c_str(), static_cast<long long>(s.entries),
              static_cast<long long>(s.bytes), static_cast<long long>(s.file_bytes),
              static_cast<long long>(s.prompt_tokens), static_cast<long long>(s.completion_tokens),
              static_cast<long long>(s.open_batches), static_cast<long long>(s.banked));
  return code(ExitCode::ok);
}

int cache_clear_command(const Options& o) {
  const config::Config cfg = config::load(o.config);
  cache::CacheStore cache(cfg.cache.path);
  const int64_t removed = cache.clear();
  std::printf("removed %lld cached results from %s\n", static_cast<long long>(removed),
              cfg.cache.path.c_str());
  return code(ExitCode::ok);
}

} // namespace cli
