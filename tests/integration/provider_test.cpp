// Each provider end to end: the built binary against the stand-in speaking
// that API; the requests asserted field by field from the stand-in's log.
#include "support/test_env.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>

using namespace testenv;
using nlohmann::json;

namespace {

class ProviderTest : public ::testing::Test {
protected:
  void SetUp() override { copy_project(dir.path()); }

  // The stand-in's root URL (without /v1), as Ollama and Azure base URLs are.
  static std::string root(const StandIn& s) {
    const std::string url = s.base_url();
    return url.substr(0, url.size() - 3);
  }

  // long/lang.txt: one section of four paragraphs (about 3,000 tokens), too
  // long for the small contexts the truncation tests give the stand-in.
  void write_long_article() {
    set_config(dir.path(), "max_chunk_tokens: 1500", "max_chunk_tokens: 8000");
    std::string paragraph;
    for (int i = 1; i <= 30; ++i) {
      paragraph += "Der Satz Nummer " + std::to_string(i) +
                   " beschreibt die Lage der Rechenzentren in Europa ausführlich. ";
    }
    write(dir / "long/lang.txt", "Ein langer Artikel\n\nKurzer Vorspann.\n\nAbschnitt\n\n" + paragraph +
                                   "\n\n" + paragraph + "\n\n" + paragraph + "\n\n" + paragraph + "\n");
  }

  // The long section was split for the server's `reason`, nothing failed,
  // and its translation is whole.
  void expect_split_and_whole(const std::string& err, const std::string& reason) const {
    EXPECT_NE(err.find("input too long for the endpoint ("), std::string::npos) << err;
    EXPECT_NE(err.find(reason), std::string::npos) << err;
    EXPECT_NE(err.find("); sending it as two parts"), std::string::npos) << err;
    const json report = json::parse(read(dir / "out/run-report.json"));
    EXPECT_GE(report["jobs"]["split_input_too_long"].get<int>(), 2);
    EXPECT_EQ(report["failures"], json::array());
    const json doc = json::parse(read(dir / "out/lingopipe.json"));
    const std::string translation = doc["articles"][0]["sections"][2]["translation"]["text"];
    EXPECT_EQ(std::count(translation.begin(), translation.end(), '\n'), 8) << "heading + 4 paragraphs, whole";
  }

  // PROTOCOLS.md item 38, second half: the per-slot context /props (or, when
  // /props does not say, /slots) reports sizes the requests, so none is cut
  // and none is refused.
  void expect_sized_to_slots(const std::string& where) {
    write_long_article();
    const std::string props = where == "/props" ? "yes" : "slots";
    StandIn standin(dir.path(), "", 0, {"--llama-context-shift", "2048", "--llama-props", props});
    auto r = lingopipe(dir.path(), standin, {"run", "long"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("endpoint 'primary': llama.cpp slots hold 2048 tokens (" + where +
                         "); larger sections are split before they are sent"), std::string::npos) << r.err;
    expect_split_and_whole(r.err, "the server's slots hold 2048 (llama.cpp " + where + ")");
    for (const json& entry : logged(standin)) {
      std::string prompt;
      for (const auto& m : entry["messages"]) prompt += m["content"].get<std::string>();
      EXPECT_LE(prompt.size() / 4, 2048u) << "no request the server would cut";
    }
  }

  std::vector<json> logged(const StandIn& s) const {
    std::vector<json> out;
    for (const auto& line : s.log_lines()) out.push_back(json::parse(line));
    return out;
  }

  TempDir dir;
};

TEST_F(ProviderTest, AnthropicMessagesApi) {
  set_config(dir.path(), "provider: openai", "provider: anthropic");
  StandIn standin(dir.path());
  const std::string key = "sk-ant-secret-4711";
  auto r = lingopipe(dir.path(), standin, {"run"},
                     {{"LINGOPIPE_MODEL", "claude-test"}, {"ANTHROPIC_API_KEY", key}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto log = logged(standin);
  ASSERT_EQ(log.size(), 24u);
  for (const auto& entry : log) {
    EXPECT_EQ(entry["path"], "/v1/messages");
    EXPECT_EQ(entry["x_api_key"], true);
    EXPECT_EQ(entry["authorization"], false);
    EXPECT_EQ(entry["anthropic_version"], "2023-06-01");
    const json& body = entry["body"];
    EXPECT_EQ(body["model"], "claude-test");
    EXPECT_EQ(body["max_tokens"], 2048);
    EXPECT_TRUE(body["system"].is_string());
    for (const auto& m : body["messages"]) EXPECT_NE(m["role"], "system");
  }
  const json doc = json::parse(read(dir / "out/lingopipe.json"));
  const auto& title = doc["articles"][0]["sections"][0]["translation"];
  EXPECT_EQ(title["text"], "[EN stand-in] Google und Meta: Ein neues KI-Bündnis mit Milliardenpotenzial");
  EXPECT_EQ(title["provenance"]["endpoint"], "anthropic:claude-test");
  EXPECT_GT(title["provenance"]["prompt_tokens"].get<int>(), 0);
  // The key reaches the server and nothing else.
  for (const auto& text : {r.out, r.err, read(dir / "out/lingopipe.json"),
                           read(dir / "out/run-report.json"), read(dir / ".lingopipe/cache.sqlite")}) {
    EXPECT_EQ(text.find(key), std::string::npos);
  }
}

TEST_F(ProviderTest, OllamaNativeChat) {
  set_config(dir.path(), "provider: openai", "provider: ollama");
  StandIn standin(dir.path());
  auto r = lingopipe(dir.path(), standin, {"run"},
                     {{"LINGOPIPE_BASE_URL", root(standin)}, {"LINGOPIPE_MODEL", "qwen2.5:7b"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto log = logged(standin);
  ASSERT_EQ(log.size(), 24u);
  for (const auto& entry : log) {
    EXPECT_EQ(entry["path"], "/api/chat");
    EXPECT_EQ(entry["authorization"], false) << "no key is configured for Ollama";
    const json& body = entry["body"];
    EXPECT_EQ(body["model"], "qwen2.5:7b");
    // The probe, first, asks for a stream so that the window opens when its answer begins.
    EXPECT_EQ(body["stream"], &entry == &log.front());
    EXPECT_EQ(body["keep_alive"], "30m");
    EXPECT_EQ(body["options"]["num_predict"], 2048);
    EXPECT_EQ(body["options"]["temperature"], 0.2);
    EXPECT_GE(body["options"]["num_ctx"].get<int>(), 2048 + 1024);
    EXPECT_EQ(body["options"]["num_ctx"].get<int>() % 1024, 0);
  }
  const json report = json::parse(read(dir / "out/run-report.json"));
  EXPECT_EQ(report["failures"], json::array());
}

TEST_F(ProviderTest, OllamaSilentTruncationIsCaughtAndTheSectionSplit) {
  set_config(dir.path(), "provider: openai", "provider: ollama\n  num_ctx_max: 2048");
  write_long_article();
  StandIn standin(dir.path());
  auto r = lingopipe(dir.path(), standin, {"run", "long"}, {{"LINGOPIPE_BASE_URL", root(standin)}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_split_and_whole(r.err, "Ollama read 1024 prompt tokens of about");
}

// llama-server with --context-shift (PROTOCOLS.md §11 item 49): an over-long
// prompt is answered 200 from its last tokens with "truncated": true. The
// answer is refused, the section sent again in parts, and nothing is lost.
TEST_F(ProviderTest, LlamaCppContextShiftIsCaughtAndTheSectionSplit) {
  write_long_article();
  StandIn standin(dir.path(), "", 0, {"--llama-context-shift", "1024"});
  auto r = lingopipe(dir.path(), standin, {"run", "long"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_split_and_whole(r.err, "llama.cpp read 512 prompt tokens of about");
}

// The same server streaming: only the last chunk's timings tell that the
// prompt was read in part, and that is enough.
TEST_F(ProviderTest, LlamaCppContextShiftIsCaughtInStreamedAnswers) {
  write_long_article();
  set_config(dir.path(), "provider: openai", "provider: openai\n  stream: true");
  StandIn standin(dir.path(), "", 0, {"--llama-context-shift", "1024"});
  auto r = lingopipe(dir.path(), standin, {"run", "long"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_split_and_whole(r.err, "llama.cpp read 512 prompt tokens of about");
}

TEST_F(ProviderTest, LlamaCppSlotContextFromPropsSplitsLongSectionsBeforeTheyAreSent) {
  expect_sized_to_slots("/props");
}

TEST_F(ProviderTest, LlamaCppSlotContextFromSlotsWhenPropsDoesNotSayIt) {
  expect_sized_to_slots("/slots");
}

TEST_F(ProviderTest, AzureClassicDeployment) {
  set_config(dir.path(), "provider: openai",
             "provider: azure\n  deployment: gpt4o-prod\n  api_version: 2024-10-21");
  StandIn standin(dir.path());
  auto r = lingopipe(dir.path(), standin, {"run"},
                     {{"LINGOPIPE_BASE_URL", root(standin)}, {"AZURE_OPENAI_API_KEY", "azure-key"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto log = logged(standin);
  ASSERT_EQ(log.size(), 24u);
  for (const auto& entry : log) {
    EXPECT_EQ(entry["path"], "/openai/deployments/gpt4o-prod/chat/completions");
    EXPECT_EQ(entry["api_version"], "2024-10-21");
    EXPECT_EQ(entry["api_key_header"], true);
    EXPECT_EQ(entry["authorization"], false);
  }
}

TEST_F(ProviderTest, AzureClassicWithoutApiVersionIsAConfigError) {
  set_config(dir.path(), "provider: openai", "provider: azure\n  deployment: gpt4o-prod");
  StandIn standin(dir.path());
  auto r = lingopipe(dir.path(), standin, {"run"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("config.yaml: endpoint 'primary': api_version is required with deployment "
                       "(Azure's classic URL), e.g. 2024-10-21"),
            std::string::npos)
    << r.err;
  EXPECT_EQ(standin.requests(), 0);
}

TEST_F(ProviderTest, OpenAiReasoningModelsAreSentMaxCompletionTokens) {
  StandIn standin(dir.path());
  auto r = lingopipe(dir.path(), standin, {"run", "articles/meta-ki-investitionen.txt"},
                     {{"LINGOPIPE_MODEL", "o4-mini"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& entry : logged(standin)) {
    EXPECT_EQ(entry["body"]["max_completion_tokens"], 2048);
    EXPECT_FALSE(entry["body"].contains("max_tokens"));
    EXPECT_FALSE(entry["body"].contains("temperature"));
  }
}

TEST_F(ProviderTest, UnknownProviderNamesTheChoices) {
  set_config(dir.path(), "provider: openai", "provider: gemini");
  StandIn standin(dir.path());
  auto r = lingopipe(dir.path(), standin, {"run"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("endpoint.provider: provider 'gemini' is not one of openai (any "
                       "OpenAI-compatible server), azure, anthropic, ollama (native API)"),
            std::string::npos)
    << r.err;
}

} // namespace

namespace {

const char* k_quota_exhausted = R"([{"every":true,"status":429,
  "body":"{\"error\":{\"message\":\"You exceeded your current quota, please check your plan and billing details.\",\"type\":\"insufficient_quota\",\"code\":\"insufficient_quota\"}}"}])";

TEST_F(ProviderTest, PrimaryOutOfQuotaTheRunCompletesOnTheFallback) {
  fs::create_directories(dir / "primary");
  fs::create_directories(dir / "local");
  StandIn primary(dir / "primary", k_quota_exhausted);
  StandIn local(dir / "local");
  set_config(dir.path(), "\nlimits:", "\nfallbacks:\n  - name: local\n    provider: ollama\n    base_url: " +
                                      root(local) + "\n    model: qwen-local\n    limits: {max_in_flight: 4}\n\nlimits:");
  auto r = lingopipe(dir.path(), primary, {"run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(primary.requests(), 1) << "quota stops the primary after one request";
  EXPECT_EQ(local.requests(), 24);
  // 22: the two article summaries are released later, straight to the fallback.
  EXPECT_NE(r.err.find("22 jobs go to fallback endpoint 'local' (ollama:qwen-local)"), std::string::npos)
    << r.err;
  const json report = json::parse(read(dir / "out/run-report.json"));
  ASSERT_EQ(report["endpoints"].size(), 2u);
  EXPECT_EQ(report["endpoints"][0]["name"], "primary");
  EXPECT_EQ(report["endpoints"][0]["requests"], 1);
  EXPECT_EQ(report["endpoints"][0]["answered"], 0);
  EXPECT_NE(report["endpoints"][0]["stopped"].get<std::string>().find("insufficient_quota"),
            std::string::npos);
  EXPECT_EQ(report["endpoints"][1], json({{"name", "local"}, {"endpoint", "ollama:qwen-local"},
                                          {"requests", 24}, {"answered", 24}, {"stopped", nullptr}}));
  EXPECT_EQ(report["stopped"], nullptr);
  EXPECT_EQ(report["failures"], json::array());
  const json doc = json::parse(read(dir / "out/lingopipe.json"));
  EXPECT_EQ(doc["articles"][0]["summary"]["provenance"]["endpoint"], "ollama:qwen-local");
  EXPECT_EQ(doc["articles"][0]["summary"]["provenance"]["model"], "qwen-local");

  // A re-run finds every answer under the fallback's keys: nothing is sent.
  auto again = lingopipe(dir.path(), primary, {"run"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(primary.requests(), 1);
  EXPECT_EQ(local.requests(), 24);
}

TEST_F(ProviderTest, EveryEndpointParkedIsExitThreeWithTheLastReason) {
  fs::create_directories(dir / "primary");
  fs::create_directories(dir / "second");
  StandIn primary(dir / "primary", k_quota_exhausted);
  StandIn second(dir / "second", R"([{"every":true,"status":401,"body":"{\"error\":{\"message\":\"Incorrect API key provided\",\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}"}])");
  set_config(dir.path(), "\nlimits:", "\nfallbacks:\n  - name: second\n    base_url: " + second.base_url() +
                                      "\n    model: other-model\n\nlimits:");
  auto r = lingopipe(dir.path(), primary, {"run"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(primary.requests(), 1);
  EXPECT_EQ(second.requests(), 1);
  const json report = json::parse(read(dir / "out/run-report.json"));
  EXPECT_NE(report["stopped"].get<std::string>().find("invalid_api_key"), std::string::npos);
  EXPECT_EQ(report["jobs"]["not_sent"].get<int>() + report["jobs"]["failed"].get<int>(), 22)
    << "the title jobs sent and failed; the rest never sent";
}

} // namespace

namespace {

// Streamed answers end to end, per provider: the same exports as without.
TEST_F(ProviderTest, StreamingRunsGiveTheSameAnswersForEveryProvider) {
  const std::string unstreamed = [&] {
    TempDir plain;
    copy_project(plain.path());
    StandIn s(plain.path());
    EXPECT_EQ(lingopipe(plain.path(), s, {"run", "-q"}).exit_code, 0);
    return json::parse(read(plain / "out/lingopipe.json"))["articles"][1]["sections"][1]["translation"]["text"]
      .get<std::string>();
  }();
  for (const std::string provider : {"openai", "anthropic", "ollama"}) {
    TempDir d;
    copy_project(d.path());
    set_config(d.path(), "provider: openai", "provider: " + provider + "\n  stream: true");
    StandIn s(d.path());
    std::map<std::string, std::string> env;
    if (provider == "ollama") env["LINGOPIPE_BASE_URL"] = root(s);
    auto r = lingopipe(d.path(), s, {"run"}, env);
    ASSERT_EQ(r.exit_code, 0) << provider << ": " << r.err;
    EXPECT_NE(r.err.find("24 requests sent, 0 cache hits, 0 retries"), std::string::npos) << provider << r.err;
    EXPECT_EQ(json::parse(s.log_lines()[0])["body"]["stream"], true) << provider;
    const json doc = json::parse(read(d / "out/lingopipe.json"));
    EXPECT_EQ(doc["articles"][1]["sections"][1]["translation"]["text"], unstreamed) << provider;
    EXPECT_GT(doc["articles"][1]["sections"][1]["translation"]["provenance"]["completion_tokens"].get<int>(), 0)
      << provider;
  }
}

// Item 21: a server that keeps the connection open after [DONE] costs nothing;
// a stream cut before its terminator is retried whole, never half-kept.
TEST_F(ProviderTest, StreamCompletesAtDoneAndACutStreamIsRetried) {
  set_config(dir.path(), "provider: openai", "provider: openai\n  stream: true");
  StandIn standin(dir.path(), R"([{"nth":1,"stream":{"hold_open_ms":8000}},{"nth":2,"stream":{"cut":true}}])");
  const auto started = std::chrono::steady_clock::now();
  auto r = lingopipe(dir.path(), standin, {"run", "articles/meta-ki-investitionen.txt"});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(seconds, 6.0) << "did not wait for the held-open connection";
  EXPECT_EQ(standin.requests(), 7); // 6 jobs + the cut one again
  EXPECT_NE(r.err.find("1 retries"), std::string::npos) << r.err;
  EXPECT_EQ(read(dir / "out/lingopipe.json").find("[DONE]"), std::string::npos);
}

} // namespace
