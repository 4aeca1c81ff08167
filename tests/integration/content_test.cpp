// What goes in and what comes back, end to end against the stand-in: HTML
// input, an English article in a German batch, the glossary and the
// article's context in prompts, a repair request after a failed check, and a
// long article summarized map-reduce in two levels.
#include "support/test_env.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace testenv;
using nlohmann::json;

namespace {

class ContentTest : public ::testing::Test {
protected:
  void SetUp() override {
    copy_project(dir.path());
    fs::remove_all(dir / "articles");
  }

  void use_fixture(const std::string& name) {
    fs::create_directories(dir / "articles");
    fs::copy(source_dir() / "tests/fixtures" / name, dir / "articles" / fs::path(name).filename(),
             fs::copy_options::recursive);
  }

  // The stand-in's log: one request body per entry.
  static std::vector<json> requests(const StandIn& s) {
    std::vector<json> out;
    for (const auto& line : s.log_lines()) out.push_back(json::parse(line)["body"]);
    return out;
  }

  static std::string system_prompt(const json& body) { return body["messages"][0]["content"]; }
  static std::string first_user(const json& body) { return body["messages"][1]["content"]; }

  static bool is_translate(const json& body) {
    return system_prompt(body).find("professional news translator") != std::string::npos;
  }

  json exported() const { return json::parse(read(dir / "out/lingopipe.json")); }
  json report() const { return json::parse(read(dir / "out/run-report.json")); }

  TempDir dir;
};

TEST_F(ContentTest, HtmlPageIsTranslatedWithoutItsChrome) {
  use_fixture("html/news-page.html");
  StandIn standin(dir.path());
  const auto r = lingopipe(dir.path(), standin, {"run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& body : requests(standin)) {
    const std::string sent = body.dump();
    for (const char* chrome : {"Cookies", "Newsletter", "Kommentare", "Impressum", "Mehr zum Thema", "dataLayer"}) {
      EXPECT_EQ(sent.find(chrome), std::string::npos) << chrome;
    }
  }
  const json a = exported()["articles"][0];
  EXPECT_EQ(a["title"]["source"], "Rechenzentren: Strombedarf steigt stark");
  EXPECT_EQ(a["url"], "https://www.beispiel-zeitung.de/tech/rechenzentren-strombedarf");
  EXPECT_EQ(a["author"], "Erika Mustermann");
  EXPECT_EQ(a["language"], "German");
  EXPECT_EQ(a["site"], "Beispiel-Zeitung");
  std::vector<std::string> headings;
  for (const auto& sec : a["sections"]) {
    if (sec["heading"].is_object()) headings.push_back(sec["heading"]["source"]);
  }
  EXPECT_EQ(headings, std::vector<std::string>{"Investitionen in Milliardenhöhe"});
}

TEST_F(ContentTest, AnEnglishArticleInAGermanBatchGetsSummariesAndNoTranslation) {
  use_fixture("mixed");
  StandIn standin(dir.path());
  const auto r = lingopipe(dir.path(), standin, {"run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int translations_of_english = 0, summaries_of_english = 0;
  for (const auto& body : requests(standin)) {
    const bool english = first_user(body).find("Rail operator") != std::string::npos ||
                         first_user(body).find("signal boxes") != std::string::npos;
    translations_of_english += english && is_translate(body);
    summaries_of_english += english && system_prompt(body).find("You summarize news") != std::string::npos;
  }
  EXPECT_EQ(translations_of_english, 0);
  EXPECT_EQ(summaries_of_english, 2); // two paragraphs; the title is not summarized
  const json articles = exported()["articles"];
  ASSERT_EQ(articles.size(), 2u);
  const json& english = articles[1]; // sorted by path: deutsch, english
  EXPECT_EQ(english["language"], "English");
  EXPECT_EQ(english["sections"][1]["translation"]["text"], english["sections"][1]["source_text"]);
  EXPECT_EQ(english["sections"][1]["translation"]["provenance"], nullptr);
  EXPECT_TRUE(english["flags"].empty()) << english["flags"];
  EXPECT_EQ(articles[0]["language"], "German");
  EXPECT_EQ(report()["articles"]["already_in_target_language"], 1);
  // German prompts name the detected language.
  bool named = false;
  for (const auto& body : requests(standin)) {
    named = named || system_prompt(body).find("from German into English") != std::string::npos;
  }
  EXPECT_TRUE(named);
}

TEST_F(ContentTest, EachSectionPromptCarriesTitleLeadAndOnlyItsGlossaryEntries) {
  use_fixture("mixed/deutsch.txt");
  write(dir / "glossary.csv", "source,target\nStellwerke,signal boxes\nGewerkschaft,union\nFlughafen,airport\n");
  set_config(dir.path(), "# glossary: glossary.csv", "glossary: glossary.csv");
  StandIn standin(dir.path());
  const auto r = lingopipe(dir.path(), standin, {"run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int translate_requests = 0;
  for (const auto& body : requests(standin)) {
    if (!is_translate(body)) continue;
    ++translate_requests;
    const std::string system = system_prompt(body), text = first_user(body);
    EXPECT_NE(system.find("Title: Bahn testet digitale Stellwerke in Sachsen\nLead: Die Bahn testet auf einer "
                          "Strecke in Sachsen digitale Stellwerke."),
              std::string::npos) << system;
    EXPECT_EQ(system.find("\"Stellwerke\" -> \"signal boxes\"") != std::string::npos,
              text.find("Stellwerke") != std::string::npos) << text;
    EXPECT_EQ(system.find("\"Gewerkschaft\" -> \"union\"") != std::string::npos,
              text.find("Gewerkschaft") != std::string::npos) << text;
    EXPECT_EQ(system.find("Flughafen"), std::string::npos);
  }
  EXPECT_EQ(translate_requests, 3);
  // The stand-in echoes German, so the required terms are missing: reported.
  const json checks = report()["checks"];
  bool glossary_reported = false;
  for (const auto& s : checks["flagged_sections"]) {
    for (const auto& p : s["problems"]) {
      glossary_reported = glossary_reported ||
                          p["detail"] == "missing \"signal boxes\" for \"Stellwerke\", \"union\" for \"Gewerkschaft\"";
    }
  }
  EXPECT_TRUE(glossary_reported) << checks.dump(2);
  EXPECT_GE(checks["flagged_by_check"]["glossary"].get<int>(), 2);
}

TEST_F(ContentTest, AFailedCheckIsRepairedOnceAndTheRepairIsCached) {
  write(dir / "articles/zahlen.txt", "Umsatz steigt\n\nDer Umsatz stieg um 27 % auf 40,6 Mrd. Euro.\n");
  set_config(dir.path(), "repair: false", "repair: true");
  set_config(dir.path(), "max_in_flight: 16", "max_in_flight: 1");
  // One in flight: the title's translation (the first request is the answer
  // expected soonest; the stand-in echoes it in German), its repair, the
  // lead's summary, the article summary, then the lead's translation
  // (request 5), which loses its numbers.
  const std::string bad = json({{"id", "x"}, {"object", "chat.completion"}, {"model", "gpt-4o-mini"},
                                {"choices", {{{"index", 0}, {"finish_reason", "stop"},
                                              {"message", {{"role", "assistant"},
                                                           {"content", "Here is the translation:\n\nDer Umsatz ist deutlich gestiegen, sagte das Unternehmen am Montag."}}}}}},
                                {"usage", {{"prompt_tokens", 10}, {"completion_tokens", 5}}}}).dump();
  StandIn standin(dir.path(), json::array({{{"nth", 5}, {"status", 200}, {"body", bad}}}).dump());
  const auto r = lingopipe(dir.path(), standin, {"run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto bodies = requests(standin);
  // Title, lead (bad), lead summary, article summary, and two repairs: the
  // lead's, and the title's, which the stand-in echoes in German.
  ASSERT_EQ(bodies.size(), 6u);
  int repairs = 0;
  for (const auto& body : bodies) {
    const auto& m = body["messages"];
    if (m.size() != 4) continue;
    ++repairs;
    EXPECT_EQ(m[2]["role"], "assistant");
    if (m[2]["content"] == "Der Umsatz ist deutlich gestiegen, sagte das Unternehmen am Montag.") { // tidied
      EXPECT_NE(m[3]["content"].get<std::string>().find("- numbers-lost: 27, 40,6 Mrd. not in the translation"),
                std::string::npos) << m[3]["content"];
    }
  }
  EXPECT_EQ(repairs, 2); // the lead, and the title, which the stand-in leaves German
  const json lead = exported()["articles"][0]["sections"][1];
  EXPECT_TRUE(lead["repaired"]);
  EXPECT_EQ(lead["translation"]["text"], "[EN stand-in] Der Umsatz stieg um 27 % auf 40,6 Mrd. Euro.");
  EXPECT_EQ(lead["flags"], json({"untranslated"})); // fewer problems than before, still flagged
  EXPECT_EQ(report()["checks"]["repairs"], 2);
  EXPECT_EQ(report()["checks"]["repairs_fixed"], 1);

  const auto again = lingopipe(dir.path(), standin, {"run"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(standin.requests(), 6); // the repairs are cached too
  EXPECT_TRUE(exported()["articles"][0]["sections"][1]["repaired"]);
}

TEST_F(ContentTest, AVeryLongArticleIsSummarizedInTwoLevels) {
  // 300,000 characters: with max_chunk_tokens 1500 about 50 sections, whose
  // summaries do not fit one request of 1,500 tokens.
  std::string text = "Ein sehr langer Bericht\n\n";
  for (int p = 0; text.size() < 300000; ++p) {
    text += "Abschnitt " + std::to_string(p) + " beginnt mit einem eigenen ersten Satz über Thema " +
            std::to_string(p) + ", der in die Zusammenfassung kommt. ";
    for (int s = 0; s < 12; ++s) text += "Danach folgen weitere Sätze mit vielen Einzelheiten zu diesem Thema. ";
    text += "\n\n";
  }
  write(dir / "articles/lang.txt", text);
  StandIn standin(dir.path());
  const auto r = lingopipe(dir.path(), standin, {"run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int article_requests = 0;
  size_t longest_article_request = 0;
  for (const auto& body : requests(standin)) {
    if (system_prompt(body).find("news digests") == std::string::npos) continue;
    ++article_requests;
    longest_article_request = std::max(longest_article_request, first_user(body).size());
  }
  const json rep = report();
  EXPECT_EQ(rep["articles"]["most_summary_levels"], 2);
  EXPECT_GE(article_requests, 3); // at least two groups and the final reduce
  EXPECT_LT(longest_article_request, 1500u * 4); // every request within the budget (~4 bytes a token)
  EXPECT_TRUE(exported()["articles"][0]["summary"].is_object());
  EXPECT_EQ(rep["failures"].size(), 0u);

  const auto again = lingopipe(dir.path(), standin, {"run"});
  EXPECT_NE(again.err.find("0 requests sent"), std::string::npos) << again.err;
}

} // namespace

namespace {

TEST_F(ContentTest, CleanReportListsEveryRemovalAndBalancesTheCharacters) {
  fs::copy(source_dir() / "articles", dir / "articles", fs::copy_options::recursive);
  StandIn standin(dir.path());
  const auto r = lingopipe(dir.path(), standin, {"clean", "--report"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("meta-ki-investitionen.txt, German, site articles)\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/meta-ki-investitionen.txt:7 [line:image-credit]: Bildquelle: Marck Zuckerberg auf Facebook"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/google-meta-ki-buendnis.txt:1 [line:tag-line]: Künstliche Intelligenz"), std::string::npos);
  EXPECT_NE(r.out.find("  characters: total 3509 = kept 3142 + removed 367\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("    block:newsletter                  187  (5.3 %)\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("all articles, characters (white space not counted): total 10421 = kept 9535 + removed 886\n"),
            std::string::npos) << r.out;
  EXPECT_EQ(standin.requests(), 0);
}

} // namespace
