#include "export/exporter.hpp"

#include "export/csv.hpp"
#include "export/model.hpp"
#include "export/templates.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>

namespace fs = std::filesystem;
using nlohmann::ordered_json;
using pipeline::ArticleOutput;
using pipeline::JobResult;

namespace exporter {

namespace {

constexpr std::string_view k_missing = "*[not available yet: run `lingopipe run` to fetch it]*";
constexpr std::string_view k_digest_title = "lingopipe digest";

std::string text_or_missing(const std::optional<JobResult>& r) {
  return r ? std::string(util::trim(r->content)) : std::string(k_missing);
}

std::string text_or_missing(const ordered_json& item) {
  return item.is_null() ? std::string(k_missing) : item["text"].get<std::string>();
}

void ensure_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    throw util::Error(fmt::format("{}: cannot create export folder: {}; check export.dir or --out",
                                  dir.string(), ec.message()));
  }
}

std::string now_iso() {
  return iso_time(std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count());
}

// Only web links become links: a "javascript:" URL in front matter must not.
ordered_json link_url(const ordered_json& url) {
  if (!url.is_string()) return false;
  const std::string u = url.get<std::string>();
  return u.starts_with("https://") || u.starts_with("http://") ? ordered_json(u) : ordered_json(false);
}

std::string join(const ordered_json& list, std::string_view separator) {
  std::string out;
  for (const auto& s : list) {
    if (!out.empty()) out += separator;
    out += s.get<std::string>();
  }
  return out;
}

ordered_json section_view(const ordered_json& s) {
  ordered_json v = s;
  std::string anchor = s["id"].get<std::string>();
  std::ranges::replace(anchor, '#', '-');
  v["anchor"] = anchor;
  const bool has_heading = s["heading"].is_object();
  v["source_heading"] = has_heading ? s["heading"]["source"] : ordered_json(false);
  v["english_heading"] = false;
  v["english_body"] = std::string(k_missing);
  if (!s["translation"].is_null()) {
    const std::string text = s["translation"]["text"].get<std::string>();
    if (has_heading && s["part"] == 1) {
      auto [heading, body] = split_heading(text);
      v["english_heading"] = heading;
      v["english_body"] = body;
    } else {
      v["english_body"] = text;
    }
  } else if (has_heading && s["part"] == 1) {
    v["english_heading"] = s["heading"]["source"];
  }
  v["flagged"] = !s["flags"].empty();
  return v;
}

// What templates see of an article beyond the model: ready-to-print texts.
ordered_json article_view(const ordered_json& a) {
  ordered_json v = a;
  v["summary_text"] = text_or_missing(a["summary"]);
  v["link_url"] = link_url(a["url"]);
  v["flagged"] = !a["flags"].empty();
  v["flags_text"] = join(a["flags"], ", ");
  ordered_json sections = ordered_json::array();
  for (const auto& s : a["sections"]) {
    if (s["kind"] != "title") sections.push_back(section_view(s));
  }
  v["section_count"] = sections.size();
  v["body_sections"] = std::move(sections);
  return v;
}

// Articles grouped by site, then by date (newest first, undated last), for
// newsletters.
ordered_json grouped(const ordered_json& articles) {
  std::map<std::string, std::map<std::string, ordered_json, std::greater<>>> by_site;
  for (const auto& a : articles) {
    const std::string date = a["date"].is_string() ? a["date"].get<std::string>().substr(0, 10) : "";
    auto& list = by_site[a["site"].get<std::string>()][date];
    if (list.is_null()) list = ordered_json::array();
    list.push_back(article_view(a));
  }
  ordered_json groups = ordered_json::array();
  for (auto& [site, dates] : by_site) {
    ordered_json date_groups = ordered_json::array();
    for (auto& [date, list] : dates) { // std::greater puts "" (undated) last
      date_groups.push_back({{"label", date.empty() ? "Undated" : date}, {"articles", list}});
    }
    groups.push_back({{"site", site.empty() ? "Other" : site}, {"dates", std::move(date_groups)}});
  }
  return groups;
}

ordered_json template_context(const ordered_json& document) {
  ordered_json articles = ordered_json::array();
  for (const auto& a : document["articles"]) articles.push_back(article_view(a));
  return {{"title", k_digest_title},
          {"generated_at", document["generated_at"]},
          {"article_count", document["articles"].size()},
          {"articles", std::move(articles)},
          {"groups", grouped(document["articles"])}};
}

std::string template_text(const fs::path& path, std::string_view fallback) {
  return path.empty() ? std::string(fallback) : util::read_file(path);
}

} // namespace

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

// Sections that render nothing leave blank lines behind; in Markdown one
// blank line means the same as several, so runs collapse to one.
std::string collapse_blank_lines(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n' && out.ends_with("\n\n")) continue;
    out += c;
  }
  while (out.ends_with("\n\n")) out.pop_back();
  return out;
}

std::string digest_markdown(const ordered_json& document, const std::string& tmpl,
                            const std::string& template_name) {
  return collapse_blank_lines(
    render_template(tmpl, template_context(document), Escape::none, template_name));
}

std::string digest_html(const ordered_json& document, const std::string& tmpl,
                        const std::string& template_name) {
  return render_template(tmpl, template_context(document), Escape::html, template_name);
}

std::string jsonl_export(const ordered_json& document) {
  std::string out;
  for (const auto& a : document["articles"]) {
    out += a.dump();
    out += '\n';
  }
  return out;
}

Written write_all(const pipeline::RunResult& result, const Options& options) {
  Written written;
  const fs::path& dir = options.dir;
  ensure_dir(dir);
  auto write = [&](const fs::path& path, const std::string& text) {
    util::write_file_atomic(path, text);
    written.files.push_back(path);
  };
  const ordered_json document = document_model(
    result.articles, options.generated_at.empty() ? now_iso() : options.generated_at);
  for (const auto& format : options.formats) {
    if (format == "md") {
      ensure_dir(dir / "articles");
      for (const auto& a : result.articles) {
        write(dir / "articles" / (a.doc.article.id + ".md"), article_markdown(a));
      }
      const std::string name = options.markdown_template.empty()
                                 ? "built-in digest.md template"
                                 : options.markdown_template.string();
      write(dir / "digest.md",
            digest_markdown(document,
                            template_text(options.markdown_template,
                                          k_default_markdown_digest_template),
                            name));
    } else if (format == "json") {
      write(dir / "lingopipe.json", document.dump(2) + "\n");
    } else if (format == "jsonl") {
      write(dir / "lingopipe.jsonl", jsonl_export(document));
    } else if (format == "csv") {
      write(dir / "lingopipe.csv", csv_export(document));
    } else if (format == "html") {
      const std::string name = options.html_template.empty() ? "built-in digest.html template"
                                                             : options.html_template.string();
      write(dir / "digest.html",
            digest_html(document,
                        template_text(options.html_template, k_default_html_digest_template),
                        name));
    } else {
      throw util::Error(fmt::format("export format '{}' is not one of md, json, jsonl, csv, html",
                                    format));
    }
  }
  return written;
}

} // namespace exporter
