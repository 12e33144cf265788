#include "inventoryfs/InventoryWatcher.h"

#include "inventoryfs/Exceptions.h"

namespace inventoryfs {

namespace {

// Both ids known and different: the path holds another inventory (the store accepted it).
bool otherInventory(const InventoryId& seen, const InventoryId& delivered) {
  return seen != InventoryId{} && delivered != InventoryId{} && seen != delivered;
}

}  // namespace

InventoryWatcher::InventoryWatcher(InventoryStore& store, std::chrono::milliseconds interval,
                                   Callbacks callbacks)
    : store_(store), interval_(interval), callbacks_(std::move(callbacks)) {}

InventoryWatcher::~InventoryWatcher() { stop(); }

void InventoryWatcher::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable()) {
    return;
  }
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void InventoryWatcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

bool InventoryWatcher::pollOnce() {
  std::lock_guard<std::mutex> lock(pollMutex_);
  try {
    // The cheap check first: the head's header and a probe. The full read and decryption
    // happen only when the number moved (or on the very first poll, after a failure, or when
    // asked). A number that went back, or a header that no longer reads (0), is checked in
    // full too: load() reports it (rollback, damage) instead of it passing as "unchanged".
    const bool full = failing_ || verifyNext_.exchange(false);
    InventoryId peekedId{};
    std::array<uint8_t, kNonceSize> peekedNonce{};
    // A head of the delivered number in another file (another nonce) was written again after
    // a restore: read in full. An unknown nonce (zeros: a lagging head) tells nothing.
    if (haveDelivered_ && !full && store_.peekVersion(&peekedId, &peekedNonce) == delivered_ &&
        !otherInventory(peekedId, deliveredId_) &&
        (peekedNonce == std::array<uint8_t, kNonceSize>{} || peekedNonce == deliveredNonce_)) {
      if (callbacks_.onUnchanged) {
        callbacks_.onUnchanged();
      }
      return false;
    }
    Snapshot snapshot = store_.load();
    failing_ = false;
    // The same number in another file (another nonce): the share lost the version delivered
    // (restored older) and a writer committed that number again. It is news.
    const bool rewritten =
        snapshot.version == delivered_ && snapshot.header.nonce != deliveredNonce_;
    if (haveDelivered_ && snapshot.version <= delivered_ && !rewritten &&
        !otherInventory(snapshot.header.inventoryId, deliveredId_)) {
      if (callbacks_.onUnchanged) {
        callbacks_.onUnchanged();
      }
      return false;
    }
    delivered_ = snapshot.version;
    deliveredNonce_ = snapshot.header.nonce;
    if (snapshot.header.hasInventoryId()) {
      deliveredId_ = snapshot.header.inventoryId;
    }
    haveDelivered_ = true;
    if (callbacks_.onVersion) {
      callbacks_.onVersion(snapshot);
    }
    return true;
  } catch (const Poco::Exception& e) {
    failing_ = true;
    if (callbacks_.onError) {
      callbacks_.onError(e.displayText(), shareProblemOf(e));
    }
  } catch (const std::exception& e) {
    failing_ = true;
    if (callbacks_.onError) {
      callbacks_.onError(e.what(), ShareProblem::StorageError);
    }
  }
  return false;
}

void InventoryWatcher::verifyNext() { verifyNext_ = true; }

void InventoryWatcher::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    pollOnce();
    lock.lock();
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

}  // namespace inventoryfs
