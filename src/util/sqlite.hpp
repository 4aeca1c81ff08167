// RAII owners for SQLite: a database handle, prepared statements and a
// transaction that rolls back unless committed. Errors throw util::Error with
// the database path and SQLite's message.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace util {

struct SqliteDbDeleter {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct SqliteStmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

class SqliteStmt;

class SqliteDb {
public:
  // Opens (creating if needed) the database at `path`; throws on failure.
  explicit SqliteDb(const std::string& path);

  void exec(const char* sql);
  SqliteStmt prepare(const char* sql);
  sqlite3* get() const { return m_db.get(); }
  const std::string& path() const { return m_path; }
  [[noreturn]] void fail(std::string_view what) const;

private:
  std::string m_path;
  std::unique_ptr<sqlite3, SqliteDbDeleter> m_db;
};

class SqliteStmt {
public:
  SqliteStmt(const SqliteDb& db, sqlite3_stmt* stmt) : m_db(&db), m_stmt(stmt) {}

  SqliteStmt& bind(int index, std::string_view text);
  SqliteStmt& bind(int index, int64_t value);
  // Returns true while a row is available; throws on error.
  bool step();
  void reset();
  std::string column_text(int index) const;
  int64_t column_int(int index) const;
  bool column_is_null(int index) const;

private:
  const SqliteDb* m_db;
  std::unique_ptr<sqlite3_stmt, SqliteStmtDeleter> m_stmt;
};

// BEGIN IMMEDIATE on construction, ROLLBACK in the destructor unless commit() ran.
class SqliteTransaction {
public:
  explicit SqliteTransaction(SqliteDb& db);
  ~SqliteTransaction();
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  void commit();

private:
  SqliteDb& m_db;
  bool m_done = false;
};

} // namespace util
