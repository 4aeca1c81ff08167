#include "pipeline/report.hpp"

#include "llm/http.hpp"
#include "util/file.hpp"

#include <nlohmann/json.hpp>


namespace pipeline {

using nlohmann::ordered_json;

double estimate_cost(const config::Config& config, int64_t tokens_in, int64_t tokens_out) {
  return estimate_cost(config, config.endpoint, tokens_in, tokens_out);
}

double estimate_cost(const config::Config& config, const config::Endpoint& endpoint, int64_t tokens_in,
                     int64_t tokens_out) {
  auto it = config.prices.find(endpoint.model);
  if (it == config.prices.end()) {
    return 0;
  }
  const double batch_discount = endpoint.batch ? 0.5 : 1; // both providers' batch APIs: half price
  return batch_discount *
         (static_cast<double>(tokens_in) * it->second.input_per_mtok +
          static_cast<double>(tokens_out) * it->second.output_per_mtok) /
         1e6;
}

namespace {

// Which jobs went where: each endpoint the run used, in order.
ordered_json endpoints_json(const RunResult& r) {
  ordered_json list = ordered_json::array();
  for (const auto& e : r.endpoints) {
    list.push_back({{"name", e.name},
                    {"endpoint", e.label},
                    {"requests", e.requests},
                    {"answered", e.answered},
                    {"stopped", e.stop_reason ? ordered_json(*e.stop_reason) : ordered_json(nullptr)}});
  }
  return list;
}

// Every section whose translation still fails a check, with what failed:
// glossary violations, lost numbers, text left in the source language.
void write_checks(util::JsonWriter& w, const RunResult& r) {
  w.begin_object("checks");
  w.value("repairs", r.stats.repairs);
  w.value("repairs_fixed", r.stats.repairs_fixed);
  w.value("flagged_by_check", r.flagged_by_check);
  w.begin_array("flagged_sections");
  r.flagged.for_each([&w](const Flagged& f) {
    ordered_json problems = ordered_json::array();
    for (const auto& p : f.problems) problems.push_back({{"flag", p.flag}, {"detail", p.detail}});
    w.value({{"article", f.article_id},
             {"section", f.section_id},
             {"repaired", f.repaired},
             {"problems", std::move(problems)}});
  });
  w.end();
  w.end();
}

} // namespace

void write_report(const config::Config& config, const RunResult& r, const util::JsonWriter::Sink& sink) {
  const RunStats& s = r.stats;
  util::JsonWriter w(sink);
  w.begin_object();
  w.value("schema", 1);
  w.value("endpoint", {{"base_url", llm::redact_url(config.endpoint.base_url)}, {"model", config.endpoint.model}});
  w.value("wall_seconds", s.seconds);
  w.value("jobs", {{"total", s.jobs},
                   {"cached", s.cache_hits},
                   {"sent_ok", s.answered()},
                   {"from_earlier_batches", s.from_earlier},
                   {"failed", s.failed},
                   {"not_sent", s.not_sent},
                   {"split_input_too_long", s.splits}});
  w.value("articles", {{"total", s.articles},
                       {"already_in_target_language", s.already_in_target},
                       {"most_summary_levels", s.summary_levels}});
  write_checks(w, r);
  w.value("requests", s.requests);
  w.value("connections", {{"opened", s.connections_opened}, {"responses_by_protocol", s.responses_by_protocol}});
  w.value("retries", {{"total", s.retries}, {"by_cause", s.retries_by_cause}});
  w.value("tokens", {{"in", s.prompt_tokens},
                     {"out", s.completion_tokens},
                     {"saved_by_cache", {{"in", s.cached_prompt_tokens}, {"out", s.cached_completion_tokens}}}});
  w.value("cost", {{"currency", config.currency},
                   {"estimated", s.cost},
                   {"saved_by_cache", estimate_cost(config, s.cached_prompt_tokens, s.cached_completion_tokens)},
                   {"priced", config.prices.contains(config.endpoint.model)}});
  w.value("stopped", r.stop_reason ? ordered_json(*r.stop_reason) : ordered_json(nullptr));
  w.value("endpoints", endpoints_json(r));
  w.begin_array("failures");
  r.missing.for_each([&w](const Missing& m) {
    w.value({{"article", m.article_id}, {"section", m.section_id}, {"task", m.task}, {"reason", m.reason}});
  });
  w.end();
  w.end();
}

void write_report(const config::Config& config, const RunResult& result, const std::filesystem::path& path) {
  util::AtomicFile file(path);
  write_report(config, result, [&file](std::string_view text) { file.write(text); });
  file.commit();
}

} // namespace pipeline
