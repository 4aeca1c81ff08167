#include "pipeline/prepare.hpp"

#include "article/segmenter.hpp"

namespace pipeline {

Prepared prepare(const config::Config& config, const std::vector<std::string>& paths) {
  const auto& inputs = paths.empty() ? config.inputs : paths;
  auto loaded = article::load_articles({inputs.begin(), inputs.end()});
  const article::Cleaner cleaner(config.clean);
  const article::Segmenter segmenter(config.segment);
  Prepared prepared;
  prepared.problems = std::move(loaded.problems);
  for (auto& a : loaded.articles) {
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

} // namespace pipeline
