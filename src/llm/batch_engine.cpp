#include "llm/batch_engine.hpp"

#include "llm/errors.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>

namespace llm {

using namespace std::chrono_literals;

namespace {

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

ChatError batch_error(ErrorKind kind, std::string message) {
  ChatError e;
  e.kind = kind;
  e.message = std::move(message);
  return e;
}

// A batch is recorded under this prefix until the provider's answer to its
// create call gives it an id: OpenAI's followed by the uploaded file's id
// (which finds it again), Anthropic's by its first custom_id.
constexpr std::string_view k_unconfirmed = "unconfirmed:";
constexpr int k_lookup_pages = 10;          // of 100 batches, newest first
constexpr double k_lookup_back_s = 600;     // listed batches this much older than the record end the look-up
constexpr double k_clock_skew_s = 60;       // between this machine and the provider
constexpr double k_create_latency_s = 600;  // from the record to the provider creating the batch

bool unconfirmed(const std::string& batch_id) {
  return batch_id.starts_with(k_unconfirmed);
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
    .count();
}

// A failed call that may still have taken effect on the server: the answer
// was lost on the way back, or a gateway or the server failed after
// accepting it.
bool maybe_done(const ChatError& error) {
  return error.kind == ErrorKind::transport || error.kind == ErrorKind::gateway || error.status >= 500;
}

} // namespace

BatchEngine::BatchEngine(Endpoint endpoint, const config::Limits& limits, BatchSettings settings,
                         Transport& transport, const Clock& clock, BatchJournal& journal,
                         OnDone on_done)
  : Dispatcher(std::move(on_done)), m_endpoint(std::move(endpoint)),
    m_codec(codec_for(m_endpoint.provider)), m_limits(limits), m_settings(settings),
    m_transport(transport), m_clock(clock), m_journal(journal), m_policy(limits),
    m_lines(m_settings.spill_dir.empty() ? std::filesystem::temp_directory_path() : m_settings.spill_dir) {
  m_endpoint.stream = false; // a batch answers whole
}

std::string BatchEngine::journal_key(const Endpoint& endpoint) {
  return fmt::format("{} {}", provider_name(endpoint.provider), redact_url(endpoint.base_url));
}

void BatchEngine::submit(uint64_t id, ChatRequest request) {
  BatchLine line = batch_line(request, m_endpoint);
  auto [it, fresh] = m_items.try_emplace(line.custom_id);
  Item& item = it->second;
  item.ids.push_back(id);
  m_custom_id_of.emplace(id, line.custom_id);
  if (!fresh) {
    return; // the same request is on its way already: one line answers both
  }
  // The line waits on disk (and is sent again from there if need be); what
  // stays in memory is what decoding the answer needs.
  item.line = m_lines.append(line.line);
  std::vector<Message>().swap(request.messages);
  item.request = std::move(request);
  const auto banked = m_banked.find(line.custom_id);
  const auto resumed = m_resumed.find(line.custom_id);
  if (banked != m_banked.end()) {
    // Answered into the bank: by an earlier run's batch, or by this run's
    // for a request let go.
    item.attempts = 1;
    item.earlier = banked->second;
    item.claiming = true;
    ++m_stats.in_flight;
    m_claims.push_back(line.custom_id);
    m_banked.erase(banked);
    return;
  }
  if (resumed != m_resumed.end()) { // in a batch sent earlier (a request let go, or an earlier run's): waited for
    item.attempts = 1;
    item.earlier = open_batch(resumed->second).earlier;
    ++m_stats.in_flight;
    item.batch = resumed->second;
    return;
  }
  queue_unsent(line.custom_id);
}

bool BatchEngine::let_go(const std::vector<uint64_t>& ids) {
  for (uint64_t id : ids) {
    const auto it = m_custom_id_of.find(id);
    if (it == m_custom_id_of.end()) return false;
    const Item& item = m_items.at(it->second);
    if (item.claiming || (m_admit && !item.admitted)) return false;
  }
  for (uint64_t id : ids) {
    auto custom_id = m_custom_id_of.extract(id);
    Item& item = m_items.at(custom_id.mapped());
    std::erase(item.ids, id);
    if (!item.ids.empty() || item.batch.empty()) {
      continue; // asked by another caller still, or let go when its batch is created
    }
    ++open_batch(item.batch).let_go;
    drop_let_go(custom_id.mapped(), item.batch);
  }
  return true;
}

// A request let go, in `batch_id`: its line's disk given back, and where it
// waits remembered, so a caller asking it again meanwhile waits there too.
void BatchEngine::drop_let_go(const std::string& custom_id, const std::string& batch_id) {
  m_lines.release(m_items.at(custom_id).line);
  m_resumed.emplace(custom_id, batch_id);
  m_items.erase(custom_id);
}

BatchEngine::Open& BatchEngine::open_batch(const std::string& batch_id) {
  return *std::ranges::find(m_open, batch_id, &Open::id);
}

// A run waits for the batches holding requests let go: their answers are
// what the caller will submit those requests again for.
bool BatchEngine::waits_for_let_go() const {
  return std::ranges::any_of(m_open, [](const Open& o) { return o.let_go > 0; });
}

void BatchEngine::queue_unsent(const std::string& custom_id) {
  m_unsent.push_back(custom_id);
  m_unsent_bytes += m_items.at(custom_id).line.size + 1;
  ++m_stats.waiting;
}

void BatchEngine::load_journal() {
  if (std::exchange(m_journal_loaded, true)) return;
  for (auto& record : m_journal.open_batches(journal_key(m_endpoint))) {
    if (unconfirmed(record.batch_id)) {
      spdlog::info("a batch of {} requests to {}: an earlier run ended before the provider confirmed creating it; "
                   "looking it up before sending them again", record.custom_ids.size(), redact_url(m_endpoint.base_url));
    } else {
      spdlog::info("batch {}: sent by an earlier run with {} requests; collecting its answers",
                   record.batch_id, record.custom_ids.size());
    }
    for (const auto& custom_id : record.custom_ids) m_resumed.emplace(custom_id, record.batch_id);
    m_open.push_back({record.batch_id, std::move(record.custom_ids), "", record.created, true});
  }
  for (auto& custom_id : m_journal.banked(journal_key(m_endpoint))) m_banked.emplace(std::move(custom_id), true);
}

void BatchEngine::run() {
  load_journal();
  auto next_poll = m_clock.now();
  for (;;) {
    draw();
    claim_banked();
    if (m_stop_reason) {
      end_run("not sent: the endpoint was stopped");
      return;
    }
    if (const auto why = halted()) {
      end_run("not sent: " + *why);
      return;
    }
    send_unsent(m_source != nullptr);
    if (m_stop_reason || m_source) {
      continue; // the rest is drawn before the wait
    }
    if (m_items.empty() && !waits_for_let_go()) {
      leave_foreign_batches();
      return;
    }
    pause(next_poll - m_clock.now());
    next_poll = m_clock.now() + seconds(m_settings.poll_s);
    poll_open();
    report_progress();
  }
}

// Draws from the source until a batch is full or the source is done: a large
// folder is planned and sent a batch at a time, and each batch is created
// while the rest is still being planned. It is drawn a slice at a time, the
// slice's answers in the bank taken before the next: what they answer is
// done with (or let go) before more is planned.
void BatchEngine::draw() {
  constexpr size_t k_slice = 1024;
  while (m_source && !batch_full()) {
    const size_t room = m_settings.limits.max_requests - std::min(m_unsent.size(), m_settings.limits.max_requests);
    if (!m_source(std::min(room, k_slice), true)) m_source = nullptr;
    claim_banked();
  }
}

// Claims count too: the articles they answer are held until they are taken.
bool BatchEngine::batch_full() const {
  return m_unsent.size() + m_claims.size() >= m_settings.limits.max_requests ||
         m_unsent_bytes >= m_settings.limits.max_bytes;
}

// The run ends early: what waits is cancelled and what is in a batch left
// for a re-run, and so is the rest of the source, drawn a batch at a time,
// so every article is still planned, reported and exported.
void BatchEngine::end_run(const std::string& message) {
  for (;;) {
    end_all(message);
    if (m_after_answers) m_after_answers();
    if (!m_source) return;
    draw();
    claim_banked();
  }
}

// The bank's answers to requests this run submitted, each decoded and
// checked as if its batch had just been collected; what an answer releases
// may be banked too. An answer gone from the bank (another run took it) or
// unreadable leaves the request to be sent.
void BatchEngine::claim_banked() {
  size_t taken = 0, earlier = 0;
  while (!m_claims.empty()) {
    for (const std::string& custom_id : std::exchange(m_claims, {})) {
      const std::optional<std::string> line = m_journal.claim(custom_id);
      size_t skipped = 0;
      const std::vector<BatchResult> results =
        line ? parse_batch_results(m_endpoint.provider, *line, skipped) : std::vector<BatchResult>{};
      if (results.size() != 1 || results[0].custom_id != custom_id) {
        Item& item = m_items.at(custom_id);
        item.attempts = 0;
        item.earlier = false;
        item.claiming = false;
        --m_stats.in_flight;
        queue_unsent(custom_id);
        continue;
      }
      Item& item = m_items.at(custom_id);
      item.claiming = false;
      ++taken;
      earlier += item.earlier ? 1 : 0;
      finish_with(results[0]);
    }
  }
  if (taken > 0 && m_after_answers) m_after_answers();
  if (earlier > 0) {
    spdlog::info("{} answers taken from batches earlier runs collected; not sent again", earlier);
  }
}

// Every request of this run is over; what is still open holds only requests
// it does not plan, and waiting up to a day for those would hold the run for
// nothing: they stay in the journal, and a run that plans them collects them.
void BatchEngine::leave_foreign_batches() {
  if (std::exchange(m_foreign_told, true)) return;
  for (const Open& batch : m_open) {
    spdlog::info("batch {}: sent by an earlier run for {} requests this run does not plan; left for a run "
                 "that plans them", batch.id, batch.custom_ids.size());
  }
}

// Packs the unsent requests, in submission order, into batches within the
// provider's line and byte limits; while more is to be drawn, only batches
// that are full (a batch ends where the next line would not fit).
void BatchEngine::send_unsent(bool whole_batches_only) {
  while (!m_unsent.empty() && !m_stop_reason) {
    std::vector<std::string> chunk;
    size_t bytes = 0;
    while (!m_unsent.empty()) {
      Item& item = m_items.at(m_unsent.front());
      const size_t size = item.line.size + 1;
      if (!item.admitted && m_admit && !m_admit(item.ids.front())) {
        --m_stats.waiting;
        m_unsent_bytes -= size;
        const std::string refused = std::move(m_unsent.front());
        m_unsent.pop_front();
        fail_items({refused}, batch_error(ErrorKind::cancelled, m_refusal));
        continue;
      }
      item.admitted = true;
      if (!chunk.empty() &&
          (chunk.size() >= m_settings.limits.max_requests || bytes + size > m_settings.limits.max_bytes)) {
        break;
      }
      chunk.push_back(std::move(m_unsent.front()));
      m_unsent.pop_front();
      bytes += size;
    }
    if (chunk.empty()) {
      return;
    }
    const bool full = chunk.size() >= m_settings.limits.max_requests || !m_unsent.empty();
    if (whole_batches_only && !full) {
      m_unsent.insert(m_unsent.begin(), std::make_move_iterator(chunk.begin()), std::make_move_iterator(chunk.end()));
      return; // more is drawn first
    }
    m_unsent_bytes -= bytes;
    create_batch(std::move(chunk));
  }
}

// The lines of `custom_ids`, read from disk as the upload (or Anthropic's
// create call) sends them.
BatchLines BatchEngine::lines_of(const std::vector<std::string>& custom_ids) const {
  auto spans = std::make_shared<std::vector<util::SpillFile::Span>>();
  BatchLines lines;
  for (const auto& c : custom_ids) {
    spans->push_back(m_items.at(c).line);
    lines.sizes.push_back(spans->back().size);
  }
  lines.read = [this, spans](size_t line, uint64_t offset, char* buffer, size_t max) {
    return m_lines.read_into((*spans)[line], offset, buffer, max);
  };
  return lines;
}

void BatchEngine::create_batch(std::vector<std::string> custom_ids) {
  std::string file_id;
  if (m_endpoint.provider != Provider::anthropic) {
    Exchange uploaded = call(upload_request(m_endpoint, lines_of(custom_ids)), "uploading the batch file");
    if (uploaded) file_id = created_id(*uploaded).value_or("");
    if (!uploaded || file_id.empty()) {
      not_created(custom_ids, uploaded, "uploading the batch file: no file id in ");
      return;
    }
  }
  // Recorded before the create call: a run killed before its answer arrives
  // leaves a record the next run looks up instead of paying again.
  const std::string recorded = std::string(k_unconfirmed) + (file_id.empty() ? custom_ids.front() : file_id);
  m_journal.opened(journal_key(m_endpoint), {recorded, custom_ids, unix_now()});
  const BatchLines inline_lines = file_id.empty() ? lines_of(custom_ids) : BatchLines{};
  Exchange created = call(create_request(m_endpoint, file_id, inline_lines), "creating the batch", false);
  std::string batch_id = created ? created_id(*created).value_or("") : "";
  if (!batch_id.empty()) {
    m_journal.confirmed(recorded, batch_id);
  } else if (created || maybe_done(created.error())) {
    spdlog::warn("a batch of {} requests to {}: the create call {}; it may have been created all the same, so it is "
                 "looked up before anything is sent again", custom_ids.size(), redact_url(m_endpoint.base_url),
                 created ? "answered without a batch id: " + excerpt(created->body) : "failed (" + describe(created.error()) + ")");
    batch_id = recorded;
  } else {
    m_journal.closed(recorded);
    not_created(custom_ids, created, "");
    return;
  }
  size_t let_go = 0;
  for (const auto& c : custom_ids) {
    Item& item = m_items.at(c);
    if (item.ids.empty()) { // its caller let it go while it waited
      drop_let_go(c, batch_id);
      ++let_go;
      continue;
    }
    item.batch = batch_id;
    ++item.attempts;
  }
  m_stats.sent += static_cast<int>(custom_ids.size());
  m_stats.waiting -= static_cast<int>(custom_ids.size());
  m_stats.in_flight += static_cast<int>(custom_ids.size());
  if (!unconfirmed(batch_id)) {
    spdlog::info("batch {}: {} requests sent to {} ({} batch API: answers within 24 h, polled every {:g} s)",
                 batch_id, custom_ids.size(), redact_url(m_endpoint.base_url),
                 provider_name(m_endpoint.provider), m_settings.poll_s);
  }
  m_open.push_back({batch_id, std::move(custom_ids), "", unix_now(), false, let_go});
}

// The upload or the create call failed, or answered without an id: the
// requests fail with that error. A 404 there means the base URL has no batch
// API, which no other request can change.
void BatchEngine::not_created(const std::vector<std::string>& custom_ids, const Exchange& answer,
                              const std::string& no_id) {
  const ChatError error = answer ? batch_error(ErrorKind::malformed, no_id + excerpt(answer->body)) : answer.error();
  if (error.kind == ErrorKind::not_found && !m_stop_reason) {
    m_stop_reason = fmt::format("{}; {} has no batch API there: check base_url or set batch: false",
                                describe(error), redact_url(m_endpoint.base_url));
  }
  m_stats.waiting -= static_cast<int>(custom_ids.size());
  fail_items(custom_ids, error);
}

void BatchEngine::poll_open() {
  for (size_t i = 0; i < m_open.size() && !m_stop_reason;) {
    if (poll(m_open[i])) {
      m_open.erase(m_open.begin() + static_cast<long>(i));
    } else {
      ++i;
    }
  }
}

// True when the batch ended and its results were handed on.
bool BatchEngine::poll(Open& batch) {
  if (unconfirmed(batch.id)) {
    const Lookup found = look_up(batch);
    if (found == Lookup::absent) {
      spdlog::warn("a batch of {} requests to {}: the provider has no such batch, so it was not created; they are "
                   "sent again", batch.custom_ids.size(), redact_url(m_endpoint.base_url));
      forget(batch, "its batch was not created");
      return true;
    }
    if (found == Lookup::unknown) {
      return false; // the list call failed, retried within call(); the record waits for a re-run
    }
  }
  Exchange answer = call(status_request(m_endpoint, batch.id), "batch " + batch.id + ": reading its status");
  if (!answer && answer.error().kind == ErrorKind::not_found) {
    // Not this key's, or deleted: its requests are sent again.
    spdlog::warn("batch {}: the endpoint does not know it ({}); its requests are sent again", batch.id,
                 describe(answer.error()));
    forget(batch, fmt::format("no answer from batch {}", batch.id));
    return true;
  }
  if (!answer) {
    return false; // retried within call(); anything but a 404 stopped the endpoint
  }
  const std::optional<BatchStatus> status = parse_batch_status(m_endpoint.provider, *answer, m_endpoint);
  if (!status) {
    spdlog::warn("batch {}: the status answer is not a batch: {}", batch.id, excerpt(answer->body));
    return false;
  }
  if (status->status != batch.last_status) {
    spdlog::info("batch {}: {} ({} of {} requests done)", batch.id, status->status, status->finished,
                 status->total);
    batch.last_status = status->status;
  }
  if (status->phase == BatchPhase::running) {
    return false;
  }
  if (status->phase == BatchPhase::failed) {
    reject_lines(batch, *status);
  } else if (!collect(batch, *status)) {
    return false; // the results are still there: the batch stays in the journal
  }
  forget(batch, fmt::format("no answer from batch {}", batch.id));
  return true;
}

// A batch recorded before its create call whose answer never came (the run
// was killed, a gateway failed) is looked for among the key's batches, newest
// first, down to a few minutes before it was recorded. OpenAI's is the one
// running the uploaded file. Anthropic's batches name neither a file nor
// their requests, so it is one of the same size created within minutes of
// the record; were that guess wrong, its results would hold none of these
// custom_ids, and the requests would be sent again when it ends.
BatchEngine::Lookup BatchEngine::look_up(Open& batch) {
  std::string after;
  for (int page = 0; page < k_lookup_pages; ++page) {
    Exchange answer = call(list_request(m_endpoint, after), "looking up a batch whose creation was not confirmed");
    if (!answer) {
      // Failing for good stopped the endpoint (the record waits for a re-run);
      // a 404 or 400 means there is no list to look in, and nothing else can tell.
      return m_stop_reason ? Lookup::unknown : Lookup::absent;
    }
    const std::optional<BatchList> list = parse_batch_list(m_endpoint.provider, *answer, m_endpoint);
    if (!list) {
      spdlog::warn("the list of batches is not one: {}", excerpt(answer->body));
      return Lookup::absent;
    }
    for (const BatchStatus& listed : list->batches) {
      const bool known = std::any_of(m_open.begin(), m_open.end(), [&](const Open& o) { return o.id == listed.id; });
      if (listed.created_at > 0 && listed.created_at < static_cast<double>(batch.created) - k_lookup_back_s) {
        return Lookup::absent; // older than the record: the rest are older still
      }
      if (!known && created_for(batch, listed)) {
        confirm(batch, listed.id);
        return Lookup::found;
      }
    }
    if (!list->has_more || list->last_id.empty()) {
      return Lookup::absent;
    }
    after = list->last_id;
  }
  return Lookup::absent;
}

bool BatchEngine::created_for(const Open& recorded, const BatchStatus& listed) const {
  if (m_endpoint.provider != Provider::anthropic) {
    return listed.input_file_id == recorded.id.substr(k_unconfirmed.size());
  }
  const double recorded_at = static_cast<double>(recorded.created);
  return listed.total == static_cast<int>(recorded.custom_ids.size()) &&
         listed.created_at >= recorded_at - k_clock_skew_s && listed.created_at <= recorded_at + k_create_latency_s;
}

void BatchEngine::confirm(Open& batch, const std::string& batch_id) {
  spdlog::info("batch {}: found; it was created for these {} requests, so none is sent again", batch_id,
               batch.custom_ids.size());
  m_journal.confirmed(batch.id, batch_id);
  for (const auto& c : batch.custom_ids) {
    if (auto it = m_items.find(c); it != m_items.end() && it->second.batch == batch.id) it->second.batch = batch_id;
    if (auto it = m_resumed.find(c); it != m_resumed.end() && it->second == batch.id) it->second = batch_id;
  }
  batch.id = batch_id;
}

// After its answers are durable, the batch leaves the journal; any request
// of it still waiting is sent again.
void BatchEngine::forget(const Open& batch, const std::string& why) {
  for (const auto& c : batch.custom_ids) {
    m_resumed.erase(c);
    auto it = m_items.find(c);
    if (it != m_items.end() && it->second.batch == batch.id) {
      retry_or_fail(c, batch_error(ErrorKind::unprocessed, why));
    }
  }
  m_stats.in_flight -= static_cast<int>(batch.let_go);
  if (m_after_answers) m_after_answers();
  m_journal.closed(batch.id);
}

// Results are matched by custom_id, never by line order; a request of the
// batch with no result line (expired, cancelled) is sent again. False when a
// result file could not be downloaded (retried in call(), which stopped the
// endpoint): the batch is kept for a re-run, since its answers are paid for.
// A file the provider no longer has (404) is given up.
bool BatchEngine::collect(const Open& batch, const BatchStatus& status) {
  size_t skipped = 0, unknown = 0, banked = 0;
  for (const auto& url : status.result_urls) {
    HttpRequest download = download_request(m_endpoint, url);
    util::SpillFile::Span results;
    download.body_sink = [this, &results](uint64_t offset, std::string_view piece) {
      if (offset == 0) { // the body starts (again: what a failed attempt wrote is given back)
        m_lines.release(results);
        results = {m_lines.size(), 0};
      }
      m_lines.append(piece);
      results.size += piece.size();
    };
    Exchange file = call(download, "batch " + batch.id + ": downloading its results");
    if (!file) {
      m_lines.release(results);
    }
    if (!file && file.error().kind != ErrorKind::not_found) {
      return false;
    }
    if (!file) {
      spdlog::warn("batch {}: a result file is gone ({}); its requests are sent again", batch.id,
                   describe(file.error()));
      continue;
    }
    for_each_line_block(results, [&](std::string_view lines) {
      for_each_batch_result(m_endpoint.provider, lines, skipped,
                            [&](const BatchResult& r) { use_result(batch, r, banked, unknown); });
    });
    m_lines.release(results);
  }
  if (banked > 0) {
    spdlog::info("batch {}: {} answers to requests this run does not plan (changed inputs or config, or "
                 "articles not in this run) kept in the cache; a run that plans them takes them from there",
                 batch.id, banked);
  }
  if (skipped + unknown > 0) {
    spdlog::warn("batch {}: {} result lines unreadable, {} not needed (failed for requests this run does not "
                 "plan, or answered in another batch); not used", batch.id, skipped, unknown);
  }
  return true;
}

// One line of `batch`'s results: the answer to a request of this run,
// banked when the run does not plan it (paid for: kept for a run that does),
// or counted as not needed.
void BatchEngine::use_result(const Open& batch, const BatchResult& r, size_t& banked, size_t& unknown) {
  const auto it = m_items.find(r.custom_id);
  if (it == m_items.end() && r.response && r.response->status == 200) {
    m_journal.bank(journal_key(m_endpoint), r.custom_id, r.line);
    m_banked[r.custom_id] = batch.earlier;
    ++banked;
  } else if (it == m_items.end() || it->second.batch != batch.id) {
    ++unknown;
  } else {
    finish_with(r);
  }
}

// A result file waits on disk and is read back a block at a time, each
// block cut after its last whole line.
void BatchEngine::for_each_line_block(util::SpillFile::Span file,
                                      const std::function<void(std::string_view lines)>& each) const {
  constexpr uint64_t k_block = 1 << 20;
  std::string pending;
  for (uint64_t at = 0; at < file.size;) {
    const uint64_t n = std::min(k_block, file.size - at);
    pending += m_lines.read({file.offset + at, n});
    at += n;
    const size_t last = pending.rfind('\n');
    const size_t cut = at == file.size ? pending.size() : last == std::string::npos ? 0 : last + 1;
    each(std::string_view(pending).substr(0, cut));
    pending.erase(0, cut);
  }
}

void BatchEngine::finish_with(const BatchResult& result) {
  ChatOutcome outcome = result.response ? m_codec.decode(*result.response, m_items.at(result.custom_id).request)
                                        : ChatOutcome(std::unexpected(*result.error));
  scrub_secret(outcome, m_endpoint.api_key);
  finish(result.custom_id, outcome);
}

// OpenAI rejected the input file: the lines it names fail with its reason,
// the others go into the next batch.
void BatchEngine::reject_lines(const Open& batch, const BatchStatus& status) {
  for (const LineError& e : status.line_errors) {
    if (e.line <= batch.custom_ids.size()) {
      const std::string& c = batch.custom_ids[e.line - 1];
      if (m_items.contains(c)) {
        --m_stats.in_flight;
        ++m_stats.failed;
        fail_items({c}, batch_error(ErrorKind::bad_request,
                                    fmt::format("batch {} rejected line {}: {}", batch.id, e.line, e.message)));
      }
    }
  }
  const std::string reason = status.error.empty() ? "other lines were rejected" : status.error;
  for (const auto& c : batch.custom_ids) {
    if (m_items.contains(c) && m_items.at(c).batch == batch.id) {
      retry_or_fail(c, batch_error(ErrorKind::unprocessed, fmt::format("batch {} failed: {}", batch.id, reason)));
    }
  }
}

void BatchEngine::finish(const std::string& custom_id, const ChatOutcome& outcome) {
  if (!outcome) {
    retry_or_fail(custom_id, outcome.error());
    return;
  }
  auto node = m_items.extract(custom_id);
  m_lines.release(node.mapped().line);
  --m_stats.in_flight;
  ++m_stats.succeeded;
  m_stats.from_earlier += node.mapped().earlier ? 1 : 0;
  for (uint64_t id : node.mapped().ids) m_custom_id_of.erase(id);
  for (uint64_t id : node.mapped().ids) m_on_done(id, outcome);
}

void BatchEngine::retry_or_fail(const std::string& custom_id, const ChatError& error) {
  Item& item = m_items.at(custom_id);
  const RetryDecision decision = m_policy.decide(error, item.attempts);
  --m_stats.in_flight;
  if (decision.verdict == Verdict::retry) {
    ++m_stats.retries;
    ++m_stats.retries_by_cause[kind_name(error.kind)];
    item.batch.clear();
    item.earlier = false;
    queue_unsent(custom_id);
    return;
  }
  if (decision.verdict == Verdict::stop_endpoint && !m_stop_reason) {
    m_stop_reason = decision.reason;
  }
  ++m_stats.failed;
  fail_items({custom_id}, error);
}

void BatchEngine::fail_items(const std::vector<std::string>& custom_ids, const ChatError& error) {
  for (const auto& c : custom_ids) {
    auto node = m_items.extract(c);
    if (node.empty()) continue;
    m_lines.release(node.mapped().line);
    for (uint64_t id : node.mapped().ids) m_custom_id_of.erase(id);
    for (uint64_t id : node.mapped().ids) m_on_done(id, std::unexpected(error));
  }
}

// The run ends early: unsent requests are cancelled; those in a batch stay
// in the journal, and a re-run collects them.
void BatchEngine::end_all(const std::string& message) {
  std::vector<std::string> unsent(m_unsent.begin(), m_unsent.end());
  m_unsent.clear();
  m_unsent_bytes = 0;
  m_stats.waiting = 0;
  fail_items(unsent, batch_error(ErrorKind::cancelled, message));
  for (const auto& batch : m_open) {
    std::vector<std::string> held;
    for (const auto& c : batch.custom_ids) {
      if (m_items.contains(c) && m_items.at(c).batch == batch.id) held.push_back(c);
    }
    if (held.empty()) continue;
    spdlog::warn("batch {}: {} requests still waiting for answers; run again to collect them "
                 "(a batch ends within 24 h)", batch.id, held.size());
    fail_items(held, batch_error(ErrorKind::unprocessed,
                                 fmt::format("still in batch {}; run again to collect its answers "
                                             "(a batch ends within 24 h)", batch.id)));
  }
  m_stats.in_flight = 0;
}

BatchEngine::Exchange BatchEngine::call(const HttpRequest& request, const std::string& what, bool idempotent) {
  for (int attempt = 1;; ++attempt) {
    HttpResponse response = exchange(request);
    std::optional<ChatError> failed = failed_exchange(response);
    if (!failed) {
      return response; // moved: a result file may be 200 MB
    }
    ChatError error = *failed;
    error.message = fmt::format("{}: {}", what, error.message);
    scrub_secret(error.message, m_endpoint.api_key);
    const RetryDecision decision = m_policy.decide(error, attempt);
    if (!idempotent && decision.verdict == Verdict::retry && maybe_done(error)) {
      return std::unexpected(error); // it may have taken effect: the caller looks before trying again
    }
    if (decision.verdict != Verdict::retry) {
      // A 400 concerns what was sent and a 404 one batch (the caller decides);
      // anything else leaves the batch API unusable for this run.
      const bool local = error.kind == ErrorKind::bad_request || error.kind == ErrorKind::input_too_long ||
                         error.kind == ErrorKind::not_found;
      if (!local && !m_stop_reason) {
        m_stop_reason = decision.verdict == Verdict::stop_endpoint
                          ? decision.reason
                          : fmt::format("{} after {} attempts: {}", what, attempt, describe(error));
      }
      return std::unexpected(error);
    }
    ++m_stats.retries;
    ++m_stats.retries_by_cause[kind_name(error.kind)];
    spdlog::debug("{} failed ({}); retrying in {:.2f} s", what, describe(error), decision.delay_s);
    pause(seconds(decision.delay_s));
  }
}

HttpResponse BatchEngine::exchange(const HttpRequest& request) {
  const uint64_t tag = m_next_tag++;
  HttpRequest http = request;
  http.limits = m_endpoint.transfer;
  m_transport.start(tag, std::move(http));
  for (;;) {
    for (auto& done : m_transport.wait(100ms)) {
      if (done.tag == tag) return std::move(done.response);
    }
  }
}

void BatchEngine::pause(Clock::duration how_long) {
  const auto until = m_clock.now() + how_long;
  while (m_clock.now() < until && !halted()) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - m_clock.now());
    m_transport.wait(std::min<std::chrono::milliseconds>(left, 1000ms));
  }
}

void BatchEngine::report_progress() {
  if (m_on_progress) m_on_progress(m_stats);
}

} // namespace llm
