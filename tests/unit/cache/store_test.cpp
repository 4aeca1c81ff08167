#include "cache/store.hpp"
#include "support/test_env.hpp"
#include "util/sqlite.hpp"

#include <gtest/gtest.h>

namespace {

cache::Entry entry(const std::string& content) {
  cache::Entry e;
  e.content = content;
  e.finish_reason = "stop";
  e.model = "m";
  e.endpoint = "openai:m";
  e.prompt_tokens = 10;
  e.completion_tokens = 4;
  return e;
}

int64_t last_used(util::SqliteDb& db) {
  auto stmt = db.prepare("SELECT last_used FROM results WHERE key = 'k'");
  stmt.step();
  return stmt.column_int(0);
}

TEST(CacheStoreTest, PutThenGetAcrossReopen) {
  testenv::TempDir dir;
  const auto path = dir / "sub/cache.sqlite";
  {
    cache::CacheStore store(path);
    EXPECT_FALSE(store.get("k1"));
    store.put("k1", "translate", entry("Hello"));
  }
  cache::CacheStore store(path);
  auto got = store.get("k1");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->content, "Hello");
  EXPECT_EQ(got->endpoint, "openai:m");
  EXPECT_GT(got->created, 0);
  auto s = store.stats();
  EXPECT_EQ(s.entries, 1);
  EXPECT_EQ(s.prompt_tokens, 10);
  EXPECT_EQ(s.completion_tokens, 4);
}

// Puts gather in one transaction; commit() makes them visible to (and
// durable for) every other connection, e.g. the next run after a kill.
TEST(CacheStoreTest, PutsAreDurableAtCommitNotBefore) {
  testenv::TempDir dir;
  cache::CacheStore store(dir / "c.sqlite");
  store.put("a", "translate", entry("1"));
  store.put("b", "translate", entry("2"));
  EXPECT_EQ(store.get("a")->content, "1"); // the writer sees its own pending puts
  util::SqliteDb other((dir / "c.sqlite").string());
  auto count = [&] {
    auto stmt = other.prepare("SELECT COUNT(*) FROM results");
    stmt.step();
    return stmt.column_int(0);
  };
  EXPECT_EQ(count(), 0);
  store.commit();
  EXPECT_EQ(count(), 2);
  store.commit(); // nothing pending: a no-op
  store.put("c", "translate", entry("3"));
  store.commit();
  EXPECT_EQ(count(), 3);
}

TEST(CacheStoreTest, HitsRefreshLastUsedInOneFlush) {
  testenv::TempDir dir;
  cache::CacheStore store(dir / "c.sqlite");
  store.put("k", "translate", entry("x"));
  store.commit();
  util::SqliteDb db((dir / "c.sqlite").string());
  db.exec("UPDATE results SET last_used = 0");
  ASSERT_TRUE(store.get("k"));
  EXPECT_EQ(last_used(db), 0); // not written per hit
  store.flush_touches();
  EXPECT_GT(last_used(db), 0);
}

// A re-run the same day writes nothing: eviction needs no finer order.
TEST(CacheStoreTest, AHitUsedWithinTheDayIsNotWrittenAgain) {
  testenv::TempDir dir;
  cache::CacheStore store(dir / "c.sqlite");
  store.put("k", "translate", entry("x"));
  store.commit();
  util::SqliteDb db((dir / "c.sqlite").string());
  db.exec("UPDATE results SET last_used = last_used - 3600");
  const int64_t before = last_used(db);
  ASSERT_TRUE(store.get("k"));
  store.flush_touches();
  EXPECT_EQ(last_used(db), before);
}

TEST(CacheStoreTest, UsesWalMode) {
  testenv::TempDir dir;
  cache::CacheStore store(dir / "c.sqlite");
  util::SqliteDb db((dir / "c.sqlite").string());
  auto stmt = db.prepare("PRAGMA journal_mode");
  ASSERT_TRUE(stmt.step());
  EXPECT_EQ(stmt.column_text(0), "wal");
}

TEST(CacheStoreTest, UnreadableEntryIsAMissNotACrash) {
  testenv::TempDir dir;
  cache::CacheStore store(dir / "c.sqlite");
  store.put("k", "translate", entry("x"));
  store.commit();
  util::SqliteDb db((dir / "c.sqlite").string());
  db.exec("UPDATE results SET payload = '{broken'");
  EXPECT_FALSE(store.get("k"));
  db.exec("UPDATE results SET payload = '{\"v\":99,\"content\":\"x\"}'");
  EXPECT_FALSE(store.get("k"));
  EXPECT_EQ(store.corrupt_reads(), 2);
}

// A banked batch answer leaves the bank in the same commit as what its
// claim became: a run killed before that commit finds it banked again, one
// killed after finds the answer cached, and never neither.
TEST(CacheStoreTest, AClaimedBatchAnswerLeavesTheBankWithTheNextCommit) {
  testenv::TempDir dir;
  cache::CacheStore store(dir / "c.sqlite");
  util::SqliteDb other((dir / "c.sqlite").string());
  auto durable = [&](const char* sql) {
    auto stmt = other.prepare(sql);
    stmt.step();
    return stmt.column_int(0);
  };
  store.bank("openai http://x/v1", "lp-1", R"({"custom_id":"lp-1"})");
  store.bank("openai http://y/v1", "lp-2", R"({"custom_id":"lp-2"})");
  EXPECT_EQ(durable("SELECT COUNT(*) FROM banked"), 0) << "durable with the commit of the answers";
  EXPECT_EQ(store.banked("openai http://x/v1"), std::vector<std::string>{"lp-1"});
  EXPECT_EQ(durable("SELECT COUNT(*) FROM banked"), 2);

  EXPECT_EQ(store.claim("lp-1"), R"({"custom_id":"lp-1"})");
  store.put("k", "translate", entry("claimed"));
  EXPECT_FALSE(store.claim("lp-1")) << "taken once";
  EXPECT_EQ(durable("SELECT COUNT(*) FROM banked WHERE custom_id = 'lp-1'"), 1);
  EXPECT_EQ(durable("SELECT COUNT(*) FROM results"), 0);
  store.commit();
  EXPECT_EQ(durable("SELECT COUNT(*) FROM banked WHERE custom_id = 'lp-1'"), 0);
  EXPECT_EQ(durable("SELECT COUNT(*) FROM results"), 1);
  EXPECT_EQ(store.stats().banked, 1);
}

// A batch is recorded before its create call and renamed to the id the
// provider gives it; a re-run reads both the id and when it was recorded.
TEST(CacheStoreTest, ARecordedBatchTakesTheIdTheProviderGaveIt) {
  testenv::TempDir dir;
  {
    cache::CacheStore store(dir / "c.sqlite");
    store.add_batch("openai http://x/v1", {"unconfirmed:file-1", {"lp-a", "lp-b"}});
    store.rename_batch("unconfirmed:file-1", "batch_1");
  }
  cache::CacheStore store(dir / "c.sqlite");
  const auto open = store.open_batches("openai http://x/v1");
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].id, "batch_1");
  EXPECT_EQ(open[0].custom_ids, (std::vector<std::string>{"lp-a", "lp-b"}));
  EXPECT_GT(open[0].created, 1700000000);
}

TEST(CacheStoreTest, ClearRemovesEverything) {
  testenv::TempDir dir;
  cache::CacheStore store(dir / "c.sqlite");
  store.put("a", "translate", entry("1"));
  store.put("b", "summarize", entry("2"));
  store.bank("openai http://x/v1", "lp-1", "{}");
  EXPECT_EQ(store.clear(), 2);
  EXPECT_EQ(store.stats().entries, 0);
  EXPECT_EQ(store.stats().banked, 0);
}

TEST(CacheStoreTest, UnopenablePathSaysWhatToCheck) {
  testenv::TempDir dir;
  testenv::write(dir / "file", "x");
  try {
    cache::CacheStore store(dir / "file/cache.sqlite");
    FAIL();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("cannot create folder"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("check cache.path"), std::string::npos) << e.what();
  }
}

} // namespace
