#include "cli/progress.hpp"

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>

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
    std::fprintf(stderr, "\r\033[K%s", progress_text(p, elapsed(now)).c_str());
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
  return fmt::format("[{}/{}] cached {}, in flight {}, retrying {}, retried {}, failed {}, "
                     "{:.1f} req/s, {} tokens, ETA {}",
                     p.done, p.total, p.cached, p.in_flight, p.retrying, p.retries, p.failed, rate,
                     p.tokens, eta);
}

std::string summary_line(const pipeline::RunStats& s) {
  return fmt::format("lingopipe: {} articles, {} sections, {} requests sent, {} cache hits, "
                     "{} retries, {} failed, {} not sent, tokens in {} / out {}, {:.1f} s",
                     s.articles, s.sections, s.requests, s.cache_hits, s.retries, s.failed,
                     s.not_sent, s.prompt_tokens, s.completion_tokens, s.seconds);
}

} // namespace cli
