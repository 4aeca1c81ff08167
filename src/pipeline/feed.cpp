#include "pipeline/feed.hpp"

#include <algorithm>
#include <iterator>

namespace pipeline {

namespace {

// The first chunk is one article: the run's first request (the probe, which
// decides whether the window opens) waits for nothing else; 16 articles took
// 21 ms, one takes 6. The second is small too, so a quick server's answer to
// the probe finds work for the window; later ones are large enough that
// starting the threads of a chunk costs little. Kept ahead: about twice what
// a 256-wide window takes at once.
constexpr size_t k_chunks[] = {1, 16, 64}; // the last size repeats
constexpr size_t k_ahead = 256;

size_t chunk_size(size_t index) {
  return k_chunks[std::min(index, std::size(k_chunks) - 1)];
}

} // namespace

std::optional<std::vector<article::Document>> ReadyFeed::next(bool) {
  if (m_taken || m_docs.empty()) return std::nullopt;
  m_taken = true;
  m_given = m_docs;
  return std::move(m_docs);
}

std::unique_ptr<DocumentFeed> ReadyFeed::revisit(const std::vector<Revisit>& articles) {
  std::vector<article::Document> docs;
  for (const Revisit& r : articles) {
    const auto it = std::ranges::find(m_given, r.id, [](const article::Document& d) { return d.article.id; });
    if (it != m_given.end()) docs.push_back(*it);
  }
  return std::make_unique<ReadyFeed>(std::move(docs));
}

PreparingFeed::PreparingFeed(Preparer preparer, OnChunk on_chunk)
  : m_preparer(std::move(preparer)), m_on_chunk(std::move(on_chunk)), m_files(m_preparer.files()),
    m_thread([this](std::stop_token stop) { prepare_ahead(stop); }) {}

PreparingFeed::~PreparingFeed() = default; // the thread stops at its next wait and is joined

void PreparingFeed::prepare_ahead(std::stop_token stop) {
  try {
    for (size_t index = 0; !m_preparer.done(); ++index) {
      {
        std::unique_lock lock(m_mutex);
        if (!m_changed.wait(lock, stop, [&] { return m_ready.size() < k_ahead; })) return;
      }
      Prepared prepared = m_preparer.next(chunk_size(index));
      if (m_on_chunk) m_on_chunk(prepared);
      std::lock_guard lock(m_mutex);
      for (auto& doc : prepared.docs) m_ready.push_back(std::move(doc));
      m_changed.notify_all();
    }
  } catch (...) {
    std::lock_guard lock(m_mutex);
    m_error = std::current_exception();
  }
  std::lock_guard lock(m_mutex);
  m_done = true;
  m_changed.notify_all();
}

std::optional<std::vector<article::Document>> PreparingFeed::next(bool wait) {
  std::unique_lock lock(m_mutex);
  if (wait) m_changed.wait(lock, [&] { return !m_ready.empty() || m_done; });
  if (m_ready.empty() && m_done) {
    if (m_error) std::rethrow_exception(m_error);
    return std::nullopt;
  }
  std::vector<article::Document> docs(std::make_move_iterator(m_ready.begin()),
                                      std::make_move_iterator(m_ready.end()));
  m_ready.clear();
  if (!docs.empty()) m_changed.notify_all(); // room to prepare ahead; asked often, so only then
  return docs;
}

std::unique_ptr<DocumentFeed> PreparingFeed::revisit(const std::vector<Revisit>& articles) {
  m_thread.join(); // done: it prepared every file
  return std::make_unique<PreparingFeed>(std::move(m_preparer).revisit(articles), OnChunk());
}

} // namespace pipeline
