#include "export/model.hpp"

#include "pipeline/checks.hpp"
#include "util/text.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

using nlohmann::ordered_json;
using pipeline::ArticleOutput;
using pipeline::JobResult;

namespace exporter {

namespace {

// `is_source`: the text is the source itself (the article is already in the
// target language), so no model answered it.
ordered_json item(const std::optional<JobResult>& r, bool is_source = false) {
  if (!r) {
    return nullptr;
  }
  if (is_source) {
    return {{"text", util::trim(r->content)}, {"provenance", nullptr}};
  }
  return {{"text", util::trim(r->content)},
          {"provenance",
           {{"endpoint", r->endpoint},
            {"model", r->model},
            {"prompt_hash", r->prompt_hash},
            {"cache_key", r->key},
            {"created", iso_time(r->created)},
            {"from_cache", r->from_cache},
            {"prompt_tokens", r->prompt_tokens},
            {"completion_tokens", r->completion_tokens}}}};
}

ordered_json or_null(const std::string& s) { return s.empty() ? ordered_json(nullptr) : ordered_json(s); }

struct Tokens {
  int64_t prompt = 0;
  int64_t completion = 0;
  void add(const std::optional<JobResult>& r) {
    if (r) {
      prompt += r->prompt_tokens;
      completion += r->completion_tokens;
    }
  }
};

ordered_json section_model(const article::Section& section, const pipeline::SectionOutput& out,
                           std::vector<std::string> flags) {
  ordered_json checks = ordered_json::array();
  for (const auto& p : out.problems) checks.push_back({{"flag", p.flag}, {"detail", p.detail}});
  ordered_json heading = nullptr;
  if (!section.heading.empty()) {
    heading = {{"source", section.heading},
               {"english", out.translation && section.part == 1
                             ? ordered_json(split_heading(out.translation->content).first)
                             : ordered_json(nullptr)}};
  }
  return {{"id", section.id},
          {"kind", article::kind_name(section.kind)},
          {"index", section.index},
          {"part", section.part},
          {"parts", section.parts},
          {"heading", heading},
          {"source_text", section.text},
          {"translation", item(out.translation, out.source_is_target)},
          {"summary", item(out.summary)},
          {"flags", std::move(flags)},
          {"checks", checks},
          {"repaired", out.repaired}};
}

} // namespace

std::string iso_time(int64_t epoch_seconds) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(static_cast<std::time_t>(epoch_seconds)));
}

std::string english_title(const ArticleOutput& a) {
  for (size_t s = 0; s < a.doc.sections.size(); ++s) {
    if (a.doc.sections[s].kind == article::SectionKind::title && a.sections[s].translation) {
      return std::string(util::trim(a.sections[s].translation->content));
    }
  }
  return a.doc.title;
}

std::pair<std::string, std::string> split_heading(const std::string& translation) {
  std::string_view t = util::trim(translation);
  size_t nl = t.find('\n');
  std::string_view first = t.substr(0, nl);
  size_t hashes = first.find_first_not_of('#');
  first = util::trim(first.substr(hashes == std::string_view::npos ? first.size() : hashes));
  std::string_view rest = nl == std::string_view::npos ? "" : util::trim(t.substr(nl + 1));
  return {std::string(first), std::string(rest)};
}

ordered_json article_model(const ArticleOutput& a) {
  ordered_json sections = ordered_json::array();
  Tokens tokens;
  tokens.add(a.summary);
  std::vector<std::string> flags;
  for (size_t s = 0; s < a.doc.sections.size(); ++s) {
    auto section_flags = pipeline::section_flags(a.doc.sections[s], a.sections[s]);
    for (const auto& f : section_flags) pipeline::add_flag(flags, f);
    sections.push_back(section_model(a.doc.sections[s], a.sections[s], std::move(section_flags)));
    tokens.add(a.sections[s].translation);
    tokens.add(a.sections[s].summary);
  }
  if (!a.summary && a.doc.sections.size() > 1) pipeline::add_flag(flags, "summary-missing");
  const auto& meta = a.doc.article.meta;
  return {{"id", a.doc.article.id},
          {"source_file", a.doc.article.source.generic_string()},
          {"site", meta.site},
          {"url", or_null(meta.url)},
          {"date", or_null(meta.date)},
          {"language", or_null(meta.language)},
          {"author", or_null(meta.author)},
          {"title", {{"source", a.doc.title}, {"english", english_title(a)}}},
          {"summary", item(a.summary)},
          {"flags", std::move(flags)},
          {"tokens", {{"prompt", tokens.prompt}, {"completion", tokens.completion}}},
          {"sections", std::move(sections)}};
}

ordered_json document_model(const std::vector<ArticleOutput>& articles,
                            const std::string& generated_at) {
  ordered_json list = ordered_json::array();
  for (const auto& a : articles) {
    list.push_back(article_model(a));
  }
  return {{"schema", "lingopipe-export"},
          {"schema_version", k_schema_version},
          {"generated_at", generated_at},
          {"articles", std::move(list)}};
}

} // namespace exporter
