#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "inventoryfs/InventoryStore.h"

namespace promsnmp {

class LeadershipClient;
struct LeadershipState;

/// Whether this replica may write the inventory, and with which epoch (DESIGN.md §3–§4).
///
/// Standalone (no elector) or PROMSNMP_ROLE=leader: this replica leads. With an elector, it leads
/// while the LeadershipClient says so (its own monotonic deadline, fail closed). Before its first
/// write as leader of an epoch it commits the fence version — epoch = max(lease token, head
/// epoch + 1) — so a deposed leader's late write is refused by the file. A commit refused for a
/// higher epoch, or a higher epoch seen in the head (observeHead), deposes this replica until
/// the elector reports a newer lease. A lease is its
/// token *and* its holder (the elector's per-acquisition value): the token alone repeats when
/// Redis loses its fencing counter (F-7), and a new lease must never reuse an old lease's fence
/// or deposition.
///
/// Storage never runs on the leadership socket's reader thread: onRoleChange() hands the fence
/// to a fencing thread of its own, so a hung share (hard-mounted NFS) delays neither the next
/// elector event (a follower event still ends leadership at once) nor LeadershipClient::stop().
/// Still fail closed: a commit fences first, behind the fence in progress, and reads the lease
/// only once the fence lock is its own. Thread-safe.
class Leadership : public std::enable_shared_from_this<Leadership> {
 public:
  enum class Mode { Standalone, FixedLeader, FixedFollower, Elector };

  /// `client` is used (not owned) in Mode::Elector and must outlive this object or stop().
  /// The store is shared with the fencing thread, which may outlive its owner (see stop()).
  /// Create it with std::make_shared when onRoleChange() is used.
  Leadership(std::shared_ptr<inventoryfs::InventoryStore> store, Mode mode,
             LeadershipClient* client = nullptr);

  /// True when this replica leads (its role or the elector says so, and no newer leader deposed
  /// it) and can write: a replica whose write check fails (wrong key, unmounted or unreadable
  /// share) does not claim leadership, so load balancers send writes elsewhere (F-16).
  bool isLeader() const;

  /// The write check: returns "" when this replica can write the inventory, else why not. Set
  /// once at start-up, before other threads call in.
  void setWriteCheck(std::function<std::string()> check) { writeCheck_ = std::move(check); }
  /// Called with the reason when a commit fails for the file's sake (unreadable head, rollback,
  /// storage error; not "not leader" or "deposed"): the caller raises the alarm. Set once at
  /// start-up.
  void setWriteFailureHandler(std::function<void(const std::string&)> handler) {
    onWriteFailure_ = std::move(handler);
  }

  /// The epoch of the last fence or commit (0 before any).
  uint64_t epoch() const;

  /// One line for logs, health and the landing page: "standalone", "leader (epoch 7)",
  /// "follower (leader: pod-b)", "deposed: …".
  std::string describe() const;

  /// The lease holder the elector announced, by its id (the lease's token left out); "" without
  /// an elector, or before it said.
  std::string holder() const;

  /// Commits `change` as the leader, fencing first when this lease has not been fenced yet.
  /// Throws NotLeader when this replica does not lead, inventoryfs::FencedException when the file
  /// says a newer leader exists (this replica then steps down), and what the store throws.
  inventoryfs::CommitResult commit(const inventoryfs::InventoryStore::Change& change);

  /// True when the elector (or the role) names this replica and no newer leader deposed it,
  /// whether or not it can write: the replica an operator's republish goes to when the share
  /// came back empty or older (then no replica passes the write check).
  bool isElected() const;

  /// Publishes `lastGood` into a share that came back empty or older (InventoryStore::republish)
  /// as the elected replica; the epoch it writes becomes this lease's, so the next commit
  /// needs no fence. Throws NotLeader when not elected, and what the store throws.
  inventoryfs::CommitResult republish(const inventoryfs::Snapshot& lastGood, bool emptyConfirmed,
                                      const std::string& clusterId);

  /// Told of each newer head the watcher adopts. With an elector, a head whose epoch is above the
  /// one this lease fenced with means a newer leader wrote: this replica steps down at once, as
  /// its next commit would be refused (F-24: a sidecar that keeps saying "me"), and stays down
  /// until the elector reports a newer lease. Before this lease fenced, nothing is concluded
  /// (the fence takes max(token, head epoch + 1)).
  void observeHead(uint64_t version, uint64_t epoch);

  /// Fences now if leading and not yet fenced for this lease, on the calling thread (storage
  /// calls: may block as long as the share does). Returns the fenced epoch, or nullopt.
  std::optional<uint64_t> fenceIfLeading();

  /// The elector client's role callback (LeadershipClient::RoleCallback): on leadership, asks
  /// the fencing thread to fence (so the fence precedes any discovery) and returns at once.
  /// A failed fence is logged; the next commit fences again. Does nothing after stop().
  void onRoleChange(const LeadershipState& state);

  /// Stops the fencing thread: it starts no fence any more and never reads the elector client
  /// again once this returns. Waits at most `bound` for a fence in progress; returns false when
  /// one is still inside a storage call then (a hung share): that thread finishes it later,
  /// holding this object and the store through shared ownership, never the client. Idempotent.
  bool stop(std::chrono::milliseconds bound);

  class NotLeader : public std::runtime_error {
   public:
    using std::runtime_error::runtime_error;
  };

 private:
  /// One lease: the elector's token and holder ({0, ""} standalone or configured leader).
  struct Lease {
    uint64_t token = 0;
    std::string holder;
    bool operator==(const Lease&) const = default;
  };
  /// The current lease, or nullopt when not leading.
  std::optional<Lease> lease() const;
  /// The current lease if it may write (not deposed), else throws NotLeader.
  Lease writableLease() const;
  uint64_t fenceLocked(const Lease& current);
  inventoryfs::CommitResult commitLocked(const inventoryfs::InventoryStore::Change& change);
  /// The fencing thread's loop, and one fence of it.
  void fenceLoop();
  void fenceRequested();

  std::shared_ptr<inventoryfs::InventoryStore> store_;
  Mode mode_;
  LeadershipClient* client_;
  std::function<std::string()> writeCheck_;
  std::function<void(const std::string&)> onWriteFailure_;
  // writeMutex_ serialises fences and commits and is held across the storage calls, which can
  // hang (a hard-mounted NFS share); mutex_ guards the fields below and is only held briefly,
  // so isLeader(), describe() and epoch() — the leader probe, health, /metrics — never wait for
  // a stalled write. Order: writeMutex_, then mutex_.
  std::mutex writeMutex_;
  mutable std::mutex mutex_;
  std::optional<Lease> fencedLease_;   // the lease our fence was made for
  uint64_t epoch_ = 0;                 // the epoch our writes carry
  std::optional<Lease> deposedLease_;  // refused by the file under this lease
  std::string deposedReason_;
  // The fencing thread (detached; it holds a shared_ptr to this object). Order: writeMutex_,
  // then workerMutex_ (then the client's lock, in lease()).
  std::mutex workerMutex_;
  std::condition_variable workerWake_;
  bool fenceWanted_ = false;     // guarded by workerMutex_
  bool workerRunning_ = false;   // guarded by workerMutex_
  bool workerStopping_ = false;  // guarded by workerMutex_
};

}  // namespace promsnmp
