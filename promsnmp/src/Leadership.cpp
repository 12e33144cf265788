#include "Leadership.h"

#include "LeadershipClient.h"
#include "Logging.h"
#include "inventoryfs/Exceptions.h"

namespace promsnmp {

Leadership::Leadership(inventoryfs::InventoryStore& store, Mode mode, LeadershipClient* client)
    : store_(store), mode_(mode), client_(client) {}

std::optional<Leadership::Lease> Leadership::lease() const {
  switch (mode_) {
    case Mode::Standalone:
    case Mode::FixedLeader:
      return Lease{};
    case Mode::FixedFollower:
      return std::nullopt;
    case Mode::Elector: {
      LeadershipState state = client_->state();
      if (!state.leader) {
        return std::nullopt;
      }
      return Lease{state.epoch, state.holder};
    }
  }
  return std::nullopt;
}

bool Leadership::isLeader() const {
  std::optional<Lease> current = lease();
  if (!current || (writeCheck_ && !writeCheck_().empty())) {
    return false;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  return deposedLease_ != current;
}

uint64_t Leadership::epoch() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return epoch_;
}

std::string Leadership::describe() const {
  std::optional<Lease> current = lease();
  std::string blocked = current && writeCheck_ ? writeCheck_() : std::string();
  std::lock_guard<std::mutex> lock(mutex_);
  if (!blocked.empty()) {
    return "elected, but cannot write the inventory: " + blocked;
  }
  if (current && deposedLease_ == current) {
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
      if (current) {
        return "leader (epoch " + std::to_string(epoch_) + ", lease " +
               std::to_string(current->token) + ")";
      }
      std::string holder = client_->holder();
      return "follower" + (holder.empty() ? std::string() : " (leader: " + holder + ")");
  }
  return "unknown";
}

uint64_t Leadership::fenceLocked(const Lease& current) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (fencedLease_ == current) {
      return epoch_;
    }
  }
  inventoryfs::CommitResult fenced = store_.fence(current.token);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    fencedLease_ = current;
    epoch_ = fenced.epoch;
  }
  logEvent(logger("promsnmp.leadership"), Poco::Message::PRIO_INFORMATION,
           "fenced the inventory as leader",
           {{"epoch", fenced.epoch}, {"version", fenced.version}, {"lease", current.token}});
  return fenced.epoch;
}

std::optional<uint64_t> Leadership::fenceIfLeading() {
  std::optional<Lease> current = lease();
  std::lock_guard<std::mutex> write(writeMutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!current || deposedLease_ == current) {
      return std::nullopt;
    }
  }
  return fenceLocked(*current);
}

void Leadership::observeHead(uint64_t version, uint64_t epoch) {
  if (mode_ != Mode::Elector) {
    return;  // fixed roles have no newer lease to wait for
  }
  std::optional<Lease> current = lease();
  std::lock_guard<std::mutex> lock(mutex_);
  if (!current || fencedLease_ != current || deposedLease_ == current || epoch <= epoch_) {
    return;
  }
  deposedLease_ = current;
  deposedReason_ = "the inventory's head v" + std::to_string(version) + " has epoch " +
                   std::to_string(epoch) + ", newer than this leader's epoch " +
                   std::to_string(epoch_);
  fencedLease_.reset();
  logEvent(logger("promsnmp.leadership"), Poco::Message::PRIO_WARNING,
           "stepping down: the inventory has a newer leader",
           {{"error", deposedReason_}, {"lease", current->token}});
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
  std::optional<Lease> current = lease();
  std::lock_guard<std::mutex> write(writeMutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!current) {
      throw NotLeader("this replica is not the leader");
    }
    if (deposedLease_ == current) {
      throw NotLeader("this replica was deposed: " + deposedReason_);
    }
  }
  try {
    uint64_t epoch = fenceLocked(*current);
    return store_.commit(epoch, change);
  } catch (const inventoryfs::FencedException& e) {
    // The file knows a newer leader: stop writing under this lease, and say so.
    {
      std::lock_guard<std::mutex> lock(mutex_);
      deposedLease_ = current;
      deposedReason_ = e.displayText();
      fencedLease_.reset();
    }
    logEvent(logger("promsnmp.leadership"), Poco::Message::PRIO_WARNING,
             "stepping down: the inventory has a newer leader", {{"error", e.displayText()}});
    throw;
  }
}

}  // namespace promsnmp
