// What the pipeline sees of a way to get chat requests answered: submit
// requests (or let them be drawn from a source), run until all are over, and
// be told of each outcome. Two kinds: llm::Engine sends live requests,
// llm::BatchEngine sends them through a provider's batch API.
// Single-threaded: callbacks run on the caller's thread inside run(), and may
// submit further requests.
#pragma once

#include "llm/chat.hpp"
#include "llm/transport.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace llm {

struct EngineStats {
  int sent = 0;                       // HTTP attempts made (batch: request lines submitted)
  int retries = 0;
  int in_flight = 0;
  int window = 0;                     // current in-flight limit (adaptive)
  int waiting = 0;                    // queued or backing off
  int backing_off = 0;                // waiting out a retry's delay
  int succeeded = 0;
  int failed = 0;
  int from_earlier = 0;               // succeeded: answered by a batch an earlier run sent
  std::map<std::string, int> retries_by_cause;
  int connections_opened = 0;
  std::map<std::string, int> responses_by_protocol; // "HTTP/1.1", "HTTP/2"
};

class Dispatcher {
public:
  using OnDone = std::function<void(uint64_t id, const ChatOutcome& outcome)>;
  using OnProgress = std::function<void(const EngineStats& stats)>;
  // Asked before a request's first attempt; false: the request is not sent.
  using Admit = std::function<bool(uint64_t id)>;
  // Asked for about `wanted` more submissions (SIZE_MAX: all that are left);
  // returns false when it has nothing left. Lets the caller render requests
  // as they are needed instead of all before run(). Unless `wait`, it may
  // submit nothing when nothing is ready yet while some of its requests are
  // in the engine (it is asked again after the next wake-up); with none
  // there, or with `wait` (the engine has nothing else to do), it must wait
  // for its next request or return false.
  using Source = std::function<bool(size_t wanted, bool wait)>;

  explicit Dispatcher(OnDone on_done) : m_on_done(std::move(on_done)) {}
  virtual ~Dispatcher() = default;
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Asked at every wake-up: why nothing new may be sent any more (the run's
  // deadline passed, the run was interrupted), or nothing. What is in flight
  // may finish; what waits is cancelled as "not sent: <why>".
  using Halt = std::function<std::optional<std::string>()>;

  virtual void submit(uint64_t id, ChatRequest request) = 0;
  // The caller stops waiting for these submitted requests: their answers are
  // kept for a later submit of the same requests to take, and OnDone is not
  // called for them. All or none: false, with nothing changed, when one
  // cannot be let go (live requests never can).
  virtual bool let_go(const std::vector<uint64_t>& ids) {
    (void)ids;
    return false;
  }
  // Returns when every submitted request has finished, failed or been
  // cancelled because the endpoint stopped or the run was halted.
  virtual void run() = 0;

  void set_source(Source source) { m_source = std::move(source); }
  void set_progress(OnProgress on_progress) { m_on_progress = std::move(on_progress); }
  // Called after a group of answers was handed to OnDone, before the next
  // wait on the network: where the caller makes them durable.
  void set_after_answers(std::function<void()> after) { m_after_answers = std::move(after); }
  void set_halt(Halt halt) { m_halt = std::move(halt); }
  void set_admission(Admit admit, std::string refusal) {
    m_admit = std::move(admit);
    m_refusal = std::move(refusal);
  }
  const EngineStats& stats() const { return m_stats; }
  // Why the endpoint was stopped, if it was.
  const std::optional<std::string>& stop_reason() const { return m_stop_reason; }

protected:
  std::optional<std::string> halted() const { return m_halt ? m_halt() : std::nullopt; }

  OnDone m_on_done;
  OnProgress m_on_progress;
  Source m_source;                    // null once exhausted
  std::function<void()> m_after_answers;
  Admit m_admit;
  std::string m_refusal;
  Halt m_halt;
  EngineStats m_stats;
  std::optional<std::string> m_stop_reason;
};

} // namespace llm
