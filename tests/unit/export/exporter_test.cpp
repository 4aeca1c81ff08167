#include "export/csv.hpp"
#include "export/exporter.hpp"
#include "export/model.hpp"
#include "export/templates.hpp"
#include "support/test_env.hpp"
#include "util/error.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string k_hash(64, 'a');

pipeline::JobResult result(const std::string& text) {
  pipeline::JobResult r;
  r.content = text;
  r.model = "m";
  r.endpoint = "openai:m";
  r.prompt_hash = k_hash;
  r.key = std::string(64, 'b');
  r.prompt_tokens = 10;
  r.completion_tokens = 5;
  r.created = 1738224900; // 2025-01-30T08:15:00Z
  return r;
}

pipeline::ArticleOutput article_output(bool complete, const std::string& id = "a") {
  pipeline::ArticleOutput a;
  a.doc.article = {id, "articles/" + id + ".txt", "txt", "", {}, 1, {}, {}};
  a.doc.article.meta.site = "articles";
  a.doc.title = "Titel";
  a.doc.sections = {{id + "#00", article::SectionKind::title, 0, 1, 1, "", "Titel"},
                    {id + "#01", article::SectionKind::body, 1, 1, 1, "Kopf", "Text."}};
  a.sections.resize(2);
  a.sections[0].translation = result("Title");
  if (complete) {
    a.sections[1].translation = result("## Heading\n\nBody text.");
    a.sections[1].summary = result("Section summary.");
    a.summary = result("Summary.");
  }
  return a;
}

// Text from articles and answers that would break every format that does not
// escape or quote: markup, script, quotes, commas, line breaks, CRLF.
pipeline::ArticleOutput hostile_article() {
  pipeline::ArticleOutput a = article_output(true, "hostile");
  a.doc.title = "Quote \" comma , <img src=x onerror=window.__pwned=1>";
  a.doc.article.meta = {"", "javascript:alert(1)", "2025-02-01", "German", "evil.example", "O'Brien"};
  a.sections[0].translation = result("Title with \"quotes\", commas,\r\nand a CRLF");
  a.summary = result("Line one\nline two, \"quoted\" <script>window.__pwned=1</script>");
  a.doc.sections[1].text = "<b>bold</b> & 'single'";
  return a;
}

TEST(ExportModelTest, SplitsTheTranslatedHeading) {
  EXPECT_EQ(exporter::split_heading("## Heading\n\nBody"), std::make_pair(std::string("Heading"), std::string("Body")));
  EXPECT_EQ(exporter::split_heading("Only"), std::make_pair(std::string("Only"), std::string("")));
}

TEST(ExportModelTest, CarriesMetadataFlagsTokensAndProvenance) {
  pipeline::ArticleOutput a = article_output(true);
  a.doc.article.meta = {"", "https://www.heise.de/x", "2025-01-30", "German", "heise.de", "Jane Doe"};
  const json j = json::parse(exporter::document_model({a}, "2026-01-01T00:00:00Z").dump());
  EXPECT_EQ(j["schema"], "lingopipe-export");
  EXPECT_EQ(j["schema_version"], 3);
  EXPECT_EQ(j["generated_at"], "2026-01-01T00:00:00Z");
  const auto& art = j["articles"][0];
  EXPECT_EQ(art["url"], "https://www.heise.de/x");
  EXPECT_EQ(art["date"], "2025-01-30");
  EXPECT_EQ(art["language"], "German");
  EXPECT_EQ(art["site"], "heise.de");
  EXPECT_EQ(art["author"], "Jane Doe");
  EXPECT_EQ(art["title"], json({{"source", "Titel"}, {"english", "Title"}}));
  EXPECT_EQ(art["flags"], json::array());
  EXPECT_EQ(art["tokens"], json({{"prompt", 40}, {"completion", 20}})); // 4 answers
  EXPECT_EQ(art["summary"]["text"], "Summary.");
  EXPECT_EQ(art["summary"]["provenance"],
            json({{"endpoint", "openai:m"}, {"model", "m"}, {"prompt_hash", k_hash},
                  {"cache_key", std::string(64, 'b')}, {"created", "2025-01-30T08:15:00Z"},
                  {"from_cache", false}, {"prompt_tokens", 10}, {"completion_tokens", 5}}));
  EXPECT_EQ(art["sections"][1]["heading"], json({{"source", "Kopf"}, {"english", "Heading"}}));
  EXPECT_EQ(art["sections"][1]["source_text"], "Text.");
  EXPECT_EQ(art["sections"][0]["summary"], nullptr);
}

TEST(ExportModelTest, FlagsMissingAndEchoedAnswers) {
  pipeline::ArticleOutput a = article_output(false);
  json j = exporter::article_model(a);
  EXPECT_EQ(j["sections"][1]["flags"], json({"translation-missing", "summary-missing"}));
  EXPECT_EQ(j["flags"], json({"translation-missing", "summary-missing"}));
  EXPECT_EQ(j["url"], nullptr);

  a = article_output(true);
  a.sections[1].problems = {{"untranslated", "the answer repeats the source text"},
                            {"numbers-lost", "27 % not in the translation"}};
  a.sections[1].repaired = true;
  j = exporter::article_model(a);
  EXPECT_EQ(j["sections"][1]["flags"], json({"untranslated", "numbers-lost"}));
  EXPECT_EQ(j["sections"][1]["checks"][1], json({{"flag", "numbers-lost"}, {"detail", "27 % not in the translation"}}));
  EXPECT_EQ(j["sections"][1]["repaired"], true);
  EXPECT_EQ(j["flags"], json({"untranslated", "numbers-lost"}));
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

TEST(ExporterTest, MarkdownDigestGroupsBySiteThenNewestDateFirst) {
  auto a = article_output(true, "a");
  a.doc.article.meta.site = "zeit.de";
  auto b = article_output(true, "b");
  b.doc.article.meta = {"", "https://heise.de/b", "2025-01-30", "", "heise.de", ""};
  auto c = article_output(false, "c");
  c.doc.article.meta = {"", "", "2025-02-02", "", "heise.de", ""};
  const auto doc = exporter::document_model({a, b, c}, "2026-01-01T00:00:00Z");
  const std::string md = exporter::digest_markdown(
    doc, std::string(exporter::k_default_markdown_digest_template), "digest");
  EXPECT_EQ(md,
            "# lingopipe digest\n\n"
            "Generated 2026-01-01T00:00:00Z by lingopipe from 3 articles.\n\n"
            "## heise.de\n\n"
            "### 2025-02-02\n\n"
            "#### [Title](articles/c.md)\n\n"
            "*[not available yet: run `lingopipe run` to fetch it]*\n\n"
            "> Flags: translation-missing, summary-missing\n\n"
            "### 2025-01-30\n\n"
            "#### [Title](articles/b.md)\n\n"
            "Summary.\n\n"
            "[Original: Titel](https://heise.de/b)\n\n"
            "## zeit.de\n\n"
            "### Undated\n\n"
            "#### [Title](articles/a.md)\n\n"
            "Summary.\n");
}

TEST(ExporterTest, AnEditedMarkdownTemplateIsUsedAndItsErrorsNameTheFile) {
  testenv::TempDir dir;
  testenv::write(dir / "news.mustache", "{{#articles}}* {{title.english}}: {{summary_text}}\n{{/articles}}");
  pipeline::RunResult r;
  r.articles = {article_output(true, "a"), article_output(true, "b")};
  exporter::write_all(r, {dir / "out", {"md"}, dir / "news.mustache", {}, ""});
  EXPECT_EQ(testenv::read(dir / "out/digest.md"), "* Title: Summary.\n* Title: Summary.\n");

  testenv::write(dir / "broken.mustache", "{{#articles}} never closed");
  try {
    exporter::write_all(r, {dir / "out", {"md"}, dir / "broken.mustache", {}, ""});
    FAIL() << "a broken template must be reported";
  } catch (const util::Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find((dir / "broken.mustache").string() + ": template error: "), std::string::npos)
      << what;
    EXPECT_NE(what.find("Unclosed section \"articles\""), std::string::npos) << what;
  }
}

TEST(ExporterTest, HtmlEscapesEveryTextFromArticlesAndAnswers) {
  const auto doc = exporter::document_model({hostile_article()}, "2026-01-01T00:00:00Z");
  const std::string html = exporter::digest_html(
    doc, std::string(exporter::k_default_html_digest_template), "digest.html");
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<b>bold"), std::string::npos);
  EXPECT_EQ(html.find("<script>window"), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=window.__pwned=1&gt;"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;window.__pwned=1&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("O&apos;Brien"), std::string::npos);
  EXPECT_EQ(html.find("javascript:"), std::string::npos) << "only http(s) URLs become links";
  // Self-contained: nothing is fetched from elsewhere.
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
}

TEST(ExporterTest, CsvQuotesEveryFieldAndSeparatesRecordsWithCrlf) {
  const auto doc = exporter::document_model({article_output(true)}, "2026-01-01T00:00:00Z");
  EXPECT_EQ(exporter::csv_export(doc),
            "\"id\",\"title_english\",\"title_source\",\"summary\",\"url\",\"date\",\"language\","
            "\"site\",\"sections\",\"tokens\",\"flags\"\r\n"
            "\"a\",\"Title\",\"Titel\",\"Summary.\",\"\",\"\",\"\",\"articles\",\"2\",\"60\",\"\"\r\n");
}

TEST(ExporterTest, MachineFormatsValidateAndRoundTripThroughIndependentParsers) {
  testenv::TempDir dir;
  pipeline::RunResult r;
  r.articles = {hostile_article(), article_output(false, "incomplete")};
  exporter::write_all(r, {dir / "out", {"json", "jsonl", "csv"}, {}, {}, ""});
  const auto checked = testenv::run(
    {"python3", (testenv::source_dir() / "tests/support/check_exports.py").string(),
     (testenv::source_dir() / "docs/export-schema.json").string(), (dir / "out").string()},
    dir.path());
  ASSERT_EQ(checked.exit_code, 0) << checked.err;
  const json rows = json::parse(checked.out);
  ASSERT_EQ(rows.size(), 2u);
  const auto& h = rows[0];
  EXPECT_EQ(h["id"], "hostile");
  EXPECT_EQ(h["title_english"], "Title with \"quotes\", commas,\r\nand a CRLF");
  EXPECT_EQ(h["title_source"], "Quote \" comma , <img src=x onerror=window.__pwned=1>");
  EXPECT_EQ(h["summary"], "Line one\nline two, \"quoted\" <script>window.__pwned=1</script>");
  EXPECT_EQ(h["url"], "javascript:alert(1)");
  EXPECT_EQ(h["date"], "2025-02-01");
  EXPECT_EQ(h["language"], "German");
  EXPECT_EQ(h["site"], "evil.example");
  EXPECT_EQ(h["sections"], "2");
  EXPECT_EQ(h["tokens"], "60");
  EXPECT_EQ(h["flags"], "");
  EXPECT_EQ(rows[1]["summary"], "");
  EXPECT_EQ(rows[1]["flags"], "translation-missing;summary-missing");
}

TEST(ExporterTest, SameInputsGiveByteIdenticalFilesApartFromTheGeneratedLine) {
  testenv::TempDir dir;
  pipeline::RunResult r;
  r.articles = {article_output(true, "a"), hostile_article()};
  const std::vector<std::string> all = {"md", "json", "jsonl", "csv", "html"};
  exporter::write_all(r, {dir / "one", all, {}, {}, "2026-01-01T00:00:00Z"});
  exporter::write_all(r, {dir / "two", all, {}, {}, "2026-01-01T00:00:00Z"});
  exporter::write_all(r, {dir / "three", all, {}, {}, "2027-12-31T23:59:59Z"});
  for (const auto* name : {"digest.md", "lingopipe.json", "lingopipe.jsonl", "lingopipe.csv",
                           "digest.html", "articles/a.md"}) {
    const std::string one = testenv::read(dir / "one" / name);
    EXPECT_EQ(testenv::read(dir / "two" / name), one) << name;
    EXPECT_EQ(testenv::without_generated_line(testenv::read(dir / "three" / name)), testenv::without_generated_line(one))
      << name;
  }
  for (const auto& entry : fs::recursive_directory_iterator(dir.path())) {
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
  }
}

} // namespace

namespace {

TEST(ExporterTest, JsonWrittenArticleByArticleIsTheDocumentsOwnDump) {
  for (const auto& articles : {std::vector<pipeline::ArticleOutput>{},
                               std::vector{article_output(true, "a"), hostile_article()}}) {
    const auto doc = exporter::document_model(articles, "2026-01-01T00:00:00Z");
    EXPECT_EQ(exporter::json_export(doc), doc.dump(2) + "\n");
    testenv::TempDir dir;
    pipeline::RunResult r;
    r.articles = articles;
    exporter::write_all(r, {dir / "out", {"json"}, {}, {}, "2026-01-01T00:00:00Z"});
    EXPECT_EQ(testenv::read(dir / "out/lingopipe.json"), doc.dump(2) + "\n");
  }
}

// A run hands articles over as they complete, in any order; the files are
// the same as an export of the finished batch, and an article's Markdown is
// written (on the exporter's thread) once it was handed over.
TEST(ExporterTest, ArticlesHandedOverOutOfOrderGiveTheSameFilesAsOneExport) {
  testenv::TempDir dir;
  pipeline::RunResult r;
  r.articles = {article_output(true, "a"), hostile_article(), article_output(false, "c")};
  const std::vector<std::string> all = {"md", "json", "jsonl", "csv", "html"};
  exporter::write_all(r, {dir / "whole", all, {}, {}, "2026-01-01T00:00:00Z"});
  exporter::Exporter exports({dir / "parts", all, {}, {}, "2026-01-01T00:00:00Z"});
  exports.article_done(2, pipeline::ArticleOutput(r.articles[2]));
  exports.flush();
  EXPECT_TRUE(fs::exists(dir / "parts/articles/c.md"));
  EXPECT_FALSE(fs::exists(dir / "parts/articles/a.md"));
  exports.article_done(0, pipeline::ArticleOutput(r.articles[0])); // the hostile article is left to finish()
  exports.finish(r);
  for (const auto* name : {"digest.md", "lingopipe.json", "lingopipe.jsonl", "lingopipe.csv",
                           "digest.html", "articles/a.md", "articles/c.md"}) {
    EXPECT_EQ(testenv::read(dir / "parts" / name), testenv::read(dir / "whole" / name)) << name;
  }
}

// The exporter parks each article's digest views in its spill file and makes
// them again when the digests render: the digests are the document's own.
TEST(ExporterTest, DigestsRenderedFromTheSpillFileAreTheDocumentsOwn) {
  testenv::TempDir dir;
  pipeline::RunResult r;
  r.articles = {article_output(true, "a"), hostile_article(), article_output(false, "c")};
  r.articles[2].doc.article.meta = {"", "", "2025-02-02", "", "evil.example", ""};
  const auto doc = exporter::document_model(r.articles, "2026-01-01T00:00:00Z");
  exporter::Exporter exports({dir / "out", {"md", "html"}, {}, {}, "2026-01-01T00:00:00Z"});
  exports.article_done(1, pipeline::ArticleOutput(r.articles[1]));
  exports.finish(r);
  EXPECT_EQ(testenv::read(dir / "out/digest.md"),
            exporter::digest_markdown(doc, std::string(exporter::k_default_markdown_digest_template), "md"));
  EXPECT_EQ(testenv::read(dir / "out/digest.html"),
            exporter::digest_html(doc, std::string(exporter::k_default_html_digest_template), "html"));
  EXPECT_NE(testenv::read(dir / "out/digest.html").find("Body text."), std::string::npos);
}

// lingopipe.json is written while the run goes on, as the articles in front
// are done, into its temp file: finish() has only the rest to write, and
// nobody sees a half-written lingopipe.json.
TEST(ExporterTest, TheJsonIsWrittenAsTheArticlesInFrontAreDone) {
  testenv::TempDir dir;
  pipeline::RunResult r;
  r.articles = {article_output(true, "a"), article_output(false, "b"), article_output(true, "c")};
  exporter::Exporter exports({dir / "out", {"json"}, {}, {}, "2026-01-01T00:00:00Z"});
  const fs::path temp = dir / fmt::format("out/lingopipe.json.tmp.{}", getpid());
  exports.article_done(1, pipeline::ArticleOutput(r.articles[1])); // b waits for a
  exports.flush();
  EXPECT_FALSE(fs::exists(temp));
  exports.article_done(0, pipeline::ArticleOutput(r.articles[0]));
  exports.flush();
  ASSERT_TRUE(fs::exists(temp));
  const std::string streamed = testenv::read(temp);
  EXPECT_NE(streamed.find("\"id\": \"a\""), std::string::npos) << streamed;
  EXPECT_LT(streamed.find("\"id\": \"a\""), streamed.find("\"id\": \"b\"")) << streamed;
  EXPECT_EQ(streamed.find("\"id\": \"c\""), std::string::npos) << streamed;
  EXPECT_FALSE(fs::exists(dir / "out/lingopipe.json"));
  exports.finish(r);
  EXPECT_FALSE(fs::exists(temp));
  exporter::write_all(r, {dir / "whole", {"json"}, {}, {}, "2026-01-01T00:00:00Z"});
  EXPECT_EQ(testenv::read(dir / "out/lingopipe.json"), testenv::read(dir / "whole/lingopipe.json"));
}

TEST(ExporterTest, UnchangedFilesAreNotRewritten) {
  testenv::TempDir dir;
  pipeline::RunResult r;
  r.articles = {article_output(true, "a"), article_output(true, "b")};
  exporter::write_all(r, {dir / "out", {"md", "csv"}, {}, {}, "2026-01-01T00:00:00Z"});
  const auto article = dir / "out/articles/a.md";
  const auto old_time = std::filesystem::file_time_type::clock::now() - std::chrono::hours(1);
  std::filesystem::last_write_time(article, old_time);
  std::filesystem::last_write_time(dir / "out/lingopipe.csv", old_time);
  r.articles[1].summary = result("A new summary.");
  exporter::write_all(r, {dir / "out", {"md", "csv"}, {}, {}, "2026-01-01T00:00:00Z"});
  EXPECT_EQ(std::filesystem::last_write_time(article), old_time) << "same text: not rewritten";
  EXPECT_NE(std::filesystem::last_write_time(dir / "out/lingopipe.csv"), old_time);
  EXPECT_NE(testenv::read(dir / "out/lingopipe.csv").find("A new summary."), std::string::npos);
}

} // namespace
