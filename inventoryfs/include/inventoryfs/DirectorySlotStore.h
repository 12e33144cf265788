#pragma once

#include <string>

#include "inventoryfs/SlotStore.h"

namespace inventoryfs {

/// The slot protocol on a POSIX directory, local or NFS (election-and-shared-file.md §5.2).
///
/// Layout, in the directory of the head file `<dir>/<head>`:
///   <head>                the newest version (a hard link to its slot, replaced by rename)
///   v<20 digits>          immutable versions
///   .cluster-id           the share marker, written by `init`
///   .tmp.<random>         temp files of writers in progress
///
/// claim(): write temp, fsync, close (checked), link(temp, slot): EEXIST means taken, unless the
/// slot has the temp's inode (an NFSv3 retransmit hid our own success); any other link error is
/// resolved the same way. Then unlink(temp) and fsync(dir). No locks are used anywhere.
/// Thread-safe (all state is in the file system).
class DirectorySlotStore : public SlotStore {
 public:
  /// `headPath` is PROM_INV_FILE. The directory must exist for writes.
  explicit DirectorySlotStore(std::string headPath);

  std::string describe() const override;
  std::optional<std::string> readHead(size_t maxBytes) override;
  std::optional<std::string> readSlot(uint64_t version, size_t maxBytes) override;
  bool slotExists(uint64_t version) override;
  Claim claim(uint64_t version, const std::string& bytes) override;
  void publishHead(uint64_t version) override;
  std::vector<uint64_t> listSlots() override;
  void removeSlot(uint64_t version) override;
  size_t removeStaleTemps(int64_t maxAgeSeconds) override;
  bool markerPresent() override;
  void createMarker(const std::string& clusterId) override;

  const std::string& directory() const { return dir_; }
  const std::string& headPath() const { return head_; }
  std::string slotPath(uint64_t version) const;

  static constexpr const char* kMarkerName = ".cluster-id";

 private:
  std::optional<std::string> readFile(const std::string& path, size_t maxBytes);
  void fsyncDirectory();

  std::string head_;
  std::string dir_;
};

}  // namespace inventoryfs
