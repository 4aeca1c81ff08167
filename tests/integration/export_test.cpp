// `lingopipe export`: formats, selection by glob and date, templates from
// config.yaml, and the errors a user sees; always from the cache alone.
#include "support/test_env.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <vector>

using namespace testenv;
using nlohmann::json;

namespace {

class ExportTest : public ::testing::Test {
protected:
  void SetUp() override {
    copy_project(dir.path());
    write(dir / "articles/dated.md",
          "---\nurl: https://www.golem.de/news/a.html\ndate: 2025-02-03\n---\n"
          "Ein datierter Artikel\n\nEin Absatz mit Text.\n");
  }

  TempDir dir;
};

TEST_F(ExportTest, RunWritesEveryFormatConfigNames) {
  set_config(dir.path(), "formats: [md, json]", "formats: [md, json, jsonl, csv, html]");
  StandIn standin(dir.path());
  auto run = lingopipe(dir.path(), standin, {"run", "-q"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (const auto* name : {"digest.md", "lingopipe.json", "lingopipe.jsonl", "lingopipe.csv",
                           "digest.html", "articles/dated.md", "run-report.json"}) {
    EXPECT_TRUE(fs::exists(dir / "out" / name)) << name;
  }
  const json doc = json::parse(read(dir / "out/lingopipe.json"));
  EXPECT_EQ(doc["articles"][0]["id"], "dated");
  EXPECT_EQ(doc["articles"][0]["site"], "golem.de");
  EXPECT_EQ(doc["articles"][0]["date"], "2025-02-03");
  EXPECT_EQ(doc["articles"][0]["summary"]["provenance"]["from_cache"], false);
  EXPECT_EQ(doc["articles"][1]["site"], "articles");
}

TEST_F(ExportTest, ChosenFormatsAndArticlesOnlyAndFromTheCacheAlone) {
  StandIn standin(dir.path());
  ASSERT_EQ(lingopipe(dir.path(), standin, {"run", "-q"}).exit_code, 0);
  const int sent = standin.requests();
  auto exp = lingopipe(dir.path(), standin,
                       {"export", "--format", "csv,jsonl", "--articles", "meta-*", "--out", "sel"});
  ASSERT_EQ(exp.exit_code, 0) << exp.err;
  EXPECT_EQ(standin.requests(), sent);
  EXPECT_EQ(exp.err, "exported 1 articles (csv, jsonl) to sel from the cache; 0 items missing; "
                     "2 articles not selected by --articles/--since\n");
  EXPECT_FALSE(fs::exists(dir / "sel/digest.md"));
  EXPECT_FALSE(fs::exists(dir / "sel/lingopipe.json"));
  const std::string jsonl = read(dir / "sel/lingopipe.jsonl");
  EXPECT_EQ(std::count(jsonl.begin(), jsonl.end(), '\n'), 1);
  const json article = json::parse(jsonl);
  EXPECT_EQ(article["id"], "meta-ki-investitionen");
  EXPECT_EQ(article["summary"]["provenance"]["from_cache"], true);
  EXPECT_NE(read(dir / "sel/lingopipe.csv").find("\r\n\"meta-ki-investitionen\","), std::string::npos);
}

TEST_F(ExportTest, SinceKeepsArticlesDatedThatDayOrLater) {
  StandIn standin(dir.path());
  ASSERT_EQ(lingopipe(dir.path(), standin, {"run", "-q"}).exit_code, 0);
  auto exp = lingopipe(dir.path(), standin, {"export", "-f", "json", "--since", "2025-02-03"});
  ASSERT_EQ(exp.exit_code, 0) << exp.err;
  const json doc = json::parse(read(dir / "out/lingopipe.json"));
  ASSERT_EQ(doc["articles"].size(), 1u);
  EXPECT_EQ(doc["articles"][0]["id"], "dated");
  exp = lingopipe(dir.path(), standin, {"export", "-f", "json", "--since", "2025-02-04"});
  EXPECT_EQ(json::parse(read(dir / "out/lingopipe.json"))["articles"].size(), 0u);
}

// Articles are prepared 16 first and then 64 at a time; the selection is made
// in each chunk, and the export holds one article at a time, in input order.
TEST_F(ExportTest, SelectionAcrossThePreparationsChunksKeepsInputOrder) {
  fs::remove_all(dir / "articles");
  for (int i = 0; i < 40; ++i) {
    write(dir / fmt::format("articles/n{:02}.md", i),
          fmt::format("---\ndate: 2025-02-{:02}\n---\nMeldung Nummer {}\n\nEin Absatz mit Text {}.\n",
                      i % 2 == 0 ? 10 : 1, i, i));
  }
  StandIn standin(dir.path());
  ASSERT_EQ(lingopipe(dir.path(), standin, {"run", "-q"}).exit_code, 0);
  auto exp = lingopipe(dir.path(), standin, {"export", "-f", "jsonl", "--since", "2025-02-05", "--out", "sel"});
  ASSERT_EQ(exp.exit_code, 0) << exp.err;
  EXPECT_EQ(exp.err, "exported 20 articles (jsonl) to sel from the cache; 0 items missing; "
                     "20 articles not selected by --articles/--since\n");
  std::vector<std::string> ids;
  std::istringstream lines(read(dir / "sel/lingopipe.jsonl"));
  for (std::string line; std::getline(lines, line);) ids.push_back(json::parse(line)["id"]);
  std::vector<std::string> expected;
  for (int i = 0; i < 40; i += 2) expected.push_back(fmt::format("n{:02}", i));
  EXPECT_EQ(ids, expected);
}

TEST_F(ExportTest, BadOptionsAreUsageErrorsThatSayWhatIsExpected) {
  StandIn standin(dir.path());
  auto since = lingopipe(dir.path(), standin, {"export", "--since", "30.01.2025"});
  EXPECT_EQ(since.exit_code, 2);
  EXPECT_NE(since.err.find("--since '30.01.2025' is not a date like 2025-01-30"), std::string::npos)
    << since.err;
  auto format = lingopipe(dir.path(), standin, {"export", "--format", "pdf"});
  EXPECT_EQ(format.exit_code, 2);
  EXPECT_NE(format.err.find("pdf not in {md,json,jsonl,csv,html}"), std::string::npos) << format.err;
}

TEST_F(ExportTest, ConfigNamesAnEditedTemplateAndAnUnknownFormatIsRejected) {
  write(dir / "templates/news.mustache", "{{#groups}}{{site}}:{{#dates}} {{label}}{{/dates}}\n{{/groups}}");
  set_config(dir.path(), "formats: [md, json]", "formats: [md]\n  markdown_template: templates/news.mustache");
  StandIn standin(dir.path());
  auto exp = lingopipe(dir.path(), standin, {"export"});
  EXPECT_EQ(read(dir / "out/digest.md"), "articles: Undated\ngolem.de: 2025-02-03\n");

  set_config(dir.path(), "formats: [md]", "formats: [md, docx]");
  auto bad = lingopipe(dir.path(), standin, {"export"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("config.yaml:"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("export.formats: format 'docx' is not one of md, json, jsonl, csv, html"),
            std::string::npos)
    << bad.err;
}

} // namespace
