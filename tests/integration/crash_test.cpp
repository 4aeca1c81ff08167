// SIGKILL at random moments: after every kill the cache is intact, and no
// result that was committed before a kill is ever requested again.
#include "support/test_env.hpp"
#include "util/sqlite.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <random>
#include <regex>
#include <set>
#include <thread>

using namespace testenv;
using nlohmann::json;

namespace {

// A job as the server sees it: its task and the text it was asked about.
using JobKey = std::pair<std::string, std::string>;

std::string task_of(const std::string& system_prompt) {
  if (system_prompt.find("news digests") != std::string::npos) return "summarize_article";
  if (system_prompt.find("summarize news") != std::string::npos) return "summarize";
  return "translate";
}

// What a logged request asked for. Article summaries are keyed by title,
// since their text is built from the section summaries.
JobKey job_of_request(const json& entry) {
  const auto& messages = entry["messages"];
  const std::string system = messages[0]["content"];
  const std::string task = task_of(system);
  if (task == "summarize_article") {
    const auto open = system.find('"'), close = system.find('"', open + 1);
    return {task, system.substr(open + 1, close - open - 1)};
  }
  return {task, messages.back()["content"]};
}

// What the cache holds, read through a cache-only export.
std::set<JobKey> committed_jobs(const fs::path& dir) {
  run({LINGOPIPE_BINARY, "export", "-q", "--out", "committed"}, dir,
      {{"LINGOPIPE_MODEL", "lingopipe-standin"}});
  std::set<JobKey> jobs;
  json exported = json::parse(read(dir / "committed/lingopipe.json"));
  for (const auto& a : exported["articles"]) {
    if (!a["summary"].is_null()) jobs.insert({"summarize_article", a["title"]["source"]});
    for (const auto& s : a["sections"]) {
      std::string text = s["source_text"];
      if (!s["heading"].is_null() && s["part"] == 1) {
        const std::string heading = s["heading"]["source"];
        text = text.empty() ? heading : heading + "\n\n" + text;
      }
      if (!s["translation"].is_null()) jobs.insert({"translate", text});
      if (!s["summary"].is_null()) jobs.insert({"summarize", text});
    }
  }
  return jobs;
}

std::string integrity(const fs::path& db) {
  util::SqliteDb handle(db.string());
  auto stmt = handle.prepare("PRAGMA integrity_check");
  return stmt.step() ? stmt.column_text(0) : "no answer";
}

TEST(CrashTest, KillsNeverCostACommittedResultOrTheCache) {
  TempDir dir;
  copy_project(dir.path());
  write(dir / "config.yaml", std::regex_replace(read(dir / "config.yaml"),
                                                std::regex("max_in_flight: 16"),
                                                "max_in_flight: 3"));
  StandIn standin(dir.path(), "", 100); // a run takes about a second: 24 jobs, 3 at a time
  const std::map<std::string, std::string> env = {{"LINGOPIPE_BASE_URL", standin.base_url()},
                                                  {"LINGOPIPE_MODEL", "lingopipe-standin"}};
  std::mt19937 rng(20261122);
  std::uniform_int_distribution<int> delay_ms(0, 500);
  std::set<JobKey> committed;
  size_t seen = 0;
  int kills = 0;
  // Until 20 kills have landed in live runs (a kill after a run ended does
  // not count), bounded so a broken build cannot loop forever.
  for (int trial = 0; kills < 20 && trial < 60; ++trial) {
    if (committed.size() == 24) { // the last run finished: start over
      fs::remove_all(dir / ".lingopipe");
      committed.clear();
    }
    pid_t pid = spawn({LINGOPIPE_BINARY, "run", "-q"}, dir.path(), env);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    kills += WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL; // it was still running

    const auto log = standin.log_lines();
    for (; seen < log.size(); ++seen) {
      const JobKey job = job_of_request(json::parse(log[seen]));
      EXPECT_FALSE(committed.contains(job))
        << "trial " << trial << ": re-requested a committed " << job.first << ": "
        << job.second.substr(0, 60);
    }
    if (fs::exists(dir / ".lingopipe/cache.sqlite")) {
      EXPECT_EQ(integrity(dir / ".lingopipe/cache.sqlite"), "ok") << "trial " << trial;
      committed = committed_jobs(dir.path());
    }
  }
  EXPECT_EQ(kills, 20);

  auto finish = run({LINGOPIPE_BINARY, "run", "-q"}, dir.path(), env);
  EXPECT_EQ(finish.exit_code, 0) << finish.err;
  const auto log = standin.log_lines();
  for (; seen < log.size(); ++seen) {
    EXPECT_FALSE(committed.contains(job_of_request(json::parse(log[seen]))));
  }
  EXPECT_EQ(committed_jobs(dir.path()).size(), 24u);
}

} // namespace
