#include "llm/retry.hpp"

#include <cmath>
#include <fmt/format.h>

namespace llm {

namespace {

bool retryable(ErrorKind kind) {
  switch (kind) {
  case ErrorKind::transport:
  case ErrorKind::throttle:
  case ErrorKind::overloaded:
  case ErrorKind::unprocessed:
  case ErrorKind::empty:
  case ErrorKind::malformed:
  case ErrorKind::gateway:
    return true;
  default:
    return false;
  }
}

bool stops_endpoint(ErrorKind kind) {
  return kind == ErrorKind::auth || kind == ErrorKind::quota || kind == ErrorKind::not_found ||
         kind == ErrorKind::tls;
}

} // namespace

RetryPolicy::RetryPolicy(const config::Limits& limits, uint64_t seed)
  : m_limits(limits), m_rng(seed) {}

double RetryPolicy::backoff(int attempts) {
  double base = m_limits.backoff_base_s * std::pow(2.0, std::max(0, attempts - 1));
  double capped = std::min(base, m_limits.backoff_max_s);
  std::uniform_real_distribution<double> jitter(0.75, 1.0);
  return capped * jitter(m_rng);
}

RetryDecision RetryPolicy::decide(const ChatError& error, int attempts) {
  if (stops_endpoint(error.kind)) {
    return {Verdict::stop_endpoint, 0, describe(error)};
  }
  bool retry = error.should_retry.value_or(retryable(error.kind));
  if (!retry || attempts >= m_limits.max_attempts) {
    return {Verdict::fail, 0, {}};
  }
  double server = error.retry_after_s.value_or(0);
  if (server > m_limits.max_retry_after_s) {
    return {Verdict::stop_endpoint, 0,
            fmt::format("the endpoint asks to wait {:.0f} s, above limits.max_retry_after_s "
                        "({:.0f} s): treating it as exhausted quota ({})",
                        server, m_limits.max_retry_after_s, describe(error))};
  }
  return {Verdict::retry, std::max(server, backoff(attempts)), {}};
}

} // namespace llm
