#include "pipeline/prepare.hpp"

#include "article/cleaner.hpp"
#include "article/language.hpp"
#include "article/segmenter.hpp"
#include "util/curl.hpp"
#include "util/error.hpp"
#include "util/parallel.hpp"
#include "util/utf8.hpp"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <span>

namespace fs = std::filesystem;

namespace pipeline {

namespace {

// What the article does not say about itself: its language (pinned in the
// config, else detected), and as its site the URL's host or else the folder
// it was read from.
void complete_metadata(const config::Config& config, article::Article& a) {
  if (config.languages.source != "auto") {
    a.meta.language = config.languages.source;
  } else if (a.meta.language.empty()) {
    // A few kilobytes decide as well as a whole long article, at a fraction of the cost.
    constexpr size_t k_detect_bytes = 2048;
    a.meta.language = article::detect_language(util::utf8_prefix(a.text, k_detect_bytes)).name;
  }
  if (!a.meta.language.empty()) a.meta.language = article::language_name(a.meta.language);
  if (a.meta.site.empty() && !a.meta.url.empty()) {
    a.meta.site = util::url_host(a.meta.url);
    if (a.meta.site.starts_with("www.")) a.meta.site.erase(0, 4);
  }
  if (a.meta.site.empty()) {
    a.meta.site = a.source.parent_path().filename().string();
  }
}

// The configured rules, then the site's own rule file if clean.site_rules
// holds one named after the site (e.g. heise.de.yaml).
class SiteCleaners {
public:
  // Every rule file in the folder is read now, so one that does not parse
  // stops the run before its first request, not when its site's first
  // article is prepared.
  explicit SiteCleaners(const config::Config& config)
    : m_base(config.clean), m_dir(config.clean.site_rules) {
    std::error_code ec;
    if (m_dir.empty() || !fs::is_directory(m_dir, ec)) return;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(m_dir, ec)) {
      if (entry.path().extension() == ".yaml") files.push_back(entry.path());
    }
    std::ranges::sort(files); // the first bad file named is always the same one
    for (const auto& file : files) load_site(file.stem().string());
  }

  // Reads the rule files of these sites; after this, clean() only reads and
  // may run on several threads at once.
  void load_sites(const std::vector<article::Article>& articles) {
    for (const auto& a : articles) load_site(a.meta.site);
  }

  article::CleanResult clean(const article::Article& a) const {
    article::CleanResult r = m_base.clean(a.text);
    if (const article::Cleaner* site = for_site(a.meta.site)) {
      std::string text;
      for (const auto& line : r.lines) text += line + "\n";
      article::CleanResult more = site->clean(text);
      more.lines.resize(r.lines.size());
      r.lines = std::move(more.lines);
      r.removals.insert(r.removals.end(), more.removals.begin(), more.removals.end());
      std::ranges::stable_sort(r.removals, {}, &article::Removal::line);
    }
    return r;
  }

private:
  void load_site(const std::string& site) {
    if (m_dir.empty() || site.empty() || m_sites.contains(site)) return;
    const fs::path file = m_dir / (site + ".yaml");
    std::unique_ptr<article::Cleaner> cleaner;
    if (fs::is_regular_file(file)) {
      cleaner = std::make_unique<article::Cleaner>(config::load_clean_rules(file), file.string() + ": ");
    }
    m_sites.emplace(site, std::move(cleaner));
  }

  const article::Cleaner* for_site(const std::string& site) const {
    auto it = m_sites.find(site);
    return it == m_sites.end() ? nullptr : it->second.get();
  }

  article::Cleaner m_base;
  fs::path m_dir;
  std::map<std::string, std::unique_ptr<article::Cleaner>> m_sites;
};

// The command line's paths, else the config's inputs.
std::vector<fs::path> input_paths(const config::Config& config, const std::vector<std::string>& paths) {
  const auto& inputs = paths.empty() ? config.inputs : paths;
  return {inputs.begin(), inputs.end()};
}

// A chunk of articles read, completed and cleaned by the rules: where both
// passes start.
struct RuleCleaned {
  article::LoadResult loaded;
  std::vector<article::CleanResult> cleaned; // parallel to loaded.articles
};

RuleCleaned load_and_clean(const config::Config& config, SiteCleaners& cleaners,
                           std::span<const article::Candidate> candidates, std::set<std::string>& taken) {
  RuleCleaned r{article::load_candidates(candidates, taken), {}};
  auto& articles = r.loaded.articles;
  util::parallel_for(articles.size(), [&](size_t i) { complete_metadata(config, articles[i]); });
  cleaners.load_sites(articles); // reads rule files: one thread
  r.cleaned.resize(articles.size());
  util::parallel_for(articles.size(), [&](size_t i) { r.cleaned[i] = cleaners.clean(articles[i]); });
  return r;
}

} // namespace

struct Preparer::State {
  State(const config::Config& c, const std::vector<std::string>& paths)
    : config(c), found(article::find_articles(input_paths(c, paths))),
      cleaners(c), repeated(c.clean.repeated_lines), segmenter(c.segment) {}

  // The first pass: every article of the batch, a chunk at a time, counted
  // and let go.
  void count_repeated_lines() {
    constexpr size_t k_chunk = 256;
    for (size_t at = 0; at < found.candidates.size(); at += k_chunk) {
      std::set<std::string> ids; // the second pass gives the ids
      const RuleCleaned chunk = load_and_clean(config, cleaners, candidates(at, k_chunk), ids);
      for (size_t i = 0; i < chunk.cleaned.size(); ++i) {
        repeated.count(chunk.loaded.articles[i].meta.site, chunk.cleaned[i]);
      }
    }
    repeated.finish();
  }

  std::span<const article::Candidate> candidates(size_t at, size_t max) const {
    return std::span(found.candidates).subspan(at, std::min(max, found.candidates.size() - at));
  }

  Prepared next(size_t max);

  config::Config config;
  article::Found found;
  SiteCleaners cleaners;
  article::RepeatedLines repeated;
  const article::Segmenter segmenter;
  std::set<std::string> taken;        // ids given so far
  std::map<fs::path, std::string> pinned_ids; // revisit(): by source, the ids of the first time
  size_t next_candidate = 0;
  bool started = false;
};

Prepared Preparer::State::next(size_t max) {
  Prepared prepared;
  if (!started) {
    started = true;
    prepared.problems = std::move(found.problems);
    if (repeated.enabled()) count_repeated_lines();
  }
  RuleCleaned chunk = load_and_clean(config, cleaners, candidates(next_candidate, max), taken);
  next_candidate += std::min(max, found.candidates.size() - next_candidate);
  auto& articles = chunk.loaded.articles;
  auto& cleaned = chunk.cleaned;
  for (auto& a : articles) {
    if (const auto it = pinned_ids.find(a.source); it != pinned_ids.end()) a.id = it->second;
  }
  prepared.problems.insert(prepared.problems.end(), chunk.loaded.problems.begin(), chunk.loaded.problems.end());
  prepared.warnings = std::move(chunk.loaded.warnings);

  std::vector<article::Document> docs(articles.size());
  std::vector<article::Accounting> accounting(articles.size());
  util::parallel_for(articles.size(), [&](size_t i) {
    article::Article& a = articles[i];
    article::CleanResult& c = cleaned[i];
    repeated.drop(a.meta.site, c);
    article::drop_scored_paragraphs(c, article::language_code(a.meta.language), config.clean.score);
    docs[i] = segmenter.segment(a, c.lines);
    accounting[i] = article::account(a.text, c, a.extraction);
  });
  for (size_t i = 0; i < articles.size(); ++i) {
    const article::Article& a = articles[i];
    if (docs[i].sections.empty()) {
      prepared.problems.push_back(
        {a.source, a.source.string() + ": nothing left after cleaning; check the clean rules "
                   "(`lingopipe clean --report` lists what each removed)"});
      continue;
    }
    std::vector<article::Removal> removals = a.extraction;
    removals.insert(removals.end(), cleaned[i].removals.begin(), cleaned[i].removals.end());
    prepared.accounting.push_back(std::move(accounting[i]));
    prepared.removals.push_back(std::move(removals));
    prepared.docs.push_back(std::move(docs[i]));
  }
  return prepared;
}

Preparer::Preparer(const config::Config& config, const std::vector<std::string>& paths)
  : m_state(std::make_unique<State>(config, paths)) {}
Preparer::~Preparer() = default;
Preparer::Preparer(Preparer&&) noexcept = default;

Prepared Preparer::next(size_t max) { return m_state->next(max); }

Preparer Preparer::revisit(const std::vector<Revisit>& articles) && {
  State& s = *m_state;
  s.found.candidates.clear();
  s.pinned_ids.clear();
  for (const Revisit& r : articles) {
    s.found.candidates.push_back({r.source, r.source.filename()});
    s.pinned_ids.emplace(r.source, r.id);
  }
  s.next_candidate = 0;
  return std::move(*this);
}
bool Preparer::done() const {
  return m_state->started && m_state->next_candidate == m_state->found.candidates.size();
}
size_t Preparer::files() const { return m_state->found.candidates.size(); }

Prepared prepare(const config::Config& config, const std::vector<std::string>& paths) {
  Preparer preparer(config, paths);
  return preparer.next(preparer.files());
}

int select(Prepared& prepared, const Selection& selection) {
  auto selected = [&](const article::Document& doc) {
    const auto& a = doc.article;
    if (!selection.glob.empty() && fnmatch(selection.glob.c_str(), a.id.c_str(), 0) != 0 &&
        fnmatch(selection.glob.c_str(), a.source.generic_string().c_str(), 0) != 0) {
      return false;
    }
    return selection.since.empty() || (!a.meta.date.empty() && a.meta.date.substr(0, 10) >= selection.since);
  };
  Prepared kept;
  kept.problems = std::move(prepared.problems);
  kept.warnings = std::move(prepared.warnings);
  for (size_t i = 0; i < prepared.docs.size(); ++i) {
    if (selected(prepared.docs[i])) {
      kept.docs.push_back(std::move(prepared.docs[i]));
      kept.removals.push_back(std::move(prepared.removals[i]));
      kept.accounting.push_back(std::move(prepared.accounting[i]));
    }
  }
  const int left_out = static_cast<int>(prepared.docs.size() - kept.docs.size());
  prepared = std::move(kept);
  return left_out;
}

} // namespace pipeline
