#pragma once

#include <string>

#include "inventoryfs/InventoryStore.h"

namespace testing {

/// The commit strategy DESIGN.md §3 forbids — read the head's version, write a temp file,
/// check the version again, rename over the head — kept here only so the race test can show
/// that it loses updates (and so that the race test itself is proven able to fail).
/// Returns the number of conflicts it detected (and retried) before its rename.
int naiveCommit(const std::string& headPath, const inventoryfs::Keyring& keys,
                const inventoryfs::InventoryStore::Change& change);

}  // namespace testing
