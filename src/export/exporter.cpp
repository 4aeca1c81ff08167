#include "export/exporter.hpp"

#include "export/csv.hpp"
#include "export/model.hpp"
#include "config/config.hpp"
#include "export/templates.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/json_writer.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <optional>
#include <utility>

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

// What templates see of an article: the model's fields without its sections
// (a digest shows titles and summaries), plus ready-to-print texts; with
// `sections`, also body_sections for templates that show the full text.
ordered_json article_view(const ordered_json& a, bool sections) {
  ordered_json v = ordered_json::object();
  for (const char* key : {"id", "source_file", "site", "url", "date", "language", "author",
                          "title", "flags", "tokens"}) {
    v[key] = a[key];
  }
  v["summary_text"] = text_or_missing(a["summary"]);
  v["link_url"] = link_url(a["url"]);
  v["flagged"] = !a["flags"].empty();
  v["flags_text"] = join(a["flags"], ", ");
  ordered_json body = ordered_json::array();
  for (const auto& s : a["sections"]) {
    if (s["kind"] != "title") {
      body.push_back(sections ? section_view(s) : ordered_json(nullptr));
    }
  }
  v["section_count"] = body.size();
  if (sections) v["body_sections"] = std::move(body);
  return v;
}

// What the digests show of an article, from its view (and its view with
// sections for digest.html).
DigestEntry digest_entry(const ordered_json& lean, const ordered_json* html) {
  DigestEntry e;
  e.site = lean["site"].get<std::string>();
  e.date = lean["date"].is_string() ? lean["date"].get<std::string>().substr(0, 10) : "";
  e.lean = to_template_data(lean);
  if (html) e.html = to_template_data(*html);
  return e;
}

// The lean views grouped by site, then by date (newest first, undated last),
// for newsletters.
TemplateData groups_of(const std::vector<DigestEntry>& entries) {
  std::map<std::string, std::map<std::string, std::vector<TemplateData>, std::greater<>>> by_site;
  for (const auto& e : entries) by_site[e.site][e.date].push_back(e.lean);
  std::vector<TemplateData> groups;
  for (auto& [site, dates] : by_site) {
    std::vector<TemplateData> date_groups;
    for (auto& [date, list] : dates) { // std::greater puts "" (undated) last
      TemplateData group{TemplateData::type::object};
      set_template_value(group, "label", TemplateData(date.empty() ? "Undated" : date));
      set_template_value(group, "articles", template_list(std::move(list)));
      date_groups.push_back(std::move(group));
    }
    TemplateData group{TemplateData::type::object};
    set_template_value(group, "site", TemplateData(site.empty() ? "Other" : site));
    set_template_value(group, "dates", template_list(std::move(date_groups)));
    groups.push_back(std::move(group));
  }
  return template_list(std::move(groups));
}

// The context of both digest templates: "articles" in model order and
// "groups" by site and date. Only the HTML digest's articles carry
// body_sections: the Markdown digest links to articles/<id>.md instead. The
// articles' views are moved out of `entries`.
TemplateData digest_context(const std::string& generated_at, std::vector<DigestEntry>& entries, bool html) {
  TemplateData context{TemplateData::type::object};
  set_template_value(context, "title", TemplateData(std::string(k_digest_title)));
  set_template_value(context, "generated_at", TemplateData(generated_at));
  set_template_value(context, "article_count", TemplateData(std::to_string(entries.size())));
  set_template_value(context, "groups", groups_of(entries));
  std::vector<TemplateData> articles;
  articles.reserve(entries.size());
  for (auto& e : entries) articles.push_back(std::move(html ? e.html : e.lean));
  set_template_value(context, "articles", template_list(std::move(articles)));
  return context;
}

// The digest entries of a whole document's articles, for the string-returning functions.
std::vector<DigestEntry> entries_of(const ordered_json& document, bool html) {
  std::vector<DigestEntry> entries;
  for (const auto& a : document["articles"]) {
    const ordered_json full = html ? article_view(a, true) : ordered_json();
    entries.push_back(digest_entry(article_view(a, false), html ? &full : nullptr));
  }
  return entries;
}

// lingopipe.json is written one article at a time, formatted exactly as
// document_model(...).dump(2) + "\n" would be, so that the whole export never
// exists as one JSON tree: its head, each article, then its end.
void begin_json(util::JsonWriter& w, const std::string& generated_at) {
  w.begin_object();
  w.value("schema", "lingopipe-export");
  w.value("schema_version", k_schema_version);
  w.value("generated_at", generated_at);
  w.begin_array("articles");
}

void end_json(util::JsonWriter& w) {
  w.end(); // articles
  w.end();
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

namespace {

// The digests from the digest entries, as the document and the exporter
// both have them; each moves the articles' views it shows out of `entries`.
std::string markdown_digest_of(const std::string& generated_at, std::vector<DigestEntry>& entries,
                               const std::string& tmpl, const std::string& template_name) {
  return collapse_blank_lines(render_template(tmpl, digest_context(generated_at, entries, false),
                                              Escape::none, template_name));
}

std::string html_digest_of(const std::string& generated_at, std::vector<DigestEntry>& entries,
                           const std::string& tmpl, const std::string& template_name) {
  return render_template(tmpl, digest_context(generated_at, entries, true), Escape::html, template_name);
}

} // namespace

std::string digest_markdown(const ordered_json& document, const std::string& tmpl,
                            const std::string& template_name) {
  std::vector<DigestEntry> entries = entries_of(document, false);
  return markdown_digest_of(document["generated_at"].get<std::string>(), entries, tmpl, template_name);
}

std::string digest_html(const ordered_json& document, const std::string& tmpl,
                        const std::string& template_name) {
  std::vector<DigestEntry> entries = entries_of(document, true);
  return html_digest_of(document["generated_at"].get<std::string>(), entries, tmpl, template_name);
}

std::string json_export(const ordered_json& document) {
  std::string out;
  util::JsonWriter w([&out](std::string_view text) { out += text; });
  begin_json(w, document["generated_at"]);
  for (const auto& a : document["articles"]) w.value(a);
  end_json(w);
  return out;
}

std::string jsonl_export(const ordered_json& document) {
  std::string out;
  for (const auto& a : document["articles"]) {
    out += a.dump();
    out += '\n';
  }
  return out;
}

Exporter::Exporter(Options options)
  : m_options(std::move(options)),
    m_generated_at(m_options.generated_at.empty() ? now_iso() : m_options.generated_at) {
  for (const auto& f : m_options.formats) {
    if (std::ranges::find(config::k_export_formats, std::string_view(f)) == std::end(config::k_export_formats)) {
      throw util::Error(fmt::format("export format '{}' is not one of md, json, jsonl, csv, html", f));
    }
  }
}

bool Exporter::wants(std::string_view format) const {
  return std::ranges::find(m_options.formats, format) != m_options.formats.end();
}

// One article's part of every export, from one model of it.
Exporter::Piece Exporter::piece_of(const ArticleOutput& a) const {
  const ordered_json model = article_model(a);
  Piece p;
  p.id = a.doc.article.id;
  if (wants("json")) p.json = model.dump(2);
  if (wants("jsonl")) p.jsonl = model.dump() + "\n";
  if (wants("csv")) p.csv = csv_row(model);
  if (wants("md") || wants("html")) {
    const ordered_json full = wants("html") ? article_view(model, true) : ordered_json();
    p.digest = digest_entry(article_view(model, false), wants("html") ? &full : nullptr);
  }
  return p;
}

void Exporter::write_markdown(const ArticleOutput& a) {
  const fs::path dir = m_options.dir / "articles";
  if (!m_articles_dir_made) {
    ensure_dir(dir);
    m_articles_dir_made = true;
  }
  util::write_file_if_changed(dir / (a.doc.article.id + ".md"), article_markdown(a));
}

void Exporter::article_done(size_t index, ArticleOutput&& article) {
  m_worker.post([this, index, article = std::move(article)] { export_early(index, article); });
}

void Exporter::export_early(size_t index, const ArticleOutput& article) {
  if (m_pieces.size() <= index) m_pieces.resize(index + 1);
  if (wants("md")) write_markdown(article);
  m_pieces[index] = piece_of(article);
  if (index == m_streams.next) {
    stream_ready();
  } else {
    spill(*m_pieces[index]); // the big parts wait on disk: the batch's JSON is as large as the batch
  }
}

void Exporter::spill(Piece& p) {
  if (!wants("json") && !wants("jsonl")) return;
  if (!m_spill) {
    ensure_dir(m_options.dir);
    m_spill.emplace(m_options.dir);
  }
  if (wants("json")) p.json_spilled = m_spill->append(std::exchange(p.json, {}));
  if (wants("jsonl")) p.jsonl_spilled = m_spill->append(std::exchange(p.jsonl, {}));
}

void Exporter::stream_ready() {
  while (m_streams.next < m_pieces.size() && m_pieces[m_streams.next]) {
    stream(*m_pieces[m_streams.next]);
    ++m_streams.next;
  }
}

void Exporter::open_streams() {
  ensure_dir(m_options.dir);
  if (wants("json")) {
    const fs::path path = m_options.dir / "lingopipe.json";
    util::remove_stale_temps(path);
    m_streams.json.emplace(path);
    m_streams.json_writer.emplace([this](std::string_view text) { m_streams.json->write(text); });
    begin_json(*m_streams.json_writer, m_generated_at);
  }
  if (wants("jsonl")) {
    const fs::path path = m_options.dir / "lingopipe.jsonl";
    util::remove_stale_temps(path);
    m_streams.jsonl.emplace(path);
  }
  if (wants("csv")) {
    const fs::path path = m_options.dir / "lingopipe.csv";
    util::remove_stale_temps(path);
    m_streams.csv.emplace(path);
    m_streams.csv->write(csv_header());
  }
  m_streams.open = true;
}

void Exporter::flush() {
  m_worker.post([this] { flush_streams(); });
  m_worker.drain();
}

void Exporter::flush_streams() {
  for (auto* file : {&m_streams.json, &m_streams.jsonl, &m_streams.csv}) {
    if (*file) (*file)->flush();
  }
}

void Exporter::stream(Piece& p) {
  if (!m_streams.open) open_streams();
  // Taken out of the piece, so their memory goes once they are written.
  const std::string json = p.json_spilled ? m_spill->read(*p.json_spilled) : std::exchange(p.json, {});
  const std::string jsonl = p.jsonl_spilled ? m_spill->read(*p.jsonl_spilled) : std::exchange(p.jsonl, {});
  if (m_streams.json_writer) m_streams.json_writer->dumped(json);
  if (m_streams.jsonl) m_streams.jsonl->write(jsonl);
  if (m_streams.csv) m_streams.csv->write(std::exchange(p.csv, {}));
  p.json_spilled = p.jsonl_spilled = std::nullopt;
}

Written Exporter::finish(const pipeline::RunResult& result) {
  flush();
  const fs::path& dir = m_options.dir;
  const bool md = wants("md"), json = wants("json"), jsonl = wants("jsonl"), csv = wants("csv"),
             html = wants("html");
  ensure_dir(dir);
  if (md) ensure_dir(dir / "articles");
  if (m_pieces.size() < result.articles.size()) m_pieces.resize(result.articles.size());

  std::vector<DigestEntry> entries;
  for (size_t i = 0; i < result.articles.size(); ++i) {
    if (!m_pieces[i]) { // not handed to article_done (an export)
      if (md) write_markdown(result.articles[i]);
      m_pieces[i] = piece_of(result.articles[i]);
    }
  }
  if (md || html) {
    entries.reserve(m_pieces.size()); // grown, the vector would copy its template data
    for (auto& piece : m_pieces) entries.push_back(std::move(piece->digest));
  }
  // The digests render on another core while the batch files are finished.
  auto digests = std::async(std::launch::async, [&] { return render_digests(std::move(entries)); });

  Written written;
  auto write = [&](const fs::path& path, const std::string& text) {
    util::write_file_if_changed(path, text);
    written.files.push_back(path);
  };
  stream_ready();
  if (!m_streams.open) open_streams(); // no articles
  if (md) {
    for (const auto& piece : m_pieces) written.files.push_back(dir / "articles" / (piece->id + ".md"));
  }
  auto commit = [&](std::optional<util::AtomicFile>& file, const fs::path& path) {
    file->commit();
    written.files.push_back(path);
  };
  if (json) {
    end_json(*m_streams.json_writer);
    commit(m_streams.json, dir / "lingopipe.json");
  }
  if (jsonl) commit(m_streams.jsonl, dir / "lingopipe.jsonl");
  if (csv) commit(m_streams.csv, dir / "lingopipe.csv");

  auto [digest_md, digest_html] = digests.get();
  if (md) write(dir / "digest.md", digest_md);
  if (html) write(dir / "digest.html", digest_html);
  return written;
}

// digest.md and digest.html, each only if its format was asked for; the HTML
// first, since the Markdown digest takes the lean views it shares.
std::pair<std::string, std::string> Exporter::render_digests(std::vector<DigestEntry> entries) const {
  std::pair<std::string, std::string> out;
  if (wants("html")) {
    const auto& path = m_options.html_template;
    out.second = html_digest_of(m_generated_at, entries, template_text(path, k_default_html_digest_template),
                                path.empty() ? "built-in digest.html template" : path.string());
  }
  if (wants("md")) {
    const auto& path = m_options.markdown_template;
    out.first = markdown_digest_of(m_generated_at, entries,
                                   template_text(path, k_default_markdown_digest_template),
                                   path.empty() ? "built-in digest.md template" : path.string());
  }
  return out;
}

Written write_all(const pipeline::RunResult& result, const Options& options) {
  return Exporter(options).finish(result);
}

} // namespace exporter
