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

#include "export/templates.hpp"
#include "pipeline/results.hpp"
#include "util/file.hpp"
#include "util/json_writer.hpp"
#include "util/serial_worker.hpp"

#include <deque>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
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

// Where the digests place an article: grouped by site, then by date.
struct DigestKey {
  std::string site;
  std::string date;                   // YYYY-MM-DD, or empty
};

// What the digests show of one article: its views as JSON text, parked in
// the spill file until the digests render them (each made into template data
// only while the renderer is in it).
struct DigestEntry {
  DigestKey key;
  util::SpillFile::Span lean;         // the article's view without its sections
  util::SpillFile::Span full;         // with body_sections, for digest.html
};

// A run or an export hands each article over as soon as it is complete: its Markdown file
// is written then, and its part of the other exports is made then, on the
// exporter's own thread while the network is busy (the event loop only
// hands the article over). lingopipe.json, .jsonl and .csv are streamed to
// their temp files in input order as the articles in front are done (one
// that finishes early waits in a spill file), so the result does not depend
// on which article finished first, the exporter holds no batch-wide file,
// and finish() writes only what is left.
class Exporter {
public:
  // Throws util::Error on an unknown format.
  explicit Exporter(Options options);
  void article_done(size_t index, pipeline::ArticleOutput&& article);
  // Returns when every article handed over so far is written (the batch
  // files' part into their temp files); rethrows an error met doing so.
  void flush();
  // Articles never handed to article_done() are exported here. Rethrows an
  // error met while exporting a handed-over article.
  Written finish(const pipeline::RunResult& result);

private:
  struct Piece {
    std::string id;                   // the article's
    std::string json;                 // the article's model, dump(2)
    std::string jsonl;
    std::string csv;
    DigestEntry digest;
    // Made early (article_done) out of order: json and jsonl wait in the spill file.
    std::optional<util::SpillFile::Span> json_spilled, jsonl_spilled;
  };
  // The batch-wide files written in input order: opened by the first piece.
  struct Streams {
    std::optional<util::AtomicFile> json, jsonl, csv;
    std::optional<util::JsonWriter> json_writer; // into json
    size_t next = 0;                  // the index of the next piece to write
    bool open = false;
  };
  bool wants(std::string_view format) const;
  Piece piece_of(const pipeline::ArticleOutput& article);
  util::SpillFile& spill_file();      // made by the first article that needs it
  void write_markdown(const pipeline::ArticleOutput& article);
  void export_early(size_t index, const pipeline::ArticleOutput& article);
  void spill(Piece& piece);
  // Writes the pieces from m_streams.next on, while they are there.
  void stream_ready();
  void open_streams();
  void stream(Piece& piece);
  void flush_streams();
  std::vector<std::filesystem::path> write_digests() const;

  Options m_options;
  std::string m_generated_at;                 // written first, so fixed when the exporter is made
  std::deque<std::optional<Piece>> m_pieces;  // by article index
  Streams m_streams;
  std::optional<util::SpillFile> m_spill;
  bool m_articles_dir_made = false;
  util::SerialWorker m_worker;                // last: stops before what it uses
};

// A whole result at once (tests; the commands hand articles over as they are done).
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
