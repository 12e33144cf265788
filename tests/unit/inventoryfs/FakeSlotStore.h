#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "inventoryfs/SlotStore.h"

namespace inventoryfs {

/// In-memory SlotStore for unit tests of InventoryStore's logic. The head is a copy of a slot's
/// bytes (or any bytes a test puts there). `beforeClaim` runs at the start of every claim, so a
/// test can slip in a competing writer exactly where a real race would.
class FakeSlotStore : public SlotStore {
 public:
  std::map<uint64_t, std::string> slots;
  std::optional<std::string> head;
  bool marker = true;
  std::function<void(uint64_t version)> beforeClaim;
  int claims = 0;

  std::string describe() const override { return "fake"; }
  std::optional<std::string> readHead(size_t maxBytes) override;
  std::optional<std::string> readSlot(uint64_t version, size_t maxBytes) override;
  bool slotExists(uint64_t version) override { return slots.count(version) != 0; }
  Claim claim(uint64_t version, const std::string& bytes) override;
  void publishHead(uint64_t version) override;
  std::vector<uint64_t> listSlots() override;
  void removeSlot(uint64_t version) override { slots.erase(version); }
  size_t removeStaleTemps(int64_t) override { return 0; }
  bool markerPresent() override { return marker; }
  void createMarker(const std::string&) override { marker = true; }
};

}  // namespace inventoryfs
