// Where a run's documents come from: in input order, a chunk at a time, so a
// batch of any size is never held whole, and the first request leaves after
// the first chunk is prepared.
#pragma once

#include "article/article.hpp"
#include "pipeline/prepare.hpp"

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace pipeline {

class DocumentFeed {
public:
  virtual ~DocumentFeed() = default;
  // The next documents. With `wait` false, only those ready now, possibly
  // none; with `wait` true, at least one. Nothing (nullopt) once all were taken.
  virtual std::optional<std::vector<article::Document>> next(bool wait) = 0;
  // How many articles the feed will give in all, as far as it knows (for
  // progress before every article is prepared).
  virtual size_t expected() const = 0;
  // These articles (in input order) prepared again exactly as the first
  // time, so they ask the same questions; asked once this feed is done.
  virtual std::unique_ptr<DocumentFeed> revisit(const std::vector<Revisit>& articles) = 0;
};

// Documents prepared already (tests, and the runner's overloads taking a
// vector); it keeps a copy of what it gave, for revisit().
class ReadyFeed : public DocumentFeed {
public:
  explicit ReadyFeed(std::vector<article::Document> docs) : m_docs(std::move(docs)), m_size(m_docs.size()) {}
  std::optional<std::vector<article::Document>> next(bool wait) override;
  size_t expected() const override { return m_size; }
  std::unique_ptr<DocumentFeed> revisit(const std::vector<Revisit>& articles) override;

private:
  std::vector<article::Document> m_docs;
  std::vector<article::Document> m_given; // for revisit()
  size_t m_size;
  bool m_taken = false;
};

// Prepares on a thread of its own, a few chunks ahead of what was taken:
// the event loop never waits for an article it could have had, and memory
// holds the articles in work, not the batch. Each chunk goes to `on_chunk`
// on that thread before its articles are given out: its load problems and
// warnings as they are found, and its documents to select from.
class PreparingFeed : public DocumentFeed {
public:
  using OnChunk = std::function<void(Prepared& chunk)>;
  PreparingFeed(Preparer preparer, OnChunk on_chunk);
  ~PreparingFeed() override;
  PreparingFeed(const PreparingFeed&) = delete;
  PreparingFeed& operator=(const PreparingFeed&) = delete;

  // Rethrows what stopped the preparation (a rule file that does not parse).
  std::optional<std::vector<article::Document>> next(bool wait) override;
  size_t expected() const override { return m_files; }
  // Takes over this feed's preparer (its cleaning rules and the batch-wide
  // counts of repeated lines); the chunks are not shown to `on_chunk` again.
  std::unique_ptr<DocumentFeed> revisit(const std::vector<Revisit>& articles) override;

private:
  void prepare_ahead(std::stop_token stop);

  Preparer m_preparer;
  OnChunk m_on_chunk;
  const size_t m_files;
  std::mutex m_mutex;
  std::condition_variable_any m_changed;
  std::deque<article::Document> m_ready;
  bool m_done = false;                // every file prepared (or the preparation failed)
  std::exception_ptr m_error;
  std::jthread m_thread;              // last: started after, and joined before, the rest
};

} // namespace pipeline
