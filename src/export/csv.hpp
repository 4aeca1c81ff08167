// CSV export (RFC 4180): a header row, then one row per article; every field
// quoted, quotes doubled, commas and line breaks kept inside fields, CRLF
// between records. For spreadsheets.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace exporter {

// The columns, in order.
inline constexpr const char* k_csv_columns[] = {
  "id", "title_english", "title_source", "summary", "url", "date",
  "language", "site", "sections", "tokens", "flags"};

// `document` is document_model()'s output.
std::string csv_export(const nlohmann::ordered_json& document);

// The same, one record at a time: the header, then one row per article model.
std::string csv_header();
std::string csv_row(const nlohmann::ordered_json& article);

} // namespace exporter
