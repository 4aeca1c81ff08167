#include "article/front_matter.hpp"
#include "article/loader.hpp"
#include "support/test_env.hpp"
#include "util/curl.hpp"
#include "util/error.hpp"

#include <gtest/gtest.h>

namespace {

std::string error_of(const std::string& text) {
  try {
    article::split_front_matter("a.md", text);
  } catch (const util::Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(FrontMatterTest, ReadsMetadataAndCutsItFromTheBody) {
  const auto fm = article::split_front_matter(
    "a.md", "---\ntitle: T\nurl: https://heise.de/x\ndate: 2025-01-30\nlanguage: German\n"
            "source: heise online\nauthor: A. B.\ntags: [ki]\n---\nTitel\n\nText.\n");
  EXPECT_EQ(fm.meta.title, "T");
  EXPECT_EQ(fm.meta.url, "https://heise.de/x");
  EXPECT_EQ(fm.meta.date, "2025-01-30");
  EXPECT_EQ(fm.meta.language, "German");
  EXPECT_EQ(fm.meta.site, "heise online");
  EXPECT_EQ(fm.meta.author, "A. B.");
  EXPECT_EQ(fm.body, "Titel\n\nText.\n");
  EXPECT_EQ(fm.body_line, 10);
}

TEST(FrontMatterTest, TextWithoutFrontMatterIsUntouched) {
  const auto fm = article::split_front_matter("a.md", "Titel\n---\nText\n");
  EXPECT_EQ(fm.body, "Titel\n---\nText\n");
  EXPECT_EQ(fm.body_line, 1);
  EXPECT_EQ(fm.meta.url, "");
}

TEST(FrontMatterTest, ErrorsNameTheFileAndLine) {
  EXPECT_EQ(error_of("---\ntitle: T\nText\n"),
            "a.md:1: front matter: no closing '---' line; end the front matter with a line "
            "holding only ---");
  EXPECT_EQ(error_of("---\ntitle: T\ndate: 30.01.2025\n---\nText\n"),
            "a.md:3: front matter: date '30.01.2025' is not YYYY-MM-DD");
  EXPECT_EQ(error_of("---\ntitle: T\nurl: [a, b]\n---\nText\n"),
            "a.md:3: front matter: 'url' must be a single value");
  EXPECT_EQ(error_of("---\n- a list\n---\nText\n"),
            "a.md:2: front matter: expected 'key: value' lines (title, url, date, language, "
            "source, author)");
  EXPECT_EQ(error_of("---\ntitle: T\nurl: [unclosed\n---\nText\n"),
            "a.md:4: front matter: end of sequence flow not found; fix the YAML between the --- lines");
}

TEST(FrontMatterTest, TheLoaderReportsABadHeaderAndLoadsTheRest) {
  testenv::TempDir dir;
  testenv::write(dir / "in/bad.md", "---\ndate: soon\n---\nTitel\n");
  testenv::write(dir / "in/good.txt", "---\nurl: https://example.org/a\n---\nTitel\n\nText.\n");
  const auto loaded = article::load_articles({dir / "in"});
  ASSERT_EQ(loaded.problems.size(), 1u);
  EXPECT_EQ(loaded.problems[0].message,
            (dir / "in/bad.md").string() + ":2: front matter: date 'soon' is not YYYY-MM-DD");
  ASSERT_EQ(loaded.articles.size(), 1u);
  EXPECT_EQ(loaded.articles[0].meta.url, "https://example.org/a");
  EXPECT_EQ(loaded.articles[0].text, "Titel\n\nText.\n");
  EXPECT_EQ(loaded.articles[0].first_line, 4);
}

TEST(UrlHostTest, HostWithoutWww) {
  EXPECT_EQ(util::url_host("https://www.heise.de/news/x.html"), "heise.de");
  EXPECT_EQ(util::url_host("http://golem.de:8080/a"), "golem.de");
  EXPECT_EQ(util::url_host("not a url"), "");
}

} // namespace
