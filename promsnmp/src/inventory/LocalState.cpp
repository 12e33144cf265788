#include "inventory/LocalState.h"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/Timestamp.h>

namespace promsnmp {

using namespace Poco::Data::Keywords;

LocalState::LocalState(const std::string& dir) : path_(dir + "/promsnmp-state.sqlite") {
  Poco::File(dir).createDirectories();
  static std::once_flag registered;
  std::call_once(registered, [] { Poco::Data::SQLite::Connector::registerConnector(); });
  openSession();
}

void LocalState::openSession() {
  session_ = std::make_unique<Poco::Data::Session>("SQLite", path_);
  *session_ << "PRAGMA journal_mode=WAL", now;
  *session_ << "CREATE TABLE IF NOT EXISTS inventory_replica ("
               " id INTEGER PRIMARY KEY CHECK (id = 1),"
               " version INTEGER NOT NULL, epoch INTEGER NOT NULL,"
               " saved_at_ms INTEGER NOT NULL, envelope BLOB NOT NULL,"
               " inventory_id TEXT NOT NULL DEFAULT '')",
      now;
  // A state file of the previous release has no inventory_id column: add it (its copy then
  // has the identity "", adopted by the next save of a version not older than it).
  int hasInventoryId = 0;
  *session_ << "SELECT COUNT(*) FROM pragma_table_info('inventory_replica') "
               "WHERE name = 'inventory_id'",
      into(hasInventoryId), now;
  if (hasInventoryId == 0) {
    *session_ << "ALTER TABLE inventory_replica ADD COLUMN inventory_id TEXT NOT NULL DEFAULT ''",
        now;
  }
  *session_ << "CREATE TABLE IF NOT EXISTS discovery_runs ("
               " id TEXT PRIMARY KEY, started_at_ms INTEGER, finished_at_ms INTEGER,"
               " state TEXT, summary TEXT)",
      now;
}

LocalState::~LocalState() = default;

void LocalState::saveReplica(const Replica& replica) {
  std::lock_guard<std::mutex> lock(mutex_);
  Poco::Int64 keptVersion = 0;
  Poco::Int64 keptEpoch = 0;
  std::string keptId;
  Poco::Data::Statement select(*session_);
  select << "SELECT version, epoch, inventory_id FROM inventory_replica WHERE id = 1",
      into(keptVersion), into(keptEpoch), into(keptId);
  if (select.execute() != 0) {
    if (!keptId.empty() && keptId != replica.inventoryId) {
      return;  // another inventory's copy: only discardReplica removes it
    }
    const auto kept =
        std::make_pair(static_cast<uint64_t>(keptVersion), static_cast<uint64_t>(keptEpoch));
    const auto offered = std::make_pair(replica.version, replica.epoch);
    // Same inventory: only a newer version replaces it. A copy without identity is adopted
    // by the same version too (it gains the identity).
    if (keptId == replica.inventoryId ? kept >= offered : kept > offered) {
      return;
    }
  }
  Poco::Int64 version = static_cast<Poco::Int64>(replica.version);
  Poco::Int64 epoch = static_cast<Poco::Int64>(replica.epoch);
  Poco::Int64 savedAt = replica.savedAtMs;
  std::string inventoryId = replica.inventoryId;
  Poco::Data::BLOB envelope(reinterpret_cast<const unsigned char*>(replica.envelope.data()),
                            replica.envelope.size());
  *session_ << "INSERT OR REPLACE INTO inventory_replica (id, version, epoch, saved_at_ms, "
               "envelope, inventory_id) VALUES (1, ?, ?, ?, ?, ?)",
      use(version), use(epoch), use(savedAt), use(envelope), use(inventoryId), now;
}

std::optional<LocalState::Replica> LocalState::loadReplica() {
  std::lock_guard<std::mutex> lock(mutex_);
  Poco::Int64 version = 0;
  Poco::Int64 epoch = 0;
  Poco::Int64 savedAt = 0;
  Poco::Data::BLOB envelope;
  Replica replica;
  Poco::Data::Statement select(*session_);
  select << "SELECT version, epoch, saved_at_ms, envelope, inventory_id FROM inventory_replica "
            "WHERE id = 1",
      into(version), into(epoch), into(savedAt), into(envelope), into(replica.inventoryId);
  if (select.execute() == 0) {
    return std::nullopt;
  }
  replica.version = static_cast<uint64_t>(version);
  replica.epoch = static_cast<uint64_t>(epoch);
  replica.savedAtMs = savedAt;
  replica.envelope.assign(reinterpret_cast<const char*>(envelope.rawContent()), envelope.size());
  return replica;
}

std::string LocalState::discardReplica(const std::string& inventoryId) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string aside = path_ + "." + (inventoryId.empty() ? std::string("unknown") : inventoryId) +
                      "." + Poco::DateTimeFormatter::format(Poco::Timestamp(), "%Y%m%dT%H%M%S%iZ") +
                      ".discarded";
  // Closing the only connection checkpoints the WAL into the file, so the file moved aside is
  // complete on its own; -wal and -shm files left by a crash go with it.
  session_->close();
  session_.reset();
  try {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      Poco::File file(path_ + suffix);
      if (file.exists()) {
        file.renameTo(aside + suffix);
      }
    }
  } catch (...) {
    openSession();
    throw;
  }
  openSession();
  return aside;
}

void LocalState::saveRun(const RunRecord& run, size_t keep) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string id = run.id;
  std::string state = run.state;
  std::string json = run.json;
  Poco::Int64 started = run.startedAtMs;
  Poco::Int64 finished = run.finishedAtMs;
  *session_ << "INSERT OR REPLACE INTO discovery_runs (id, started_at_ms, finished_at_ms, state, "
               "summary) VALUES (?, ?, ?, ?, ?)",
      use(id), use(started), use(finished), use(state), use(json), now;
  Poco::Int64 limit = static_cast<Poco::Int64>(keep);
  *session_ << "DELETE FROM discovery_runs WHERE id NOT IN (SELECT id FROM discovery_runs "
               "ORDER BY started_at_ms DESC LIMIT ?)",
      use(limit), now;
}

std::vector<LocalState::RunRecord> LocalState::loadRuns() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<RunRecord> runs;
  RunRecord row;
  Poco::Int64 started = 0;
  Poco::Int64 finished = 0;
  Poco::Data::Statement select(*session_);
  select << "SELECT id, started_at_ms, finished_at_ms, state, summary FROM discovery_runs "
            "ORDER BY started_at_ms DESC",
      into(row.id), into(started), into(finished), into(row.state), into(row.json), range(0, 1);
  while (!select.done()) {
    if (select.execute() == 0) {
      break;
    }
    row.startedAtMs = started;
    row.finishedAtMs = finished;
    runs.push_back(row);
  }
  return runs;
}

}  // namespace promsnmp
