// A list that grows with the batch (a run's flagged sections and failures)
// kept on disk rather than in memory: each item is one line of JSON appended
// to an unnamed file (util::SpillFile), and walking the list reads them back
// in order. Memory stays the same however long the list gets.
#pragma once

#include "util/file.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace util {

template <class T>
class SpillList {
public:
  // The file is made in `dir` (by default the system's temporary folder) at
  // the first item; an empty list makes none.
  explicit SpillList(std::filesystem::path dir = {}) : m_dir(std::move(dir)) {}

  // An item as the list stores it (T converts with nlohmann's to_json and
  // from_json): one line, since dump() escapes every newline in a string.
  static std::string line(const T& item) { return nlohmann::json(item).dump() + '\n'; }

  void push_back(const T& item) { append_lines(line(item), 1); }
  // `lines` holds `count` items, each made by line().
  void append_lines(std::string_view lines, size_t count) {
    if (count == 0) return;
    if (!m_file) {
      m_file = std::make_unique<SpillFile>(m_dir.empty() ? std::filesystem::temp_directory_path() : m_dir);
    }
    m_file->append(lines);
    m_size += count;
  }

  size_t size() const { return m_size; }
  bool empty() const { return m_size == 0; }

  // Calls `f(const T&)` for each item in the order they were added, reading
  // the file a block at a time.
  template <class F>
  void for_each(F&& f) const {
    if (!m_file) return;
    const uint64_t end = m_file->size();
    std::string pending;
    for (uint64_t at = 0; at < end;) {
      const uint64_t n = std::min<uint64_t>(k_block, end - at);
      pending += m_file->read({at, n});
      at += n;
      size_t start = 0;
      for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
        f(nlohmann::json::parse(std::string_view(pending).substr(start, nl - start)).template get<T>());
      }
      pending.erase(0, start);
    }
  }

  // The whole list in memory: for short lists and tests.
  std::vector<T> items() const {
    std::vector<T> all;
    all.reserve(m_size);
    for_each([&all](const T& item) { all.push_back(item); });
    return all;
  }

private:
  static constexpr uint64_t k_block = 64 * 1024;

  std::filesystem::path m_dir;
  std::unique_ptr<SpillFile> m_file;
  size_t m_size = 0;
};

} // namespace util
