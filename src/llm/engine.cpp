#include "llm/engine.hpp"

#include "llm/errors.hpp"
#include "util/text.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace llm {

using namespace std::chrono_literals;

namespace {

constexpr auto k_max_poll = 100ms; // bounds how stale progress output can get
constexpr auto k_max_ramp = 1s;    // the longest the window takes to open after the probe (opened_window)
constexpr auto k_min_begun_ramp = 100ms; // the shortest, after a probe whose answer began
// Failures in a row that say a proven endpoint stopped answering. A flaky
// network's occasional reset never makes five in a row; a dead server makes
// as many as there were requests in flight.
constexpr int k_failures_to_reprobe = 5;

// "stream" as a word or a word's start ("stream", "streaming", "stream_options"),
// not inside one ("upstream").
bool names_streaming(const std::string& message) {
  const std::string lower = util::to_lower_ascii(message);
  for (size_t at = lower.find("stream"); at != std::string::npos; at = lower.find("stream", at + 1)) {
    if (at == 0 || !std::isalpha(static_cast<unsigned char>(lower[at - 1]))) return true;
  }
  return false;
}

// Failures that say more about the endpoint (down, wrong URL) than the request.
bool points_at_endpoint(ErrorKind kind) {
  return kind == ErrorKind::transport || kind == ErrorKind::gateway || kind == ErrorKind::malformed;
}

} // namespace

Engine::Engine(Endpoint endpoint, const config::Limits& limits, Transport& transport,
               const Clock& clock, OnDone on_done)
  : Dispatcher(std::move(on_done)), m_endpoint(std::move(endpoint)),
    m_codec(codec_for(m_endpoint.provider)), m_limits(limits), m_transport(transport), m_clock(clock),
    m_policy(limits),
    m_limiter(limits.requests_per_minute, limits.tokens_per_minute, clock.now()),
    m_window(limits.max_in_flight) {}

const Engine::Pending& Engine::ReadyQueue::front() const {
  for (const auto& l : m_levels) {
    if (!l.empty()) return l.front();
  }
  throw std::logic_error("ReadyQueue::front on an empty queue");
}

Engine::Pending Engine::ReadyQueue::pop_front() {
  for (auto& l : m_levels) {
    if (l.empty()) continue;
    Pending p = std::move(l.front());
    l.pop_front();
    --m_size;
    return p;
  }
  throw std::logic_error("ReadyQueue::pop_front on an empty queue");
}

void Engine::ReadyQueue::quickest_to_front() {
  auto expected = [](const Pending& p) {
    const ChatRequest& r = p.request;
    return std::pair(r.estimated_tokens - r.estimated_prompt_tokens, r.estimated_prompt_tokens);
  };
  std::deque<Pending>* best_level = nullptr;
  std::deque<Pending>::iterator best;
  for (auto& l : m_levels) {
    for (auto it = l.begin(); it != l.end(); ++it) {
      if (!best_level || expected(*it) < expected(*best)) {
        best_level = &l;
        best = it;
      }
    }
  }
  if (!best_level) return;
  Pending p = std::move(*best);
  best_level->erase(best);
  m_levels.front().push_front(std::move(p)); // ahead of every level
}

void Engine::submit(uint64_t id, ChatRequest request) {
  m_ready.push_back({id, std::move(request), 0, {}, std::nullopt});
  ++m_stats.waiting;
}

void Engine::run() {
  for (;;) {
    refill();
    if (m_ready.empty() && m_backoff.empty() && m_in_flight.empty()) {
      break;
    }
    if (m_stop_reason) {
      cancel_all("not sent: the endpoint was stopped");
      if (m_in_flight.empty()) {
        break;
      }
    }
    if (const auto why = halted()) {
      cancel_all("not sent: " + *why);
    }
    dispatch();
    std::vector<Completion> completions = m_transport.wait(next_wakeup());
    bool answered = false;
    for (auto& completion : completions) {
      answered = answered || !completion.begun;
      handle(std::move(completion));
      // The answer's replacement leaves before the next answer is read: sent
      // after all of a wake-up's answers, the replacements travelled as a
      // clump and came back as one, round trip after round trip.
      dispatch();
    }
    if (answered && m_after_answers) {
      m_after_answers();
    }
    if (m_on_progress) {
      m_stats.backing_off = static_cast<int>(m_backoff.size());
      m_on_progress(m_stats);
    }
  }
}

void Engine::refill() {
  const bool draining = m_stop_reason || halted();
  const size_t wanted = 2 * static_cast<size_t>(m_limits.max_in_flight);
  while (m_source && (draining || m_ready.size() < wanted)) {
    const size_t waiting = m_ready.size();
    if (!m_source(draining ? SIZE_MAX : wanted - m_ready.size(), draining)) {
      m_source = nullptr;
    } else if (m_ready.size() == waiting) {
      break; // nothing ready yet: asked again after the next wake-up
    }
  }
}

void Engine::dispatch() {
  if (halted()) {
    return; // halted since the loop last looked: what waits is cancelled there
  }
  const auto now = m_clock.now();
  while (!m_backoff.empty() && m_backoff.begin()->first <= now) {
    m_probes_backing_off -= m_backoff.begin()->second.probe;
    m_ready.push_front(std::move(m_backoff.begin()->second)); // retries go first in their priority
    m_backoff.erase(m_backoff.begin());
  }
  m_paced_until.reset();
  if (m_stats.sent == 0) {
    // The probe decides whether the window opens, so the answer expected
    // soonest goes first: a title's translation rather than a long section.
    m_ready.quickest_to_front();
  }
  while (!m_stop_reason && !m_ready.empty() && has_capacity() && !paced(m_ready.front(), now)) {
    Pending p = m_ready.pop_front();
    if (p.attempts == 0 && m_admit && !m_admit(p.id)) {
      cancel(p, m_refusal);
      continue;
    }
    ++p.attempts;
    p.probe = !m_proven;
    p.streamed = p.probe && !m_endpoint.stream && m_stream_probes;
    m_limiter.consume(p.request.estimated_tokens, now);
    m_in_flight_tokens += p.request.estimated_tokens;
    const uint64_t tag = m_next_tag++;
    HttpRequest http = encode(p);
    http.limits = m_endpoint.transfer;
    m_transport.start(tag, std::move(http));
    p.sent_at = now;
    m_in_flight.emplace(tag, std::move(p));
    ++m_stats.sent;
    --m_stats.waiting;
    ++m_stats.in_flight;
  }
}

// A probe asks for a streamed answer, which begins (status and headers)
// with the model's first words where a whole answer's status comes with its
// last: the window opens that much sooner. Every provider streams; the
// answer is decoded the same way either way (by its Content-Type).
HttpRequest Engine::encode(const Pending& p) const {
  if (!p.probe) {
    return m_codec.encode(p.request, m_endpoint);
  }
  Endpoint streamed = m_endpoint;
  streamed.stream = streamed.stream || p.streamed;
  HttpRequest http = m_codec.encode(p.request, streamed);
  http.report_begun = true;
  return http;
}

// True when the rate limits hold `next` back; remembers until when.
bool Engine::paced(const Pending& next, Clock::time_point now) {
  const auto at = m_limiter.ready_at(next.request.estimated_tokens, now);
  if (at <= now) {
    return false;
  }
  m_paced_until = at;
  return true;
}

std::chrono::milliseconds Engine::next_wakeup() const {
  if (!m_ready.empty() && has_capacity() && !m_stop_reason && !m_paced_until) {
    return 0ms;
  }
  auto wait = std::chrono::milliseconds(k_max_poll);
  if (!m_ready.empty() && m_proven && m_clock.now() - m_proven_at < m_ramp) {
    wait = 1ms; // the opening window lets one more request go about every millisecond
  }
  auto wait_until = [&](Clock::time_point t) {
    auto until = std::chrono::ceil<std::chrono::milliseconds>(t - m_clock.now());
    wait = std::clamp(until, 0ms, wait);
  };
  if (!m_backoff.empty()) wait_until(m_backoff.begin()->first);
  if (m_paced_until) wait_until(*m_paced_until);
  return wait;
}

// Until a probe's answer has begun, one request at a time, counting the
// probe while it backs off: it must fail for good before anything else is sent.
bool Engine::has_capacity() const {
  if (!m_proven) {
    return m_in_flight.empty() && m_probes_backing_off == 0;
  }
  return static_cast<int>(m_in_flight.size()) < opened_window();
}

// After the probe the window opens evenly over half the time the probe took
// to prove the endpoint (until its answer began; until its end from a
// transport that gives no such news), at most k_max_ramp, instead of all at
// once: a burst of max_in_flight requests (and as many connections opened,
// TLS handshakes included) comes back as a burst, each answer's replacement
// queueing behind the whole burst. Spread out, each answer is replaced as it
// arrives; the ramp itself costs half its length, once. An answer's start
// says nothing of how long the answer takes (a local server's begins within
// milliseconds), so after one the window takes at least k_min_begun_ramp
// (measured at 256 in flight: 100 ms ended the run about 60 ms sooner than
// opening at once).
int Engine::opened_window() const {
  const auto since = m_clock.now() - m_proven_at;
  if (since >= m_ramp) {
    return static_cast<int>(m_window);
  }
  const double share = std::chrono::duration<double>(since) / m_ramp;
  return std::max(1, static_cast<int>(m_window * share));
}

// AIMD: an overloaded or throttling answer halves the window (at most once a
// second, so one burst of 429s counts once); each success adds 1/window, i.e.
// one request per window of successes. Never below 1 nor above max_in_flight.
void Engine::adapt_window(const ChatOutcome& outcome) {
  if (outcome) {
    m_window = std::min<double>(m_limits.max_in_flight, m_window + 1.0 / m_window);
  } else {
    const int s = outcome.error().status;
    const auto now = m_clock.now();
    if ((s == 429 || s == 503 || s == 529) && (!m_last_shrink || now - *m_last_shrink >= 1s)) {
      m_window = std::max(1.0, m_window / 2);
      m_last_shrink = now;
      spdlog::debug("endpoint overloaded (HTTP {}): in-flight window now {}", s,
                    static_cast<int>(m_window));
    }
  }
  m_stats.window = static_cast<int>(m_window);
}

void Engine::count_connection(const HttpResponse& r) {
  m_stats.connections_opened += r.new_connection ? 1 : 0;
  if (r.http_version == 2 || r.http_version == 3) {
    ++m_stats.responses_by_protocol[fmt::format("HTTP/{}", r.http_version)];
  } else if (r.http_version != 0) {
    ++m_stats.responses_by_protocol[fmt::format("HTTP/{}.{}", r.http_version / 10, r.http_version % 10)];
  }
}

// A probe's 2xx answer has begun: the server took the key, the model and
// the request, which is what the probe asks. Its completion follows.
void Engine::answer_begun(uint64_t tag) {
  auto it = m_in_flight.find(tag);
  if (it != m_in_flight.end() && it->second.probe && !m_proven) {
    prove(it->second, k_min_begun_ramp);
  }
}

// Only a request sent since the endpoint went quiet proves it is back: an
// answer to an older one says only that it was there then.
void Engine::prove(const Pending& p, Clock::duration min_ramp) {
  if (m_quiet_since) spdlog::info("endpoint {} answers again; sending resumes", redact_url(m_endpoint.base_url));
  m_quiet_since.reset();
  m_outage_polls = 0;
  m_proven = true;
  m_proven_at = m_clock.now();
  m_ramp = std::clamp<Clock::duration>((m_proven_at - p.sent_at) / 2, min_ramp, k_max_ramp);
}

void Engine::handle(Completion completion) {
  if (completion.begun) {
    answer_begun(completion.tag);
    return;
  }
  auto it = m_in_flight.find(completion.tag);
  if (it == m_in_flight.end()) {
    return;
  }
  Pending p = std::move(it->second);
  m_in_flight.erase(it);
  --m_stats.in_flight;
  m_in_flight_tokens -= p.request.estimated_tokens;
  count_connection(completion.response);
  ChatOutcome outcome = m_codec.decode(completion.response, p.request);
  scrub_secret(outcome, m_endpoint.api_key);
  m_limiter.observe(completion.response, m_clock.now(), static_cast<int>(m_in_flight.size()),
                    m_in_flight_tokens);
  adapt_window(outcome);
  if (outcome) {
    m_limiter.correct(p.request.estimated_tokens,
                      outcome->usage.prompt_tokens + outcome->usage.completion_tokens);
    m_endpoint_failures = 0;
    if (!m_proven && p.probe) {
      prove(p, Clock::duration::zero()); // a transport that gave no news of the answer's start
    }
    m_overloaded_since.reset();
    ++m_stats.succeeded;
    m_on_done(p.id, outcome);
    return;
  }
  const ChatError& error = outcome.error();
  count_endpoint_failure(error);
  if (wait_for_model_load(p, error) || stream_refused(p, error)) {
    return;
  }
  RetryDecision decision = m_policy.decide(error, p.attempts);
  if (overloaded_too_long(error)) {
    decision = {Verdict::stop_endpoint, 0,
                fmt::format("overloaded for more than {:.0f} s (limits.park_after_overloaded_s): {}",
                            m_limits.park_after_overloaded_s, describe(error))};
  }
  if (decision.verdict == Verdict::retry) {
    log_attempt(p, error, fmt::format("retrying in {:.2f} s", decision.delay_s));
    ++m_stats.retries;
    ++m_stats.retries_by_cause[kind_name(error.kind)];
    ++m_stats.waiting;
    back_off(std::move(p), decision.delay_s);
    return;
  }
  if (decision.verdict == Verdict::fail && !m_proven && points_at_endpoint(error.kind)) {
    if (ride_out_outage(p)) {
      log_attempt(p, error, "the endpoint is down: polling on");
      return;
    }
    // The probe used every attempt and the endpoint never answered usefully
    // (at the start, or for max_outage_wait_s since it went quiet): every
    // other request would do the same, one backoff at a time.
    decision = {Verdict::stop_endpoint, 0, unreachable_reason(p, error)};
  }
  if (decision.verdict == Verdict::stop_endpoint && !m_stop_reason) {
    m_stop_reason = decision.reason;
  }
  log_attempt(p, error, decision.verdict == Verdict::stop_endpoint ? "not retried; the endpoint stops"
                                                                   : "not retried");
  ++m_stats.failed;
  m_on_done(p.id, outcome);
}

// Every failed attempt, at -v: provider, status, error type and code, the
// server's request id (in describe) and what was decided.
void Engine::log_attempt(const Pending& p, const ChatError& error, const std::string& decision) const {
  spdlog::debug("{} request {} attempt {} of {} failed ({}); {}", provider_name(m_endpoint.provider), p.id,
                p.attempts, m_limits.max_attempts, describe(error), decision);
}

// Sent again after `delay_s` without spending an attempt (a poll of a
// loading model or a dead server, a probe resent unstreamed), counted as a
// retry by `cause`.
void Engine::again_unspent(Pending p, const char* cause, double delay_s) {
  --p.attempts;
  ++m_stats.retries;
  ++m_stats.retries_by_cause[cause];
  ++m_stats.waiting;
  back_off(std::move(p), delay_s);
}

void Engine::back_off(Pending p, double delay_s) {
  const auto due = m_clock.now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(delay_s));
  m_probes_backing_off += p.probe;
  m_backoff.emplace(due, std::move(p));
}

// A proven endpoint whose answers fail this way several times in a row has
// gone quiet (restarting, unplugged, behind a failing gateway): it is probed
// again, one request at a time, until it answers or limits.max_outage_wait_s
// has passed (ride_out_outage); then it stops as unreachable.
void Engine::count_endpoint_failure(const ChatError& error) {
  if (!points_at_endpoint(error.kind)) {
    m_endpoint_failures = 0; // the server answered, if not usefully
    return;
  }
  if (++m_endpoint_failures < k_failures_to_reprobe || !m_proven) {
    return;
  }
  m_proven = false;
  m_quiet_since = m_clock.now();
  spdlog::warn("endpoint {} stopped answering ({} failures in a row, the last: {}); one request at a "
               "time until it answers again, for up to {:.0f} s (limits.max_outage_wait_s)",
               redact_url(m_endpoint.base_url), m_endpoint_failures, describe(error), m_limits.max_outage_wait_s);
}

std::string Engine::unreachable_reason(const Pending& p, const ChatError& error) const {
  if (m_quiet_since && m_limits.max_outage_wait_s > 0) {
    return fmt::format("not answering for {:.0f} s (limits.max_outage_wait_s): {}", m_limits.max_outage_wait_s,
                       describe(error));
  }
  return fmt::format("unreachable after {} attempts: {}", p.attempts, describe(error));
}

bool Engine::ride_out_outage(Pending& p) {
  const auto now = m_clock.now();
  if (!m_quiet_since || now - *m_quiet_since >= std::chrono::duration<double>(m_limits.max_outage_wait_s)) {
    return false;
  }
  // A poll, not an attempt: the job keeps its last one for a live server.
  const double delay_s = m_policy.backoff(p.attempts - 1 + ++m_outage_polls);
  again_unspent(std::move(p), "endpoint_down", delay_s);
  return true;
}

bool Engine::overloaded_too_long(const ChatError& error) {
  const bool overload = error.kind == ErrorKind::overloaded || error.kind == ErrorKind::throttle ||
                        error.kind == ErrorKind::transport;
  if (!overload || m_limits.park_after_overloaded_s <= 0) {
    return false;
  }
  const auto now = m_clock.now();
  if (!m_overloaded_since) {
    m_overloaded_since = now;
  }
  return now - *m_overloaded_since >= std::chrono::duration<double>(m_limits.park_after_overloaded_s);
}

// A server that cannot stream refuses the probe's stream with a 400 (or a
// validator's 422) that names it: the probe goes again as asked (this attempt
// not counted), and so does every later probe.
bool Engine::stream_refused(Pending& p, const ChatError& error) {
  if (!p.streamed || (error.status != 400 && error.status != 422) || !names_streaming(error.message)) {
    return false;
  }
  m_stream_probes = false;
  log_attempt(p, error, "the endpoint does not stream: sent again unstreamed");
  again_unspent(std::move(p), "stream_refused", 0);
  return true;
}

bool Engine::wait_for_model_load(Pending& p, const ChatError& error) {
  const bool loading = error.status == 503 && (error.type == "unavailable_error" ||
                                               mentions(error, "loading model"));
  const auto now = m_clock.now();
  if (!loading) {
    return false;
  }
  if (!p.loading_since) {
    p.loading_since = now;
    spdlog::info("the endpoint is loading its model; waiting up to {:.0f} s (limits.max_load_wait_s)",
                 m_limits.max_load_wait_s);
  }
  if (now - *p.loading_since >= std::chrono::duration<double>(m_limits.max_load_wait_s)) {
    return false; // waited long enough: an ordinary retryable failure now
  }
  again_unspent(std::move(p), "model_loading", 2.0); // a poll, not an attempt
  return true;
}

void Engine::cancel(const Pending& p, const std::string& message) {
  ChatError cancelled;
  cancelled.kind = ErrorKind::cancelled;
  cancelled.message = message;
  --m_stats.waiting;
  m_on_done(p.id, std::unexpected(cancelled));
}

void Engine::cancel_all(const std::string& message) {
  while (!m_ready.empty()) {
    cancel(m_ready.pop_front(), message);
  }
  for (auto& [due, p] : m_backoff) {
    cancel(p, message);
  }
  m_backoff.clear();
  m_probes_backing_off = 0;
}

} // namespace llm
