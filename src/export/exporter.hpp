// Writes the run's results: one Markdown file per article (articles/<id>.md),
// a Markdown digest of every title and summary (digest.md) and one JSON file
// with the whole structure (lingopipe.json). Every file is written to a temp
// file and renamed into place. Missing translations or summaries are marked
// in the output rather than silently dropped.
//
// lingopipe.json, schema version 1:
// {"schema":1, "articles":[{"id","source","title":{"source","english"},
//   "summary":Item|null, "sections":[{"id","kind","index","part","parts",
//   "heading":{"source","english"},"source_text","translation":Item|null,
//   "summary":Item|null}]}]}
// Item = {"text","model","endpoint","prompt_hash","created","from_cache",
//         "usage":{"prompt_tokens","completion_tokens"}}
#pragma once

#include "pipeline/results.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace exporter {

struct Written {
  std::vector<std::filesystem::path> files;
};

Written write_all(const pipeline::RunResult& result, const std::filesystem::path& dir,
                  const std::vector<std::string>& formats);

std::string article_markdown(const pipeline::ArticleOutput& article);
std::string digest_markdown(const std::vector<pipeline::ArticleOutput>& articles);
std::string json_export(const std::vector<pipeline::ArticleOutput>& articles);

// The translated heading is the first line of a heading section's
// translation; returns {heading, body}.
std::pair<std::string, std::string> split_heading(const std::string& translation);

} // namespace exporter
