#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace inventoryfs {

// sysexits(3) codes, the CLI's contract with scripts.
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitData = 65;         // bad or unreadable data
inline constexpr int kExitUnavailable = 69;  // conflict, fenced, share missing, I/O
inline constexpr int kExitSoftware = 70;     // a bug: an exception nobody expected
inline constexpr int kExitConfig = 78;       // no key, wrong key, bad setting

/// `promsnmp-inventory`: the operator's tool for the shared inventory (init, show, export,
/// import, add-device, remove-device, history, rollback, verify, rotate-key, decrypt, encrypt,
/// watch, gc) and the device-profile check `classify`. Reads PROM_INV_FILE and the PROM_ENCRYPT_KEY
/// settings like the daemons. All writes go through the slot protocol
/// (InventoryStore::commitAdmin), retrying lost races. Output goes to `out`, diagnostics to `err`.
/// Not thread-safe (one run per instance).
class InventoryCli {
 public:
  InventoryCli(std::map<std::string, std::string> env, std::ostream& out, std::ostream& err);

  /// Runs one command line (without the program name). Returns the exit code.
  int run(const std::vector<std::string>& args);

 private:
  std::map<std::string, std::string> env_;
  std::ostream& out_;
  std::ostream& err_;
};

}  // namespace inventoryfs
