#include "util/file.hpp"

#include "util/error.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace util {

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
  }
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) {
    throw Error(fmt::format("{}: read error", path.string()));
  }
  return std::move(out).str();
}

AtomicFile::AtomicFile(fs::path path)
  : m_path(std::move(path)),
    m_tmp(m_path.string() + fmt::format(".tmp.{}", static_cast<long>(getpid()))) {}

AtomicFile::~AtomicFile() {
  if (!m_committed) {
    std::error_code ignored;
    fs::remove(m_tmp, ignored);
  }
}

void AtomicFile::commit() {
  {
    std::ofstream out(m_tmp, std::ios::binary | std::ios::trunc);
    out.write(m_buffer.data(), static_cast<std::streamsize>(m_buffer.size()));
    out.flush();
    if (!out) {
      throw Error(fmt::format("{}: cannot write: {}", m_tmp.string(), std::strerror(errno)));
    }
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

} // namespace util
