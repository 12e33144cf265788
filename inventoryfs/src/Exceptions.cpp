#include "inventoryfs/Exceptions.h"

#include <typeinfo>

namespace inventoryfs {

POCO_IMPLEMENT_EXCEPTION(InventoryException, Poco::Exception, "Inventory error")
POCO_IMPLEMENT_EXCEPTION(DataException, InventoryException, "Inventory data error")
POCO_IMPLEMENT_EXCEPTION(TruncatedException, DataException, "Truncated inventory file")
POCO_IMPLEMENT_EXCEPTION(WrongKeyException, InventoryException, "No key for this inventory file")
POCO_IMPLEMENT_EXCEPTION(AuthenticationException, InventoryException,
                         "Inventory authentication failed")
POCO_IMPLEMENT_EXCEPTION(RollbackException, InventoryException, "Inventory rollback detected")
POCO_IMPLEMENT_EXCEPTION(ConflictException, InventoryException, "Inventory commit conflict")
POCO_IMPLEMENT_EXCEPTION(FencedException, InventoryException, "Inventory writer fenced")
POCO_IMPLEMENT_EXCEPTION(NotMountedException, InventoryException, "Inventory share not mounted")
POCO_IMPLEMENT_EXCEPTION(KeyConfigException, InventoryException,
                         "Inventory key configuration error")
POCO_IMPLEMENT_EXCEPTION(StorageException, InventoryException, "Inventory storage error")
POCO_IMPLEMENT_EXCEPTION(RepublishRefusedException, InventoryException, "Republish refused")

ShareProblem shareProblemOf(const Poco::Exception& e) {
  if (dynamic_cast<const NotMountedException*>(&e) != nullptr) {
    return ShareProblem::Missing;
  }
  if (dynamic_cast<const RollbackException*>(&e) != nullptr) {
    return ShareProblem::RolledBack;
  }
  if (dynamic_cast<const DataException*>(&e) != nullptr ||
      dynamic_cast<const WrongKeyException*>(&e) != nullptr ||
      dynamic_cast<const AuthenticationException*>(&e) != nullptr ||
      dynamic_cast<const KeyConfigException*>(&e) != nullptr) {
    return ShareProblem::Unreadable;
  }
  return ShareProblem::StorageError;
}

const char* shareProblemName(ShareProblem problem) {
  switch (problem) {
    case ShareProblem::Missing:
      return "missing";
    case ShareProblem::RolledBack:
      return "rolled_back";
    case ShareProblem::Unreadable:
      return "unreadable";
    case ShareProblem::StorageError:
      return "storage_error";
  }
  return "storage_error";
}

const char* shareProblemWords(ShareProblem problem) {
  switch (problem) {
    case ShareProblem::Missing:
      return "missing (not mounted, or emptied)";
    case ShareProblem::RolledBack:
      return "older than the version served (restored from a backup, or versions lost)";
    case ShareProblem::Unreadable:
      return "unreadable";
    case ShareProblem::StorageError:
      return "failing (a storage error)";
  }
  return "failing (a storage error)";
}

}  // namespace inventoryfs
