#include "cache/key.hpp"

#include <gtest/gtest.h>

#include <functional>

namespace {

cache::KeyInput base() {
  return {"openai", "gpt-x", {{"temperature", "0.2"}, {"max_output_tokens", "2048"}},
          {{"system", "Translate from German into English."}, {"user", "Hallo Welt"}}};
}

TEST(CacheKeyTest, IsStableSha256) {
  EXPECT_EQ(cache::cache_key(base()), cache::cache_key(base()));
  EXPECT_EQ(cache::cache_key(base()).size(), 64u);
}

TEST(CacheKeyTest, EveryInputThatChangesTheAnswerChangesTheKey) {
  const std::string original = cache::cache_key(base());
  std::vector<std::function<void(cache::KeyInput&)>> edits = {
    [](auto& k) { k.provider = "ollama"; },
    [](auto& k) { k.model = "gpt-y"; },
    [](auto& k) { k.params[0].second = "0.3"; },
    [](auto& k) { k.params[1].second = "4096"; },
    [](auto& k) { k.messages[0].second += " Keep names."; }, // prompt edit, context, glossary
    [](auto& k) { k.messages[1].second = "Hallo Welt!"; },
    [](auto& k) { k.messages[0].first = "user"; },
    [](auto& k) { k.messages.pop_back(); },
  };
  for (size_t i = 0; i < edits.size(); ++i) {
    auto k = base();
    edits[i](k);
    EXPECT_NE(cache::cache_key(k), original) << "edit " << i;
  }
}

TEST(CacheKeyTest, FieldBoundariesCannotBeConfused) {
  auto a = base(), b = base();
  a.messages = {{"system", "ab"}, {"user", "c"}};
  b.messages = {{"system", "a"}, {"user", "bc"}};
  EXPECT_NE(cache::cache_key(a), cache::cache_key(b));
}

TEST(CacheKeyTest, DescribeShowsTheTaggedInputs) {
  const std::string d = cache::describe_key_inputs(base());
  EXPECT_TRUE(d.starts_with("lingopipe-cache-v1\nprovider=6:openai\nmodel=5:gpt-x\n")) << d;
  EXPECT_NE(d.find("message.user=10:Hallo Welt"), std::string::npos) << d;
}

} // namespace
