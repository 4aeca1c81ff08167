// Sends chat requests through a provider's batch API instead of one HTTP
// request each: what the source has is drawn and packed into batches within
// the provider's limits, each batch created as it fills (the requests'
// lines wait on disk, not in memory), polled every poll interval, and
// each ended batch's results joined back to their requests by custom_id and
// decoded by the live codec, so every answer passes the same checks
// (truncated, refused, empty, input too long). What a batch did not answer
// (expired, cancelled, a retryable error line, a line the validation
// rejected while the rest were fine) goes into the next batch, within the
// attempt budget. Answers handed to OnDone may submit more requests (article
// summaries, larger budgets, halves of a section); they form the next batch.
//
// A batch is paid for when it is created, so it is recorded in a journal
// before anything else happens; a re-run that plans the same requests finds
// them in the journal's open batches and waits for those instead of sending
// them again. A run waits only for batches that hold its own requests; the
// answers a batch brings for requests the run does not plan (its inputs or
// config changed since, or the articles are not in this run) are banked in
// the journal, and a later run that plans them takes them from there.
#pragma once

#include "config/config.hpp"
#include "llm/batch_api.hpp"
#include "llm/codec.hpp"
#include "llm/dispatcher.hpp"
#include "llm/retry.hpp"
#include "util/file.hpp"

#include <deque>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace llm {

// Where created batches are remembered until their results are in.
class BatchJournal {
public:
  struct Record {
    std::string batch_id;
    std::vector<std::string> custom_ids; // in line order
    int64_t created = 0;                 // unix seconds, when it was recorded
  };
  virtual ~BatchJournal() = default;
  virtual std::vector<Record> open_batches(const std::string& endpoint) = 0;
  // Durable when it returns.
  virtual void opened(const std::string& endpoint, const Record& record) = 0;
  virtual void closed(const std::string& batch_id) = 0;
  // Durable when it returns: the record made before the create call gets
  // the id the provider answered with (or was found under later).
  virtual void confirmed(const std::string& recorded_id, const std::string& batch_id) = 0;

  // Answers to requests the collecting run did not plan, each as its result
  // file's line: kept (durable with the run's next commit of its answers)
  // until a run plans the request again and claims it instead of paying again.
  virtual void bank(const std::string& endpoint, const std::string& custom_id, std::string_view line) = 0;
  virtual std::vector<std::string> banked(const std::string& endpoint) = 0;
  // The line, taken out of the bank with the next commit of the answers.
  virtual std::optional<std::string> claim(const std::string& custom_id) = 0;
};

struct BatchSettings {
  double poll_s = 30;
  BatchLimits limits;
  // Where each request's line waits on disk until its batch is answered
  // (the cache's folder); empty: the system's temporary folder.
  std::filesystem::path spill_dir;
};

class BatchEngine : public Dispatcher {
public:
  BatchEngine(Endpoint endpoint, const config::Limits& limits, BatchSettings settings,
              Transport& transport, const Clock& clock, BatchJournal& journal, OnDone on_done);

  void submit(uint64_t id, ChatRequest request) override;
  // A request let go is left in its batch (or in the next one created); its
  // answer is banked when the batch is collected, and run() waits for that.
  // One being taken from the bank, or not yet admitted (--max-cost), cannot be.
  bool let_go(const std::vector<uint64_t>& ids) override;
  // Returns when every request is answered or failed and the answers of
  // those let go are banked, or when the run was halted (set_halt) or the
  // endpoint stopped: requests still in a batch then end as cancelled ("still
  // in batch ...") and stay in the journal for a re-run. May be called again
  // with a new source: what was banked meanwhile is claimed.
  void run() override;
  void set_retry_policy(RetryPolicy policy) { m_policy = std::move(policy); }

  // The journal's name for this endpoint: provider and base URL.
  static std::string journal_key(const Endpoint& endpoint);

private:
  struct Item {
    std::vector<uint64_t> ids;        // one request, asked by one job or several
    ChatRequest request;              // without its messages (the line has them): what decoding needs
    util::SpillFile::Span line;       // in m_lines: sent again from there if need be
    int attempts = 0;                 // batches it was sent in
    std::string batch;                // the open batch holding it; empty: unsent
    bool earlier = false;             // in a batch an earlier run sent, or answered in the bank
    bool admitted = false;            // passed --max-cost once
    bool claiming = false;            // its answer is being taken from the bank
  };
  struct Open {
    std::string id;                   // or, until the provider confirms creating it, the record's
    std::vector<std::string> custom_ids;
    std::string last_status;
    int64_t created = 0;              // unix seconds, when it was recorded
    bool earlier = false;             // sent by an earlier run
    size_t let_go = 0;                // requests in it whose caller let them go: answers to bank
  };
  enum class Lookup { found, absent, unknown };
  using Exchange = std::expected<HttpResponse, ChatError>;

  void load_journal();
  bool waits_for_let_go() const;
  Open& open_batch(const std::string& batch_id);
  void drop_let_go(const std::string& custom_id, const std::string& batch_id);
  void draw();
  bool batch_full() const;
  void claim_banked();
  void end_run(const std::string& message);
  void leave_foreign_batches();
  void queue_unsent(const std::string& custom_id);
  void send_unsent(bool whole_batches_only);
  BatchLines lines_of(const std::vector<std::string>& custom_ids) const;
  void create_batch(std::vector<std::string> custom_ids);
  void not_created(const std::vector<std::string>& custom_ids, const std::expected<HttpResponse, ChatError>& answer,
                   const std::string& no_id);
  void poll_open();
  bool poll(Open& batch);
  bool collect(const Open& batch, const BatchStatus& status);
  void reject_lines(const Open& batch, const BatchStatus& status);
  Lookup look_up(Open& batch);
  bool created_for(const Open& recorded, const BatchStatus& listed) const;
  void confirm(Open& batch, const std::string& batch_id);
  void forget(const Open& batch, const std::string& why);
  void use_result(const Open& batch, const BatchResult& result, size_t& banked, size_t& unknown);
  void for_each_line_block(util::SpillFile::Span file, const std::function<void(std::string_view lines)>& each) const;
  void finish_with(const BatchResult& result); // decoded and checked as a live answer would be
  void finish(const std::string& custom_id, const ChatOutcome& outcome);
  void retry_or_fail(const std::string& custom_id, const ChatError& error);
  void fail_items(const std::vector<std::string>& custom_ids, const ChatError& error);
  void end_all(const std::string& message);
  // One control request (upload, create, status, download), retried per
  // RetryPolicy on transport errors, 429 and 5xx. A stop verdict stops the
  // endpoint. A call that is not idempotent (the create) is not retried on a
  // failure after which it may have taken effect: that error is returned.
  Exchange call(const HttpRequest& request, const std::string& what, bool idempotent = true);
  HttpResponse exchange(const HttpRequest& request);
  void pause(Clock::duration how_long);
  void report_progress();

  Endpoint m_endpoint;
  const Codec& m_codec;
  config::Limits m_limits;
  BatchSettings m_settings;
  Transport& m_transport;
  const Clock& m_clock;
  BatchJournal& m_journal;
  RetryPolicy m_policy;
  std::unordered_map<std::string, Item> m_items; // by custom_id
  std::deque<std::string> m_unsent;              // custom_ids in submission order
  size_t m_unsent_bytes = 0;                     // their lines'
  util::SpillFile m_lines;                       // each waiting request's line, and result files being read
  std::vector<Open> m_open;
  // custom_id → the open batch holding it: an earlier run's, or this run's for a request let go
  std::unordered_map<std::string, std::string> m_resumed;
  // custom_ids answered into the bank → whether by a batch an earlier run sent
  // (by this run's: requests let go, to be claimed when submitted again).
  std::unordered_map<std::string, bool> m_banked;
  std::unordered_map<uint64_t, std::string> m_custom_id_of; // submitted id → its item
  bool m_journal_loaded = false;
  bool m_foreign_told = false;
  std::vector<std::string> m_claims;            // submitted, and in m_banked: taken from the bank
  uint64_t m_next_tag = 1;
};

} // namespace llm
