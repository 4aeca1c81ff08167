#include "util/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>
#include <vector>

namespace util {

void parallel_for(size_t n, const std::function<void(size_t)>& body) {
  constexpr size_t k_min_per_thread = 8; // below this a thread costs more than it saves
  const size_t cores = std::max(1u, std::thread::hardware_concurrency());
  const size_t threads = std::min(cores, n / k_min_per_thread);
  std::vector<std::exception_ptr> errors(n);
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < n; i = next++) {
      try {
        body(i);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  {
    std::vector<std::jthread> helpers;
    for (size_t t = 1; t < threads; ++t) helpers.emplace_back(work);
    work(); // this thread takes a share too
  }
  for (const auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

} // namespace util
