// Plans the jobs of a batch (per section: translate, and summarize unless it
// is the title; per article: summarize_article over the section summaries),
// answers each from the cache where it can, sends the rest through the
// engine, and commits every answer to the cache as it arrives. An article's
// summary job is released as soon as that article's section summaries are
// done, and built map-reduce when they do not fit one request. Articles
// already in the target language get summaries only. Every translation is
// checked on read (pipeline/checks); a failed check asks once more with
// prompts/repair.md. Without a transport it only reads the cache (the export
// path).
#pragma once

#include "article/article.hpp"
#include "cache/store.hpp"
#include "config/config.hpp"
#include "llm/codec.hpp"
#include "llm/transport.hpp"
#include "pipeline/checks.hpp"
#include "pipeline/feed.hpp"
#include "pipeline/results.hpp"
#include "prompt/prompt_set.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace pipeline {

// The wire-level endpoint for a configured one: provider codec options and
// the API key, read from the environment variable the config names.
llm::Endpoint llm_endpoint(const config::Endpoint& endpoint);

struct Progress {
  int done = 0;
  int total = 0;
  int cached = 0;
  int in_flight = 0;
  int retrying = 0;                   // waiting out a retry's delay
  int retries = 0;                    // retries so far
  int failed = 0;
  int64_t tokens = 0;                 // in + out of answers received in this run
};

class Runner {
public:
  Runner(const config::Config& config, const prompt::PromptSet& prompts,
         cache::CacheStore& cache);

  // Network run: misses go to `transport`. The documents are taken from
  // `feed` as the engine needs requests.
  RunResult run(DocumentFeed& feed, llm::Transport& transport, const llm::Clock& clock);
  RunResult run(std::vector<article::Document> docs, llm::Transport& transport,
                const llm::Clock& clock) {
    ReadyFeed feed(std::move(docs));
    return run(feed, transport, clock);
  }
  // Cache only: misses are listed in RunResult::missing.
  RunResult from_cache(DocumentFeed& feed);
  RunResult from_cache(std::vector<article::Document> docs) {
    ReadyFeed feed(std::move(docs));
    return from_cache(feed);
  }

  void on_progress(std::function<void(const Progress&)> callback) {
    m_progress = std::move(callback);
  }
  // Called once per article as soon as all its jobs are over (from the cache
  // or the network, answered or failed), with its index in the batch. The
  // article is handed over: it is not kept for RunResult::articles, so a run
  // holds only the articles it is working on.
  void on_article_done(std::function<void(size_t, ArticleOutput&&)> callback) {
    m_article_done = std::move(callback);
  }
  // Stop sending new requests once the estimated spend would pass `max_cost`.
  void set_max_cost(std::optional<double> max_cost) { m_max_cost = max_cost; }
  // What one llama.cpp slot holds, and where the server said so.
  struct SlotContext {
    int tokens = 0;
    std::string source;               // "llama.cpp /props"
  };
  // The context one request may use on endpoint `name` (llama.cpp's per-slot
  // n_ctx): larger section jobs are split before they are sent.
  void set_slot_context(const std::string& name, SlotContext context) { m_slot_context[name] = std::move(context); }
  // For from_cache() (--dry-run) with a batch endpoint: the requests, by
  // custom_id, that batches of earlier runs hold or answered into the bank.
  // They are paid for, so they are counted apart, not as still to send.
  void set_paid_in_batches(llm::Endpoint endpoint, std::unordered_set<std::string> custom_ids) {
    m_batch_endpoint = std::move(endpoint);
    m_paid_in_batches = std::move(custom_ids);
  }
  // Stop sending new requests after this many seconds; in-flight ones finish.
  void set_deadline(std::optional<double> seconds) { m_deadline_s = seconds; }
  // Asked at every wake-up of the engine; once true, nothing new is sent,
  // what is in flight is waited for, and the run ends as after a deadline.
  void set_interrupted(std::function<bool()> interrupted) { m_interrupted = std::move(interrupted); }

private:
  struct Job;
  class Batch;

  config::Config m_config;
  std::vector<config::Endpoint> m_endpoints; // the primary, then the fallbacks in order
  const prompt::PromptSet& m_prompts;
  cache::CacheStore& m_cache;
  Checker m_checker;
  std::function<void(const Progress&)> m_progress;
  std::function<void(size_t, ArticleOutput&&)> m_article_done;
  std::optional<double> m_max_cost;
  std::optional<double> m_deadline_s;
  std::function<bool()> m_interrupted;
  std::map<std::string, SlotContext> m_slot_context; // by endpoint name
  llm::Endpoint m_batch_endpoint;
  std::unordered_set<std::string> m_paid_in_batches;
};

} // namespace pipeline
