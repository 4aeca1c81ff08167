#include "config/config.hpp"
#include "pipeline/checks.hpp"
#include "pipeline/glossary.hpp"
#include "pipeline/numbers.hpp"
#include "support/test_env.hpp"
#include "util/error.hpp"

#include <gtest/gtest.h>

namespace {

std::string fixture(const std::string& name) {
  return testenv::read(testenv::source_dir() / "tests/fixtures" / name);
}

std::vector<std::string> flags_of(const std::vector<pipeline::CheckProblem>& problems) {
  std::vector<std::string> flags;
  for (const auto& p : problems) flags.push_back(p.flag);
  return flags;
}

std::string detail_of(const std::vector<pipeline::CheckProblem>& problems, const std::string& flag) {
  for (const auto& p : problems) {
    if (p.flag == flag) return p.detail;
  }
  return "(none)";
}

pipeline::Checker checker(pipeline::Glossary glossary = {}) {
  config::Config c;
  return pipeline::Checker(c, std::move(glossary));
}

TEST(TidyAnswerTest, StripsWhatModelsWrapAroundAnAnswer) {
  EXPECT_EQ(pipeline::tidy_answer("Here is the translation:\n\nThe text."), "The text.");
  EXPECT_EQ(pipeline::tidy_answer("Here's the English translation:\nThe text.\nSecond line."),
            "The text.\nSecond line.");
  EXPECT_EQ(pipeline::tidy_answer("Sure! \n\nThe text.\n\nI hope this helps!"), "The text.");
  EXPECT_EQ(pipeline::tidy_answer("<think>German to English...</think>\n\"The text.\""), "The text.");
  EXPECT_EQ(pipeline::tidy_answer("```markdown\n## Heading\n\nThe text.\n```"), "## Heading\n\nThe text.");
  EXPECT_EQ(pipeline::tidy_answer("\xE2\x80\x9CThe text.\xE2\x80\x9D"), "The text.");
  EXPECT_EQ(pipeline::tidy_answer("The text.\n\nLet me know if you need anything else."), "The text.");
}

TEST(TidyAnswerTest, LeavesAnswersThatOnlyLookSimilarAlone) {
  // A quotation with text after it, a lone "Sure" answer, a real first sentence.
  EXPECT_EQ(pipeline::tidy_answer("\"Yes\", she said. \"No\", he said."), "\"Yes\", she said. \"No\", he said.");
  EXPECT_EQ(pipeline::tidy_answer("Sure!"), "Sure!");
  EXPECT_EQ(pipeline::tidy_answer("Here is where the plant will stand.\n\nMore."),
            "Here is where the plant will stand.\n\nMore.");
}

TEST(NumbersTest, GermanAndEnglishConventionsGiveTheSameNumbers) {
  EXPECT_TRUE(pipeline::lost_numbers(fixture("numbers/de.txt"), "de", fixture("numbers/en-good.txt"), "en").empty());
  EXPECT_EQ(pipeline::lost_numbers(fixture("numbers/de.txt"), "de", fixture("numbers/en-bad.txt"), "en"),
            (std::vector<std::string>{"65 Milliarden", "1,3 Millionen", "27", "4"})); // 4: GPT-4o dropped
}

TEST(NumbersTest, MentionsAreReadByTheTextsConvention) {
  const auto de = pipeline::find_numbers("1,3 Millionen, 2.500, 1.234,56 und 7 Mrd. am 30.01.2025", "de");
  ASSERT_EQ(de.size(), 4u); // the date is not a number
  EXPECT_DOUBLE_EQ(de[0].scaled, 1.3e6);
  EXPECT_EQ(de[0].text, "1,3 Millionen");
  EXPECT_DOUBLE_EQ(de[1].value, 2500);
  EXPECT_DOUBLE_EQ(de[2].value, 1234.56);
  EXPECT_DOUBLE_EQ(de[3].scaled, 7e9);
  const auto en = pipeline::find_numbers("1.3 million, 2,500, 1,234.56 and 7 bn", "en");
  ASSERT_EQ(en.size(), 4u);
  EXPECT_DOUBLE_EQ(en[0].scaled, de[0].scaled);
  EXPECT_DOUBLE_EQ(en[1].value, de[1].value);
  EXPECT_DOUBLE_EQ(en[2].value, de[2].value);
  EXPECT_DOUBLE_EQ(en[3].scaled, de[3].scaled);
  // Small figures may be spelled out.
  EXPECT_TRUE(pipeline::lost_numbers("nach 2 Jahren", "de", "after two years", "en").empty());
}

TEST(CheckerTest, AGoodTranslationPasses) {
  EXPECT_TRUE(checker().check_translation(fixture("numbers/de.txt"), fixture("numbers/en-good.txt"), "de").empty());
}

TEST(CheckerTest, LostNumbersUrlsAndNamesAreFlaggedWithDetails) {
  const auto problems = checker().check_translation(fixture("numbers/de.txt"), fixture("numbers/en-bad.txt"), "de");
  EXPECT_EQ(flags_of(problems), (std::vector<std::string>{"numbers-lost", "urls-lost", "names-lost"}));
  EXPECT_EQ(detail_of(problems, "numbers-lost"), "65 Milliarden, 1,3 Millionen, 27, 4 not in the translation");
  EXPECT_EQ(detail_of(problems, "urls-lost"), "https://about.fb.com/news/2025/01/ai-investments/ not in the translation");
  EXPECT_EQ(detail_of(problems, "names-lost"), "GPT-4o not in the translation");
}

TEST(CheckerTest, EchoesAndSourceLanguageAnswersAreUntranslated) {
  const std::string de = fixture("mixed/deutsch.txt");
  EXPECT_EQ(detail_of(checker().check_translation(de, "## " + de, "de"), "untranslated"),
            "the answer repeats the source text");
  const std::string still_german =
    "Die Bahn prüft digitale Stellwerke auf einer Strecke in Sachsen. Sie sollen den Betrieb "
    "zuverlässiger machen und Personal sparen. Bis Ende des Jahres sollen 12 weitere folgen.";
  EXPECT_EQ(detail_of(checker().check_translation(de, still_german, "de"), "untranslated"), "the answer is in German");
  EXPECT_EQ(detail_of(checker().check_translation(de, fixture("mixed/english.txt"), "de"), "untranslated"), "(none)");
}

TEST(CheckerTest, LengthRatioOutsideTheBoundsIsFlagged) {
  const std::string source = fixture("mixed/deutsch.txt");
  const auto problems = checker().check_translation(source, "Rail tests 12 boxes.", "de");
  EXPECT_EQ(flags_of(problems), std::vector<std::string>{"length-ratio"});
  EXPECT_NE(detail_of(problems, "length-ratio").find("outside 0.5..2.5"), std::string::npos);
}

TEST(GlossaryTest, ParsesKeepsAndReportsBadRows) {
  const auto g = pipeline::Glossary::parse("source,target\n# comment\nRechenzentrum,data center\n"
                                           "\"Llama\",keep\n\"Meta, Inc.\",Meta\n", "g.csv");
  EXPECT_EQ(g.size(), 3u);
  const auto m = g.matching("Das Rechenzentrum von Meta, Inc. trainiert Llama.");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(pipeline::Glossary::prompt_block(m),
            "Glossary: render these terms exactly as given.\n- \"Rechenzentrum\" -> \"data center\"\n"
            "- \"Llama\": keep it unchanged\n- \"Meta, Inc.\" -> \"Meta\"");
  EXPECT_TRUE(pipeline::Glossary::prompt_block({}).empty());
  try {
    pipeline::Glossary::parse("Rechenzentrum,data center\nnur ein Feld\n", "g.csv");
    FAIL();
  } catch (const util::Error& e) {
    EXPECT_STREQ(e.what(), "g.csv: row 2: expected two fields, the source term and its translation (or "
                           "keep), e.g. Rechenzentrum,data center");
  }
}

TEST(GlossaryTest, OnlyEntriesOccurringAsWordsMatch_PluralsAndCompoundsToo) {
  const auto g = pipeline::Glossary::parse("KI,AI\nRechenzentrum,data center\n", "g.csv");
  EXPECT_TRUE(g.matching("Die KIRCHE und die Tanki").empty());
  EXPECT_EQ(g.matching("KI-Bündnis").size(), 1u);
  EXPECT_EQ(g.matching("neue Rechenzentrums-Pläne").size(), 1u);
}

TEST(GlossaryTest, AMissingRequiredTermIsAViolation) {
  const auto g = pipeline::Glossary::parse("Rechenzentrum,data center\nLlama,keep\n", "g.csv");
  const auto problems = checker(g).check_translation("Das Rechenzentrum trainiert Llama.",
                                                      "The computing centre trains LLaMA.", "de");
  EXPECT_EQ(detail_of(problems, "glossary"), "missing \"data center\" for \"Rechenzentrum\"");
  EXPECT_TRUE(checker(g).check_translation("Das Rechenzentrum trainiert Llama.",
                                           "The Data Center trains Llama.", "de").empty());
}

} // namespace
