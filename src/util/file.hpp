// File helpers: whole-file reads and atomic writes.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace util {

// Reads a whole file; throws util::Error naming the path on failure.
std::string read_file(const std::filesystem::path& path);

// Writes to a temp file beside `path` and renames it into place on commit();
// the destructor removes the temp file unless commit() ran, so readers never
// see a half-written file.
class AtomicFile {
public:
  explicit AtomicFile(std::filesystem::path path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(std::string_view data) { m_buffer.append(data); }
  void commit();

private:
  std::filesystem::path m_path;
  std::filesystem::path m_tmp;
  std::string m_buffer;
  bool m_committed = false;
};

void write_file_atomic(const std::filesystem::path& path, std::string_view data);

} // namespace util
