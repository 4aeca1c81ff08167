#include "article/cleaner.hpp"
#include "config/config.hpp"
#include "support/test_env.hpp"
#include "util/error.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace {

struct Sample {
  article::CleanResult result;
  std::string kept; // kept lines joined
};

Sample clean_sample(const std::string& name) {
  const auto cfg = config::load(testenv::source_dir() / "config.yaml");
  article::Cleaner cleaner(cfg.clean);
  Sample s{cleaner.clean(testenv::read(testenv::source_dir() / "articles" / name)), ""};
  for (const auto& l : s.result.lines) s.kept += l + "\n";
  return s;
}

std::vector<int> kept_lines(const article::CleanResult& r) {
  std::vector<int> out;
  for (size_t i = 0; i < r.lines.size(); ++i) {
    if (r.lines[i].find_first_not_of(" \t") != std::string::npos) out.push_back(static_cast<int>(i + 1));
  }
  return out;
}

std::vector<std::string> removed(const article::CleanResult& r) {
  std::vector<std::string> out;
  for (const auto& x : r.removals) out.push_back(std::to_string(x.line) + " " + x.rule);
  return out;
}

TEST(CleanerTest, GoogleMetaSampleLosesExactlyItsBoilerplate) {
  Sample s = clean_sample("google-meta-ki-buendnis.txt");
  EXPECT_EQ(removed(s.result),
            (std::vector<std::string>{"1 line:tag-line", "5 line:image-description",
                                      "65 span:comment-call", "67 line:comment-prompt"}));
  EXPECT_EQ(s.result.removals[2].text, " Wie beurteilen Sie die Meta-Google-KI-Allianz? Diskutieren "
                                       "Sie mit uns in den Kommentaren – und gestalten Sie die "
                                       "KI-Zukunft aktiv mit!");
  EXPECT_EQ(kept_lines(s.result),
            (std::vector<int>{3,  7,  9,  11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31, 33, 35,
                              37, 39, 41, 43, 45, 47, 49, 51, 53, 55, 57, 58, 59, 61, 63, 65}));
  // Title, statistics, list items and the rest of the last paragraph stay.
  for (const char* kept : {"Google und Meta: Ein neues KI-Bündnis mit Milliardenpotenzial\n",
                           "Statistik 1: Der weltweite Markt",
                           "  • Multi-Cloud nutzen:",
                           "und technologische Verantwortung.\n"}) {
    EXPECT_NE(s.kept.find(kept), std::string::npos) << kept;
  }
  EXPECT_EQ(s.kept.find("Kommentar"), std::string::npos);
  EXPECT_EQ(s.kept.find("Künstliche Intelligenz\n"), std::string::npos);
}

TEST(CleanerTest, MetaInvestmentSampleLosesExactlyItsBoilerplate) {
  Sample s = clean_sample("meta-ki-investitionen.txt");
  EXPECT_EQ(removed(s.result),
            (std::vector<std::string>{"5 line:image-alt-text", "7 line:image-credit",
                                      "13 block:newsletter", "15 block:newsletter",
                                      "17 block:newsletter", "19 block:newsletter",
                                      "27 block:navigation", "28 block:navigation",
                                      "30 block:navigation", "32 block:navigation",
                                      "33 block:navigation", "35 block:navigation"}));
  EXPECT_EQ(kept_lines(s.result), (std::vector<int>{1, 3, 9, 11, 21, 23, 25}));
  EXPECT_NE(s.kept.find("Meta steigert KI-Investitionen"), std::string::npos);
  EXPECT_NE(s.kept.find("wie KI künftig in unseren Alltag Einzug hält."), std::string::npos);
  for (const char* gone : {"KI WEEKLY", "Abmeldung", "Zurück", "Weiter", "Perplexity",
                           "Bildquelle", "meta ki investment plan"}) {
    EXPECT_EQ(s.kept.find(gone), std::string::npos) << gone;
  }
}

TEST(CleanerTest, BlockWithoutItsEndKeepsTheLines) {
  config::Clean rules;
  rules.drop_blocks.push_back({"box", "^BOX$", "^END$", 3});
  article::Cleaner cleaner(rules);
  auto r = cleaner.clean("BOX\na\nb\nc\nEND\n");
  EXPECT_TRUE(r.removals.empty());
  r = cleaner.clean("x\nBOX\na\nEND\ny\n");
  EXPECT_EQ(r.removals.size(), 3u);
  EXPECT_EQ(r.lines[4], "y");
}

TEST(CleanerTest, OpenEndedBlockOnlyAppliesNearTheEnd) {
  config::Clean rules;
  rules.drop_blocks.push_back({"nav", "^Back$", "", 3});
  article::Cleaner cleaner(rules);
  EXPECT_TRUE(cleaner.clean("Back\n1\n2\n3\n4\n").removals.empty());
  EXPECT_EQ(cleaner.clean("text\nBack\nteaser\n").removals.size(), 2u);
}

TEST(CleanerTest, BadPatternNamesTheConfigKey) {
  config::Clean rules;
  rules.drop_lines.push_back({"x", "(unclosed", config::Where::any, ""});
  try {
    article::Cleaner cleaner(rules);
    FAIL();
  } catch (const util::Error& e) {
    EXPECT_STREQ(e.what(), "config clean.drop_lines[0].pattern: invalid regular expression "
                           "'(unclosed' at offset 9: missing closing parenthesis");
  }
}

} // namespace
