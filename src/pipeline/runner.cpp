#include "pipeline/runner.hpp"

#include "article/language.hpp"
#include "article/segmenter.hpp"
#include "article/tokens.hpp"
#include "cache/key.hpp"
#include "llm/codec.hpp"
#include "llm/batch_engine.hpp"
#include "llm/engine.hpp"
#include "pipeline/report.hpp"

#include "util/text.hpp"
#include "util/utf8.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <unordered_map>

namespace pipeline {

using prompt::Task;

struct Runner::Job {
  size_t article = 0;
  int section = -1;                   // index into doc.sections; -1: the article summary
  Task task = Task::translate;
  llm::ChatRequest request;
  std::string key;                    // for the current endpoint
  std::vector<std::string> other_keys; // for the other configured endpoints
  int estimate_in = 0;
  int estimate_out = 0;
  double estimated_cost = 0;
  bool admitted = false;              // counted against --max-cost
  bool in_engine = false;             // handed to the engine, its outcome not back yet
  bool grown = false;                 // sent again with a larger output budget
  bool finished = false;
  bool closed = false;                // counted off its article's open jobs
  // A section the server found too long is sent as two parts, each a job of
  // its own (and split again if still too long); their answers are joined
  // into the answer of the job that was split.
  std::optional<std::string> part_text; // a part: the text it sends
  std::optional<uint64_t> parent;       // a part: the job it is part of
  std::vector<uint64_t> parts;          // a split job: its parts, in order
  int parts_pending = 0;
  std::unique_ptr<cache::Entry> answer; // a part's answer, until the parts are joined
  // A repair (Task::repair): the translate request again, then the answer
  // that failed its checks and the problems found.
  std::string repair_answer;
  std::string repair_problems;
  // A map-reduce step of an article summary: which group of which level.
  std::optional<size_t> reduce_group;
};

namespace {

// The text a section job sends: the heading (first part only) above the body,
// so the translation's first line is the translated heading.
std::string section_text(const article::Section& s) {
  if (s.heading.empty() || s.part != 1) {
    return s.text;
  }
  return s.text.empty() ? s.heading : s.heading + "\n\n" + s.text;
}

std::string endpoint_label(const config::Endpoint& e) { return e.provider + ":" + e.model; }

std::string length_text(const config::SummaryLength& l) {
  return l.bullets ? fmt::format("at most {} bullet points, one per line starting with \"- \"", l.count)
                   : fmt::format("at most {} sentence{}", l.count, l.count == 1 ? "" : "s");
}

// The article's title and the start of its lead, for every section's
// translate prompt: names and terms then come out the same in each section.
std::string context_of(const article::Document& doc) {
  std::string context = "Title: " + doc.title;
  for (const auto& s : doc.sections) {
    if (s.kind == article::SectionKind::lead) {
      constexpr size_t k_max_lead_bytes = 600;
      std::string_view lead = util::utf8_prefix(s.text, k_max_lead_bytes);
      if (lead.size() < s.text.size()) lead = lead.substr(0, lead.rfind(' ')); // whole words
      context += "\nLead: " + std::string(lead) + (lead.size() < s.text.size() ? " ..." : "");
      break;
    }
  }
  return context;
}

struct TokenEstimate {
  int in = 0;
  int out = 0;
};

// The prompt, and an answer as long as the user text (a translation), capped
// by the output budget; the server's usage corrects it after the call.
TokenEstimate estimate_request(const llm::ChatRequest& r) {
  TokenEstimate e;
  for (const auto& m : r.messages) e.in += article::estimate_tokens(m.content);
  const int answer = r.messages.empty() ? 0 : article::estimate_tokens(r.messages.back().content);
  e.out = std::min(answer, r.max_output_tokens);
  return e;
}

// The cache remembers the batches a BatchEngine sent until they are collected.
class CacheJournal : public llm::BatchJournal {
public:
  explicit CacheJournal(cache::CacheStore& store) : m_store(store) {}

  std::vector<Record> open_batches(const std::string& endpoint) override {
    std::vector<Record> out;
    for (auto& b : m_store.open_batches(endpoint)) out.push_back({std::move(b.id), std::move(b.custom_ids), b.created});
    return out;
  }
  void opened(const std::string& endpoint, const Record& record) override {
    m_store.add_batch(endpoint, {record.batch_id, record.custom_ids});
  }
  void closed(const std::string& batch_id) override { m_store.remove_batch(batch_id); }
  void confirmed(const std::string& recorded_id, const std::string& batch_id) override {
    m_store.rename_batch(recorded_id, batch_id);
  }
  void bank(const std::string& endpoint, const std::string& custom_id, std::string_view line) override {
    m_store.bank(endpoint, custom_id, line);
  }
  std::vector<std::string> banked(const std::string& endpoint) override { return m_store.banked(endpoint); }
  std::optional<std::string> claim(const std::string& custom_id) override { return m_store.claim(custom_id); }

private:
  cache::CacheStore& m_store;
};

// Live requests, or the provider's batch API when the endpoint says batch.
std::unique_ptr<llm::Dispatcher> make_dispatcher(const config::Endpoint& e, const config::Limits& limits,
                                                 llm::Transport& transport, const llm::Clock& clock,
                                                 llm::BatchJournal& journal, const std::filesystem::path& spill_dir,
                                                 llm::Dispatcher::OnDone on_done) {
  const llm::Endpoint endpoint = llm_endpoint(e);
  if (e.batch) {
    const llm::BatchSettings settings{
      e.batch_poll_s, llm::batch_limits(endpoint.provider, e.batch_max_requests, e.batch_max_mb), spill_dir};
    return std::make_unique<llm::BatchEngine>(endpoint, limits, settings, transport, clock, journal,
                                              std::move(on_done));
  }
  return std::make_unique<llm::Engine>(endpoint, limits, transport, clock, std::move(on_done));
}

// An article summary cannot be rendered before its section summaries exist;
// for --dry-run it is estimated from a typical section summary size.
constexpr int k_summary_tokens_estimate = 80;

} // namespace

class Runner::Batch {
  struct Open;
  struct LetGo;

public:
  Batch(Runner& runner, DocumentFeed& feed)
    : m_runner(runner), m_first_feed(feed), m_feed(&feed), m_segmenter(runner.m_config.segment) {
    m_result.flagged = util::SpillList<Flagged>(runner.m_cache.folder());
    m_result.missing = util::SpillList<Missing>(runner.m_cache.folder());
  }

  // A network run (as opposed to an export from the cache) sets an engine;
  // after the last endpoint it is reset to null, and the run stays a network run.
  void set_engine(llm::Dispatcher* engine) {
    m_engine = engine;
    m_network = m_network || engine != nullptr;
    m_letting_go = engine != nullptr && endpoint().batch && !m_runner.m_max_cost;
  }

  // The engine ran dry with articles let go: they return, prepared again
  // from their files, for a pass of their own, their answers now in the
  // bank. Once the run is ending (halted, or the endpoint stopped) none is
  // let go again, so each is reported as it stands. False when none was let go.
  bool next_pass(bool ending) {
    if (m_let_go.empty()) return false;
    std::ranges::sort(m_let_go, {}, &LetGo::index);
    m_returning = std::exchange(m_let_go, {});
    m_returned = 0;
    std::vector<Revisit> where;
    for (const LetGo& g : m_returning) where.push_back(g.where);
    spdlog::info("{} articles let go while their batches ran are prepared again for their answers",
                 m_returning.size());
    m_revisit = m_feed->revisit(where);
    m_feed = m_revisit.get();
    m_feed_done = false;
    m_letting_go = m_letting_go && !ending;
    return true;
  }

  // Every job at once: an export from the cache, or --dry-run.
  void plan() {
    const cache::CacheStore::ReadBatch reads(m_runner.m_cache);
    while (const std::optional<size_t> a = next_article(true)) {
      plan_article(*a);
      release_finished(); // handed over (on_article_done): an export holds one article at a time
    }
  }

  // A network run plans as the engine asks (Engine::set_source): articles in
  // order until `wanted` requests were submitted; cache hits are recorded on
  // the way. So the first request leaves after a few articles, not the whole
  // batch, and only the requests waiting to be sent hold rendered prompts.
  // The preparation is waited for only when the engine has nothing else to
  // do (or says to wait); otherwise what is not prepared yet is asked for
  // again after the next answers. Returns false when no article is
  // left.
  bool plan_more(size_t wanted, bool wait) {
    const cache::CacheStore::ReadBatch reads(m_runner.m_cache);
    const size_t before = m_submitted;
    while (m_submitted - before < wanted) {
      const std::optional<size_t> a = next_article(wait || m_in_engine == 0);
      if (!a) break;
      plan_article(*a);
      maybe_let_go(*a);
      release_finished(); // articles answered from the cache go now: a warm run plans them all here
    }
    if (m_feed_done) report_not_returned();
    return !m_feed_done || !m_unplanned.empty();
  }

  // The next article not planned yet, taken from the feed when none is
  // waiting; nothing when the feed has nothing ready (or nothing left).
  std::optional<size_t> next_article(bool wait) {
    if (m_unplanned.empty() && !m_feed_done) {
      std::optional<std::vector<article::Document>> docs = m_feed->next(wait);
      if (!docs) m_feed_done = true;
      if (docs) {
        for (auto& doc : *docs) add_article(std::move(doc));
      }
    }
    if (m_unplanned.empty()) return std::nullopt;
    const size_t a = m_unplanned.front();
    m_unplanned.pop_front();
    return a;
  }

  // An article joins the run: its totals counted for progress and the
  // report. One let go earlier in the run returns under its own index,
  // counted already.
  void add_article(article::Document doc) {
    if (!m_returning.empty()) {
      return_article(std::move(doc));
      return;
    }
    const size_t a = m_added++;
    Open& o = start_article(a, std::move(doc));
    if (!m_runner.m_article_done) m_result.articles.resize(m_added);
    const auto& d = o.out.doc;
    m_result.stats.sections += static_cast<int>(d.sections.size());
    ++m_result.stats.articles;
    const bool in_target = in_target_language(d);
    m_result.stats.already_in_target += in_target ? 1 : 0;
    m_progress.total += (in_target ? 0 : static_cast<int>(d.sections.size())) + o.pending_summaries +
                        (has_article_summary(a) ? 1 : 0);
  }

  Open& start_article(size_t a, article::Document doc) {
    Open& o = m_open[a];
    o.out.sections.resize(doc.sections.size());
    o.out.doc = std::move(doc);
    // The article job must wait for every section summary; cache hits
    // count down synchronously as the article is planned.
    o.pending_summaries = static_cast<int>(std::ranges::count_if(
      o.out.doc.sections, [](const auto& s) { return s.kind != article::SectionKind::title; }));
    m_unplanned.push_back(a);
    return o;
  }

  // An article let go comes back (in input order); one its file no longer
  // gave is passed over and reported.
  void return_article(article::Document doc) {
    while (m_returned < m_returning.size() && m_returning[m_returned].where.id != doc.article.id) {
      report_lost(m_returning[m_returned++]);
    }
    if (m_returned == m_returning.size()) return;
    const LetGo& back = m_returning[m_returned++];
    start_article(back.index, std::move(doc)).times_let_go = back.times;
  }

  // Once the pass's feed is done: the articles let go that did not come back.
  void report_not_returned() {
    while (m_returned < m_returning.size()) report_lost(m_returning[m_returned++]);
  }

  void report_lost(const LetGo& g) {
    const std::string reason = "let go while its batches ran, and its file could not be prepared again (moved, "
                               "deleted or unreadable since the run started); run again: its answers are kept";
    ++m_result.stats.failed;
    ++m_progress.failed;
    spdlog::warn("{}: {}", g.where.id, reason);
    m_result.missing.push_back({g.where.id, "", "prepare", reason});
  }

  // A batch run holds at most endpoint.batch_max_waiting_articles articles
  // while their batches run. Beyond these, an article whose every open job
  // is in the engine as a plain request (no part of a split section, no
  // larger budget, no question another job shares) and none failed is let
  // go: the engine banks its answers, and the article is prepared and
  // planned again in the run's next pass, where they are claimed.
  void maybe_let_go(size_t a) {
    if (!m_letting_go || m_open.size() <= static_cast<size_t>(endpoint().batch_max_waiting_articles)) {
      return; // a live run asks this after every answer: nothing more to it
    }
    const auto it = m_open.find(a);
    if (it == m_open.end()) return;
    Open& o = it->second;
    if (!o.planned || o.open_jobs == 0 || o.failed || o.summary_failed || o.times_let_go >= k_max_times_let_go) {
      return;
    }
    std::vector<uint64_t> waiting;
    for (uint64_t id : o.jobs) {
      if (job_at(id).finished) continue;
      if (!plain_in_engine(id)) return;
      waiting.push_back(id);
    }
    if (!m_engine->let_go(waiting)) return;
    for (uint64_t id : waiting) m_asked.erase(job_at(id).key);
    m_in_engine -= waiting.size();
    m_progress.total -= o.tally.total;
    m_progress.done -= o.tally.done;
    m_progress.cached -= o.tally.cached;
    for (uint64_t id : o.jobs) m_jobs.erase(id);
    const article::Article& article = o.out.doc.article;
    m_let_go.push_back({a, {article.source, article.id}, o.times_let_go + 1});
    m_open.erase(it);
  }

  bool plain_in_engine(uint64_t id) const {
    const Job& job = job_at(id);
    if (!job.in_engine || job.parent || !job.parts.empty() || job.grown) return false;
    const auto asked = m_asked.find(job.key);
    return asked != m_asked.end() && asked->second.leader == id && asked->second.followers.empty();
  }

  void plan_article(size_t a) {
    const auto& doc = open(a).out.doc;
    const bool in_target = in_target_language(doc);
    for (size_t s = 0; s < doc.sections.size(); ++s) {
      if (in_target) {
        keep_source_as_translation(a, s);
      } else {
        add(a, static_cast<int>(s), Task::translate);
      }
      if (doc.sections[s].kind != article::SectionKind::title) {
        add(a, static_cast<int>(s), Task::summarize);
      }
    }
    release_article_if_ready(a);
    open(a).planned = true;
    if (open(a).open_jobs == 0) article_complete(a);
  }

  // An article already in the target language is its own translation.
  bool in_target_language(const article::Document& doc) const {
    const std::string code = article::language_code(doc.article.meta.language);
    return !code.empty() && code == m_runner.m_checker.target_language();
  }

  void keep_source_as_translation(size_t a, size_t s) {
    ArticleOutput& out = open(a).out;
    SectionOutput& so = out.sections[s];
    JobResult r;
    r.content = section_text(out.doc.sections[s]);
    so.translation = std::move(r);
    so.source_is_target = true;
  }

  void on_done(uint64_t id, const llm::ChatOutcome& outcome) {
    const size_t a = job_at(id).article;
    take_outcome(id, outcome);
    maybe_let_go(a);
  }

  void take_outcome(uint64_t id, const llm::ChatOutcome& outcome) {
    Job& job = job_at(id);
    job.in_engine = false;
    --m_in_engine;
    --open(job.article).in_engine;
    if (job.admitted) {
      m_committed -= job.estimated_cost;
    }
    if (outcome) {
      const double cost = estimate_cost(m_runner.m_config, endpoint(),
                                        outcome->usage.prompt_tokens, outcome->usage.completion_tokens);
      m_spent += cost;
      m_result.stats.cost += cost;
      ++m_answered;
    }
    if (job.parent && job_at(*job.parent).finished) { // a part of a section that failed meanwhile
      if (outcome) store(job, *outcome); // paid for: a re-run finds it
      job.finished = true;
      release(job);
      return;
    }
    if (!outcome && reroutes(outcome.error())) {
      const bool not_sent = outcome.error().kind == llm::ErrorKind::cancelled;
      m_rerouted.push_back({id, llm::describe(outcome.error()), not_sent});
      for (uint64_t follower : take_followers(id)) {
        m_rerouted.push_back({follower, llm::describe(outcome.error()), not_sent});
      }
      return;
    }
    if (!outcome && outcome.error().kind == llm::ErrorKind::truncated && grow_budget(id)) {
      return;
    }
    if (!outcome && outcome.error().kind == llm::ErrorKind::input_too_long && split(id, outcome.error())) {
      return;
    }
    if (!outcome) {
      fail(id, llm::describe(outcome.error()), outcome.error().kind == llm::ErrorKind::cancelled);
      return;
    }
    record(id, store(job, *outcome), false);
  }

  // An answer goes into the cache (committed with the others of this
  // wake-up) and counts as tokens received.
  cache::Entry store(const Job& job, const llm::ChatResult& answer) {
    cache::Entry entry;
    entry.content = answer.content;
    entry.reasoning = answer.reasoning;
    entry.finish_reason = answer.finish_reason;
    entry.model = answer.model;
    entry.endpoint = endpoint_label(endpoint());
    entry.prompt_tokens = answer.usage.prompt_tokens;
    entry.completion_tokens = answer.usage.completion_tokens;
    entry.created = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    m_runner.m_cache.put(job.key, prompt::task_name(job.task), entry);
    m_result.stats.prompt_tokens += entry.prompt_tokens;
    m_result.stats.completion_tokens += entry.completion_tokens;
    m_progress.tokens += entry.prompt_tokens + entry.completion_tokens;
    return entry;
  }

  // --max-cost: admit a job only while what is spent, plus the estimates of
  // what is in flight, plus this job's estimate stays within the budget.
  bool admit(uint64_t id) {
    Job& job = job_at(id);
    const auto& max = m_runner.m_max_cost;
    if (max && m_spent + m_committed + job.estimated_cost > *max) {
      m_result.budget_reached = true;
      return false;
    }
    job.admitted = true;
    m_committed += job.estimated_cost;
    return true;
  }

  // A truncated answer is never accepted; the job is sent again with twice the
  // output budget, up to endpoint.max_output_tokens_ceiling. The complete
  // answer is stored under the job's original key: it is the answer that job
  // asked for, and a re-run with the same config must find it.
  bool grow_budget(uint64_t id) {
    Job& job = job_at(id);
    const int ceiling = endpoint().max_output_tokens_ceiling;
    if (job.request.max_output_tokens >= ceiling) {
      return false;
    }
    const int budget = std::min(ceiling, job.request.max_output_tokens * 2);
    build(job); // its messages went to the engine
    job.request.max_output_tokens = budget;
    job.grown = true;
    spdlog::debug("{} {}: answer truncated; sending again with max_output_tokens {}",
                  job.section >= 0 ? section_id(job) : article_id(job), prompt::task_name(job.task),
                  job.request.max_output_tokens);
    ++m_result.stats.retries;
    ++m_result.stats.retries_by_cause["truncated"];
    job.request.priority = llm::Priority::follow_up;
    send(id); // admitted again against --max-cost
    return true;
  }

  // Sends what the parked endpoint left undone to endpoint `index` (the
  // next fallback) through `engine`: each job rebuilt for that endpoint's
  // model, so its cache key changes and a cached answer of that model counts.
  void fall_back(size_t index, llm::Dispatcher* engine) {
    m_endpoint = index;
    m_engine = engine;
    m_answered = 0;
    std::vector<Rerouted> rerouted = std::move(m_rerouted);
    m_rerouted.clear();
    spdlog::warn("{} jobs go to fallback endpoint '{}' ({})", rerouted.size(), endpoint().name,
                 endpoint_label(endpoint()));
    for (const auto& r : rerouted) {
      Job& job = job_at(r.id);
      job.admitted = false;
      build(job);
      resolve(r.id);
    }
  }

  bool has_rerouted() const { return !m_rerouted.empty(); }
  int answered() const { return m_answered; }

  // No endpoint is left: what was waiting for one fails as it would have.
  void fail_rerouted() {
    for (const auto& r : std::exchange(m_rerouted, {})) fail(r.id, r.reason, r.not_sent);
  }

  RunResult take() {
    // In input order, whichever article was done first.
    std::ranges::stable_sort(m_flagged, {}, &FlaggedArticle::article);
    for (const FlaggedArticle& f : m_flagged) {
      m_result.flagged.append_lines(m_flagged_file->read(f.lines), f.count);
    }
    m_flagged = {};
    return std::move(m_result);
  }

  Progress progress() const {
    Progress p = m_progress;
    // Until every article is prepared, the rest count as the average so far.
    const size_t expected = m_first_feed.expected();
    if (!m_revisit && !m_feed_done && m_added > 0 && expected > m_added) {
      p.total += static_cast<int>(static_cast<double>(m_progress.total) / m_added * (expected - m_added));
    }
    return p;
  }

  // A complete article's jobs go once none of them is with an engine (a part
  // of a section that failed may still be in flight); called between steps,
  // never while a job is in use.
  void release_finished() {
    std::erase_if(m_finished, [&](size_t a) {
      const auto it = m_open.find(a);
      if (it->second.in_engine > 0) return false;
      for (uint64_t id : it->second.jobs) m_jobs.erase(id);
      m_open.erase(it);
      return true;
    });
  }

private:
  void add(size_t a, int s, Task task, std::optional<std::string> part_text = {},
           std::optional<uint64_t> parent = {}) {
    Job job;
    job.article = a;
    job.section = s;
    job.task = task;
    job.parent = parent;
    job.part_text = std::move(part_text);
    add(std::move(job));
  }

  void add(Job job) {
    build(job);
    const uint64_t id = m_next_job++;
    Open& o = open(job.article);
    if (!job.parent) {
      ++o.tally.jobs;
      ++o.open_jobs;
    }
    o.jobs.push_back(id);
    m_jobs.emplace(id, std::move(job));
    resolve(id);
  }

  // Renders the job's messages for the current endpoint and derives its
  // estimates and cache key (provider, model and parameters included, so
  // answers of different models never mix).
  void build(Job& job) {
    const auto& doc = open(job.article).out.doc;
    prompt::Vars vars = base_vars(doc, job.task);
    vars.text = job.part_text ? *job.part_text
                              : section_text(doc.sections[static_cast<size_t>(job.section)]);
    if (job.task == Task::translate || job.task == Task::repair) {
      vars.glossary = Checker::glossary_prompt(m_runner.m_checker.glossary_for(vars.text));
    }
    const auto& e = endpoint();
    job.request = {};
    job.request.model = e.model;
    job.request.temperature = e.temperature;
    job.request.max_output_tokens = e.max_output_tokens;
    job.request.priority = priority_of(job);
    std::vector<prompt::Message> messages =
      m_runner.m_prompts.render(job.task == Task::repair ? Task::translate : job.task, vars);
    if (job.task == Task::repair) {
      vars.problems = job.repair_problems;
      messages.push_back({"assistant", job.repair_answer});
      for (auto& m : m_runner.m_prompts.render(Task::repair, vars)) messages.push_back(std::move(m));
    }
    cache::KeyInput key_input; // not kept: the messages are large and the key says it all
    for (auto& m : messages) {
      key_input.messages.emplace_back(m.role, m.content);
      job.request.messages.push_back({m.role, std::move(m.content)});
    }
    const TokenEstimate estimate = estimate_request(job.request);
    job.request.estimated_tokens = estimate.in + estimate.out;
    job.request.estimated_prompt_tokens = estimate.in;
    job.estimate_in = estimate.in;
    job.estimate_out = estimate.out;
    job.estimated_cost = estimate_cost(m_runner.m_config, e, estimate.in, estimate.out);
    // The same question put to the other configured endpoints has their own
    // keys; an answer cached under any of them is not asked for again.
    job.other_keys.clear();
    for (size_t k = 0; k < m_runner.m_endpoints.size(); ++k) {
      set_endpoint_fields(key_input, m_runner.m_endpoints[k]);
      std::string key = cache::cache_key(key_input);
      if (k == m_endpoint) {
        job.key = std::move(key);
        if (spdlog::should_log(spdlog::level::trace)) { // -vv: why a key missed
          spdlog::trace("key {} inputs:\n{}", job.key, cache::describe_key_inputs(key_input));
        }
      } else {
        job.other_keys.push_back(std::move(key));
      }
    }
  }

  // Planned section summaries go before planned translations because their
  // article's summary waits for them; what an answer released goes first.
  static llm::Priority priority_of(const Job& job) {
    if (job.parent || job.task == Task::summarize_article || job.task == Task::repair) {
      return llm::Priority::follow_up;
    }
    return job.task == Task::summarize ? llm::Priority::feeds_another : llm::Priority::plain;
  }

  static void set_endpoint_fields(cache::KeyInput& key_input, const config::Endpoint& e) {
    key_input.provider = e.provider;
    key_input.model = e.model;
    key_input.params = {{"temperature", fmt::format("{}", e.temperature)},
                        {"max_output_tokens", std::to_string(e.max_output_tokens)}};
  }

  prompt::Vars base_vars(const article::Document& doc, Task task) const {
    const config::Config& c = m_runner.m_config;
    prompt::Vars vars;
    const std::string& language = doc.article.meta.language;
    vars.source_language = language.empty() ? "the original language" : language;
    vars.target_language = c.languages.target;
    vars.title = doc.title;
    if (task == Task::translate || task == Task::repair) vars.context = context_of(doc);
    if (task == Task::summarize) vars.length = length_text(c.summaries.section);
    if (task == Task::summarize_article) vars.length = length_text(c.summaries.article);
    return vars;
  }

  // The article summary's input, level one: each section summary under its heading.
  std::vector<std::string> section_summaries(size_t a) const {
    const ArticleOutput& out = open(a).out;
    std::vector<std::string> pieces;
    for (size_t s = 0; s < out.sections.size(); ++s) {
      const auto& section = out.doc.sections[s];
      if (!out.sections[s].summary) continue;
      std::string piece;
      if (!section.heading.empty() && section.part == 1) piece = "## " + section.heading + "\n";
      pieces.push_back(piece + out.sections[s].summary->content);
    }
    return pieces;
  }

  void resolve(uint64_t id) {
    const Job& job = job_at(id);
    if (spdlog::should_log(spdlog::level::debug)) { // -v names every job's key
      spdlog::debug("job {} {} key {}", job.section >= 0 ? section_id(job) : article_id(job),
                    prompt::task_name(job.task), job.key);
    }
    std::optional<cache::Entry> hit = m_runner.m_cache.get(job.key);
    for (size_t k = 0; !hit && k < job.other_keys.size(); ++k) {
      hit = m_runner.m_cache.get(job.other_keys[k]);
    }
    if (hit) {
      // An article that returns finds the answers this run stored for it
      // before: not cache hits.
      const bool this_run = open(job.article).times_let_go > 0 && hit->created >= m_started;
      if (!this_run) count_hit(job, *hit);
      record(id, *hit, !this_run);
    } else if (m_engine) {
      if (!job.parent) {
        auto [asked, first] = m_asked.try_emplace(job.key, Asked{id, {}});
        if (!first) { // the same question is on its way: one request answers both
          asked->second.followers.push_back(id);
          return;
        }
      }
      if (exceeds_slot_context(job) && split(id, slot_context_error(job))) {
        return;
      }
      send(id);
      ++m_submitted;
    } else if (paid_in_batch(job)) {
      ++m_result.stats.in_earlier_batches;
      fail(id, "not cached; in a batch an earlier run sent, which a run collects", false);
    } else {
      m_result.stats.pending_tokens_in += job.estimate_in;
      m_result.stats.pending_tokens_out += job.estimate_out;
      fail(id, "not cached", false);
    }
  }

  bool paid_in_batch(const Job& job) const {
    const auto& paid = m_runner.m_paid_in_batches;
    return !paid.empty() && paid.contains(llm::batch_line(job.request, m_runner.m_batch_endpoint).custom_id);
  }

  // The job goes to the engine, its rendered messages with it (they are
  // rendered again if it is sent again); its article stays until the engine
  // is done with it.
  void send(uint64_t id) {
    Job& job = job_at(id);
    job.in_engine = true;
    ++m_in_engine;
    ++open(job.article).in_engine;
    std::vector<llm::Message> messages = std::exchange(job.request.messages, {});
    llm::ChatRequest request = job.request; // the rest is small
    request.messages = std::move(messages);
    m_engine->submit(id, std::move(request));
  }

  // llama.cpp divides its context among slots; a request larger than one
  // slot's would be refused or cut, so it is split before it is sent.
  bool exceeds_slot_context(const Job& job) const {
    const auto it = m_runner.m_slot_context.find(endpoint().name);
    return job.section >= 0 && it != m_runner.m_slot_context.end() &&
           job.estimate_in + job.estimate_out > it->second.tokens;
  }

  llm::ChatError slot_context_error(const Job& job) const {
    const SlotContext& slots = m_runner.m_slot_context.at(endpoint().name);
    llm::ChatError e;
    e.kind = llm::ErrorKind::input_too_long;
    e.message = fmt::format("about {} tokens with the answer; the server's slots hold {} ({})",
                            job.estimate_in + job.estimate_out, slots.tokens, slots.source);
    return e;
  }

  void count_hit(const Job& job, const cache::Entry& entry) {
    Tally& t = open(job.article).tally;
    if (!job.parent) { // jobs count once, not per part
      ++t.cache_hits;
      ++t.cached;
      ++m_progress.cached;
    }
    t.cached_prompt_tokens += entry.prompt_tokens;
    t.cached_completion_tokens += entry.completion_tokens;
  }

  // The jobs that wait for job `id`'s answer because they ask the same
  // question (syndicated text, a paragraph every article of a site shares);
  // they share its fate: its answer, its failure or its rerouting.
  std::vector<uint64_t> take_followers(uint64_t id) {
    auto it = m_asked.find(job_at(id).key);
    if (it == m_asked.end() || it->second.leader != id) {
      return {};
    }
    std::vector<uint64_t> followers = std::move(it->second.followers);
    m_asked.erase(it);
    return followers;
  }

  // A finished job's rendered messages are no longer needed; at 10,000 jobs
  // they are the largest thing the run holds.
  void release(Job& job) {
    std::vector<llm::Message>().swap(job.request.messages);
    job.part_text.reset();
  }

  void record(uint64_t id, const cache::Entry& entry, bool from_cache) {
    record_job(id, entry, from_cache);
    for (uint64_t follower : take_followers(id)) {
      count_hit(job_at(follower), entry);
      record_job(follower, entry, true);
      close(follower);
    }
    close(id);
  }

  // A job is over: answered, failed or given up on. Once every job of a
  // planned article is, the article is complete (its answers final) and is
  // handed on at once, so its export is made while the network is busy.
  void close(uint64_t id) {
    Job& job = job_at(id);
    if (job.parent || job.closed) return;
    job.closed = true;
    Open& o = open(job.article);
    if (--o.open_jobs == 0 && o.planned) article_complete(job.article);
  }

  // The article goes to the consumer (the exporter) or into the result; the
  // run parks its flagged sections in a spill file for the report.
  void article_complete(size_t a) {
    Open& o = open(a);
    add_to_stats(o.tally);
    std::string lines;
    size_t count = 0;
    for (size_t s = 0; s < o.out.sections.size(); ++s) {
      const SectionOutput& so = o.out.sections[s];
      if (so.problems.empty()) continue;
      lines += util::SpillList<Flagged>::line({o.out.doc.article.id, o.out.doc.sections[s].id, so.repaired, so.problems});
      ++count;
      for (const auto& p : so.problems) ++m_result.flagged_by_check[p.flag];
    }
    if (count > 0) {
      if (!m_flagged_file) m_flagged_file.emplace(m_runner.m_cache.folder());
      m_flagged.push_back({a, m_flagged_file->append(lines), count});
    }
    if (m_runner.m_article_done) {
      m_runner.m_article_done(a, std::move(o.out));
    } else {
      m_result.articles[a] = std::move(o.out);
    }
    m_finished.push_back(a);
  }

  void record_job(uint64_t id, const cache::Entry& entry, bool from_cache) {
    Job& job = job_at(id);
    release(job);
    job.finished = true;
    if (job.parent) {
      part_done(id, entry);
      return;
    }
    // The cache keeps the answer as it came; what is shown is tidied on read.
    JobResult r{tidy_answer(entry.content), entry.model, entry.endpoint,
                m_runner.m_prompts.hash(job.task), job.key, entry.prompt_tokens,
                entry.completion_tokens, entry.created, from_cache};
    const size_t a = job.article;
    ++m_progress.done;
    ++open(a).tally.done;
    ArticleOutput& out = open(a).out;
    if (job.section < 0) {
      if (job.reduce_group) {
        reduce_step_done(a, *job.reduce_group, std::move(r.content));
      } else {
        out.summary = std::move(r);
      }
      return;
    }
    const auto s = static_cast<size_t>(job.section);
    SectionOutput& so = out.sections[s];
    switch (job.task) {
    case Task::translate:
      so.problems = check(a, s, r.content);
      so.translation = std::move(r);
      if (!so.problems.empty() && m_runner.m_config.checks.repair && job.parts.empty()) {
        ask_for_repair(a, s);
      }
      break;
    case Task::repair:
      repair_done(a, s, std::move(r));
      break;
    default:
      so.summary = std::move(r);
      --open(a).pending_summaries;
      release_article_if_ready(a);
    }
  }

  std::vector<CheckProblem> check(size_t a, size_t s, std::string_view translation) const {
    const auto& doc = open(a).out.doc;
    return m_runner.m_checker.check_translation(section_text(doc.sections[s]), translation,
                                                article::language_code(doc.article.meta.language));
  }

  // One more request: the translate request, the answer that failed its
  // checks, and prompts/repair.md listing the problems. Cached like any
  // other, so a re-run with the same checks asks nothing.
  void ask_for_repair(size_t a, size_t s) {
    const SectionOutput& so = open(a).out.sections[s];
    Job repair;
    repair.article = a;
    repair.section = static_cast<int>(s);
    repair.task = Task::repair;
    repair.repair_answer = so.translation->content;
    repair.repair_problems = describe_problems(so.problems);
    ++m_progress.total;
    ++open(a).tally.total;
    ++open(a).tally.repairs;
    add(std::move(repair));
  }

  // The repaired answer replaces the first only if it has fewer problems;
  // what remains is flagged either way.
  void repair_done(size_t a, size_t s, JobResult repaired) {
    SectionOutput& so = open(a).out.sections[s];
    std::vector<CheckProblem> problems = check(a, s, repaired.content);
    if (problems.size() < so.problems.size()) {
      so.translation = std::move(repaired);
      so.problems = std::move(problems);
      so.repaired = true;
      ++open(a).tally.repairs_fixed;
    }
  }

  void fail(uint64_t id, const std::string& reason, bool not_sent) {
    fail_job(id, reason, not_sent);
    for (uint64_t follower : take_followers(id)) {
      fail_job(follower, reason, not_sent);
      close(follower);
    }
    close(id);
  }

  void fail_job(uint64_t id, const std::string& reason, bool not_sent) {
    Job& job = job_at(id);
    release(job);
    job.finished = true;
    open(job.article).failed = true; // kept to the end: a failure is not asked again
    if (job.parent) {
      if (!job_at(*job.parent).finished) {
        fail(*job.parent, "one part of the split section failed: " + reason, not_sent);
      }
      return;
    }
    ++m_progress.done;
    if (job.task == Task::repair) { // the first answer stays, flagged
      if (m_network && !not_sent) {
        spdlog::warn("{} repair: {}; the first translation is kept, flagged", section_id(job), reason);
      }
      return;
    }
    Open& o = open(job.article);
    if (job.reduce_group) { // the article summary fails once, whichever step failed
      if (o.reduce.failed) return;
      o.reduce.failed = true;
    }
    if (not_sent) {
      ++m_result.stats.not_sent;
    } else if (m_network) {
      ++m_result.stats.failed;
      ++m_progress.failed;
      spdlog::warn("{} {}: {}", job.section >= 0 ? section_id(job) : article_id(job),
                   prompt::task_name(job.task), reason);
    }
    m_result.missing.push_back({article_id(job), job.section >= 0 ? section_id(job) : "",
                                prompt::task_name(job.task), reason});
    if (job.task == Task::summarize && !o.summary_failed) {
      o.summary_failed = true;
      const auto& doc = o.out.doc;
      m_result.missing.push_back({doc.article.id, "", prompt::task_name(Task::summarize_article),
                                  "a section summary is missing"});
      ++m_progress.done;
      if (!m_network) {
        const auto sections = static_cast<int>(doc.sections.size());
        m_result.stats.pending_tokens_in += sections * k_summary_tokens_estimate + 200;
        m_result.stats.pending_tokens_out += 3 * k_summary_tokens_estimate;
      }
    }
  }

  // "Input too long": the section is sent again as two halves, cut between
  // paragraphs or sentences. False when it cannot be cut (one sentence) or is
  // an article summary.
  bool split(uint64_t id, const llm::ChatError& why) {
    const Job& job = job_at(id);
    if (job.section < 0) {
      return false;
    }
    const std::string text =
      job.part_text ? *job.part_text
                    : section_text(open(job.article).out.doc.sections[static_cast<size_t>(job.section)]);
    std::vector<std::string> halves = m_segmenter.halve(text);
    if (halves.size() < 2) {
      return false;
    }
    spdlog::info("{} {}: input too long for the endpoint ({}); sending it as two parts",
                 section_id(job), prompt::task_name(job.task), llm::describe(why));
    ++open(job.article).tally.splits;
    const size_t article = job.article;
    const int section = job.section;
    const Task task = job.task;
    job_at(id).parts_pending = static_cast<int>(halves.size());
    for (auto& half : halves) {
      job_at(id).parts.push_back(m_next_job); // the id add() gives it
      add(article, section, task, std::move(half), id);
    }
    return true;
  }

  // A part's answer arrived (or was cached); the last one joins them all,
  // caches the result under the split job's own key (a re-run asks the same
  // question and must find it) and records it.
  void part_done(uint64_t id, const cache::Entry& entry) {
    job_at(id).answer = std::make_unique<cache::Entry>(entry);
    const uint64_t parent_id = *job_at(id).parent;
    Job& parent = job_at(parent_id);
    if (parent.finished || --parent.parts_pending > 0) {
      return;
    }
    cache::Entry joined = *job_at(parent.parts.front()).answer;
    joined.content.clear();
    joined.prompt_tokens = joined.completion_tokens = 0;
    for (uint64_t part : parent.parts) {
      std::unique_ptr<cache::Entry> answer = std::move(job_at(part).answer);
      if (!joined.content.empty()) joined.content += "\n\n";
      joined.content += util::trim(answer->content);
      joined.prompt_tokens += answer->prompt_tokens;
      joined.completion_tokens += answer->completion_tokens;
    }
    m_runner.m_cache.put(parent.key, prompt::task_name(parent.task), joined);
    record(parent_id, joined, false);
  }

  // An article made of its title alone has no section summaries to summarize.
  bool has_article_summary(size_t a) const { return open(a).out.doc.sections.size() > 1; }

  void release_article_if_ready(size_t a) {
    Open& o = open(a);
    if (o.pending_summaries == 0 && !o.summary_failed && has_article_summary(a)) {
      o.pending_summaries = -1; // released once
      reduce(a, section_summaries(a), 1);
    }
  }

  // Map-reduce: when the pieces do not fit one request's budget, they are
  // packed into groups that do, each group is summarized, and the summaries
  // are reduced again, level by level, until one request takes them all. So
  // an article of any length works with any context window.
  void reduce(size_t a, const std::vector<std::string>& pieces, int level) {
    const config::Config& c = m_runner.m_config;
    const int budget = c.summaries.max_input_tokens > 0 ? c.summaries.max_input_tokens
                                                         : c.segment.max_chunk_tokens;
    m_result.stats.summary_levels = std::max(m_result.stats.summary_levels, level);
    std::vector<std::string> groups;
    int group_tokens = 0;
    for (const std::string& piece : pieces) {
      const int tokens = article::estimate_tokens(piece);
      if (groups.empty() || group_tokens + tokens > budget) {
        groups.emplace_back();
        group_tokens = 0;
      } else {
        groups.back() += "\n\n";
      }
      groups.back() += piece;
      group_tokens += tokens;
    }
    if (groups.size() <= 1) {
      add(a, -1, Task::summarize_article, groups.empty() ? std::string() : groups.front());
      return;
    }
    open(a).reduce = {level, std::vector<std::string>(groups.size()), groups.size(), false};
    for (size_t g = 0; g < groups.size(); ++g) {
      Job job;
      job.article = a;
      job.section = -1;
      job.task = Task::summarize_article;
      job.part_text = std::move(groups[g]);
      job.reduce_group = g;
      ++m_progress.total;
      ++open(a).tally.total;
      add(std::move(job)); // may complete at once from the cache
    }
  }

  void reduce_step_done(size_t a, size_t group, std::string summary) {
    Reduce& r = open(a).reduce;
    if (r.failed) return;
    r.answers[group] = std::move(summary);
    if (--r.pending == 0) {
      const std::vector<std::string> answers = std::move(r.answers);
      reduce(a, answers, r.level + 1);
    }
  }

  std::string section_id(const Job& job) const {
    return open(job.article).out.doc.sections[static_cast<size_t>(job.section)].id;
  }
  std::string article_id(const Job& job) const {
    return open(job.article).out.doc.article.id;
  }

  struct Rerouted {
    uint64_t id;
    std::string reason;               // why it failed where it was, if no fallback takes it
    bool not_sent;
  };

  const config::Endpoint& endpoint() const { return m_runner.m_endpoints[m_endpoint]; }

  // A failure that says the endpoint, not the job, is the problem, once the
  // engine has parked that endpoint and a fallback is configured.
  bool reroutes(const llm::ChatError& error) const {
    if (m_endpoint + 1 >= m_runner.m_endpoints.size() || !m_engine || !m_engine->stop_reason()) {
      return false;
    }
    switch (error.kind) {
    case llm::ErrorKind::bad_request:
    case llm::ErrorKind::input_too_long:
    case llm::ErrorKind::truncated:
    case llm::ErrorKind::refused:
      return false; // the job's own content: another endpoint would fail it too
    default:
      return true;
    }
  }

  // What an article added to the counts. The run's stats take it when the
  // article is complete; an article let go takes its progress back, since it
  // is planned (and counted) again when it returns.
  struct Tally {
    int jobs = 0, cache_hits = 0, repairs = 0, repairs_fixed = 0, splits = 0;
    int64_t cached_prompt_tokens = 0, cached_completion_tokens = 0;
    int total = 0, done = 0, cached = 0; // of the progress, which counts them at once too
  };

  void add_to_stats(const Tally& t) {
    RunStats& s = m_result.stats;
    s.jobs += t.jobs;
    s.cache_hits += t.cache_hits;
    s.repairs += t.repairs;
    s.repairs_fixed += t.repairs_fixed;
    s.splits += t.splits;
    s.cached_prompt_tokens += t.cached_prompt_tokens;
    s.cached_completion_tokens += t.cached_completion_tokens;
  }

  struct Reduce {
    int level = 0;
    std::vector<std::string> answers; // of this level's groups
    size_t pending = 0;
    bool failed = false;
  };

  // An article the run works on: its output so far and the state of its jobs.
  struct Open {
    ArticleOutput out;                // moved on when the article is complete
    int pending_summaries = 0;        // section summaries the article summary waits for
    Reduce reduce;
    bool summary_failed = false;      // a section summary failed: no article summary
    int open_jobs = 0;                // added and not yet over
    bool planned = false;             // every first job added
    int in_engine = 0;                // jobs handed to an engine and not yet back
    std::vector<uint64_t> jobs;       // every job of the article, parts and repairs included
    Tally tally;
    bool failed = false;              // a job failed
    int times_let_go = 0;             // in this run, before this pass
  };

  Open& open(size_t a) { return m_open.at(a); }
  const Open& open(size_t a) const { return m_open.at(a); }
  Job& job_at(uint64_t id) { return m_jobs.at(id); }
  const Job& job_at(uint64_t id) const { return m_jobs.at(id); }

  Runner& m_runner;
  DocumentFeed& m_first_feed;
  DocumentFeed* m_feed;               // the first, or the pass's revisit
  std::unique_ptr<DocumentFeed> m_revisit;
  bool m_feed_done = false;
  size_t m_added = 0;                 // articles taken from the first feed
  std::deque<size_t> m_unplanned;     // articles taken and not planned yet
  // Batch runs: the articles let go in this pass, and those returning in this one.
  struct LetGo {
    size_t index;
    Revisit where;
    int times;                        // let go in this run, this time included
  };
  std::vector<LetGo> m_let_go;
  std::vector<LetGo> m_returning;     // in input order; those not returned yet from m_returned on
  size_t m_returned = 0;
  bool m_letting_go = false;
  static constexpr int k_max_times_let_go = 8; // then held: a request that never gets answered fails as it would
  const int64_t m_started = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch()).count();
  std::unordered_map<size_t, Open> m_open; // by article index
  std::vector<size_t> m_finished;     // complete articles whose jobs are still kept
  size_t m_endpoint = 0;              // index into m_runner.m_endpoints
  std::vector<Rerouted> m_rerouted;
  int m_answered = 0;                 // answers from the current endpoint
  article::Segmenter m_segmenter;
  llm::Dispatcher* m_engine = nullptr;
  bool m_network = false;
  std::unordered_map<uint64_t, Job> m_jobs; // of the open articles
  uint64_t m_next_job = 0;
  RunResult m_result;
  // Each article's flagged sections wait in the spill file as they come
  // (articles finish in any order); take() lists them in input order.
  struct FlaggedArticle {
    size_t article;
    util::SpillFile::Span lines;
    size_t count;
  };
  std::optional<util::SpillFile> m_flagged_file; // made at the first flagged section
  std::vector<FlaggedArticle> m_flagged;
  Progress m_progress;
  double m_spent = 0;                 // cost of answers received in this run
  double m_committed = 0;             // estimated cost of admitted, unfinished jobs
  struct Asked {
    uint64_t leader;                  // the job whose request is on its way
    std::vector<uint64_t> followers;  // jobs with the same key, waiting for it
  };
  std::unordered_map<std::string, Asked> m_asked; // by cache key
  size_t m_submitted = 0;             // jobs handed to an engine by the planning
  size_t m_in_engine = 0;             // jobs with an engine now
};

Runner::Runner(const config::Config& config, const prompt::PromptSet& prompts,
               cache::CacheStore& cache)
  : m_config(config), m_prompts(prompts), m_cache(cache),
    m_checker(config, config.glossary.empty() ? Glossary() : Glossary::load(config.glossary)) {
  m_endpoints.push_back(m_config.endpoint);
  m_endpoints.insert(m_endpoints.end(), m_config.fallbacks.begin(), m_config.fallbacks.end());
}

RunResult Runner::run(DocumentFeed& feed, llm::Transport& transport, const llm::Clock& clock) {
  const auto start = std::chrono::steady_clock::now();
  Batch batch(*this, feed);
  std::optional<llm::Clock::time_point> deadline;
  if (m_deadline_s) {
    deadline = clock.now() + std::chrono::duration_cast<llm::Clock::time_point::duration>(
                               std::chrono::duration<double>(*m_deadline_s));
  }
  bool told = false;
  auto halt = [&]() -> std::optional<std::string> {
    if (m_interrupted && m_interrupted()) {
      if (!told) {
        told = true;
        spdlog::warn("interrupted: nothing new is sent; the requests in flight are waited for (their "
                     "answers are paid for) and the exports written; interrupt again to quit at once");
      }
      return "the run was interrupted";
    }
    if (deadline && clock.now() >= *deadline) return "the run deadline passed";
    return std::nullopt;
  };
  std::vector<EndpointUse> uses;
  RunStats engine_totals;
  CacheJournal journal(m_cache);
  // The primary, then each fallback while the one before was parked with
  // work left undone.
  for (size_t i = 0; i < m_endpoints.size(); ++i) {
    const config::Endpoint& e = m_endpoints[i];
    const std::unique_ptr<llm::Dispatcher> dispatcher =
      make_dispatcher(e, e.limits.value_or(m_config.limits), transport, clock, journal, m_cache.folder(),
                      [&batch](uint64_t id, const llm::ChatOutcome& outcome) { batch.on_done(id, outcome); });
    llm::Dispatcher& engine = *dispatcher;
    engine.set_after_answers([this, &batch] {
      m_cache.commit();
      batch.release_finished();
    });
    engine.set_progress([&](const llm::EngineStats& s) {
      if (m_progress) {
        Progress p = batch.progress();
        p.in_flight = s.in_flight;
        p.retrying = s.backing_off;
        p.retries = engine_totals.retries + s.retries;
        m_progress(p);
      }
    });
    engine.set_halt(halt);
    if (m_max_cost) {
      engine.set_admission([&batch](uint64_t id) { return batch.admit(id); },
                           fmt::format("not sent: --max-cost {} {} reached", *m_max_cost,
                                       m_config.currency));
    }
    if (i == 0) {
      batch.set_engine(&engine);
      engine.set_source([&batch](size_t wanted, bool wait) { return batch.plan_more(wanted, wait); });
    } else {
      batch.fall_back(i, &engine);
    }
    engine.run();
    // A batch run that let articles go plans them again once their answers are banked.
    while (batch.next_pass(engine.stop_reason().has_value() || halt().has_value())) {
      engine.set_source([&batch](size_t wanted, bool wait) { return batch.plan_more(wanted, wait); });
      engine.run();
    }
    m_cache.commit();
    const llm::EngineStats& st = engine.stats();
    engine_totals.requests += st.sent;
    engine_totals.from_earlier += st.from_earlier;
    engine_totals.retries += st.retries;
    for (const auto& [cause, count] : st.retries_by_cause) engine_totals.retries_by_cause[cause] += count;
    engine_totals.connections_opened += st.connections_opened;
    for (const auto& [proto, count] : st.responses_by_protocol) engine_totals.responses_by_protocol[proto] += count;
    uses.push_back({e.name, endpoint_label(e), st.sent, batch.answered(), engine.stop_reason()});
    if (!engine.stop_reason() || !batch.has_rerouted()) {
      break;
    }
  }
  batch.set_engine(nullptr);
  batch.fail_rerouted();
  batch.release_finished();
  RunResult result = batch.take();
  result.stats.requests = engine_totals.requests;
  result.stats.from_earlier = engine_totals.from_earlier;
  result.stats.retries += engine_totals.retries;
  for (const auto& [cause, count] : engine_totals.retries_by_cause) {
    result.stats.retries_by_cause[cause] += count;
  }
  result.stats.connections_opened = engine_totals.connections_opened;
  result.stats.responses_by_protocol = engine_totals.responses_by_protocol;
  result.stop_reason = uses.back().stop_reason;
  result.endpoints = std::move(uses);
  result.stats.seconds =
    std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

RunResult Runner::from_cache(DocumentFeed& feed) {
  Batch batch(*this, feed);
  batch.plan();
  return batch.take();
}

// The wire-level endpoint: provider codec options and the key, read from the
// environment variable the config names (never from the config itself).
llm::Endpoint llm_endpoint(const config::Endpoint& e) {
  llm::Endpoint out;
  out.provider = llm::provider_from_name(e.provider).value_or(llm::Provider::openai);
  out.base_url = e.base_url;
  const char* key = e.api_key_env.empty() ? nullptr : std::getenv(e.api_key_env.c_str());
  out.api_key = key ? key : "";
  out.reasoning_model = config::is_reasoning_model(e);
  out.deployment = e.deployment;
  out.api_version = e.api_version;
  out.anthropic_version = e.anthropic_version;
  out.num_ctx_max = e.num_ctx_max;
  out.keep_alive = e.keep_alive;
  out.stream = e.stream;
  out.transfer = {e.connect_timeout_s, e.request_timeout_s, e.stall_timeout_s, e.first_byte_timeout_s,
                  e.ca_file.string()};
  return out;
}

} // namespace pipeline
