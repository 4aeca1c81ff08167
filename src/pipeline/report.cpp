#include "pipeline/report.hpp"

#include "llm/http.hpp"

#include <nlohmann/json.hpp>

#include <map>

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
ordered_json checks_json(const RunResult& r) {
  ordered_json flagged = ordered_json::array();
  std::map<std::string, int> by_flag;
  for (const Flagged& f : r.flagged) {
    ordered_json problems = ordered_json::array();
    for (const auto& p : f.problems) {
      problems.push_back({{"flag", p.flag}, {"detail", p.detail}});
      ++by_flag[p.flag];
    }
    flagged.push_back({{"article", f.article_id},
                       {"section", f.section_id},
                       {"repaired", f.repaired},
                       {"problems", std::move(problems)}});
  }
  return {{"repairs", r.stats.repairs},
          {"repairs_fixed", r.stats.repairs_fixed},
          {"flagged_by_check", by_flag},
          {"flagged_sections", std::move(flagged)}};
}

} // namespace

std::string report_json(const config::Config& config, const RunResult& r) {
  const RunStats& s = r.stats;
  ordered_json failures = ordered_json::array();
  for (const auto& m : r.missing) {
    failures.push_back(
      {{"article", m.article_id}, {"section", m.section_id}, {"task", m.task}, {"reason", m.reason}});
  }
  ordered_json report = {
    {"schema", 1},
    {"endpoint", {{"base_url", llm::redact_url(config.endpoint.base_url)},
                  {"model", config.endpoint.model}}},
    {"wall_seconds", s.seconds},
    {"jobs", {{"total", s.jobs},
              {"cached", s.cache_hits},
              {"sent_ok", s.jobs - s.cache_hits - s.failed - s.not_sent},
              {"failed", s.failed},
              {"not_sent", s.not_sent},
              {"split_input_too_long", s.splits}}},
    {"articles", {{"total", s.articles},
                  {"already_in_target_language", s.already_in_target},
                  {"most_summary_levels", s.summary_levels}}},
    {"checks", checks_json(r)},
    {"requests", s.requests},
    {"connections", {{"opened", s.connections_opened}, {"responses_by_protocol", s.responses_by_protocol}}},
    {"retries", {{"total", s.retries}, {"by_cause", s.retries_by_cause}}},
    {"tokens", {{"in", s.prompt_tokens},
                {"out", s.completion_tokens},
                {"saved_by_cache", {{"in", s.cached_prompt_tokens}, {"out", s.cached_completion_tokens}}}}},
    {"cost", {{"currency", config.currency},
              {"estimated", s.cost},
              {"saved_by_cache", estimate_cost(config, s.cached_prompt_tokens, s.cached_completion_tokens)},
              {"priced", config.prices.contains(config.endpoint.model)}}},
    {"stopped", r.stop_reason ? ordered_json(*r.stop_reason) : ordered_json(nullptr)},
    {"endpoints", endpoints_json(r)},
    {"failures", std::move(failures)},
  };
  return report.dump(2) + "\n";
}

} // namespace pipeline
