// Client-side pacing for one endpoint: requests-per-minute and
// tokens-per-minute token buckets (0 = unlimited), plus what the server's
// rate-limit headers say (OpenAI's x-ratelimit-remaining-* / -reset-*,
// Anthropic's anthropic-ratelimit-*-remaining / -reset), so a run slows down
// before a 429 rather than after. Pure: time is passed in.
//
// Buckets hold at most a sixth of the per-minute limit (ten seconds' worth),
// so a run may burst briefly but cannot spend a whole minute's budget at once.
#pragma once

#include "llm/http.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace llm {

class RateLimiter {
public:
  using time_point = std::chrono::steady_clock::time_point;

  RateLimiter(double requests_per_minute, double tokens_per_minute, time_point now);

  // Earliest time a request estimated at `tokens` may start (≤ now: at once).
  time_point ready_at(int tokens, time_point now);
  // A request of `tokens` starts now.
  void consume(int tokens, time_point now);
  // The server reported the real usage of a request estimated at `estimated`.
  void correct(int estimated, int actual);
  // Reads x-ratelimit-{limit,remaining,reset}-{requests,tokens} (reset: a
  // duration) or anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}
  // (reset: an RFC 3339 instant, read against the response's Date header so
  // the local clock's error does not count). With the limit known, a deficit waits only until it has refilled (limit per
  // minute), not until the whole window resets.
  //
  // Servers compute "remaining" when they charge a request, so the value is
  // stale by the time the answer arrives: what is still in flight
  // (`in_flight_requests`, `in_flight_tokens`) is subtracted from it.
  void observe(const HttpResponse& response, time_point now, int in_flight_requests = 0,
               int64_t in_flight_tokens = 0);

private:
  struct Bucket {
    double per_second = 0;            // 0: unlimited
    double capacity = 0;
    double level = 0;
    time_point updated;
    void refill(time_point now);
  };
  struct ServerWindow {
    std::optional<double> remaining;  // as of the last response, minus what was sent since
    std::optional<double> per_second; // limit / 60 when x-ratelimit-limit-* is known
    time_point seen;                  // when `remaining` was reported
    time_point reset;                 // when the window is full again
  };

  static time_point when_available(const Bucket& b, double amount, time_point now);
  static time_point when_window_allows(const ServerWindow& w, double amount, time_point now);

  Bucket m_requests;
  Bucket m_tokens;
  ServerWindow m_server_requests;
  ServerWindow m_server_tokens;
};

// Go-style durations from rate-limit headers: "1s", "6m0s", "12ms", "2m59.56s",
// "1h2m". Returns seconds, or nullopt when the text is not such a duration.
std::optional<double> parse_reset_duration(std::string_view text);

// An RFC 3339 timestamp ("2026-01-01T00:00:30Z", "...30.25+01:00") as seconds
// since the Unix epoch, or nullopt when the text is not one.
std::optional<double> parse_rfc3339(std::string_view text);

} // namespace llm
