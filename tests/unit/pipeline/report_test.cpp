#include "pipeline/report.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace {

config::Config priced() {
  config::Config c;
  c.endpoint.model = "m";
  c.endpoint.base_url = "https://user:secret@api.example/v1";
  c.prices["m"] = {2.0, 8.0};
  return c;
}

std::string report_text(const config::Config& c, const pipeline::RunResult& r) {
  std::string text;
  pipeline::write_report(c, r, [&](std::string_view s) { text += s; });
  return text;
}

TEST(ReportTest, CostFromThePriceTable) {
  auto c = priced();
  EXPECT_DOUBLE_EQ(pipeline::estimate_cost(c, 1'000'000, 500'000), 2.0 + 4.0);
  c.endpoint.model = "unpriced";
  EXPECT_DOUBLE_EQ(pipeline::estimate_cost(c, 1'000'000, 1'000'000), 0.0);
}

TEST(ReportTest, ReportCarriesCountsTokensCostAndNoCredentials) {
  pipeline::RunResult r;
  r.stats.jobs = 10;
  r.stats.cache_hits = 4;
  r.stats.failed = 1;
  r.stats.not_sent = 2;
  r.stats.requests = 5;
  r.stats.retries = 2;
  r.stats.retries_by_cause = {{"rate_limited", 2}};
  r.stats.prompt_tokens = 500'000;
  r.stats.completion_tokens = 250'000;
  r.stats.cached_prompt_tokens = 1'000'000;
  r.stats.cost = 3.0; // summed per answer at its model's price by the runner
  r.endpoints = {{"primary", "openai:m", 4, 0, "HTTP 429 quota: insufficient_quota"},
                 {"local", "ollama:qwen", 3, 3, std::nullopt}};
  r.missing.push_back({"a", "a#01", "translate", "HTTP 400 bad_request: x"});
  auto j = nlohmann::json::parse(report_text(priced(), r));
  EXPECT_EQ(j["endpoint"]["base_url"], "https://***@api.example/v1");
  EXPECT_EQ(j["jobs"]["sent_ok"], 3);
  EXPECT_EQ(j["retries"]["by_cause"]["rate_limited"], 2);
  EXPECT_DOUBLE_EQ(j["cost"]["estimated"].get<double>(), 1.0 + 2.0);
  EXPECT_EQ(j["endpoints"][0], nlohmann::json({{"name", "primary"}, {"endpoint", "openai:m"}, {"requests", 4},
                                               {"answered", 0}, {"stopped", "HTTP 429 quota: insufficient_quota"}}));
  EXPECT_EQ(j["endpoints"][1]["stopped"], nullptr);
  EXPECT_DOUBLE_EQ(j["cost"]["saved_by_cache"].get<double>(), 2.0);
  EXPECT_EQ(j["failures"][0]["section"], "a#01");
  EXPECT_EQ(j["stopped"], nullptr);
}

} // namespace
