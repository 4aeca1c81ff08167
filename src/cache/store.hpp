// The result cache: a SQLite database in WAL mode. put() writes into an open
// transaction that commit() ends; the engine commits after each wake-up's
// answers, before it waits on the network again, so a killed run loses only
// what was in flight or being handled that instant, and a wave of hundreds of
// answers costs one commit instead of hundreds. Only complete answers are
// stored; failures and truncated answers never are.
//
// Table results(key TEXT PRIMARY KEY, kind TEXT, payload TEXT, model TEXT,
//               created INTEGER, last_used INTEGER, size INTEGER)
// payload is JSON: {"v":1,"content","finish_reason","model","endpoint",
//                   "prompt_tokens","completion_tokens"[,"reasoning"]}.
// An entry whose payload does not parse or has another "v" is a miss.
//
// Table batches(id TEXT PRIMARY KEY, endpoint TEXT, custom_ids TEXT (a JSON
//               array), created INTEGER): batches sent and not yet collected.
// Table banked(custom_id TEXT PRIMARY KEY, endpoint TEXT, line TEXT,
//              created INTEGER): a collected batch's answers to requests the
//              collecting run did not plan, each its result file's line.
#pragma once

#include "util/sqlite.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cache {

struct Entry {
  std::string content;
  std::string reasoning;              // the model's thoughts, never part of content
  std::string finish_reason;
  std::string model;                  // as the server reported it
  std::string endpoint;               // provider and configured model that produced it
  int prompt_tokens = 0;
  int completion_tokens = 0;
  int64_t created = 0;                // unix seconds
};

struct Stats {
  int64_t entries = 0;
  int64_t bytes = 0;                  // payload bytes
  int64_t file_bytes = 0;             // database file and WAL on disk
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t banked = 0;                 // batch answers kept for a run that plans them
  int64_t open_batches = 0;           // sent to a batch API and not collected yet
};

class CacheStore {
public:
  // Creates the folder and database if needed; throws util::Error naming the path.
  explicit CacheStore(const std::filesystem::path& path);
  // The folder the database is in: a run parks its long lists there.
  std::filesystem::path folder() const {
    return m_path.has_parent_path() ? m_path.parent_path() : std::filesystem::path(".");
  }
  // Commits pending puts and writes the last-used refreshes (see flush_touches).
  ~CacheStore();
  CacheStore(const CacheStore&) = delete;
  CacheStore& operator=(const CacheStore&) = delete;

  std::optional<Entry> get(const std::string& key);
  // Adds to the open write transaction (begun here if none is open).
  void put(const std::string& key, const std::string& kind, const Entry& entry);
  // Makes every put() so far durable; a no-op when nothing is pending.
  void commit();
  Stats stats();
  int64_t clear();
  int64_t corrupt_reads() const { return m_corrupt; }
  // A hit refreshes its entry's last_used; refreshes are kept in memory and
  // written in one transaction here (and by the destructor).
  void flush_touches();

  // Batches sent to a provider's batch API and not collected yet, so a
  // re-run waits for them instead of paying again (llm::BatchEngine's journal).
  struct OpenBatch {
    std::string id;
    std::vector<std::string> custom_ids;
    int64_t created = 0;              // unix seconds, when it was recorded
  };
  std::vector<OpenBatch> open_batches(const std::string& endpoint);
  // Durable when it returns (pending puts are committed with it).
  void add_batch(const std::string& endpoint, const OpenBatch& batch);
  void remove_batch(const std::string& id);
  // Durable when it returns: a batch recorded before it was created gets the
  // id the provider gave it.
  void rename_batch(const std::string& id, const std::string& new_id);
  // A batch's answer to a request the run that collected it did not plan
  // (its inputs or config changed, or its articles were not in this run):
  // paid for, so kept until a run plans that request again. Both write into
  // the open transaction, so a claim and what its answer became are durable
  // together, with the next commit().
  void bank(const std::string& endpoint, const std::string& custom_id, std::string_view line);
  std::vector<std::string> banked(const std::string& endpoint);
  std::optional<std::string> claim(const std::string& custom_id);

  // Many get()s in one read transaction: one lock for a whole plan instead
  // of one per lookup. No put() while it is open.
  class ReadBatch {
  public:
    explicit ReadBatch(CacheStore& store);
    ~ReadBatch();
    ReadBatch(const ReadBatch&) = delete;
    ReadBatch& operator=(const ReadBatch&) = delete;

  private:
    CacheStore& m_store;
  };

private:
  void begin_writes();

  std::filesystem::path m_path;
  util::SqliteDb m_db;
  util::SqliteStmt m_get;
  util::SqliteStmt m_touch;
  util::SqliteStmt m_put;
  int64_t m_corrupt = 0;
  std::vector<std::string> m_touched;
  std::optional<util::SqliteTransaction> m_writes; // open while puts are pending
};

} // namespace cache
