#include "Leadership.h"

#include "LeadershipClient.h"
#include "Logging.h"
#include "inventoryfs/Exceptions.h"

namespace promsnmp {

Leadership::Leadership(inventoryfs::InventoryStore& store, Mode mode, LeadershipClient* client)
    : store_(store), mode_(mode), client_(client) {}

std::optional<uint64_t> Leadership::leaseToken() const {
  switch (mode_) {
    case Mode::Standalone:
    case Mode::FixedLeader:
      return 0;
    case Mode::FixedFollower:
      return std::nullopt;
    case Mode::Elector: {
      LeadershipState state = client_->state();
      if (!state.leader) {
        return std::nullopt;
      }
      return state.epoch;
    }
  }
  return std::nullopt;
}

bool Leadership::isLeader() const {
  std::optional<uint64_t> token = leaseToken();
  if (!token || (writeCheck_ && !writeCheck_().empty())) {
    return false;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  return deposedToken_ != token;
}

uint64_t Leadership::epoch() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return epoch_;
}

std::string Leadership::describe() const {
  std::optional<uint64_t> token = leaseToken();
  std::string blocked = token && writeCheck_ ? writeCheck_() : std::string();
  std::lock_guard<std::mutex> lock(mutex_);
  if (!blocked.empty()) {
    return "elected, but cannot write the inventory: " + blocked;
  }
  if (token && deposedToken_ == token) {
    return "deposed: " + deposedReason_;
  }
  switch (mode_) {
    case Mode::Standalone:
      return "standalone";
    case Mode::FixedLeader:
      return "leader (configured)";
    case Mode::FixedFollower:
      return "follower (configured)";
    case Mode::Elector:
      if (token) {
        return "leader (epoch " + std::to_string(epoch_) + ", lease " + std::to_string(*token) +
               ")";
      }
      std::string holder = client_->holder();
      return "follower" + (holder.empty() ? std::string() : " (leader: " + holder + ")");
  }
  return "unknown";
}

uint64_t Leadership::fenceLocked(uint64_t token) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (fencedToken_ == token) {
      return epoch_;
    }
  }
  inventoryfs::CommitResult fenced = store_.fence(token);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    fencedToken_ = token;
    epoch_ = fenced.epoch;
  }
  logEvent(logger("promsnmp.leadership"), Poco::Message::PRIO_INFORMATION,
           "fenced the inventory as leader",
           {{"epoch", fenced.epoch}, {"version", fenced.version}, {"lease", token}});
  return fenced.epoch;
}

std::optional<uint64_t> Leadership::fenceIfLeading() {
  std::optional<uint64_t> token = leaseToken();
  std::lock_guard<std::mutex> write(writeMutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!token || deposedToken_ == token) {
      return std::nullopt;
    }
  }
  return fenceLocked(*token);
}

void Leadership::observeHead(uint64_t version, uint64_t epoch) {
  if (mode_ != Mode::Elector) {
    return;  // fixed roles have no newer lease to wait for
  }
  std::optional<uint64_t> token = leaseToken();
  std::lock_guard<std::mutex> lock(mutex_);
  if (!token || fencedToken_ != token || deposedToken_ == token || epoch <= epoch_) {
    return;
  }
  deposedToken_ = token;
  deposedReason_ = "the inventory's head v" + std::to_string(version) + " has epoch " +
                   std::to_string(epoch) + ", newer than this leader's epoch " +
                   std::to_string(epoch_);
  fencedToken_.reset();
  logEvent(logger("promsnmp.leadership"), Poco::Message::PRIO_WARNING,
           "stepping down: the inventory has a newer leader",
           {{"error", deposedReason_}, {"lease", *token}});
}

inventoryfs::CommitResult Leadership::commit(const inventoryfs::InventoryStore::Change& change) {
  try {
    return commitLocked(change);
  } catch (const inventoryfs::FencedException&) {
    throw;
  } catch (const inventoryfs::InventoryException& e) {
    // Outside the lock: the handler rechecks the inventory, whose listeners may ask us.
    if (onWriteFailure_) {
      onWriteFailure_(e.displayText());
    }
    throw;
  }
}

inventoryfs::CommitResult Leadership::commitLocked(
    const inventoryfs::InventoryStore::Change& change) {
  std::optional<uint64_t> token = leaseToken();
  std::lock_guard<std::mutex> write(writeMutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!token) {
      throw NotLeader("this replica is not the leader");
    }
    if (deposedToken_ == token) {
      throw NotLeader("this replica was deposed: " + deposedReason_);
    }
  }
  try {
    uint64_t epoch = fenceLocked(*token);
    return store_.commit(epoch, change);
  } catch (const inventoryfs::FencedException& e) {
    // The file knows a newer leader: stop writing under this lease, and say so.
    {
      std::lock_guard<std::mutex> lock(mutex_);
      deposedToken_ = token;
      deposedReason_ = e.displayText();
      fencedToken_.reset();
    }
    logEvent(logger("promsnmp.leadership"), Poco::Message::PRIO_WARNING,
             "stepping down: the inventory has a newer leader", {{"error", e.displayText()}});
    throw;
  }
}

}  // namespace promsnmp
