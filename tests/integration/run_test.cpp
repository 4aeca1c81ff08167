// Runs the built lingopipe binary against the stand-in server on loopback.
#include "support/test_env.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <regex>
#include <thread>

using namespace testenv;
using nlohmann::json;

namespace {

// "plan: 2 articles, 12 sections, 24 jobs: 0 cached, 24 to send" → 24
int planned_to_send(const ProcessResult& dry_run) {
  std::smatch m;
  std::regex re(R"((\d+) to send)");
  EXPECT_TRUE(std::regex_search(dry_run.out, m, re)) << dry_run.out;
  return std::stoi(m[1]);
}

int count_tasks(const StandIn& s, const std::string& marker) {
  int n = 0;
  for (const auto& line : s.log_lines()) {
    n += line.find(marker) != std::string::npos;
  }
  return n;
}

class RunTest : public ::testing::Test {
protected:
  void SetUp() override { copy_project(dir.path()); }
  TempDir dir;
};

TEST_F(RunTest, ColdRunSendsThePlannedRequestsAndWarmRunSendsNone) {
  StandIn standin(dir.path());
  const int expected = planned_to_send(lingopipe(dir.path(), standin, {"run", "--dry-run"}));
  EXPECT_EQ(expected, 24); // 2 titles, 10 sections × 2 tasks, 2 article summaries

  auto cold = lingopipe(dir.path(), standin, {"run"});
  ASSERT_EQ(cold.exit_code, 0) << cold.err;
  EXPECT_EQ(standin.requests(), expected);
  EXPECT_NE(cold.err.find("24 requests sent, 0 cache hits"), std::string::npos) << cold.err;

  json exported = json::parse(read(dir / "out/lingopipe.json"));
  ASSERT_EQ(exported["articles"].size(), 2u);
  for (const auto& a : exported["articles"]) {
    EXPECT_FALSE(a["summary"].is_null()) << a["id"];
    for (const auto& s : a["sections"]) {
      EXPECT_FALSE(s["translation"].is_null()) << s["id"];
      EXPECT_EQ(s["summary"].is_null(), s["kind"] == "title") << s["id"];
    }
  }
  EXPECT_TRUE(fs::exists(dir / "out/digest.md"));
  EXPECT_TRUE(fs::exists(dir / "out/articles/meta-ki-investitionen.md"));
  // The client asks for compressed answers (the stand-in then sends Brotli)
  // and decodes them: the exports above came through that path.
  const json first = json::parse(standin.log_lines()[0]);
  EXPECT_NE(first["accept_encoding"].get<std::string>().find("gzip"), std::string::npos);
  EXPECT_NE(first["accept_encoding"].get<std::string>().find("br"), std::string::npos);

  auto warm = lingopipe(dir.path(), standin, {"run"});
  ASSERT_EQ(warm.exit_code, 0) << warm.err;
  EXPECT_EQ(standin.requests(), expected);
  EXPECT_NE(warm.err.find("0 requests sent, 24 cache hits"), std::string::npos) << warm.err;
}

// The first request (the probe) asks for a stream, so the rest of the window
// goes when its answer begins, not when the model has finished it: with
// answers that take 800 ms, the second request reaches the server long before
// the first answer ends. Every other request is sent unstreamed, as configured.
TEST_F(RunTest, TheWindowOpensWhenTheFirstAnswerBeginsNotWhenItEnds) {
  StandIn standin(dir.path(), "", 800);
  auto r = lingopipe(dir.path(), standin, {"run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<json> log;
  for (const auto& line : standin.log_lines()) log.push_back(json::parse(line));
  ASSERT_EQ(log.size(), 24u);
  for (size_t i = 0; i < log.size(); ++i) {
    EXPECT_EQ(log[i]["body"].value("stream", false), i == 0) << i;
  }
  EXPECT_LT(log[1]["ms"].get<int>() - log[0]["ms"].get<int>(), 400)
    << "the second request waited for the first answer (800 ms) to end";
  const json report = json::parse(read(dir / "out/run-report.json"));
  EXPECT_EQ(report["failures"], json::array());
}

TEST_F(RunTest, ExportFromCacheMatchesRunAndNeverContactsTheEndpoint) {
  StandIn standin(dir.path());
  ASSERT_EQ(lingopipe(dir.path(), standin, {"run"}).exit_code, 0);
  const std::string digest = read(dir / "out/digest.md");
  fs::remove_all(dir / "out");
  const int before = standin.requests();
  auto exp = lingopipe(dir.path(), standin, {"export", "--out", "exported"});
  EXPECT_EQ(exp.exit_code, 0) << exp.err;
  EXPECT_EQ(standin.requests(), before);
  EXPECT_EQ(without_generated_line(read(dir / "exported/digest.md")), without_generated_line(digest));
  EXPECT_NE(digest.find("[EN stand-in] Meta steigert KI-Investitionen"), std::string::npos);
}

TEST_F(RunTest, ExportListsWhatIsMissing) {
  StandIn standin(dir.path());
  auto exp = lingopipe(dir.path(), standin, {"export"});
  EXPECT_EQ(exp.exit_code, 1);
  EXPECT_EQ(standin.requests(), 0);
  EXPECT_NE(exp.err.find("missing: meta-ki-investitionen#00 translate: not cached"),
            std::string::npos)
    << exp.err;
  EXPECT_NE(read(dir / "out/digest.md").find("not available yet"), std::string::npos);
}

TEST_F(RunTest, EditingOnePromptResendsOnlyThatTask) {
  StandIn standin(dir.path());
  ASSERT_EQ(lingopipe(dir.path(), standin, {"run"}).exit_code, 0);
  const int translate_jobs = 12;
  write(dir / "prompts/translate.md",
        read(dir / "prompts/translate.md") + "Keep product names in their original spelling.\n");
  auto again = lingopipe(dir.path(), standin, {"run"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(standin.requests(), 24 + translate_jobs);
  EXPECT_EQ(count_tasks(standin, "original spelling"), translate_jobs);
}

TEST_F(RunTest, RetryAfterIsHonouredThenTheRequestSucceeds) {
  StandIn standin(dir.path(), R"([{"nth":1,"status":429,"headers":{"retry-after":"1","x-request-id":"req_429"},
    "body":"{\"error\":{\"message\":\"slow down\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}"}])");
  const auto start = std::chrono::steady_clock::now();
  auto r = lingopipe(dir.path(), standin, {"run", "articles/meta-ki-investitionen.txt", "-v"});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(standin.requests(), 6 + 1);
  // PROTOCOLS.md item 47: provider, status, error type, request id and the delay chosen.
  // The first request sent is job 0, the title's translation: the answer expected soonest.
  EXPECT_NE(r.err.find("openai request 0 attempt 1 of 6 failed (HTTP 429 rate_limited rate_limit_exceeded: "
                       "slow down (request req_429)); retrying in 1.00 s"),
            std::string::npos) << r.err;
  EXPECT_GE(elapsed, std::chrono::seconds(1));
  EXPECT_NE(r.err.find("1 retries, 0 failed"), std::string::npos) << r.err;
}

TEST_F(RunTest, UnauthorizedStopsAfterOneRequestWithExitCode3) {
  StandIn standin(dir.path(), R"([{"every":true,"status":401,
    "body":"{\"error\":{\"message\":\"Incorrect API key provided\",\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}"}])");
  auto r = lingopipe(dir.path(), standin, {"run", "-c", "config.yaml"},
                     {{"OPENAI_API_KEY", "sk-secret-test-key"}});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(standin.requests(), 1);
  EXPECT_NE(r.err.find("endpoint " + standin.base_url() +
                       " stopped: HTTP 401 auth invalid_api_key: Incorrect API key provided"),
            std::string::npos)
    << r.err;
  EXPECT_NE(r.err.find("check endpoint.base_url, endpoint.model 'lingopipe-standin' and the key "
                       "in $OPENAI_API_KEY (21 requests not sent; finished results are cached)"),
            std::string::npos)
    << r.err;
  EXPECT_EQ(r.err.find("sk-secret-test-key"), std::string::npos);
  EXPECT_EQ(read(dir / ".lingopipe/cache.sqlite").find("sk-secret"), std::string::npos);
}

// OpenAI's 401 quotes the key it was sent, and so does the stand-in's.
TEST_F(RunTest, AKeyTheServerQuotesBackIsNeverPrintedOrReported) {
  StandIn standin(dir.path(), "", 0, {"--require-key", "sk-right"});
  auto r = lingopipe(dir.path(), standin, {"run"}, {{"OPENAI_API_KEY", "sk-wrong-quoted-4711"}});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("stopped: HTTP 401 auth invalid_api_key: Incorrect API key provided: ***"),
            std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("sk-wrong-quoted-4711"), std::string::npos) << r.err;
  EXPECT_EQ(read(dir / "out/run-report.json").find("sk-wrong-quoted-4711"), std::string::npos);
}

TEST_F(RunTest, ApiKeyIsSentButIsNotPartOfTheCacheKey) {
  StandIn standin(dir.path());
  ASSERT_EQ(lingopipe(dir.path(), standin, {"run"}, {{"OPENAI_API_KEY", "key-one"}}).exit_code, 0);
  EXPECT_NE(standin.log_lines()[0].find("\"authorization\":true"), std::string::npos);
  auto r = lingopipe(dir.path(), standin, {"run"}, {{"OPENAI_API_KEY", "key-two"}});
  EXPECT_EQ(standin.requests(), 24);
  EXPECT_NE(r.err.find("0 requests sent"), std::string::npos) << r.err;
}

TEST_F(RunTest, BadArticleIsReportedAndTheOthersStillRun) {
  write(dir / "articles/broken.bin.txt", std::string("Titel\n\nGut\0kaputt.\n", 19));
  write(dir / "articles/empty.md", "");
  StandIn standin(dir.path());
  auto r = lingopipe(dir.path(), standin, {"run", "articles", "missing.txt"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("articles/broken.bin.txt: binary file (contains NUL bytes)"), std::string::npos)
    << r.err;
  EXPECT_NE(r.err.find("articles/empty.md: file is empty"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("missing.txt: no such file or folder"), std::string::npos) << r.err;
  EXPECT_EQ(standin.requests(), 24);
  EXPECT_TRUE(fs::exists(dir / "out/articles/meta-ki-investitionen.md"));
}

TEST_F(RunTest, KilledRunResumesSendingOnlyWhatIsMissing) {
  // Slow answers and a small in-flight limit so the kill lands mid-run.
  write(dir / "config.yaml", std::regex_replace(read(dir / "config.yaml"),
                                                std::regex("max_in_flight: 16"),
                                                "max_in_flight: 2"));
  StandIn standin(dir.path(), "", 150);
  pid_t pid = spawn({LINGOPIPE_BINARY, "run"}, dir.path(),
                    {{"LINGOPIPE_BASE_URL", standin.base_url()},
                     {"LINGOPIPE_MODEL", "lingopipe-standin"}});
  while (standin.requests() < 9) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  const int first = standin.requests();
  ASSERT_LT(first, 24);

  auto resumed = lingopipe(dir.path(), standin, {"run"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  const int resent = standin.requests() - first;
  // Only what was in flight at the kill (at most 2) is paid twice.
  EXPECT_LE(standin.requests(), 24 + 2);
  EXPECT_GE(resent, 24 - first);
  json exported = json::parse(read(dir / "out/lingopipe.json"));
  for (const auto& a : exported["articles"]) EXPECT_FALSE(a["summary"].is_null());
}

} // namespace

namespace {

TEST_F(RunTest, ConfigErrorExitsWith2AndNamesTheLine) {
  write(dir / "config.yaml", std::regex_replace(read(dir / "config.yaml"),
                                                std::regex("  max_attempts: 6"),
                                                "  max_atempts: 6"));
  const std::string text = read(dir / "config.yaml");
  const auto line = 1 + std::count(text.begin(), text.begin() + text.find("max_atempts"), '\n');
  StandIn standin(dir.path());
  auto r = lingopipe(dir.path(), standin, {"run"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("lingopipe: error: config.yaml:" + std::to_string(line) +
                       ":3: limits.max_atempts: unknown key 'max_atempts' (did you mean "
                       "'max_attempts'?)"),
            std::string::npos)
    << r.err;
  EXPECT_EQ(standin.requests(), 0);
}

TEST_F(RunTest, NoEndpointConfiguredSaysHowToSetOne) {
  auto r = run({LINGOPIPE_BINARY, "run"}, dir.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("config.yaml: endpoint.base_url is empty; set it"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("or export LINGOPIPE_BASE_URL"), std::string::npos) << r.err;
}

TEST_F(RunTest, DryRunShowsRemovalsAndSendsNothing) {
  StandIn standin(dir.path());
  auto r = lingopipe(dir.path(), standin, {"run", "--dry-run"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("removed articles/meta-ki-investitionen.txt:7 [line:image-credit]: Bildquelle: "
                       "Marck Zuckerberg auf Facebook"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("removed articles/meta-ki-investitionen.txt:13 [block:newsletter]: KI WEEKLY"),
            std::string::npos);
  EXPECT_EQ(standin.requests(), 0);
}

TEST_F(RunTest, CacheStatsAndClear) {
  StandIn standin(dir.path());
  ASSERT_EQ(lingopipe(dir.path(), standin, {"run", "-q"}).exit_code, 0);
  auto stats = lingopipe(dir.path(), standin, {"cache", "stats"});
  EXPECT_NE(stats.out.find("entries: 24\n"), std::string::npos) << stats.out;
  auto clear = lingopipe(dir.path(), standin, {"cache", "clear"});
  EXPECT_NE(clear.out.find("removed 24 cached results"), std::string::npos) << clear.out;
  EXPECT_NE(lingopipe(dir.path(), standin, {"cache", "stats"}).out.find("entries: 0\n"),
            std::string::npos);
}

} // namespace

namespace {

TEST_F(RunTest, StalledResponseTimesOutAndIsRetried) {
  set_config(dir.path(), "stall_timeout_s: 120", "stall_timeout_s: 1");
  // Headers and ten bytes of the body, then silence.
  StandIn standin(dir.path(), R"([{"nth":1,"stall_at":10,"stall_ms":4000,"status":200,
    "body":"{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"Late.\"},\"finish_reason\":\"stop\"}]}"}])");
  const auto start = std::chrono::steady_clock::now();
  auto r = lingopipe(dir.path(), standin, {"run", "articles/meta-ki-investitionen.txt", "-v"});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(standin.requests(), 6 + 1);
  EXPECT_NE(r.err.find("transport: stalled: no data for 1 s (endpoint.stall_timeout_s)"),
            std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 retries, 0 failed"), std::string::npos) << r.err;
  EXPECT_LT(elapsed, std::chrono::milliseconds(3900)); // gave up on the stall, did not wait it out
}

TEST_F(RunTest, BadGatewayHtmlIsRetried) {
  StandIn standin(dir.path(), R"([{"nth":1,"status":502,"content_type":"text/html",
    "body":"<html><body><h1>502 Bad Gateway</h1></body></html>"},
    {"nth":2,"status":503,"body":"{\"error\":{\"message\":\"overloaded\"}}"}])");
  auto r = lingopipe(dir.path(), standin, {"run", "articles/meta-ki-investitionen.txt", "-v"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(standin.requests(), 6 + 2);
  EXPECT_NE(r.err.find("HTTP 502 server_error: HTML instead of JSON (check the base URL): "
                       "<html><body><h1>502 Bad Gateway</h1></body></html>"),
            std::string::npos)
    << r.err;
}

TEST_F(RunTest, InsufficientQuotaStopsAfterOneRequest) {
  StandIn standin(dir.path(), R"([{"every":true,"status":429,
    "body":"{\"error\":{\"message\":\"You exceeded your current quota\",\"type\":\"insufficient_quota\",\"code\":\"insufficient_quota\"}}"}])");
  auto r = lingopipe(dir.path(), standin, {"run"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(standin.requests(), 1);
  EXPECT_NE(r.err.find("HTTP 429 quota insufficient_quota: You exceeded your current quota"),
            std::string::npos)
    << r.err;
  // 21 sections were never sent; the 2 article summaries wait on them.
  EXPECT_NE(r.err.find("1 failed, 21 not sent"), std::string::npos) << r.err;
}

TEST_F(RunTest, TruncatedAnswerIsReportedAndNotCached) {
  StandIn standin(dir.path(), R"([{"every":true,"status":200,
    "body":"{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"Half\"},\"finish_reason\":\"length\"}]}"}])");
  auto r = lingopipe(dir.path(), standin, {"run", "articles/meta-ki-investitionen.txt"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("meta-ki-investitionen#00 translate: HTTP 200 truncated: answer truncated "
                       "at max_output_tokens"),
            std::string::npos)
    << r.err;
  auto stats = lingopipe(dir.path(), standin, {"cache", "stats"});
  EXPECT_NE(stats.out.find("entries: 0\n"), std::string::npos) << stats.out;
}

} // namespace

namespace {

TEST_F(RunTest, UnreachableEndpointStopsAfterTheFirstRequestsAttempts) {
  set_config(dir.path(), "max_attempts: 6", "max_attempts: 2");
  set_config(dir.path(), "backoff_base_s: 0.5", "backoff_base_s: 0.01");
  auto r = run({LINGOPIPE_BINARY, "run"}, dir.path(),
               {{"LINGOPIPE_BASE_URL", "http://127.0.0.1:1/v1"}, {"LINGOPIPE_MODEL", "m"}});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("error: endpoint http://127.0.0.1:1/v1 stopped: unreachable after 2 "
                       "attempts: transport: Failed to connect to 127.0.0.1 port 1"),
            std::string::npos)
    << r.err;
  EXPECT_NE(r.err.find("21 not sent"), std::string::npos) << r.err;
}

} // namespace

namespace {

// The server dies mid-run. Before, every job spent its attempts on it and
// failed; now one request at a time probes it, the endpoint stops when the
// probe gives up, and a re-run against a live server sends only what was
// never answered.
TEST_F(RunTest, AServerThatDiesMidRunIsProbedNotHammeredAndARerunFinishes) {
  set_config(dir.path(), "max_in_flight: 16", "max_in_flight: 4");
  set_config(dir.path(), "max_attempts: 6", "max_attempts: 3");
  set_config(dir.path(), "backoff_base_s: 0.5", "backoff_base_s: 0.01");
  set_config(dir.path(), "max_outage_wait_s: 300", "max_outage_wait_s: 1");
  auto standin = std::make_unique<StandIn>(dir.path(), "", 300);
  const std::map<std::string, std::string> env = {{"LINGOPIPE_BASE_URL", standin->base_url()},
                                                  {"LINGOPIPE_MODEL", "lingopipe-standin"}};
  const pid_t pid = spawn({LINGOPIPE_BINARY, "run"}, dir.path(), env);
  while (standin->requests() < 6) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  standin->stop(); // the window open, requests in flight
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
  const std::string err = read(dir / ".bg.err");
  EXPECT_NE(err.find("warning: endpoint " + env.at("LINGOPIPE_BASE_URL") +
                     " stopped answering (5 failures in a row, the last: transport: "),
            std::string::npos) << err;
  EXPECT_NE(err.find("one request at a time until it answers again, for up to 1 s (limits.max_outage_wait_s)"),
            std::string::npos) << err;
  EXPECT_NE(err.find("stopped: not answering for 1 s (limits.max_outage_wait_s): transport: Failed to "
                     "connect to 127.0.0.1"),
            std::string::npos) << err;
  EXPECT_NE(err.find("; it answered earlier in this run: run again once it is back ("), std::string::npos) << err;
  const json report = json::parse(read(dir / "out/run-report.json"));
  const int answered = report["jobs"]["sent_ok"];
  EXPECT_EQ(report["jobs"]["failed"], 1); // the probe
  EXPECT_GT(report["jobs"]["not_sent"].get<int>(), 0);
  // Answered, at most 4 in flight, what replaced them before the fifth
  // refusal, the probe's attempts and its polls for a second (waits of 0.02,
  // 0.04, ... s): not 3 attempts for each of the jobs left.
  EXPECT_LE(report["requests"].get<int>(), answered + 4 + 4 + 3 + 7) << report.dump(2);

  StandIn live(dir.path() / "live");
  auto rest = lingopipe(dir.path(), live, {"run"});
  EXPECT_EQ(rest.exit_code, 0) << rest.err;
  EXPECT_EQ(live.requests(), 24 - answered); // nothing answered is asked again
}

TEST_F(RunTest, RunReportCountsOutcomesRetriesAndFailures) {
  // One in flight: request 1 is the title's translation (the first request is
  // the answer expected soonest), request 2 its second attempt, request 3 the
  // lead's summary (section summaries go before translations).
  set_config(dir.path(), "max_in_flight: 16", "max_in_flight: 1");
  StandIn standin(dir.path(), R"([{"nth":1,"status":503,"body":"{}"},
    {"nth":3,"status":400,"body":"{\"error\":{\"message\":\"unsupported value\",\"code\":\"unsupported_value\"}}"}])");
  auto r = lingopipe(dir.path(), standin, {"run", "articles/meta-ki-investitionen.txt"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  json report = json::parse(read(dir / "out/run-report.json"));
  EXPECT_EQ(report["schema"], 1);
  EXPECT_EQ(report["endpoint"]["model"], "lingopipe-standin");
  EXPECT_EQ(report["jobs"]["total"], 5); // the article summary waits on the failed section
  EXPECT_EQ(report["jobs"]["failed"], 1);
  EXPECT_EQ(report["jobs"]["sent_ok"], 4);
  EXPECT_EQ(report["requests"], 6);
  EXPECT_EQ(report["retries"]["by_cause"]["server_error"], 1);
  ASSERT_EQ(report["failures"].size(), 2u);
  EXPECT_EQ(report["failures"][0]["reason"], "HTTP 400 bad_request unsupported_value: unsupported value");
  EXPECT_EQ(report["failures"][1]["task"], "summarize_article");
  EXPECT_GT(report["tokens"]["in"].get<int>(), 0);
  EXPECT_EQ(report["cost"]["priced"], false);
  EXPECT_EQ(r.err.find("\"schema\""), std::string::npos); // the report is a file, not stderr
}

// Ctrl-C: nothing new is sent, the requests in flight are waited for and
// kept (they are paid for), the exports and the report are written, and the
// exit code says the run was interrupted. A re-run sends only the rest.
TEST_F(RunTest, AnInterruptedRunKeepsWhatIsInFlightAndExportsWhatIsDone) {
  set_config(dir.path(), "max_in_flight: 16", "max_in_flight: 4");
  StandIn standin(dir.path(), "", 600);
  const std::map<std::string, std::string> env = {{"LINGOPIPE_BASE_URL", standin.base_url()},
                                                  {"LINGOPIPE_MODEL", "lingopipe-standin"}};
  const pid_t pid = spawn({LINGOPIPE_BINARY, "run"}, dir.path(), env);
  while (standin.requests() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  kill(pid, SIGINT); // the probe answered, the window open: requests in flight
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "ended by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 130);
  const int first = standin.requests();
  ASSERT_LT(first, 24);
  const std::string err = read(dir / ".bg.err");
  EXPECT_NE(err.find("warning: interrupted: nothing new is sent; the requests in flight are waited for "
                     "(their answers are paid for) and the exports written; interrupt again to quit at once"),
            std::string::npos) << err;
  EXPECT_NE(err.find("requests not sent; run again to finish (what is done is cached and exported)"),
            std::string::npos) << err;
  const json report = json::parse(read(dir / "out/run-report.json"));
  EXPECT_EQ(report["jobs"]["failed"], 0);
  EXPECT_EQ(report["jobs"]["sent_ok"], first); // every request sent was answered and kept
  EXPECT_GT(report["jobs"]["not_sent"].get<int>(), 0);
  EXPECT_TRUE(fs::exists(dir / "out/lingopipe.json"));
  for (const auto& entry : fs::recursive_directory_iterator(dir / "out")) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << entry.path();
  }

  auto rest = lingopipe(dir.path(), standin, {"run"});
  EXPECT_EQ(rest.exit_code, 0) << rest.err;
  EXPECT_EQ(standin.requests(), 24); // nothing paid for twice
}

// A second interrupt does not wait for the requests in flight.
TEST_F(RunTest, ASecondInterruptQuitsAtOnce) {
  StandIn standin(dir.path(), "", 5000);
  const pid_t pid = spawn({LINGOPIPE_BINARY, "run"}, dir.path(),
                          {{"LINGOPIPE_BASE_URL", standin.base_url()},
                           {"LINGOPIPE_MODEL", "lingopipe-standin"}});
  while (standin.requests() < 1) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  kill(pid, SIGINT); // the probe is in flight for 5 s
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto second = std::chrono::steady_clock::now();
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - second, std::chrono::seconds(2));
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGINT);
}

TEST_F(RunTest, MaxCostStopsSendingAndARerunFinishesTheRest) {
  set_config(dir.path(), "  gpt-4o-mini: ", "  lingopipe-standin: {input_per_mtok: 1000, output_per_mtok: 1000}\n  gpt-4o-mini: ");
  StandIn standin(dir.path());
  auto dry = lingopipe(dir.path(), standin, {"run", "--dry-run"});
  EXPECT_NE(dry.out.find("estimated cost"), std::string::npos) << dry.out;
  EXPECT_EQ(dry.out.find("counted as free"), std::string::npos) << dry.out;

  auto capped = lingopipe(dir.path(), standin, {"run", "--max-cost", "1"});
  EXPECT_EQ(capped.exit_code, 1) << capped.err;
  const int sent = standin.requests();
  EXPECT_GT(sent, 0);
  EXPECT_LT(sent, 24);
  EXPECT_NE(capped.err.find("--max-cost 1 USD reached"), std::string::npos) << capped.err;
  json report = json::parse(read(dir / "out/run-report.json"));
  EXPECT_LE(report["cost"]["estimated"].get<double>(), 1.0);
  EXPECT_GT(report["jobs"]["not_sent"].get<int>(), 0);

  auto rest = lingopipe(dir.path(), standin, {"run"});
  EXPECT_EQ(rest.exit_code, 0) << rest.err;
  EXPECT_EQ(standin.requests(), 24); // nothing paid for twice
}

} // namespace

namespace {

TEST_F(RunTest, TruncatedBodyIsRetried) {
  StandIn standin(dir.path(), R"([{"nth":1,"status":200,"truncate_at":20,
    "body":"{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"never complete\"},\"finish_reason\":\"stop\"}]}"}])");
  auto r = lingopipe(dir.path(), standin, {"run", "articles/meta-ki-investitionen.txt", "-v"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(standin.requests(), 6 + 1);
  EXPECT_NE(r.err.find("attempt 1 of 6 failed (transport: transfer closed with"), std::string::npos)
    << r.err;
  EXPECT_EQ(read(dir / "out/lingopipe.json").find("never complete"), std::string::npos);
}

class RetryableStatusTest : public RunTest, public ::testing::WithParamInterface<int> {};

TEST_P(RetryableStatusTest, IsRetriedAndSucceeds) {
  StandIn standin(dir.path(), "[{\"nth\":1,\"status\":" + std::to_string(GetParam()) +
                                ",\"body\":\"{\\\"error\\\":{\\\"message\\\":\\\"try later\\\"}}\"}]");
  auto r = lingopipe(dir.path(), standin, {"run", "articles/meta-ki-investitionen.txt"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(standin.requests(), 6 + 1);
  EXPECT_NE(r.err.find("1 retries, 0 failed"), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Statuses, RetryableStatusTest,
                         ::testing::Values(408, 409, 500, 502, 503, 504, 529));

class PermanentStatusTest : public RunTest, public ::testing::WithParamInterface<int> {};

TEST_P(PermanentStatusTest, IsNotRetried) {
  StandIn standin(dir.path(), "[{\"every\":true,\"status\":" + std::to_string(GetParam()) +
                                ",\"headers\":{\"x-request-id\":\"req_42\"},"
                                "\"body\":\"{\\\"error\\\":{\\\"message\\\":\\\"no\\\",\\\"type\\\":\\\"invalid_request_error\\\"}}\"}]");
  auto r = lingopipe(dir.path(), standin, {"run", "articles/meta-ki-investitionen.txt"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("HTTP " + std::to_string(GetParam())), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(request req_42)"), std::string::npos) << r.err;
  // Each job is sent once; auth and not-found stop after the very first.
  const int expected = GetParam() == 400 || GetParam() == 413 || GetParam() == 422 ? 5 : 1;
  EXPECT_EQ(standin.requests(), expected);
  EXPECT_NE(r.err.find("0 retries"), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Statuses, PermanentStatusTest,
                         ::testing::Values(400, 401, 402, 403, 404, 413, 422));

} // namespace

namespace {

TEST_F(RunTest, TruncatedAnswerIsSentAgainWithALargerBudget) {
  StandIn standin(dir.path(), R"([{"nth":1,"status":200,
    "body":"{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"Half\"},\"finish_reason\":\"length\"}]}"}])");
  auto r = lingopipe(dir.path(), standin, {"run", "articles/meta-ki-investitionen.txt"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto log = standin.log_lines();
  ASSERT_EQ(log.size(), 7u);
  EXPECT_EQ(json::parse(log[0])["max_tokens"], 2048);
  int larger = 0;
  for (const auto& line : log) {
    const json entry = json::parse(line);
    if (entry["max_tokens"] == 4096) {
      ++larger;
      EXPECT_EQ(entry["messages"], json::parse(log[0])["messages"]); // the same job again
    }
  }
  EXPECT_EQ(larger, 1);
  json report = json::parse(read(dir / "out/run-report.json"));
  EXPECT_EQ(report["retries"]["by_cause"]["truncated"], 1);
  EXPECT_EQ(read(dir / "out/lingopipe.json").find("\"Half\""), std::string::npos);
  auto warm = lingopipe(dir.path(), standin, {"run", "articles/meta-ki-investitionen.txt"});
  EXPECT_EQ(standin.requests(), 7); // the complete answer is found under the job's key
}

} // namespace

namespace {

// The first answer's headers come after 2.5 s; with `timeouts` in config.yaml
// that wait is within the limit: waited for, not retried.
void expect_slow_first_byte_waited(const fs::path& dir, const std::string& timeouts) {
  set_config(dir, "stall_timeout_s: 120", timeouts);
  StandIn standin(dir, R"([{"nth":1,"delay_ms":2500,"status":200,
    "body":"{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"Loaded.\"},\"finish_reason\":\"stop\"}]}"}])");
  auto r = lingopipe(dir, standin, {"run", "articles/meta-ki-investitionen.txt"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(standin.requests(), 6);
  EXPECT_NE(r.err.find("0 retries, 0 failed"), std::string::npos) << r.err;
}

// PROTOCOLS.md item 29, scaled down: headers after a long wait (a cold model
// load) are waited for when the wait is under the stall limit, not retried.
TEST_F(RunTest, SlowFirstByteUnderTheStallLimitIsWaitedFor) {
  expect_slow_first_byte_waited(dir.path(), "stall_timeout_s: 4");
}

// PROTOCOLS.md item 31: a connection dropped mid-body costs that request one
// retry; the requests in flight beside it are unaffected.
TEST_F(RunTest, DroppedConnectionLeavesConcurrentRequestsAlone) {
  StandIn standin(dir.path(), R"([{"nth":5,"status":200,"truncate_at":10,
    "body":"{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"cut\"},\"finish_reason\":\"stop\"}]}"}])",
                  50);
  auto r = lingopipe(dir.path(), standin, {"run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(standin.requests(), 24 + 1);
  json report = json::parse(read(dir / "out/run-report.json"));
  EXPECT_EQ(report["retries"]["total"], 1);
  EXPECT_EQ(report["retries"]["by_cause"]["transport"], 1);
  EXPECT_EQ(report["jobs"]["sent_ok"], 24);
}

} // namespace

namespace {

// A server with a small context window: any user message over 2,000 bytes is
// answered "context length exceeded", as OpenAI words it.
const char* k_small_context = R"([{"every":true,"user_longer_than":2000,"status":400,
  "body":"{\"error\":{\"message\":\"This model's maximum context length is 512 tokens. However, your messages resulted in 700 tokens.\",\"type\":\"invalid_request_error\",\"param\":\"messages\",\"code\":\"context_length_exceeded\"}}"}])";

std::string paragraph(const std::string& word, int sentences) {
  std::string p;
  for (int i = 1; i <= sentences; ++i) {
    if (!p.empty()) p += ' ';
    p += "Der " + word + " Satz Nummer " + std::to_string(i) +
         " beschreibt die Lage der Rechenzentren in Europa ausführlich.";
  }
  return p;
}

// The title, a short lead, then one section of four long paragraphs: too
// long as a whole for the server above, fine in halves.
void write_long_section_article(const fs::path& dir) {
  write(dir / "long/lang.txt", "Ein Artikel mit einem langen Abschnitt\n\nKurzer Vorspann.\n\n"
                               "Zwischenüberschrift\n\n" + paragraph("erste", 8) + "\n\n" +
                                 paragraph("zweite", 8) + "\n\n" + paragraph("dritte", 8) +
                                 "\n\n" + paragraph("vierte", 8) + "\n");
}

TEST_F(RunTest, InputTooLongIsSentAgainInPartsAndJoined) {
  write_long_section_article(dir.path());
  StandIn standin(dir.path(), k_small_context);
  auto r = lingopipe(dir.path(), standin, {"run", "long"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json report = json::parse(read(dir / "out/run-report.json"));
  EXPECT_EQ(report["jobs"]["split_input_too_long"], 2); // the section's translate and summarize
  EXPECT_EQ(report["failures"], json::array());
  const json section = json::parse(read(dir / "out/lingopipe.json"))["articles"][0]["sections"][2];
  EXPECT_EQ(section["translation"]["text"],
            "[EN stand-in] Zwischenüberschrift\n\n[EN stand-in] " + paragraph("erste", 8) +
              "\n\n[EN stand-in] " + paragraph("zweite", 8) + "\n\n[EN stand-in] " +
              paragraph("dritte", 8) + "\n\n[EN stand-in] " + paragraph("vierte", 8));
  EXPECT_EQ(section["heading"]["english"], "[EN stand-in] Zwischenüberschrift");
  // Each part went out once, and no request over the limit went out twice.
  const int sent = standin.requests();
  EXPECT_EQ(sent, 4 + 2 + 4); // 4 jobs as they are; 2 refused whole, then 2 parts each
  auto warm = lingopipe(dir.path(), standin, {"run", "long"});
  EXPECT_EQ(warm.exit_code, 0) << warm.err;
  EXPECT_EQ(standin.requests(), sent) << "the joined answer is cached under the section's key";
}

TEST_F(RunTest, InputTooLongThatCannotBeSplitIsReportedWithTheServersLimits) {
  // The lead is one sentence: there is nowhere to cut it.
  write(dir / "long/satz.txt", "Titel des Artikels\n\n" + paragraph("einzige", 1) +
                                 std::string(2100, 'x') + "\n");
  StandIn standin(dir.path(), k_small_context);
  auto r = lingopipe(dir.path(), standin, {"run", "long"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const json report = json::parse(read(dir / "out/run-report.json"));
  ASSERT_EQ(report["failures"].size(), 3u) << report.dump(2); // and so the article summary
  EXPECT_EQ(report["failures"][0]["section"], "satz#01");
  EXPECT_EQ(report["failures"][0]["reason"],
            "HTTP 400 input_too_long context_length_exceeded: This model's maximum context length "
            "is 512 tokens. However, your messages resulted in 700 tokens.");
  EXPECT_EQ(report["jobs"]["split_input_too_long"], 0);
  EXPECT_EQ(standin.requests(), 3) << "the title, and one request for each refused job";
}

} // namespace

namespace {

// A cold model load: no byte for longer than the stall limit, but within
// endpoint.first_byte_timeout_s, is waited for.
TEST_F(RunTest, FirstByteMayTakeLongerThanALaterStall) {
  expect_slow_first_byte_waited(dir.path(), "stall_timeout_s: 1\n  first_byte_timeout_s: 5");
}

TEST_F(RunTest, NoFirstByteWithinItsLimitIsRetriedWithAClearCause) {
  set_config(dir.path(), "stall_timeout_s: 120", "stall_timeout_s: 30\n  first_byte_timeout_s: 1");
  StandIn standin(dir.path(), R"([{"nth":1,"delay_ms":3000,"status":200,"body":"{}"}])");
  auto r = lingopipe(dir.path(), standin, {"run", "-v", "articles/meta-ki-investitionen.txt"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(standin.requests(), 7);
  EXPECT_NE(r.err.find("no answer within 1 s (endpoint.first_byte_timeout_s)"), std::string::npos) << r.err;
}

} // namespace
