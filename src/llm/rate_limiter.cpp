#include "llm/rate_limiter.hpp"

#include <curl/curl.h>
#include <time.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

namespace llm {

namespace {

using seconds_d = std::chrono::duration<double>;

RateLimiter::time_point after(RateLimiter::time_point t, double seconds) {
  return t + std::chrono::duration_cast<std::chrono::steady_clock::duration>(seconds_d(seconds));
}

std::optional<double> header_number(const HttpResponse& r, const std::string& name) {
  const std::string v = r.header(name);
  double out = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size()) {
    return std::nullopt;
  }
  return out;
}

// Seconds from the response's own Date header (else the local clock) until
// an Anthropic reset instant; never negative.
std::optional<double> seconds_until(std::string_view reset, const HttpResponse& r) {
  const auto at = parse_rfc3339(reset);
  if (!at) return std::nullopt;
  const time_t date = curl_getdate(r.header("date").c_str(), nullptr); // an HTTP-date
  const double now = date >= 0 ? static_cast<double>(date)
                               : std::chrono::duration<double>(
                                   std::chrono::system_clock::now().time_since_epoch()).count();
  return std::max(0.0, *at - now);
}

} // namespace

std::optional<double> parse_rfc3339(std::string_view text) {
  const std::string s(text);
  tm fields{};
  const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &fields);
  if (!rest) return std::nullopt;
  double seconds = static_cast<double>(timegm(&fields));
  if (*rest == '.') { // fractional seconds
    const char* digits = rest + 1;
    double fraction = 0, scale = 0.1;
    for (rest = digits; *rest >= '0' && *rest <= '9'; ++rest, scale /= 10) fraction += (*rest - '0') * scale;
    if (rest == digits) return std::nullopt;
    seconds += fraction;
  }
  if (*rest == 'Z' || *rest == 'z') return rest[1] == '\0' ? std::optional(seconds) : std::nullopt;
  int hours = 0, minutes = 0, used = 0;
  if ((*rest != '+' && *rest != '-') || std::sscanf(rest + 1, "%2d:%2d%n", &hours, &minutes, &used) != 2 ||
      rest[1 + used] != '\0') {
    return std::nullopt;
  }
  const double offset = hours * 3600.0 + minutes * 60.0;
  return *rest == '+' ? seconds - offset : seconds + offset;
}

std::optional<double> parse_reset_duration(std::string_view text) {
  double total = 0;
  bool any = false;
  while (!text.empty()) {
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc()) {
      return std::nullopt;
    }
    text.remove_prefix(static_cast<size_t>(end - text.data()));
    // "ms" must be matched before "m".
    if (text.starts_with("ms")) { total += value / 1000; text.remove_prefix(2); }
    else if (text.starts_with("h")) { total += value * 3600; text.remove_prefix(1); }
    else if (text.starts_with("m")) { total += value * 60; text.remove_prefix(1); }
    else if (text.starts_with("s")) { total += value; text.remove_prefix(1); }
    else if (text.empty() && !any) { total += value; } // a bare number means seconds
    else { return std::nullopt; }
    any = true;
  }
  return any ? std::optional<double>(total) : std::nullopt;
}

void RateLimiter::Bucket::refill(time_point now) {
  if (per_second <= 0) return;
  const double elapsed = seconds_d(now - updated).count();
  level = std::min(capacity, level + elapsed * per_second);
  updated = now;
}

RateLimiter::RateLimiter(double requests_per_minute, double tokens_per_minute, time_point now) {
  for (auto [bucket, per_minute] : {std::pair{&m_requests, requests_per_minute},
                                    std::pair{&m_tokens, tokens_per_minute}}) {
    bucket->per_second = per_minute / 60.0;
    bucket->capacity = std::max(1.0, per_minute / 6.0);
    bucket->level = bucket->capacity;
    bucket->updated = now;
  }
}

RateLimiter::time_point RateLimiter::when_available(const Bucket& b, double amount,
                                                    time_point now) {
  if (b.per_second <= 0) return now;
  // A request larger than the whole bucket waits for a full bucket, not forever.
  const double needed = std::min(amount, b.capacity) - b.level;
  return needed <= 0 ? now : after(now, needed / b.per_second);
}

RateLimiter::time_point RateLimiter::when_window_allows(const ServerWindow& w, double amount,
                                                        time_point now) {
  if (!w.remaining || now >= w.reset) return now;
  double available = *w.remaining;
  if (w.per_second) {
    available += seconds_d(now - w.seen).count() * *w.per_second; // refilled since reported
  }
  if (available >= amount) return now;
  if (!w.per_second) return w.reset;
  return std::min(w.reset, after(now, (amount - available) / *w.per_second));
}

RateLimiter::time_point RateLimiter::ready_at(int tokens, time_point now) {
  m_requests.refill(now);
  m_tokens.refill(now);
  return std::max({when_available(m_requests, 1, now), when_available(m_tokens, tokens, now),
                   when_window_allows(m_server_requests, 1, now),
                   when_window_allows(m_server_tokens, tokens, now)});
}

void RateLimiter::consume(int tokens, time_point now) {
  m_requests.refill(now);
  m_tokens.refill(now);
  if (m_requests.per_second > 0) m_requests.level -= 1;
  if (m_tokens.per_second > 0) m_tokens.level -= tokens;
  if (m_server_requests.remaining) *m_server_requests.remaining -= 1;
  if (m_server_tokens.remaining) *m_server_tokens.remaining -= tokens;
}

void RateLimiter::correct(int estimated, int actual) {
  if (m_tokens.per_second > 0) {
    m_tokens.level = std::min(m_tokens.capacity, m_tokens.level + estimated - actual);
  }
}

namespace {

// One server window's headers. OpenAI's reset is a duration ("6m0s"),
// Anthropic's an RFC 3339 instant; Anthropic's tokens-* is the most
// restrictive of its input and output limits.
struct WindowHeaders {
  const char* remaining;
  const char* reset;
  const char* limit;
  bool reset_is_instant;
};

constexpr WindowHeaders k_request_headers[] = {
  {"x-ratelimit-remaining-requests", "x-ratelimit-reset-requests", "x-ratelimit-limit-requests", false},
  {"anthropic-ratelimit-requests-remaining", "anthropic-ratelimit-requests-reset",
   "anthropic-ratelimit-requests-limit", true}};
constexpr WindowHeaders k_token_headers[] = {
  {"x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens", "x-ratelimit-limit-tokens", false},
  {"anthropic-ratelimit-tokens-remaining", "anthropic-ratelimit-tokens-reset",
   "anthropic-ratelimit-tokens-limit", true}};

} // namespace

void RateLimiter::observe(const HttpResponse& r, time_point now, int in_flight_requests,
                          int64_t in_flight_tokens) {
  auto window = [&](ServerWindow& w, const WindowHeaders& h, double in_flight) {
    auto left = header_number(r, h.remaining);
    auto wait = h.reset_is_instant ? seconds_until(r.header(h.reset), r)
                                   : parse_reset_duration(r.header(h.reset));
    if (!left || !wait) {
      return;
    }
    w.remaining = *left - in_flight;
    w.seen = now;
    w.reset = after(now, *wait);
    if (auto limit = header_number(r, h.limit); limit && *limit > 0) {
      w.per_second = *limit / 60.0;
    }
  };
  for (const auto& h : k_request_headers) window(m_server_requests, h, in_flight_requests);
  for (const auto& h : k_token_headers) window(m_server_tokens, h, static_cast<double>(in_flight_tokens));
}

} // namespace llm
