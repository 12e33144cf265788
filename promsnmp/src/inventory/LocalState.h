#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace Poco::Data {
class Session;
}

namespace promsnmp {

/// The replica's own state on local disk (`state.dir`, never the share), in SQLite through POCO
/// Data: the last good inventory (as its sealed v2 envelope, so no credential is stored in
/// clear) and, later, discovery-run history. A restart while the share is unreachable serves
/// the inventory kept here. Thread-safe (one mutex; writes are rare).
class LocalState {
 public:
  struct Replica {
    uint64_t version = 0;
    uint64_t epoch = 0;
    int64_t savedAtMs = 0;
    std::string inventoryId;  // hex; "" for a copy saved by the previous release
    std::string envelope;     // the sealed file bytes (our envelope)
  };

  /// Opens (creates) `<dir>/promsnmp-state.sqlite`, creating `dir` if needed. Throws
  /// Poco::Exception with the path on failure.
  explicit LocalState(const std::string& dir);
  ~LocalState();

  /// Replaces the kept replica if `replica` is newer (version, epoch) than the kept one of the
  /// same inventory, or not older than a kept one without identity (which it adopts). A kept
  /// replica of another inventory is never overwritten (discardReplica moves it aside first).
  void saveReplica(const Replica& replica);

  /// The kept replica, if any.
  std::optional<Replica> loadReplica();

  /// Moves the whole state file aside to `<path>.<inventory id>.<UTC time>.discarded` (never
  /// deletes it) and starts an empty one: the kept copy belongs to another inventory. Returns
  /// the path it was moved to. Throws Poco::Exception on failure (the old file then stays).
  std::string discardReplica(const std::string& inventoryId);

  /// One discovery run as kept in the history: its id, times and the run's JSON record.
  struct RunRecord {
    std::string id;
    int64_t startedAtMs = 0;
    int64_t finishedAtMs = 0;
    std::string state;
    std::string json;
  };

  /// Inserts or replaces the run with the same id, then keeps only the newest `keep` runs.
  void saveRun(const RunRecord& run, size_t keep);

  /// The kept runs, newest first.
  std::vector<RunRecord> loadRuns();

  const std::string& path() const { return path_; }

 private:
  void openSession();

  std::string path_;
  std::mutex mutex_;
  std::unique_ptr<Poco::Data::Session> session_;
};

}  // namespace promsnmp
