#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "inventoryfs/Envelope.h"
#include "inventoryfs/Inventory.h"
#include "inventoryfs/Keyring.h"
#include "inventoryfs/SlotStore.h"

namespace inventoryfs {

struct StoreOptions {
  size_t keep = 20;                  // versions kept by garbage collection (min 2)
  size_t maxFileBytes = 256u << 20;  // larger files are refused (F-28)
  int maxAttempts = 100;             // commit attempts before ConflictException
  int64_t staleTempSeconds = 600;    // temp files older than this are removed by GC
};

/// One accepted version of the inventory.
struct Snapshot {
  uint64_t version = 0;  // 0: a legacy/plain head (Java file) or nothing yet
  uint64_t epoch = 0;
  EnvelopeFormat format = EnvelopeFormat::V2;
  Header header;
  Inventory inventory;
};

struct CommitResult {
  uint64_t version = 0;
  uint64_t epoch = 0;
  int attempts = 0;  // 1 = no conflict
};

/// One line of `history` / `verify`.
struct VersionReport {
  uint64_t version = 0;
  bool ok = false;
  std::string error;  // why it is not ok
  Header header;
  size_t deviceCount = 0;
  size_t seedCount = 0;
};

/// The versioned, encrypted inventory on a SlotStore: optimistic commits with retry and merge,
/// epoch fencing, monotonic reads. One instance per process and store; methods are
/// thread-safe (a mutex serialises them).
class InventoryStore {
 public:
  /// A change applied to the newest inventory; called again after each lost race, so it must
  /// be a function of its argument (re-applying a change is the merge).
  using Change = std::function<void(Inventory&)>;

  InventoryStore(SlotStore& slots, const Keyring& keys, StoreOptions options = {},
                 std::array<uint8_t, 16> writerId = newWriterId());

  /// The keys this store reads and writes with (for the health details' key warnings).
  const Keyring& keys() const { return keys_; }

  /// The newest readable version. Follows the head, then probes v<N+1>, v<N+2>... Never
  /// returns a lower (version, epoch) of the same inventory than an earlier call did (throws
  /// RollbackException); see acceptAtLeast for another inventory.
  /// A missing head with no slots is an empty inventory at version 0 only if the share marker
  /// exists (a fresh site); otherwise NotMountedException. Corrupt files throw (Truncated,
  /// Authentication, WrongKey, Data) and are never taken as empty.
  Snapshot load();

  /// Only the newest version number (reads the head's header and probes), cheap enough to
  /// poll. Returns 0 for a legacy head or none. Sets `*inventoryId` (when given) to the head
  /// header's inventory id, zero when it has none or the head could not be read, and `*nonce`
  /// (when given) to the head's nonce when the head is the version returned, else to zeros.
  uint64_t peekVersion(InventoryId* inventoryId = nullptr,
                       std::array<uint8_t, kNonceSize>* nonce = nullptr);

  /// Every commit keeps the newest version's inventory id and kdf salt (and gives a version
  /// without an identity a new one).
  /// Commits `change` as version N+1 with `epoch`, re-applying it on the newest version after
  /// every lost race. Refuses (FencedException) when the newest version's epoch is higher than
  /// `epoch`, or equal and written by another writer. Throws ConflictException after
  /// maxAttempts, NotMountedException without the share marker.
  CommitResult commit(uint64_t epoch, const Change& change);

  /// An operator's commit (the CLI): rides the newest version's epoch with kFlagAdminWrite, so
  /// it neither deposes the leader nor counts as a second writer of its epoch. Lost races are
  /// retried like commit().
  CommitResult commitAdmin(const Change& change);

  /// The fence write of a new leader: commits the newest content unchanged with
  /// epoch = max(candidateEpoch, head epoch + 1). Returns the epoch it committed.
  CommitResult fence(uint64_t candidateEpoch);

  /// Creates the share marker and version 1 (`initial`, e.g. an imported Java file) in an
  /// empty or legacy directory. Throws InventoryException if the site exists already.
  CommitResult init(const Inventory& initial, const std::string& clusterId);

  /// The operator's way back after the share was lost (DESIGN: "on storage recovery, trigger
  /// inventory sync"): publishes `lastGood` — the inventory this replica still serves — when
  /// the share came back older (restored from a backup, or its versions deleted) or empty.
  /// It is committed as version max(share, accepted, lastGood) + 1 with epoch
  /// max(candidateEpoch, every epoch seen + 1), keeping lastGood's inventory id and kdf, so
  /// every reader's floor is passed and a deposed writer stays fenced. A share directory with
  /// no marker and no files gets its marker again (`clusterId`) only when `emptyConfirmed`:
  /// an unmounted mount point looks the same. Refuses (RepublishRefusedException, nothing
  /// written) a share that is not behind, one holding another inventory, one with versions
  /// but no marker; a share it cannot read throws what load() throws.
  CommitResult republish(const Snapshot& lastGood, uint64_t candidateEpoch, bool emptyConfirmed,
                         const std::string& clusterId);

  /// Removes versions older than the newest `keep` and stale temps. Returns slots removed.
  size_t collectGarbage();

  /// Reads and checks every kept version: tag, header version = slot name, epochs never
  /// decreasing along the chain, no gaps (except below a republish: the epoch rises across
  /// it), unique nonces.
  std::vector<VersionReport> verify(std::vector<std::string>* chainErrors = nullptr);

  /// One version's content (for rollback and history).
  Snapshot readVersion(uint64_t version);

  /// The headers of the kept versions, oldest first, read without decrypting (a prefix of each
  /// file): cheap enough for a status page, but not authenticated — verify() checks them. Files
  /// that are not format 2/3 or are too short to hold a header are left out.
  std::vector<Header> keptHeaders();

  /// The newest (version, epoch) accepted by load().
  std::pair<uint64_t, uint64_t> lastAccepted() const;

  /// The identity of the inventory accepted last (all zero before one with an identity).
  InventoryId acceptedInventoryId() const;

  /// Raises the accepted (version, epoch) to at least these, accepted by this reader before
  /// (a replica's local copy from before a restart) for inventory `id` (zero: unknown, a copy
  /// of the previous release): load() and commit() then refuse an older directory of the same
  /// inventory as a rollback (I9) instead of adopting it. The floor applies only to the same
  /// inventory: when the directory holds a version with another identity, load() and commit()
  /// accept it (a new share, or one initialised again) and the floor starts over from it. An
  /// unknown identity on either side counts as the same inventory.
  void acceptAtLeast(uint64_t version, uint64_t epoch, const InventoryId& id = {});

  const std::array<uint8_t, 16>& writerId() const { return writerId_; }
  /// writerId() as 32 lowercase hex digits, as Header::writerIdHex shows a version's writer.
  std::string writerIdHex() const;
  SlotStore& slots() { return slots_; }

 private:
  Snapshot decode(const std::string& bytes, uint64_t expectVersion);
  Snapshot newest();
  CommitResult commitLocked(const std::function<uint64_t(const Snapshot&)>& epochFor,
                            uint32_t flags, const Change& change);
  void accept(const Snapshot& snapshot);
  /// After a claim: the head hint and the removal of the version `keep` below.
  void publishClaimed(uint64_t version);
  /// ConflictException after maxAttempts lost claims (commit and republish).
  [[noreturn]] void throwLostEveryRace() const;
  void forgetOtherInventory(const Snapshot& snapshot);

  SlotStore& slots_;
  const Keyring& keys_;
  StoreOptions options_;
  std::array<uint8_t, 16> writerId_;
  mutable std::mutex mutex_;
  uint64_t acceptedVersion_ = 0;
  uint64_t acceptedEpoch_ = 0;
  InventoryId acceptedId_{};
};

}  // namespace inventoryfs
