#include "prompt/prompt_set.hpp"
#include "support/test_env.hpp"
#include "util/error.hpp"

#include <gtest/gtest.h>

namespace {

std::string error_of(const std::string& text) {
  try {
    prompt::PromptSet::parse("p.md", text);
  } catch (const util::Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(PromptSetTest, RendersEveryVariable) {
  auto set = prompt::PromptSet::load(testenv::source_dir() / "prompts");
  prompt::Vars vars{"German", "English", "Der Titel", "Hallo Welt", "Title: Der Titel\nLead: Vorweg.",
                    "Glossary: render these terms exactly as given.", "", ""};
  auto m = set.render(prompt::Task::translate, vars);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].role, "system");
  EXPECT_NE(m[0].content.find("from German into English"), std::string::npos) << m[0].content;
  EXPECT_NE(m[0].content.find("this is how the article begins:\nTitle: Der Titel\nLead: Vorweg.\n"),
            std::string::npos) << m[0].content;
  EXPECT_NE(m[0].content.find("\nGlossary: render these terms exactly as given.\n"), std::string::npos);
  EXPECT_EQ(m[1].role, "user");
  EXPECT_EQ(m[1].content, "Hallo Welt");
  vars.length = "at most 3 bullet points";
  EXPECT_NE(set.render(prompt::Task::summarize, vars)[0].content.find("Use at most 3 bullet points."),
            std::string::npos);
  vars.problems = "- numbers-lost: 27 not in the translation";
  const auto repair = set.render(prompt::Task::repair, vars);
  ASSERT_EQ(repair.size(), 1u);
  EXPECT_EQ(repair[0].role, "user");
  EXPECT_NE(repair[0].content.find("problems:\n- numbers-lost: 27 not in the translation\n"), std::string::npos);
}

TEST(PromptSetTest, VariableValuesAreNotExpandedAgain) {
  prompt::PromptSet set = prompt::PromptSet::load(testenv::source_dir() / "prompts");
  auto m = set.render(prompt::Task::summarize, {"de", "en", "T", "{{title}}", "", "", "", ""});
  EXPECT_EQ(m.back().content, "{{title}}");
}

TEST(PromptSetTest, HashFollowsTheFileContent) {
  auto a = prompt::PromptSet::parse("p.md", "--- user\n{{text}}\n");
  auto b = prompt::PromptSet::parse("p.md", "--- user\n{{text}}!\n");
  EXPECT_NE(a.hash, b.hash);
  EXPECT_EQ(a.hash.size(), 64u);
}

TEST(PromptSetTest, ErrorsNameFileAndLine) {
  EXPECT_EQ(error_of("--- user\nHi {{name}}\n"),
            "p.md:2: unknown variable '{{name}}'; known: source_language, target_language, title, text, "
            "context, glossary, length, problems");
  EXPECT_EQ(error_of("--- system\nx {{text\n"), "p.md:2: unclosed '{{'; write variables as {{name}}");
  EXPECT_EQ(error_of("--- assistant\nx\n"), "p.md:1: unknown section '--- assistant'; use '--- system' or '--- user'");
  EXPECT_EQ(error_of("--- system\nx\n"), "p.md: no '--- user' section; the user message is required");
  EXPECT_EQ(error_of("hello\n--- user\nx\n"), "p.md:1: text before the first '--- system' or '--- user' line");
}

TEST(PromptSetTest, MissingFileNamesIt) {
  testenv::TempDir dir;
  try {
    prompt::PromptSet::load(dir.path());
    FAIL();
  } catch (const util::Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind((dir / "translate.md").string() + ": prompt file missing", 0), 0u) << e.what();
  }
}

} // namespace
