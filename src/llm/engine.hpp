// Drives chat requests through one Transport: at most a window of requests in
// flight (max_in_flight, halved on 429/503/529 and grown back by one per
// window of successes), paced by the RateLimiter, failed attempts retried per
// RetryPolicy, and the whole endpoint stopped on
// auth, quota or not-found errors so one bad key costs one request, not a
// thousand: until the endpoint has proven itself only one request is in
// flight (the one expected to answer soonest). That probe asks for a
// streamed answer, so its status comes with the model's first words: a 2xx
// status proves the endpoint (key, model and quota accepted) and the window
// opens then, not after the whole answer. An endpoint that stops answering
// mid-run (several failures in a row that point at it: down, unreachable, a
// gateway's error page) is probed the same way again, for up to
// limits.max_outage_wait_s, so a dead server gets one request at a time, not
// every job's whole attempt budget. Single-threaded: callbacks run on the
// caller's thread inside run(), and may submit further requests.
#pragma once

#include "config/config.hpp"
#include "llm/chat.hpp"
#include "llm/codec.hpp"
#include "llm/dispatcher.hpp"
#include "llm/rate_limiter.hpp"
#include "llm/retry.hpp"
#include "llm/transport.hpp"

#include <array>
#include <deque>
#include <functional>
#include <map>
#include <optional>

namespace llm {

class Engine : public Dispatcher {
public:
  Engine(Endpoint endpoint, const config::Limits& limits, Transport& transport, const Clock& clock,
         OnDone on_done);

  void submit(uint64_t id, ChatRequest request) override;
  // The source is asked whenever fewer than two windows of requests wait to
  // be sent (for all of the rest once the endpoint stopped or the run was
  // halted). What is in flight when the run is halted may finish.
  void run() override;
  void set_retry_policy(RetryPolicy policy) { m_policy = std::move(policy); }

private:
  struct Pending {
    uint64_t id;
    ChatRequest request;
    int attempts = 0;
    Clock::time_point due;
    std::optional<Clock::time_point> loading_since; // the server first said its model is loading
    Clock::time_point sent_at{};                    // of the current attempt
    bool probe = false;                             // sent while the endpoint was unproven
    bool streamed = false;                          // asked for a stream the endpoint is not set to
  };

  // The requests waiting for a slot, by ChatRequest::priority.
  class ReadyQueue {
  public:
    void push_back(Pending p) { ++m_size; level(p).push_back(std::move(p)); }
    void push_front(Pending p) { ++m_size; level(p).push_front(std::move(p)); } // a retry, first in its level
    bool empty() const { return m_size == 0; }
    size_t size() const { return m_size; }
    const Pending& front() const;
    Pending pop_front();
    // Moves the request expected to answer soonest (the shortest expected
    // answer, then the shortest prompt) to the front of the queue.
    void quickest_to_front();

  private:
    std::deque<Pending>& level(const Pending& p) { return m_levels[static_cast<size_t>(p.request.priority)]; }

    std::array<std::deque<Pending>, k_priorities> m_levels;
    size_t m_size = 0;
  };

  // llama.cpp answers 503 "Loading model" until its model is in memory (and
  // its /health says the same): that is waited for, polling every couple of
  // seconds, without spending the request's attempts, up to limits.max_load_wait_s.
  bool wait_for_model_load(Pending& p, const ChatError& error);
  // Overload, throttling or transport failures with no success for
  // limits.park_after_overloaded_s: the endpoint is parked (its fallback
  // takes the rest).
  bool overloaded_too_long(const ChatError& error);
  // A probe out of attempts while the endpoint is down mid-run polls on, its
  // waits growing, until limits.max_outage_wait_s has passed since it went quiet.
  bool ride_out_outage(Pending& p);
  std::string unreachable_reason(const Pending& p, const ChatError& error) const;

  void back_off(Pending p, double delay_s); // until it is due again; counts the probe
  void again_unspent(Pending p, const char* cause, double delay_s);
  void count_endpoint_failure(const ChatError& error);
  void refill();
  void dispatch();
  bool paced(const Pending& next, Clock::time_point now);
  HttpRequest encode(const Pending& p) const;
  void handle(Completion completion);
  void answer_begun(uint64_t tag);
  void prove(const Pending& p, Clock::duration min_ramp);
  bool stream_refused(Pending& p, const ChatError& error);
  void count_connection(const HttpResponse& response);
  void log_attempt(const Pending& p, const ChatError& error, const std::string& decision) const;
  void adapt_window(const ChatOutcome& outcome);
  void cancel_all(const std::string& message);
  void cancel(const Pending& p, const std::string& message);
  std::chrono::milliseconds next_wakeup() const;
  bool has_capacity() const;
  int opened_window() const;

  Endpoint m_endpoint;
  const Codec& m_codec;
  config::Limits m_limits;
  std::optional<Clock::time_point> m_overloaded_since; // first failure since the last success
  Transport& m_transport;
  const Clock& m_clock;
  RetryPolicy m_policy;
  ReadyQueue m_ready;
  std::multimap<Clock::time_point, Pending> m_backoff;
  std::map<uint64_t, Pending> m_in_flight;     // by transport tag
  uint64_t m_next_tag = 1;
  bool m_proven = false;                       // a probe's answer began since the endpoint last went quiet
  bool m_stream_probes = true;                 // false once the endpoint refused a streamed probe
  int m_probes_backing_off = 0;                // of m_backoff: at most the one probe
  int m_endpoint_failures = 0;                 // in a row, of the kinds that point at the endpoint
  std::optional<Clock::time_point> m_quiet_since; // a proven endpoint stopped answering
  int m_outage_polls = 0;                      // probes past their attempts since then
  Clock::time_point m_proven_at{};
  Clock::duration m_ramp{};                    // the window opens over this long after the probe
  RateLimiter m_limiter;
  std::optional<Clock::time_point> m_paced_until;
  double m_window;                             // adaptive in-flight limit, ≥ 1
  int64_t m_in_flight_tokens = 0;              // estimates of what is in flight
  std::optional<Clock::time_point> m_last_shrink;
};

} // namespace llm
