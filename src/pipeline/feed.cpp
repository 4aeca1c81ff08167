#include "pipeline/feed.hpp"

namespace pipeline {

namespace {

// The first chunk is small so the first request leaves early; later ones
// are large enough that starting the threads of a chunk costs little. Kept
// ahead: about twice what a 256-wide window takes at once.
constexpr size_t k_first_chunk = 16;
constexpr size_t k_chunk = 64;
constexpr size_t k_ahead = 256;

} // namespace

std::optional<std::vector<article::Document>> ReadyFeed::next(bool) {
  if (m_taken || m_docs.empty()) return std::nullopt;
  m_taken = true;
  return std::move(m_docs);
}

PreparingFeed::PreparingFeed(Preparer preparer, OnChunk on_chunk)
  : m_preparer(std::move(preparer)), m_on_chunk(std::move(on_chunk)), m_files(m_preparer.files()),
    m_thread([this](std::stop_token stop) { prepare_ahead(stop); }) {}

PreparingFeed::~PreparingFeed() = default; // the thread stops at its next wait and is joined

void PreparingFeed::prepare_ahead(std::stop_token stop) {
  try {
    for (size_t chunk = k_first_chunk; !m_preparer.done(); chunk = k_chunk) {
      {
        std::unique_lock lock(m_mutex);
        if (!m_changed.wait(lock, stop, [&] { return m_ready.size() < k_ahead; })) return;
      }
      Prepared prepared = m_preparer.next(chunk);
      m_on_chunk(prepared);
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

} // namespace pipeline
