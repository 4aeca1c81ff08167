#include "util/serial_worker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

TEST(SerialWorkerTest, TasksRunInOrderOnAnotherThreadAndDrainWaitsForThem) {
  util::SerialWorker worker;
  std::vector<int> order; // touched by the worker only until drain() returns
  std::atomic<bool> elsewhere{true};
  const auto caller = std::this_thread::get_id();
  for (int i = 0; i < 100; ++i) {
    worker.post([&, i] {
      if (i == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20)); // the caller runs ahead
      if (std::this_thread::get_id() == caller) elsewhere = false;
      order.push_back(i);
    });
  }
  worker.drain();
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[static_cast<size_t>(i)], i);
  EXPECT_TRUE(elsewhere);
}

// A failed export must surface, and what came after it must not run as if
// nothing happened; once reported, the worker takes new work.
TEST(SerialWorkerTest, TheFirstErrorIsRethrownByDrainAndLaterTasksAreSkipped) {
  util::SerialWorker worker;
  std::atomic<int> ran{0};
  worker.post([&] { ++ran; });
  worker.post([] { throw std::runtime_error("disk full"); });
  worker.post([] { throw std::runtime_error("second"); });
  worker.post([&] { ++ran; });
  try {
    worker.drain();
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "disk full");
  }
  EXPECT_EQ(ran.load(), 1);
  worker.post([&] { ++ran; });
  worker.drain();
  EXPECT_EQ(ran.load(), 2);
}

TEST(SerialWorkerTest, DestructionWaitsForPostedWork) {
  std::atomic<int> ran{0};
  {
    util::SerialWorker worker;
    for (int i = 0; i < 10; ++i) worker.post([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      ++ran;
    });
  }
  EXPECT_EQ(ran.load(), 10);
}

// A caller that outruns the worker (a run served from the cache hands over
// articles faster than they are written) waits for room instead of queueing
// everything, and the memory it holds, at once.
TEST(SerialWorkerTest, PostWaitsWhileTheQueueIsFull) {
  util::SerialWorker worker(2);
  std::promise<void> gate;
  std::shared_future<void> opened = gate.get_future().share();
  std::atomic<bool> started{false};
  std::vector<int> order; // touched by the worker only until drain() returns
  worker.post([&] {
    started = true;
    opened.wait();
    order.push_back(1);
  });
  while (!started) std::this_thread::yield();
  worker.post([&] { order.push_back(2); });
  worker.post([&] { order.push_back(3); }); // the queue is full now
  std::atomic<bool> posted{false};
  std::thread caller([&] {
    worker.post([&] { order.push_back(4); });
    posted = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(posted);
  gate.set_value();
  caller.join();
  EXPECT_TRUE(posted);
  worker.drain();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
}

} // namespace
