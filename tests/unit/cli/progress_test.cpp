#include "cli/progress.hpp"

#include <gtest/gtest.h>

namespace {

TEST(ProgressTest, TextShowsRateTokensAndEta) {
  pipeline::Progress p;
  p.done = 60;
  p.total = 160;
  p.cached = 20;
  p.in_flight = 8;
  p.retries = 1;
  p.tokens = 4567;
  // 40 fetched in 10 s: 4 req/s, 100 left: 25 s.
  EXPECT_EQ(cli::progress_text(p, 10.0),
            "[60/160] cached 20, in flight 8, retries 1, failed 0, 4.0 req/s, 4567 tokens, ETA 25s");
  p.done = 21;
  EXPECT_TRUE(cli::progress_text(p, 1.0).ends_with("1.0 req/s, 4567 tokens, ETA 2m19s"))
    << cli::progress_text(p, 1.0);
  EXPECT_NE(cli::progress_text(pipeline::Progress{}, 0).find("ETA ?"), std::string::npos);
}

TEST(ProgressTest, SummaryLine) {
  pipeline::RunStats s;
  s.articles = 2;
  s.sections = 12;
  s.requests = 25;
  s.cache_hits = 0;
  s.retries = 1;
  s.seconds = 1.25;
  EXPECT_EQ(cli::summary_line(s),
            "lingopipe: 2 articles, 12 sections, 25 requests sent, 0 cache hits, 1 retries, "
            "0 failed, 0 not sent, tokens in 0 / out 0, 1.2 s");
}

} // namespace
