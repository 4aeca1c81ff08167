// The validated run configuration. Defaults sit beside each field; config.yaml
// overrides them and environment variables override a few endpoint fields.
// The API key itself is never stored here: only the name of the variable.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace config {

struct Limits {
  int max_in_flight = 16;                 // the ceiling; 429/503/529 shrink the window below it
  double requests_per_minute = 0;         // client-side pacing; 0: unlimited
  double tokens_per_minute = 0;           // estimated before a call, corrected by its usage
  int max_attempts = 6;                   // per request, first attempt included
  double backoff_base_s = 0.5;
  double backoff_max_s = 30;
  double max_retry_after_s = 120;         // a longer server-requested wait parks the endpoint
  double max_load_wait_s = 600;           // how long a server may answer "Loading model" (llama.cpp)
  double max_outage_wait_s = 300;         // how long an endpoint that stopped answering mid-run is probed
  double park_after_overloaded_s = 0;     // >0: overloaded this long without a success parks the endpoint
};

inline constexpr const char* k_providers[] = {"openai", "azure", "anthropic", "ollama"};

struct Endpoint {
  std::string name = "primary";           // for logs and the run report
  std::string provider = "openai";        // openai | azure | anthropic | ollama
  std::string base_url;                   // e.g. https://api.openai.com/v1
  std::string model;                      // required; Azure classic: any label (the deployment routes)
  std::string api_key_env;                // empty: the provider's usual variable (see default_key_env)
  double temperature = 0.2;
  int max_output_tokens = 2048;
  int max_output_tokens_ceiling = 8192;   // a truncated answer is retried with a doubled budget up to this
  double connect_timeout_s = 10;
  double request_timeout_s = 600;         // whole request; slow local models are legitimate
  double stall_timeout_s = 120;           // abort when no byte arrives for this long
  double first_byte_timeout_s = 0;        // before the first byte; 0: stall_timeout_s (ollama: 360 at least)
  std::filesystem::path ca_file;          // PEM CA bundle to trust instead of the system's
  std::string reasoning_model = "auto";   // openai/azure: auto (by model name) | true | false
  std::string deployment;                 // azure classic: the deployment name
  std::string api_version;                // azure classic: required with deployment
  std::string anthropic_version = "2023-06-01";
  int num_ctx_max = 32768;                // ollama: cap on options.num_ctx
  std::string keep_alive = "30m";         // ollama: how long the model stays loaded
  bool stream = false;                    // streamed answers, for proxies that cut idle connections
  // The provider's batch API (openai, anthropic) instead of live requests:
  // half the price, answers within 24 hours, polled every batch_poll_s.
  bool batch = false;
  double batch_poll_s = 30;
  int batch_max_requests = 0;             // per batch; 0: the provider's (OpenAI 50,000, Anthropic 100,000)
  double batch_max_mb = 0;                // per batch's input; 0: the provider's (OpenAI 200, Anthropic 256)
  // Articles a batch run keeps in memory while their batches run; beyond
  // these, an article is let go once its requests are in batches and
  // prepared again when their answers are in.
  int batch_max_waiting_articles = 2000;
  std::optional<Limits> limits;           // this endpoint's own limits instead of the top-level ones
};

// OPENAI_API_KEY, AZURE_OPENAI_API_KEY, ANTHROPIC_API_KEY; none for ollama.
std::string default_key_env(const std::string& provider);

// reasoning_model resolved: "auto" means o1/o3/o4-style and gpt-5 model names.
bool is_reasoning_model(const Endpoint& endpoint);

struct Languages {
  std::string source = "auto";
  std::string target = "English";
};

struct Segment {
  int max_chunk_tokens = 1500;
  int heading_max_chars = 100;
  int heading_max_words = 14;
  std::vector<std::string> abbreviations; // empty: built-in German and English list
};

enum class Where { any, first, last };

struct LineRule {
  std::string name;
  std::string pattern;
  Where where = Where::any;
  std::string followed_by;                // optional: the next kept line must match too
};

struct BlockRule {
  std::string name;
  std::string start;
  std::string end;                        // empty: the block runs to the end of the article
  int max_lines = 12;                     // an unmatched end keeps the lines
};

struct SpanRule {
  std::string name;
  std::string pattern;
};

// Lines found in many articles of one site in the same batch are its chrome.
struct RepeatedLines {
  int min_articles = 3;                   // 0: off
  double min_share = 0.5;                 // of that site's articles in the batch
};

// Short paragraphs scored by length, stop words and link density.
struct Score {
  double threshold = 0.6;                 // drop at or above; above 1: off
  int max_chars = 100;                    // longer paragraphs are never scored out
};

struct Clean {
  std::vector<LineRule> drop_lines;
  std::vector<BlockRule> drop_blocks;
  std::vector<SpanRule> drop_spans;
  std::filesystem::path site_rules;       // folder of <site>.yaml rule files; empty: none
  RepeatedLines repeated_lines;
  Score score;
};

// Checks of each translation, run on read (changing them costs no request).
struct Checks {
  double min_length_ratio = 0.5;          // translation / source characters
  double max_length_ratio = 2.5;
  bool repair = true;                     // a failed check gets one retry with a repair instruction
};

// "2 sentences" or "4 bullets".
struct SummaryLength {
  int count = 2;
  bool bullets = false;
};

struct Summaries {
  SummaryLength section = {2, false};
  SummaryLength article = {5, false};
  int max_input_tokens = 0;               // per article-summary request; 0: segment.max_chunk_tokens
};

struct Cache {
  std::filesystem::path path = ".lingopipe/cache.sqlite";
};

inline constexpr const char* k_export_formats[] = {"md", "json", "jsonl", "csv", "html"};

struct Export {
  std::filesystem::path dir = "out";
  std::vector<std::string> formats = {"md", "json"}; // md json jsonl csv html
  std::filesystem::path markdown_template;  // empty: the built-in newsletter digest
  std::filesystem::path html_template;      // empty: the built-in HTML digest
};

// Price of one model in some currency per million tokens, for cost estimates.
struct Price {
  double input_per_mtok = 0;
  double output_per_mtok = 0;
};

struct Config {
  std::filesystem::path file;             // where it was read from
  Endpoint endpoint;
  // Tried in order when the endpoint before is parked (auth, quota, model not
  // found, untrusted certificate, or a Retry-After beyond max_retry_after_s).
  std::vector<Endpoint> fallbacks;
  Limits limits;
  Languages languages;
  Segment segment;
  Clean clean;
  Checks checks;
  Summaries summaries;
  std::filesystem::path glossary;         // CSV of source term, target term or "keep"; empty: none
  Cache cache;
  Export exports;
  std::filesystem::path prompts_dir = "prompts";
  std::vector<std::string> inputs = {"articles"};
  std::map<std::string, Price> prices;    // by model name; a model without a price costs 0
  std::string currency = "USD";
};

// Reads and validates `path`, resolves relative paths against its folder and
// applies LINGOPIPE_BASE_URL, LINGOPIPE_MODEL and LINGOPIPE_API_KEY_ENV.
// Throws util::Error with "file:line:column: key.path: problem; what to do".
Config load(const std::filesystem::path& path);

// A per-site rule file (clean.site_rules/<site>.yaml): drop_lines,
// drop_blocks and drop_spans as in config.yaml. Throws util::Error naming it.
Clean load_clean_rules(const std::filesystem::path& path);

// Same, from text (for tests); `name` is used in messages.
Config parse(const std::string& text, const std::filesystem::path& name);

} // namespace config
