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

}  // namespace inventoryfs
