#pragma once

#include "cli/Session.h"

namespace inventoryfs::cli {

// The commands of promsnmp-inventory, one function each (InventoryCli.cpp has the table of
// their names and options, and the usage text). Each reads its options from session.cl(),
// prints its result and returns the exit code, or throws: UsageError for a bad command line, an
// InventoryException (or another Poco::Exception) for what went wrong; InventoryCli::run turns
// those into the message and the exit code.

// The inventory as a whole (InventoryCommands.cpp).
int init(Session& session);
int show(Session& session);
int exportInventory(Session& session);
int importInventory(Session& session);
int gc(Session& session);

// Copies of the newest version kept off the share (BackupCommands.cpp).
int backup(Session& session);
int restore(Session& session);

// One device (DeviceCommands.cpp).
int addDevice(Session& session);
int removeDevice(Session& session);
int setModules(Session& session);

// The kept versions (VersionCommands.cpp).
int history(Session& session);
int rollback(Session& session);
int verify(Session& session);
int watch(Session& session);

// Device profiles (ProfileCommands.cpp): needs no inventory file or key.
int classify(Session& session);

// Keys and envelopes (KeyCommands.cpp).
int rotateKey(Session& session);
int decrypt(Session& session);
int encrypt(Session& session);

}  // namespace inventoryfs::cli
