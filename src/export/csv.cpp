#include "export/csv.hpp"

#include <csv.h>

#include <string_view>
#include <vector>

namespace exporter {

namespace {

void append_field(std::string& out, std::string_view field) {
  // csv_write2 quotes the field and doubles embedded quotes; it needs at most
  // two bytes per input byte plus the two quotes.
  std::vector<char> buffer(field.size() * 2 + 2);
  const size_t n = csv_write2(buffer.data(), buffer.size(), field.data(), field.size(), '"');
  out.append(buffer.data(), n);
}

std::string string_or_empty(const nlohmann::ordered_json& j) {
  return j.is_string() ? j.get<std::string>() : std::string();
}

std::vector<std::string> row(const nlohmann::ordered_json& a) {
  std::string flags;
  for (const auto& f : a["flags"]) {
    if (!flags.empty()) flags += ';';
    flags += f.get<std::string>();
  }
  const auto& summary = a["summary"];
  const auto& tokens = a["tokens"];
  return {a["id"].get<std::string>(),
          a["title"]["english"].get<std::string>(),
          a["title"]["source"].get<std::string>(),
          summary.is_null() ? std::string() : summary["text"].get<std::string>(),
          string_or_empty(a["url"]),
          string_or_empty(a["date"]),
          string_or_empty(a["language"]),
          a["site"].get<std::string>(),
          std::to_string(a["sections"].size()),
          std::to_string(tokens["prompt"].get<int64_t>() + tokens["completion"].get<int64_t>()),
          flags};
}

void append_record(std::string& out, const std::vector<std::string>& fields) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    append_field(out, fields[i]);
  }
  out += "\r\n";
}

} // namespace

std::string csv_header() {
  std::string out;
  append_record(out, {std::begin(k_csv_columns), std::end(k_csv_columns)});
  return out;
}

std::string csv_row(const nlohmann::ordered_json& article) {
  std::string out;
  append_record(out, row(article));
  return out;
}

std::string csv_export(const nlohmann::ordered_json& document) {
  std::string out = csv_header();
  for (const auto& a : document["articles"]) {
    out += csv_row(a);
  }
  return out;
}

} // namespace exporter
