// File helpers: whole-file reads and atomic writes.
#pragma once

#include "util/fd.hpp"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace util {

// Reads a whole file; throws util::Error naming the path on failure.
std::string read_file(const std::filesystem::path& path);

// Streams to a temp file beside `path` and renames it into place on
// commit(); the destructor removes the temp file unless commit() ran, so
// readers never see a half-written file. Large exports are written piece by
// piece, never held whole in memory.
class AtomicFile {
public:
  // Throws util::Error naming the file when the temp file cannot be created.
  explicit AtomicFile(std::filesystem::path path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(std::string_view data);
  // Hands what is buffered to the file (still the temp file).
  void flush() {
    write_pending();
    m_out.flush();
  }
  void commit();

private:
  // libstdc++'s filebuf passes any write of 1 KB or more straight to the
  // kernel, and exports come in pieces of a few KB (lingopipe.json: four
  // system calls an article); gathered here, they go out 64 KB at a time.
  static constexpr size_t k_write_size = 64 * 1024;
  void write_pending();

  std::filesystem::path m_path;
  std::filesystem::path m_tmp;
  std::ofstream m_out;
  std::string m_pending;
  bool m_committed = false;
};

void write_file_atomic(const std::filesystem::path& path, std::string_view data);

// Removes the temp files of `path` that an AtomicFile of a process no longer
// running left behind (killed while streaming a large export).
void remove_stale_temps(const std::filesystem::path& path);

// Pieces of text parked on disk until they are needed, in any order: an
// unnamed file in `dir` (deleted as it is created, so nothing is left behind
// even by a crash). Keeps what an export builds early out of memory.
class SpillFile {
public:
  struct Span {
    uint64_t offset = 0;
    uint64_t size = 0;
  };
  // Throws util::Error naming `dir` when no file can be made there.
  explicit SpillFile(const std::filesystem::path& dir);
  Span append(std::string_view text);
  std::string read(Span span) const;
  // Up to `max` bytes of `span` from `offset` into `buffer`; how many. Throws
  // util::Error naming the folder when the file cannot be read.
  size_t read_into(Span span, uint64_t offset, char* buffer, size_t max) const;
  // A piece no longer needed gives its disk space back (the blocks it alone
  // covers; a file system that cannot punch holes keeps them). It reads as
  // zeros afterwards.
  void release(Span span);
  uint64_t disk_usage() const;         // bytes of disk the file takes now
  uint64_t size() const { return m_end; }

private:
  std::filesystem::path m_dir;        // for error messages
  UniqueFd m_fd;
  uint64_t m_end = 0;
};

// write_file_atomic() unless the file already holds exactly `data`: a re-run
// that changes nothing rewrites nothing (and keeps modification times).
// Returns whether it wrote.
bool write_file_if_changed(const std::filesystem::path& path, std::string_view data);

} // namespace util
