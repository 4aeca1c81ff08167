#include "pipeline/prepare.hpp"

#include "article/segmenter.hpp"
#include "util/curl.hpp"

#include <fnmatch.h>

namespace pipeline {

namespace {

// What the article does not say about itself: the pinned source language,
// and as its site the URL's host or else the folder it was read from.
void complete_metadata(const config::Config& config, article::Article& a) {
  if (a.meta.language.empty() && config.languages.source != "auto") {
    a.meta.language = config.languages.source;
  }
  if (a.meta.site.empty() && !a.meta.url.empty()) {
    a.meta.site = util::url_host(a.meta.url);
  }
  if (a.meta.site.empty()) {
    a.meta.site = a.source.parent_path().filename().string();
  }
}

} // namespace

Prepared prepare(const config::Config& config, const std::vector<std::string>& paths) {
  const auto& inputs = paths.empty() ? config.inputs : paths;
  auto loaded = article::load_articles({inputs.begin(), inputs.end()});
  const article::Cleaner cleaner(config.clean);
  const article::Segmenter segmenter(config.segment);
  Prepared prepared;
  prepared.problems = std::move(loaded.problems);
  for (auto& a : loaded.articles) {
    complete_metadata(config, a);
    article::CleanResult cleaned = cleaner.clean(a.text);
    article::Document doc = segmenter.segment(a, cleaned.lines);
    if (doc.sections.empty()) {
      prepared.problems.push_back(
        {a.source, a.source.string() + ": nothing left after cleaning; check the clean rules"});
      continue;
    }
    prepared.docs.push_back(std::move(doc));
    prepared.removals.push_back(std::move(cleaned.removals));
  }
  return prepared;
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
  for (size_t i = 0; i < prepared.docs.size(); ++i) {
    if (selected(prepared.docs[i])) {
      kept.docs.push_back(std::move(prepared.docs[i]));
      kept.removals.push_back(std::move(prepared.removals[i]));
    }
  }
  const int left_out = static_cast<int>(prepared.docs.size() - kept.docs.size());
  prepared = std::move(kept);
  return left_out;
}

} // namespace pipeline
