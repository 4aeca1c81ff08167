#include "util/parallel.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

TEST(ParallelForTest, EveryIndexRunsExactlyOnce) {
  for (size_t n : {0u, 1u, 7u, 1000u}) {
    std::vector<std::atomic<int>> runs(n);
    util::parallel_for(n, [&](size_t i) { ++runs[i]; });
    for (size_t i = 0; i < n; ++i) EXPECT_EQ(runs[i].load(), 1) << "n " << n << " index " << i;
  }
}

// One bad article must not stop the others, and which error is reported
// must not depend on thread timing: the first in index order.
TEST(ParallelForTest, TheFirstErrorInIndexOrderIsRethrownAfterAllRan) {
  std::atomic<int> ran{0};
  try {
    util::parallel_for(200, [&](size_t i) {
      ++ran;
      if (i == 150 || i == 40) throw std::runtime_error("failed at " + std::to_string(i));
    });
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "failed at 40");
  }
  EXPECT_EQ(ran.load(), 200);
}

} // namespace
