#include "pipeline/runner.hpp"
#include "support/fake_transport.hpp"
#include "support/test_env.hpp"

#include <gtest/gtest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>

namespace fs = std::filesystem;

namespace {

using testenv::FakeClock;
using testenv::FakeTransport;

// Answers with the user message, upper-cased marker first, so outputs are traceable.
llm::HttpResponse echo(const llm::HttpRequest& req, int) {
  auto body = nlohmann::json::parse(req.body);
  std::string user = body["messages"].back()["content"];
  nlohmann::json out = {{"model", "fake"},
                        {"choices", {{{"message", {{"role", "assistant"}, {"content", "EN " + user}}},
                                      {"finish_reason", "stop"}}}},
                        {"usage", {{"prompt_tokens", 3}, {"completion_tokens", 2}}}};
  llm::HttpResponse r;
  r.status = 200;
  r.headers["content-type"] = "application/json";
  r.body = out.dump();
  return r;
}

// echo, except that the summary of the section "Text." fails with a 400.
llm::HttpResponse fail_summaries_of_text(const llm::HttpRequest& req, int n) {
  if (req.body.find("Text.") != std::string::npos && req.body.find("ummar") != std::string::npos)
    return testenv::status_response(400, R"({"error":{"message":"bad"}})");
  return echo(req, n);
}

article::Document doc() {
  article::Document d;
  d.article = {"a", "a.txt", "txt", "", {}, 1, {}, {}};
  d.title = "Titel";
  d.sections = {{"a#00", article::SectionKind::title, 0, 1, 1, "", "Titel"},
                {"a#01", article::SectionKind::lead, 1, 1, 1, "", "Lead."},
                {"a#02", article::SectionKind::body, 2, 1, 1, "Kopf", "Text."}};
  return d;
}

// Syndicated text: the same agency story on two sites, under two ids. Every
// question is the same for both, and asked once.
article::Document syndicated(const std::string& id) {
  article::Document d = doc();
  d.article.id = id;
  for (auto& section : d.sections) section.id = id + section.id.substr(1);
  return d;
}

class RunnerTest : public ::testing::Test {
protected:
  RunnerTest() : cache(dir / "c.sqlite") {
    cfg.endpoint.model = "m";
    cfg.endpoint.base_url = "http://h/v1";
  }
  testenv::TempDir dir;
  config::Config cfg;
  prompt::PromptSet prompts = prompt::PromptSet::load(testenv::source_dir() / "prompts");
  cache::CacheStore cache;
};

TEST_F(RunnerTest, PlansTranslateSummarizeAndArticleSummary) {
  FakeClock clock;
  FakeTransport transport(clock, echo);
  pipeline::Runner runner(cfg, prompts, cache);
  auto r = runner.run({doc()}, transport, clock);
  EXPECT_EQ(transport.started(), 3 + 2 + 1);
  EXPECT_TRUE(r.missing.empty());
  const auto& a = r.articles[0];
  EXPECT_EQ(a.sections[0].translation->content, "EN Titel");
  EXPECT_FALSE(a.sections[0].summary); // no summary of the title
  EXPECT_EQ(a.sections[2].translation->content, "EN Kopf\n\nText."); // heading rides along
  // The article summary is built from the section summaries, in order.
  ASSERT_TRUE(a.summary);
  EXPECT_EQ(a.summary->content, "EN EN Lead.\n\n## Kopf\nEN Kopf\n\nText.");
  EXPECT_EQ(a.summary->endpoint, "openai:m");
  EXPECT_EQ(r.stats.prompt_tokens, 6 * 3);
}

TEST_F(RunnerTest, ProgressTotalIsKnownFromTheStart) {
  FakeClock clock;
  FakeTransport transport(clock, echo);
  pipeline::Runner runner(cfg, prompts, cache);
  std::vector<pipeline::Progress> seen;
  runner.on_progress([&](const pipeline::Progress& p) { seen.push_back(p); });
  runner.run({doc(), doc()}, transport, clock);
  ASSERT_FALSE(seen.empty());
  for (const auto& p : seen) EXPECT_EQ(p.total, 12);
  EXPECT_EQ(seen.back().done, 12);
}

// Each article is handed on once, when its last job is over, with its
// answers final: the article summary (its last job) is there. One request at
// a time makes the order certain: the short second article is complete while
// the first still waits for its last section, so it comes first.
TEST_F(RunnerTest, EachArticleIsHandedOnOnceWhenItsJobsAreOver) {
  FakeClock clock;
  FakeTransport transport(clock, echo);
  cfg.limits.max_in_flight = 1;
  pipeline::Runner runner(cfg, prompts, cache);
  std::vector<size_t> done;
  runner.on_article_done([&](size_t index, const pipeline::ArticleOutput& a) {
    done.push_back(index);
    EXPECT_TRUE(a.summary) << index;
    for (const auto& s : a.sections) EXPECT_TRUE(s.translation) << index;
  });
  auto short_one = syndicated("a");
  short_one.sections.pop_back();
  runner.run({syndicated("b"), short_one}, transport, clock);
  EXPECT_EQ(done, (std::vector<size_t>{1, 0}));
  done.clear();
  pipeline::Runner again(cfg, prompts, cache); // all cached: handed on as planned
  again.on_article_done([&](size_t index, const auto&) { done.push_back(index); });
  again.run({syndicated("b"), short_one}, transport, clock);
  EXPECT_EQ(done, (std::vector<size_t>{0, 1}));
}

// Documents that come a little at a time, as from a preparation still going:
// one article at first, then nothing ready for a few asks that do not wait.
class TrickleFeed : public pipeline::DocumentFeed {
public:
  TrickleFeed(std::vector<article::Document> docs, const FakeTransport& transport)
    : m_docs(std::move(docs)), m_transport(transport) {}

  std::optional<std::vector<article::Document>> next(bool wait) override {
    asks.push_back({wait, m_transport.started(), m_transport.pending(), false});
    if (m_given == m_docs.size()) return std::nullopt;
    if (!wait && m_given > 0 && m_not_ready++ < 3) return std::vector<article::Document>{};
    m_not_ready = 0;
    asks.back().gave = true;
    return std::vector<article::Document>{m_docs[m_given++]};
  }
  size_t expected() const override { return m_docs.size(); }
  std::unique_ptr<pipeline::DocumentFeed> revisit(const std::vector<pipeline::Revisit>&) override {
    ADD_FAILURE() << "a live run lets no article go";
    return std::make_unique<pipeline::ReadyFeed>(std::vector<article::Document>{});
  }

  struct Ask {
    bool wait;
    int started;                      // requests started before this ask
    size_t pending;                   // ... and not answered yet
    bool gave;                        // an article
  };
  std::vector<Ask> asks;

private:
  std::vector<article::Document> m_docs;
  const FakeTransport& m_transport;
  size_t m_given = 0;
  int m_not_ready = 0;
};

// The run takes articles as they are prepared: the first requests leave
// before the second article exists; while requests are out, an article not
// ready yet is asked for again later instead of waited for; the run waits
// for the preparation only when nothing else is left to do.
TEST_F(RunnerTest, ArticlesArePlannedAsTheyArePreparedAndWaitedForOnlyWhenNothingIsOut) {
  FakeClock clock;
  FakeTransport transport(clock, echo);
  transport.set_latency(std::chrono::milliseconds(10));
  TrickleFeed feed({syndicated("a"), syndicated("b"), syndicated("c")}, transport);
  pipeline::Runner runner(cfg, prompts, cache);
  pipeline::RunResult r = runner.run(feed, transport, clock);
  ASSERT_EQ(r.articles.size(), 3u);
  EXPECT_TRUE(r.missing.empty());
  for (const auto& a : r.articles) EXPECT_TRUE(a.summary) << a.doc.article.id;
  EXPECT_EQ(transport.started(), 6); // the same questions in all three: asked once
  ASSERT_GE(feed.asks.size(), 3u);
  EXPECT_TRUE(feed.asks[0].wait);
  EXPECT_EQ(feed.asks[0].started, 0);
  EXPECT_FALSE(feed.asks[1].wait) << "the first article's requests are planned";
  const auto second = std::ranges::find_if(feed.asks.begin() + 1, feed.asks.end(), &TrickleFeed::Ask::gave);
  ASSERT_NE(second, feed.asks.end());
  EXPECT_GE(second->started, 1) << "the first request left before the second article existed";
  int not_waited = 0;
  for (const auto& ask : feed.asks) {
    if (ask.wait) {
      EXPECT_EQ(ask.pending, 0u) << "waited with requests out";
    } else {
      ++not_waited;
    }
  }
  EXPECT_GE(not_waited, 3);
}

// An article handed on is not kept by the run (RunResult::articles stays
// empty: a batch of any size is not held whole); what the report needs of
// it, the sections whose translation fails a check, is kept, in input order
// whichever article was done first.
TEST_F(RunnerTest, AHandedOnArticleIsNotKeptButItsFlaggedSectionsAre) {
  FakeClock clock;
  auto drop_numbers = [](const llm::HttpRequest& req, int n) {
    llm::HttpResponse r = echo(req, n);
    for (size_t at; (at = r.body.find("27")) != std::string::npos;) r.body.erase(at, 2);
    return r;
  };
  FakeTransport transport(clock, drop_numbers);
  transport.set_latency(std::chrono::milliseconds(10));
  cfg.checks.repair = false;
  auto with_number = [](const std::string& id) {
    article::Document d = syndicated(id);
    d.sections[2].text = "Der Umsatz von " + id + " stieg um 27 Prozent.";
    return d;
  };
  auto long_one = with_number("b");
  for (int i = 3; i < 8; ++i) { // done last: many more jobs
    long_one.sections.push_back({fmt::format("b#0{}", i), article::SectionKind::body, i, 1, 1, "", fmt::format("Absatz {}.", i)});
  }
  article::Document short_one = syndicated("a"); // its title alone: one request, done first
  short_one.sections.resize(1);
  short_one.sections[0].text = short_one.title = "Umsatz steigt um 27 Prozent";
  pipeline::Runner runner(cfg, prompts, cache);
  std::vector<size_t> handed;
  runner.on_article_done([&](size_t index, pipeline::ArticleOutput&&) { handed.push_back(index); });
  pipeline::RunResult r = runner.run({long_one, short_one}, transport, clock);
  EXPECT_EQ(handed, (std::vector<size_t>{1, 0}));
  EXPECT_TRUE(r.articles.empty());
  ASSERT_EQ(r.flagged.size(), 2u);
  const auto flagged = r.flagged.items();
  ASSERT_EQ(flagged.size(), 2u);
  EXPECT_EQ(flagged[0].article_id, "b");
  EXPECT_EQ(flagged[0].section_id, "b#02");
  EXPECT_EQ(flagged[1].article_id, "a");
  EXPECT_EQ(flagged[1].section_id, "a#00");
  ASSERT_EQ(flagged[1].problems.size(), 1u);
  EXPECT_EQ(flagged[1].problems[0].flag, "numbers-lost");
  std::map<std::string, int> by_check; // what the report's counts must say
  for (const auto& f : flagged) {
    for (const auto& p : f.problems) ++by_check[p.flag];
  }
  EXPECT_EQ(r.flagged_by_check, by_check);
  EXPECT_EQ(r.stats.articles, 2);
}

// Which prompt a request was rendered from, by its system message.
std::string task_of(const llm::HttpRequest& req) {
  const std::string system = nlohmann::json::parse(req.body)["messages"][0]["content"];
  if (system.find("translator") != std::string::npos) return "translate";
  if (system.find("digest") != std::string::npos) return "summarize_article";
  return "summarize";
}

// Section summaries go before translations (the article summary waits for
// them), and the article summary leaves as soon as they are in, ahead of the
// translations already waiting: one request at a time shows the order.
TEST_F(RunnerTest, AnArticleSummaryLeavesAsSoonAsItsSectionSummariesAreIn) {
  FakeClock clock;
  FakeTransport transport(clock, echo);
  cfg.limits.max_in_flight = 1;
  pipeline::Runner runner(cfg, prompts, cache);
  runner.run({doc()}, transport, clock);
  std::vector<std::string> order;
  for (const auto& req : transport.requests()) order.push_back(task_of(req));
  EXPECT_EQ(order, (std::vector<std::string>{"summarize", "summarize", "summarize_article", "translate",
                                             "translate", "translate"}));
}

TEST_F(RunnerTest, SecondRunAndExportAreServedFromTheCache) {
  FakeClock clock;
  FakeTransport first(clock, echo);
  pipeline::Runner runner(cfg, prompts, cache);
  runner.run({doc()}, first, clock);
  FakeTransport second(clock, echo);
  auto r = runner.run({doc()}, second, clock);
  EXPECT_EQ(second.started(), 0);
  EXPECT_EQ(r.stats.cache_hits, 6);
  EXPECT_TRUE(r.articles[0].summary->from_cache);
  auto exported = runner.from_cache({doc()});
  EXPECT_TRUE(exported.missing.empty());
  EXPECT_EQ(exported.articles[0].summary->content, r.articles[0].summary->content);
}

TEST_F(RunnerTest, FailedSectionIsNotCachedAndBlocksOnlyItsArticleSummary) {
  FakeClock clock;
  FakeTransport transport(clock, fail_summaries_of_text);
  pipeline::Runner runner(cfg, prompts, cache);
  auto r = runner.run({doc()}, transport, clock);
  EXPECT_EQ(r.stats.failed, 1);
  EXPECT_FALSE(r.articles[0].summary);
  ASSERT_EQ(r.missing.size(), 2u);
  const auto missing = r.missing.items();
  ASSERT_EQ(missing.size(), 2u);
  EXPECT_EQ(missing[0].section_id, "a#02");
  EXPECT_EQ(missing[0].reason, "HTTP 400 bad_request: bad");
  EXPECT_EQ(missing[1].task, "summarize_article");
  EXPECT_EQ(cache.stats().entries, 4);
}

TEST_F(RunnerTest, TheSameQuestionInTwoArticlesIsAskedOnce) {
  FakeClock clock;
  FakeTransport transport(clock, echo);
  pipeline::Runner runner(cfg, prompts, cache);
  auto r = runner.run({syndicated("a"), syndicated("b")}, transport, clock);
  EXPECT_EQ(transport.started(), 3 + 2 + 1); // what one article asks
  EXPECT_TRUE(r.missing.empty());
  EXPECT_EQ(r.stats.cache_hits, 6);
  for (const auto& a : r.articles) {
    ASSERT_TRUE(a.sections[2].translation) << a.doc.article.id;
    EXPECT_EQ(a.sections[2].translation->content, "EN Kopf\n\nText.");
    ASSERT_TRUE(a.sections[1].summary) << a.doc.article.id;
    EXPECT_EQ(a.sections[1].summary->content, "EN Lead.");
    ASSERT_TRUE(a.summary) << a.doc.article.id;
  }
}

TEST_F(RunnerTest, AJobWaitingForTheSameQuestionSharesItsFailure) {
  FakeClock clock;
  FakeTransport transport(clock, fail_summaries_of_text);
  pipeline::Runner runner(cfg, prompts, cache);
  auto r = runner.run({syndicated("a"), syndicated("b")}, transport, clock);
  EXPECT_EQ(transport.started(), 3 + 2); // no article summaries: a section summary failed
  EXPECT_EQ(r.stats.failed, 2);
  std::vector<std::string> failed_sections;
  for (const auto& m : r.missing.items()) {
    if (m.task == "summarize") {
      failed_sections.push_back(m.section_id);
      EXPECT_EQ(m.reason, "HTTP 400 bad_request: bad");
    }
  }
  EXPECT_EQ(failed_sections, (std::vector<std::string>{"a#02", "b#02"}));
}

TEST_F(RunnerTest, TruncatedAnswerIsNeverCached) {
  FakeClock clock;
  FakeTransport transport(clock, [](auto&, int) {
    return testenv::status_response(
      200, R"({"choices":[{"message":{"role":"assistant","content":"half"},"finish_reason":"length"}]})");
  });
  pipeline::Runner runner(cfg, prompts, cache);
  auto r = runner.run({doc()}, transport, clock);
  EXPECT_EQ(cache.stats().entries, 0);
  ASSERT_FALSE(r.missing.empty());
  EXPECT_EQ(r.missing.items().at(0).reason, "HTTP 200 truncated: answer truncated at max_output_tokens");
}

} // namespace

namespace {

// Sets an environment variable for one test, restoring it after.
class ScopedEnv {
public:
  ScopedEnv(const char* name, const std::string& value) : m_name(name) {
    if (const char* old = std::getenv(name)) m_old = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (m_old) {
      setenv(m_name, m_old->c_str(), 1);
    } else {
      unsetenv(m_name);
    }
  }

private:
  const char* m_name;
  std::optional<std::string> m_old;
};

// The lists a run reports wait on disk beside the cache, not in the system's
// temporary folder (which may be small, in memory, or missing), and leave no
// file behind.
TEST_F(RunnerTest, FailuresWaitBesideTheCacheAndLeaveNothingBehind) {
  ScopedEnv tmpdir("TMPDIR", (dir / "no-such-folder").string());
  FakeClock clock;
  FakeTransport transport(clock, fail_summaries_of_text);
  pipeline::Runner runner(cfg, prompts, cache);
  auto failed = runner.run({doc()}, transport, clock);
  auto not_cached = runner.from_cache({syndicated("b")});
  ASSERT_EQ(failed.missing.size(), 2u);
  EXPECT_EQ(failed.missing.items().at(0).section_id, "a#02");
  EXPECT_EQ(not_cached.missing.size(), 2u); // b#02's summary, then b's article summary
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    EXPECT_EQ(entry.path().filename().string().rfind("c.sqlite", 0), 0u) << entry.path();
  }
}

} // namespace
