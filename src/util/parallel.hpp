// Runs independent pieces of CPU work (one per article) on every core. The
// network side never needs this: one event loop drives every request.
#pragma once

#include <cstddef>
#include <functional>

namespace util {

// Calls body(i) for every i in [0, n), spread over up to one thread per
// core (none for small n). Returns when all are done; if any threw, the
// first exception in index order is rethrown after the rest finished.
void parallel_for(size_t n, const std::function<void(size_t)>& body);

} // namespace util
