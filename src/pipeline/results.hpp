// What a run (or an export from the cache) produced, per article: the model
// for the exporters. Raw answers are kept as cached; exporters format them.
#pragma once

#include "article/article.hpp"
#include "util/spill_list.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pipeline {

struct JobResult {
  std::string content;
  std::string model;                  // as the server reported it
  std::string endpoint;               // "provider:model" as configured
  std::string prompt_hash;            // SHA-256 of the prompt file used
  std::string key;                    // cache key
  int prompt_tokens = 0;
  int completion_tokens = 0;
  int64_t created = 0;
  bool from_cache = false;
};

// A translation check that failed: "numbers-lost", "untranslated", ...
struct CheckProblem {
  std::string flag;
  std::string detail;                 // e.g. "27 %, 2.500 not in the translation"
};

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CheckProblem, flag, detail)

struct SectionOutput {
  std::optional<JobResult> translation;
  std::optional<JobResult> summary;   // never for the title
  std::vector<CheckProblem> problems; // of the translation, after a repair if one was tried
  bool repaired = false;              // the translation is the answer to a repair request
  bool source_is_target = false;      // already in the target language: the text is the source
};

struct ArticleOutput {
  article::Document doc;
  std::vector<SectionOutput> sections; // parallel to doc.sections
  std::optional<JobResult> summary;
};

// A translation that still fails a check after any repair: run-report.json
// lists each.
struct Flagged {
  std::string article_id;
  std::string section_id;
  bool repaired = false;
  std::vector<CheckProblem> problems;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Flagged, article_id, section_id, repaired, problems)

struct Missing {
  std::string article_id;
  std::string section_id;             // empty for the article summary
  std::string task;
  std::string reason;                 // "not cached", or the failure
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Missing, article_id, section_id, task, reason)

struct RunStats {
  int articles = 0;
  int sections = 0;
  int jobs = 0;
  int cache_hits = 0;
  int requests = 0;                   // HTTP attempts
  int from_earlier = 0;               // answered by batches an earlier run sent
  int retries = 0;
  int failed = 0;
  int not_sent = 0;
  int splits = 0;                     // sections sent again in two parts (input too long)
  int repairs = 0;                    // translations asked again after a failed check
  int repairs_fixed = 0;              // ... whose second answer had fewer problems
  int summary_levels = 0;             // most map-reduce levels any article summary needed
  int already_in_target = 0;          // articles in the target language: summaries only
  int64_t prompt_tokens = 0;          // of requests sent in this run
  int64_t completion_tokens = 0;
  int64_t cached_prompt_tokens = 0;   // what the cache hits cost when they were fetched
  int64_t cached_completion_tokens = 0;
  std::map<std::string, int> retries_by_cause;
  int connections_opened = 0;
  std::map<std::string, int> responses_by_protocol;
  int in_earlier_batches = 0;         // --dry-run: not cached, but in a batch an earlier run sent
  int64_t pending_tokens_in = 0;      // estimates for what is not cached (export, --dry-run)
  int64_t pending_tokens_out = 0;
  double seconds = 0;
  double cost = 0;                    // estimated, per answer at its model's price

  int answered() const { return jobs - cache_hits - failed - not_sent; } // by a request of this run
};

// One endpoint's share of a run (the primary, then each fallback used).
struct EndpointUse {
  std::string name;
  std::string label;                  // provider:model
  int requests = 0;
  int answered = 0;
  std::optional<std::string> stop_reason;
};

// Flagged sections and failures grow with the batch (a dry run lists every
// job not cached yet), so they wait on disk: the runner keeps them in the
// cache's folder.
struct RunResult {
  std::vector<ArticleOutput> articles; // unless each was handed on as it was done
  util::SpillList<Flagged> flagged;   // in input order
  std::map<std::string, int> flagged_by_check; // "numbers-lost": 3, ... (counted as they are added)
  util::SpillList<Missing> missing;   // as they happened
  RunStats stats;
  std::optional<std::string> stop_reason; // the last endpoint was stopped (auth, quota, ...)
  std::vector<EndpointUse> endpoints;
  bool budget_reached = false;        // --max-cost held requests back
};

} // namespace pipeline
