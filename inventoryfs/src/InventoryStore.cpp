#include "inventoryfs/InventoryStore.h"

#include <sys/random.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "Hex.h"
#include "inventoryfs/Exceptions.h"
#include "inventoryfs/InventoryJson.h"

namespace inventoryfs {

namespace {

// Probing v<N+1>, v<N+2>... stops here; a head this far behind means the writers stopped
// publishing it, and listSlots() is the better answer.
constexpr int kMaxProbe = 4096;
// A slot can be collected between the probe and the read; the read is retried this often.
constexpr int kMaxReadRaces = 5;

int64_t nowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string versionText(uint64_t version, uint64_t epoch) {
  return "v" + std::to_string(version) + " (epoch " + std::to_string(epoch) + ")";
}

/// Jitter after repeated lost races, so that writers in lock step stop colliding. Liveness only.
void backoff(int attempt) {
  if (attempt < 3) {
    return;
  }
  unsigned int r = 0;
  if (::getrandom(&r, sizeof r, 0) != static_cast<ssize_t>(sizeof r)) {
    r = static_cast<unsigned int>(attempt);
  }
  int limitMs = attempt < 20 ? attempt : 20;
  std::this_thread::sleep_for(std::chrono::microseconds(r % (limitMs * 1000)));
}

}  // namespace

InventoryStore::InventoryStore(SlotStore& slots, const Keyring& keys, StoreOptions options,
                               std::array<uint8_t, 16> writerId)
    : slots_(slots), keys_(keys), options_(options), writerId_(writerId) {
  if (options_.keep < 2) {
    options_.keep = 2;
  }
}

Snapshot InventoryStore::decode(const std::string& bytes, uint64_t expectVersion) {
  if (bytes.size() > options_.maxFileBytes) {
    throw DataException(slots_.describe() + ": file larger than the " +
                        std::to_string(options_.maxFileBytes) + "-byte limit");
  }
  Opened opened = open(bytes, keys_);
  Snapshot snapshot;
  snapshot.format = opened.format;
  snapshot.header = opened.header;
  if (opened.format == EnvelopeFormat::V2) {
    snapshot.version = opened.header.version;
    snapshot.epoch = opened.header.epoch;
    if (expectVersion != 0 && snapshot.version != expectVersion) {
      throw DataException("slot v" + std::to_string(expectVersion) + " carries version " +
                          std::to_string(snapshot.version) + " (a copied or renamed file)");
    }
  }
  snapshot.inventory = inventoryFromJson(opened.plaintext);
  return snapshot;
}

Snapshot InventoryStore::newest() {
  const size_t readLimit = options_.maxFileBytes + 1;
  for (int race = 0;; ++race) {
    std::optional<std::string> head = slots_.readHead(readLimit);
    uint64_t n = 0;
    bool headUsable = false;
    std::string headProblem;
    if (head) {
      if (detectFormat(*head) == EnvelopeFormat::V2) {
        try {
          n = readHeader(*head).version;
          headUsable = true;
        } catch (const DataException& e) {
          headProblem = e.displayText();
        }
      } else {
        // A Java file (legacy or plain JSON) is version 0 only while no slot exists.
        headUsable = slots_.listSlots().empty();
      }
    }
    if (!headUsable) {
      // No head, or one we cannot place in the chain: the slots are the truth.
      std::vector<uint64_t> versions = slots_.listSlots();
      if (versions.empty()) {
        if (head) {
          throw DataException(slots_.describe() + ": " + headProblem);
        }
        if (!slots_.markerPresent()) {
          throw NotMountedException(slots_.describe() +
                                    ": no inventory and no share marker; the share is not "
                                    "mounted or the site is not initialised");
        }
        return Snapshot{};
      }
      n = versions.back();
    }
    uint64_t fromHead = n;
    for (int i = 0; i < kMaxProbe && slots_.slotExists(n + 1); ++i) {
      ++n;
    }
    if (headUsable && n == fromHead) {
      return decode(*head, n);
    }
    std::optional<std::string> bytes = slots_.readSlot(n, readLimit);
    if (bytes) {
      return decode(*bytes, n);
    }
    if (race >= kMaxReadRaces) {
      throw StorageException(slots_.describe() + ": version v" + std::to_string(n) +
                             " disappeared while being read, " + std::to_string(race + 1) +
                             " times");
    }
  }
}

void InventoryStore::acceptAtLeast(uint64_t version, uint64_t epoch, const InventoryId& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (id != InventoryId{} && acceptedId_ != InventoryId{} && id != acceptedId_) {
    return;  // another inventory's floor says nothing about this one
  }
  acceptedVersion_ = std::max(acceptedVersion_, version);
  acceptedEpoch_ = std::max(acceptedEpoch_, epoch);
  if (id != InventoryId{}) {
    acceptedId_ = id;
  }
}

void InventoryStore::accept(const Snapshot& snapshot) {
  acceptedVersion_ = std::max(acceptedVersion_, snapshot.version);
  acceptedEpoch_ = std::max(acceptedEpoch_, snapshot.epoch);
  if (snapshot.header.hasInventoryId()) {
    acceptedId_ = snapshot.header.inventoryId;
  }
}

void InventoryStore::forgetOtherInventory(const Snapshot& snapshot) {
  // Both identities known and different: the directory holds another inventory (a new share,
  // or the old one wiped and initialised again). Its versions start over, so the floor of the
  // previous one does not apply. A missing identity (format 2, Java files) is not "different":
  // the floor stays, and an older file is still a rollback (I9).
  if (snapshot.header.hasInventoryId() && acceptedId_ != InventoryId{} &&
      snapshot.header.inventoryId != acceptedId_) {
    acceptedVersion_ = 0;
    acceptedEpoch_ = 0;
    acceptedId_ = snapshot.header.inventoryId;
  }
}

Snapshot InventoryStore::load() {
  std::lock_guard<std::mutex> lock(mutex_);
  Snapshot snapshot = newest();
  forgetOtherInventory(snapshot);
  if (snapshot.version < acceptedVersion_ || snapshot.epoch < acceptedEpoch_) {
    throw RollbackException(
        slots_.describe() + ": newest file is " + versionText(snapshot.version, snapshot.epoch) +
        ", older than the accepted " + versionText(acceptedVersion_, acceptedEpoch_) +
        "; keeping the accepted version");
  }
  accept(snapshot);
  return snapshot;
}

uint64_t InventoryStore::peekVersion(InventoryId* inventoryId,
                                     std::array<uint8_t, kNonceSize>* nonce) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::optional<std::string> head = slots_.readHead(kMaxHeaderSize);
  uint64_t n = 0;
  std::optional<Header> header;
  if (head && detectFormat(*head) == EnvelopeFormat::V2) {
    try {
      header = readHeader(*head);
    } catch (const TruncatedException&) {
      // A short head: the slots say where the chain is (load() reports the damage).
    }
  }
  if (inventoryId != nullptr) {
    *inventoryId = header ? header->inventoryId : InventoryId{};
  }
  if (header) {
    n = header->version;
  } else {
    // No head, a short one, or a Java file put back at the head: the slots are the truth.
    std::vector<uint64_t> versions = slots_.listSlots();
    n = versions.empty() ? 0 : versions.back();
  }
  for (int i = 0; i < kMaxProbe && slots_.slotExists(n + 1); ++i) {
    ++n;
  }
  if (nonce != nullptr) {
    *nonce = header && header->version == n ? header->nonce : std::array<uint8_t, kNonceSize>{};
  }
  return n;
}

CommitResult InventoryStore::commitLocked(const std::function<uint64_t(const Snapshot&)>& epochFor,
                                          uint32_t flags, const Change& change) {
  for (int attempt = 1; attempt <= options_.maxAttempts; ++attempt) {
    if (!slots_.markerPresent()) {
      throw NotMountedException(slots_.describe() +
                                ": share marker missing (share not mounted?); refusing to write");
    }
    // Never write over what we cannot read: a corrupt or wrong-key head throws here.
    Snapshot base = newest();
    forgetOtherInventory(base);
    if (base.version < acceptedVersion_ || base.epoch < acceptedEpoch_) {
      throw RollbackException(slots_.describe() + ": newest file is " +
                              versionText(base.version, base.epoch) + ", older than the accepted " +
                              versionText(acceptedVersion_, acceptedEpoch_) +
                              "; refusing to write on a rolled-back directory");
    }
    accept(base);
    uint64_t epoch = epochFor(base);
    if (base.epoch > epoch) {
      throw FencedException("newest version " + versionText(base.version, base.epoch) +
                            " has a higher epoch than ours (" + std::to_string(epoch) +
                            "): this writer is deposed");
    }
    bool adminWrite = (flags & kFlagAdminWrite) != 0;
    bool baseAdmin = (base.header.flags & kFlagAdminWrite) != 0;
    if (!adminWrite && !baseAdmin && base.version > 0 && base.epoch == epoch &&
        base.header.writerId != writerId_) {
      throw FencedException("epoch " + std::to_string(epoch) + " already belongs to writer " +
                            base.header.writerIdHex() + " (" +
                            versionText(base.version, base.epoch) + "): this writer steps down");
    }

    Inventory next = base.inventory;
    change(next);
    Header header;
    header.flags = flags;
    header.version = base.version + 1;
    header.epoch = epoch;
    header.writerId = writerId_;
    header.createdAtMs = nowMillis();
    // The identity and the passphrase salt stay with the inventory; the first commit over a
    // file without an identity (Java, plain JSON, format 2, a new share) gives it one.
    header.inventoryId = base.header.hasInventoryId() ? base.header.inventoryId : newInventoryId();
    header.kdf = base.header.kdf;
    std::string bytes = sealV2(header, inventoryToJson(next), keys_);

    if (slots_.claim(header.version, bytes) == SlotStore::Claim::Taken) {
      backoff(attempt);
      continue;
    }
    acceptedVersion_ = header.version;
    acceptedEpoch_ = epoch;
    publishClaimed(header.version);
    return CommitResult{header.version, epoch, attempt};
  }
  throwLostEveryRace();
}

void InventoryStore::throwLostEveryRace() const {
  throw ConflictException(slots_.describe() + ": lost " + std::to_string(options_.maxAttempts) +
                          " races in a row to other writers");
}

void InventoryStore::publishClaimed(uint64_t version) {
  // The version stands once claimed; the head and the clean-up are hints and housekeeping, so
  // their failures do not undo it (readers probe past a stale head).
  try {
    if (!slots_.slotExists(version + 1)) {
      slots_.publishHead(version);
    }
    if (version > options_.keep) {
      slots_.removeSlot(version - options_.keep);
    }
  } catch (const StorageException&) {
  }
}

CommitResult InventoryStore::commit(uint64_t epoch, const Change& change) {
  std::lock_guard<std::mutex> lock(mutex_);
  return commitLocked([epoch](const Snapshot&) { return epoch; }, 0, change);
}

CommitResult InventoryStore::commitAdmin(const Change& change) {
  std::lock_guard<std::mutex> lock(mutex_);
  return commitLocked([](const Snapshot& base) { return base.epoch; }, kFlagAdminWrite, change);
}

CommitResult InventoryStore::fence(uint64_t candidateEpoch) {
  std::lock_guard<std::mutex> lock(mutex_);
  return commitLocked(
      [candidateEpoch](const Snapshot& base) { return std::max(candidateEpoch, base.epoch + 1); },
      0, [](Inventory&) {});
}

CommitResult InventoryStore::init(const Inventory& initial, const std::string& clusterId) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (slots_.markerPresent()) {
    throw InventoryException(slots_.describe() + ": already initialised (share marker exists)");
  }
  if (!slots_.listSlots().empty()) {
    throw InventoryException(slots_.describe() +
                             ": versions exist but the share marker is missing; refusing to "
                             "initialise over them (is this the right directory?)");
  }
  slots_.createMarker(clusterId);
  return commitLocked([](const Snapshot& base) { return base.epoch; }, kFlagAdminWrite,
                      [&initial](Inventory& inventory) { inventory = initial; });
}

CommitResult InventoryStore::republish(const Snapshot& lastGood, uint64_t candidateEpoch,
                                       bool emptyConfirmed, const std::string& clusterId) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string ours = lastGood.header.hasInventoryId()
                               ? " (inventory " + lastGood.header.inventoryIdHex() + ")"
                               : std::string();
  for (int attempt = 1; attempt <= options_.maxAttempts; ++attempt) {
    Snapshot base;  // version 0: nothing on the share
    const bool marker = slots_.markerPresent();
    if (!marker) {
      if (!slots_.listSlots().empty() || slots_.readHead(kMaxHeaderSize)) {
        throw RepublishRefusedException(
            slots_.describe() +
            ": inventory files exist but the share marker (.cluster-id) is missing; this is not "
            "the share as promsnmp left it. Put the marker back from the same backup, or move "
            "the files aside, then republish");
      }
      if (!emptyConfirmed) {
        throw RepublishRefusedException(
            slots_.describe() +
            ": the share holds no inventory file and no share marker. An unmounted share looks "
            "the same, and republishing would then write into the mount point: check that the "
            "share is mounted, then repeat with empty=confirmed");
      }
    } else {
      base = newest();  // what the share holds; unreadable throws (repair it first)
      if (base.header.hasInventoryId() && lastGood.header.hasInventoryId() &&
          base.header.inventoryId != lastGood.header.inventoryId) {
        throw RepublishRefusedException(
            slots_.describe() + ": the share holds another inventory (" +
            base.header.inventoryIdHex() + ", " + versionText(base.version, base.epoch) +
            ") than this replica's" + ours +
            "; republish only replaces an older or emptied copy of the same inventory "
            "(promsnmp-inventory restore replaces another one)");
      }
      const uint64_t floorVersion = std::max(acceptedVersion_, lastGood.version);
      const uint64_t floorEpoch = std::max(acceptedEpoch_, lastGood.epoch);
      if (base.version >= floorVersion && base.epoch >= floorEpoch) {
        throw RepublishRefusedException(
            slots_.describe() + ": the share is not behind: it holds " +
            versionText(base.version, base.epoch) + ", this replica last accepted " +
            versionText(floorVersion, floorEpoch) + "; nothing to republish");
      }
    }
    Header header;
    header.version = std::max({base.version, acceptedVersion_, lastGood.version}) + 1;
    header.epoch =
        std::max({candidateEpoch, base.epoch + 1, acceptedEpoch_ + 1, lastGood.epoch + 1});
    header.writerId = writerId_;
    header.createdAtMs = nowMillis();
    header.inventoryId =
        lastGood.header.hasInventoryId() ? lastGood.header.inventoryId : newInventoryId();
    header.kdf = lastGood.header.kdf;
    std::string bytes = sealV2(header, inventoryToJson(lastGood.inventory), keys_);
    if (!marker) {
      slots_.createMarker(clusterId);
    }
    if (slots_.claim(header.version, bytes) == SlotStore::Claim::Taken) {
      backoff(attempt);
      continue;  // a writer got there first: look again
    }
    acceptedVersion_ = header.version;
    acceptedEpoch_ = header.epoch;
    acceptedId_ = header.inventoryId;
    publishClaimed(header.version);
    return CommitResult{header.version, header.epoch, attempt};
  }
  throwLostEveryRace();
}

size_t InventoryStore::collectGarbage() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<uint64_t> versions = slots_.listSlots();
  size_t removed = 0;
  if (versions.size() > options_.keep) {
    uint64_t newestVersion = versions.back();
    for (uint64_t v : versions) {
      if (v + options_.keep <= newestVersion) {
        slots_.removeSlot(v);
        ++removed;
      }
    }
  }
  slots_.removeStaleTemps(options_.staleTempSeconds);
  return removed;
}

std::string InventoryStore::writerIdHex() const {
  return detail::toHex(writerId_.data(), writerId_.size());
}

std::vector<Header> InventoryStore::keptHeaders() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Header> headers;
  for (uint64_t version : slots_.listSlots()) {
    std::optional<std::string> prefix = slots_.readSlot(version, kMaxHeaderSize);
    if (!prefix || detectFormat(*prefix) != EnvelopeFormat::V2) {
      continue;
    }
    try {
      headers.push_back(readHeader(*prefix));
    } catch (const TruncatedException&) {
      // Shorter than a header: verify() reports it.
    } catch (const DataException&) {
      // Not a header this build reads (a newer format, unknown flags): verify() says so.
    }
  }
  return headers;
}

Snapshot InventoryStore::readVersion(uint64_t version) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::optional<std::string> bytes = slots_.readSlot(version, options_.maxFileBytes + 1);
  if (!bytes) {
    throw InventoryException(slots_.describe() + ": version v" + std::to_string(version) +
                             " is not kept");
  }
  return decode(*bytes, version);
}

std::vector<VersionReport> InventoryStore::verify(std::vector<std::string>* chainErrors) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> errors;
  std::vector<VersionReport> reports;
  for (uint64_t v : slots_.listSlots()) {
    VersionReport report;
    report.version = v;
    try {
      std::optional<std::string> bytes = slots_.readSlot(v, options_.maxFileBytes + 1);
      if (!bytes) {
        throw StorageException("v" + std::to_string(v) + " disappeared during verify");
      }
      Snapshot snapshot = decode(*bytes, v);
      if (snapshot.format != EnvelopeFormat::V2) {
        throw DataException("v" + std::to_string(v) + " is not a v2 envelope");
      }
      report.header = snapshot.header;
      report.deviceCount = snapshot.inventory.devices.size();
      report.seedCount = snapshot.inventory.discoverySeeds.size();
      report.ok = true;
    } catch (const InventoryException& e) {
      report.error = e.displayText();
      errors.push_back("v" + std::to_string(v) + ": " + e.displayText());
    }
    reports.push_back(std::move(report));
  }
  if (reports.empty()) {
    errors.push_back(slots_.describe() + ": no versions");
  }
  // The chain: consecutive versions, epochs never decreasing (I2), one leader writer per epoch
  // (I1), no (key, nonce) pair twice (I11).
  std::map<std::string, uint64_t> nonces;
  std::map<uint64_t, std::set<std::string>> writersByEpoch;
  const VersionReport* previous = nullptr;
  for (const VersionReport& report : reports) {
    // A gap where the epoch rises is a republish over a share restored from an older backup
    // (republish() writes above every version seen, with a higher epoch); a leader's commits
    // and garbage collection never leave one.
    const bool republished = previous != nullptr && previous->ok && report.ok &&
                             report.header.epoch > previous->header.epoch;
    if (previous != nullptr && report.version != previous->version + 1 && !republished) {
      errors.push_back("gap in the chain between v" + std::to_string(previous->version) + " and v" +
                       std::to_string(report.version));
    }
    if (report.ok) {
      if (previous != nullptr && previous->ok && report.header.epoch < previous->header.epoch) {
        errors.push_back("epoch decreases at v" + std::to_string(report.version) + " (" +
                         std::to_string(previous->header.epoch) + " -> " +
                         std::to_string(report.header.epoch) + ")");
      }
      std::string nonce = report.header.keyIdHex() + "/" + report.header.nonceHex();
      auto [it, fresh] = nonces.emplace(nonce, report.version);
      if (!fresh) {
        errors.push_back("nonce reused by v" + std::to_string(it->second) + " and v" +
                         std::to_string(report.version));
      }
      if ((report.header.flags & kFlagAdminWrite) == 0) {
        writersByEpoch[report.header.epoch].insert(report.header.writerIdHex());
      }
    }
    previous = &report;
  }
  for (const auto& [epoch, writers] : writersByEpoch) {
    if (writers.size() > 1) {
      errors.push_back("epoch " + std::to_string(epoch) + " was written by " +
                       std::to_string(writers.size()) + " leader writers");
    }
  }
  if (chainErrors != nullptr) {
    *chainErrors = std::move(errors);
  }
  return reports;
}

InventoryId InventoryStore::acceptedInventoryId() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return acceptedId_;
}

std::pair<uint64_t, uint64_t> InventoryStore::lastAccepted() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {acceptedVersion_, acceptedEpoch_};
}

}  // namespace inventoryfs
