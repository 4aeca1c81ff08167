#include "llm/retry.hpp"

#include <gtest/gtest.h>

namespace {

llm::ChatError error(llm::ErrorKind kind, std::optional<double> retry_after = std::nullopt) {
  llm::ChatError e;
  e.kind = kind;
  e.retry_after_s = retry_after;
  return e;
}

TEST(RetryPolicyTest, BackoffGrowsExponentiallyWithJitterAndCap) {
  config::Limits limits;
  limits.backoff_base_s = 0.5;
  limits.backoff_max_s = 8;
  llm::RetryPolicy policy(limits, 42);
  for (int k = 1; k <= 8; ++k) {
    double expected = std::min(0.5 * (1 << (k - 1)), 8.0);
    double d = policy.backoff(k);
    EXPECT_GE(d, expected * 0.75) << k;
    EXPECT_LT(d, expected) << k;
  }
}

TEST(RetryPolicyTest, ServerDelayWinsWhenLonger) {
  llm::RetryPolicy policy(config::Limits{}, 1);
  auto d = policy.decide(error(llm::ErrorKind::throttle, 2.0), 1);
  EXPECT_EQ(d.verdict, llm::Verdict::retry);
  EXPECT_GE(d.delay_s, 2.0);
}

TEST(RetryPolicyTest, DelayAboveTheCapParksTheEndpoint) {
  config::Limits limits;
  limits.max_retry_after_s = 120;
  llm::RetryPolicy policy(limits, 1);
  auto d = policy.decide(error(llm::ErrorKind::throttle, 86400), 1);
  EXPECT_EQ(d.verdict, llm::Verdict::stop_endpoint);
  EXPECT_EQ(d.reason, "the endpoint asks to wait 86400 s, above limits.max_retry_after_s (120 s): "
                      "treating it as exhausted quota (rate_limited)");
}

TEST(RetryPolicyTest, AttemptBudgetIsHonoured) {
  config::Limits limits;
  limits.max_attempts = 3;
  llm::RetryPolicy policy(limits, 1);
  EXPECT_EQ(policy.decide(error(llm::ErrorKind::overloaded), 2).verdict, llm::Verdict::retry);
  EXPECT_EQ(policy.decide(error(llm::ErrorKind::overloaded), 3).verdict, llm::Verdict::fail);
}

TEST(RetryPolicyTest, WhatIsRetriedWhatFailsWhatStops) {
  llm::RetryPolicy policy(config::Limits{}, 1);
  using K = llm::ErrorKind;
  for (K k : {K::transport, K::throttle, K::overloaded, K::empty, K::malformed, K::gateway}) {
    EXPECT_EQ(policy.decide(error(k), 1).verdict, llm::Verdict::retry) << llm::kind_name(k);
  }
  for (K k : {K::bad_request, K::input_too_long, K::truncated, K::refused}) {
    EXPECT_EQ(policy.decide(error(k), 1).verdict, llm::Verdict::fail) << llm::kind_name(k);
  }
  for (K k : {K::auth, K::quota, K::not_found}) {
    EXPECT_EQ(policy.decide(error(k), 1).verdict, llm::Verdict::stop_endpoint) << llm::kind_name(k);
  }
}

TEST(RetryPolicyTest, ShouldRetryHeaderOverrides) {
  llm::RetryPolicy policy(config::Limits{}, 1);
  auto e = error(llm::ErrorKind::overloaded);
  e.should_retry = false;
  EXPECT_EQ(policy.decide(e, 1).verdict, llm::Verdict::fail);
  e = error(llm::ErrorKind::bad_request);
  e.should_retry = true;
  EXPECT_EQ(policy.decide(e, 1).verdict, llm::Verdict::retry);
}

} // namespace
