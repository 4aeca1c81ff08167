// Progress output on stderr: on a terminal a live line redrawn at most ten
// times a second; otherwise one plain log line every five seconds, so long
// batch runs show life in logs. Also the one-line summary at the end of a run.
#pragma once

#include "pipeline/results.hpp"
#include "pipeline/runner.hpp"

#include <spdlog/sinks/sink.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace cli {

enum class ProgressStyle { none, terminal, log };

class ProgressLine {
public:
  explicit ProgressLine(ProgressStyle style);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  void update(const pipeline::Progress& p);
  // Erases the live line, so what is printed next starts on a clean line.
  void clear();

private:
  double elapsed(std::chrono::steady_clock::time_point now) const;

  ProgressStyle m_style;
  std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point m_last = m_start;
};

// "[done/total] ETA 1m05s, 12.3 req/s, in flight F, retrying B, retried R, failed X, cached C,
// 4567 tokens"
std::string progress_text(const pipeline::Progress& p, double elapsed_s);
// The terminal's live line: a bar and the percentage done before the text,
// cut to fit `columns` (the bar left out below 40 columns).
std::string progress_bar_line(const pipeline::Progress& p, double elapsed_s, size_t columns);
// The width of the terminal on stderr; 80 when it does not say.
size_t terminal_columns();
std::string summary_line(const pipeline::RunStats& s);

// Colored log output on stderr that erases a live progress line before each
// message, so the message starts on a clean line; the progress line is
// redrawn at its next update.
std::shared_ptr<spdlog::sinks::sink> progress_aware_stderr_sink();

} // namespace cli
