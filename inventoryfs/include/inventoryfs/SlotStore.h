#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace inventoryfs {

/// The I/O seam of the slot protocol: immutable version files ("slots") claimed by exclusive
/// creation, plus a head file that is a hint for the newest slot. Implementations: the real
/// DirectorySlotStore and the tests' FakeSlotStore. It knows bytes and names, nothing of
/// envelopes or epochs (that is InventoryStore's job).
class SlotStore {
 public:
  enum class Claim {
    Claimed,  // the slot is ours (possibly after resolving an ambiguous result)
    Taken,    // someone else holds that version: re-read and retry
  };

  virtual ~SlotStore() = default;

  /// Human-readable location (for messages).
  virtual std::string describe() const = 0;

  /// The head file's bytes, at most `maxBytes` of them (the caller checks lengths), or nullopt
  /// if there is no head. Opens the file anew each time (NFS close-to-open).
  virtual std::optional<std::string> readHead(size_t maxBytes) = 0;

  /// Slot `version`'s bytes (at most `maxBytes`), or nullopt if it does not exist.
  virtual std::optional<std::string> readSlot(uint64_t version, size_t maxBytes) = 0;

  /// Whether slot `version` exists.
  virtual bool slotExists(uint64_t version) = 0;

  /// Writes `bytes` durably under a temp name and claims slot `version` by exclusive creation.
  /// The temp file is removed in every case. Throws StorageException on I/O errors (nothing
  /// claimed) and NotMountedException when the share marker is missing.
  virtual Claim claim(uint64_t version, const std::string& bytes) = 0;

  /// Makes the head show slot `version` (atomic replacement), best effort ordering.
  virtual void publishHead(uint64_t version) = 0;

  /// All slot versions present, ascending.
  virtual std::vector<uint64_t> listSlots() = 0;

  /// Removes slot `version` (garbage collection). Never called for the newest slot.
  virtual void removeSlot(uint64_t version) = 0;

  /// Removes leftover temp files older than `maxAgeSeconds` (crashed writers). Returns the
  /// number removed.
  virtual size_t removeStaleTemps(int64_t maxAgeSeconds) = 0;

  /// Whether the share marker exists (writes are refused without it).
  virtual bool markerPresent() = 0;

  /// Creates the share marker (first `init` only). Content: `clusterId`.
  virtual void createMarker(const std::string& clusterId) = 0;
};

}  // namespace inventoryfs
