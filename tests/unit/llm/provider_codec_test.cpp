// Contract tests for each provider codec: the request field by field against
// PROTOCOLS.md §2-4 and §6, and every answer and error shape mapped.
#include "llm/codec.hpp"
#include "llm/errors.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

using llm::ErrorKind;
using llm::HttpResponse;
using nlohmann::json;

llm::ChatRequest request() {
  llm::ChatRequest r;
  r.model = "m-1";
  r.messages = {{"system", "Translate."}, {"user", "Hallo Welt."}};
  r.temperature = 0.2;
  r.max_output_tokens = 512;
  r.estimated_prompt_tokens = 3000;
  return r;
}

llm::Endpoint endpoint(llm::Provider provider, std::string base_url, std::string key = "k-123") {
  llm::Endpoint e;
  e.provider = provider;
  e.base_url = std::move(base_url);
  e.api_key = std::move(key);
  return e;
}

HttpResponse response(long status, std::string body, std::map<std::string, std::string> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  r.headers.emplace("content-type", "application/json");
  return r;
}

bool has_header(const llm::HttpRequest& r, const std::string& line) {
  return std::ranges::find(r.headers, line) != r.headers.end();
}

std::string header_named(const llm::HttpRequest& r, const std::string& prefix) {
  for (const auto& h : r.headers) {
    if (h.starts_with(prefix)) return h;
  }
  return "";
}

// ---- OpenAI family -------------------------------------------------------

TEST(OpenAiCodecTest, ReasoningModelsGetMaxCompletionTokensAndNoTemperature) {
  auto e = endpoint(llm::Provider::openai, "https://api.openai.com/v1");
  e.reasoning_model = true;
  const json body = json::parse(llm::encode_openai(request(), e).body);
  EXPECT_EQ(body["max_completion_tokens"], 512);
  EXPECT_FALSE(body.contains("max_tokens"));
  EXPECT_FALSE(body.contains("temperature"));
  e.reasoning_model = false;
  const json plain = json::parse(llm::encode_openai(request(), e).body);
  EXPECT_EQ(plain["max_tokens"], 512);
  EXPECT_EQ(plain["temperature"], 0.2);
  EXPECT_FALSE(plain.contains("max_completion_tokens"));
}

TEST(OpenAiCodecTest, ReasoningIsKeptApartFromTheTranslation) {
  for (const char* field : {"reasoning_content", "reasoning"}) {
    const std::string body = std::string(R"({"model":"m","choices":[{"message":{"role":"assistant","content":"Hello world.",")") +
                             field + R"(":"The user wants English."},"finish_reason":"stop"}]})";
    auto out = llm::decode_openai(response(200, body), request());
    ASSERT_TRUE(out) << field;
    EXPECT_EQ(out->content, "Hello world.");
    EXPECT_EQ(out->reasoning, "The user wants English.");
  }
  auto think = llm::decode_openai(
    response(200, R"({"choices":[{"message":{"content":"<think>\nGerman to English.\n</think>\n\nHello world."},"finish_reason":"stop"}]})"),
    request());
  ASSERT_TRUE(think);
  EXPECT_EQ(think->content, "Hello world.");
  EXPECT_EQ(think->reasoning, "German to English.");
  auto only_thoughts = llm::decode_openai(
    response(200, R"({"choices":[{"message":{"content":"<think>still thinking</think>"},"finish_reason":"stop"}]})"),
    request());
  ASSERT_FALSE(only_thoughts);
  EXPECT_EQ(only_thoughts.error().kind, ErrorKind::empty);
}

// ---- Azure ---------------------------------------------------------------

TEST(AzureCodecTest, ClassicDeploymentUrlWithApiVersionAndApiKeyHeader) {
  auto e = endpoint(llm::Provider::azure, "https://res.openai.azure.com/");
  e.deployment = "gpt4o-prod";
  e.api_version = "2024-10-21";
  const auto http = llm::encode_azure(request(), e);
  EXPECT_EQ(http.url, "https://res.openai.azure.com/openai/deployments/gpt4o-prod/chat/completions"
                      "?api-version=2024-10-21");
  EXPECT_TRUE(has_header(http, "api-key: k-123"));
  EXPECT_EQ(header_named(http, "Authorization"), "");
  EXPECT_EQ(json::parse(http.body)["max_tokens"], 512);
}

TEST(AzureCodecTest, V1UrlNeedsNoDeployment) {
  const auto http = llm::encode_azure(request(), endpoint(llm::Provider::azure, "https://res.openai.azure.com/openai/v1"));
  EXPECT_EQ(http.url, "https://res.openai.azure.com/openai/v1/chat/completions");
  EXPECT_TRUE(has_header(http, "api-key: k-123"));
}

TEST(AzureCodecTest, ErrorShapes) {
  auto filtered = llm::decode_openai(
    response(400, R"({"error":{"code":"content_filter","param":"prompt","status":400,"innererror":{"code":"ResponsibleAIPolicyViolation"}}})"),
    request());
  EXPECT_EQ(filtered.error().kind, ErrorKind::refused);
  auto throttled = llm::decode_openai(
    response(429, R"({"error":{"code":"429","message":"Rate limit is exceeded. Try again in 2 seconds."}})",
             {{"retry-after", "2"}}),
    request());
  EXPECT_EQ(throttled.error().kind, ErrorKind::throttle);
  EXPECT_EQ(throttled.error().retry_after_s, 2.0);
  auto output_filtered = llm::decode_openai(
    response(200, R"({"choices":[{"message":{"content":""},"finish_reason":"content_filter"}]})"), request());
  EXPECT_EQ(output_filtered.error().kind, ErrorKind::refused);
}

// ---- Anthropic -----------------------------------------------------------

TEST(AnthropicCodecTest, RequestFieldByField) {
  for (const char* base : {"https://api.anthropic.com", "https://api.anthropic.com/v1/"}) {
    const auto http = llm::encode_anthropic(request(), endpoint(llm::Provider::anthropic, base));
    EXPECT_EQ(http.url, "https://api.anthropic.com/v1/messages") << base;
    EXPECT_TRUE(has_header(http, "x-api-key: k-123"));
    EXPECT_TRUE(has_header(http, "anthropic-version: 2023-06-01"));
    EXPECT_EQ(header_named(http, "Authorization"), "");
    const json body = json::parse(http.body);
    EXPECT_EQ(body["model"], "m-1");
    EXPECT_EQ(body["max_tokens"], 512);
    EXPECT_EQ(body["system"], "Translate.");
    EXPECT_EQ(body["messages"], json::parse(R"([{"role":"user","content":"Hallo Welt."}])"));
    EXPECT_EQ(body["temperature"], 0.2);
    EXPECT_FALSE(body.contains("stream"));
  }
}

TEST(AnthropicCodecTest, AnswerBlocksUsageAndStopReasons) {
  const std::string ok = R"({"id":"msg_1","type":"message","role":"assistant","model":"claude-x",
    "content":[{"type":"thinking","thinking":"Plan."},{"type":"text","text":"Hello "},{"type":"text","text":"world."}],
    "stop_reason":"end_turn","usage":{"input_tokens":12,"output_tokens":4,"cache_read_input_tokens":2}})";
  auto out = llm::decode_anthropic(response(200, ok, {{"request-id", "req_9"}}), request());
  ASSERT_TRUE(out);
  EXPECT_EQ(out->content, "Hello world.");
  EXPECT_EQ(out->reasoning, "Plan.");
  EXPECT_EQ(out->model, "claude-x");
  EXPECT_EQ(out->request_id, "req_9");
  EXPECT_EQ(out->usage.prompt_tokens, 12);
  EXPECT_EQ(out->usage.completion_tokens, 4);
  EXPECT_EQ(out->usage.cached_tokens, 2);
  auto with_stop = [&](const std::string& reason) {
    return llm::decode_anthropic(
      response(200, R"({"type":"message","content":[{"type":"text","text":"Half"}],"stop_reason":")" + reason + R"("})"),
      request());
  };
  EXPECT_TRUE(with_stop("stop_sequence"));
  EXPECT_EQ(with_stop("max_tokens").error().kind, ErrorKind::truncated);
  EXPECT_EQ(with_stop("model_context_window_exceeded").error().kind, ErrorKind::truncated);
  EXPECT_EQ(with_stop("refusal").error().kind, ErrorKind::refused);
}

TEST(AnthropicCodecTest, ErrorTypesMapToTheUnifiedClasses) {
  auto kind = [](long status, const std::string& type, const std::string& message,
                 const std::string& extra = "") {
    auto out = llm::decode_anthropic(
      response(status, R"({"type":"error","error":{"type":")" + type + R"(","message":")" + message +
                         "\"" + extra + R"(},"request_id":"req_1"})"),
      request());
    EXPECT_FALSE(out);
    return out ? ErrorKind::empty : out.error().kind;
  };
  EXPECT_EQ(kind(529, "overloaded_error", "Overloaded"), ErrorKind::overloaded);
  EXPECT_EQ(kind(500, "api_error", "Internal"), ErrorKind::overloaded);
  EXPECT_EQ(kind(429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"),
            ErrorKind::throttle);
  EXPECT_EQ(kind(429, "rate_limit_error", "Spend limit reached", R"(,"details":{"error_code":"enforced_spend_limit_reached"})"),
            ErrorKind::quota);
  EXPECT_EQ(kind(400, "invalid_request_error",
                 "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing"),
            ErrorKind::quota);
  EXPECT_EQ(kind(400, "invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"),
            ErrorKind::input_too_long);
  EXPECT_EQ(kind(401, "authentication_error", "invalid x-api-key"), ErrorKind::auth);
  EXPECT_EQ(kind(403, "permission_error", "no access"), ErrorKind::auth);
  EXPECT_EQ(kind(404, "not_found_error", "model: claude-nope"), ErrorKind::not_found);
  EXPECT_EQ(kind(413, "request_too_large", "Request exceeds the maximum size"), ErrorKind::bad_request);
  EXPECT_EQ(kind(402, "billing_error", "billing"), ErrorKind::quota);
  EXPECT_EQ(kind(504, "timeout_error", "timeout"), ErrorKind::overloaded);
  // An error event after HTTP 200 is retried like its status would be.
  EXPECT_EQ(kind(200, "overloaded_error", "Overloaded"), ErrorKind::overloaded);
}

// ---- Ollama --------------------------------------------------------------

TEST(OllamaCodecTest, RequestFieldByFieldWithNumCtxSizedAndCapped) {
  auto e = endpoint(llm::Provider::ollama, "http://127.0.0.1:11434/", "");
  const auto http = llm::encode_ollama(request(), e);
  EXPECT_EQ(http.url, "http://127.0.0.1:11434/api/chat");
  EXPECT_EQ(header_named(http, "Authorization"), "");
  const json body = json::parse(http.body);
  EXPECT_EQ(body["model"], "m-1");
  EXPECT_EQ(body["stream"], false);
  EXPECT_EQ(body["keep_alive"], "30m");
  EXPECT_EQ(body["messages"][0], json({{"role", "system"}, {"content", "Translate."}}));
  // 3,000 prompt tokens × 1.25 + 512 output = 4,262 → 5,120.
  EXPECT_EQ(body["options"], json({{"num_ctx", 5120}, {"num_predict", 512}, {"temperature", 0.2}}));
  e.num_ctx_max = 4096;
  EXPECT_EQ(llm::ollama_num_ctx(request(), e), 4096);
  llm::ChatRequest tiny = request();
  tiny.estimated_prompt_tokens = 10;
  EXPECT_EQ(llm::ollama_num_ctx(tiny, e), 2048);
}

TEST(OllamaCodecTest, AnswerDoneReasonAndCounts) {
  auto out = llm::decode_ollama(
    response(200, R"({"model":"qwen","created_at":"2026-01-01T00:00:00Z","message":{"role":"assistant","content":"Hello world.","thinking":"hm"},
                      "done":true,"done_reason":"stop","prompt_eval_count":2900,"eval_count":3,"total_duration":123})"),
    request());
  ASSERT_TRUE(out);
  EXPECT_EQ(out->content, "Hello world.");
  EXPECT_EQ(out->reasoning, "hm");
  EXPECT_EQ(out->usage.prompt_tokens, 2900);
  EXPECT_EQ(out->usage.completion_tokens, 3);
  auto length = llm::decode_ollama(
    response(200, R"({"message":{"content":"Half"},"done":true,"done_reason":"length","prompt_eval_count":2900})"), request());
  EXPECT_EQ(length.error().kind, ErrorKind::truncated);
}

TEST(OllamaCodecTest, SilentServerSideTruncationIsReportedNotAccepted) {
  auto out = llm::decode_ollama(
    response(200, R"({"message":{"content":"A translation of half the text."},"done":true,"done_reason":"stop","prompt_eval_count":1024,"eval_count":9})"),
    request());
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().kind, ErrorKind::input_too_long);
  EXPECT_EQ(out.error().message,
            "Ollama read 1024 prompt tokens of about 3000 and silently dropped the rest; raise "
            "endpoint.num_ctx_max (the cap on options.num_ctx) if the model allows");
}

TEST(OllamaCodecTest, ErrorShapes) {
  auto missing = llm::decode_ollama(response(404, R"({"error":"model 'qwen9' not found, try pulling it first"})"), request());
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
  EXPECT_EQ(missing.error().message, "model 'qwen9' not found, try pulling it first");
  auto too_long = llm::decode_ollama(
    response(400, R"({"error":"the prompt is longer than the context length of 4096 tokens"})"), request());
  EXPECT_EQ(too_long.error().kind, ErrorKind::input_too_long);
  auto busy = llm::decode_ollama(response(503, R"({"error":"server busy, please try again. maximum pending requests exceeded"})"), request());
  EXPECT_EQ(busy.error().kind, ErrorKind::overloaded);
  auto in_body = llm::decode_ollama(response(200, R"({"error":"model runner has unexpectedly stopped"})"), request());
  EXPECT_EQ(in_body.error().kind, ErrorKind::overloaded);
  auto v1_shape = llm::decode_ollama(response(200, R"({"choices":[]})"), request());
  EXPECT_EQ(v1_shape.error().kind, ErrorKind::malformed);
}

TEST(ProviderNamesTest, RoundTrip) {
  for (auto p : {llm::Provider::openai, llm::Provider::azure, llm::Provider::anthropic, llm::Provider::ollama}) {
    EXPECT_EQ(llm::provider_from_name(llm::provider_name(p)), p);
  }
  EXPECT_EQ(llm::provider_from_name("gemini"), std::nullopt);
}

} // namespace
