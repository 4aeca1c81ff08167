#include "llm/codec.hpp"
#include "llm/errors.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

using llm::ErrorKind;
using llm::HttpResponse;

llm::ChatOutcome decode(const HttpResponse& r) { return llm::decode_openai(r, {}); }

llm::Endpoint endpoint(std::string base_url, std::string api_key) {
  llm::Endpoint e;
  e.base_url = std::move(base_url);
  e.api_key = std::move(api_key);
  return e;
}

HttpResponse response(long status, std::string body,
                      std::map<std::string, std::string> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  if (!r.headers.contains("content-type")) r.headers["content-type"] = "application/json";
  return r;
}

std::string completion(const std::string& content_json, const std::string& finish,
                       const std::string& extra_message = "", const std::string& usage = "") {
  return R"({"id":"c1","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":)" +
         content_json + extra_message + R"(},"finish_reason":)" + finish + "}]" +
         (usage.empty() ? "" : ",\"usage\":" + usage) + "}";
}

ErrorKind kind_of(const HttpResponse& r) {
  auto out = decode(r);
  EXPECT_FALSE(out.has_value());
  return out ? ErrorKind::cancelled : out.error().kind;
}

TEST(OpenAiCodecTest, EncodesTheRequest) {
  llm::ChatRequest req{"gpt-x", {{"system", "s"}, {"user", "u"}}, 0.2, 100};
  auto http = llm::encode_openai(req, endpoint("http://h/v1/", "sk-1"));
  EXPECT_EQ(http.url, "http://h/v1/chat/completions");
  auto body = nlohmann::json::parse(http.body);
  EXPECT_EQ(body["model"], "gpt-x");
  EXPECT_EQ(body["messages"][1]["content"], "u");
  EXPECT_EQ(body["max_tokens"], 100);
  EXPECT_EQ(body["stream"], false);
  EXPECT_NE(std::ranges::find(http.headers, "Authorization: Bearer sk-1"), http.headers.end());
  auto keyless = llm::encode_openai(req, endpoint("http://h/v1", ""));
  for (const auto& h : keyless.headers) EXPECT_FALSE(h.starts_with("Authorization"));
}

TEST(OpenAiCodecTest, ParsesContentFinishReasonAndUsage) {
  auto out = decode(response(
    200, completion("\"X\"", "\"stop\"", "",
                    R"({"prompt_tokens":12,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":4}})"),
    {{"x-request-id", "req-9"}}));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->content, "X");
  EXPECT_EQ(out->finish_reason, "stop");
  EXPECT_EQ(out->usage.prompt_tokens, 12);
  EXPECT_EQ(out->usage.completion_tokens, 3);
  EXPECT_EQ(out->usage.cached_tokens, 4);
  EXPECT_EQ(out->request_id, "req-9");
}

TEST(OpenAiCodecTest, UsageWithoutDetailsOrWithDeepSeekFields) {
  auto a = decode(response(200, completion("\"X\"", "\"stop\"", "", R"({"prompt_tokens":1,"completion_tokens":1})")));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->usage.cached_tokens, 0);
  auto b = decode(response(200, completion("\"X\"", "\"stop\"", "", R"({"prompt_tokens":5,"completion_tokens":1,"prompt_cache_hit_tokens":2})")));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->usage.cached_tokens, 2);
}

TEST(OpenAiCodecTest, LeadingBlankLinesBeforeJson) {
  auto out = decode(response(200, "\n\n\n" + completion("\"X\"", "\"stop\"")));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->content, "X");
}

TEST(OpenAiCodecTest, LengthIsTruncatedNeverSuccess) {
  auto out = decode(response(200, completion("\"Half a sent\"", "\"length\"")));
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(out.error().kind, ErrorKind::truncated);
  EXPECT_EQ(out.error().message, "answer truncated at max_output_tokens");
  auto empty = decode(response(200, completion("null", "\"length\"")));
  EXPECT_EQ(empty.error().message, "budget consumed by reasoning: no text within max_output_tokens");
}

// llama-server with --context-shift answers a prompt longer than its slot's
// context from the prompt's last tokens, with 200 and "truncated": true; its
// timings (prompt_n evaluated + cache_n reused) show how much it read.
TEST(OpenAiCodecTest, LlamaCppPromptCutByContextShiftIsInputTooLong) {
  llm::ChatRequest request{"m", {{"user", "lang"}}, 0.2, 100};
  request.estimated_prompt_tokens = 3000;
  auto llama = [&](const std::string& finish, nlohmann::json extra) {
    nlohmann::json body = nlohmann::json::parse(completion("\"Half of it.\"", finish));
    body.update(extra);
    return llm::decode_openai(response(200, body.dump()), request);
  };
  const char* advice = "; give each slot more context (llama-server -c, which --parallel divides "
                       "among slots) or lower segment.max_chunk_tokens";
  auto flagged = llama("\"stop\"", {{"truncated", true}});
  ASSERT_FALSE(flagged);
  EXPECT_EQ(flagged.error().kind, ErrorKind::input_too_long);
  EXPECT_EQ(flagged.error().message,
            std::string("llama.cpp cut the prompt to fit its context (\"truncated\": true, --context-shift)") + advice);
  auto counted = llama("\"stop\"", {{"timings", {{"prompt_n", 900}, {"cache_n", 100}}}});
  ASSERT_FALSE(counted);
  EXPECT_EQ(counted.error().kind, ErrorKind::input_too_long);
  EXPECT_EQ(counted.error().message,
            std::string("llama.cpp read 1000 prompt tokens of about 3000 and dropped the rest (--context-shift)") + advice);
  // Read whole (the estimate is conservative), or cut at the output budget instead.
  EXPECT_TRUE(llama("\"stop\"", {{"truncated", false}, {"timings", {{"prompt_n", 200}, {"cache_n", 2000}}}}));
  EXPECT_EQ(llama("\"length\"", {{"truncated", true}}).error().kind, ErrorKind::truncated);
}

// Streamed, llama-server puts its timings beside the last chunk's choices:
// a prompt it read only in part is refused the same way.
TEST(OpenAiCodecTest, LlamaCppPromptCutIsCaughtInAStreamedAnswerToo) {
  llm::ChatRequest request{"m", {{"user", "lang"}}, 0.2, 100};
  request.estimated_prompt_tokens = 3000;
  auto streamed = [&](const std::string& timings) {
    HttpResponse r = response(200,
                              "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Half of it.\"},\"finish_reason\":null}]}\n\n"
                              "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
                              "\"usage\":{\"prompt_tokens\":512,\"completion_tokens\":3},\"timings\":" + timings + "}\n\n"
                              "data: [DONE]\n\n",
                              {{"content-type", "text/event-stream"}});
    return llm::decode_openai(r, request);
  };
  auto cut = streamed(R"({"prompt_n":512,"cache_n":0,"predicted_n":3})");
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().kind, ErrorKind::input_too_long);
  EXPECT_EQ(cut.error().message,
            "llama.cpp read 512 prompt tokens of about 3000 and dropped the rest (--context-shift); give each "
            "slot more context (llama-server -c, which --parallel divides among slots) or lower "
            "segment.max_chunk_tokens");
  auto whole = streamed(R"({"prompt_n":2900,"cache_n":0,"predicted_n":3})");
  ASSERT_TRUE(whole) << whole.error().message;
  EXPECT_EQ(whole->content, "Half of it.");
}

TEST(OpenAiCodecTest, RefusalAndContentFilter) {
  EXPECT_EQ(kind_of(response(200, completion("null", "\"stop\"", R"(,"refusal":"no")"))), ErrorKind::refused);
  EXPECT_EQ(kind_of(response(200, completion("\"\"", "\"content_filter\""))), ErrorKind::refused);
}

TEST(OpenAiCodecTest, EmptyInvalidHtmlAndShapelessBodies) {
  EXPECT_EQ(kind_of(response(200, completion("\"  \"", "\"stop\""))), ErrorKind::empty);
  EXPECT_EQ(kind_of(response(200, "{not json")), ErrorKind::malformed);
  EXPECT_EQ(kind_of(response(200, R"({"id":"x"})")), ErrorKind::malformed);
  auto html = decode(response(200, "<!DOCTYPE html><html>Open WebUI</html>",
                                          {{"content-type", "text/html"}}));
  EXPECT_EQ(html.error().kind, ErrorKind::gateway);
  EXPECT_EQ(html.error().message, "HTML instead of JSON (check the base URL, it usually ends in "
                                  "/v1): <!DOCTYPE html><html>Open WebUI</html>");
}

TEST(OpenAiCodecTest, ClassifiesStatuses) {
  EXPECT_EQ(kind_of(response(429, R"({"error":{"code":"rate_limit_exceeded","message":"m"}})")), ErrorKind::throttle);
  EXPECT_EQ(kind_of(response(429, R"({"error":{"code":"insufficient_quota","type":"insufficient_quota","message":"You exceeded your current quota"}})")), ErrorKind::quota);
  EXPECT_EQ(kind_of(response(402, R"({"error":{"message":"Insufficient Balance"}})")), ErrorKind::quota);
  EXPECT_EQ(kind_of(response(400, R"({"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API."}})")), ErrorKind::quota);
  EXPECT_EQ(kind_of(response(401, "{}")), ErrorKind::auth);
  EXPECT_EQ(kind_of(response(403, "{}")), ErrorKind::auth);
  EXPECT_EQ(kind_of(response(404, "{}")), ErrorKind::not_found);
  for (long s : {408L, 409L, 500L, 502L, 503L, 504L, 529L}) {
    EXPECT_EQ(kind_of(response(s, "{}")), ErrorKind::overloaded) << s;
  }
  for (long s : {400L, 413L, 422L}) EXPECT_EQ(kind_of(response(s, "{}")), ErrorKind::bad_request) << s;
}

TEST(OpenAiCodecTest, ContextTooLongInEveryDialect) {
  EXPECT_EQ(kind_of(response(400, R"({"error":{"code":"context_length_exceeded","message":"This model's maximum context length is 8192 tokens."}})")), ErrorKind::input_too_long);
  EXPECT_EQ(kind_of(response(400, R"({"error":{"code":400,"type":"exceed_context_size_error","message":"request (9000 tokens) exceeds the available context size (4096 tokens), try increasing it","n_prompt_tokens":9000,"n_ctx":4096}})")), ErrorKind::input_too_long);
  EXPECT_EQ(kind_of(response(400, R"({"object":"error","message":"This model's maximum context length is 4096 tokens.","type":"BadRequestError","code":400})")), ErrorKind::input_too_long);
}

TEST(OpenAiCodecTest, AzureContentFilterIsARefusal) {
  EXPECT_EQ(kind_of(response(400, R"({"error":{"code":"content_filter","param":"prompt","status":400,"message":"The response was filtered","innererror":{"code":"ResponsibleAIPolicyViolation"}}})")), ErrorKind::refused);
}

TEST(OpenAiCodecTest, ExtractsMessageFromEveryErrorShape) {
  struct Case { std::string body; std::string message; std::string type; };
  for (const auto& c : std::vector<Case>{
         {R"({"error":{"message":"m1","type":"t1"}})", "m1", "t1"},
         {R"({"error":"model 'x' not found"})", "model 'x' not found", ""},
         {R"({"object":"error","message":"m3","type":"BadRequestError","code":400})", "m3", "BadRequestError"},
         {R"([{"error":{"code":429,"message":"m4","status":"RESOURCE_EXHAUSTED"}}])", "m4", "RESOURCE_EXHAUSTED"},
         {R"({"type":"error","error":{"type":"overloaded_error","message":"m5"},"request_id":"r"})", "m5", "overloaded_error"}}) {
    auto out = decode(response(500, c.body));
    ASSERT_FALSE(out.has_value());
    EXPECT_EQ(out.error().message, c.message) << c.body;
    EXPECT_EQ(out.error().type, c.type) << c.body;
  }
}

TEST(OpenAiCodecTest, ErrorCodeStringOrInteger) {
  auto a = decode(response(429, R"({"error":{"code":"429","message":"Rate limit is exceeded."}})"));
  EXPECT_EQ(a.error().code, "429");
  auto b = decode(response(400, R"({"error":{"code":400,"message":"bad"}})"));
  EXPECT_EQ(b.error().code, "400");
}

TEST(OpenAiCodecTest, RequestIdAndShouldRetryHeaders) {
  auto out = decode(response(500, "{}", {{"x-request-id", "req_1"}, {"x-should-retry", "false"}}));
  EXPECT_EQ(out.error().request_id, "req_1");
  EXPECT_EQ(out.error().should_retry, false);
  EXPECT_EQ(llm::describe(out.error()), "HTTP 500 server_error: {} (request req_1)");
}

TEST(OpenAiCodecTest, RetryAfterHeaders) {
  EXPECT_EQ(llm::parse_retry_after(response(429, "", {{"retry-after-ms", "1500"}, {"retry-after", "9"}})), 1.5);
  EXPECT_EQ(llm::parse_retry_after(response(429, "", {{"retry-after", "2"}})), 2.0);
  EXPECT_EQ(llm::parse_retry_after(response(429, "", {})), std::nullopt);
  auto date = llm::parse_retry_after(response(429, "", {{"retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"}}));
  EXPECT_EQ(date, 0.0); // in the past: no wait
}

TEST(OpenAiCodecTest, TransportFailure) {
  HttpResponse r;
  r.curl_code = 7;
  r.curl_error = "Failed to connect to 127.0.0.1 port 9: Connection refused";
  auto out = decode(r);
  EXPECT_EQ(out.error().kind, ErrorKind::transport);
  EXPECT_EQ(out.error().message, r.curl_error);
}

TEST(HttpTest, RedactsCredentialsInUrls) {
  EXPECT_EQ(llm::redact_url("https://user:pw@host/v1"), "https://***@host/v1");
  EXPECT_EQ(llm::redact_url("http://host/v1/a@b"), "http://host/v1/a@b");
}

TEST(OpenAiCodecTest, LlamaCppPropsOrSlotsGiveThePerSlotContext) {
  const llm::HttpRequest props = llm::llama_request(endpoint("http://127.0.0.1:8080/v1/", "k"), "/props");
  EXPECT_EQ(props.url, "http://127.0.0.1:8080/props");
  EXPECT_EQ(props.method, "GET");
  EXPECT_NE(std::ranges::find(props.headers, "Authorization: Bearer k"), props.headers.end());
  EXPECT_EQ(llm::slot_context(response(200, R"({"default_generation_settings":{"n_ctx":1024},"total_slots":4})")),
            1024);
  EXPECT_FALSE(llm::slot_context(response(404, R"({"error":{"message":"not found"}})")));
  EXPECT_FALSE(llm::slot_context(response(200, "<html>vLLM</html>")));
  EXPECT_FALSE(llm::slot_context(response(200, R"({"default_generation_settings":{}})")));
  EXPECT_FALSE(llm::slot_context(response(200, R"({"default_generation_settings":{"n_ctx":0}})")));
  // /slots: one entry per slot; the smallest decides.
  EXPECT_EQ(llm::slot_context(response(200, R"([{"id":0,"n_ctx":2048},{"id":1,"n_ctx":1024},{"id":2}])")), 1024);
  EXPECT_FALSE(llm::slot_context(response(200, "[]")));
  EXPECT_FALSE(llm::slot_context(response(501, R"({"error":{"message":"This server does not support slots endpoint."}})")));
}

} // namespace
