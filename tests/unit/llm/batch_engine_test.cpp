// The batch engine against a fake of OpenAI's Batch API on the fake
// transport: when batches are cut (as they fill, while the rest is still
// being planned), and what each batch file holds, read from disk as it is
// uploaded.
#include "llm/batch_engine.hpp"
#include "support/fake_transport.hpp"

#include <gtest/gtest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <set>

namespace {

using json = nlohmann::json;
using testenv::FakeClock;
using testenv::FakeTransport;

class MemoryJournal : public llm::BatchJournal {
public:
  std::vector<Record> open_batches(const std::string&) override { return {}; }
  void opened(const std::string&, const Record&) override {}
  void closed(const std::string&) override {}
  void confirmed(const std::string&, const std::string&) override {}
  void bank(const std::string&, const std::string& custom_id, std::string_view line) override {
    lines[custom_id] = line;
  }
  std::vector<std::string> banked(const std::string&) override {
    std::vector<std::string> ids;
    for (const auto& [custom_id, line] : lines) ids.push_back(custom_id);
    return ids;
  }
  std::optional<std::string> claim(const std::string& custom_id) override {
    auto node = lines.extract(custom_id);
    if (node.empty()) return std::nullopt;
    return std::move(node.mapped());
  }

  std::map<std::string, std::string> lines; // the bank, by custom_id
};

// All of a source's data, read the way libcurl reads it: piece by piece.
std::string read_all(const llm::DataSource& source) {
  std::string out;
  char buffer[100];
  while (out.size() < source.size) {
    const size_t n = source.read(out.size(), buffer, sizeof buffer);
    if (n == 0) break;
    out.append(buffer, n);
  }
  return out;
}

std::vector<std::string> lines_of(const std::string& jsonl) {
  std::vector<std::string> lines;
  for (size_t at = 0; at < jsonl.size();) {
    const size_t end = jsonl.find('\n', at);
    lines.push_back(jsonl.substr(at, end - at));
    at = end + 1;
  }
  return lines;
}

llm::HttpResponse answer(const json& body) {
  llm::HttpResponse r;
  r.status = 200;
  r.body = body.dump();
  return r;
}

// As much of OpenAI's Batch API as the engine uses. Every batch is done at
// its first status read; each line is answered with its own user message,
// except that the custom_ids in `fail_once` get a 500 line the first time.
class FakeBatchApi {
public:
  explicit FakeBatchApi(const size_t& drawn) : m_drawn(drawn) {}

  llm::HttpResponse operator()(const llm::HttpRequest& r, int) {
    if (r.method == "POST" && r.url.ends_with("/files")) {
      files.push_back(read_all(r.form.at(1).source));
      drawn_at_upload.push_back(m_drawn);
      return answer({{"id", "file-" + std::to_string(files.size() - 1)}});
    }
    if (r.method == "POST" && r.url.ends_with("/batches")) {
      const std::string file = json::parse(r.body)["input_file_id"];
      return answer({{"id", "batch_" + file.substr(5)}, {"status", "validating"}});
    }
    const std::string id = r.url.substr(r.url.rfind('_') + 1);
    if (r.url.ends_with("/content")) {
      llm::HttpResponse file = results(files.at(std::stoul(r.url.substr(r.url.find("/files/out-") + 11))));
      if (cut_first_download) { // half of it arrives, then the connection drops
        cut_first_download = false;
        file.body.resize(file.body.size() / 2);
        file.curl_code = 18;
        file.curl_error = "transfer closed with outstanding read data remaining";
      }
      return file;
    }
    return answer({{"id", "batch_" + id},
                   {"status", "completed"},
                   {"output_file_id", "out-" + id},
                   {"request_counts", {{"total", 1}, {"completed", 1}}}});
  }

  std::vector<std::string> files;
  std::vector<size_t> drawn_at_upload; // requests the source had given when each file was uploaded
  std::set<std::string> fail_once;
  bool cut_first_download = false;

private:
  llm::HttpResponse results(const std::string& file) {
    std::string jsonl;
    for (const std::string& text : lines_of(file)) {
      const json line = json::parse(text);
      const std::string custom_id = line["custom_id"];
      json response = {{"status_code", 200},
                       {"body",
                        {{"choices",
                          {{{"message", {{"role", "assistant"}, {"content", line["body"]["messages"].back()["content"]}}},
                            {"finish_reason", "stop"}}}},
                         {"usage", {{"prompt_tokens", 10}, {"completion_tokens", 5}}}}}};
      if (fail_once.erase(custom_id) > 0) {
        response = {{"status_code", 500}, {"body", {{"error", {{"message", "boom"}, {"type", "server_error"}}}}}};
      }
      jsonl += json{{"custom_id", custom_id}, {"response", response}}.dump() + "\n";
    }
    llm::HttpResponse r;
    r.status = 200;
    r.body = jsonl;
    return r;
  }

  const size_t& m_drawn;
};

llm::Endpoint endpoint() {
  llm::Endpoint e;
  e.base_url = "http://h/v1";
  e.api_key = "sk-x";
  return e;
}

config::Limits limits() {
  config::Limits l;
  l.max_attempts = 3;
  return l;
}

// 35 requests ("msg 00" to "msg 34", each line the same length), drawn from
// a source as the engine asks; every answer recorded by id.
struct BatchRun {
  explicit BatchRun(llm::BatchLimits batch_limits)
    : transport(clock, [this](const llm::HttpRequest& r, int n) { return api(r, n); }),
      engine(endpoint(), limits(), {1, batch_limits, std::filesystem::path(::testing::TempDir())}, transport, clock,
             journal, [this](uint64_t id, const llm::ChatOutcome& o) {
               answers[id] = o ? o->content : "failed";
               ++outcomes;
             }) {
    engine.set_source([this](size_t wanted, bool) {
      for (size_t i = 0; i < wanted && drawn < 35; ++i, ++drawn) {
        engine.submit(drawn, {"m", {{"user", fmt::format("msg {:02}", drawn)}}, 0.2, 64});
      }
      return drawn < 35;
    });
  }

  void expect_every_answer() const {
    ASSERT_EQ(answers.size(), 35u);
    for (const auto& [id, content] : answers) EXPECT_EQ(content, fmt::format("msg {:02}", id));
    EXPECT_EQ(outcomes, 35) << "each request has one outcome";
  }

  size_t drawn = 0;
  FakeBatchApi api{drawn};
  FakeClock clock;
  FakeTransport transport;
  MemoryJournal journal;
  llm::BatchEngine engine;
  std::map<uint64_t, std::string> answers;
  int outcomes = 0;
};

// A batch is created as soon as it is full, while the rest is still to be
// planned: a large folder never has every request waiting at once.
TEST(BatchEngineTest, EachBatchIsCreatedAsItFillsNotAfterEverythingIsDrawn) {
  BatchRun run({10, 1 << 20});
  run.engine.run();
  run.expect_every_answer();
  ASSERT_EQ(run.api.files.size(), 4u);
  EXPECT_EQ(run.api.drawn_at_upload, (std::vector<size_t>{10, 20, 30, 35}));
  std::vector<size_t> sizes;
  for (const auto& f : run.api.files) sizes.push_back(lines_of(f).size());
  EXPECT_EQ(sizes, (std::vector<size_t>{10, 10, 10, 5}));
  EXPECT_EQ(run.engine.stats().sent, 35);
}

TEST(BatchEngineTest, ABatchEndsWhereTheNextLineWouldPassTheByteLimit) {
  BatchRun probe({100, 1 << 20});
  probe.engine.run();
  const size_t line_bytes = lines_of(probe.api.files.at(0)).at(0).size() + 1;
  BatchRun run({100, line_bytes * 5 / 2});
  run.engine.run();
  run.expect_every_answer();
  ASSERT_EQ(run.api.files.size(), 18u); // 17 of two lines, then one
  for (const auto& f : run.api.files) EXPECT_LE(f.size(), line_bytes * 5 / 2);
  EXPECT_EQ(lines_of(run.api.files.back()).size(), 1u);
}

// A line that failed is sent again from where it waits on disk, byte for byte.
TEST(BatchEngineTest, ALineSentAgainIsTheSameLineReadBackFromDisk) {
  BatchRun probe({10, 1 << 20});
  probe.engine.run();
  const std::string third = lines_of(probe.api.files.at(0)).at(2);
  BatchRun run({10, 1 << 20});
  run.api.fail_once.insert(json::parse(third)["custom_id"].get<std::string>());
  run.engine.run();
  run.expect_every_answer();
  EXPECT_EQ(run.engine.stats().retries, 1);
  ASSERT_EQ(run.api.files.size(), 5u);
  EXPECT_EQ(lines_of(run.api.files.back()), std::vector<std::string>{third});
}

// A result file is written to disk as it downloads; when the connection
// drops half-way, the next attempt's file is read, not the broken one
// followed by the whole.
TEST(BatchEngineTest, AResultFileCutOffIsDownloadedAgainAndOnlyTheWholeOneIsRead) {
  BatchRun run({100, 1 << 20});
  run.api.cut_first_download = true;
  run.engine.run();
  run.expect_every_answer();
  EXPECT_EQ(run.engine.stats().retries_by_cause.at("transport"), 1);
}

// The fake provider, its clock and transport, and a journal, for a test
// that makes its own engine.
struct FakeProvider {
  size_t drawn = 0;
  FakeBatchApi api{drawn};
  FakeClock clock;
  FakeTransport transport{clock, [this](const llm::HttpRequest& r, int n) { return api(r, n); }};
  MemoryJournal journal;
};

llm::ChatRequest request(size_t n) {
  return {"m", {{"user", fmt::format("msg {}", n)}}, 0.2, 64};
}

// A request let go (before its batch was created, or while its batch ran)
// gets no outcome: its answer goes into the bank when the batch is
// collected, and the same request submitted again later takes it from
// there, counted as this run's answer, not sent or paid again.
TEST(BatchEngineTest, ARequestLetGoIsAnsweredIntoTheBankAndTakenWhenSubmittedAgain) {
  FakeProvider fake;
  auto& [drawn, api, clock, transport, journal] = fake;
  std::map<uint64_t, std::string> answers;
  llm::BatchEngine* engine_ptr = nullptr;
  bool let_go_in_batch = false;
  llm::BatchEngine engine(endpoint(), limits(), {1, {100, 1 << 20}, std::filesystem::path(::testing::TempDir())},
                          transport, clock, journal, [&](uint64_t id, const llm::ChatOutcome& o) {
                            answers[id] = o ? o->content : "failed";
                            if (id != 3) return;
                            let_go_in_batch = engine_ptr->let_go({4}); // its line comes after 3's
                            engine_ptr->submit(20, request(1)); // let go, and its line read: in the bank
                            engine_ptr->submit(21, request(4)); // let go, its line still to come: waited for
                          });
  engine_ptr = &engine;
  bool let_go_unsent = false;
  engine.set_source([&](size_t, bool) {
    for (size_t n = 0; n < 5; ++n) engine.submit(n, request(n));
    let_go_unsent = engine.let_go({0, 1, 2});
    return false;
  });
  engine.run();
  EXPECT_TRUE(let_go_unsent);
  EXPECT_TRUE(let_go_in_batch);
  EXPECT_EQ(answers, (std::map<uint64_t, std::string>{{3, "msg 3"}, {20, "msg 1"}, {21, "msg 4"}}));
  ASSERT_EQ(api.files.size(), 1u) << "a request let go and asked again is not sent again";
  EXPECT_EQ(lines_of(api.files[0]).size(), 5u) << "requests let go before their batch still go in it";
  EXPECT_EQ(journal.lines.size(), 2u) << "0 and 2 answered into the bank";

  bool let_go_claiming = true;
  engine.set_source([&](size_t, bool) {
    engine.submit(10, request(0));
    engine.submit(12, request(2));
    let_go_claiming = engine.let_go({10}); // its answer is being taken from the bank: held
    return false;
  });
  engine.run();
  EXPECT_FALSE(let_go_claiming);
  EXPECT_EQ(answers, (std::map<uint64_t, std::string>{
                       {3, "msg 3"}, {20, "msg 1"}, {21, "msg 4"}, {10, "msg 0"}, {12, "msg 2"}}));
  EXPECT_EQ(api.files.size(), 1u) << "nothing sent again";
  EXPECT_EQ(engine.stats().sent, 5);
  EXPECT_EQ(engine.stats().from_earlier, 0) << "answers of this run's own batch";
  EXPECT_TRUE(journal.lines.empty());
  EXPECT_FALSE(engine.let_go({99})) << "an id never submitted";
}

// Answers waiting in the bank are taken as the source is drawn, a slice at
// a time, not after all of it: what they answer is done with (an article
// exported, or let go) before more is planned, so a pass over many articles
// whose answers are all in the bank holds a slice of them, not all.
TEST(BatchEngineTest, BankedAnswersAreTakenASliceAtATimeWhileTheSourceIsDrawn) {
  FakeProvider fake;
  auto& [drawn, api, clock, transport, journal] = fake;
  constexpr size_t k_requests = 5000;
  for (size_t n = 0; n < k_requests; ++n) {
    const std::string custom_id = llm::batch_line(request(n), endpoint()).custom_id;
    json body = {{"choices", {{{"message", {{"role", "assistant"}, {"content", fmt::format("msg {}", n)}}},
                               {"finish_reason", "stop"}}}},
                 {"usage", {{"prompt_tokens", 10}, {"completion_tokens", 5}}}};
    journal.lines[custom_id] =
      json{{"custom_id", custom_id}, {"response", {{"status_code", 200}, {"body", body}}}}.dump();
  }
  std::vector<size_t> drawn_at_answer;
  llm::BatchEngine engine(endpoint(), limits(), {1, {50000, 1 << 30}, std::filesystem::path(::testing::TempDir())},
                          transport, clock, journal,
                          [&](uint64_t, const llm::ChatOutcome& o) { drawn_at_answer.push_back(o ? drawn : 0); });
  engine.set_source([&](size_t wanted, bool) {
    for (size_t i = 0; i < wanted && drawn < k_requests; ++i, ++drawn) engine.submit(drawn, request(drawn));
    return drawn < k_requests;
  });
  engine.run();
  ASSERT_EQ(drawn_at_answer.size(), k_requests);
  EXPECT_LE(drawn_at_answer.front(), 1024u) << "the first answer waited for the whole source";
  EXPECT_TRUE(api.files.empty()) << "nothing sent";
  EXPECT_EQ(engine.stats().from_earlier, static_cast<int>(k_requests));
}

} // namespace
