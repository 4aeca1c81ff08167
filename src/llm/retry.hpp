// Decides what to do after a failed attempt (PROTOCOLS.md §2.6, §10): retry
// after a delay, give up on this request, or stop the endpoint for the run.
#pragma once

#include "config/config.hpp"
#include "llm/chat.hpp"

#include <random>

namespace llm {

enum class Verdict { retry, fail, stop_endpoint };

struct RetryDecision {
  Verdict verdict = Verdict::fail;
  double delay_s = 0;
  std::string reason;                 // why the endpoint stops, for the user
};

class RetryPolicy {
public:
  explicit RetryPolicy(const config::Limits& limits, uint64_t seed = std::random_device{}());

  // `attempts` is how many attempts this request has made so far (≥ 1).
  RetryDecision decide(const ChatError& error, int attempts);

  // Exponential backoff with jitter: min(base·2^(attempts-1), max) × [0.75, 1).
  double backoff(int attempts);

private:
  config::Limits m_limits;
  std::mt19937_64 m_rng;
};

} // namespace llm
