#include "export/exporter.hpp"

#include "util/error.hpp"
#include "util/file.hpp"
#include "util/text.hpp"

#include <nlohmann/json.hpp>

#include <fmt/format.h>

namespace fs = std::filesystem;
using nlohmann::ordered_json;
using pipeline::ArticleOutput;
using pipeline::JobResult;

namespace exporter {

namespace {

constexpr std::string_view k_missing = "*[not available yet: run `lingopipe run` to fetch it]*";

std::string english_title(const ArticleOutput& a) {
  for (size_t s = 0; s < a.doc.sections.size(); ++s) {
    if (a.doc.sections[s].kind == article::SectionKind::title && a.sections[s].translation) {
      return std::string(util::trim(a.sections[s].translation->content));
    }
  }
  return a.doc.title;
}

std::string text_or_missing(const std::optional<JobResult>& r) {
  return r ? std::string(util::trim(r->content)) : std::string(k_missing);
}

ordered_json item(const std::optional<JobResult>& r) {
  if (!r) {
    return nullptr;
  }
  return {{"text", util::trim(r->content)},
          {"model", r->model},
          {"endpoint", r->endpoint},
          {"prompt_hash", r->prompt_hash},
          {"created", r->created},
          {"from_cache", r->from_cache},
          {"usage", {{"prompt_tokens", r->prompt_tokens}, {"completion_tokens", r->completion_tokens}}}};
}

void ensure_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    throw util::Error(fmt::format("{}: cannot create export folder: {}; check export.dir or --out",
                                  dir.string(), ec.message()));
  }
}

} // namespace

std::pair<std::string, std::string> split_heading(const std::string& translation) {
  std::string_view t = util::trim(translation);
  size_t nl = t.find('\n');
  std::string_view first = t.substr(0, nl);
  size_t hashes = first.find_first_not_of('#');
  first = util::trim(first.substr(hashes == std::string_view::npos ? first.size() : hashes));
  std::string_view rest = nl == std::string_view::npos ? "" : util::trim(t.substr(nl + 1));
  return {std::string(first), std::string(rest)};
}

std::string article_markdown(const ArticleOutput& a) {
  std::string md = fmt::format("# {}\n\n", english_title(a));
  md += fmt::format("*Source: {} ({})*\n\n", a.doc.article.source.generic_string(), a.doc.title);
  md += fmt::format("## Summary\n\n{}\n", text_or_missing(a.summary));
  for (size_t s = 0; s < a.doc.sections.size(); ++s) {
    const auto& section = a.doc.sections[s];
    const auto& out = a.sections[s];
    if (section.kind == article::SectionKind::title) {
      continue;
    }
    std::string body = text_or_missing(out.translation);
    if (!section.heading.empty() && section.part == 1) {
      std::string heading = section.heading;
      if (out.translation) {
        std::tie(heading, body) = split_heading(out.translation->content);
      }
      md += fmt::format("\n## {}\n", heading);
    }
    md += fmt::format("\n{}\n", body);
  }
  return md;
}

std::string digest_markdown(const std::vector<ArticleOutput>& articles) {
  std::string md = "# lingopipe digest\n";
  for (const auto& a : articles) {
    md += fmt::format("\n## [{}](articles/{}.md)\n\n", english_title(a), a.doc.article.id);
    md += fmt::format("{}\n", text_or_missing(a.summary));
  }
  return md;
}

std::string json_export(const std::vector<ArticleOutput>& articles) {
  ordered_json root = {{"schema", 1}, {"articles", ordered_json::array()}};
  for (const auto& a : articles) {
    ordered_json sections = ordered_json::array();
    for (size_t s = 0; s < a.doc.sections.size(); ++s) {
      const auto& section = a.doc.sections[s];
      const auto& out = a.sections[s];
      ordered_json heading = nullptr;
      if (!section.heading.empty()) {
        heading = {{"source", section.heading},
                   {"english", out.translation && section.part == 1
                                 ? ordered_json(split_heading(out.translation->content).first)
                                 : ordered_json(nullptr)}};
      }
      sections.push_back({{"id", section.id},
                          {"kind", article::kind_name(section.kind)},
                          {"index", section.index},
                          {"part", section.part},
                          {"parts", section.parts},
                          {"heading", heading},
                          {"source_text", section.text},
                          {"translation", item(out.translation)},
                          {"summary", item(out.summary)}});
    }
    root["articles"].push_back({{"id", a.doc.article.id},
                                {"source", a.doc.article.source.generic_string()},
                                {"title", {{"source", a.doc.title}, {"english", english_title(a)}}},
                                {"summary", item(a.summary)},
                                {"sections", std::move(sections)}});
  }
  return root.dump(2) + "\n";
}

Written write_all(const pipeline::RunResult& result, const fs::path& dir,
                  const std::vector<std::string>& formats) {
  Written written;
  ensure_dir(dir);
  auto write = [&](const fs::path& path, const std::string& text) {
    util::write_file_atomic(path, text);
    written.files.push_back(path);
  };
  for (const auto& format : formats) {
    if (format == "md") {
      ensure_dir(dir / "articles");
      for (const auto& a : result.articles) {
        write(dir / "articles" / (a.doc.article.id + ".md"), article_markdown(a));
      }
      write(dir / "digest.md", digest_markdown(result.articles));
    } else if (format == "json") {
      write(dir / "lingopipe.json", json_export(result.articles));
    }
  }
  return written;
}

} // namespace exporter
