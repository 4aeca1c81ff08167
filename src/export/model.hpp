// The export model: the run's results as JSON in the documented, versioned
// schema (docs/export-schema.json). JSON and JSONL are this model written
// out; CSV, Markdown and HTML are rendered from it, so every format carries
// the same titles, flags and provenance.
#pragma once

#include "pipeline/results.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace exporter {

constexpr int k_schema_version = 3;

// One article: metadata, English and source titles, summary, flags, token
// totals and its sections, each translation and summary with provenance.
nlohmann::ordered_json article_model(const pipeline::ArticleOutput& article);

// {"schema", "schema_version", "generated_at", "articles": [...]}
nlohmann::ordered_json document_model(const std::vector<pipeline::ArticleOutput>& articles,
                                      const std::string& generated_at);

// The English title: the title section's translation, else the source title.
std::string english_title(const pipeline::ArticleOutput& article);

// The translated heading is the first line of a heading section's
// translation; returns {heading, body}.
std::pair<std::string, std::string> split_heading(const std::string& translation);

// Seconds since the epoch as "2025-01-30T08:15:00Z".
std::string iso_time(int64_t epoch_seconds);

} // namespace exporter
