// Opens the HTML digest in headless Chromium (Debian's chromium package,
// installed by scripts/setup.sh) and checks it through the DOM: every article
// listed, the toggle shows the original, the search filters, and markup from
// an article or an answer stays text. A screenshot of the sample articles'
// digest is kept in build/test-artifacts/digest.png.
#include "support/test_env.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstring>

using namespace testenv;
using nlohmann::json;

namespace {

// Front matter, markup in the title and body: the stand-in echoes the text,
// so its answers carry the same markup back.
const char* k_hostile_article = R"(---
url: https://example.org/angriff
date: 2025-02-01
source: example.org
author: Mallory
---
Angriff <img src=x onerror="window.__pwned=1"> im Titel

<script>window.__pwned = 1;</script> Ein Absatz mit Markup & Sonderzeichen.

Ein zweiter Absatz, ganz harmlos.
)";

// Runs in the page after the digest's own script, acting as a reader would,
// and leaves its findings in <pre id="test-results">.
const char* k_dom_checks = R"(<script>
(function () {
  var r = {};
  var all = Array.prototype.slice.call(document.querySelectorAll("article.article"));
  function visible() {
    return all.filter(function (a) { return getComputedStyle(a).display !== "none"; })
              .map(function (a) { return a.id; });
  }
  r.articles = all.map(function (a) { return a.id; });
  r.titles = all.map(function (a) { return a.querySelector("h2").textContent; });
  r.scripts = document.scripts.length;
  r.images = document.images.length;
  r.pwned = window.__pwned === 1;
  r.hostile_source_title = document.querySelector("#article-hostile .source-title").textContent;
  r.hostile_translation = document.querySelector("#article-hostile details").textContent;

  var article = document.getElementById("article-meta-ki-investitionen");
  article.querySelector("details").open = true;
  var original = article.querySelector(".section .original");
  r.original_display_before = getComputedStyle(original).display;
  article.querySelector("button.toggle-original").click();
  r.original_display_after = getComputedStyle(original).display;
  r.original_text = original.textContent;
  r.english_text = article.querySelector(".section .english").textContent;
  r.button_text = article.querySelector("button.toggle-original").textContent;

  var search = document.getElementById("search");
  function type(text) { search.value = text; search.dispatchEvent(new Event("input")); }
  type("llama 4");
  r.visible_llama = visible();
  r.count_llama = document.getElementById("count").textContent;
  type("no article says this");
  r.visible_none = visible();
  r.no_match_shown = !document.getElementById("no-match").hidden;
  type("");
  r.visible_cleared = visible();

  var pre = document.createElement("pre");
  pre.id = "test-results";
  pre.textContent = JSON.stringify(r);
  document.body.appendChild(pre);
})();
</script>
)";

// Opens the digest's first article with its originals shown, for the screenshot.
const char* k_screenshot_pose = R"(<script>
var first = document.querySelector("article.article");
first.querySelector("details").open = true;
first.querySelector("button.toggle-original").click();
</script>
)";

std::string with_script(const std::string& html, const std::string& script) {
  const size_t body_end = html.rfind("</body>");
  EXPECT_NE(body_end, std::string::npos);
  return html.substr(0, body_end) + script + html.substr(body_end);
}

ProcessResult chromium(const fs::path& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"timeout", "120", "chromium", "--headless", "--no-sandbox",
                                   "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                                   "--user-data-dir=" + (dir / "chromium-profile").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, dir, {{"HOME", dir.string()}});
}

std::string html_unescape(std::string s) {
  const std::pair<const char*, const char*> entities[] = {
    {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&nbsp;", "\xC2\xA0"}, {"&amp;", "&"}};
  for (const auto& [from, to] : entities) {
    for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += std::strlen(to)) {
      s.replace(pos, std::strlen(from), to);
    }
  }
  return s;
}

json dom_results(const std::string& dumped) {
  const std::string open = "<pre id=\"test-results\">";
  const size_t begin = dumped.find(open);
  if (begin == std::string::npos) {
    ADD_FAILURE() << "the checks did not run; chromium printed:\n" << dumped.substr(0, 2000);
    return json::object();
  }
  const size_t end = dumped.find("</pre>", begin);
  return json::parse(html_unescape(dumped.substr(begin + open.size(), end - begin - open.size())));
}

class HtmlDigestTest : public ::testing::Test {
protected:
  void SetUp() override {
    copy_project(dir.path());
    write(dir / "articles/hostile.md", k_hostile_article);
  }
  TempDir dir;
};

TEST_F(HtmlDigestTest, WorksInABrowserAndNeverRunsInjectedMarkup) {
  StandIn standin(dir.path());
  ASSERT_EQ(lingopipe(dir.path(), standin, {"run", "-q"}).exit_code, 0);
  auto exp = lingopipe(dir.path(), standin, {"export", "--format", "html", "--out", "html"});
  ASSERT_EQ(exp.exit_code, 0) << exp.err;
  const std::string digest = read(dir / "html/digest.html");

  write(dir / "checks.html", with_script(digest, k_dom_checks));
  auto dumped = chromium(dir.path(), {"--dump-dom", "file://" + (dir / "checks.html").string()});
  ASSERT_EQ(dumped.exit_code, 0) << dumped.err;
  const json r = dom_results(dumped.out);

  EXPECT_EQ(r["articles"], json({"article-google-meta-ki-buendnis", "article-hostile",
                                 "article-meta-ki-investitionen"}));
  EXPECT_EQ(r["titles"][2],
            "[EN stand-in] Meta steigert KI-Investitionen: Riesige Datacenter und Llama 4 im Fokus");
  // Injected markup stayed text: no image, no third script, nothing ran.
  EXPECT_EQ(r["images"], 0);
  EXPECT_EQ(r["scripts"], 2); // the digest's own and these checks
  EXPECT_EQ(r["pwned"], false);
  EXPECT_EQ(r["hostile_source_title"], "Angriff <img src=x onerror=\"window.__pwned=1\"> im Titel");
  EXPECT_NE(r["hostile_translation"].get<std::string>().find(
              "[EN stand-in] <script>window.__pwned = 1;</script> Ein Absatz mit Markup & "),
            std::string::npos)
    << r["hostile_translation"];
  // The toggle shows the original beside the translation.
  EXPECT_EQ(r["original_display_before"], "none");
  EXPECT_EQ(r["original_display_after"], "block");
  EXPECT_EQ(r["button_text"], "Hide original");
  EXPECT_NE(r["original_text"].get<std::string>().find("Mark Zuckerberg, CEO von Meta"),
            std::string::npos);
  EXPECT_NE(r["english_text"].get<std::string>().find("[EN stand-in] Mark Zuckerberg"),
            std::string::npos);
  // The search filters articles and says how many match.
  EXPECT_EQ(r["visible_llama"], json({"article-meta-ki-investitionen"}));
  EXPECT_EQ(r["count_llama"], "1 of 3 articles");
  EXPECT_EQ(r["visible_none"], json::array());
  EXPECT_EQ(r["no_match_shown"], true);
  EXPECT_EQ(r["visible_cleared"], r["articles"]);
}

TEST_F(HtmlDigestTest, ScreenshotOfTheSampleDigestIsKept) {
  fs::remove(dir / "articles/hostile.md");
  StandIn standin(dir.path());
  ASSERT_EQ(lingopipe(dir.path(), standin, {"run", "-q"}).exit_code, 0);
  ASSERT_EQ(lingopipe(dir.path(), standin, {"export", "-f", "html", "--out", "html"}).exit_code, 0);
  write(dir / "pose.html", with_script(read(dir / "html/digest.html"), k_screenshot_pose));
  const fs::path artifacts = LINGOPIPE_ARTIFACTS_DIR;
  fs::create_directories(artifacts);
  const fs::path png = artifacts / "digest.png";
  fs::remove(png);
  auto shot = chromium(dir.path(), {"--screenshot=" + png.string(), "--window-size=1280,1400",
                                    "--hide-scrollbars",
                                    "file://" + (dir / "pose.html").string()});
  ASSERT_EQ(shot.exit_code, 0) << shot.err;
  const std::string bytes = read(png);
  EXPECT_EQ(bytes.substr(0, 8), "\x89PNG\r\n\x1a\n");
  EXPECT_GT(bytes.size(), 20000u) << "a blank page compresses to a few KB";
}

} // namespace
