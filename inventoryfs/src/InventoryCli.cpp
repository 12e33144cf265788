#include "InventoryCli.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "Json.h"
#include "cli/CommandLine.h"
#include "cli/Commands.h"
#include "cli/Session.h"
#include "inventoryfs/Exceptions.h"
#include "inventoryfs/Profiles.h"

namespace inventoryfs {

namespace {

using cli::CommandLine;
using cli::Session;
using cli::UsageError;

const char* const kUsage = R"(usage: promsnmp-inventory [--file PATH] [--json] COMMAND [OPTIONS]

Commands:
  init [--import FILE] [--cluster-id ID]
                       create the share marker and version 1 (an existing Java file at the
                       head, or FILE, becomes its content; the Java file is kept as
                       <head>.java-backup)
  show [--json] [--pretty] [--include-credentials]
                       the newest version as a table, or as Java-schema JSON
  export [-o FILE] [--pretty] [--include-credentials] [--legacy]
                       plain JSON (credentials masked unless asked); --legacy writes the Java
                       PromSNMP encrypted format (needs a 16-character PROM_ENCRYPT_KEY)
  import FILE [--merge] [--force]
                       replace the inventory with FILE (Java encrypted, plain JSON or ours), or
                       merge it by sysName; a replace that removes every device, or more than
                       half of them, needs --force
  add-device --sys-name NAME --address HOST [--port 161] [--snmp-version v1|v2c|v3]
             (--community C [--write-community W] |
              --security-name U [--security-level 1|2|3] [--auth-protocol P]
              [--auth-passphrase X] [--priv-protocol P] [--priv-passphrase X] [--engine-id H])
             [--timeout MS] [--retries N] [--sys-descr D] [--sys-location L]
             [--sys-contact C] [--modules M[,M...] [--auth A]] [--replace]
                       --modules: the snmp_exporter modules the device is polled with (the
                       operator's: discovery keeps them); --auth: the module file auth used
                       instead of the agent's credentials
  remove-device --sys-name NAME
  set-modules --sys-name NAME (--modules M[,M...] [--auth A] | --clear)
                       the device's modules and auth, the operator's from then on (no --auth:
                       the agent's credentials); --clear removes them (and the profile), so the
                       next discovery classifies the device again
  backup FILE [--force]
                       copy the newest version, sealed as it is, to FILE (outside the share;
                       written atomically, mode 0600, read back and checked); an existing FILE
                       needs --force
  restore FILE [--force] [--other-inventory] [--init [--cluster-id ID]]
                       commit the content of a backup as a new version (an admin write, like
                       any other); a backup of another inventory needs --other-inventory (the
                       share keeps its id); one that removes every device, or more than half
                       of them, needs --force. Into an empty share only with --init (it might
                       be unmounted): the backup becomes its first version, with its id
  history              kept versions: epoch, writer, time, counts
  rollback --to N      commit a new version with the content of version N
  verify               check every kept version (tag, version chain, epochs, nonces)
  rotate-key           re-encrypt the newest version with the current key (the old key goes in
                       PROM_ENCRYPT_KEY_PREVIOUS)
  decrypt FILE [-o OUT]            print the JSON inside any envelope
  encrypt FILE [-o OUT] [--legacy] seal a JSON file (v2, or the Java format)
  watch [--interval MS] [--count N] print each new version as it appears
  gc                   remove versions beyond the newest PROM_INV_KEEP and stale temp files
  classify --sys-object-id OID [--sys-descr TEXT] [--profiles FILE[,FILE...]]
                       the device profile (vendor, os, modules) an agent with this
                       sysObjectID and sysDescr gets, and why; needs no inventory or key

Environment: PROM_INV_FILE (default /app/data/promsnmp-inventory.json), PROM_ENCRYPT_KEY or
PROM_ENCRYPT_KEY_FILE or the systemd credential promsnmp-encrypt-key, PROM_ENCRYPT_KEY_PREVIOUS,
PROM_INV_KEEP (versions kept, default 20), PROMSNMP_PROFILES_FILES (classify's profiles files,
comma-separated; default /etc/promsnmp/profiles.yml).
Exit codes: 0 ok, 2 usage, 65 bad data, 69 conflict or unavailable, 78 configuration.
)";

/// A command: its name, what runs it, and its own options (besides --file and --json).
struct Command {
  const char* name;
  int (*run)(Session&);
  std::set<std::string> options;
};

const std::vector<Command> kCommands = {
    {"init", cli::init, {"import", "cluster-id"}},
    {"show", cli::show, {"pretty", "include-credentials"}},
    {"export", cli::exportInventory, {"output", "pretty", "include-credentials", "legacy"}},
    {"import", cli::importInventory, {"merge", "force"}},
    {"add-device",
     cli::addDevice,
     {"sys-name",        "address",         "port",           "snmp-version",  "community",
      "write-community", "security-name",   "security-level", "auth-protocol", "auth-passphrase",
      "priv-protocol",   "priv-passphrase", "engine-id",      "timeout",       "retries",
      "sys-descr",       "sys-location",    "sys-contact",    "modules",       "auth",
      "replace"}},
    {"remove-device", cli::removeDevice, {"sys-name"}},
    {"set-modules", cli::setModules, {"sys-name", "modules", "auth", "clear"}},
    {"backup", cli::backup, {"force"}},
    {"restore", cli::restore, {"force", "other-inventory", "init", "cluster-id"}},
    {"history", cli::history, {}},
    {"rollback", cli::rollback, {"to"}},
    {"verify", cli::verify, {}},
    {"rotate-key", cli::rotateKey, {}},
    {"decrypt", cli::decrypt, {"output"}},
    {"encrypt", cli::encrypt, {"output", "legacy"}},
    {"watch", cli::watch, {"interval", "count"}},
    {"gc", cli::gc, {}},
    {"classify", cli::classify, {"sys-object-id", "sys-descr", "profiles"}},
};

/// The command `cl` names, its options checked. Throws UsageError on an unknown command or an
/// option it does not take.
const Command& commandOf(const CommandLine& cl) {
  auto it = std::find_if(kCommands.begin(), kCommands.end(),
                         [&](const Command& c) { return cl.command == c.name; });
  if (it == kCommands.end()) {
    throw UsageError{"unknown command '" + cl.command + "'"};
  }
  cli::checkOptions(cl, it->options);
  return *it;
}

int exitCodeFor(const Poco::Exception& e) {
  if (dynamic_cast<const KeyConfigException*>(&e) != nullptr ||
      dynamic_cast<const WrongKeyException*>(&e) != nullptr ||
      dynamic_cast<const ProfileConfigException*>(&e) != nullptr) {
    return kExitConfig;
  }
  if (dynamic_cast<const DataException*>(&e) != nullptr ||
      dynamic_cast<const AuthenticationException*>(&e) != nullptr ||
      dynamic_cast<const RollbackException*>(&e) != nullptr) {
    return kExitData;
  }
  if (dynamic_cast<const InventoryException*>(&e) != nullptr) {
    return kExitUnavailable;
  }
  return kExitSoftware;
}

}  // namespace

InventoryCli::InventoryCli(std::map<std::string, std::string> env, std::ostream& out,
                           std::ostream& err)
    : env_(std::move(env)), out_(out), err_(err) {}

int InventoryCli::run(const std::vector<std::string>& args) {
  CommandLine cl;
  bool json = false;
  try {
    cl = cli::parse(args);
    json = cl.flag("json");
    if (cl.flag("help") || cl.command == "help") {
      out_ << kUsage;
      return kExitOk;
    }
    if (cl.flag("version")) {
      out_ << "promsnmp-inventory " << PROMSNMP_VERSION << "\n";
      return kExitOk;
    }
    if (cl.command.empty()) {
      throw UsageError{"no command given"};
    }
    const Command& command = commandOf(cl);
    Session session(cl, env_, out_, err_);
    return command.run(session);
  } catch (const UsageError& e) {
    err_ << "promsnmp-inventory: " << e.message << "\n"
         << "run 'promsnmp-inventory --help' for the commands\n";
    return kExitUsage;
  } catch (const Poco::Exception& e) {
    int code = exitCodeFor(e);
    err_ << "promsnmp-inventory " << cl.command << ": " << e.displayText() << "\n";
    if (json) {
      std::string s;
      detail::JsonWriter w(s, false);
      w.beginObject();
      w.key("ok");
      w.boolean(false);
      w.key("command");
      w.string(cl.command);
      w.key("error");
      w.string(e.displayText());
      w.key("exitCode");
      w.integer(code);
      w.endObject();
      out_ << s << "\n";
    }
    return code;
  } catch (const std::exception& e) {
    err_ << "promsnmp-inventory " << cl.command << ": internal error: " << e.what() << "\n";
    return kExitSoftware;
  }
}

}  // namespace inventoryfs
