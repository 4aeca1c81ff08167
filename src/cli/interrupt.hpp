// SIGINT (Ctrl-C) and SIGTERM during a run. The first asks the run to stop
// sending and to finish what is in flight and the exports; the handler is
// then reset, so a second signal ends the process at once.
#pragma once

namespace cli {

class InterruptGuard {
public:
  InterruptGuard();   // installs the handlers
  ~InterruptGuard();  // puts the previous ones back
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  bool interrupted() const { return signal() != 0; }
  // The signal received, or 0.
  int signal() const;
};

} // namespace cli
