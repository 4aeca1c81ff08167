#include "llm/batch_api.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>

using nlohmann::json;

namespace {

llm::Endpoint endpoint(llm::Provider provider, std::string base_url = "https://api.example.com/v1") {
  llm::Endpoint e;
  e.provider = provider;
  e.base_url = std::move(base_url);
  e.api_key = "sk-secret";
  return e;
}

llm::ChatRequest request(const std::string& text) {
  return {"gpt-test", {{"system", "Translate."}, {"user", text}}, 0.2, 512};
}

bool has_header(const llm::HttpRequest& r, const std::string& prefix) {
  return std::ranges::any_of(r.headers, [&](const std::string& h) { return h.starts_with(prefix); });
}

llm::HttpResponse body_of(const std::string& text) {
  llm::HttpResponse r;
  r.status = 200;
  r.body = text;
  return r;
}

TEST(BatchApiTest, OpenAiLineIsAPostToChatCompletionsWithAStableUniqueCustomId) {
  llm::Endpoint e = endpoint(llm::Provider::openai);
  e.stream = true; // a batch line is never streamed
  const llm::BatchLine a = llm::batch_line(request("Hallo"), e);
  const llm::BatchLine again = llm::batch_line(request("Hallo"), e);
  const llm::BatchLine b = llm::batch_line(request("Welt"), e);
  EXPECT_EQ(a.custom_id, again.custom_id) << "a re-run must recognise its request";
  EXPECT_NE(a.custom_id, b.custom_id);
  EXPECT_TRUE(std::regex_match(a.custom_id, std::regex("^[a-zA-Z0-9_-]{1,64}$"))) << a.custom_id;
  const json line = json::parse(a.line);
  EXPECT_EQ(line["custom_id"], a.custom_id);
  EXPECT_EQ(line["method"], "POST");
  EXPECT_EQ(line["url"], "/v1/chat/completions");
  EXPECT_EQ(line["body"]["model"], "gpt-test");
  EXPECT_EQ(line["body"]["max_tokens"], 512);
  EXPECT_EQ(line["body"]["stream"], false);
  EXPECT_EQ(line["body"]["messages"][1]["content"], "Hallo");
  EXPECT_EQ(a.line.find("sk-secret"), std::string::npos);
}

TEST(BatchApiTest, AnthropicLineCarriesTheMessagesBodyAsParams) {
  const llm::BatchLine l = llm::batch_line(request("Hallo"), endpoint(llm::Provider::anthropic));
  const json line = json::parse(l.line);
  EXPECT_EQ(line["custom_id"], l.custom_id);
  EXPECT_EQ(line["params"]["system"], "Translate.");
  EXPECT_EQ(line["params"]["max_tokens"], 512);
  EXPECT_EQ(line["params"]["messages"].size(), 1u);
  EXPECT_FALSE(line.contains("method"));
}

// What libcurl would send of a source: read `step` bytes at a time (so
// reads cross from one line into the separator and the next), and once more
// from an offset in the middle (a rewind after a redirect or a retry).
std::string read_source(const llm::DataSource& source, size_t step) {
  std::string out;
  char buffer[64];
  while (out.size() < source.size) {
    const size_t n = source.read(out.size(), buffer, std::min(step, sizeof buffer));
    if (n == 0) break;
    out.append(buffer, n);
  }
  return out;
}

std::string from_offset(const llm::DataSource& source, uint64_t offset) {
  std::string out;
  char buffer[64];
  while (offset + out.size() < source.size) {
    const size_t n = source.read(offset + out.size(), buffer, sizeof buffer);
    if (n == 0) break;
    out.append(buffer, n);
  }
  return out;
}

TEST(BatchApiTest, OpenAiUploadIsMultipartWithPurposeBatchAndOneLinePerRequest) {
  const llm::HttpRequest up =
    llm::upload_request(endpoint(llm::Provider::openai), llm::lines_in_memory({"{\"a\":1}", "{\"b\":2}"}));
  EXPECT_EQ(up.url, "https://api.example.com/v1/files");
  EXPECT_EQ(up.method, "POST");
  EXPECT_TRUE(up.body.empty());
  EXPECT_TRUE(has_header(up, "Authorization: Bearer sk-secret"));
  EXPECT_FALSE(has_header(up, "Content-Type:")) << "libcurl sets multipart/form-data with its boundary";
  ASSERT_EQ(up.form.size(), 2u);
  EXPECT_EQ(up.form[0].name, "purpose");
  EXPECT_EQ(up.form[0].data, "batch");
  EXPECT_EQ(up.form[1].name, "file");
  EXPECT_TRUE(up.form[1].filename.ends_with(".jsonl"));
  // The file is read from the lines as it is sent, never joined in memory.
  EXPECT_TRUE(up.form[1].data.empty());
  ASSERT_TRUE(up.form[1].source);
  EXPECT_EQ(up.form[1].source.size, 16u);
  for (size_t step : {1, 3, 7, 64}) EXPECT_EQ(read_source(up.form[1].source, step), "{\"a\":1}\n{\"b\":2}\n") << step;
  EXPECT_EQ(from_offset(up.form[1].source, 7), "\n{\"b\":2}\n");
  EXPECT_EQ(from_offset(up.form[1].source, 9), "\"b\":2}\n");
  EXPECT_EQ(read_source(llm::upload_request(endpoint(llm::Provider::openai), llm::lines_in_memory({})).form[1].source, 8), "");
}

TEST(BatchApiTest, CreateNamesTheFileEndpointAndWindowOrCarriesTheRequests) {
  const llm::HttpRequest openai = llm::create_request(endpoint(llm::Provider::openai), "file-7", {});
  EXPECT_EQ(openai.url, "https://api.example.com/v1/batches");
  const json body = json::parse(openai.body);
  EXPECT_EQ(body["input_file_id"], "file-7");
  EXPECT_EQ(body["endpoint"], "/v1/chat/completions");
  EXPECT_EQ(body["completion_window"], "24h");

  const llm::Endpoint ant = endpoint(llm::Provider::anthropic, "https://api.anthropic.com");
  const llm::HttpRequest create =
    llm::create_request(ant, "", llm::lines_in_memory({R"({"custom_id":"a"})", R"({"custom_id":"b"})"}));
  EXPECT_EQ(create.url, "https://api.anthropic.com/v1/messages/batches");
  EXPECT_TRUE(has_header(create, "x-api-key: sk-secret"));
  EXPECT_TRUE(has_header(create, "anthropic-version: "));
  EXPECT_TRUE(create.body.empty());
  for (size_t step : {1, 5, 64}) {
    EXPECT_EQ(read_source(create.body_source, step), R"({"requests":[{"custom_id":"a"},{"custom_id":"b"}]})") << step;
  }
  EXPECT_EQ(llm::status_request(ant, "msgbatch_1").url, "https://api.anthropic.com/v1/messages/batches/msgbatch_1");
}

TEST(BatchApiTest, LimitsAreTheProvidersUnlessConfiguredLower) {
  const auto openai = llm::batch_limits(llm::Provider::openai, 0, 0);
  EXPECT_EQ(openai.max_requests, 50000u);
  EXPECT_EQ(openai.max_bytes, 200u * 1024 * 1024);
  const auto anthropic = llm::batch_limits(llm::Provider::anthropic, 0, 0);
  EXPECT_EQ(anthropic.max_requests, 100000u);
  EXPECT_EQ(anthropic.max_bytes, 256u * 1024 * 1024);
  const auto lowered = llm::batch_limits(llm::Provider::openai, 5, 1);
  EXPECT_EQ(lowered.max_requests, 5u);
  EXPECT_EQ(lowered.max_bytes, 1024u * 1024);
}

TEST(BatchApiTest, EveryOpenAiStatusHasItsPhase) {
  const llm::Endpoint e = endpoint(llm::Provider::openai);
  const std::pair<const char*, llm::BatchPhase> cases[] = {
    {"validating", llm::BatchPhase::running}, {"in_progress", llm::BatchPhase::running},
    {"finalizing", llm::BatchPhase::running}, {"cancelling", llm::BatchPhase::running},
    {"completed", llm::BatchPhase::ended},    {"expired", llm::BatchPhase::ended},
    {"cancelled", llm::BatchPhase::ended},    {"failed", llm::BatchPhase::failed},
  };
  for (const auto& [status, phase] : cases) {
    const auto s = llm::parse_batch_status(llm::Provider::openai,
                                           body_of(json{{"id", "b"}, {"status", status}}.dump()), e);
    ASSERT_TRUE(s) << status;
    EXPECT_EQ(s->phase, phase) << status;
    EXPECT_EQ(s->status, status);
  }
  EXPECT_FALSE(llm::parse_batch_status(llm::Provider::openai, body_of("<html>"), e));
  EXPECT_FALSE(llm::parse_batch_status(llm::Provider::openai, body_of("{\"id\":\"b\"}"), e));
}

TEST(BatchApiTest, OpenAiStatusGivesBothResultFilesAndTheLinesValidationRejected) {
  const llm::Endpoint e = endpoint(llm::Provider::openai);
  const auto done = llm::parse_batch_status(llm::Provider::openai, body_of(R"({"status":"completed",
    "request_counts":{"total":3,"completed":2,"failed":1},"output_file_id":"file-out","error_file_id":"file-err"})"), e);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->total, 3);
  EXPECT_EQ(done->finished, 3);
  EXPECT_EQ(done->result_urls, (std::vector<std::string>{"https://api.example.com/v1/files/file-out/content",
                                                         "https://api.example.com/v1/files/file-err/content"}));
  const auto failed = llm::parse_batch_status(llm::Provider::openai, body_of(R"({"status":"failed","errors":{"data":[
    {"code":"invalid_request","message":"duplicate custom_id","line":2},
    {"code":"token_limit_exceeded","message":"Enqueued token limit reached","line":null}]}})"), e);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->phase, llm::BatchPhase::failed);
  ASSERT_EQ(failed->line_errors.size(), 1u);
  EXPECT_EQ(failed->line_errors[0].line, 2u);
  EXPECT_EQ(failed->line_errors[0].message, "invalid_request: duplicate custom_id");
  EXPECT_EQ(failed->error, "token_limit_exceeded: Enqueued token limit reached");
}

TEST(BatchApiTest, AnthropicStatusEndsOnlyAtEndedWithItsResultsUrl) {
  const llm::Endpoint e = endpoint(llm::Provider::anthropic);
  for (const char* running : {"in_progress", "canceling"}) {
    const auto s = llm::parse_batch_status(
      llm::Provider::anthropic, body_of(json{{"processing_status", running}, {"results_url", nullptr}}.dump()), e);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->phase, llm::BatchPhase::running) << running;
    EXPECT_TRUE(s->result_urls.empty());
  }
  const auto ended = llm::parse_batch_status(llm::Provider::anthropic, body_of(R"({"processing_status":"ended",
    "request_counts":{"processing":0,"succeeded":3,"errored":1,"canceled":0,"expired":1},
    "results_url":"https://api.anthropic.com/v1/messages/batches/m1/results"})"), e);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->phase, llm::BatchPhase::ended);
  EXPECT_EQ(ended->total, 5);
  EXPECT_EQ(ended->result_urls, std::vector<std::string>{"https://api.anthropic.com/v1/messages/batches/m1/results"});
}

// The list pages find a batch whose create call was never answered: OpenAI's
// by the file it runs, Anthropic's by size and creation time.
TEST(BatchApiTest, BatchListsArePagedNewestFirstWithWhatFindsABatchAgain) {
  const llm::Endpoint openai = endpoint(llm::Provider::openai);
  EXPECT_EQ(llm::list_request(openai, "").url, "https://api.example.com/v1/batches?limit=100");
  EXPECT_EQ(llm::list_request(openai, "batch_9").url, "https://api.example.com/v1/batches?limit=100&after=batch_9");
  EXPECT_EQ(llm::list_request(openai, "").method, "GET");
  EXPECT_TRUE(has_header(llm::list_request(openai, ""), "Authorization: Bearer sk-secret"));
  const auto page = llm::parse_batch_list(llm::Provider::openai, body_of(R"({"object":"list","data":[
      {"id":"batch_2","object":"batch","status":"in_progress","input_file_id":"file-b","created_at":1766000100,
       "request_counts":{"total":22,"completed":0,"failed":0}},
      {"id":"batch_1","object":"batch","status":"completed","input_file_id":"file-a","created_at":1766000000}],
    "first_id":"batch_2","last_id":"batch_1","has_more":true})"), openai);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->batches.size(), 2u);
  EXPECT_EQ(page->batches[0].id, "batch_2");
  EXPECT_EQ(page->batches[0].input_file_id, "file-b");
  EXPECT_EQ(page->batches[0].created_at, 1766000100);
  EXPECT_EQ(page->batches[0].total, 22);
  EXPECT_EQ(page->batches[1].phase, llm::BatchPhase::ended);
  EXPECT_TRUE(page->has_more);
  EXPECT_EQ(page->last_id, "batch_1");

  const llm::Endpoint ant = endpoint(llm::Provider::anthropic, "https://api.anthropic.com");
  EXPECT_EQ(llm::list_request(ant, "msgbatch_7").url,
            "https://api.anthropic.com/v1/messages/batches?limit=100&after_id=msgbatch_7");
  const auto ant_page = llm::parse_batch_list(llm::Provider::anthropic, body_of(R"({"data":[
      {"id":"msgbatch_7","type":"message_batch","processing_status":"in_progress","created_at":"2025-12-17T19:35:00Z",
       "request_counts":{"processing":5,"succeeded":0,"errored":0,"canceled":0,"expired":0}}],
    "has_more":false,"first_id":"msgbatch_7","last_id":"msgbatch_7"})"), ant);
  ASSERT_TRUE(ant_page);
  ASSERT_EQ(ant_page->batches.size(), 1u);
  EXPECT_EQ(ant_page->batches[0].created_at, 1766000100);
  EXPECT_EQ(ant_page->batches[0].total, 5);
  EXPECT_FALSE(ant_page->has_more);

  EXPECT_FALSE(llm::parse_batch_list(llm::Provider::openai, body_of(R"({"error":{"message":"no"}})"), openai));
  EXPECT_FALSE(llm::parse_batch_list(llm::Provider::openai, body_of("<html>502</html>"), openai));
}

TEST(BatchApiTest, OpenAiResultLinesBecomeTheLiveAnswerOrAnError) {
  const std::string jsonl =
    R"({"id":"r1","custom_id":"lp-a","response":{"status_code":200,"request_id":"req_1","body":{"choices":[]}},"error":null})"
    "\n"
    // The error file: status_code 400 with the usual body.error, top-level error null.
    R"({"id":"r2","custom_id":"lp-b","response":{"status_code":400,"request_id":"req_2","body":{"error":{"message":"too long","code":"context_length_exceeded"}}},"error":null})"
    "\n\n"
    R"({"id":null,"custom_id":"lp-c","response":null,"error":{"code":"batch_expired","message":"not executed"}})"
    "\n"
    R"({"id":"r4","custom_id":"lp-d","response":{"status_code":200,"body":{}},"error":{"code":"server_error","message":"odd"}})"
    "\nnot json\n";
  size_t skipped = 0;
  const auto results = llm::parse_batch_results(llm::Provider::openai, jsonl, skipped);
  EXPECT_EQ(skipped, 1u);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0].custom_id, "lp-a");
  ASSERT_TRUE(results[0].response);
  EXPECT_EQ(results[0].response->status, 200);
  EXPECT_EQ(results[0].response->header("x-request-id"), "req_1");
  EXPECT_EQ(json::parse(results[0].response->body), json::parse(R"({"choices":[]})"));
  ASSERT_TRUE(results[1].response);
  EXPECT_EQ(results[1].response->status, 400);
  EXPECT_NE(results[1].response->body.find("context_length_exceeded"), std::string::npos);
  ASSERT_TRUE(results[2].error);
  EXPECT_FALSE(results[2].response);
  EXPECT_EQ(results[2].error->kind, llm::ErrorKind::unprocessed) << "expired: sent again";
  EXPECT_EQ(results[2].error->code, "batch_expired");
  ASSERT_TRUE(results[3].error) << "a non-null error is a failure even beside a 200";
  EXPECT_FALSE(results[3].response);
  EXPECT_EQ(results[3].error->message, "odd");
  EXPECT_EQ(results[2].line, R"({"id":null,"custom_id":"lp-c","response":null,"error":{"code":"batch_expired","message":"not executed"}})")
    << "each result keeps its line (banked for a later run when this one did not plan it)";
}

TEST(BatchApiTest, AnthropicResultTypesBecomeTheLiveAnswerOrAnError) {
  const std::string jsonl =
    R"({"custom_id":"a","result":{"type":"succeeded","message":{"content":[{"type":"text","text":"Hi"}]}}})" "\n"
    R"({"custom_id":"b","result":{"type":"errored","error":{"type":"error","error":{"type":"overloaded_error","message":"busy"}}}})" "\n"
    R"({"custom_id":"c","result":{"type":"errored","error":{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long"}}}})" "\n"
    R"({"custom_id":"d","result":{"type":"expired"}})" "\n"
    R"({"custom_id":"e","result":{"type":"canceled"}})" "\n";
  size_t skipped = 0;
  const auto results = llm::parse_batch_results(llm::Provider::anthropic, jsonl, skipped);
  ASSERT_EQ(results.size(), 5u);
  ASSERT_TRUE(results[0].response);
  EXPECT_EQ(results[0].response->status, 200);
  ASSERT_TRUE(results[1].response);
  EXPECT_EQ(results[1].response->status, 529) << "as the live API answers overloaded_error";
  ASSERT_TRUE(results[2].response);
  EXPECT_EQ(results[2].response->status, 400);
  for (size_t i : {3u, 4u}) {
    ASSERT_TRUE(results[i].error);
    EXPECT_EQ(results[i].error->kind, llm::ErrorKind::unprocessed) << "not processed: sent again";
  }
  EXPECT_EQ(results[4].error->message, "the batch was canceled before this request was processed");
}

TEST(BatchApiTest, TheKeyGoesOnlyToTheEndpointsOwnHost) {
  const llm::Endpoint e = endpoint(llm::Provider::anthropic, "https://api.anthropic.com");
  const auto own = llm::download_request(e, "https://api.anthropic.com/v1/messages/batches/m1/results");
  EXPECT_TRUE(has_header(own, "x-api-key: sk-secret"));
  EXPECT_EQ(own.method, "GET");
  const auto other = llm::download_request(e, "https://storage.example.net/results/m1");
  EXPECT_FALSE(has_header(other, "x-api-key:"));
  EXPECT_TRUE(has_header(other, "anthropic-version: "));
}

} // namespace
