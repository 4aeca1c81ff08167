#include "util/file.hpp"

#include "util/error.hpp"
#include "util/fd.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <fstream>

namespace fs = std::filesystem;

namespace util {

// One read of the size fstat reports (a file that grows meanwhile is read to
// its end); an ifstream through an ostringstream copied every byte twice.
std::string read_file(const fs::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0) {
    throw Error(fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
  }
  if (S_ISDIR(st.st_mode)) {
    throw Error(fmt::format("{}: cannot open: {}", path.string(), std::strerror(EISDIR)));
  }
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t used = 0;
  for (;;) {
    if (used == out.size()) out.resize(out.size() + 4096);
    const ssize_t n = ::read(fd.get(), out.data() + used, out.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(fmt::format("{}: read error: {}", path.string(), std::strerror(errno)));
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  out.resize(used);
  return out;
}

AtomicFile::AtomicFile(fs::path path)
  : m_path(std::move(path)),
    m_tmp(m_path.string() + fmt::format(".tmp.{}", static_cast<long>(getpid()))),
    m_out(m_tmp, std::ios::binary | std::ios::trunc) {
  if (!m_out) {
    throw Error(fmt::format("{}: cannot create: {}", m_tmp.string(), std::strerror(errno)));
  }
}

AtomicFile::~AtomicFile() {
  if (!m_committed) {
    m_out.close();
    std::error_code ignored;
    fs::remove(m_tmp, ignored);
  }
}

void AtomicFile::write(std::string_view data) {
  if (m_pending.size() + data.size() < k_write_size) {
    m_pending.append(data);
    return;
  }
  write_pending();
  m_out.write(data.data(), static_cast<std::streamsize>(data.size())); // a large piece is not copied
}

void AtomicFile::write_pending() {
  m_out.write(m_pending.data(), static_cast<std::streamsize>(m_pending.size()));
  m_pending.clear();
}

void AtomicFile::commit() {
  write_pending();
  m_out.close();
  if (!m_out) {
    throw Error(fmt::format("{}: cannot write: {}", m_tmp.string(), std::strerror(errno)));
  }
  std::error_code ec;
  fs::rename(m_tmp, m_path, ec);
  if (ec) {
    throw Error(fmt::format("{}: cannot rename into place: {}", m_path.string(), ec.message()));
  }
  m_committed = true;
}

void write_file_atomic(const fs::path& path, std::string_view data) {
  AtomicFile file(path);
  file.write(data);
  file.commit();
}

void remove_stale_temps(const fs::path& path) {
  const std::string prefix = path.filename().string() + ".tmp.";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(path.parent_path(), ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(prefix)) continue;
    char* end = nullptr;
    const long pid = std::strtol(name.c_str() + prefix.size(), &end, 10);
    if (pid > 0 && *end == '\0' && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      fs::remove(entry.path(), ec);
    }
  }
}

SpillFile::SpillFile(const fs::path& dir) : m_dir(dir) {
  std::string name = (dir / "lingopipe-spill.XXXXXX").string();
  m_fd = UniqueFd(mkstemp(name.data()));
  if (!m_fd) {
    throw Error(fmt::format("{}: cannot create a temporary file: {}", dir.string(), std::strerror(errno)));
  }
  ::unlink(name.c_str());
}

SpillFile::Span SpillFile::append(std::string_view text) {
  const Span span{m_end, text.size()};
  for (size_t done = 0; done < text.size();) {
    const ssize_t n = ::pwrite(m_fd.get(), text.data() + done, text.size() - done,
                               static_cast<off_t>(m_end + done));
    if (n < 0) {
      throw Error(fmt::format("{}: cannot write a temporary file: {}", m_dir.string(), std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  m_end += text.size();
  return span;
}

std::string SpillFile::read(Span span) const {
  std::string text(span.size, '\0');
  for (size_t done = 0; done < text.size();) {
    const ssize_t n = ::pread(m_fd.get(), text.data() + done, text.size() - done,
                              static_cast<off_t>(span.offset + done));
    if (n <= 0) {
      throw Error(fmt::format("{}: cannot read back a temporary file", m_dir.string()));
    }
    done += static_cast<size_t>(n);
  }
  return text;
}

size_t SpillFile::read_into(Span span, uint64_t offset, char* buffer, size_t max) const {
  const size_t wanted = static_cast<size_t>(std::min<uint64_t>(max, span.size - std::min(offset, span.size)));
  size_t done = 0;
  while (done < wanted) {
    const ssize_t n = ::pread(m_fd.get(), buffer + done, wanted - done, static_cast<off_t>(span.offset + offset + done));
    if (n < 0) {
      throw Error(fmt::format("{}: cannot read back a temporary file: {}", m_dir.string(), std::strerror(errno)));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

void SpillFile::release(Span span) {
  if (span.size > 0) {
    ::fallocate(m_fd.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(span.offset),
                static_cast<off_t>(span.size));
  }
}

uint64_t SpillFile::disk_usage() const {
  struct stat st {};
  return ::fstat(m_fd.get(), &st) == 0 ? static_cast<uint64_t>(st.st_blocks) * 512 : 0;
}

bool write_file_if_changed(const fs::path& path, std::string_view data) {
  std::error_code ec;
  if (fs::file_size(path, ec) == data.size() && !ec) {
    std::ifstream in(path, std::ios::binary);
    std::string existing(data.size(), '\0');
    if (in.read(existing.data(), static_cast<std::streamsize>(existing.size())) && existing == data) {
      return false;
    }
  }
  write_file_atomic(path, data);
  return true;
}

} // namespace util
