// lingopipe doctor against the stand-in: every check line, each failure with
// its fix, and the key never printed.
#include "support/test_env.hpp"

#include <gtest/gtest.h>

using namespace testenv;

namespace {

class DoctorTest : public ::testing::Test {
protected:
  void SetUp() override { copy_project(dir.path()); }
  TempDir dir;
};

TEST_F(DoctorTest, AHealthyEndpointPassesEveryCheck) {
  StandIn standin(dir.path(), "", 0, {"--require-key", "sk-good-0123456789"});
  auto r = lingopipe(dir.path(), standin, {"doctor"}, {{"OPENAI_API_KEY", "sk-good-0123456789"}});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("config                       ok    config.yaml"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("primary (openai:lingopipe-standin)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  reach                      ok    " + standin.base_url() + " over HTTP/1.1"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  auth                       ok    the key is accepted"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  model                      ok    lingopipe-standin is served"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  test request               ok    answered in "), std::string::npos) << r.out;
  EXPECT_EQ(standin.requests(), 1) << "one tiny chat request";
}

TEST_F(DoctorTest, AWrongKeyIsAFailingAuthLineAndTheKeyIsNeverShown) {
  StandIn standin(dir.path(), "", 0, {"--require-key", "sk-good-0123456789"});
  auto r = lingopipe(dir.path(), standin, {"doctor"}, {{"OPENAI_API_KEY", "sk-wrong-9876543210"}});
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_NE(r.out.find("  auth                       FAIL  HTTP 401"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("fix: set $OPENAI_API_KEY to a valid key for this endpoint"), std::string::npos)
    << r.out;
  EXPECT_EQ((r.out + r.err).find("sk-wrong-9876543210"), std::string::npos);
  EXPECT_EQ((r.out + r.err).find("sk-good"), std::string::npos);
}

TEST_F(DoctorTest, AModelTheServerDoesNotServeNamesTheOnesItDoes) {
  StandIn standin(dir.path());
  auto r = lingopipe(dir.path(), standin, {"doctor"}, {{"LINGOPIPE_MODEL", "gpt-nope"}});
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_NE(r.out.find("  model                      FAIL  gpt-nope is not served"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("fix: set endpoint.model to one of: lingopipe-standin"), std::string::npos) << r.out;
}

TEST_F(DoctorTest, NothingListeningIsAReachFailureWithAFix) {
  StandIn standin(dir.path());
  auto r = lingopipe(dir.path(), standin, {"doctor"}, {{"LINGOPIPE_BASE_URL", "http://127.0.0.1:9/v1"}});
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_NE(r.out.find("  reach                      FAIL  "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("fix: nothing listens at http://127.0.0.1:9/v1: start the server or fix the port "
                       "in endpoint.base_url"),
            std::string::npos)
    << r.out;
  EXPECT_EQ(r.out.find("test request"), std::string::npos) << "later checks are skipped";
}

TEST_F(DoctorTest, OllamaAndFallbacksAreCheckedToo) {
  fs::create_directories(dir / "local");
  StandIn primary(dir.path());
  StandIn local(dir / "local");
  const std::string root = local.base_url().substr(0, local.base_url().size() - 3);
  set_config(dir.path(), "\nlimits:", "\nfallbacks:\n  - name: local\n    provider: ollama\n    base_url: " +
                                      root + "\n    model: lingopipe-standin\n\nlimits:");
  auto r = lingopipe(dir.path(), primary, {"doctor"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("local (ollama:lingopipe-standin)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  model                      ok    lingopipe-standin is served"), std::string::npos);
  EXPECT_NE(r.out.find("  key                        ok    $OPENAI_API_KEY is not set: no key is sent"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  auth                       ok    no key needed"), std::string::npos) << r.out;
  EXPECT_EQ(local.requests(), 1);
}

TEST_F(DoctorTest, AMissingKeyWhereOneIsNeededSaysWhichVariableToSet) {
  StandIn standin(dir.path(), "", 0, {"--require-key", "sk-good-0123456789"});
  auto r = lingopipe(dir.path(), standin, {"doctor"});
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_NE(r.out.find("fix: export OPENAI_API_KEY=<your key> (keys never go in config.yaml)"),
            std::string::npos) << r.out;
}

TEST_F(DoctorTest, ABrokenConfigIsReportedWithItsLine) {
  StandIn standin(dir.path());
  set_config(dir.path(), "max_in_flight: 16", "max_in_flight: lots");
  auto r = lingopipe(dir.path(), standin, {"doctor"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("config and prompts           FAIL  config.yaml:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("limits.max_in_flight"), std::string::npos) << r.out;
}

} // namespace
