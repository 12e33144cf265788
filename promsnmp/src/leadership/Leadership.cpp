#include "leadership/Leadership.h"

#include <cctype>
#include <thread>

#include "common/Logging.h"
#include "inventoryfs/Exceptions.h"
#include "leadership/LeadershipClient.h"

namespace promsnmp {

using common::logEvent;
using common::logger;

namespace {

/// The holder as a person reads it: the elector's id without the lease's random token that the
/// Redis and file backends append ("promsnmp-2:dc4abb…" → "promsnmp-2").
std::string holderName(const std::string& holder) {
  const size_t colon = holder.rfind(':');
  if (colon == std::string::npos || holder.size() - colon - 1 < 16) {
    return holder;
  }
  for (size_t i = colon + 1; i < holder.size(); ++i) {
    if (std::isxdigit(static_cast<unsigned char>(holder[i])) == 0) {
      return holder;
    }
  }
  return holder.substr(0, colon);
}

}  // namespace

Leadership::Leadership(std::shared_ptr<inventoryfs::InventoryStore> store, Mode mode,
                       LeadershipClient* client)
    : store_(std::move(store)), mode_(mode), client_(client) {}

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

Leadership::Lease Leadership::writableLease() const {
  std::optional<Lease> current = lease();
  std::lock_guard<std::mutex> lock(mutex_);
  if (!current) {
    throw NotLeader("this replica is not the leader");
  }
  if (deposedLease_ == current) {
    throw NotLeader("this replica was deposed: " + deposedReason_);
  }
  return *current;
}

bool Leadership::isElected() const {
  std::optional<Lease> current = lease();
  std::lock_guard<std::mutex> lock(mutex_);
  return current && deposedLease_ != current;
}

inventoryfs::CommitResult Leadership::republish(const inventoryfs::Snapshot& lastGood,
                                                bool emptyConfirmed, const std::string& clusterId) {
  std::lock_guard<std::mutex> write(writeMutex_);
  const Lease current = writableLease();
  inventoryfs::CommitResult result =
      store_->republish(lastGood, current.token, emptyConfirmed, clusterId);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    fencedLease_ = current;
    epoch_ = result.epoch;
  }
  logEvent(logger("promsnmp.leadership"), Poco::Message::PRIO_WARNING,
           "republished the last good inventory into the share",
           {{"version", result.version}, {"epoch", result.epoch}, {"lease", current.token}});
  return result;
}

uint64_t Leadership::epoch() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return epoch_;
}

std::string Leadership::holder() const {
  return mode_ == Mode::Elector ? holderName(client_->holder()) : std::string();
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
      std::string holder = holderName(client_->holder());
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
  inventoryfs::CommitResult fenced = store_->fence(current.token);
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
  // The lease is read once the fence lock is ours: a role that changed while another fence or
  // commit held it is seen.
  std::lock_guard<std::mutex> write(writeMutex_);
  std::optional<Lease> current = lease();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!current || deposedLease_ == current) {
      return std::nullopt;
    }
  }
  return fenceLocked(*current);
}

void Leadership::onRoleChange(const LeadershipState& state) {
  if (!state.leader) {
    return;  // a follower's lease() already says so: commits and the fencing thread see it
  }
  std::lock_guard<std::mutex> lock(workerMutex_);
  if (workerStopping_) {
    return;
  }
  fenceWanted_ = true;
  if (!workerRunning_) {
    // Detached: stop() must not wait for a storage call that hangs. The thread owns what it
    // touches (this object, and through it the store).
    std::thread([self = shared_from_this()] { self->fenceLoop(); }).detach();
    workerRunning_ = true;
  }
  workerWake_.notify_all();
}

void Leadership::fenceLoop() {
  std::unique_lock<std::mutex> lock(workerMutex_);
  while (true) {
    workerWake_.wait(lock, [this] { return workerStopping_ || fenceWanted_; });
    if (workerStopping_) {
      break;
    }
    fenceWanted_ = false;
    lock.unlock();
    try {
      fenceRequested();
    } catch (const Poco::Exception& e) {
      logEvent(logger("promsnmp.leadership"), Poco::Message::PRIO_WARNING, "fence write failed",
               {{"error", e.displayText()}});
    } catch (const std::exception& e) {
      logEvent(logger("promsnmp.leadership"), Poco::Message::PRIO_WARNING, "fence write failed",
               {{"error", e.what()}});
    }
    lock.lock();
  }
  workerRunning_ = false;
  workerWake_.notify_all();
}

void Leadership::fenceRequested() {
  std::lock_guard<std::mutex> write(writeMutex_);
  std::optional<Lease> current;
  {
    // Under workerMutex_: once stop() returned, this thread never reads the client again.
    std::lock_guard<std::mutex> worker(workerMutex_);
    if (workerStopping_) {
      return;
    }
    current = lease();
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!current || deposedLease_ == current) {
      return;
    }
  }
  fenceLocked(*current);
}

bool Leadership::stop(std::chrono::milliseconds bound) {
  std::unique_lock<std::mutex> lock(workerMutex_);
  workerStopping_ = true;
  workerWake_.notify_all();
  return workerWake_.wait_for(lock, bound, [this] { return !workerRunning_; });
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
  // Fail closed: behind a fence in progress (a hung share), a commit waits, then reads the
  // lease as it is then, so a follower event that came meanwhile wins.
  std::lock_guard<std::mutex> write(writeMutex_);
  const Lease current = writableLease();
  try {
    uint64_t epoch = fenceLocked(current);
    return store_->commit(epoch, change);
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
