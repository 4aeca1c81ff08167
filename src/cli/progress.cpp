#include "cli/progress.hpp"

#include <cstdio>
#include <fmt/format.h>

namespace cli {

ProgressLine::ProgressLine(bool enabled) : m_enabled(enabled) {}

ProgressLine::~ProgressLine() {
  if (m_drawn) {
    std::fputs("\r\033[K", stderr);
  }
}

void ProgressLine::update(const pipeline::Progress& p) {
  using namespace std::chrono_literals;
  auto now = std::chrono::steady_clock::now();
  if (!m_enabled || now - m_last < 100ms) {
    return;
  }
  m_last = now;
  m_drawn = true;
  std::fprintf(stderr, "\r\033[K[%d/%d] cached %d, in flight %d, retries %d, failed %d", p.done,
               p.total, p.cached, p.in_flight, p.retries, p.failed);
  std::fflush(stderr);
}

std::string summary_line(const pipeline::RunStats& s) {
  return fmt::format("lingopipe: {} articles, {} sections, {} requests sent, {} cache hits, "
                     "{} retries, {} failed, {} not sent, tokens in {} / out {}, {:.1f} s",
                     s.articles, s.sections, s.requests, s.cache_hits, s.retries, s.failed,
                     s.not_sent, s.prompt_tokens, s.completion_tokens, s.seconds);
}

} // namespace cli
