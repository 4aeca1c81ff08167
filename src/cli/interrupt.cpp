#include "cli/interrupt.hpp"

#include <signal.h>

#include <atomic>
#include <iterator>

namespace cli {

namespace {

std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "set from a signal handler");

constexpr int k_signals[] = {SIGINT, SIGTERM};
struct sigaction g_previous[std::size(k_signals)];
bool g_installed[std::size(k_signals)];

void on_signal(int sig) { g_signal.store(sig); }

} // namespace

InterruptGuard::InterruptGuard() {
  g_signal.store(0);
  struct sigaction action = {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  // SA_RESETHAND: a second signal takes the default action (the process
  // ends). SA_RESTART: other system calls go on; epoll_wait is interrupted
  // regardless, so the engine looks at the flag at once.
  action.sa_flags = SA_RESETHAND | SA_RESTART;
  for (size_t i = 0; i < std::size(k_signals); ++i) {
    // A signal ignored when we started (a job run in the background by a
    // script, nohup) stays ignored, as the shell meant.
    sigaction(k_signals[i], nullptr, &g_previous[i]);
    g_installed[i] = g_previous[i].sa_handler != SIG_IGN;
    if (g_installed[i]) sigaction(k_signals[i], &action, nullptr);
  }
}

InterruptGuard::~InterruptGuard() {
  for (size_t i = 0; i < std::size(k_signals); ++i) {
    if (g_installed[i]) sigaction(k_signals[i], &g_previous[i], nullptr);
  }
}

int InterruptGuard::signal() const { return g_signal.load(); }

} // namespace cli
