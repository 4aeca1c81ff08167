#include "util/serial_worker.hpp"

#include <algorithm>
#include <utility>

namespace util {

SerialWorker::SerialWorker(size_t max_queued)
  : m_max_queued(std::max<size_t>(max_queued, 1)), m_thread([this](std::stop_token stop) { loop(stop); }) {}

SerialWorker::~SerialWorker() {
  try {
    drain();
  } catch (...) {
    // Only drain() reports; a worker destroyed during unwinding must not throw.
  }
  m_thread.request_stop(); // the stop token wakes the wait in loop()
}

void SerialWorker::post(std::function<void()> task) {
  {
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [&] { return m_tasks.size() < m_max_queued; });
    m_tasks.push_back(std::move(task));
  }
  m_changed.notify_all();
}

void SerialWorker::drain() {
  std::unique_lock lock(m_mutex);
  m_changed.wait(lock, [&] { return m_tasks.empty() && !m_running; });
  if (m_error) std::rethrow_exception(std::exchange(m_error, nullptr));
}

void SerialWorker::loop(std::stop_token stop) {
  std::unique_lock lock(m_mutex);
  while (m_changed.wait(lock, stop, [&] { return !m_tasks.empty(); })) {
    std::function<void()> task = std::move(m_tasks.front());
    if (m_tasks.size() == m_max_queued) m_changed.notify_all(); // a post() may be waiting for room
    m_tasks.pop_front();
    if (m_error) { // a task failed: the rest are skipped until drain() reports it
      m_changed.notify_all();
      continue;
    }
    m_running = true;
    lock.unlock();
    std::exception_ptr error;
    try {
      task();
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    m_running = false;
    if (error && !m_error) m_error = error;
    m_changed.notify_all();
  }
}

} // namespace util
