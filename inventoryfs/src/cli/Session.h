#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cli/CommandLine.h"
#include "inventoryfs/DirectorySlotStore.h"
#include "inventoryfs/Inventory.h"
#include "inventoryfs/InventoryJson.h"
#include "inventoryfs/InventoryStore.h"
#include "inventoryfs/Keyring.h"

namespace inventoryfs::detail {
class JsonWriter;
}  // namespace inventoryfs::detail

namespace inventoryfs::cli {

/// The directory part of `path` ("." for a bare name).
std::string directoryOf(const std::string& path);
/// Writes `bytes` to `path` durably and atomically: `path`.tmp.<pid> beside it (created with
/// `mode`, less the umask), fsync, close, rename over `path`, fsync of the directory; the temp
/// file is removed on failure. Throws StorageException naming the call that failed.
void writeDurably(const std::string& path, const std::string& bytes, mode_t mode);

/// One run of a command: its command line, the environment and the output streams, and what
/// every command shares: the inventory file, the key and the store (each opened on first use),
/// the file input and output, and how a result is printed (a sentence or a table, or JSON with
/// --json). Not thread-safe (one run per instance).
class Session {
 public:
  /// Reads the inventory file (--file, else PROM_INV_FILE, else the default) and PROM_INV_KEEP.
  /// Throws KeyConfigException on a PROM_INV_KEEP that is not an integer >= 2.
  Session(const CommandLine& cl, const std::map<std::string, std::string>& env, std::ostream& out,
          std::ostream& err);

  const CommandLine& cl() const { return cl_; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }
  /// The environment the CLI runs with.
  const std::map<std::string, std::string>& env() const { return env_; }
  /// --json: results as one JSON line.
  bool json() const { return json_; }
  /// The inventory file (the share's head).
  const std::string& headPath() const { return headPath_; }

  /// The keys of the PROM_ENCRYPT_KEY settings, read on first use. Throws KeyConfigException.
  const Keyring& keys();
  /// The store of the inventory file, opened on first use (keys() included).
  InventoryStore& store();

  /// The one positional argument, named `what` in the error. Throws UsageError when there are
  /// none or several.
  std::string onePositional(const char* what) const;
  /// The inventory in the file at `path`, in any envelope keys() opens, or plain JSON.
  Inventory readInventoryFile(const std::string& path);
  /// Writes `bytes` to `path` (through a temp file and a rename), or to out() without one.
  void writeOutput(const std::optional<std::string>& path, const std::string& bytes);
  /// Prints a commit's outcome: "<what>: version N (epoch E)..." or, with --json, an object with
  /// the numbers; the device and seed counts when `inventory` is given. Returns kExitOk.
  int reportCommit(const std::string& what, const CommitResult& r, const Inventory* inventory);
  /// Prints a command's result as one JSON line: {"ok":true,"command":<name>, then the members
  /// `members` writes}. Returns kExitOk.
  int printJsonResult(const std::function<void(detail::JsonWriter&)>& members);
  /// Prints `rows` (the first one the header) as columns two spaces apart.
  void printTable(const std::vector<std::vector<std::string>>& rows);
  /// --pretty (or `prettyByDefault`) and --include-credentials as JSON write options.
  JsonWriteOptions jsonOptions(bool prettyByDefault) const;

 private:
  const CommandLine& cl_;
  const std::map<std::string, std::string>& env_;
  std::ostream& out_;
  std::ostream& err_;
  bool json_;
  std::string headPath_;
  StoreOptions options_;
  std::unique_ptr<Keyring> keys_;
  std::unique_ptr<DirectorySlotStore> slots_;
  std::unique_ptr<InventoryStore> store_;
};

/// The bytes of the file at `path`. Throws StorageException when it cannot be read,
/// DataException when it is larger than the CLI's input limit (256 MiB).
std::string readWholeFile(const std::string& path);

/// Milliseconds since the epoch as an ISO 8601 UTC time; "-" for none (0 or less).
std::string isoTime(int64_t unixMs);

/// The guard of a replace (`import`, `restore`): throws ConflictException when replacing
/// `current` by `replacement` removes every device or more than half of them
/// (replaceNeedsForce) and `force` (--force) is not given.
void checkReplace(const Inventory& current, const Inventory& replacement, bool force);

}  // namespace inventoryfs::cli
