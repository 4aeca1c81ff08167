// PROTOCOLS.md §11 items 18-26: streamed answers.
#include "llm/codec.hpp"
#include "llm/stream.hpp"

#include <gtest/gtest.h>

namespace {

using llm::ErrorKind;

std::vector<llm::SseEvent> parse_in_pieces(const std::string& wire, const std::vector<size_t>& cuts) {
  llm::SseParser parser;
  std::vector<llm::SseEvent> events;
  size_t from = 0;
  for (size_t cut : cuts) {
    for (auto& e : parser.feed(wire.substr(from, cut - from))) events.push_back(std::move(e));
    from = cut;
  }
  for (auto& e : parser.feed(wire.substr(from))) events.push_back(std::move(e));
  return events;
}

std::string texts(const std::vector<llm::SseEvent>& events) {
  std::string out;
  for (const auto& e : events) out += "[" + e.event + "|" + e.data + "]";
  return out;
}

llm::HttpResponse stream_response(std::string body, const std::string& type = "text/event-stream") {
  llm::HttpResponse r;
  r.status = 200;
  r.body = std::move(body);
  r.headers["content-type"] = type;
  return r;
}

const std::string k_openai_stream =
  ": keep-alive\n\n"
  "data: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Größe \"},\"finish_reason\":null}]}\n\n"
  "data: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"zählt.\"},\"finish_reason\":null}]}\n\n"
  ": OPENROUTER PROCESSING\n\n"
  "data: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
  "data: {\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3}}\n\n"
  "data: [DONE]\n\n";

// Item 18: any split, even inside "data:" or a UTF-8 character, gives the same events.
TEST(SseParserTest, EverySplitPointGivesTheSameEvents) {
  const std::string whole = texts(parse_in_pieces(k_openai_stream, {}));
  for (size_t cut = 1; cut < k_openai_stream.size(); ++cut) {
    ASSERT_EQ(texts(parse_in_pieces(k_openai_stream, {cut})), whole) << "cut at " << cut;
  }
  std::vector<size_t> every_byte;
  for (size_t i = 1; i < k_openai_stream.size(); ++i) every_byte.push_back(i);
  EXPECT_EQ(texts(parse_in_pieces(k_openai_stream, every_byte)), whole);
}

// Item 19: CRLF, LF and CR endings (CR and LF in different reads), with or
// without the space after "data:", and no phantom events.
TEST(SseParserTest, LineEndingsAndOptionalSpace) {
  const std::string expected = "[|a]|[x|b\nc]";
  auto sep = [](const std::vector<llm::SseEvent>& e) { return texts({e.begin(), e.begin() + 1}) + "|" + texts({e.begin() + 1, e.end()}); };
  for (const std::string& nl : {std::string("\n"), std::string("\r\n"), std::string("\r")}) {
    const std::string wire = "data: a" + nl + nl + nl + nl + "event: x" + nl + "data:b" + nl + "data: c" + nl + nl;
    auto whole = parse_in_pieces(wire, {});
    ASSERT_EQ(whole.size(), 2u);
    EXPECT_EQ(sep(whole), expected);
    const size_t cr = wire.find('\r');
    if (cr != std::string::npos) {
      EXPECT_EQ(sep(parse_in_pieces(wire, {cr + 1})), expected) << "CR and LF apart";
    }
  }
}

// Item 20: comments are ignored and do not reset the event being built.
TEST(SseParserTest, CommentsAreIgnored) {
  auto events = parse_in_pieces("data: one\n: ping\ndata: two\n\n: keep-alive\n\n", {});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "one\ntwo");
}

TEST(OpenAiStreamTest, AssemblesTextUsageAndStops) {
  auto out = llm::decode_openai(stream_response(k_openai_stream), {});
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->content, "Größe zählt.");
  EXPECT_EQ(out->finish_reason, "stop");
  EXPECT_EQ(out->usage.prompt_tokens, 12); // item 23: from a chunk with choices: []
  EXPECT_EQ(out->usage.completion_tokens, 3);
}

// Item 21: [DONE] completes at once; a stream cut before it is retried whole.
TEST(OpenAiStreamTest, DoneCompletesAndACutStreamIsATransportFailure) {
  auto watcher = llm::make_stream_watcher(llm::Provider::openai);
  const size_t done_at = k_openai_stream.find("data: [DONE]");
  EXPECT_FALSE(watcher->complete(k_openai_stream.substr(0, done_at)));
  EXPECT_TRUE(watcher->complete(k_openai_stream.substr(done_at)));
  auto cut = llm::decode_openai(stream_response(k_openai_stream.substr(0, k_openai_stream.find("data: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},"))), {});
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().kind, ErrorKind::transport);
  EXPECT_EQ(cut.error().message, "stream ended without data: [DONE] (truncated by the server or a proxy)");
}

// Item 22.
TEST(OpenAiStreamTest, LengthIsTruncated) {
  auto out = llm::decode_openai(stream_response(
    "data: {\"choices\":[{\"delta\":{\"content\":\"Half\"},\"finish_reason\":\"length\"}]}\n\ndata: [DONE]\n\n"), {});
  EXPECT_EQ(out.error().kind, ErrorKind::truncated);
}

// Item 24: an error after some content discards the text; classified by type.
TEST(OpenAiStreamTest, MidStreamErrorIsClassified) {
  auto out = llm::decode_openai(stream_response(
    "data: {\"choices\":[{\"delta\":{\"content\":\"Part\"}}]}\n\n"
    "data: {\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}\n\n"), {});
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().kind, ErrorKind::overloaded);
  EXPECT_EQ(out.error().message, "error inside the stream: The server had an error");
  auto watcher = llm::make_stream_watcher(llm::Provider::openai);
  EXPECT_TRUE(watcher->complete("data: {\"error\":{\"message\":\"x\"}}\n\n"));
}

const std::string k_anthropic_stream =
  "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-x\",\"usage\":{\"input_tokens\":25}}}\n\n"
  "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
  "event: ping\ndata: {\"type\": \"ping\"}\n\n"
  "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n"
  "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" world.\"}}\n\n"
  "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
  "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":4}}\n\n"
  "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

// Item 25.
TEST(AnthropicStreamTest, AssemblesTextAndStopReason) {
  auto out = llm::decode_anthropic(stream_response(k_anthropic_stream), {});
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->content, "Hello world.");
  EXPECT_EQ(out->finish_reason, "end_turn");
  EXPECT_EQ(out->model, "claude-x");
  EXPECT_EQ(out->usage.prompt_tokens, 25);
  EXPECT_EQ(out->usage.completion_tokens, 4);
  auto no_stop = llm::decode_anthropic(stream_response(k_anthropic_stream.substr(0, k_anthropic_stream.find("event: message_stop"))), {});
  EXPECT_EQ(no_stop.error().kind, ErrorKind::transport);
  auto max_tokens = k_anthropic_stream;
  max_tokens.replace(max_tokens.find("end_turn"), 8, "max_tokens");
  EXPECT_EQ(llm::decode_anthropic(stream_response(max_tokens), {}).error().kind, ErrorKind::truncated);
}

// Item 24, Anthropic: event: error with overloaded_error after HTTP 200.
TEST(AnthropicStreamTest, ErrorEventAfter200IsRetryable) {
  const std::string wire = k_anthropic_stream.substr(0, k_anthropic_stream.find("event: content_block_stop")) +
    "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
  auto out = llm::decode_anthropic(stream_response(wire), {});
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().kind, ErrorKind::overloaded);
  auto watcher = llm::make_stream_watcher(llm::Provider::anthropic);
  EXPECT_TRUE(watcher->complete(wire));
}

// Item 26.
TEST(OllamaStreamTest, NdjsonAssembledAndErrorsDespite200) {
  const std::string wire =
    "{\"model\":\"q\",\"message\":{\"role\":\"assistant\",\"content\":\"Hel\"},\"done\":false}\n"
    "{\"model\":\"q\",\"message\":{\"role\":\"assistant\",\"content\":\"lo.\"},\"done\":false}\r\n"
    "{\"model\":\"q\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":9,\"eval_count\":2}\n";
  auto out = llm::decode_ollama(stream_response(wire, "application/x-ndjson"), {});
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->content, "Hello.");
  EXPECT_EQ(out->usage.prompt_tokens, 9);
  auto watcher = llm::make_stream_watcher(llm::Provider::ollama);
  EXPECT_FALSE(watcher->complete(wire.substr(0, wire.find("{\"model\":\"q\",\"message\":{\"role\":\"assistant\",\"content\":\"\"}"))));
  EXPECT_TRUE(watcher->complete(wire.substr(wire.find("{\"model\":\"q\",\"message\":{\"role\":\"assistant\",\"content\":\"\"}"))));
  auto error = llm::decode_ollama(stream_response(
    "{\"message\":{\"content\":\"Hel\"},\"done\":false}\n{\"error\":\"an error was encountered while running the model\"}\n",
    "application/x-ndjson"), {});
  EXPECT_EQ(error.error().kind, ErrorKind::overloaded);
  auto cut = llm::decode_ollama(stream_response(wire.substr(0, wire.find("\n") + 1), "application/x-ndjson"), {});
  EXPECT_EQ(cut.error().kind, ErrorKind::transport);
}

TEST(StreamRequestTest, EachProviderAsksForAStream) {
  llm::ChatRequest req;
  req.model = "m";
  req.messages = {{"user", "x"}};
  for (auto p : {llm::Provider::openai, llm::Provider::anthropic, llm::Provider::ollama}) {
    llm::Endpoint e;
    e.provider = p;
    e.base_url = "http://h";
    e.stream = true;
    const auto http = llm::codec_for(p).encode(req, e);
    EXPECT_NE(http.body.find("\"stream\":true"), std::string::npos) << http.body;
    EXPECT_TRUE(http.stream_complete) << llm::provider_name(p);
  }
}

} // namespace
