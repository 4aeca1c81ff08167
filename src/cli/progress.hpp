// The live progress line on a terminal (stderr), redrawn at most ten times a
// second, and the one-line summary at the end of a run.
#pragma once

#include "pipeline/results.hpp"
#include "pipeline/runner.hpp"

#include <chrono>
#include <string>

namespace cli {

class ProgressLine {
public:
  explicit ProgressLine(bool enabled);
  ~ProgressLine();
  void update(const pipeline::Progress& p);

private:
  bool m_enabled;
  bool m_drawn = false;
  std::chrono::steady_clock::time_point m_last{};
};

std::string summary_line(const pipeline::RunStats& s);

} // namespace cli
