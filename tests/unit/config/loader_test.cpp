#include "config/config.hpp"
#include "util/error.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace {

std::string error_of(const std::string& yaml) {
  try {
    config::parse(yaml, "config.yaml");
  } catch (const util::Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(ConfigLoaderTest, ReadsValuesAndKeepsDefaults) {
  auto c = config::parse("endpoint:\n  model: m1\n  temperature: 0.5\nlimits:\n  max_in_flight: 4\n",
                         "dir/config.yaml");
  EXPECT_EQ(c.endpoint.model, "m1");
  EXPECT_DOUBLE_EQ(c.endpoint.temperature, 0.5);
  EXPECT_EQ(c.limits.max_in_flight, 4);
  EXPECT_EQ(c.limits.max_attempts, 6);
  EXPECT_EQ(c.cache.path, "dir/.lingopipe/cache.sqlite"); // relative to the config file
}

TEST(ConfigLoaderTest, InvalidYamlNamesLineAndColumn) {
  EXPECT_EQ(error_of("endpoint:\n  model: [unclosed\n"),
            "config.yaml:3:1: invalid YAML: end of sequence flow not found");
}

TEST(ConfigLoaderTest, UnknownKeySuggestsTheClosestOne) {
  EXPECT_EQ(error_of("endpoint:\n  modle: x\n"),
            "config.yaml:2:3: endpoint.modle: unknown key 'modle' (did you mean 'model'?)");
}

TEST(ConfigLoaderTest, UnknownKeyFarFromAnyListsTheKnownOnes) {
  EXPECT_EQ(error_of("endpoint:\n  model: x\ncache:\n  zzzzzzzz: 1\n"),
            "config.yaml:4:3: cache.zzzzzzzz: unknown key 'zzzzzzzz'; known keys here: path");
}

TEST(ConfigLoaderTest, WrongTypeNamesTheKeyAndValue) {
  EXPECT_EQ(error_of("endpoint:\n  model: x\nlimits:\n  max_in_flight: many\n"),
            "config.yaml:4:18: limits.max_in_flight: expected an integer, got 'many'");
}

TEST(ConfigLoaderTest, MissingRequiredField) {
  EXPECT_EQ(error_of("endpoint:\n  base_url: http://x\n"),
            "config.yaml:2:3: endpoint.model: missing required field; add it to this section");
}

TEST(ConfigLoaderTest, OutOfRangeValue) {
  EXPECT_EQ(error_of("endpoint:\n  model: x\n  temperature: 3\n"),
            "config.yaml:3:16: endpoint.temperature: 3 is out of range; allowed is 0 to 2");
}

TEST(ConfigLoaderTest, BadRuleFieldNamesItsIndex) {
  EXPECT_EQ(error_of("endpoint:\n  model: x\nclean:\n  drop_lines:\n    - name: a\n      pattern: b\n"
                     "      where: middle\n"),
            "config.yaml:7:14: clean.drop_lines[0].where: 'middle' is not one of any, first, last");
}

TEST(ConfigLoaderTest, EnvironmentOverridesEndpoint) {
  setenv("LINGOPIPE_BASE_URL", "http://127.0.0.1:9/v1", 1);
  setenv("LINGOPIPE_MODEL", "env-model", 1);
  auto c = config::parse("endpoint:\n  model: file-model\n", "config.yaml");
  unsetenv("LINGOPIPE_BASE_URL");
  unsetenv("LINGOPIPE_MODEL");
  EXPECT_EQ(c.endpoint.base_url, "http://127.0.0.1:9/v1");
  EXPECT_EQ(c.endpoint.model, "env-model");
}

TEST(ConfigLoaderTest, MissingFileSaysWhatToDo) {
  try {
    config::load("/nonexistent/config.yaml");
    FAIL();
  } catch (const util::Error& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/config.yaml: config file not found; pass --config PATH "
                           "or run from the project folder");
  }
}

TEST(ConfigLoaderTest, ShippedConfigLoads) {
  auto c = config::load(std::string(LINGOPIPE_SOURCE_DIR) + "/config.yaml");
  EXPECT_FALSE(c.clean.drop_lines.empty());
  EXPECT_FALSE(c.clean.drop_blocks.empty());
}

} // namespace

namespace {

TEST(ConfigFirstByteTest, DefaultsToTheStallLimitAndLongerForOllama) {
  const auto openai = config::parse("endpoint: {model: m, stall_timeout_s: 90}\n", "c.yaml");
  EXPECT_EQ(openai.endpoint.first_byte_timeout_s, 90);
  const auto ollama = config::parse("endpoint: {provider: ollama, model: m}\n", "c.yaml");
  EXPECT_EQ(ollama.endpoint.first_byte_timeout_s, 360);
  const auto set = config::parse("endpoint: {provider: ollama, model: m, first_byte_timeout_s: 900}\n", "c.yaml");
  EXPECT_EQ(set.endpoint.first_byte_timeout_s, 900);
}

} // namespace
