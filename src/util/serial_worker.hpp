// One background thread that runs posted tasks in the order posted: work that
// must not hold up the caller's thread (the event loop) but must keep its own
// order (an exporter's files). The queue is bounded: a caller that outruns
// the worker (a run served from the cache) waits instead of piling up work
// and the memory it holds.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace util {

class SerialWorker {
public:
  explicit SerialWorker(size_t max_queued = 256);
  // Waits for what was posted; an error nobody drained is dropped.
  ~SerialWorker();
  SerialWorker(const SerialWorker&) = delete;
  SerialWorker& operator=(const SerialWorker&) = delete;

  // Waits while max_queued tasks are waiting.
  void post(std::function<void()> task);
  // Returns when every task posted so far has run; rethrows the first
  // exception a task threw (the tasks after it were skipped).
  void drain();

private:
  void loop(std::stop_token stop);

  const size_t m_max_queued;
  std::mutex m_mutex;
  std::condition_variable_any m_changed;
  std::deque<std::function<void()>> m_tasks;
  bool m_running = false;     // a task is out of the queue and running
  std::exception_ptr m_error;
  std::jthread m_thread;      // last: started after, and joined before, the rest
};

} // namespace util
