#include "FakeSlotStore.h"

#include "inventoryfs/Exceptions.h"

namespace inventoryfs {

std::optional<std::string> FakeSlotStore::readHead(size_t maxBytes) {
  if (!head) {
    return std::nullopt;
  }
  return head->substr(0, maxBytes);
}

std::optional<std::string> FakeSlotStore::readSlot(uint64_t version, size_t maxBytes) {
  auto it = slots.find(version);
  if (it == slots.end()) {
    return std::nullopt;
  }
  return it->second.substr(0, maxBytes);
}

SlotStore::Claim FakeSlotStore::claim(uint64_t version, const std::string& bytes) {
  ++claims;
  if (beforeClaim) {
    beforeClaim(version);
  }
  if (!marker) {
    throw NotMountedException("fake: no marker");
  }
  return slots.emplace(version, bytes).second ? Claim::Claimed : Claim::Taken;
}

void FakeSlotStore::publishHead(uint64_t version) {
  auto it = slots.find(version);
  if (it != slots.end()) {
    head = it->second;
  }
}

std::vector<uint64_t> FakeSlotStore::listSlots() {
  std::vector<uint64_t> versions;
  for (const auto& [version, bytes] : slots) {
    versions.push_back(version);
  }
  return versions;
}

}  // namespace inventoryfs
