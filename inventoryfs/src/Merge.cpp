#include "inventoryfs/Merge.h"

#include <map>
#include <optional>
#include <set>

namespace inventoryfs {

namespace {

std::string endpointText(const Endpoint& endpoint) {
  return endpoint.address + ":" + std::to_string(endpoint.port);
}

template <typename T, typename KeyFn>
std::map<std::string, const T*> index(const std::vector<T>& items, KeyFn key) {
  std::map<std::string, const T*> byKey;
  for (const T& item : items) {
    byKey.emplace(key(item), &item);
  }
  return byKey;
}

template <typename T, typename KeyFn>
void diffList(const std::vector<T>& base, const std::vector<T>& changed, KeyFn key,
              std::vector<T>& upserted, std::vector<std::string>& removed) {
  auto before = index(base, key);
  std::set<std::string> present;
  for (const T& item : changed) {
    std::string k = key(item);
    present.insert(k);
    auto it = before.find(k);
    if (it == before.end() || !(*it->second == item)) {
      upserted.push_back(item);
    }
  }
  for (const auto& [k, item] : before) {
    if (present.count(k) == 0) {
      removed.push_back(k);
    }
  }
}

template <typename T, typename KeyFn>
void applyList(const std::vector<T>& upserted, const std::vector<std::string>& removed, KeyFn key,
               std::vector<T>& target) {
  std::set<std::string> drop(removed.begin(), removed.end());
  std::vector<T> out;
  out.reserve(target.size() + upserted.size());
  for (T& item : target) {
    if (drop.count(key(item)) == 0) {
      out.push_back(std::move(item));
    }
  }
  std::map<std::string, size_t> position;
  for (size_t i = 0; i < out.size(); ++i) {
    position.emplace(key(out[i]), i);
  }
  for (const T& item : upserted) {
    auto it = position.find(key(item));
    if (it != position.end()) {
      out[it->second] = item;
    } else {
      position.emplace(key(item), out.size());
      out.push_back(item);
    }
  }
  target = std::move(out);
}

}  // namespace

bool InventoryDiff::empty() const {
  return upsertedDevices.empty() && removedDevices.empty() && upsertedSeeds.empty() &&
         removedSeeds.empty();
}

std::string deviceKey(const Device& device) {
  if (device.id && !device.id->empty()) {
    return "id:" + *device.id;
  }
  if (device.sysName && !device.sysName->empty()) {
    return "sysName:" + *device.sysName;
  }
  if (const Agent* agent = resolvePrimaryAgent(device)) {
    return "endpoint:" + endpointText(agent->endpoint);
  }
  return "empty";
}

std::string seedKey(const DiscoverySeed& seed) {
  if (seed.id && !seed.id->empty()) {
    return "id:" + *seed.id;
  }
  std::string key = "targets:";
  for (const std::string& target : seed.potentialTargets) {
    key += target + ",";
  }
  return key + ":" + std::to_string(seed.port) + ":" + seed.agentType.value_or("");
}

InventoryDiff diffInventories(const Inventory& base, const Inventory& changed) {
  InventoryDiff diff;
  diffList(base.devices, changed.devices, deviceKey, diff.upsertedDevices, diff.removedDevices);
  diffList(base.discoverySeeds, changed.discoverySeeds, seedKey, diff.upsertedSeeds,
           diff.removedSeeds);
  return diff;
}

void applyDiff(const InventoryDiff& diff, Inventory& target) {
  applyList(diff.upsertedDevices, diff.removedDevices, deviceKey, target.devices);
  applyList(diff.upsertedSeeds, diff.removedSeeds, seedKey, target.discoverySeeds);
}

size_t mergeBySysName(const Inventory& incoming, Inventory& target) {
  std::map<std::string, size_t> bySysName;
  for (size_t i = 0; i < target.devices.size(); ++i) {
    if (target.devices[i].sysName) {
      bySysName.emplace(*target.devices[i].sysName, i);
    }
  }
  size_t replaced = 0;
  for (const Device& device : incoming.devices) {
    auto it = device.sysName ? bySysName.find(*device.sysName) : bySysName.end();
    if (it != bySysName.end()) {
      target.devices[it->second] = device;
      ++replaced;
    } else {
      if (device.sysName) {
        bySysName.emplace(*device.sysName, target.devices.size());
      }
      target.devices.push_back(device);
    }
  }
  InventoryDiff seeds;
  seeds.upsertedSeeds = incoming.discoverySeeds;
  applyDiff(seeds, target);
  return replaced;
}

namespace {

std::optional<std::string> Device::*fieldMember(std::string_view field) {
  if (field == "sysName") {
    return &Device::sysName;
  }
  if (field == "sysDescr") {
    return &Device::sysDescr;
  }
  if (field == "sysContact") {
    return &Device::sysContact;
  }
  return &Device::sysLocation;
}

/// Whether a new device gives `field` (one of kOperatorFields): "modules" when it has modules or
/// an auth.
bool givesField(const Device& device, std::string_view field) {
  if (field == "modules") {
    return device.modules.has_value() || device.auth.has_value();
  }
  return (device.*fieldMember(field)).has_value();
}

/// Whether `device` changes `field` (one of kOperatorFields) of `before`: "modules" when its
/// modules or its auth differ.
bool changesField(const Device& device, const Device& before, std::string_view field) {
  if (field == "modules") {
    return device.modules != before.modules || device.auth != before.auth;
  }
  const auto member = fieldMember(field);
  return device.*member != before.*member;
}

std::set<std::string> endpointsOf(const Device& device) {
  std::set<std::string> out;
  for (const Agent& agent : device.agents) {
    out.insert(endpointText(agent.endpoint));
  }
  if (device.primaryAgent) {
    out.insert(endpointText(device.primaryAgent->endpoint));
  }
  return out;
}

/// The device of `devices` that is `device` (same id, else a shared agent address:port).
const Device* counterpart(const std::vector<Device>& devices, const Device& device,
                          bool bySysName) {
  if (device.id && !device.id->empty()) {
    for (const Device& d : devices) {
      if (d.id == device.id) {
        return &d;
      }
    }
  }
  const std::set<std::string> mine = endpointsOf(device);
  for (const Device& d : devices) {
    for (const std::string& endpoint : endpointsOf(d)) {
      if (mine.count(endpoint) != 0) {
        return &d;
      }
    }
  }
  if (bySysName && device.sysName && !device.sysName->empty()) {
    for (const Device& d : devices) {
      if (d.sysName == device.sysName) {
        return &d;
      }
    }
  }
  return nullptr;
}

}  // namespace

void markOperatorFields(const Inventory& current, Inventory& edited) {
  for (Device& device : edited.devices) {
    const Device* before = counterpart(current.devices, device, false);
    std::set<std::string> owned;
    if (device.operatorSet) {
      owned.insert(device.operatorSet->begin(), device.operatorSet->end());
    } else if (before != nullptr && before->operatorSet) {
      owned.insert(before->operatorSet->begin(), before->operatorSet->end());
    }
    for (const char* field : kOperatorFields) {
      if (before == nullptr ? givesField(device, field) : changesField(device, *before, field)) {
        owned.insert(field);
      }
    }
    std::vector<std::string> ordered;
    for (const char* field : kOperatorFields) {
      if (owned.count(field) != 0) {
        ordered.emplace_back(field);
      }
    }
    device.operatorSet = ordered.empty() ? std::nullopt : std::make_optional(std::move(ordered));
    if (!device.id || device.id->empty()) {
      // Provenance is reported per device id: keep the matched device's, else a fresh one (Java
      // gives every imported device a new id).
      device.id = before != nullptr && before->id ? *before->id : newUuid();
    }
    if (!device.discovered && before != nullptr) {
      device.discovered = before->discovered;
    }
    if (!device.operatorSet) {
      device.discovered.reset();  // only kept beside an operator's fields
    }
  }
}

size_t devicesRemovedBy(const Inventory& current, const Inventory& replacement) {
  size_t removed = 0;
  for (const Device& device : current.devices) {
    if (counterpart(replacement.devices, device, true) == nullptr) {
      ++removed;
    }
  }
  return removed;
}

bool replaceNeedsForce(size_t removed, size_t total) {
  return total > 0 && (removed == total || removed * 2 > total);
}

std::string replaceRefusal(size_t removed, size_t total, const std::string& how) {
  return "this replace would remove " + std::to_string(removed) + " of " + std::to_string(total) +
         " devices (all of them, or more than half); repeat it with " + how +
         " if that is what you want";
}

}  // namespace inventoryfs
