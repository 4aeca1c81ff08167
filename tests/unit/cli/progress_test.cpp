#include "cli/progress.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <regex>
#include <thread>

namespace {

TEST(ProgressTest, TextShowsRateTokensAndEta) {
  pipeline::Progress p;
  p.done = 60;
  p.total = 160;
  p.cached = 20;
  p.in_flight = 8;
  p.retrying = 2;
  p.retries = 3;
  p.tokens = 4567;
  // 40 fetched in 10 s: 4 req/s, 100 left: 25 s.
  EXPECT_EQ(cli::progress_text(p, 10.0), "[60/160] ETA 25s, 4.0 req/s, in flight 8, retrying 2, retried 3, "
                                         "failed 0, cached 20, 4567 tokens");
  p.done = 21;
  EXPECT_TRUE(cli::progress_text(p, 1.0).starts_with("[21/160] ETA 2m19s, 1.0 req/s,"))
    << cli::progress_text(p, 1.0);
  EXPECT_NE(cli::progress_text(pipeline::Progress{}, 0).find("ETA ?"), std::string::npos);
}

// On a terminal: a bar and the percentage first, and never wider than the
// terminal (a wrapped line leaves a row behind at every redraw).
TEST(ProgressTest, TheTerminalLineHasABarAndFitsTheTerminal) {
  pipeline::Progress p;
  p.done = 40;
  p.total = 160;
  const std::string wide = cli::progress_bar_line(p, 10.0, 200);
  EXPECT_EQ(wide, "[#####---------------]  25% " + cli::progress_text(p, 10.0));
  const std::string narrow = cli::progress_bar_line(p, 10.0, 80);
  EXPECT_EQ(narrow.size(), 79u);
  EXPECT_EQ(narrow, wide.substr(0, 79));
  EXPECT_TRUE(narrow.find("ETA 30s") != std::string::npos) << narrow; // the estimate survives the cut
  EXPECT_EQ(cli::progress_bar_line(p, 10.0, 30), cli::progress_text(p, 10.0).substr(0, 29)); // no room for a bar
  p.done = 160;
  EXPECT_TRUE(cli::progress_bar_line(p, 10.0, 200).starts_with("[####################] 100% [160/160]"));
}

TEST(ProgressTest, SummaryLine) {
  pipeline::RunStats s;
  s.articles = 2;
  s.sections = 12;
  s.requests = 25;
  s.cache_hits = 0;
  s.retries = 1;
  s.seconds = 1.25;
  EXPECT_EQ(cli::summary_line(s),
            "lingopipe: 2 articles, 12 sections, 25 requests sent, 0 cache hits, 1 retries, "
            "0 failed, 0 not sent, tokens in 0 / out 0, 1.2 s");
  s.from_earlier = 22;
  EXPECT_EQ(cli::summary_line(s),
            "lingopipe: 2 articles, 12 sections, 25 requests sent, 0 cache hits, 22 from batches sent earlier, "
            "1 retries, 0 failed, 0 not sent, tokens in 0 / out 0, 1.2 s");
}

pipeline::Progress some_progress() {
  pipeline::Progress p;
  p.done = 1;
  p.total = 4;
  return p;
}

// The live line has no newline after it: a log message, or the summary after
// the run, would be glued to its end unless it is erased first.
TEST(ProgressTest, ALogMessageAndTheSummaryStartOnAClearedLine) {
  spdlog::logger logger("progress-test", cli::progress_aware_stderr_sink());
  logger.set_pattern("%l: %v");
  testing::internal::CaptureStderr();
  {
    cli::ProgressLine line(cli::ProgressStyle::terminal);
    std::this_thread::sleep_for(std::chrono::milliseconds(110)); // drawn at most ten times a second
    line.update(some_progress());
    logger.warn("endpoint slow");
    logger.warn("still slow"); // nothing drawn since: nothing to erase
    std::this_thread::sleep_for(std::chrono::milliseconds(110));
    line.update(some_progress());
    line.clear();
    std::fputs("summary\n", stderr);
  } // the destructor finds nothing left to erase
  // The progress text itself (its rate depends on the clock) as <P>.
  const std::string out = std::regex_replace(testing::internal::GetCapturedStderr(),
                                             std::regex(R"(\[[#-]{20}\][^\r\n]*)"), "<P>");
  EXPECT_EQ(out, "\r\033[K<P>\r\033[Kwarning: endpoint slow\nwarning: still slow\n"
                 "\r\033[K<P>\r\033[Ksummary\n");
}

} // namespace
