#include "cli/progress.hpp"

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>

namespace cli {

using namespace std::chrono_literals;

namespace {

// Whether a live line (no newline after it) is on the terminal: a log
// message or the summary would otherwise be glued to its end.
std::atomic<bool> g_live_line{false};

void erase_live_line() {
  if (g_live_line.exchange(false)) {
    std::fputs("\r\033[K", stderr);
  }
}

class ProgressAwareSink final : public spdlog::sinks::stderr_color_sink_mt {
public:
  void log(const spdlog::details::log_msg& msg) override {
    erase_live_line();
    spdlog::sinks::stderr_color_sink_mt::log(msg);
  }
};

} // namespace

std::shared_ptr<spdlog::sinks::sink> progress_aware_stderr_sink() {
  return std::make_shared<ProgressAwareSink>();
}

ProgressLine::ProgressLine(ProgressStyle style) : m_style(style) {}

ProgressLine::~ProgressLine() { clear(); }

void ProgressLine::clear() { erase_live_line(); }

double ProgressLine::elapsed(std::chrono::steady_clock::time_point now) const {
  return std::chrono::duration<double>(now - m_start).count();
}

void ProgressLine::update(const pipeline::Progress& p) {
  const auto now = std::chrono::steady_clock::now();
  const auto interval = m_style == ProgressStyle::terminal ? 100ms : 5000ms;
  if (m_style == ProgressStyle::none || now - m_last < interval) {
    return;
  }
  m_last = now;
  if (m_style == ProgressStyle::terminal) {
    std::fprintf(stderr, "\r\033[K%s", progress_bar_line(p, elapsed(now), terminal_columns()).c_str());
    g_live_line = true;
  } else {
    std::fprintf(stderr, "progress: %s\n", progress_text(p, elapsed(now)).c_str());
  }
  std::fflush(stderr);
}

std::string progress_text(const pipeline::Progress& p, double elapsed_s) {
  const int fetched = p.done - p.cached;
  const double rate = elapsed_s > 0 ? fetched / elapsed_s : 0;
  std::string eta = "?";
  if (rate > 0) {
    const int left = static_cast<int>((p.total - p.done) / rate + 0.5);
    eta = left >= 60 ? fmt::format("{}m{:02}s", left / 60, left % 60) : fmt::format("{}s", left);
  }
  return fmt::format("[{}/{}] ETA {}, {:.1f} req/s, in flight {}, retrying {}, retried {}, "
                     "failed {}, cached {}, {} tokens",
                     p.done, p.total, eta, rate, p.in_flight, p.retrying, p.retries, p.failed,
                     p.cached, p.tokens);
}

std::string progress_bar_line(const pipeline::Progress& p, double elapsed_s, size_t columns) {
  constexpr size_t k_bar_cells = 20;
  std::string line;
  if (columns >= 2 * k_bar_cells) {
    const double fraction = p.total > 0 ? std::clamp(static_cast<double>(p.done) / p.total, 0.0, 1.0) : 0.0;
    const auto filled = static_cast<size_t>(fraction * k_bar_cells);
    line = fmt::format("[{}{}] {:3.0f}% ", std::string(filled, '#'), std::string(k_bar_cells - filled, '-'),
                       fraction * 100);
  }
  line += progress_text(p, elapsed_s);
  // A line longer than the terminal wraps, and "\r" then goes back only to
  // the start of its last row: every redraw would leave a row behind.
  if (columns > 0 && line.size() >= columns) line.resize(columns - 1);
  return line;
}

size_t terminal_columns() {
  winsize size{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

std::string summary_line(const pipeline::RunStats& s) {
  // Only a batch run collects what an earlier run sent; a live run's line stays short.
  const std::string earlier = s.from_earlier > 0 ? fmt::format(", {} from batches sent earlier", s.from_earlier) : "";
  return fmt::format("lingopipe: {} articles, {} sections, {} requests sent, {} cache hits{}, "
                     "{} retries, {} failed, {} not sent, tokens in {} / out {}, {:.1f} s",
                     s.articles, s.sections, s.requests, s.cache_hits, earlier, s.retries, s.failed,
                     s.not_sent, s.prompt_tokens, s.completion_tokens, s.seconds);
}

} // namespace cli
