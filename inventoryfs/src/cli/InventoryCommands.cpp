// init, show, export, import and gc: the inventory as a whole.
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "InventoryCli.h"
#include "cli/Commands.h"
#include "inventoryfs/Envelope.h"
#include "inventoryfs/Exceptions.h"
#include "inventoryfs/Merge.h"

namespace inventoryfs::cli {

namespace {

void makeDirectories(const std::string& dir) {
  std::string partial;
  std::stringstream parts(dir);
  std::string part;
  if (!dir.empty() && dir[0] == '/') {
    partial = "/";
  }
  while (std::getline(parts, part, '/')) {
    if (part.empty()) {
      continue;
    }
    partial += part + "/";
    if (::mkdir(partial.c_str(), 0750) != 0 && errno != EEXIST) {
      throw StorageException("mkdir(" + partial + ")", std::strerror(errno), errno);
    }
  }
}

std::string snmpVersionName(int version) {
  switch (version) {
    case 0:
      return "v1";
    case 1:
      return "v2c";
    case 3:
      return "v3";
    default:
      return "?" + std::to_string(version);
  }
}

/// A device's modules for the table: "-" for none (PromSNMP's interface set), "(none)" for an
/// empty list, else the names comma-separated; " (operator)" when the operator set them.
std::string modulesColumn(const Device& device) {
  if (!device.modules) {
    return "-";
  }
  std::string names;
  for (const std::string& name : *device.modules) {
    names += (names.empty() ? "" : ",") + name;
  }
  if (names.empty()) {
    names = "(none)";
  }
  return device.operatorOwns("modules") ? names + " (operator)" : names;
}

}  // namespace

int init(Session& session) {
  const CommandLine& cl = session.cl();
  const std::string& headPath = session.headPath();
  if (!cl.positional.empty()) {
    throw UsageError{"init: takes no positional arguments (did you mean --import FILE?)"};
  }
  Inventory initial;
  std::string dir = DirectorySlotStore(headPath).directory();
  if (auto file = cl.value("import")) {
    initial = session.readInventoryFile(*file);
  } else {
    struct stat st {};
    if (::stat(headPath.c_str(), &st) == 0) {
      // A Java PromSNMP file at the head becomes version 1; the original stays beside it.
      std::string bytes = readWholeFile(headPath);
      if (detectFormat(bytes) == EnvelopeFormat::V2) {
        throw InventoryException(headPath + " is already a promsnmp v2 file");
      }
      initial = inventoryFromJson(open(bytes, session.keys()).plaintext);
      session.writeOutput(headPath + ".java-backup", bytes);
    }
  }
  makeDirectories(dir);
  std::string clusterId = cl.value("cluster-id").value_or(newUuid());
  CommitResult r = session.store().init(initial, clusterId);
  return session.reportCommit("initialised " + headPath, r, &initial);
}

int show(Session& session) {
  const CommandLine& cl = session.cl();
  std::ostream& out = session.out();
  Snapshot s = session.store().load();
  if (session.json()) {
    out << inventoryToJson(s.inventory, session.jsonOptions(false)) << "\n";
    return kExitOk;
  }
  out << "# " << session.headPath() << "  version " << s.version << "  epoch " << s.epoch;
  if (s.format == EnvelopeFormat::V2) {
    out << "  written " << isoTime(s.header.createdAtMs) << " by "
        << s.header.writerIdHex().substr(0, 8)
        << ((s.header.flags & kFlagAdminWrite) != 0 ? " (admin)" : "") << "  inventory "
        << (s.header.hasInventoryId() ? s.header.inventoryIdHex() : "(none: format 2)");
  } else {
    out << "  (Java PromSNMP file, not initialised)";
  }
  out << "\n";
  bool credentials = cl.flag("include-credentials");
  std::vector<std::vector<std::string>> rows = {{"SYSNAME", "ADDRESS", "PORT", "SNMP", "CREDENTIAL",
                                                 "AGENTS", "LOCATION", "PROFILE", "MODULES",
                                                 "AUTH"}};
  for (const Device& d : s.inventory.devices) {
    const Agent* a = resolvePrimaryAgent(d);
    std::string credential = "-";
    if (a != nullptr) {
      if (a->type == AgentType::Community) {
        credential = "community " +
                     (credentials ? a->readCommunity.value_or("") : std::string(kMaskedSecret));
      } else {
        credential = "user " + a->securityName.value_or("") + " " +
                     a->authProtocol.value_or("noauth") + "/" + a->privProtocol.value_or("nopriv");
      }
    }
    rows.push_back({d.sysName.value_or("-"), a ? a->endpoint.address : "-",
                    a ? std::to_string(a->endpoint.port) : "-",
                    a ? snmpVersionName(a->version) : "-", credential,
                    std::to_string(d.agents.size()), d.sysLocation.value_or("-"),
                    d.profile ? d.profile->name : "-", modulesColumn(d), d.auth.value_or("-")});
  }
  session.printTable(rows);
  out << s.inventory.devices.size() << " devices, " << s.inventory.discoverySeeds.size()
      << " discovery seeds\n";
  if (!s.inventory.discoverySeeds.empty()) {
    std::vector<std::vector<std::string>> seeds = {{"SEED", "TARGETS", "PORT", "VERSION", "TYPE"}};
    for (const DiscoverySeed& seed : s.inventory.discoverySeeds) {
      std::string targets;
      for (const std::string& t : seed.potentialTargets) {
        targets += (targets.empty() ? "" : ",") + t;
      }
      seeds.push_back({seed.id.value_or("-"), targets, std::to_string(seed.port),
                       seed.version.value_or("-"), seed.agentType.value_or("-")});
    }
    session.printTable(seeds);
  }
  return kExitOk;
}

int exportInventory(Session& session) {
  const CommandLine& cl = session.cl();
  Snapshot s = session.store().load();
  std::string bytes;
  if (cl.flag("legacy")) {
    // The Java format carries credentials (Java needs them) and the Jackson layout.
    JsonWriteOptions o;
    o.style = JsonStyle::Pretty;
    o.typeTwice = true;
    bytes = sealLegacy(inventoryToJson(s.inventory, o), session.keys());
  } else {
    bytes = inventoryToJson(s.inventory, session.jsonOptions(true)) + "\n";
  }
  session.writeOutput(cl.value("output"), bytes);
  if (cl.value("output")) {
    session.err() << "exported version " << s.version << " (" << s.inventory.devices.size()
                  << " devices) to " << *cl.value("output") << "\n";
  }
  return kExitOk;
}

int importInventory(Session& session) {
  const CommandLine& cl = session.cl();
  Inventory incoming = session.readInventoryFile(session.onePositional("FILE"));
  bool merge = cl.flag("merge");
  Inventory result;
  bool force = cl.flag("force");
  CommitResult r = session.store().commitAdmin([&](Inventory& inventory) {
    // What the file says is the operator's (discovery keeps those fields).
    Inventory edited = incoming;
    markOperatorFields(inventory, edited);
    if (merge) {
      mergeBySysName(edited, inventory);
    } else {
      checkReplace(inventory, edited, force);
      inventory = std::move(edited);
    }
    result = inventory;
  });
  return session.reportCommit(merge ? "merged" : "imported", r, &result);
}

int gc(Session& session) {
  size_t removed = session.store().collectGarbage();
  if (session.json()) {
    session.out() << "{\"ok\":true,\"removed\":" << removed << "}\n";
  } else {
    session.out() << "removed " << removed << " old versions\n";
  }
  return kExitOk;
}

}  // namespace inventoryfs::cli
