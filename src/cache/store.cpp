#include "cache/store.hpp"

#include "util/error.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace fs = std::filesystem;
using nlohmann::json;

namespace cache {

namespace {

constexpr int k_payload_version = 1;

util::SqliteDb open_db(const fs::path& path) {
  std::error_code ec;
  if (path.has_parent_path()) {
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
      throw util::Error(fmt::format("cache {}: cannot create folder: {}; check cache.path",
                                    path.string(), ec.message()));
    }
  }
  util::SqliteDb db(path.string());
  db.exec("PRAGMA journal_mode=WAL");
  db.exec("PRAGMA synchronous=NORMAL"); // WAL + NORMAL: a commit survives a process kill
  db.exec("CREATE TABLE IF NOT EXISTS results ("
          " key TEXT PRIMARY KEY, kind TEXT NOT NULL, payload TEXT NOT NULL,"
          " model TEXT NOT NULL, created INTEGER NOT NULL, last_used INTEGER NOT NULL,"
          " size INTEGER NOT NULL)");
  db.exec("CREATE TABLE IF NOT EXISTS batches ("
          " id TEXT PRIMARY KEY, endpoint TEXT NOT NULL, custom_ids TEXT NOT NULL,"
          " created INTEGER NOT NULL)");
  db.exec("CREATE TABLE IF NOT EXISTS banked ("
          " custom_id TEXT PRIMARY KEY, endpoint TEXT NOT NULL, line TEXT NOT NULL,"
          " created INTEGER NOT NULL)");
  return db;
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

std::optional<Entry> parse_payload(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("v", 0) != k_payload_version) {
    return std::nullopt;
  }
  try {
    Entry e;
    e.content = j.at("content").get<std::string>();
    e.finish_reason = j.value("finish_reason", "");
    e.model = j.value("model", "");
    e.endpoint = j.value("endpoint", "");
    e.prompt_tokens = j.value("prompt_tokens", 0);
    e.completion_tokens = j.value("completion_tokens", 0);
    e.reasoning = j.value("reasoning", "");
    return e;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

} // namespace

CacheStore::CacheStore(const fs::path& path)
  : m_path(path), m_db(open_db(path)),
    m_get(m_db.prepare("SELECT payload, created, last_used FROM results WHERE key = ?1")),
    m_touch(m_db.prepare("UPDATE results SET last_used = ?2 WHERE key = ?1")),
    m_put(m_db.prepare("INSERT OR REPLACE INTO results"
                       " (key, kind, payload, model, created, last_used, size)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)")) {}

std::optional<Entry> CacheStore::get(const std::string& key) {
  m_get.reset();
  m_get.bind(1, key);
  if (!m_get.step()) {
    return std::nullopt;
  }
  auto entry = parse_payload(m_get.column_text(0));
  if (!entry) {
    ++m_corrupt; // an unreadable entry is a miss, never a crash
    return std::nullopt;
  }
  entry->created = m_get.column_int(1);
  const int64_t last_used = m_get.column_int(2);
  m_get.reset();
  // last_used only orders eviction, so a day's precision is plenty, and a
  // re-run within the day writes nothing at all.
  constexpr int64_t k_touch_precision_s = 24 * 3600;
  if (unix_now() - last_used >= k_touch_precision_s) {
    m_touched.push_back(key); // written once, by flush_touches()
  }
  return entry;
}

// One transaction for every hit of the run instead of a write per hit. The
// refresh only feeds eviction order, so a killed run losing it costs nothing.
void CacheStore::flush_touches() {
  commit();
  if (m_touched.empty()) {
    return;
  }
  const int64_t now = unix_now();
  util::SqliteTransaction transaction(m_db);
  for (const auto& key : m_touched) {
    m_touch.reset();
    m_touch.bind(1, key).bind(2, now);
    m_touch.step();
  }
  transaction.commit();
  m_touched.clear();
}

CacheStore::~CacheStore() {
  try {
    commit();
  } catch (const std::exception& e) {
    spdlog::error("cache {}: could not save the last answers: {}", m_path.string(), e.what());
  }
  try {
    flush_touches();
  } catch (const std::exception&) {
    // A failed refresh of last_used must not turn a finished run into a crash.
  }
}

void CacheStore::begin_writes() {
  if (!m_writes) {
    m_writes.emplace(m_db);
  }
}

void CacheStore::commit() {
  if (m_writes) {
    m_writes->commit();
    m_writes.reset();
  }
}

void CacheStore::put(const std::string& key, const std::string& kind, const Entry& entry) {
  json payload = {{"v", k_payload_version},
                  {"content", entry.content},
                  {"finish_reason", entry.finish_reason},
                  {"model", entry.model},
                  {"endpoint", entry.endpoint},
                  {"prompt_tokens", entry.prompt_tokens},
                  {"completion_tokens", entry.completion_tokens}};
  if (!entry.reasoning.empty()) payload["reasoning"] = entry.reasoning; // kept apart from content
  const std::string text = payload.dump();
  begin_writes();
  m_put.reset();
  m_put.bind(1, key).bind(2, kind).bind(3, text).bind(4, entry.model).bind(5, unix_now());
  m_put.bind(6, static_cast<int64_t>(text.size()));
  m_put.step();
}

Stats CacheStore::stats() {
  commit();
  Stats s;
  auto count = m_db.prepare("SELECT COUNT(*), COALESCE(SUM(size),0) FROM results");
  if (count.step()) {
    s.entries = count.column_int(0);
    s.bytes = count.column_int(1);
  }
  auto tokens = m_db.prepare("SELECT payload FROM results");
  while (tokens.step()) {
    if (auto e = parse_payload(tokens.column_text(0))) {
      s.prompt_tokens += e->prompt_tokens;
      s.completion_tokens += e->completion_tokens;
    }
  }
  auto batches = m_db.prepare("SELECT (SELECT COUNT(*) FROM banked), (SELECT COUNT(*) FROM batches)");
  if (batches.step()) {
    s.banked = batches.column_int(0);
    s.open_batches = batches.column_int(1);
  }
  for (const char* suffix : {"", "-wal"}) {
    std::error_code ec;
    auto size = fs::file_size(m_path.string() + suffix, ec);
    s.file_bytes += ec ? 0 : static_cast<int64_t>(size);
  }
  return s;
}

int64_t CacheStore::clear() {
  int64_t before = stats().entries;
  m_db.exec("DELETE FROM results");
  m_db.exec("DELETE FROM banked");
  m_db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  m_db.exec("VACUUM");
  return before;
}

std::vector<CacheStore::OpenBatch> CacheStore::open_batches(const std::string& endpoint) {
  commit();
  std::vector<OpenBatch> out;
  auto select = m_db.prepare("SELECT id, custom_ids, created FROM batches WHERE endpoint = ?1 ORDER BY created, rowid");
  select.bind(1, endpoint);
  while (select.step()) {
    const json ids = json::parse(select.column_text(1), nullptr, false);
    OpenBatch batch{select.column_text(0), {}, select.column_int(2)};
    if (ids.is_array()) {
      for (const auto& id : ids) {
        if (id.is_string()) batch.custom_ids.push_back(id);
      }
    }
    out.push_back(std::move(batch));
  }
  return out;
}

void CacheStore::add_batch(const std::string& endpoint, const OpenBatch& batch) {
  begin_writes();
  auto insert = m_db.prepare("INSERT OR REPLACE INTO batches (id, endpoint, custom_ids, created)"
                             " VALUES (?1, ?2, ?3, ?4)");
  insert.bind(1, batch.id).bind(2, endpoint).bind(3, json(batch.custom_ids).dump()).bind(4, unix_now());
  insert.step();
  commit();
}

void CacheStore::remove_batch(const std::string& id) {
  commit();
  auto remove = m_db.prepare("DELETE FROM batches WHERE id = ?1");
  remove.bind(1, id);
  remove.step();
}

void CacheStore::rename_batch(const std::string& id, const std::string& new_id) {
  commit();
  auto rename = m_db.prepare("UPDATE batches SET id = ?2 WHERE id = ?1");
  rename.bind(1, id).bind(2, new_id);
  rename.step();
}

void CacheStore::bank(const std::string& endpoint, const std::string& custom_id, std::string_view line) {
  begin_writes();
  auto insert = m_db.prepare("INSERT OR REPLACE INTO banked (custom_id, endpoint, line, created)"
                             " VALUES (?1, ?2, ?3, ?4)");
  insert.bind(1, custom_id).bind(2, endpoint).bind(3, line).bind(4, unix_now());
  insert.step();
}

std::vector<std::string> CacheStore::banked(const std::string& endpoint) {
  commit();
  std::vector<std::string> out;
  auto select = m_db.prepare("SELECT custom_id FROM banked WHERE endpoint = ?1");
  select.bind(1, endpoint);
  while (select.step()) out.push_back(select.column_text(0));
  return out;
}

std::optional<std::string> CacheStore::claim(const std::string& custom_id) {
  begin_writes();
  auto select = m_db.prepare("SELECT line FROM banked WHERE custom_id = ?1");
  select.bind(1, custom_id);
  if (!select.step()) {
    return std::nullopt;
  }
  std::string line = select.column_text(0);
  auto remove = m_db.prepare("DELETE FROM banked WHERE custom_id = ?1");
  remove.bind(1, custom_id);
  remove.step();
  return line;
}

CacheStore::ReadBatch::ReadBatch(CacheStore& store) : m_store(store) {
  m_store.commit();
  m_store.m_db.exec("BEGIN");
}

CacheStore::ReadBatch::~ReadBatch() {
  // A read transaction has nothing to lose; ending it cannot fail in a way
  // that matters, and a destructor must not throw.
  sqlite3_exec(m_store.m_db.get(), "COMMIT", nullptr, nullptr, nullptr);
}

} // namespace cache
