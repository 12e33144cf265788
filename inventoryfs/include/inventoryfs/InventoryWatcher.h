#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "inventoryfs/Exceptions.h"
#include "inventoryfs/InventoryStore.h"

namespace inventoryfs {

/// Polls a store for new versions: each poll opens the head anew and reads only its header
/// (NFS close-to-open revalidation applies), probes v<N+1>, and loads the full version only
/// when the number or the inventory id moved (another inventory at the path is delivered
/// whatever its version number) — or went back or became unreadable (a rollback or a damaged head),
/// after a failed poll until one succeeds, and when asked (verifyNext()). Errors are reported,
/// never turned into an empty inventory: the caller keeps its last good snapshot.
class InventoryWatcher {
 public:
  struct Callbacks {
    std::function<void(const Snapshot&)> onVersion;                 // a newer version was accepted
    std::function<void(const std::string&, ShareProblem)> onError;  // this poll failed
    std::function<void()> onUnchanged;                              // this poll worked; nothing new
  };

  InventoryWatcher(InventoryStore& store, std::chrono::milliseconds interval, Callbacks callbacks);
  ~InventoryWatcher();

  InventoryWatcher(const InventoryWatcher&) = delete;
  InventoryWatcher& operator=(const InventoryWatcher&) = delete;

  /// Starts the polling thread (the first poll is immediate). Idempotent.
  void start();
  /// Stops and joins the thread. Idempotent; called by the destructor.
  void stop();

  /// One poll, synchronously: returns true if a newer version was delivered. For tests, for
  /// callers with their own loop, and for "look now" requests while the thread runs (polls are
  /// serialised; a version is delivered once, by whichever poll saw it first). Thread-safe.
  bool pollOnce();

  /// Makes the next poll read and check the whole head even if its number did not move (a
  /// writer found it unreadable: the caller wants the damage reported). Thread-safe.
  void verifyNext();

 private:
  void run();

  InventoryStore& store_;
  std::chrono::milliseconds interval_;
  Callbacks callbacks_;
  uint64_t delivered_ = 0;
  InventoryId deliveredId_{};                         // zero: unknown (Java, format 2)
  std::array<uint8_t, kNonceSize> deliveredNonce_{};  // of the file delivered last
  bool haveDelivered_ = false;
  bool failing_ = false;  // the last poll failed: check fully until one succeeds
  std::atomic<bool> verifyNext_{false};
  std::mutex pollMutex_;  // one poll at a time: delivered_ and the callbacks
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace inventoryfs
