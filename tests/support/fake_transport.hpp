// A Transport that answers from a script, instantly or after a set latency,
// and a clock it advances while "waiting", so delays cost no real time in tests.
#pragma once

#include "llm/transport.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <functional>
#include <optional>

namespace testenv {

class FakeClock : public llm::Clock {
public:
  time_point now() const override { return m_now; }
  void advance(std::chrono::milliseconds d) { m_now += d; }

private:
  time_point m_now{};
};

class FakeTransport : public llm::Transport {
public:
  using Responder = std::function<llm::HttpResponse(const llm::HttpRequest&, int nth)>;

  FakeTransport(FakeClock& clock, Responder responder)
    : m_clock(clock), m_responder(std::move(responder)) {}

  // Every answer arrives this long after its request was started.
  void set_latency(std::chrono::milliseconds latency) { m_latency = latency; }
  // A request that asks (report_begun) hears this long after it was started
  // that its 2xx answer began. Unset: no such news, as from a transport
  // that gives none.
  void set_first_byte(std::chrono::milliseconds after) { m_first_byte = after; }

  void start(uint64_t tag, llm::HttpRequest request) override {
    ++m_started;
    m_max_concurrent = std::max(m_max_concurrent, static_cast<int>(m_pending.size()) + 1);
    m_requests.push_back(request);
    m_start_times.push_back(m_clock.now());
    llm::HttpResponse response = m_responder(request, m_started);
    sink_body(request, response);
    if (m_first_byte && request.report_begun && response.status >= 200 && response.status < 300) {
      llm::HttpResponse so_far;
      so_far.status = response.status;
      so_far.headers = response.headers;
      m_news.push_back({m_clock.now() + *m_first_byte, {tag, std::move(so_far), true}});
    }
    m_pending.push_back({m_clock.now() + m_latency, {tag, std::move(response)}});
  }

  // The answers that are due; with none due, the clock moves on to the next
  // one or by the timeout (at least 1 ms), whichever comes first.
  std::vector<llm::Completion> wait(std::chrono::milliseconds timeout) override {
    if (!due(m_pending) && !due(m_news)) {
      auto step = std::max(timeout, std::chrono::milliseconds(1));
      for (const auto* queue : {&m_pending, &m_news}) {
        if (queue->empty()) continue;
        step = std::min<std::chrono::milliseconds>(
          step, std::chrono::ceil<std::chrono::milliseconds>(queue->front().due - m_clock.now()));
      }
      m_clock.advance(step);
    }
    std::vector<llm::Completion> done;
    for (auto* queue : {&m_news, &m_pending}) { // news first, as the curl transport gives it
      while (due(*queue)) {
        done.push_back(std::move(queue->front().completion));
        queue->pop_front();
      }
    }
    return done;
  }

  int started() const { return m_started; }
  size_t pending() const { return m_pending.size(); } // started, not yet answered
  int max_concurrent() const { return m_max_concurrent; }
  const std::vector<llm::HttpRequest>& requests() const { return m_requests; }
  const std::vector<llm::Clock::time_point>& start_times() const { return m_start_times; }

private:
  struct Pending {
    llm::Clock::time_point due;
    llm::Completion completion;
  };

  bool due(const std::deque<Pending>& queue) const { return !queue.empty() && queue.front().due <= m_clock.now(); }

  // As the curl transport does: a 2xx body goes to the request's sink, a
  // few KB at a time, instead of into the response.
  static void sink_body(const llm::HttpRequest& request, llm::HttpResponse& response) {
    if (!request.body_sink || response.status < 200 || response.status >= 300) return;
    constexpr size_t k_piece = 4096;
    for (size_t at = 0; at < response.body.size(); at += k_piece) {
      request.body_sink(at, std::string_view(response.body).substr(at, k_piece));
    }
    response.body.clear();
  }

  FakeClock& m_clock;
  Responder m_responder;
  std::chrono::milliseconds m_latency{0};
  std::optional<std::chrono::milliseconds> m_first_byte;
  std::deque<Pending> m_pending; // in start order, so in due order
  std::deque<Pending> m_news;    // answers begun (report_begun), likewise
  std::vector<llm::HttpRequest> m_requests;
  std::vector<llm::Clock::time_point> m_start_times;
  int m_started = 0;
  int m_max_concurrent = 0;
};

inline llm::HttpResponse ok_response(const std::string& content) {
  llm::HttpResponse r;
  r.status = 200;
  r.headers["content-type"] = "application/json";
  r.body = R"({"choices":[{"message":{"role":"assistant","content":")" + content +
           R"("},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":5}})";
  return r;
}

inline llm::HttpResponse status_response(long status, const std::string& body,
                                         std::map<std::string, std::string> headers = {}) {
  llm::HttpResponse r;
  r.status = status;
  r.body = body;
  r.headers = std::move(headers);
  r.headers["content-type"] = "application/json";
  return r;
}

} // namespace testenv
