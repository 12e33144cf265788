#pragma once

#include <string>
#include <vector>

#include "inventoryfs/Inventory.h"

namespace inventoryfs {

/// What one writer changed between the version it read (`base`) and its edited copy. Applying
/// it to a newer version re-applies exactly that change and keeps everyone else's: this is how a
/// writer that lost a race merges instead of overwriting.
struct InventoryDiff {
  std::vector<Device> upsertedDevices;       // added or changed devices, whole
  std::vector<std::string> removedDevices;   // deviceKey() of removed devices
  std::vector<DiscoverySeed> upsertedSeeds;  // added or changed seeds, whole
  std::vector<std::string> removedSeeds;     // seedKey() of removed seeds
  bool empty() const;
};

/// A device's identity: its id, else its sysName, else its primary endpoint.
std::string deviceKey(const Device& device);

/// A seed's identity: its id, else its targets, port and agent type.
std::string seedKey(const DiscoverySeed& seed);

/// The changes that turn `base` into `changed`. Thread-safe (pure).
InventoryDiff diffInventories(const Inventory& base, const Inventory& changed);

/// Applies `diff` to `target`: upserts replace the entry with the same key (or append), removals
/// drop it if still present. Order of untouched entries is kept. Thread-safe (pure).
void applyDiff(const InventoryDiff& diff, Inventory& target);

/// Merges imported or discovered devices by sysName (the Java merge key): a device whose sysName
/// is already present replaces that entry (keeping its position), others are appended; devices
/// without a sysName are appended. Seeds are merged by seedKey(). Returns how many devices
/// replaced an existing entry. Thread-safe (pure).
size_t mergeBySysName(const Inventory& incoming, Inventory& target);

/// Records which fields an operator set in `edited` (kOperatorFields: "modules" when the device
/// gives or changes its modules or its auth), a version an operator wrote (CLI
/// add-device/import, POST /promsnmp/inventory) on top of `current`. A device of `edited` is
/// matched to one of `current` by id, else by the address:port of an agent. For a new device,
/// every field it gives (non-null) is the operator's; for a matched device, the fields it
/// changes are added to those already the operator's, unless the device says `operatorSet`
/// itself (then that list, plus the changed fields). `discovered` is carried over from the
/// matched device when `edited` does not give it. An empty list is stored as none. A device
/// without an id takes that of the matched device, else a fresh one.
/// Thread-safe (pure).
void markOperatorFields(const Inventory& current, Inventory& edited);

/// How many devices of `current` have no counterpart in `replacement` (matched by id, by an
/// agent's address:port, or by sysName): what replacing `current` by `replacement` removes.
/// Thread-safe (pure).
size_t devicesRemovedBy(const Inventory& current, const Inventory& replacement);

/// Whether a replace that removes `removed` of `total` devices needs an explicit force: it
/// removes every device of a non-empty inventory, or more than half of them.
bool replaceNeedsForce(size_t removed, size_t total);

/// The refusal text for such a replace ("would remove 10 of 10 devices; ..."), naming `how` to
/// force it (e.g. "?force=true").
std::string replaceRefusal(size_t removed, size_t total, const std::string& how);

}  // namespace inventoryfs
