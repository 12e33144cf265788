#include "inventory/InventoryState.h"

#include <Poco/Logger.h>

#include "common/Logging.h"
#include "inventory/LocalState.h"
#include "inventoryfs/Envelope.h"
#include "inventoryfs/Exceptions.h"
#include "inventoryfs/InventoryJson.h"

namespace promsnmp {

using common::logEvent;
using common::logger;

namespace {

int64_t toMillis(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string addressKey(const inventoryfs::Endpoint& endpoint, bool withPort) {
  bool ipv6 = endpoint.address.find(':') != std::string::npos;
  if (!withPort) {
    return endpoint.address;
  }
  return (ipv6 ? "[" + endpoint.address + "]" : endpoint.address) + ":" +
         std::to_string(endpoint.port);
}

}  // namespace

void InventoryView::index() {
  bySysName_.clear();
  byAddress_.clear();
  for (size_t i = 0; i < inventory.devices.size(); ++i) {
    const inventoryfs::Device& device = inventory.devices[i];
    if (device.sysName && !device.sysName->empty()) {
      bySysName_.emplace(*device.sysName, i);  // the first of duplicates wins, as in Java
    }
    for (const inventoryfs::Agent& agent : device.agents) {
      byAddress_.emplace(addressKey(agent.endpoint, false), i);
      byAddress_.emplace(addressKey(agent.endpoint, true), i);
    }
  }
}

const inventoryfs::Device* InventoryView::find(const std::string& target) const {
  auto it = bySysName_.find(target);
  if (it == bySysName_.end()) {
    it = byAddress_.find(target);
    if (it == byAddress_.end()) {
      return nullptr;
    }
  }
  return &inventory.devices[it->second];
}

std::optional<SnmpTarget> InventoryView::targetFor(const inventoryfs::Device& device) const {
  const inventoryfs::Agent* agent = inventoryfs::resolvePrimaryAgent(device);
  if (agent == nullptr) {
    return std::nullopt;
  }
  std::string name =
      device.sysName && !device.sysName->empty() ? *device.sysName : agent->endpoint.address;
  // Two devices may share a sysName (two agents calling themselves alike are not merged without
  // proof). The first keeps the name; a later one is named by its agent's "ip:port", which
  // find() resolves to it, so Prometheus sees two targets instead of dropping one as a duplicate.
  if (auto it = bySysName_.find(name);
      it != bySysName_.end() && &inventory.devices[it->second] != &device) {
    name = addressKey(agent->endpoint, true);
  }
  return targetFromAgent(name, *agent);
}

std::vector<SnmpTarget> InventoryView::targets() const {
  std::vector<SnmpTarget> out;
  out.reserve(inventory.devices.size());
  for (const inventoryfs::Device& device : inventory.devices) {
    if (auto target = targetFor(device)) {
      out.push_back(std::move(*target));
    }
  }
  return out;
}

InventoryState::InventoryState(inventoryfs::InventoryStore& store, const inventoryfs::Keyring& keys,
                               LocalState* local, std::chrono::milliseconds pollInterval)
    : store_(store),
      keys_(keys),
      local_(local),
      pollInterval_(pollInterval),
      log_(logger("promsnmp.inventory")),
      view_(std::make_shared<InventoryView>()) {}

InventoryState::~InventoryState() { stop(); }

bool InventoryState::start() {
  // What this replica accepted before a restart stays the floor (I9): a share that went back
  // (an older slot copied over the head, newer slots deleted) is a rollback, not news.
  if (local_ != nullptr) {
    try {
      if (auto replica = local_->loadReplica()) {
        replicaInventoryId_ = replica->inventoryId;
        store_.acceptAtLeast(replica->version, replica->epoch,
                             inventoryfs::inventoryIdFromHex(replica->inventoryId));
      }
    } catch (const Poco::Exception& e) {
      logEvent(log_, Poco::Message::PRIO_WARNING, "local replica unreadable",
               {{"error", e.displayText()}});
    }
  }
  try {
    adopt(store_.load(), false);
  } catch (const inventoryfs::InventoryException& e) {
    recordError(e.displayText(), inventoryfs::shareProblemOf(e));
    if (local_ != nullptr) {
      try {
        if (auto replica = local_->loadReplica()) {
          inventoryfs::Opened opened = inventoryfs::open(replica->envelope, keys_);
          inventoryfs::Snapshot snapshot;
          snapshot.version = replica->version;
          snapshot.epoch = replica->epoch;
          snapshot.header = opened.header;
          snapshot.inventory = inventoryfs::inventoryFromJson(opened.plaintext);
          adopt(snapshot, true);
          logEvent(log_, Poco::Message::PRIO_WARNING,
                   "serving the local replica: the share is unreadable",
                   {{"version", replica->version},
                    {"inventory_id", replica->inventoryId},
                    {"replica", local_->path()}});
        }
      } catch (const Poco::Exception& local) {
        logEvent(log_, Poco::Message::PRIO_ERROR, "local replica unreadable",
                 {{"error", local.displayText()}});
      }
    }
  }
  watcher_ = std::make_unique<inventoryfs::InventoryWatcher>(
      store_, pollInterval_,
      inventoryfs::InventoryWatcher::Callbacks{
          [this](const inventoryfs::Snapshot& s) { adopt(s, false); },
          [this](const std::string& error, inventoryfs::ShareProblem problem) {
            recordError(error, problem);
          },
          [this] {
            std::lock_guard<std::mutex> lock(mutex_);
            status_.lastError.clear();
            status_.shareProblem.reset();
          }});
  watcher_->start();
  return status().loaded;
}

void InventoryState::stop() {
  if (watcher_) {
    watcher_->stop();
  }
}

std::shared_ptr<const InventoryView> InventoryState::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return view_;
}

InventoryState::Status InventoryState::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return status_;
}

void InventoryState::addListener(Listener listener) {
  std::lock_guard<std::mutex> lock(mutex_);
  listeners_.push_back(std::move(listener));
}

inventoryfs::Snapshot InventoryState::lastGood() const {
  std::shared_ptr<const InventoryView> view = current();
  if (!status().loaded) {
    throw inventoryfs::InventoryException("this replica has no inventory loaded");
  }
  inventoryfs::Snapshot snapshot;
  snapshot.version = view->version;
  snapshot.epoch = view->epoch;
  snapshot.header = view->header;
  snapshot.inventory = view->inventory;
  return snapshot;
}

bool InventoryState::refresh() {
  if (!watcher_) {
    return false;
  }
  return watcher_->pollOnce();
}

void InventoryState::recheck() {
  if (watcher_) {
    watcher_->verifyNext();
    watcher_->pollOnce();
  }
}

void InventoryState::adopt(const inventoryfs::Snapshot& snapshot, bool fromLocalReplica) {
  std::shared_ptr<const InventoryView> before;
  std::vector<Listener> listeners;
  auto view = std::make_shared<InventoryView>();
  view->version = snapshot.version;
  view->epoch = snapshot.epoch;
  view->inventoryId = snapshot.header.inventoryIdHex();
  view->fromLocalReplica = fromLocalReplica;
  view->header = snapshot.header;
  view->inventory = snapshot.inventory;
  view->index();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (status_.loaded && !status_.fromLocalReplica && !fromLocalReplica &&
        snapshot.version == status_.version && snapshot.epoch == status_.epoch &&
        view->inventoryId == status_.inventoryId && snapshot.header.nonce == view_->header.nonce) {
      status_.lastError.clear();
      status_.shareProblem.reset();
      return;  // the watcher's first poll delivers what start() loaded
    }
    before = view_;
    view_ = view;
    status_.loaded = true;
    status_.fromLocalReplica = fromLocalReplica;
    status_.version = snapshot.version;
    status_.epoch = snapshot.epoch;
    status_.inventoryId = view->inventoryId;
    status_.devices = snapshot.inventory.devices.size();
    status_.loadedAt = std::chrono::system_clock::now();
    if (!fromLocalReplica) {
      status_.lastError.clear();
      status_.shareProblem.reset();
    }
    ++status_.reloads;
    listeners = listeners_;
  }
  logEvent(log_, Poco::Message::PRIO_INFORMATION, "inventory loaded",
           {{"version", snapshot.version},
            {"epoch", snapshot.epoch},
            {"inventory_id", view->inventoryId},
            {"devices", snapshot.inventory.devices.size()},
            {"source", fromLocalReplica ? "local-replica" : "share"}});
  if (local_ != nullptr && !fromLocalReplica) {
    saveReplica(snapshot);
  }
  for (const Listener& listener : listeners) {
    listener(before, view);
  }
}

void InventoryState::saveReplica(const inventoryfs::Snapshot& snapshot) {
  const std::string inventoryId = snapshot.header.inventoryIdHex();
  try {
    if (!replicaInventoryId_.empty() && !inventoryId.empty() &&
        inventoryId != replicaInventoryId_) {
      // The share holds another inventory than the one this replica kept (a new share, or the
      // old one wiped and initialised again): it is served, and the old copy is kept aside for
      // the operator, never deleted.
      const std::string aside = local_->discardReplica(replicaInventoryId_);
      logEvent(log_, Poco::Message::PRIO_ERROR,
               "the share holds another inventory: serving it and discarding the local copy",
               {{"inventory_id", inventoryId},
                {"discarded_inventory_id", replicaInventoryId_},
                {"version", snapshot.version},
                {"moved_to", aside}});
      replicaInventoryId_.clear();
    }
    inventoryfs::Header header = snapshot.header;
    header.version = snapshot.version;
    header.epoch = snapshot.epoch;
    LocalState::Replica replica;
    replica.version = snapshot.version;
    replica.epoch = snapshot.epoch;
    replica.inventoryId = inventoryId;
    replica.savedAtMs = toMillis(std::chrono::system_clock::now());
    replica.envelope =
        inventoryfs::sealV2(header, inventoryfs::inventoryToJson(snapshot.inventory), keys_);
    local_->saveReplica(replica);
    if (!inventoryId.empty()) {
      replicaInventoryId_ = inventoryId;
    }
  } catch (const Poco::Exception& e) {
    logEvent(log_, Poco::Message::PRIO_WARNING, "cannot update the local replica",
             {{"error", e.displayText()}});
  }
}

void InventoryState::recordError(const std::string& message, inventoryfs::ShareProblem problem) {
  bool changed = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    changed = status_.lastError != message;
    status_.lastError = message;
    status_.shareProblem = problem;
    status_.lastErrorAt = std::chrono::system_clock::now();
    ++status_.errors;
  }
  if (changed) {  // warn when the state changes, not on every poll
    const char* share = inventoryfs::shareProblemName(problem);
    if (problem == inventoryfs::ShareProblem::Missing ||
        problem == inventoryfs::ShareProblem::RolledBack) {
      logEvent(log_, Poco::Message::PRIO_WARNING,
               "inventory unreadable, keeping the last good version",
               {{"error", message},
                {"share", share},
                {"hint",
                 "if the share was restored from a backup or came back empty, POST "
                 "/promsnmp/inventory/republish (admin) publishes the leader's last good "
                 "inventory into it"}});
    } else {
      logEvent(log_, Poco::Message::PRIO_WARNING,
               "inventory unreadable, keeping the last good version",
               {{"error", message}, {"share", share}});
    }
  }
}

}  // namespace promsnmp
