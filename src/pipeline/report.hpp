// Cost estimates from the price table, and the run report: a JSON file
// beside the exports with counts per outcome, retries by cause, every
// failure with its article, section and reason, tokens, cost and wall time.
//
// run-report.json, schema 1:
// {"schema":1,"endpoint":{"base_url","model"},"wall_seconds",
//  "jobs":{"total","cached","sent_ok","failed","not_sent"},"requests","retries":{"total","by_cause":{}},
//  "tokens":{"in","out","saved_by_cache":{"in","out"}},
//  "cost":{"currency","estimated","saved_by_cache","priced"},
//  "stopped":reason|null,"failures":[{"article","section","task","reason"}]}
#pragma once

#include "config/config.hpp"
#include "pipeline/results.hpp"
#include "util/json_writer.hpp"

#include <filesystem>
#include <string>

namespace pipeline {

// Estimated cost of `tokens_in` / `tokens_out` on `endpoint`'s model (default:
// the primary endpoint), at half the price through a batch API; 0 when unpriced.
double estimate_cost(const config::Config& config, int64_t tokens_in, int64_t tokens_out);
double estimate_cost(const config::Config& config, const config::Endpoint& endpoint, int64_t tokens_in,
                     int64_t tokens_out);

// run-report.json's text, written to `sink` as it is made: its lists (flagged
// sections, failures) grow with the batch, so they go one entry at a time
// and the report never exists as one tree.
void write_report(const config::Config& config, const RunResult& result, const util::JsonWriter::Sink& sink);
// The same into `path`, atomically.
void write_report(const config::Config& config, const RunResult& result, const std::filesystem::path& path);

} // namespace pipeline
