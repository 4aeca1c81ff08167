#include "article/loader.hpp"
#include "support/test_env.hpp"

#include <gtest/gtest.h>

namespace {

using testenv::TempDir;

TEST(ArticleLoaderTest, ReportsEachBadFileAndLoadsTheRest) {
  TempDir dir;
  testenv::write(dir / "in/good.txt", "Titel\n\nText.\n");
  testenv::write(dir / "in/bad.txt", std::string("ab\xFF"));
  testenv::write(dir / "in/empty.txt", "  \n");
  testenv::write(dir / "in/binary.md", std::string("a\0b", 3));
  testenv::write(dir / "in/ignored.pdf", "x");
  auto r = article::load_articles({dir / "in", dir / "nope.txt"});
  ASSERT_EQ(r.articles.size(), 2u);
  EXPECT_EQ(r.articles[0].id, "bad");
  EXPECT_EQ(r.articles[0].text, "ab\xC3\xBF"); // 0xFF is ÿ in Windows-1252
  EXPECT_EQ(r.articles[1].id, "good");
  ASSERT_EQ(r.problems.size(), 3u);
  const std::string in = (dir / "in").string();
  EXPECT_EQ(r.problems[0].message, (dir / "nope.txt").string() +
                                     ": no such file or folder; check the path");
  EXPECT_EQ(r.problems[1].message, in + "/binary.md: binary file (contains NUL bytes); articles "
                                          "must be UTF-8 text");
  EXPECT_EQ(r.problems[2].message, in + "/empty.txt: file is empty; add text or remove it");
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0], in + "/bad.txt: not UTF-8 (invalid byte at offset 2); read as "
                                "windows-1252. Save it as UTF-8 or declare its charset to be sure");
}

TEST(ArticleLoaderTest, StripsBomAndDerivesStableIdsFromPaths) {
  TempDir dir;
  testenv::write(dir / "in/sub/Über Uns.md", "\xEF\xBB\xBF# Titel\n");
  testenv::write(dir / "in/a.txt", "A\n");
  auto r = article::load_articles({dir / "in"});
  ASSERT_EQ(r.articles.size(), 2u);
  EXPECT_EQ(r.articles[0].id, "a");
  EXPECT_EQ(r.articles[1].id, "sub-ber-uns");
  EXPECT_EQ(r.articles[1].format, "md");
  EXPECT_EQ(r.articles[1].text, "# Titel\n");
}

} // namespace
