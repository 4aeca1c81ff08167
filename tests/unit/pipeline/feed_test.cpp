#include "pipeline/feed.hpp"
#include "pipeline/prepare.hpp"
#include "support/test_env.hpp"
#include "util/error.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

namespace {

config::Config config_for_tests() {
  config::Config c;
  c.inputs.clear();
  return c;
}

std::vector<std::string> ids_of(const std::vector<article::Document>& docs) {
  std::vector<std::string> ids;
  for (const auto& d : docs) ids.push_back(d.article.id);
  return ids;
}

// Articles of one site sharing its chrome, two files that make the same id,
// and one that cannot be read.
std::string write_batch(const testenv::TempDir& dir, int articles) {
  for (int i = 0; i < articles; ++i) {
    testenv::write(dir / "in/beispiel.de" / fmt::format("artikel-{:02}.txt", i),
                   fmt::format("Titel Nummer {}\n\nStartseite | Politik | Wirtschaft | Tech\n\n"
                               "Der Absatz {} hat genug eigenen Text, um als Inhalt zu gelten.\n\n"
                               "Jetzt den Beispiel-Newsletter abonnieren\n",
                               i, i));
  }
  testenv::write(dir / "in/beispiel.de/Artikel 00.md", "Noch ein Titel\n\nMit einem eigenen Absatz voller Text.\n");
  testenv::write(dir / "in/beispiel.de/leer.txt", "  \n");
  return (dir / "in").string();
}

// Chunks read in order give what one preparation of the batch gives: the
// same ids (made unique across chunks), the same sections, and the lines
// repeated across the site's articles removed from every chunk, not only
// from the articles of the chunk that holds them.
TEST(PreparerTest, ChunksGiveWhatOnePreparationGives) {
  testenv::TempDir dir;
  const std::string input = write_batch(dir, 7);
  const pipeline::Prepared whole = pipeline::prepare(config_for_tests(), {input});
  pipeline::Preparer preparer(config_for_tests(), {input});
  EXPECT_EQ(preparer.files(), 9u);
  pipeline::Prepared chunks;
  while (!preparer.done()) {
    pipeline::Prepared chunk = preparer.next(2);
    for (auto& d : chunk.docs) chunks.docs.push_back(std::move(d));
    for (auto& r : chunk.removals) chunks.removals.push_back(std::move(r));
    for (auto& p : chunk.problems) chunks.problems.push_back(std::move(p));
  }
  ASSERT_EQ(ids_of(chunks.docs), ids_of(whole.docs));
  EXPECT_EQ(chunks.docs.size(), 8u);
  EXPECT_EQ(chunks.docs[1].article.id, "beispiel.de-artikel-00-2"); // after "Artikel 00.md"
  for (size_t i = 0; i < whole.docs.size(); ++i) {
    ASSERT_EQ(chunks.docs[i].sections.size(), whole.docs[i].sections.size()) << i;
    for (size_t s = 0; s < whole.docs[i].sections.size(); ++s) {
      EXPECT_EQ(chunks.docs[i].sections[s].text, whole.docs[i].sections[s].text) << i;
    }
    EXPECT_EQ(chunks.removals[i].size(), whole.removals[i].size()) << i;
  }
  const auto& last_removals = chunks.removals.back(); // from the last chunk of two
  ASSERT_FALSE(last_removals.empty());
  EXPECT_EQ(last_removals.front().rule, "repeated:site-chrome");
  EXPECT_EQ(last_removals.front().detail, "in 7 of 8 articles from beispiel.de");
  const auto& last = chunks.docs.back();
  ASSERT_EQ(last.sections.size(), 2u);
  EXPECT_EQ(last.sections[1].text, "Der Absatz 6 hat genug eigenen Text, um als Inhalt zu gelten.");
  ASSERT_EQ(chunks.problems.size(), 1u);
  EXPECT_NE(chunks.problems[0].message.find("leer.txt: file is empty"), std::string::npos);
}

// The feed prepares ahead on its own thread; the run takes what is ready
// (maybe nothing) or waits for the next; all articles come, in input order,
// then nothing. Each chunk's problems are reported as it is prepared.
TEST(PreparingFeedTest, GivesEveryArticleInInputOrderThenNothing) {
  testenv::TempDir dir;
  const std::string input = write_batch(dir, 90); // more than the first chunk and the next
  const pipeline::Prepared whole = pipeline::prepare(config_for_tests(), {input});
  std::vector<std::string> problems;
  pipeline::PreparingFeed feed(pipeline::Preparer(config_for_tests(), {input}),
                               [&](const pipeline::Prepared& chunk) {
                                 for (const auto& p : chunk.problems) problems.push_back(p.message);
                               });
  EXPECT_EQ(feed.expected(), 92u);
  std::vector<article::Document> got;
  int chunks = 0;
  for (bool wait = false;; wait = !wait) {
    std::optional<std::vector<article::Document>> docs = feed.next(wait);
    if (!docs) break;
    if (wait) {
      EXPECT_FALSE(docs->empty());
    }
    chunks += docs->empty() ? 0 : 1;
    for (auto& d : *docs) got.push_back(std::move(d));
  }
  EXPECT_EQ(ids_of(got), ids_of(whole.docs));
  EXPECT_EQ(got.size(), 91u);
  EXPECT_GE(chunks, 1);
  EXPECT_FALSE(feed.next(true));
  ASSERT_EQ(problems.size(), 1u); // read by the feed's thread, seen after the last chunk
  EXPECT_NE(problems[0].find("leer.txt"), std::string::npos);
}

// The run's first request (the probe, which decides whether the window
// opens) leaves once one article is prepared, not a chunk of them; the next
// chunk is small as well, then they grow.
TEST(PreparingFeedTest, TheFirstChunkIsOneArticleThenTheyGrow) {
  testenv::TempDir dir;
  const std::string input = write_batch(dir, 90);
  std::vector<size_t> sizes;
  pipeline::PreparingFeed feed(pipeline::Preparer(config_for_tests(), {input}),
                               [&](const pipeline::Prepared& chunk) { sizes.push_back(chunk.docs.size()); });
  while (feed.next(true)) {
  }
  // 92 files: 1, 16, 64, then the last 11 (the empty one makes no article).
  EXPECT_EQ(sizes, (std::vector<size_t>{1, 16, 64, 10}));
}

// A site rule file that does not parse is an error before any article is
// prepared, so a run stops before its first request.
TEST(PreparerTest, ASiteRuleFileThatDoesNotParseIsAnErrorBeforeAnyArticle) {
  testenv::TempDir dir;
  const std::string input = write_batch(dir, 3);
  testenv::write(dir / "rules/beispiel.de.yaml", "drop_lines: [unclosed\n");
  config::Config c = config_for_tests();
  c.clean.site_rules = dir / "rules";
  try {
    pipeline::Preparer preparer(c, {input});
    FAIL() << "no error";
  } catch (const util::Error& e) {
    EXPECT_NE(std::string(e.what()).find("rules/beispiel.de.yaml"), std::string::npos) << e.what();
  }
}

// An error met while preparing (here a rule file that appeared after the run
// began) reaches the run, naming the file, when it asks for articles.
TEST(PreparingFeedTest, AnErrorInThePreparationReachesTheRun) {
  testenv::TempDir dir;
  const std::string input = write_batch(dir, 3);
  config::Config c = config_for_tests();
  c.clean.site_rules = dir / "rules";
  pipeline::Preparer preparer(c, {input});
  testenv::write(dir / "rules/beispiel.de.yaml", "drop_lines: [unclosed\n");
  pipeline::PreparingFeed feed(std::move(preparer), [](const pipeline::Prepared&) {});
  try {
    feed.next(true);
    FAIL() << "no error";
  } catch (const util::Error& e) {
    EXPECT_NE(std::string(e.what()).find("beispiel.de.yaml"), std::string::npos) << e.what();
  }
}

TEST(ReadyFeedTest, GivesItsDocumentsOnceAndNothingWhenEmpty) {
  article::Document d;
  d.article.id = "a";
  pipeline::ReadyFeed feed({d});
  EXPECT_EQ(feed.expected(), 1u);
  EXPECT_EQ(ids_of(*feed.next(true)), std::vector<std::string>{"a"});
  EXPECT_FALSE(feed.next(true));
  pipeline::ReadyFeed empty({});
  EXPECT_FALSE(empty.next(true));
}

} // namespace
