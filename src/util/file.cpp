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

void AtomicFile::commit() {
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
