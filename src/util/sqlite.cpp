#include "util/sqlite.hpp"

#include "util/error.hpp"

#include <fmt/format.h>

namespace util {

SqliteDb::SqliteDb(const std::string& path) : m_path(path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  m_db.reset(raw); // owned even when open failed: sqlite3_close_v2 accepts it
  if (rc != SQLITE_OK) {
    fail("cannot open");
  }
  sqlite3_busy_timeout(raw, 10000);
}

void SqliteDb::fail(std::string_view what) const {
  const char* msg = m_db ? sqlite3_errmsg(m_db.get()) : "out of memory";
  throw Error(fmt::format("cache {}: {}: {}; check the path in cache.path and that "
                          "the disk is writable",
                          m_path, what, msg));
}

void SqliteDb::exec(const char* sql) {
  if (sqlite3_exec(m_db.get(), sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    fail(fmt::format("'{}' failed", sql));
  }
}

SqliteStmt SqliteDb::prepare(const char* sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(m_db.get(), sql, -1, &raw, nullptr);
  SqliteStmt stmt(*this, raw);
  if (rc != SQLITE_OK) {
    fail(fmt::format("cannot prepare '{}'", sql));
  }
  return stmt;
}

SqliteStmt& SqliteStmt::bind(int index, std::string_view text) {
  if (sqlite3_bind_text(m_stmt.get(), index, text.data(), static_cast<int>(text.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK) {
    m_db->fail("bind failed");
  }
  return *this;
}

SqliteStmt& SqliteStmt::bind(int index, int64_t value) {
  if (sqlite3_bind_int64(m_stmt.get(), index, value) != SQLITE_OK) {
    m_db->fail("bind failed");
  }
  return *this;
}

bool SqliteStmt::step() {
  int rc = sqlite3_step(m_stmt.get());
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  m_db->fail("statement failed");
}

void SqliteStmt::reset() {
  sqlite3_reset(m_stmt.get());
  sqlite3_clear_bindings(m_stmt.get());
}

std::string SqliteStmt::column_text(int index) const {
  const auto* text = sqlite3_column_text(m_stmt.get(), index);
  int size = sqlite3_column_bytes(m_stmt.get(), index);
  return text ? std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(size))
              : std::string();
}

int64_t SqliteStmt::column_int(int index) const {
  return sqlite3_column_int64(m_stmt.get(), index);
}

bool SqliteStmt::column_is_null(int index) const {
  return sqlite3_column_type(m_stmt.get(), index) == SQLITE_NULL;
}

SqliteTransaction::SqliteTransaction(SqliteDb& db) : m_db(db) { m_db.exec("BEGIN IMMEDIATE"); }

SqliteTransaction::~SqliteTransaction() {
  if (!m_done) {
    sqlite3_exec(m_db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

void SqliteTransaction::commit() {
  m_db.exec("COMMIT");
  m_done = true;
}

} // namespace util
