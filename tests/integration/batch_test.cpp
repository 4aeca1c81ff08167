// The batch APIs end to end (PROTOCOLS.md §7, §11 items 43-46): the built
// binary with endpoint.batch against the stand-in's OpenAI Batch and
// Anthropic Message Batches, with batch-level and line-level faults.
#include "support/test_env.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

#include <signal.h>
#include <sys/wait.h>

using namespace testenv;
using nlohmann::json;

namespace {

class BatchTest : public ::testing::Test {
protected:
  void SetUp() override { copy_project(dir.path()); }

  void enable_batch(const std::string& extra = "") {
    set_config(dir.path(), "# batch: false", "batch: true\n  batch_poll_s: 0.02\n" + extra + "  #");
  }

  // A stand-in with these batch faults (a JSON array) and line faults.
  std::unique_ptr<StandIn> standin(const std::string& batch_faults = "[]", const std::string& faults = "") {
    write(dir / "batch-faults.json", batch_faults);
    return std::make_unique<StandIn>(dir.path(), faults, 0,
                                      std::vector<std::string>{"--batch-faults", (dir / "batch-faults.json").string()});
  }

  static std::vector<json> logged(const StandIn& s) {
    std::vector<json> out;
    for (const auto& line : s.log_lines()) out.push_back(json::parse(line));
    return out;
  }

  // The request lines of each OpenAI upload, in order.
  static std::vector<std::vector<json>> uploads(const StandIn& s) {
    std::vector<std::vector<json>> out;
    for (const json& e : logged(s)) {
      if (e.value("path", "") != "/v1/files") continue;
      std::vector<json> lines;
      std::istringstream in(e["file"].get<std::string>());
      for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
      out.push_back(std::move(lines));
    }
    return out;
  }

  static std::set<std::string> custom_ids(const std::vector<json>& lines) {
    std::set<std::string> ids;
    for (const json& l : lines) ids.insert(l["custom_id"].get<std::string>());
    return ids;
  }

  // The custom_ids of every batch the stand-in created, batch by batch: what
  // was paid for.
  static std::vector<std::set<std::string>> created_batches(const StandIn& s) {
    std::vector<std::set<std::string>> out;
    for (const json& e : logged(s)) {
      if (e.value("method", "") != "POST" || !e.contains("batch") || !e.contains("lines")) continue;
      std::set<std::string> ids;
      for (const json& l : e["lines"]) ids.insert(l["custom_id"].get<std::string>());
      out.push_back(std::move(ids));
    }
    return out;
  }

  static void expect_none_paid_twice(const StandIn& s) {
    std::set<std::string> all;
    for (const auto& batch : created_batches(s)) {
      for (const auto& id : batch) EXPECT_TRUE(all.insert(id).second) << "paid twice: " << id;
    }
  }

  // Starts a run and SIGKILLs it once `moment` holds (or after 10 s); true
  // when the kill is what ended it.
  bool run_killed_when(const StandIn& s, std::map<std::string, std::string> env,
                       const std::function<bool()>& moment) {
    env["LINGOPIPE_BASE_URL"] = s.base_url();
    const pid_t pid = spawn({LINGOPIPE_BINARY, "run", "-q"}, dir.path(), env);
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!moment() && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status);
  }

  // The run is killed while the stand-in holds back its answer to the first
  // create call (the batch already created); the next run finds that batch
  // among the provider's and collects it instead of paying for it again.
  void kill_during_create_then_rerun(const std::map<std::string, std::string>& env) {
    enable_batch();
    auto s = standin(R"([{"nth": 1, "create_delay_ms": 4000}])");
    ASSERT_TRUE(run_killed_when(*s, env, [&] { return !created_batches(*s).empty(); }))
      << "killed before the create call was answered";

    auto r = lingopipe(dir.path(), *s, {"run"}, env);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("a batch of 22 requests to " + s->base_url() +
                         ": an earlier run ended before the provider confirmed creating it; "
                         "looking it up before sending them again"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("found; it was created for these 22 requests, so none is sent again"), std::string::npos)
      << r.err;
    expect_none_paid_twice(*s);
    EXPECT_EQ(created_batches(*s).size(), 2u) << "the sections' batch, then the article summaries'";
    EXPECT_EQ(report()["failures"], json::array());
  }

  // A run whose first create call a gateway answers 502, after the batch
  // was created or before; the run itself ends well either way.
  std::pair<std::unique_ptr<StandIn>, ProcessResult> run_with_gateway_error_on_create(bool created) {
    enable_batch();
    json faults = json::array({{{"nth", 1}, {"create_answer", {{"status", 502}, {"created", created}}}}});
    auto s = standin(faults.dump());
    ProcessResult r = lingopipe(dir.path(), *s, {"run"}, key);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return {std::move(s), std::move(r)};
  }

  // Chat requests the stand-in answered live, outside any batch.
  static int live_requests(const StandIn& s) {
    int n = 0;
    for (const json& e : logged(s)) n += e.contains("messages") && e.value("batch", "").empty() ? 1 : 0;
    return n;
  }

  json report() const { return json::parse(read(dir / "out/run-report.json")); }

  void rerun_collects_the_earlier_batch(const std::string& extra_config);

  // Batch 1 ends with `final_status` after answering its first `answered`
  // lines: those answers are kept and exactly the other lines go into batch
  // 2 (none paid twice, none lost), and nothing fails.
  ProcessResult run_partial_batch(const std::string& final_status, size_t answered) {
    enable_batch();
    auto s = standin(json::array({{{"nth", 1}, {"final", final_status}, {"answer_first", answered}}}).dump());
    ProcessResult r = lingopipe(dir.path(), *s, {"run"}, key);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto files = uploads(*s);
    if (files.size() < 2) {
      ADD_FAILURE() << "no second batch\n" << r.err;
      return r;
    }
    const std::set<std::string> second = custom_ids(files[1]);
    for (size_t i = 0; i < files[0].size(); ++i) {
      EXPECT_EQ(second.contains(files[0][i]["custom_id"]), i >= answered) << "line " << i + 1;
    }
    EXPECT_EQ(report()["failures"], json::array());
    EXPECT_EQ(report()["retries"]["by_cause"]["batch_unprocessed"], static_cast<int>(files[0].size() - answered));
    return r;
  }

  TempDir dir;
  // A priced model, so the cost estimates can be compared.
  const std::map<std::string, std::string> key = {{"OPENAI_API_KEY", "sk-batch-secret"},
                                                  {"LINGOPIPE_MODEL", "gpt-4o-mini"}};
};

TEST_F(BatchTest, OpenAiBatchAnswersEveryJobAsALiveRunWouldAtHalfTheCost) {
  // The live run first, in a copy, for comparison.
  TempDir live;
  copy_project(live.path());
  {
    StandIn s(live.path());
    ASSERT_EQ(lingopipe(live.path(), s, {"run"}, key).exit_code, 0);
  }
  enable_batch();
  auto s = standin();
  auto r = lingopipe(dir.path(), *s, {"run"}, key);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(live_requests(*s), 0);
  const auto files = uploads(*s);
  ASSERT_EQ(files.size(), 2u) << "sections first, then the article summaries they release";
  size_t lines = 0;
  for (const auto& file : files) {
    EXPECT_EQ(custom_ids(file).size(), file.size()) << "custom_id unique within a batch";
    for (const json& l : file) {
      EXPECT_EQ(l["method"], "POST");
      EXPECT_EQ(l["url"], "/v1/chat/completions");
      EXPECT_EQ(l["body"]["model"], "gpt-4o-mini");
    }
    lines += file.size();
  }
  for (const json& e : logged(*s)) {
    if (e.value("path", "") != "/v1/files") continue;
    EXPECT_EQ(e["purpose"], "batch");
    EXPECT_TRUE(e["content_type"].get<std::string>().starts_with("multipart/form-data")) << e["content_type"];
    EXPECT_TRUE(e["filename"].get<std::string>().ends_with(".jsonl"));
    EXPECT_EQ(e["authorization"], true);
  }
  const json rep = report();
  EXPECT_EQ(rep["requests"], static_cast<int>(lines));
  EXPECT_EQ(rep["failures"], json::array());
  const json live_report = json::parse(read(live / "out/run-report.json"));
  ASSERT_GT(live_report["cost"]["estimated"].get<double>(), 0);
  EXPECT_NEAR(rep["cost"]["estimated"].get<double>(), live_report["cost"]["estimated"].get<double>() / 2, 1e-9);
  EXPECT_EQ(without_generated_line(read(dir / "out/digest.md")),
            without_generated_line(read(live / "out/digest.md")));
  EXPECT_EQ(r.err.find("sk-batch-secret"), std::string::npos);

  const int logged_before = static_cast<int>(s->log_lines().size());
  auto warm = lingopipe(dir.path(), *s, {"run"}, key);
  ASSERT_EQ(warm.exit_code, 0) << warm.err;
  EXPECT_EQ(static_cast<int>(s->log_lines().size()), logged_before) << "a re-run costs nothing";
}

TEST_F(BatchTest, MoreRequestsThanABatchTakesAreSplitIntoSeveralBatches) {
  enable_batch("  batch_max_requests: 5\n");
  auto s = standin();
  auto r = lingopipe(dir.path(), *s, {"run"}, key);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto files = uploads(*s);
  ASSERT_EQ(files.size(), 6u) << "22 section requests in 5 batches, then the 2 article summaries";
  std::set<std::string> all;
  for (const auto& file : files) {
    EXPECT_LE(file.size(), 5u);
    for (const auto& id : custom_ids(file)) EXPECT_TRUE(all.insert(id).second) << "sent twice: " << id;
  }
  EXPECT_EQ(report()["failures"], json::array());
}

TEST_F(BatchTest, PollingWaitsThroughEveryRunningStatus) {
  enable_batch();
  auto s = standin(R"([{"every": true, "polls": 6}])");
  auto r = lingopipe(dir.path(), *s, {"run"}, key);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* status : {"validating", "in_progress", "finalizing", "completed"}) {
    EXPECT_NE(r.err.find(std::string("batch batch_1: ") + status + " ("), std::string::npos) << status << "\n" << r.err;
  }
  EXPECT_EQ(report()["failures"], json::array());
}

TEST_F(BatchTest, AnExpiredBatchsAnswersAreKeptAndOnlyTheMissingRequestsSentAgain) {
  run_partial_batch("expired", 10);
}

TEST_F(BatchTest, ACancelledBatchsPartialOutputIsUsedAndTheRestSentAgain) {
  const ProcessResult r = run_partial_batch("cancelled", 4);
  EXPECT_NE(r.err.find("batch batch_1: cancelling"), std::string::npos) << r.err;
}

TEST_F(BatchTest, AFailedValidationReportsTheLineItNamesAndSendsTheOthersAgain) {
  enable_batch();
  auto s = standin(R"([{"nth": 1, "errors": [{"line": 3, "code": "invalid_request", "message": "bad line"}]}])");
  auto r = lingopipe(dir.path(), *s, {"run"}, key);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto files = uploads(*s);
  ASSERT_GE(files.size(), 2u);
  const std::string rejected = files[0][2]["custom_id"];
  const std::set<std::string> second = custom_ids(files[1]);
  EXPECT_FALSE(second.contains(rejected));
  EXPECT_EQ(second.size(), files[0].size() - 1);
  const json failures = report()["failures"];
  ASSERT_EQ(failures.size(), 2u) << failures.dump();
  EXPECT_EQ(failures[0]["reason"], "bad_request: batch batch_1 rejected line 3: invalid_request: bad line");
  EXPECT_EQ(failures[1]["reason"], "a section summary is missing") << "its article's summary";
}

TEST_F(BatchTest, ErrorFileLinesAreReadLikeLiveAnswers) {
  // Line faults by request number: 2 a server error (sent again), 3 a
  // context error (split in halves), 4 an answer cut at its budget (sent
  // again with twice the budget); each lands in the error or output file.
  enable_batch();
  const std::string faults = R"([
    {"nth": 2, "status": 500, "body": "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}"},
    {"nth": 3, "status": 400, "body": "{\"error\":{\"message\":\"This model's maximum context length is 10 tokens\",\"code\":\"context_length_exceeded\"}}"},
    {"nth": 4, "status": 200, "body": "{\"choices\":[{\"message\":{\"content\":\"cut\"},\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}"}
  ])";
  auto s = standin("[]", faults);
  auto r = lingopipe(dir.path(), *s, {"run"}, key);
  const auto files = uploads(*s);
  ASSERT_GE(files.size(), 2u) << r.err;
  const std::set<std::string> second = custom_ids(files[1]);
  EXPECT_TRUE(second.contains(files[0][1]["custom_id"])) << "the 500 is sent again";
  EXPECT_FALSE(second.contains(files[0][2]["custom_id"])) << "too long: its halves go instead";
  int doubled = 0;
  for (const json& l : files[1]) doubled += l["body"]["max_tokens"] == 4096 ? 1 : 0;
  EXPECT_EQ(doubled, 1) << "the truncated answer's request, with twice the budget";
  const json rep = report();
  EXPECT_EQ(rep["jobs"]["split_input_too_long"], 1);
  EXPECT_EQ(rep["retries"]["by_cause"]["server_error"], 1);
  EXPECT_EQ(rep["retries"]["by_cause"]["truncated"], 1);
}

TEST_F(BatchTest, AnthropicMessageBatchesAreJoinedByCustomIdAndErroredLinesHandledByType) {
  set_config(dir.path(), "provider: openai", "provider: anthropic");
  enable_batch();
  const std::string faults = R"([
    {"nth": 2, "status": 529, "body": "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"},
    {"nth": 3, "status": 400, "body": "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"messages: text content blocks must be non-empty\"}}"}
  ])";
  auto s = standin(R"([{"nth": 1, "final": "expired", "answer_first": 18}])", faults);
  const std::map<std::string, std::string> env = {{"ANTHROPIC_API_KEY", "sk-ant-batch"},
                                                  {"LINGOPIPE_MODEL", "claude-test"}};
  auto r = lingopipe(dir.path(), *s, {"run"}, env);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  std::vector<json> creates;
  for (const json& e : logged(*s)) {
    if (!e.value("batch_api", false)) continue;
    EXPECT_EQ(e["x_api_key"], true) << e.dump();
    EXPECT_EQ(e["authorization"], false);
    if (e["path"] == "/v1/messages/batches") creates.push_back(e);
  }
  ASSERT_GE(creates.size(), 2u);
  std::set<std::string> second;
  for (const json& l : creates[1]["lines"]) second.insert(l["custom_id"].get<std::string>());
  const json& first = creates[0]["lines"];
  EXPECT_TRUE(second.contains(first[1]["custom_id"])) << "overloaded_error: sent again";
  EXPECT_FALSE(second.contains(first[2]["custom_id"])) << "invalid_request_error: reported";
  for (size_t i = 18; i < first.size(); ++i) EXPECT_TRUE(second.contains(first[i]["custom_id"])) << "expired " << i;
  for (size_t i = 3; i < 18; ++i) EXPECT_FALSE(second.contains(first[i]["custom_id"])) << i;
  const json failures = report()["failures"];
  ASSERT_EQ(failures.size(), 2u) << failures.dump() << " (the section and its article's summary)";
  EXPECT_EQ(failures[0]["reason"], "HTTP 400 bad_request: messages: text content blocks must be non-empty");
}

TEST_F(BatchTest, ARerunCollectsTheBatchAnEarlierRunSentInsteadOfPayingAgain) {
  rerun_collects_the_earlier_batch("");
}

// The same when the run let its articles go while the batch ran: the
// halted run plans them again to report them, and they are still in batch_1.
TEST_F(BatchTest, ARunHaltedWithItsArticlesLetGoReportsThemStillInTheirBatch) {
  rerun_collects_the_earlier_batch("  batch_max_waiting_articles: 0\n");
}

// Every article let go as soon as its requests are in a batch, planned again
// once their answers are banked: the run ends exactly as one that held them,
// with the same requests, the same report and the same exports.
TEST_F(BatchTest, ArticlesLetGoWhileTheirBatchesRunEndAsIfTheyHadBeenHeld) {
  TempDir held;
  copy_project(held.path());
  set_config(held.path(), "# batch: false", "batch: true\n  batch_poll_s: 0.02\n  #");
  {
    StandIn s(held.path());
    ASSERT_EQ(lingopipe(held.path(), s, {"run"}, key).exit_code, 0);
  }
  enable_batch("  batch_max_waiting_articles: 0\n");
  auto s = standin();
  auto r = lingopipe(dir.path(), *s, {"run"}, key);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("2 articles let go while their batches ran are prepared again for their answers"),
            std::string::npos) << r.err;
  EXPECT_EQ(created_batches(*s).size(), 2u) << "the sections' batch, then the article summaries'";
  expect_none_paid_twice(*s);
  auto comparable = [](json report) {
    report.erase("wall_seconds");
    report["endpoint"].erase("base_url");
    report["cost"].erase("estimated"); // the same sum in another order: compared below
    return report;
  };
  EXPECT_NEAR(report()["cost"]["estimated"].get<double>(),
              json::parse(read(held / "out/run-report.json"))["cost"]["estimated"].get<double>(), 1e-12);
  const json held_report = comparable(json::parse(read(held / "out/run-report.json")));
  EXPECT_EQ(comparable(report()), held_report) << json::diff(held_report, comparable(report())).dump();
  EXPECT_EQ(report()["jobs"]["cached"], 0) << "its own answers are not cache hits when it returns";
  EXPECT_EQ(without_generated_line(read(dir / "out/digest.md")),
            without_generated_line(read(held / "out/digest.md")));
  // The answers' times and the export's own differ; nothing else may.
  std::function<void(json&)> untimed = [&untimed](json& j) {
    if (j.is_object()) {
      j.erase("created");
      j.erase("generated_at");
    }
    if (j.is_structured()) {
      for (json& child : j) untimed(child);
    }
  };
  json ours = json::parse(read(dir / "out/lingopipe.json"));
  json theirs = json::parse(read(held / "out/lingopipe.json"));
  untimed(ours);
  untimed(theirs);
  EXPECT_EQ(ours, theirs) << json::diff(theirs, ours).dump();

  const size_t logged_before = s->log_lines().size();
  auto warm = lingopipe(dir.path(), *s, {"run"}, key);
  ASSERT_EQ(warm.exit_code, 0) << warm.err;
  EXPECT_EQ(s->log_lines().size(), logged_before) << "a re-run costs nothing";
}

void BatchTest::rerun_collects_the_earlier_batch(const std::string& extra_config) {
  enable_batch(extra_config);
  // The first batch runs for 40 status reads (about a second); the first
  // run gives up after 0.3 s, the second collects it.
  auto s = standin(R"([{"nth": 1, "polls": 40}])");
  auto first = lingopipe(dir.path(), *s, {"run", "--deadline", "0.3"}, key);
  EXPECT_NE(first.exit_code, 0);
  EXPECT_NE(first.err.find("batch batch_1: 22 requests still waiting for answers; run again to collect them"),
            std::string::npos) << first.err;
  EXPECT_EQ(report()["failures"][0]["reason"],
            "batch_unprocessed: still in batch batch_1; run again to collect its answers (a batch ends within 24 h)");
  ASSERT_EQ(uploads(*s).size(), 1u);
  auto plan = lingopipe(dir.path(), *s, {"run", "--dry-run"}, key);
  EXPECT_NE(plan.out.find("jobs: 0 cached, 22 in batches sent earlier (paid), 2 to send\n"), std::string::npos)
    << "the dry run does not count the batch as still to pay\n" << plan.out;

  auto second = lingopipe(dir.path(), *s, {"run"}, key);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.err.find("batch batch_1: sent by an earlier run with 22 requests; collecting its answers"),
            std::string::npos) << second.err;
  EXPECT_NE(second.err.find("2 requests sent, 0 cache hits, 22 from batches sent earlier,"), std::string::npos)
    << "the article summaries sent, the sections collected\n" << second.err;
  EXPECT_EQ(report()["jobs"]["from_earlier_batches"], 22);
  expect_none_paid_twice(*s);
  EXPECT_EQ(report()["failures"], json::array());
  auto third = lingopipe(dir.path(), *s, {"run"}, key);
  EXPECT_NE(third.err.find("0 requests sent"), std::string::npos) << "collected batches leave the journal";
}

TEST_F(BatchTest, ABatchOfARunKilledWhileWaitingIsCollectedByTheNextRun) {
  enable_batch();
  auto s = standin(R"([{"nth": 1, "polls": 30}])");
  auto polled = [&] {
    return std::ranges::any_of(logged(*s), [](const json& e) { return e.value("path", "") == "/v1/batches/batch_1"; });
  };
  ASSERT_TRUE(run_killed_when(*s, key, polled)) << "killed while waiting for its batch";

  auto r = lingopipe(dir.path(), *s, {"run"}, key);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("batch batch_1: sent by an earlier run with 22 requests"), std::string::npos) << r.err;
  expect_none_paid_twice(*s);
  EXPECT_EQ(report()["failures"], json::array());
}

// A batch of an interrupted run is collected by a run that plans only some
// of its requests (one article has left the folder): the answers to the
// others are paid for, so they are kept, and the run that plans them again
// takes them instead of sending them.
TEST_F(BatchTest, AnswersToRequestsARunDoesNotPlanAreKeptForTheRunThatDoes) {
  enable_batch();
  auto s = standin(R"([{"nth": 1, "polls": 40}])");
  auto first = lingopipe(dir.path(), *s, {"run", "--deadline", "0.3"}, key);
  EXPECT_NE(first.exit_code, 0);
  ASSERT_EQ(uploads(*s).size(), 1u);
  const fs::path moved = dir / "articles/meta-ki-investitionen.txt";
  fs::rename(moved, dir / "away.txt");

  auto second = lingopipe(dir.path(), *s, {"run"}, key);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.err.find("batch batch_1: 5 answers to requests this run does not plan (changed inputs or "
                            "config, or articles not in this run) kept in the cache; a run that plans them "
                            "takes them from there"), std::string::npos) << second.err;
  auto stats = lingopipe(dir.path(), *s, {"cache", "stats"});
  EXPECT_NE(stats.out.find("batches sent and not collected yet: 0\nbatch answers kept for later runs: 5\n"),
            std::string::npos) << stats.out;

  fs::rename(dir / "away.txt", moved);
  auto plan = lingopipe(dir.path(), *s, {"run", "--dry-run"}, key);
  EXPECT_NE(plan.out.find("jobs: 18 cached, 5 in batches sent earlier (paid), 1 to send\n"), std::string::npos)
    << plan.out;
  auto third = lingopipe(dir.path(), *s, {"run"}, key);
  ASSERT_EQ(third.exit_code, 0) << third.err;
  EXPECT_NE(third.err.find("5 answers taken from batches earlier runs collected; not sent again"),
            std::string::npos) << third.err;
  EXPECT_NE(third.err.find("1 requests sent, 18 cache hits, 5 from batches sent earlier,"), std::string::npos)
    << third.err;
  expect_none_paid_twice(*s);
  EXPECT_EQ(report()["failures"], json::array());
  EXPECT_EQ(report()["articles"]["total"], 2);
  stats = lingopipe(dir.path(), *s, {"cache", "stats"});
  EXPECT_NE(stats.out.find("batch answers kept for later runs: 0\n"), std::string::npos) << stats.out;
}

// A batch that holds none of a run's requests (the model changed since the
// run that sent it) does not hold that run for up to a day: it stays in the
// journal for a run that plans its requests.
TEST_F(BatchTest, ARunDoesNotWaitForAnEarlierBatchThatHoldsNoneOfItsRequests) {
  enable_batch();
  auto s = standin(R"([{"nth": 1, "polls": 100000}])");
  auto first = lingopipe(dir.path(), *s, {"run", "--deadline", "0.3"}, key);
  EXPECT_NE(first.exit_code, 0);

  std::map<std::string, std::string> other_model = key;
  other_model["LINGOPIPE_MODEL"] = "gpt-4o";
  // The deadline only bounds the test: the run ends as soon as its own batches have.
  auto second = lingopipe(dir.path(), *s, {"run", "--deadline", "10"}, other_model);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.err.find("batch batch_1: sent by an earlier run for 22 requests this run does not plan; "
                            "left for a run that plans them"), std::string::npos) << second.err;
  EXPECT_EQ(report()["failures"], json::array());
  auto stats = lingopipe(dir.path(), *s, {"cache", "stats"});
  EXPECT_NE(stats.out.find("batches sent and not collected yet: 1\n"), std::string::npos) << stats.out;

  auto third = lingopipe(dir.path(), *s, {"run", "--deadline", "0.3"}, key);
  EXPECT_NE(third.err.find("batch batch_1: 22 requests still waiting for answers"), std::string::npos)
    << "still in the journal\n" << third.err;
  EXPECT_EQ(uploads(*s).size(), 3u) << "the first run's batch, the second's and its article summaries'";
}

TEST_F(BatchTest, AnOpenAiBatchCreatedAsTheRunWasKilledIsFoundByTheNextRunNotPaidTwice) {
  kill_during_create_then_rerun(key);
}

TEST_F(BatchTest, AnAnthropicBatchCreatedAsTheRunWasKilledIsFoundByTheNextRunNotPaidTwice) {
  set_config(dir.path(), "provider: openai", "provider: anthropic");
  kill_during_create_then_rerun({{"ANTHROPIC_API_KEY", "sk-ant-batch"}, {"LINGOPIPE_MODEL", "claude-test"}});
}

// A gateway answers the create call with its error page after the provider
// created the batch: looked up, found, collected; retrying the call would
// have paid for the batch twice.
TEST_F(BatchTest, ACreateCallAnsweredByAGatewayErrorIsLookedUpNotRetried) {
  const auto [s, r] = run_with_gateway_error_on_create(true);
  EXPECT_NE(r.err.find("warning: a batch of 22 requests to " + s->base_url() +
                       ": the create call failed (HTTP 502 server_error: creating "
                       "the batch: HTML instead of JSON (check the base URL): <html>"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("it may have been created all the same, so it is looked up before anything is sent again"),
            std::string::npos) << r.err;
  EXPECT_NE(r.err.find("batch batch_1: found; it was created for these 22 requests, so none is sent again"),
            std::string::npos) << r.err;
  expect_none_paid_twice(*s);
  EXPECT_EQ(created_batches(*s).size(), 2u);
  EXPECT_EQ(report()["failures"], json::array());
}

// The gateway failed before the provider created anything: the look-up
// finds no batch for the uploaded file, and the requests go in a new one.
TEST_F(BatchTest, ACreateCallThatCreatedNothingIsSentAgainAfterTheLookUp) {
  const auto [s, r] = run_with_gateway_error_on_create(false);
  EXPECT_NE(r.err.find("warning: a batch of 22 requests to " + s->base_url() +
                       ": the provider has no such batch, so it was not created; "
                       "they are sent again"), std::string::npos) << r.err;
  const auto batches = created_batches(*s);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].size(), 22u) << "the sections, in the second create call";
  EXPECT_EQ(uploads(*s).size(), 3u) << "the sections' file twice, then the summaries'";
  EXPECT_EQ(report()["failures"], json::array());
  EXPECT_EQ(report()["retries"]["by_cause"]["batch_unprocessed"], 22);
}

TEST_F(BatchTest, ResultsThatCannotBeDownloadedStayForTheNextRun) {
  enable_batch();
  set_config(dir.path(), "max_attempts: 6", "max_attempts: 2");
  auto s = standin(R"([{"nth": 1, "download_fails": 2}])");
  auto first = lingopipe(dir.path(), *s, {"run"}, key);
  EXPECT_EQ(first.exit_code, 3) << first.err;
  EXPECT_NE(report()["stopped"].get<std::string>().find("batch batch_1: downloading its results after 2 attempts"),
            std::string::npos) << report()["stopped"];
  EXPECT_NE(first.err.find("batch batch_1: 22 requests still waiting for answers"), std::string::npos) << first.err;

  auto second = lingopipe(dir.path(), *s, {"run"}, key);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.err.find("batch batch_1: sent by an earlier run with 22 requests"), std::string::npos);
  expect_none_paid_twice(*s);
  EXPECT_EQ(report()["failures"], json::array());
}

TEST_F(BatchTest, ABadKeyStopsTheRunAtTheFirstBatchCall) {
  enable_batch();
  write(dir / "batch-faults.json", "[]");
  StandIn s(dir.path(), "", 0, {"--require-key", "sk-right"});
  auto r = lingopipe(dir.path(), s, {"run"}, {{"OPENAI_API_KEY", "sk-wrong-4711"}});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  ASSERT_EQ(s.log_lines().size(), 0u) << "a refused upload is not logged as a batch";
  const json rep = report();
  EXPECT_NE(rep["stopped"].get<std::string>().find("HTTP 401 auth invalid_api_key"), std::string::npos)
    << rep["stopped"];
  EXPECT_EQ(r.err.find("sk-wrong-4711"), std::string::npos) << "the key is never printed";
  EXPECT_EQ(read(dir / "out/run-report.json").find("sk-wrong-4711"), std::string::npos);
}

TEST_F(BatchTest, AProviderWithoutABatchApiIsAConfigError) {
  set_config(dir.path(), "provider: openai", "provider: ollama");
  enable_batch();
  StandIn s(dir.path());
  auto r = lingopipe(dir.path(), s, {"run"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("endpoint 'primary': batch: provider ollama has no batch API here; batch works "
                       "with openai and anthropic, or set batch: false"), std::string::npos) << r.err;
}

} // namespace
