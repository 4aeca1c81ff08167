#include "llm/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using llm::RateLimiter;

const RateLimiter::time_point t0{};

double seconds_after_t0(RateLimiter::time_point t) {
  return std::chrono::duration<double>(t - t0).count();
}

TEST(ResetDurationTest, ParsesGoStyleDurations) {
  EXPECT_DOUBLE_EQ(*llm::parse_reset_duration("1s"), 1.0);
  EXPECT_DOUBLE_EQ(*llm::parse_reset_duration("6m0s"), 360.0);
  EXPECT_DOUBLE_EQ(*llm::parse_reset_duration("12ms"), 0.012);
  EXPECT_NEAR(*llm::parse_reset_duration("2m59.56s"), 179.56, 1e-9);
  EXPECT_DOUBLE_EQ(*llm::parse_reset_duration("1h2m"), 3720.0);
  EXPECT_DOUBLE_EQ(*llm::parse_reset_duration("7.66s"), 7.66);
  EXPECT_DOUBLE_EQ(*llm::parse_reset_duration("20"), 20.0);
  EXPECT_FALSE(llm::parse_reset_duration(""));
  EXPECT_FALSE(llm::parse_reset_duration("soon"));
  EXPECT_FALSE(llm::parse_reset_duration("5x"));
}

TEST(Rfc3339Test, ParsesUtcOffsetsAndFractions) {
  const double at = 1767225630; // 2026-01-01T00:00:30Z
  EXPECT_EQ(llm::parse_rfc3339("2026-01-01T00:00:30Z"), at);
  EXPECT_EQ(llm::parse_rfc3339("2026-01-01T01:00:30+01:00"), at);
  EXPECT_EQ(llm::parse_rfc3339("2025-12-31T19:30:30-04:30"), at);
  EXPECT_DOUBLE_EQ(*llm::parse_rfc3339("2026-01-01T00:00:30.25Z"), at + 0.25);
  for (const char* bad : {"", "6m0s", "2026-01-01", "2026-01-01T00:00:30", "2026-01-01T00:00:30Zjunk",
                          "2026-01-01T00:00:30.Z", "2026-01-01T00:00:30+1"}) {
    EXPECT_EQ(llm::parse_rfc3339(bad), std::nullopt) << bad;
  }
}

TEST(RateLimiterTest, UnlimitedNeverWaits) {
  RateLimiter limiter(0, 0, t0);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(limiter.ready_at(100000, t0), t0);
    limiter.consume(100000, t0);
  }
}

TEST(RateLimiterTest, RequestsPerMinuteAllowTenSecondsOfBurstThenPace) {
  RateLimiter limiter(60, 0, t0); // one per second, bucket of 10
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(limiter.ready_at(1, t0), t0) << i;
    limiter.consume(1, t0);
  }
  EXPECT_NEAR(seconds_after_t0(limiter.ready_at(1, t0)), 1.0, 1e-6);
}

TEST(RateLimiterTest, TokensPerMinuteWithCorrection) {
  RateLimiter limiter(0, 6000, t0); // 100 tokens/s, bucket of 1000
  limiter.consume(1000, t0);
  EXPECT_NEAR(seconds_after_t0(limiter.ready_at(500, t0)), 5.0, 1e-6);
  limiter.correct(1000, 600); // the server counted fewer: 400 come back
  EXPECT_NEAR(seconds_after_t0(limiter.ready_at(500, t0)), 1.0, 1e-6);
}

TEST(RateLimiterTest, OversizedRequestWaitsForAFullBucketNotForever) {
  RateLimiter limiter(0, 600, t0); // 10 tokens/s, bucket of 100
  limiter.consume(100, t0);
  EXPECT_NEAR(seconds_after_t0(limiter.ready_at(5000, t0)), 10.0, 1e-6);
}

TEST(RateLimiterTest, ServerHeadersHoldRequestsUntilTheReset) {
  RateLimiter limiter(0, 0, t0);
  llm::HttpResponse r;
  r.headers = {{"x-ratelimit-remaining-tokens", "300"}, {"x-ratelimit-reset-tokens", "6m0s"},
               {"x-ratelimit-remaining-requests", "5"}, {"x-ratelimit-reset-requests", "12ms"}};
  limiter.observe(r, t0);
  EXPECT_EQ(limiter.ready_at(200, t0), t0);
  limiter.consume(200, t0);
  // 100 tokens left on the server's count: a 200-token request waits for the reset.
  EXPECT_NEAR(seconds_after_t0(limiter.ready_at(200, t0)), 360.0, 1e-6);
  EXPECT_EQ(limiter.ready_at(200, t0 + 361s), t0 + 361s);
}

TEST(RateLimiterTest, KnownLimitWaitsOnlyForTheDeficitToRefill) {
  RateLimiter limiter(0, 0, t0);
  llm::HttpResponse r;
  r.headers = {{"x-ratelimit-limit-tokens", "6000"}, {"x-ratelimit-remaining-tokens", "100"},
               {"x-ratelimit-reset-tokens", "59s"}};
  limiter.observe(r, t0);
  // 300 needed, 100 left, 100 tokens a second: 2 s, not the 59 s reset.
  EXPECT_NEAR(seconds_after_t0(limiter.ready_at(300, t0)), 2.0, 1e-6);
  EXPECT_EQ(limiter.ready_at(300, t0 + 2s), t0 + 2s);
}

TEST(RateLimiterTest, WhatIsInFlightIsSubtractedFromTheReportedRemaining) {
  RateLimiter limiter(0, 0, t0);
  llm::HttpResponse r;
  r.headers = {{"x-ratelimit-remaining-requests", "5"}, {"x-ratelimit-reset-requests", "10s"}};
  limiter.observe(r, t0, 4, 0); // four sent since the server counted: one left
  EXPECT_EQ(limiter.ready_at(1, t0), t0);
  limiter.consume(1, t0);
  EXPECT_NEAR(seconds_after_t0(limiter.ready_at(1, t0)), 10.0, 1e-6);
}

// Anthropic's reset is an instant, read against the server's own Date header:
// 30 s after it, whatever the local clock says.
TEST(RateLimiterTest, AnthropicResetInstantsAreReadAgainstTheServersDate) {
  RateLimiter limiter(0, 0, t0);
  llm::HttpResponse r;
  r.headers = {{"date", "Thu, 01 Jan 2026 00:00:00 GMT"},
               {"anthropic-ratelimit-tokens-remaining", "100"},
               {"anthropic-ratelimit-tokens-reset", "2026-01-01T00:00:30Z"},
               {"anthropic-ratelimit-requests-limit", "60"},
               {"anthropic-ratelimit-requests-remaining", "0"},
               {"anthropic-ratelimit-requests-reset", "2026-01-01T00:00:45Z"}};
  limiter.observe(r, t0);
  EXPECT_NEAR(seconds_after_t0(limiter.ready_at(100, t0)), 1.0, 1e-6); // one request a second refills
  EXPECT_NEAR(seconds_after_t0(limiter.ready_at(500, t0 + 1s)), 30.0, 1e-6); // 400 tokens short
  r.headers["anthropic-ratelimit-tokens-reset"] = "2025-12-31T23:59:00Z"; // already past
  limiter.observe(r, t0);
  EXPECT_NEAR(seconds_after_t0(limiter.ready_at(500, t0 + 1s)), 1.0, 1e-6);
}

TEST(RateLimiterTest, MissingOrMalformedHeadersChangeNothing) {
  RateLimiter limiter(0, 0, t0);
  llm::HttpResponse r;
  r.headers = {{"x-ratelimit-remaining-tokens", "lots"}, {"x-ratelimit-reset-tokens", "1s"},
               {"anthropic-ratelimit-tokens-remaining", "0"},
               {"anthropic-ratelimit-tokens-reset", "in a minute"}};
  limiter.observe(r, t0);
  limiter.observe(llm::HttpResponse{}, t0);
  EXPECT_EQ(limiter.ready_at(1000000, t0), t0);
}

} // namespace
