#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "inventoryfs/Exceptions.h"
#include "inventoryfs/InventoryStore.h"
#include "inventoryfs/InventoryWatcher.h"
#include "snmp/SnmpTarget.h"

namespace Poco {
class Logger;
}

namespace promsnmp {

class LocalState;

/// One immutable view of the inventory a replica serves, with the lookups scrapes need.
struct InventoryView {
  uint64_t version = 0;
  uint64_t epoch = 0;
  std::string inventoryId;        // hex; "" for a Java file or a format-2 file without one
  bool fromLocalReplica = false;  // the share could not be read at start; this is the last copy
  inventoryfs::Header header;     // as read: identity and kdf (a republish keeps both)
  inventoryfs::Inventory inventory;

  /// The device a scrape target names: its sysName (exact, as Java), else an agent address
  /// "ip" or "ip:port". Returns nullptr if none.
  const inventoryfs::Device* find(const std::string& target) const;

  /// The SNMP target to poll for a device (its primary agent), or nullopt without agents. Its
  /// name is the sysName, else (no sysName, or one an earlier device has) "ip" / "ip:port".
  std::optional<SnmpTarget> targetFor(const inventoryfs::Device& device) const;

  /// Every pollable device's target, in inventory order.
  std::vector<SnmpTarget> targets() const;

  /// Builds the indexes; called once by the owner after filling `inventory`.
  void index();

 private:
  std::unordered_map<std::string, size_t> bySysName_;
  std::unordered_map<std::string, size_t> byAddress_;  // "ip" and "ip:port"
};

/// The inventory of this replica: loaded through inventoryfs at start, replaced when the watcher
/// reports a newer version, mirrored into LocalState so a restart with the share down still
/// serves the last known inventory. An error never replaces a good view by an empty one; it is
/// kept in `status()` (for logs, metrics and health). Thread-safe.
class InventoryState {
 public:
  struct Status {
    bool loaded = false;            // a view exists (from the share or the local replica)
    bool fromLocalReplica = false;  // serving the local copy: the share is unreadable
    uint64_t version = 0;
    uint64_t epoch = 0;
    std::string inventoryId;  // hex; "" when the inventory has none (Java, format 2)
    size_t devices = 0;
    std::string lastError;  // empty when the last poll of the share worked
    // With lastError: what it means (inventoryfs::shareProblemName / shareProblemWords).
    std::optional<inventoryfs::ShareProblem> shareProblem;
    std::chrono::system_clock::time_point lastErrorAt{};
    std::chrono::system_clock::time_point loadedAt{};
    uint64_t reloads = 0;
    uint64_t errors = 0;
  };

  using Listener = std::function<void(std::shared_ptr<const InventoryView> before,
                                      std::shared_ptr<const InventoryView> after)>;

  /// `local` may be nullptr (no local state configured).
  InventoryState(inventoryfs::InventoryStore& store, const inventoryfs::Keyring& keys,
                 LocalState* local, std::chrono::milliseconds pollInterval);
  ~InventoryState();

  /// First load: from the share, else from the local replica. Returns whether a view exists.
  /// Then starts the watcher. Safe to call once. The local replica is tied to its inventory's
  /// identity: its (version, epoch) is a floor for the same inventory only (I9). When the share
  /// holds another inventory (another identity), that one is served and the local copy is moved
  /// aside (LocalState::discardReplica), with an error logged; a local copy without identity
  /// (previous release) takes the share's identity if the share is not older, else the share
  /// stays refused as a rollback.
  bool start();
  void stop();

  /// The current view (never null after a successful start; an empty view before).
  std::shared_ptr<const InventoryView> current() const;
  Status status() const;

  /// Called (on the watcher thread) after each change of view.
  void addListener(Listener listener);

  /// Polls the share once now (tests, after a local commit). Returns whether this call adopted
  /// a newer view (false also when the watcher's own poll got there first).
  bool refresh();

  /// The view served, as the snapshot a republish publishes (InventoryStore::republish).
  /// Throws InventoryException when nothing is loaded.
  inventoryfs::Snapshot lastGood() const;

  /// Reads and checks the whole head now, even if its version did not change (a write found it
  /// unreadable): damage becomes status().lastError at once, and stays until a poll reads it.
  void recheck();

 private:
  void adopt(const inventoryfs::Snapshot& snapshot, bool fromLocalReplica);
  void recordError(const std::string& message, inventoryfs::ShareProblem problem);
  void saveReplica(const inventoryfs::Snapshot& snapshot);

  inventoryfs::InventoryStore& store_;
  const inventoryfs::Keyring& keys_;
  LocalState* local_;
  std::chrono::milliseconds pollInterval_;
  Poco::Logger& log_;
  mutable std::mutex mutex_;
  std::shared_ptr<const InventoryView> view_;
  Status status_;
  std::vector<Listener> listeners_;
  std::unique_ptr<inventoryfs::InventoryWatcher> watcher_;
  // The identity of the local replica's inventory (hex, "" unknown). Used only by start() and
  // adopt(), which never run at the same time (the watcher starts after start's adopt and
  // serialises its polls).
  std::string replicaInventoryId_;
};

}  // namespace promsnmp
