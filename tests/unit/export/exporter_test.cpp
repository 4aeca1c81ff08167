#include "export/exporter.hpp"
#include "support/test_env.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

pipeline::JobResult result(const std::string& text) {
  pipeline::JobResult r;
  r.content = text;
  r.model = "m";
  r.endpoint = "openai:m";
  return r;
}

pipeline::ArticleOutput article_output(bool complete) {
  pipeline::ArticleOutput a;
  a.doc.article = {"a", "articles/a.txt", "txt", ""};
  a.doc.title = "Titel";
  a.doc.sections = {{"a#00", article::SectionKind::title, 0, 1, 1, "", "Titel"},
                    {"a#01", article::SectionKind::body, 1, 1, 1, "Kopf", "Text."}};
  a.sections.resize(2);
  a.sections[0].translation = result("Title");
  if (complete) {
    a.sections[1].translation = result("## Heading\n\nBody text.");
    a.summary = result("Summary.");
  }
  return a;
}

TEST(ExporterTest, SplitsTheTranslatedHeading) {
  EXPECT_EQ(exporter::split_heading("## Heading\n\nBody"), std::make_pair(std::string("Heading"), std::string("Body")));
  EXPECT_EQ(exporter::split_heading("Only"), std::make_pair(std::string("Only"), std::string("")));
}

TEST(ExporterTest, ArticleMarkdown) {
  EXPECT_EQ(exporter::article_markdown(article_output(true)),
            "# Title\n\n*Source: articles/a.txt (Titel)*\n\n## Summary\n\nSummary.\n\n## Heading\n\nBody text.\n");
}

TEST(ExporterTest, MissingItemsAreMarkedNotDropped) {
  const std::string md = exporter::article_markdown(article_output(false));
  EXPECT_NE(md.find("## Kopf"), std::string::npos);
  EXPECT_EQ(md.find("Body text."), std::string::npos);
  EXPECT_NE(md.find("not available yet"), std::string::npos);
}

TEST(ExporterTest, JsonCarriesStructureAndProvenance) {
  auto j = nlohmann::json::parse(exporter::json_export({article_output(true)}));
  EXPECT_EQ(j["schema"], 1);
  const auto& a = j["articles"][0];
  EXPECT_EQ(a["title"]["english"], "Title");
  EXPECT_EQ(a["summary"]["endpoint"], "openai:m");
  EXPECT_EQ(a["sections"][1]["heading"]["english"], "Heading");
  EXPECT_EQ(a["sections"][1]["source_text"], "Text.");
  EXPECT_EQ(a["sections"][0]["summary"], nullptr);
}

TEST(ExporterTest, WritesFilesAtomicallyAndDeterministically) {
  testenv::TempDir dir;
  pipeline::RunResult r;
  r.articles.push_back(article_output(true));
  auto written = exporter::write_all(r, dir / "out", {"md", "json"});
  EXPECT_EQ(written.files.size(), 3u);
  const std::string first = testenv::read(dir / "out/lingopipe.json");
  exporter::write_all(r, dir / "out", {"md", "json"});
  EXPECT_EQ(testenv::read(dir / "out/lingopipe.json"), first);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir / "out")) {
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
  }
}

} // namespace
