// Writes the exports a run or `lingopipe export` asks for, every file to a
// temp file renamed into place:
//   md    articles/<id>.md per article and digest.md (newsletter template)
//   json  lingopipe.json, the whole export model (docs/export-schema.json)
//   jsonl lingopipe.jsonl, one article per line
//   csv   lingopipe.csv, one row per article
//   html  digest.html, self-contained, searchable, originals beside
// The same inputs and cache give byte-identical files apart from the one
// generated-at line of json, md and html. Missing translations or summaries
// are marked, never silently dropped.
#pragma once

#include "pipeline/results.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace exporter {

struct Options {
  std::filesystem::path dir;
  std::vector<std::string> formats;
  std::filesystem::path markdown_template;  // empty: the built-in digest.md template
  std::filesystem::path html_template;      // empty: the built-in digest.html template
  std::string generated_at;                 // empty: now
};

struct Written {
  std::vector<std::filesystem::path> files;
};

Written write_all(const pipeline::RunResult& result, const Options& options);

std::string article_markdown(const pipeline::ArticleOutput& article);
std::string digest_markdown(const nlohmann::ordered_json& document, const std::string& tmpl,
                            const std::string& template_name);
std::string digest_html(const nlohmann::ordered_json& document, const std::string& tmpl,
                        const std::string& template_name);
std::string jsonl_export(const nlohmann::ordered_json& document);
// The same text as document.dump(2) + "\n", built one article at a time.
std::string json_export(const nlohmann::ordered_json& document);

} // namespace exporter
