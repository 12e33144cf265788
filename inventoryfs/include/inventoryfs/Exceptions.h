#pragma once

#include <Poco/Exception.h>

namespace inventoryfs {

// Every failure of the inventory layer derives from InventoryException, so callers that only
// need "it did not work" catch one type. The subclasses are the distinctions a caller acts on.

/// Base of all inventoryfs errors.
POCO_DECLARE_EXCEPTION(, InventoryException, Poco::Exception)
/// Malformed content: JSON syntax, schema violation, a file that is no known envelope.
POCO_DECLARE_EXCEPTION(, DataException, InventoryException)
/// The file is shorter (or longer) than its header says: torn write, truncation.
POCO_DECLARE_EXCEPTION(, TruncatedException, DataException)
/// The file names a key id that no configured key has.
POCO_DECLARE_EXCEPTION(, WrongKeyException, InventoryException)
/// The GCM tag does not verify: tampering, bit flips, or (legacy files) the wrong key.
POCO_DECLARE_EXCEPTION(, AuthenticationException, InventoryException)
/// A reader saw a lower (version, epoch) than one it already accepted.
POCO_DECLARE_EXCEPTION(, RollbackException, InventoryException)
/// A commit lost every retry against other writers.
POCO_DECLARE_EXCEPTION(, ConflictException, InventoryException)
/// A commit was refused because the head carries a higher epoch: the writer is deposed.
POCO_DECLARE_EXCEPTION(, FencedException, InventoryException)
/// The share marker is missing: the volume is probably not mounted. Nothing is written.
POCO_DECLARE_EXCEPTION(, NotMountedException, InventoryException)
/// No usable key or an invalid key setting.
POCO_DECLARE_EXCEPTION(, KeyConfigException, InventoryException)
/// A file-system call failed (message names the call, the path and errno text).
POCO_DECLARE_EXCEPTION(, StorageException, InventoryException)
/// A republish found nothing it may do (the share is not behind, holds another inventory, or
/// needs the operator to confirm it is mounted). Nothing is written.
POCO_DECLARE_EXCEPTION(, RepublishRefusedException, InventoryException)

/// What a failed read of the share means to an operator (health, metrics, the landing page).
enum class ShareProblem {
  Missing,       // no marker and no versions: not mounted, or emptied
  RolledBack,    // older than this reader accepted: restored from a backup, versions deleted
  Unreadable,    // damaged, truncated, wrong key, unknown format
  StorageError,  // a file-system call failed
};
ShareProblem shareProblemOf(const Poco::Exception& e);
/// "missing", "rolled_back", "unreadable", "storage_error".
const char* shareProblemName(ShareProblem problem);
/// The problem for an operator, completing "The shared inventory is …".
const char* shareProblemWords(ShareProblem problem);

}  // namespace inventoryfs
