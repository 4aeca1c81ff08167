#include "llm/engine.hpp"
#include "support/fake_transport.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

llm::Endpoint endpoint(std::string api_key = "") {
  llm::Endpoint e;
  e.base_url = "http://h/v1";
  e.api_key = std::move(api_key);
  return e;
}

using namespace std::chrono_literals;
using testenv::FakeClock;
using testenv::FakeTransport;

struct Outcomes {
  std::map<uint64_t, llm::ChatOutcome> by_id;
};

llm::ChatRequest request() { return {"m", {{"user", "hallo"}}, 0.2, 64}; }

config::Limits limits(int in_flight = 4, int attempts = 6) {
  config::Limits l;
  l.max_in_flight = in_flight;
  l.max_attempts = attempts;
  return l;
}

llm::HttpResponse bad_key(const llm::HttpRequest&, int) {
  return testenv::status_response(401, R"({"error":{"message":"bad key","code":"invalid_api_key"}})");
}

// An OnDone for requests that all fail: counts the cancelled and the failed.
llm::Engine::OnDone tally(int& cancelled, int& failed) {
  return [&cancelled, &failed](uint64_t, const llm::ChatOutcome& o) {
    (o.error().kind == llm::ErrorKind::cancelled ? cancelled : failed)++;
  };
}

TEST(EngineTest, RunsEverythingWithinTheInFlightLimit) {
  FakeClock clock;
  FakeTransport transport(clock, [](auto&, int n) { return testenv::ok_response(std::to_string(n)); });
  Outcomes out;
  llm::Engine engine(endpoint(), limits(3), transport, clock,
                     [&](uint64_t id, const llm::ChatOutcome& o) { out.by_id.emplace(id, o); });
  for (uint64_t i = 0; i < 10; ++i) engine.submit(i, request());
  engine.run();
  EXPECT_EQ(out.by_id.size(), 10u);
  EXPECT_EQ(transport.started(), 10);
  EXPECT_EQ(transport.max_concurrent(), 3);
  for (auto& [id, o] : out.by_id) EXPECT_TRUE(o.has_value()) << id;
}

// After the probe the window opens over half the time the probe took (here
// its round trip: this transport gives no news of an answer's start), not at
// once: a burst would come back as a burst, every answer's replacement
// queueing behind the whole window.
TEST(EngineTest, TheWindowOpensOverHalfTheProbesRoundTrip) {
  FakeClock clock;
  FakeTransport transport(clock, [](auto&, int) { return testenv::ok_response("x"); });
  transport.set_latency(100ms);
  int done = 0;
  llm::Engine engine(endpoint(), limits(8), transport, clock, [&](uint64_t, auto&) { ++done; });
  for (uint64_t i = 0; i < 40; ++i) engine.submit(i, request());
  const auto t0 = clock.now();
  engine.run();
  EXPECT_EQ(done, 40);
  EXPECT_EQ(transport.max_concurrent(), 8);
  auto started_before = [&](std::chrono::milliseconds t) {
    return std::ranges::count_if(transport.start_times(), [&](auto s) { return s - t0 < t; });
  };
  EXPECT_EQ(started_before(100ms), 1);  // the probe, alone until answered at 100 ms
  EXPECT_EQ(started_before(101ms), 2);  // then one more, not a window of 8
  EXPECT_LE(started_before(125ms), 5);  // half of the window by half of the ramp
  EXPECT_EQ(started_before(151ms), 9);  // all 8 in flight once the 50 ms ramp is over
}

bool asks_for_stream(const llm::HttpRequest& r) { return nlohmann::json::parse(r.body)["stream"].get<bool>(); }

// The probe asks for a streamed answer: its 2xx status comes with the
// model's first words, which proves the endpoint as well as the whole answer
// would, so the window opens then. Every later request is sent as the
// endpoint is set (here: not streamed).
TEST(EngineTest, TheWindowOpensWhenTheProbesStreamedAnswerBegins) {
  FakeClock clock;
  FakeTransport transport(clock, [](auto&, int) { return testenv::ok_response("x"); });
  transport.set_latency(1000ms);
  transport.set_first_byte(20ms);
  int done = 0;
  llm::Engine engine(endpoint(), limits(8), transport, clock, [&](uint64_t, auto& o) { done += o.has_value(); });
  for (uint64_t i = 0; i < 16; ++i) engine.submit(i, request());
  const auto t0 = clock.now();
  engine.run();
  EXPECT_EQ(done, 16);
  const auto& sent = transport.requests();
  ASSERT_EQ(sent.size(), 16u);
  EXPECT_TRUE(asks_for_stream(sent[0]));
  EXPECT_TRUE(sent[0].report_begun);
  for (size_t i = 1; i < sent.size(); ++i) {
    EXPECT_FALSE(asks_for_stream(sent[i])) << i;
    EXPECT_FALSE(sent[i].report_begun) << i;
  }
  EXPECT_GE(transport.start_times()[1] - t0, 20ms); // once the answer began,
  EXPECT_LT(transport.start_times()[1] - t0, 50ms); // not at 1000 ms, when it ends
  EXPECT_EQ(transport.max_concurrent(), 8);
  // Half of 20 ms says nothing of the answer's length: the window opens over 100 ms.
  EXPECT_GE(transport.start_times()[7] - t0, 20ms + 80ms);
  EXPECT_LE(transport.start_times()[7] - t0, 20ms + 101ms);
}

// A server that cannot stream says so with a 400, or a validator's 422 that
// names the field: the probe goes again unstreamed, its attempt not spent,
// and the run goes on as before. A 400 that only mentions an upstream server
// is the request's own failure.
TEST(EngineTest, AProbeWhoseStreamIsRefusedGoesAgainUnstreamed) {
  const std::vector<std::pair<long, std::string>> refusals = {
    {400, R"({"error":{"message":"Streaming is not supported by this server"}})"},
    {400, R"({"error":{"message":"Unrecognized request argument supplied: stream_options"}})"},
    {422, R"({"detail":[{"type":"extra_forbidden","loc":["body","stream_options"],"msg":"Extra inputs are not permitted"}]})"}};
  for (const auto& [status, message] : refusals) {
    FakeClock clock;
    FakeTransport transport(clock, [&](const llm::HttpRequest& r, int) {
      return asks_for_stream(r) ? testenv::status_response(status, message) : testenv::ok_response("x");
    });
    transport.set_first_byte(5ms);
    int succeeded = 0;
    llm::Engine engine(endpoint(), limits(4, 1), transport, clock, [&](uint64_t, auto& o) { succeeded += o.has_value(); });
    for (uint64_t i = 0; i < 6; ++i) engine.submit(i, request());
    engine.run();
    EXPECT_EQ(succeeded, 6) << message << ": one attempt each, and the refused stream did not spend it";
    EXPECT_EQ(transport.started(), 7) << message;
    EXPECT_EQ(engine.stats().retries_by_cause.at("stream_refused"), 1) << message;
  }
  FakeClock clock;
  FakeTransport transport(clock, [](const llm::HttpRequest& r, int) {
    return asks_for_stream(r) ? testenv::status_response(400, R"({"error":{"message":"upstream model rejected the input"}})")
                              : testenv::ok_response("x");
  });
  int failed = 0;
  llm::Engine engine(endpoint(), limits(4), transport, clock, [&](uint64_t, auto& o) { failed += !o.has_value(); });
  engine.submit(0, request());
  engine.run();
  EXPECT_EQ(failed, 1);
  EXPECT_EQ(transport.started(), 1);
}

// Waiting requests go by priority, first in first out within one: what an
// answer released before what another request waits for, before the rest.
TEST(EngineTest, WaitingRequestsGoByPriorityInTheOrderSubmittedWithinOne) {
  FakeClock clock;
  FakeTransport transport(clock, [](auto&, int) { return testenv::ok_response("x"); });
  std::vector<uint64_t> order; // one in flight: the order answered is the order sent
  llm::Engine* engine_ptr = nullptr;
  auto with = [](llm::Priority priority) {
    llm::ChatRequest r = request();
    r.priority = priority;
    return r;
  };
  llm::Engine engine(endpoint(), limits(1), transport, clock, [&](uint64_t id, auto&) {
    order.push_back(id);
    if (id == 1) engine_ptr->submit(6, with(llm::Priority::follow_up)); // released by 1's answer
  });
  engine_ptr = &engine;
  engine.submit(0, with(llm::Priority::plain));
  engine.submit(1, with(llm::Priority::feeds_another));
  engine.submit(2, with(llm::Priority::plain));
  engine.submit(3, with(llm::Priority::follow_up));
  engine.submit(4, with(llm::Priority::feeds_another));
  engine.submit(5, with(llm::Priority::plain));
  engine.run();
  EXPECT_EQ(order, (std::vector<uint64_t>{3, 1, 6, 4, 0, 2, 5}));
}

// Until the first answer only one request is out, so it should be one that
// answers soon: the shortest expected answer, then the shortest prompt.
TEST(EngineTest, TheProbeIsTheRequestExpectedToAnswerSoonest) {
  FakeClock clock;
  FakeTransport transport(clock, [](auto&, int) { return testenv::ok_response("x"); });
  std::vector<uint64_t> order;
  llm::Engine engine(endpoint(), limits(1), transport, clock, [&](uint64_t id, auto&) { order.push_back(id); });
  auto expecting = [](int prompt, int answer, llm::Priority priority) {
    llm::ChatRequest r = request();
    r.estimated_prompt_tokens = prompt;
    r.estimated_tokens = prompt + answer;
    r.priority = priority;
    return r;
  };
  engine.submit(0, expecting(300, 400, llm::Priority::follow_up));
  engine.submit(1, expecting(900, 20, llm::Priority::plain));
  engine.submit(2, expecting(250, 20, llm::Priority::plain)); // a title: short answer, short prompt
  engine.submit(3, expecting(300, 80, llm::Priority::feeds_another));
  engine.run();
  EXPECT_EQ(order, (std::vector<uint64_t>{2, 0, 3, 1})); // then by priority again
}

TEST(EngineTest, RetryAfterDelaysTheNextAttempt) {
  FakeClock clock;
  FakeTransport transport(clock, [](auto&, int n) {
    return n == 1 ? testenv::status_response(429, R"({"error":{"code":"rate_limit_exceeded"}})",
                                             {{"retry-after-ms", "1500"}})
                  : testenv::ok_response("ok");
  });
  std::optional<llm::ChatOutcome> result;
  llm::Engine engine(endpoint(), limits(), transport, clock,
                     [&](uint64_t, const llm::ChatOutcome& o) { result = o; });
  engine.submit(1, request());
  engine.run();
  ASSERT_TRUE(result && result->has_value());
  ASSERT_EQ(transport.start_times().size(), 2u);
  EXPECT_GE(transport.start_times()[1] - transport.start_times()[0], 1500ms);
  EXPECT_EQ(engine.stats().retries, 1);
  EXPECT_EQ(engine.stats().retries_by_cause.at("rate_limited"), 1);
}

TEST(EngineTest, AttemptsNeverExceedTheBudget) {
  FakeClock clock;
  FakeTransport transport(clock, [](auto&, int) { return testenv::status_response(503, "{}"); });
  std::optional<llm::ChatOutcome> result;
  llm::Engine engine(endpoint(), limits(4, 3), transport, clock,
                     [&](uint64_t, const llm::ChatOutcome& o) { result = o; });
  engine.submit(1, request());
  engine.run();
  EXPECT_EQ(transport.started(), 3);
  ASSERT_TRUE(result && !result->has_value());
  EXPECT_EQ(result->error().kind, llm::ErrorKind::overloaded);
}

TEST(EngineTest, AuthErrorStopsTheEndpointAfterOneRequest) {
  FakeClock clock;
  FakeTransport transport(clock, bad_key);
  int cancelled = 0, failed = 0;
  llm::Engine engine(endpoint("sk-x"), limits(8), transport, clock,
                     tally(cancelled, failed));
  for (uint64_t i = 0; i < 20; ++i) engine.submit(i, request());
  engine.run();
  EXPECT_EQ(transport.started(), 1);
  EXPECT_EQ(failed, 1);
  EXPECT_EQ(cancelled, 19);
  ASSERT_TRUE(engine.stop_reason());
  EXPECT_EQ(*engine.stop_reason(), "HTTP 401 auth invalid_api_key: bad key");
}

TEST(EngineTest, QuotaErrorIsNotRetried) {
  FakeClock clock;
  FakeTransport transport(clock, [](auto&, int) {
    return testenv::status_response(429, R"({"error":{"code":"insufficient_quota","type":"insufficient_quota","message":"You exceeded your current quota"}})");
  });
  llm::Engine engine(endpoint(), limits(), transport, clock, [](uint64_t, auto&) {});
  engine.submit(1, request());
  engine.submit(2, request());
  engine.run();
  EXPECT_EQ(transport.started(), 1);
  EXPECT_TRUE(engine.stop_reason());
}

llm::HttpResponse refused() {
  llm::HttpResponse r;
  r.curl_code = 7;
  r.curl_error = "Failed to connect";
  return r;
}

TEST(EngineTest, EndpointThatNeverAnswersIsStoppedAfterTheFirstRequest) {
  FakeClock clock;
  FakeTransport transport(clock, [](auto&, int) { return refused(); });
  llm::Engine engine(endpoint(), limits(8, 3), transport, clock, [](uint64_t, auto&) {});
  for (uint64_t i = 0; i < 10; ++i) engine.submit(i, request());
  engine.run();
  EXPECT_EQ(transport.started(), 3);
  ASSERT_TRUE(engine.stop_reason());
  EXPECT_EQ(*engine.stop_reason(), "unreachable after 3 attempts: transport: Failed to connect");
}

TEST(EngineTest, ProvenEndpointOnlyFailsTheRequestThatFailed) {
  FakeClock clock;
  FakeTransport transport(clock, [](auto&, int n) {
    return n == 1 ? testenv::ok_response("ok") : refused();
  });
  int failed = 0;
  llm::Engine engine(endpoint(), limits(1, 2), transport, clock,
                     [&](uint64_t, const llm::ChatOutcome& o) { failed += !o.has_value(); });
  for (uint64_t i = 0; i < 3; ++i) engine.submit(i, request());
  engine.run();
  EXPECT_FALSE(engine.stop_reason());
  EXPECT_EQ(failed, 2);
  EXPECT_EQ(transport.started(), 1 + 2 * 2);
}

// 100 requests through an engine with `l`, each answer 100 ms after its
// request: the outcomes counted, and each request's company when it was started.
struct HundredRequests {
  int succeeded = 0, failed = 0, cancelled = 0;
  std::optional<std::string> stop_reason;
  llm::EngineStats stats;
  std::vector<size_t> in_flight_at_start; // requests already out when each was started
};

HundredRequests run_hundred(FakeClock& clock, const config::Limits& l,
                            std::function<llm::HttpResponse(int nth)> answer) {
  HundredRequests r;
  FakeTransport* t = nullptr;
  FakeTransport transport(clock, [&](auto&, int n) {
    r.in_flight_at_start.push_back(t->pending());
    return answer(n);
  });
  t = &transport;
  transport.set_latency(100ms);
  llm::Engine engine(endpoint(), l, transport, clock, [&](uint64_t, const llm::ChatOutcome& o) {
    if (o) {
      ++r.succeeded;
    } else {
      (o.error().kind == llm::ErrorKind::cancelled ? r.cancelled : r.failed)++;
    }
  });
  for (uint64_t i = 0; i < 100; ++i) engine.submit(i, request());
  engine.run();
  r.stop_reason = engine.stop_reason();
  r.stats = engine.stats();
  return r;
}

// A server that dies mid-run: once five answers in a row say the endpoint is
// gone, one request at a time probes it, its waits growing, for
// limits.max_outage_wait_s; then the endpoint stops and the rest is not sent
// (a re-run sends it), where every job would have spent its whole attempt
// budget on a dead server.
TEST(EngineTest, AnEndpointThatGoesQuietIsProbedOneRequestAtATimeThenStopped) {
  FakeClock clock;
  config::Limits l = limits(8, 4);
  l.max_outage_wait_s = 60;
  std::vector<llm::Clock::time_point> started;
  const auto r = run_hundred(clock, l, [&](int n) {
    started.push_back(clock.now());
    return n <= 20 ? testenv::ok_response("ok") : refused();
  });
  ASSERT_TRUE(r.stop_reason);
  EXPECT_EQ(*r.stop_reason, "not answering for 60 s (limits.max_outage_wait_s): transport: Failed to connect");
  EXPECT_EQ(r.succeeded, 20);
  EXPECT_EQ(r.failed, 1);                   // the probe
  EXPECT_EQ(r.cancelled, 79);               // not sent, or backing off when the endpoint stopped
  const auto fifth_refusal_read = started[24] + 100ms;
  EXPECT_GE(clock.now() - fifth_refusal_read, 60s);
  EXPECT_LT(clock.now() - started[0], 120s);
  // 20 answered, 8 refused in flight, what replaced them before the fifth
  // refusal was read, then the probe: its attempts and a poll every 4, 8,
  // 16, 30 s or so.
  EXPECT_LE(started.size(), 20u + 8 + 4 + 4 + 6) << "each job its own attempts: 20 + 80 x 4 = 340";
  // Once the fifth refusal is read, nothing is started beside another request.
  for (size_t i = 0; i < started.size(); ++i) {
    if (started[i] > fifth_refusal_read) {
      EXPECT_EQ(r.in_flight_at_start[i], 0u) << i;
    }
  }
}

// Back from a short outage, the endpoint gets its whole window again: the
// probe's answer reopens it, and no job runs out of attempts.
TEST(EngineTest, AnEndpointBackFromAnOutageGetsItsWindowBack) {
  FakeClock clock;
  const auto r = run_hundred(clock, limits(8, 6), [](int n) {
    return n > 20 && n <= 30 ? refused() : testenv::ok_response("ok");
  });
  EXPECT_FALSE(r.stop_reason);
  EXPECT_EQ(r.succeeded, 100);
  ASSERT_EQ(r.in_flight_at_start.size(), 110u);
  const auto last_window = std::vector<size_t>(r.in_flight_at_start.end() - 20, r.in_flight_at_start.end());
  EXPECT_EQ(*std::ranges::max_element(last_window), 7u); // 8 in flight again
}

// An outage longer than a probe's attempts last is ridden out: the probe polls
// without spending its last attempt, and when the server is back every job
// is answered.
TEST(EngineTest, AnOutageLongerThanTheProbesAttemptsIsRiddenOut) {
  FakeClock clock;
  std::optional<llm::Clock::time_point> outage_end;
  const auto r = run_hundred(clock, limits(8, 3), [&](int n) {
    if (n == 21) outage_end = clock.now() + 60s;
    return outage_end && clock.now() < *outage_end ? refused() : testenv::ok_response("ok");
  });
  EXPECT_FALSE(r.stop_reason);
  EXPECT_EQ(r.succeeded, 100);
  EXPECT_GE(clock.now() - *outage_end, 0s);
  EXPECT_LE(r.in_flight_at_start.size(), 100u + 8 + 4 + 2 + 8)
    << "refused: the 8 in flight, their replacements, the probe and its polls";
  EXPECT_EQ(r.stats.retries_by_cause.count("endpoint_down"), 1u);
}

// With limits.max_outage_wait_s 0, an endpoint gone quiet stops as soon as
// the probe's attempts run out, as one that never answered does.
TEST(EngineTest, WithoutAnOutageWaitTheProbesAttemptsDecide) {
  FakeClock clock;
  config::Limits l = limits(8, 4);
  l.max_outage_wait_s = 0;
  const auto r = run_hundred(clock, l, [](int n) { return n <= 20 ? testenv::ok_response("ok") : refused(); });
  ASSERT_TRUE(r.stop_reason);
  EXPECT_EQ(*r.stop_reason, "unreachable after 4 attempts: transport: Failed to connect");
  EXPECT_LE(r.in_flight_at_start.size(), 20u + 8 + 4 + 4); // answered, refused in flight, their replacements, a probe
}

TEST(EngineTest, RequestsPerMinuteArePaced) {
  FakeClock clock;
  FakeTransport transport(clock, [](auto&, int) { return testenv::ok_response("x"); });
  auto l = limits(64);
  l.requests_per_minute = 60; // a burst of 10, then one per second
  llm::Engine engine(endpoint(), l, transport, clock, [](uint64_t, auto&) {});
  for (uint64_t i = 0; i < 15; ++i) engine.submit(i, request());
  engine.run();
  const auto& t = transport.start_times();
  ASSERT_EQ(t.size(), 15u);
  EXPECT_LT(t[9] - t[0], 100ms);
  EXPECT_GE(t[10] - t[0], 900ms);
  EXPECT_GE(t[14] - t[0], 4900ms);
  EXPECT_LT(t[14] - t[0], 6s);
}

TEST(EngineTest, TokensPerMinuteUseTheRequestEstimate) {
  FakeClock clock;
  FakeTransport transport(clock, [](auto&, int n) {
    auto r = testenv::ok_response("x");
    if (n > 1) { // the first reports 15 tokens, the others their whole estimate
      r.body = R"({"choices":[{"message":{"role":"assistant","content":"x"},"finish_reason":"stop"}],)"
               R"("usage":{"prompt_tokens":600,"completion_tokens":0}})";
    }
    return r;
  });
  auto l = limits(64);
  l.tokens_per_minute = 6000; // 100 tokens/s, a bucket of 1000
  llm::Engine engine(endpoint(), l, transport, clock, [](uint64_t, auto&) {});
  for (uint64_t i = 0; i < 3; ++i) {
    auto r = request();
    r.estimated_tokens = 600;
    engine.submit(i, r);
  }
  engine.run();
  const auto& t = transport.start_times();
  ASSERT_EQ(t.size(), 3u);
  // The first call's usage (15 tokens) refunds most of its estimate, so the
  // second starts at once; the third waits for the bucket to refill.
  EXPECT_LT(t[1] - t[0], 100ms);
  EXPECT_GE(t[2] - t[0], 2s);
  EXPECT_LT(t[2] - t[0], 3s);
}

TEST(EngineTest, OverloadHalvesTheWindowAndSuccessGrowsItBack) {
  FakeClock clock;
  FakeTransport transport(clock, [](auto&, int n) {
    if (n >= 2 && n <= 9) {
      return testenv::status_response(429, R"({"error":{"code":"rate_limit_exceeded"}})",
                                      {{"retry-after-ms", "10"}});
    }
    return testenv::ok_response("x");
  });
  int smallest = 1000;
  llm::Engine engine(endpoint(), limits(8), transport, clock, [](uint64_t, auto&) {});
  engine.set_progress([&](const llm::EngineStats& s) {
    if (s.window > 0) smallest = std::min(smallest, s.window);
  });
  for (uint64_t i = 0; i < 60; ++i) engine.submit(i, request());
  engine.run();
  EXPECT_EQ(smallest, 4);              // one burst of 429s halves once, not eight times
  EXPECT_EQ(engine.stats().window, 8); // grown back by the successes
  EXPECT_EQ(engine.stats().retries, 8);
}

TEST(EngineTest, WindowNeverDropsBelowOne) {
  FakeClock clock;
  FakeTransport transport(clock, [](auto&, int n) {
    return n == 1 || n > 40 ? testenv::ok_response("x") : testenv::status_response(503, "{}");
  });
  int smallest = 1000;
  auto l = limits(4, 100);
  l.backoff_base_s = 1.5; // each retry lands after the one-second shrink guard
  llm::Engine engine(endpoint(), l, transport, clock, [](uint64_t, auto&) {});
  engine.set_progress([&](const llm::EngineStats& s) {
    if (s.window > 0) smallest = std::min(smallest, s.window);
  });
  for (uint64_t i = 0; i < 4; ++i) engine.submit(i, request());
  engine.run();
  EXPECT_EQ(smallest, 1);
  EXPECT_EQ(transport.started(), 43); // 1 success, 39 answers 503, then 3 successes
}

TEST(EngineTest, NothingNewIsSentAfterTheDeadline) {
  FakeClock clock;
  FakeTransport transport(clock, [](auto&, int) { return testenv::ok_response("x"); });
  auto l = limits(1);
  l.requests_per_minute = 60; // ten at once, then one a second
  std::vector<std::string> cancelled;
  llm::Engine engine(endpoint(), l, transport, clock, [&](uint64_t, const auto& o) {
    if (!o) cancelled.push_back(o.error().message);
  });
  const auto deadline = clock.now() + 2500ms;
  engine.set_halt([&]() -> std::optional<std::string> {
    if (clock.now() >= deadline) return "the run deadline passed";
    return std::nullopt;
  });
  for (uint64_t i = 0; i < 20; ++i) engine.submit(i, request());
  engine.run();
  EXPECT_EQ(transport.started(), 12); // the burst of 10, then at 1 s and 2 s
  ASSERT_EQ(cancelled.size(), 8u);
  EXPECT_EQ(cancelled[0], "not sent: the run deadline passed");
}

// Halted in the middle of a wake-up's answers (Ctrl-C): not one more request
// is started, the answers in flight are all delivered, and what waits is
// cancelled with the reason.
TEST(EngineTest, AHaltedRunStartsNothingMoreAndKeepsWhatWasInFlight) {
  FakeClock clock;
  FakeTransport* self = nullptr;
  FakeTransport transport(clock, [&](auto&, int n) {
    if (n == 1) self->set_latency(100ms); // an instant probe: four start at once
    return testenv::ok_response("x");
  });
  self = &transport;
  bool interrupted = false;
  int answered = 0;
  std::vector<std::string> cancelled;
  llm::Engine engine(endpoint(), limits(4), transport, clock, [&](uint64_t, const auto& o) {
    if (!o) {
      cancelled.push_back(o.error().message);
      return;
    }
    ++answered;
    if (answered == 2) interrupted = true; // the first of the four answers that arrive together
  });
  engine.set_halt([&]() -> std::optional<std::string> {
    if (interrupted) return "the run was interrupted";
    return std::nullopt;
  });
  for (uint64_t i = 0; i < 12; ++i) engine.submit(i, request());
  engine.run();
  EXPECT_EQ(transport.started(), 5);
  EXPECT_EQ(answered, 5);
  ASSERT_EQ(cancelled.size(), 7u);
  EXPECT_EQ(cancelled[0], "not sent: the run was interrupted");
}

// Requests are built as the engine needs them: never more than two windows
// wait unsent, and every one the source offers is run.
TEST(EngineTest, ASourceIsAskedForWorkOnlyWhileFewerThanTwoWindowsWait) {
  FakeClock clock;
  FakeTransport transport(clock, [](auto&, int) { return testenv::ok_response("x"); });
  int done = 0;
  llm::Engine engine(endpoint(), limits(4), transport, clock, [&](uint64_t, auto&) { ++done; });
  uint64_t made = 0;
  size_t most_unsent = 0;
  engine.set_source([&](size_t wanted, bool) {
    for (size_t i = 0; i < wanted && made < 100; ++i) engine.submit(made++, request());
    most_unsent = std::max<size_t>(most_unsent, made - static_cast<size_t>(transport.started()));
    return made < 100;
  });
  engine.run();
  EXPECT_EQ(made, 100u);
  EXPECT_EQ(done, 100);
  EXPECT_EQ(transport.started(), 100);
  EXPECT_LE(most_unsent, 8u); // two windows of 4
}

// A stopped endpoint takes everything the source still has, so all of it is
// cancelled (or rerouted by the caller) rather than silently never planned.
TEST(EngineTest, AStoppedEndpointDrainsItsSource) {
  FakeClock clock;
  FakeTransport transport(clock, bad_key);
  int cancelled = 0, failed = 0;
  llm::Engine engine(endpoint("sk-x"), limits(2), transport, clock,
                     tally(cancelled, failed));
  uint64_t made = 0;
  engine.set_source([&](size_t wanted, bool) {
    for (size_t i = 0; i < wanted && made < 50; ++i) engine.submit(made++, request());
    return made < 50;
  });
  engine.run();
  EXPECT_EQ(transport.started(), 1);
  EXPECT_EQ(failed, 1);
  EXPECT_EQ(cancelled, 49);
}

TEST(EngineTest, CallbacksMaySubmitMoreWork) {
  FakeClock clock;
  FakeTransport transport(clock, [](auto&, int) { return testenv::ok_response("x"); });
  int done = 0;
  llm::Engine* self = nullptr;
  llm::Engine engine(endpoint(), limits(), transport, clock, [&](uint64_t id, auto&) {
    ++done;
    if (id < 5) self->submit(id + 1, request());
  });
  self = &engine;
  engine.submit(0, request());
  engine.run();
  EXPECT_EQ(done, 6);
}

// Answers that arrive together are each replaced as soon as each is read:
// sending the replacements only after the whole wake-up's answers kept them
// together as a clump, round trip after round trip.
TEST(EngineTest, EachAnswersReplacementIsStartedBeforeTheNextAnswerIsRead) {
  FakeClock clock;
  FakeTransport* self = nullptr;
  FakeTransport transport(clock, [&](auto&, int n) {
    if (n == 1) self->set_latency(100ms); // an instant probe: the window opens at once
    return testenv::ok_response("x");
  });
  self = &transport;
  std::vector<int> started_when_read;
  llm::Engine engine(endpoint(), limits(4), transport, clock,
                     [&](uint64_t, auto&) { started_when_read.push_back(transport.started()); });
  for (uint64_t i = 0; i < 12; ++i) engine.submit(i, request());
  engine.run();
  // The probe; four answers at 100 ms, four at 200 ms, three at 300 ms.
  EXPECT_EQ(started_when_read, (std::vector<int>{1, 5, 6, 7, 8, 9, 10, 11, 12, 12, 12, 12}));
}

} // namespace

namespace {

const char* k_loading = R"({"error":{"code":503,"message":"Loading model","type":"unavailable_error"}})";

// llama.cpp while its model loads: polled every 2 s without spending the
// request's attempts, until the model answers.
TEST(EngineTest, AServerLoadingItsModelIsWaitedForWithoutSpendingAttempts) {
  FakeClock clock;
  FakeTransport transport(clock, [](auto&, int n) {
    return n <= 10 ? testenv::status_response(503, k_loading) : testenv::ok_response("ready");
  });
  std::optional<llm::ChatOutcome> result;
  llm::Engine engine(endpoint(), limits(4, 2), transport, clock,
                     [&](uint64_t, const llm::ChatOutcome& o) { result = o; });
  engine.submit(1, request());
  engine.run();
  ASSERT_TRUE(result && result->has_value()) << (result ? llm::describe(result->error()) : "");
  EXPECT_EQ(transport.started(), 11);
  EXPECT_EQ(engine.stats().retries_by_cause.at("model_loading"), 10);
  EXPECT_GE(transport.start_times()[1] - transport.start_times()[0], 2s);
}

TEST(EngineTest, ALoadThatNeverEndsFailsAfterMaxLoadWait) {
  FakeClock clock;
  FakeTransport transport(clock, [](auto&, int) { return testenv::status_response(503, k_loading); });
  std::optional<llm::ChatOutcome> result;
  config::Limits l = limits(4, 2);
  l.max_load_wait_s = 10;
  l.backoff_base_s = 0.01;
  llm::Engine engine(endpoint(), l, transport, clock,
                     [&](uint64_t, const llm::ChatOutcome& o) { result = o; });
  engine.submit(1, request());
  engine.run();
  ASSERT_TRUE(result && !result->has_value());
  EXPECT_EQ(result->error().kind, llm::ErrorKind::overloaded);
  EXPECT_LE(transport.started(), 10) << "about 10 s of polls, then the ordinary attempt budget";
  EXPECT_GE(transport.started(), 6);
}

} // namespace

namespace {

TEST(EngineTest, OverloadedLongerThanTheLimitParksTheEndpoint) {
  FakeClock clock;
  FakeTransport transport(clock, [](auto&, int n) {
    return n == 1 ? testenv::ok_response("first") : testenv::status_response(529, R"({"error":{"type":"overloaded_error"}})");
  });
  std::map<uint64_t, llm::ChatOutcome> out;
  config::Limits l = limits(1, 100);
  l.park_after_overloaded_s = 30;
  l.backoff_max_s = 4;
  llm::Engine engine(endpoint(), l, transport, clock,
                     [&](uint64_t id, const llm::ChatOutcome& o) { out.emplace(id, o); });
  for (uint64_t i = 0; i < 3; ++i) engine.submit(i, request());
  engine.run();
  ASSERT_TRUE(engine.stop_reason());
  EXPECT_EQ(engine.stop_reason()->find("overloaded for more than 30 s (limits.park_after_overloaded_s)"), 0u)
    << *engine.stop_reason();
  EXPECT_TRUE(out.at(0).has_value());
  // Whichever of the other two was in flight failed overloaded; the other was never sent.
  const int cancelled = (out.at(1).error().kind == llm::ErrorKind::cancelled) +
                        (out.at(2).error().kind == llm::ErrorKind::cancelled);
  EXPECT_LE(cancelled, 1);
  EXPECT_LT(transport.started(), 30) << "parked after about 30 s of backoff, not after 100 attempts";
}

} // namespace
