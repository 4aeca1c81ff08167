#include "article/cleaner.hpp"
#include "article/segmenter.hpp"
#include "article/sentences.hpp"
#include "article/tokens.hpp"
#include "config/config.hpp"
#include "support/test_env.hpp"

#include <gtest/gtest.h>

namespace {

article::Document segment_sample(const std::string& name, int max_chunk_tokens = 1500) {
  auto cfg = config::load(testenv::source_dir() / "config.yaml");
  cfg.segment.max_chunk_tokens = max_chunk_tokens;
  article::Article a{name.substr(0, name.find('.')), name, "txt",
                     testenv::read(testenv::source_dir() / "articles" / name), {}, 1, {}, {}};
  auto cleaned = article::Cleaner(cfg.clean).clean(a.text);
  return article::Segmenter(cfg.segment).segment(a, cleaned.lines);
}

std::vector<std::string> headings(const article::Document& d) {
  std::vector<std::string> out;
  for (const auto& s : d.sections) {
    if (!s.heading.empty() && s.part == 1) out.push_back(s.heading);
  }
  return out;
}

TEST(SegmenterTest, FindsTheHeadingsOfTheGoogleMetaSample) {
  auto d = segment_sample("google-meta-ki-buendnis.txt");
  EXPECT_EQ(d.title, "Google und Meta: Ein neues KI-Bündnis mit Milliardenpotenzial");
  EXPECT_EQ(headings(d), (std::vector<std::string>{
                           "Meta investiert in Googles KI-Infrastruktur: Was steckt dahinter?",
                           "Win-Win für Big Tech – aber nicht ohne Risiken",
                           "Megatrend: KI-Kollaboration statt Wettkampf",
                           "Nächste Entwicklungsstufe: Meta powered by Google?",
                           "Was bedeutet das für die KI-Konkurrenz?",
                           "Drei strategische Empfehlungen für Unternehmen",
                           "Fazit: Wettbewerb, Wandel und Weitblick"}));
  ASSERT_GE(d.sections.size(), 2u);
  EXPECT_EQ(d.sections[0].kind, article::SectionKind::title);
  EXPECT_EQ(d.sections[1].kind, article::SectionKind::lead);
  EXPECT_TRUE(d.sections[1].text.starts_with("Ein überraschender Deal"));
  EXPECT_EQ(d.sections[2].id, "google-meta-ki-buendnis#02");
}

TEST(SegmenterTest, ListsAndStatisticsStayWithTheirSection) {
  auto d = segment_sample("google-meta-ki-buendnis.txt");
  for (const auto& s : d.sections) {
    if (s.heading == "Megatrend: KI-Kollaboration statt Wettkampf") {
      EXPECT_NE(s.text.find("Statistik 1:"), std::string::npos);
      EXPECT_NE(s.text.find("Statistik 2:"), std::string::npos);
    }
    if (s.heading == "Drei strategische Empfehlungen für Unternehmen") {
      EXPECT_EQ(std::count(s.text.begin(), s.text.end(), '\n'), 2); // three bullet lines
    }
  }
}

// A document names its article and keeps its metadata, but not a second
// copy of its text: the sections hold it, and a batch run holds every
// article it waits on.
TEST(SegmenterTest, TheDocumentKeepsWhoTheArticleIsNotItsWholeTextAgain) {
  auto d = segment_sample("google-meta-ki-buendnis.txt");
  EXPECT_EQ(d.article.id, "google-meta-ki-buendnis");
  EXPECT_EQ(d.article.source, "google-meta-ki-buendnis.txt");
  EXPECT_EQ(d.article.format, "txt");
  EXPECT_EQ(d.article.first_line, 1);
  EXPECT_TRUE(d.article.text.empty());
  EXPECT_TRUE(d.article.extraction.empty());
  ASSERT_GE(d.sections.size(), 2u);
}

TEST(SegmenterTest, MetaSampleHasTitleLeadAndOneBody) {
  auto d = segment_sample("meta-ki-investitionen.txt");
  EXPECT_TRUE(headings(d).empty());
  ASSERT_EQ(d.sections.size(), 3u);
  EXPECT_EQ(d.sections[2].kind, article::SectionKind::body);
}

TEST(SegmenterTest, SmallBudgetSplitsOnlyAtSentenceEnds) {
  auto d = segment_sample("meta-ki-investitionen.txt", 60);
  EXPECT_GT(d.sections.size(), 6u);
  for (const auto& s : d.sections) {
    if (s.kind == article::SectionKind::title) continue;
    const char last = s.text.back();
    EXPECT_TRUE(last == '.' || last == '!' || last == '?') << s.id << ": " << s.text;
    if (s.parts > 1) {
      EXPECT_NE(s.id.find('.'), std::string::npos) << s.id;
    }
  }
}

TEST(SegmenterTest, MarkdownHeadings) {
  config::Segment opts;
  article::Article a{"m", "m.md", "md", "", {}, 1, {}, {}};
  auto d = article::Segmenter(opts).segment(
    a, {"# Titel", "", "Lead text.", "", "## Erster Teil", "", "Text eins.", "", "## Zweiter", "",
        "Text zwei."});
  EXPECT_EQ(d.title, "Titel");
  EXPECT_EQ(headings(d), (std::vector<std::string>{"Erster Teil", "Zweiter"}));
}

TEST(SentenceSplitterTest, RespectsGermanAbbreviationsNumbersAndQuotes) {
  article::SentenceSplitter splitter(article::default_abbreviations());
  auto s = splitter.split("Das kostet z. B. 1,3 Mio. Euro. Laut Nr. 5 der Liste wuchs er um 2.5 %. "
                          "Am 1. Juli sagte Mark E. Zuckerberg: „Wir bauen.“ Danach kam nichts.");
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0], "Das kostet z. B. 1,3 Mio. Euro.");
  EXPECT_EQ(s[1], "Laut Nr. 5 der Liste wuchs er um 2.5 %.");
  EXPECT_EQ(s[2], "Am 1. Juli sagte Mark E. Zuckerberg: „Wir bauen.“");
  EXPECT_EQ(s[3], "Danach kam nichts.");
}

TEST(SentenceSplitterTest, QuestionsAndExclamations) {
  article::SentenceSplitter splitter({});
  auto s = splitter.split("Was nun? Alles gut! Weiter so...");
  EXPECT_EQ(s.size(), 3u);
}

TEST(TokensTest, EstimateIsConservative) {
  EXPECT_EQ(article::estimate_tokens(""), 0);
  EXPECT_EQ(article::estimate_tokens("abc"), 1);
  EXPECT_EQ(article::estimate_tokens("äöü"), 1); // code points, not bytes
}

} // namespace

namespace {

TEST(SegmenterHalveTest, CutsBetweenParagraphsThenSentencesNearTheMiddle) {
  const article::Segmenter segmenter(config::Segment{});
  EXPECT_EQ(segmenter.halve("Eins eins.\n\nZwei zwei.\n\nDrei drei drei drei drei drei."),
            (std::vector<std::string>{"Eins eins.\n\nZwei zwei.", "Drei drei drei drei drei drei."}));
  EXPECT_EQ(segmenter.halve("Der erste Satz, z. B. mit Abkürzung. Der zweite Satz. Der dritte."),
            (std::vector<std::string>{"Der erste Satz, z. B. mit Abkürzung.",
                                      "Der zweite Satz. Der dritte."}));
  EXPECT_EQ(segmenter.halve("Nur ein Satz ohne Ende"),
            (std::vector<std::string>{"Nur ein Satz ohne Ende"}));
}

} // namespace
