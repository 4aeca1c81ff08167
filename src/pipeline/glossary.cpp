#include "pipeline/glossary.hpp"

#include "util/error.hpp"
#include "util/file.hpp"
#include "util/text.hpp"
#include "util/utf8.hpp"

#include <csv.h>
#include <fmt/format.h>

#include <memory>

namespace pipeline {

namespace {

struct CsvRows {
  std::vector<std::vector<std::string>> rows{1};
};

void on_field(void* data, size_t size, void* out) {
  static_cast<CsvRows*>(out)->rows.back().emplace_back(static_cast<const char*>(data), size);
}

void on_row(int, void* out) { static_cast<CsvRows*>(out)->rows.emplace_back(); }

struct CsvParserFree {
  void operator()(csv_parser* p) const {
    csv_free(p);
    delete p;
  }
};

std::vector<std::vector<std::string>> parse_csv(const std::string& text, const std::filesystem::path& name) {
  std::unique_ptr<csv_parser, CsvParserFree> parser(new csv_parser);
  if (csv_init(parser.get(), CSV_APPEND_NULL) != 0) {
    throw util::Error(fmt::format("{}: cannot start the CSV parser", name.string()));
  }
  CsvRows out;
  if (csv_parse(parser.get(), text.data(), text.size(), on_field, on_row, &out) != text.size() ||
      csv_fini(parser.get(), on_field, on_row, &out) != 0) {
    throw util::Error(fmt::format("{}: not valid CSV ({}); quote fields that hold commas or quotes",
                                  name.string(), csv_strerror(csv_error(parser.get()))));
  }
  if (out.rows.back().empty()) out.rows.pop_back();
  return out.rows;
}

// Letters and digits continue a word; UTF-8 bytes of non-ASCII letters too.
bool is_word_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x80 || (u >= '0' && u <= '9') || ((u | 0x20) >= 'a' && (u | 0x20) <= 'z');
}

bool contains_word(std::string_view text, std::string_view term) {
  for (size_t pos = text.find(term); pos != std::string_view::npos; pos = text.find(term, pos + 1)) {
    const bool starts = pos == 0 || !is_word_byte(text[pos - 1]);
    const size_t end = pos + term.size();
    // An inflection or compound may follow a longer term ("Rechenzentrums"),
    // so only its start must be a word boundary; a short one ("KI") must end
    // there too, or "KIRCHE" would match.
    constexpr size_t k_min_stem_bytes = 5;
    const bool may_continue = term.size() >= k_min_stem_bytes;
    if (starts && (end == text.size() || !is_word_byte(text[end]) || may_continue)) {
      return true;
    }
  }
  return false;
}

} // namespace

Glossary Glossary::load(const std::filesystem::path& file) { return parse(util::read_file(file), file); }

Glossary Glossary::parse(const std::string& csv, const std::filesystem::path& name) {
  Glossary g;
  const auto rows = parse_csv(csv, name);
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    if (row.empty() || (row.size() == 1 && util::trim(row[0]).empty())) continue;
    const std::string source(util::trim(row[0]));
    if (source.starts_with('#')) continue;
    if (i == 0 && util::to_lower_ascii(source) == "source") continue; // header
    if (row.size() < 2 || util::trim(row[1]).empty() || source.empty()) {
      throw util::Error(fmt::format("{}: row {}: expected two fields, the source term and its "
                                    "translation (or keep), e.g. Rechenzentrum,data center",
                                    name.string(), i + 1));
    }
    const std::string target(util::trim(row[1]));
    const bool keep = util::to_lower_ascii(target) == "keep";
    g.m_entries.push_back({source, keep ? source : target, keep});
  }
  return g;
}

std::vector<GlossaryEntry> Glossary::matching(std::string_view text) const {
  std::vector<GlossaryEntry> out;
  for (const GlossaryEntry& e : m_entries) {
    if (contains_word(text, e.source)) out.push_back(e);
  }
  return out;
}

std::string Glossary::prompt_block(const std::vector<GlossaryEntry>& entries) {
  if (entries.empty()) return {};
  std::string out = "Glossary: render these terms exactly as given.";
  for (const GlossaryEntry& e : entries) {
    out += e.keep ? fmt::format("\n- \"{}\": keep it unchanged", e.source)
                  : fmt::format("\n- \"{}\" -> \"{}\"", e.source, e.target);
  }
  return out;
}

std::vector<GlossaryEntry> Glossary::violations(const std::vector<GlossaryEntry>& entries,
                                                std::string_view translation) {
  std::vector<GlossaryEntry> out;
  if (entries.empty()) {
    return out; // the usual case: no term of the glossary in this section
  }
  const std::string lower = util::lower_utf8(translation);
  for (const GlossaryEntry& e : entries) {
    if (lower.find(util::lower_utf8(e.target)) == std::string::npos) out.push_back(e);
  }
  return out;
}

} // namespace pipeline
