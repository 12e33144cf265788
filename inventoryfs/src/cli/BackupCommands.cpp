// backup and restore: a copy of the newest version kept off the share, and its content brought
// back as a new version.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "AesGcm.h"
#include "Hex.h"
#include "InventoryCli.h"
#include "Json.h"
#include "cli/Commands.h"
#include "inventoryfs/Envelope.h"
#include "inventoryfs/Exceptions.h"

namespace inventoryfs::cli {

namespace {

// A version can be collected between load() and reading its slot; the pair is retried this often.
constexpr int kMaxReadRaces = 5;

std::optional<std::string> realDirectory(const std::string& dir) {
  char resolved[PATH_MAX];
  if (::realpath(dir.c_str(), resolved) == nullptr) {
    return std::nullopt;
  }
  return std::string(resolved);
}

/// Throws UsageError when `file` would be written into the share directory `shareDir` or a
/// directory below it: a backup there sits among the slots and is lost with the share. Does
/// nothing when either directory does not exist (the share is then unreadable, or the write
/// fails).
void refuseInsideShare(const std::string& file, const std::string& shareDir) {
  const std::optional<std::string> share = realDirectory(shareDir);
  const std::optional<std::string> target = realDirectory(directoryOf(file));
  if (!share || !target) {
    return;
  }
  if (*target == *share || *share == "/" || target->rfind(*share + "/", 0) == 0) {
    throw UsageError{"backup: " + file + " is inside the share directory " + *share +
                     " (it would sit among the versions and be lost with the share); write it "
                     "elsewhere"};
  }
}

/// Opens `bytes` (the file `what`) and checks that it is `source`: same version, epoch,
/// inventory id and content. Throws what open() throws, or DataException on a difference.
void checkIsVersion(const std::string& what, const std::string& bytes, const Snapshot& source,
                    const Keyring& keys) {
  const Opened opened = open(bytes, keys);
  const Header& h = opened.header;
  if (opened.format != EnvelopeFormat::V2 || h.version != source.version ||
      h.epoch != source.epoch || h.inventoryId != source.header.inventoryId ||
      h.createdAtMs != source.header.createdAtMs || h.keyId != source.header.keyId) {
    throw DataException(what + ": its header is not that of version " +
                        std::to_string(source.version));
  }
  if (!(inventoryFromJson(opened.plaintext) == source.inventory)) {
    throw DataException(what + ": its content differs from version " +
                        std::to_string(source.version) + "'s");
  }
}

/// open() of the backup `file`, its errors prefixed with the file's name (same exception types,
/// so the exit codes stay those of every other command: 65 bad data, 78 no key).
Opened openBackup(const std::string& file, const std::string& bytes, const Keyring& keys) {
  try {
    return open(bytes, keys);
  } catch (const TruncatedException& e) {
    throw TruncatedException(file + ": " + e.message());
  } catch (const DataException& e) {
    throw DataException(file + ": " + e.message());
  } catch (const AuthenticationException& e) {
    throw AuthenticationException(file + ": " + e.message());
  } catch (const WrongKeyException& e) {
    throw WrongKeyException(file + ": " + e.message());
  }
}

std::string inventoryIdText(const Header& header) {
  return header.hasInventoryId() ? header.inventoryIdHex() : "none (format 2)";
}

}  // namespace

int backup(Session& session) {
  const std::string file = session.onePositional("FILE");
  refuseInsideShare(file, DirectorySlotStore(session.headPath()).directory());
  struct stat st {};
  if (!session.cl().flag("force") && ::lstat(file.c_str(), &st) == 0) {
    throw InventoryException(file + " exists; --force to replace it");
  }
  InventoryStore& store = session.store();
  Snapshot source;
  std::string bytes;
  for (int race = 0;; ++race) {
    source = store.load();  // the newest version, tag checked, as `show` reads it
    if (source.version == 0) {
      throw InventoryException(session.headPath() +
                               ": the share holds no version to back up (a Java file or "
                               "nothing at the head; `init` makes version 1)");
    }
    std::optional<std::string> slot =
        store.slots().readSlot(source.version, StoreOptions{}.maxFileBytes + 1);
    if (slot) {
      bytes = std::move(*slot);
      break;
    }
    if (race >= kMaxReadRaces) {
      throw StorageException("version v" + std::to_string(source.version) +
                             " disappeared while being read, " + std::to_string(race + 1) +
                             " times");
    }
  }
  // The slot is immutable and load() read it already: a difference means the share changed it.
  checkIsVersion("version file v" + std::to_string(source.version), bytes, source, session.keys());

  writeDurably(file, bytes, 0600);
  try {
    const std::string written = readWholeFile(file);
    if (written != bytes) {
      throw DataException("the bytes read back differ from version v" +
                          std::to_string(source.version) + "'s");
    }
    checkIsVersion(file, written, source, session.keys());
  } catch (const Poco::Exception& e) {
    ::unlink(file.c_str());
    throw DataException(file + ": verification after writing failed (" + e.displayText() +
                        "); the file was removed");
  }

  const std::array<uint8_t, 32> digest = detail::sha256(bytes);
  const std::string sha256 = detail::toHex(digest.data(), digest.size());
  const Header& h = source.header;
  if (session.json()) {
    return session.printJsonResult([&](detail::JsonWriter& w) {
      w.key("file");
      w.string(file);
      w.key("version");
      w.integer(static_cast<int64_t>(source.version));
      w.key("epoch");
      w.integer(static_cast<int64_t>(source.epoch));
      w.key("inventoryId");
      if (h.hasInventoryId()) {
        w.string(h.inventoryIdHex());
      } else {
        w.null();
      }
      w.key("format");
      w.integer(h.format);
      w.key("keyId");
      w.string(h.keyIdHex());
      w.key("createdAt");
      w.string(isoTime(h.createdAtMs));
      w.key("devices");
      w.integer(static_cast<int64_t>(source.inventory.devices.size()));
      w.key("seeds");
      w.integer(static_cast<int64_t>(source.inventory.discoverySeeds.size()));
      w.key("bytes");
      w.integer(static_cast<int64_t>(bytes.size()));
      w.key("sha256");
      w.string(sha256);
    });
  }
  session.out() << "backup of version " << source.version << " (epoch " << source.epoch
                << ", inventory " << inventoryIdText(h) << ", " << source.inventory.devices.size()
                << " devices, " << source.inventory.discoverySeeds.size() << " seeds) written to "
                << file << " (" << bytes.size() << " bytes, sha256 " << sha256 << ")\n";
  return kExitOk;
}

namespace {

// The share holds nothing: with --init the backup becomes its first version, keeping the
// backup's inventory id and numbered above it (InventoryStore::republish), so replicas that
// still know a newer version refuse it as older until one of them republishes. Without --init
// nothing is written: an unmounted share looks the same.
int restoreIntoEmptyShare(Session& session, const std::string& file, const Header& backupHeader,
                          const Inventory& content) {
  const CommandLine& cl = session.cl();
  if (!cl.flag("init")) {
    throw NotMountedException(
        session.headPath() +
        ": the share holds no inventory (is it mounted?). `restore FILE --init` writes the "
        "backup into it as its first version; with replicas running, POST "
        "/promsnmp/inventory/republish?empty=confirmed publishes their newer inventory instead");
  }
  Snapshot backup;
  backup.version = backupHeader.version;
  backup.epoch = backupHeader.epoch;
  backup.header = backupHeader;
  backup.inventory = content;
  CommitResult r =
      session.store().republish(backup, 0, true, cl.value("cluster-id").value_or(newUuid()));
  return session.reportCommit("restored " + file + " (backup of version " +
                                  std::to_string(backupHeader.version) + ", epoch " +
                                  std::to_string(backupHeader.epoch) + ") into the empty share",
                              r, &content);
}

}  // namespace

int restore(Session& session) {
  const CommandLine& cl = session.cl();
  const std::string file = session.onePositional("FILE");
  const std::string bytes = readWholeFile(file);
  if (detectFormat(bytes) != EnvelopeFormat::V2) {
    throw DataException(file +
                        ": not a promsnmp backup (an encrypted version file); use `import` for "
                        "Java or JSON files");
  }
  const Opened opened = openBackup(file, bytes, session.keys());
  Inventory content;
  try {
    content = inventoryFromJson(opened.plaintext);
  } catch (const DataException& e) {
    throw DataException(file + ": " + e.message());
  }
  const Header& backupHeader = opened.header;

  InventoryStore& store = session.store();
  std::optional<Snapshot> current;
  try {
    current = store.load();
  } catch (const NotMountedException&) {
    // No marker and no version: an empty share, or one not mounted (--init decides).
  }
  if (!current || current->version == 0) {
    return restoreIntoEmptyShare(session, file, backupHeader, content);
  }
  if (cl.flag("init")) {
    throw InventoryException(session.headPath() +
                             ": --init restores only into an empty share; "
                             "this one holds version " +
                             std::to_string(current->version) + " (restore without --init)");
  }
  const Header& shareHeader = current->header;
  if (backupHeader.hasInventoryId() && shareHeader.hasInventoryId() &&
      backupHeader.inventoryId != shareHeader.inventoryId) {
    if (!cl.flag("other-inventory")) {
      throw DataException(file + " is a backup of inventory " + backupHeader.inventoryIdHex() +
                          ", but the share holds inventory " + shareHeader.inventoryIdHex() +
                          "; --other-inventory restores its content into this inventory (which "
                          "keeps its id)");
    }
    session.err() << "note: restoring the content of inventory " << backupHeader.inventoryIdHex()
                  << " into inventory " << shareHeader.inventoryIdHex() << ", which keeps its id\n";
  } else if (!backupHeader.hasInventoryId()) {
    session.err() << "note: " << file
                  << " has no inventory id (format 2, written by the previous release), so "
                     "it cannot be checked to be a backup of this inventory; restoring its "
                     "content into inventory "
                  << inventoryIdText(shareHeader) << "\n";
  }

  const bool force = cl.flag("force");
  // The same commit path as every write: a new version on the newest one, slot claim, epoch
  // checks, retries; an admin write at the current epoch. The backup's version number is
  // never written.
  CommitResult r = session.store().commitAdmin([&](Inventory& inventory) {
    checkReplace(inventory, content, force);
    inventory = content;
  });
  return session.reportCommit("restored the content of " + file + " (backup of version " +
                                  std::to_string(backupHeader.version) + ", epoch " +
                                  std::to_string(backupHeader.epoch) + ", created " +
                                  isoTime(backupHeader.createdAtMs) + ")",
                              r, &content);
}

}  // namespace inventoryfs::cli
