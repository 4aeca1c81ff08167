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
#include <numeric>
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

// The digests' articles grouped by site, then by date (newest first,
// undated last), for newsletters; each article's lean view is made when the
// renderer reaches it.
TemplateData groups_of(const std::vector<DigestKey>& keys, const MakeItem& lean) {
  std::map<std::string, std::map<std::string, std::vector<size_t>, std::greater<>>> by_site;
  for (size_t i = 0; i < keys.size(); ++i) by_site[keys[i].site][keys[i].date].push_back(i);
  std::vector<TemplateData> groups;
  for (const auto& [site, dates] : by_site) {
    std::vector<TemplateData> date_groups;
    for (const auto& [date, indices] : dates) { // std::greater puts "" (undated) last
      TemplateData group{TemplateData::type::object};
      set_template_value(group, "label", TemplateData(date.empty() ? "Undated" : date));
      set_template_value(group, "articles", lazy_list(indices, lean));
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
// body_sections (`articles` makes those): the Markdown digest links to
// articles/<id>.md instead.
TemplateData digest_context(const std::string& generated_at, const std::vector<DigestKey>& keys,
                            const MakeItem& lean, const MakeItem& articles) {
  TemplateData context{TemplateData::type::object};
  set_template_value(context, "title", TemplateData(std::string(k_digest_title)));
  set_template_value(context, "generated_at", TemplateData(generated_at));
  set_template_value(context, "article_count", TemplateData(std::to_string(keys.size())));
  set_template_value(context, "groups", groups_of(keys, lean));
  std::vector<size_t> in_order(keys.size());
  std::iota(in_order.begin(), in_order.end(), size_t{0});
  set_template_value(context, "articles", lazy_list(in_order, articles));
  return context;
}

DigestKey digest_key(const ordered_json& article) {
  const ordered_json& date = article["date"];
  return {article["site"].get<std::string>(), date.is_string() ? date.get<std::string>().substr(0, 10) : ""};
}

// Sections that render nothing leave blank lines behind; in Markdown one
// blank line means the same as several, so runs collapse to one, and the
// text ends with at most one newline. Works on the text as it is rendered.
class BlankLineCollapser {
public:
  explicit BlankLineCollapser(TextSink out) : m_out(std::move(out)) {}
  void write(std::string_view text) {
    while (!text.empty()) {
      const size_t line = std::min(text.find('\n'), text.size());
      if (line > 0) {
        m_out(std::string_view("\n\n").substr(0, m_newlines));
        m_out(text.substr(0, line));
        m_newlines = 0;
      }
      if (line < text.size()) m_newlines = std::min(m_newlines + 1, size_t{2});
      text.remove_prefix(std::min(line + 1, text.size()));
    }
  }
  void finish() { m_out(std::string_view("\n").substr(0, m_newlines)); }

private:
  TextSink m_out;
  size_t m_newlines = 0; // held back: at most two in a row are ever written
};

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

namespace {

// What a digest is rendered from: where each article goes, and how its views
// are made when the renderer reaches them.
struct DigestSource {
  std::vector<DigestKey> keys;
  MakeItem lean;                      // the article's view without its sections
  MakeItem full;                      // with body_sections, for digest.html
};

DigestSource digest_source(const ordered_json& articles) {
  DigestSource source;
  for (const auto& a : articles) source.keys.push_back(digest_key(a));
  source.lean = [&articles](size_t i) { return to_template_data(article_view(articles[i], false)); };
  source.full = [&articles](size_t i) { return to_template_data(article_view(articles[i], true)); };
  return source;
}

void render_markdown_digest(const std::string& generated_at, const DigestSource& source,
                            const std::string& tmpl, const std::string& template_name, const TextSink& out) {
  BlankLineCollapser collapse(out);
  render_template(tmpl, digest_context(generated_at, source.keys, source.lean, source.lean), Escape::none,
                  template_name, [&collapse](std::string_view text) { collapse.write(text); });
  collapse.finish();
}

void render_html_digest(const std::string& generated_at, const DigestSource& source, const std::string& tmpl,
                        const std::string& template_name, const TextSink& out) {
  render_template(tmpl, digest_context(generated_at, source.keys, source.lean, source.full), Escape::html,
                  template_name, out);
}

} // namespace

std::string digest_markdown(const ordered_json& document, const std::string& tmpl,
                            const std::string& template_name) {
  std::string out;
  render_markdown_digest(document["generated_at"].get<std::string>(), digest_source(document["articles"]),
                         tmpl, template_name, [&out](std::string_view text) { out += text; });
  return out;
}

std::string digest_html(const ordered_json& document, const std::string& tmpl,
                        const std::string& template_name) {
  std::string out;
  render_html_digest(document["generated_at"].get<std::string>(), digest_source(document["articles"]), tmpl,
                     template_name, [&out](std::string_view text) { out += text; });
  return out;
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

// One article's part of every export, from one model of it. The digests'
// views wait in the spill file until the digests are rendered.
Exporter::Piece Exporter::piece_of(const ArticleOutput& a) {
  const ordered_json model = article_model(a);
  Piece p;
  p.id = a.doc.article.id;
  if (wants("json")) p.json = model.dump(2);
  if (wants("jsonl")) p.jsonl = model.dump() + "\n";
  if (wants("csv")) p.csv = csv_row(model);
  if (wants("md") || wants("html")) {
    p.digest.key = digest_key(model);
    p.digest.lean = spill_file().append(article_view(model, false).dump());
    if (wants("html")) p.digest.full = spill_file().append(article_view(model, true).dump());
  }
  return p;
}

util::SpillFile& Exporter::spill_file() {
  if (!m_spill) {
    ensure_dir(m_options.dir);
    m_spill.emplace(m_options.dir);
  }
  return *m_spill;
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
  if (wants("json")) p.json_spilled = spill_file().append(std::exchange(p.json, {}));
  if (wants("jsonl")) p.jsonl_spilled = spill_file().append(std::exchange(p.jsonl, {}));
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
  const bool md = wants("md"), json = wants("json"), jsonl = wants("jsonl"), csv = wants("csv");
  ensure_dir(dir);
  if (md) ensure_dir(dir / "articles");
  if (m_pieces.size() < result.articles.size()) m_pieces.resize(result.articles.size());

  for (size_t i = 0; i < result.articles.size(); ++i) {
    if (!m_pieces[i]) { // not handed to article_done (an export)
      if (md) write_markdown(result.articles[i]);
      m_pieces[i] = piece_of(result.articles[i]);
    }
  }
  // The digests render on another core while the batch files are finished.
  auto digests = std::async(std::launch::async, [this] { return write_digests(); });

  Written written;
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

  for (auto& path : digests.get()) written.files.push_back(std::move(path));
  return written;
}

// digest.md and digest.html, each only if its format was asked for, streamed
// to their temp files as they render, one article's view in memory at a time.
std::vector<fs::path> Exporter::write_digests() const {
  DigestSource source;
  for (const auto& piece : m_pieces) source.keys.push_back(piece->digest.key);
  auto view = [this](util::SpillFile::Span DigestEntry::*which) {
    return [this, which](size_t i) {
      return to_template_data(ordered_json::parse(m_spill->read(m_pieces[i]->digest.*which)));
    };
  };
  source.lean = view(&DigestEntry::lean);
  source.full = view(&DigestEntry::full);
  std::vector<fs::path> written;
  auto write = [&](const char* name, const fs::path& template_path, std::string_view fallback, auto render) {
    const fs::path path = m_options.dir / name;
    util::remove_stale_temps(path);
    util::AtomicFile file(path);
    render(m_generated_at, source, template_text(template_path, fallback),
           template_path.empty() ? fmt::format("built-in {} template", name) : template_path.string(),
           [&file](std::string_view text) { file.write(text); });
    file.commit();
    written.push_back(path);
  };
  if (wants("md")) write("digest.md", m_options.markdown_template, k_default_markdown_digest_template, render_markdown_digest);
  if (wants("html")) write("digest.html", m_options.html_template, k_default_html_digest_template, render_html_digest);
  return written;
}

Written write_all(const pipeline::RunResult& result, const Options& options) {
  return Exporter(options).finish(result);
}

} // namespace exporter
