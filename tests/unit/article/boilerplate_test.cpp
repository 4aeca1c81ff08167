#include "article/boilerplate.hpp"
#include "article/language.hpp"
#include "config/config.hpp"
#include "pipeline/prepare.hpp"
#include "support/test_env.hpp"

#include <gtest/gtest.h>

#include <map>

namespace {

config::Config config_without_rules() {
  config::Config c;
  c.inputs.clear();
  return c;
}

std::map<std::string, std::vector<std::string>> removed_by_rule(const pipeline::Prepared& p, size_t doc) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& r : p.removals[doc]) out[r.rule].push_back(r.text);
  return out;
}

TEST(BoilerplateTest, ASitesRepeatedChromeIsRemovedFromEachOfItsArticles) {
  const auto p = pipeline::prepare(config_without_rules(),
                                   {(testenv::source_dir() / "tests/fixtures/site-chrome").string()});
  ASSERT_EQ(p.docs.size(), 5u);
  for (size_t i = 0; i < p.docs.size(); ++i) {
    EXPECT_EQ(p.docs[i].article.meta.site, "beispiel.de");
    const auto removed = removed_by_rule(p, i);
    EXPECT_EQ(removed.at("repeated:site-chrome"),
              (std::vector<std::string>{"Startseite | Politik | Wirtschaft | Tech",
                                        "Jetzt den Beispiel-Newsletter abonnieren",
                                        "© 2026 Beispiel.de – Alle Rechte vorbehalten"}));
    EXPECT_EQ(p.docs[i].title.find("Startseite"), std::string::npos); // the real title comes first
  }
  EXPECT_EQ(p.removals[0].front().detail, "in 5 of 5 articles from beispiel.de");
}

TEST(BoilerplateTest, ShortLabelsAndLinkTeasersAreScoredOut_ContentIsNot) {
  const auto p = pipeline::prepare(config_without_rules(),
                                   {(testenv::source_dir() / "tests/fixtures/site-chrome").string()});
  // Sorted by path: bahn, chips, mobilfunk, stromnetz, wasserstoff.
  const auto bahn = removed_by_rule(p, 0);
  EXPECT_EQ(bahn.at("score:short-paragraph"),
            std::vector<std::string>{"Lesen Sie auch: https://www.beispiel.de/tech/stellwerke-bilanz-2025"});
  const auto chips = removed_by_rule(p, 1);
  EXPECT_EQ(chips.at("score:short-paragraph"), std::vector<std::string>{"Anzeige"});
  for (size_t i = 2; i < 5; ++i) EXPECT_FALSE(removed_by_rule(p, i).contains("score:short-paragraph"));
}

TEST(BoilerplateTest, TwoArticlesOfASiteAreNotEnoughToCallALineChrome) {
  testenv::TempDir dir;
  for (const char* name : {"a", "b"}) {
    testenv::write(dir / "site" / (std::string(name) + ".txt"),
                   std::string("Titel ") + name + "\n\nEin Absatz mit genug Text, der sich wiederholt.\n");
  }
  const auto p = pipeline::prepare(config_without_rules(), {(dir / "site").string()});
  ASSERT_EQ(p.docs.size(), 2u);
  EXPECT_TRUE(p.removals[0].empty());
}

TEST(BoilerplateTest, ScoreParts) {
  const auto label = article::score_paragraph("Jetzt teilen", "de");
  EXPECT_DOUBLE_EQ(label.score, 1.0);
  EXPECT_EQ(label.chars, 11u);
  const auto prose = article::score_paragraph("Die Preise steigen ab März um rund zehn Prozent", "de");
  EXPECT_DOUBLE_EQ(prose.score, 0.0);
  const auto link = article::score_paragraph("https://example.com/a/b/c", "xx");
  EXPECT_DOUBLE_EQ(link.score, 1.0);
  EXPECT_DOUBLE_EQ(link.stop_word_share, -1); // no list for the language: links only
  EXPECT_DOUBLE_EQ(article::score_paragraph("- Preis", "de").score, 0.0); // list items are content
}

TEST(BoilerplateTest, AccountingBalancesForEveryInput) {
  for (const char* input : {"articles", "tests/fixtures/site-chrome", "tests/fixtures/html"}) {
    config::Config c = config::load(testenv::source_dir() / "config.yaml");
    const auto p = pipeline::prepare(c, {(testenv::source_dir() / input).string()});
    ASSERT_FALSE(p.docs.empty()) << input;
    for (const auto& acc : p.accounting) {
      size_t removed = 0;
      for (const auto& [rule, chars] : acc.removed) removed += chars;
      EXPECT_EQ(acc.total, acc.kept + removed) << input;
      EXPECT_GT(acc.kept, 0u);
    }
  }
}

TEST(BoilerplateTest, PerSiteRuleFilesApplyOnlyToTheirSite) {
  testenv::TempDir dir;
  testenv::write(dir / "rules/beispiel.de.yaml",
                 "drop_lines:\n  - name: kicker\n    pattern: '^Exklusiv$'\n");
  testenv::write(dir / "in/beispiel.txt", "---\nurl: https://www.beispiel.de/x\n---\nTitel\n\nExklusiv\n\nText des Artikels.\n");
  testenv::write(dir / "in/andere.txt", "---\nurl: https://andere.de/x\n---\nTitel\n\nExklusiv\n\nText des Artikels.\n");
  config::Config c = config_without_rules();
  c.clean.site_rules = dir / "rules";
  c.clean.score.threshold = 2; // off: only the rule file may remove "Exklusiv"
  const auto p = pipeline::prepare(c, {(dir / "in").string()});
  ASSERT_EQ(p.docs.size(), 2u);
  EXPECT_TRUE(p.removals[0].empty()); // andere.txt
  ASSERT_EQ(p.removals[1].size(), 1u);
  EXPECT_EQ(p.removals[1][0].rule, "line:kicker");
  EXPECT_EQ(p.removals[1][0].line, 3); // of the text below the front matter
}

TEST(BoilerplateTest, ABadPatternInASiteRuleFileNamesTheFile) {
  testenv::TempDir dir;
  testenv::write(dir / "rules/beispiel.de.yaml", "drop_lines:\n  - name: bad\n    pattern: '(unclosed'\n");
  testenv::write(dir / "in/a.txt", "---\nurl: https://beispiel.de/x\n---\nTitel\n\nText.\n");
  config::Config c = config_without_rules();
  c.clean.site_rules = dir / "rules";
  try {
    pipeline::prepare(c, {(dir / "in").string()});
    FAIL() << "expected an error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "rules/beispiel.de.yaml").string() + ": drop_lines[0].pattern"),
              std::string::npos) << e.what();
  }
}

TEST(LanguageTest, DetectsAndNamesLanguages) {
  EXPECT_EQ(article::detect_language("Die Bundesregierung will die Förderung für Solaranlagen kürzen.").code, "de");
  EXPECT_EQ(article::detect_language("The government plans to cut subsidies for solar panels.").name, "English");
  EXPECT_EQ(article::language_code("German"), "de");
  EXPECT_EQ(article::language_code("de-AT"), "de");
  EXPECT_EQ(article::language_name("fr"), "French");
  EXPECT_EQ(article::language_name("Klingon"), "Klingon");
  EXPECT_TRUE(article::detect_language("").code.empty());
}

} // namespace
