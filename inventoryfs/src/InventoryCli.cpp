#include "InventoryCli.h"

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "Json.h"
#include "inventoryfs/DirectorySlotStore.h"
#include "inventoryfs/Envelope.h"
#include "inventoryfs/Exceptions.h"
#include "inventoryfs/InventoryJson.h"
#include "inventoryfs/InventoryStore.h"
#include "inventoryfs/InventoryWatcher.h"
#include "inventoryfs/Merge.h"

namespace inventoryfs {

namespace {

constexpr const char* kDefaultInventoryFile = "/app/data/promsnmp-inventory.json";
constexpr size_t kMaxInputBytes = 256u << 20;

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
             [--sys-contact C] [--replace]
  remove-device --sys-name NAME
  history              kept versions: epoch, writer, time, counts
  rollback --to N      commit a new version with the content of version N
  verify               check every kept version (tag, version chain, epochs, nonces)
  rotate-key           re-encrypt the newest version with the current key (the old key goes in
                       PROM_ENCRYPT_KEY_PREVIOUS)
  decrypt FILE [-o OUT]            print the JSON inside any envelope
  encrypt FILE [-o OUT] [--legacy] seal a JSON file (v2, or the Java format)
  watch [--interval MS] [--count N] print each new version as it appears
  gc                   remove versions beyond the newest PROM_INV_KEEP and stale temp files

Environment: PROM_INV_FILE (default /app/data/promsnmp-inventory.json), PROM_ENCRYPT_KEY or
PROM_ENCRYPT_KEY_FILE or the systemd credential promsnmp-encrypt-key, PROM_ENCRYPT_KEY_PREVIOUS,
PROM_INV_KEEP (versions kept, default 20).
Exit codes: 0 ok, 2 usage, 65 bad data, 69 conflict or unavailable, 78 configuration.
)";

struct UsageError {
  std::string message;
};

/// The parsed command line: one command, its options, its positional arguments.
struct CommandLine {
  std::string command;
  std::map<std::string, std::string> options;
  std::vector<std::string> positional;

  bool flag(const std::string& name) const { return options.count(name) != 0; }
  std::optional<std::string> value(const std::string& name) const {
    auto it = options.find(name);
    if (it == options.end()) {
      return std::nullopt;
    }
    return it->second;
  }
  std::string required(const std::string& name) const {
    auto v = value(name);
    if (!v || v->empty()) {
      throw UsageError{command + ": --" + name + " is required"};
    }
    return *v;
  }
  int64_t integer(const std::string& name, int64_t fallback, int64_t min, int64_t max) const {
    auto v = value(name);
    if (!v) {
      return fallback;
    }
    char* end = nullptr;
    errno = 0;
    long long n = std::strtoll(v->c_str(), &end, 10);
    if (v->empty() || *end != '\0' || errno != 0 || n < min || n > max) {
      throw UsageError{"--" + name + ": expected an integer from " + std::to_string(min) + " to " +
                       std::to_string(max) + ", got '" + *v + "'"};
    }
    return n;
  }
};

const std::set<std::string> kFlags = {"json",  "pretty", "include-credentials",
                                      "merge", "legacy", "replace",
                                      "force", "help",   "version"};

const std::map<std::string, std::set<std::string>> kCommandOptions = {
    {"init", {"import", "cluster-id"}},
    {"show", {"pretty", "include-credentials"}},
    {"export", {"output", "pretty", "include-credentials", "legacy"}},
    {"import", {"merge", "force"}},
    {"add-device",
     {"sys-name", "address", "port", "snmp-version", "community", "write-community",
      "security-name", "security-level", "auth-protocol", "auth-passphrase", "priv-protocol",
      "priv-passphrase", "engine-id", "timeout", "retries", "sys-descr", "sys-location",
      "sys-contact", "replace"}},
    {"remove-device", {"sys-name"}},
    {"history", {}},
    {"rollback", {"to"}},
    {"verify", {}},
    {"rotate-key", {}},
    {"decrypt", {"output"}},
    {"encrypt", {"output", "legacy"}},
    {"watch", {"interval", "count"}},
    {"gc", {}},
};

CommandLine parse(const std::vector<std::string>& args) {
  CommandLine cl;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    // Long options take `--name value` or `--name=value`; -o is the one short option (--output).
    if (a.rfind("--", 0) == 0 || a == "-o") {
      std::string name = a == "-o" ? "output" : a.substr(2);
      std::string value;
      auto eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      } else if (kFlags.count(name) != 0) {
        value = "true";
      } else {
        if (i + 1 >= args.size()) {
          throw UsageError{"--" + name + " needs a value"};
        }
        value = args[++i];
      }
      cl.options[name] = value;
    } else if (cl.command.empty()) {
      cl.command = a;
    } else {
      cl.positional.push_back(a);
    }
  }
  return cl;
}

void checkOptions(const CommandLine& cl) {
  auto allowed = kCommandOptions.find(cl.command);
  if (allowed == kCommandOptions.end()) {
    throw UsageError{"unknown command '" + cl.command + "'"};
  }
  for (const auto& [name, value] : cl.options) {
    if (name == "file" || name == "json" || allowed->second.count(name) != 0) {
      continue;
    }
    throw UsageError{cl.command + ": unknown option --" + name};
  }
}

std::string readWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw StorageException("cannot open " + path, std::strerror(errno), errno);
  }
  std::string bytes;
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  if (size < 0 || static_cast<size_t>(size) > kMaxInputBytes) {
    throw DataException(path + ": larger than the " + std::to_string(kMaxInputBytes) +
                        "-byte limit");
  }
  bytes.resize(static_cast<size_t>(size));
  in.seekg(0);
  in.read(bytes.data(), size);
  if (!in) {
    throw StorageException("cannot read " + path);
  }
  return bytes;
}

void writeOutput(const std::optional<std::string>& path, const std::string& bytes,
                 std::ostream& out) {
  if (!path) {
    out << bytes;
    return;
  }
  std::string temp = *path + ".tmp";
  {
    std::ofstream file(temp, std::ios::binary | std::ios::trunc);
    file << bytes;
    file.flush();
    if (!file) {
      throw StorageException("cannot write " + temp);
    }
  }
  if (::rename(temp.c_str(), path->c_str()) != 0) {
    throw StorageException("rename(" + *path + ")", std::strerror(errno), errno);
  }
}

std::string isoTime(int64_t unixMs) {
  if (unixMs <= 0) {
    return "-";
  }
  return formatInstant(Instant{unixMs / 1000, static_cast<int32_t>((unixMs % 1000) * 1000000)});
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

int parseSnmpVersion(const std::string& text) {
  std::string t = text;
  std::transform(t.begin(), t.end(), t.begin(), ::tolower);
  if (t == "v1" || t == "1") {
    return 0;
  }
  if (t == "v2c" || t == "2c" || t == "2") {
    return 1;
  }
  if (t == "v3" || t == "3") {
    return 3;
  }
  throw UsageError{"--snmp-version: expected v1, v2c or v3, got '" + text + "'"};
}

std::string normaliseProtocol(const std::string& text, const std::set<std::string>& known,
                              const char* option) {
  std::string t = text;
  std::transform(t.begin(), t.end(), t.begin(), ::toupper);
  t.erase(std::remove(t.begin(), t.end(), '-'), t.end());
  if (t == "AES") {
    t = "AES128";
  }
  if (known.count(t) == 0) {
    std::string list;
    for (const std::string& k : known) {
      list += (list.empty() ? "" : ", ") + k;
    }
    throw UsageError{std::string("--") + option + ": '" + text + "' is not one of " + list};
  }
  return t;
}

/// Runs the command; every path returns an exit code or throws.
class Session {
 public:
  Session(const CommandLine& cl, const std::map<std::string, std::string>& env, std::ostream& out,
          std::ostream& err)
      : cl_(cl), env_(env), out_(out), err_(err), json_(cl.flag("json")) {
    auto file = cl.value("file");
    auto envFile = env.find("PROM_INV_FILE");
    headPath_ = file ? *file
                     : (envFile != env.end() && !envFile->second.empty() ? envFile->second
                                                                         : kDefaultInventoryFile);
    auto keep = env.find("PROM_INV_KEEP");
    if (keep != env.end() && !keep->second.empty()) {
      char* end = nullptr;
      long long n = std::strtoll(keep->second.c_str(), &end, 10);
      if (*end != '\0' || n < 2) {
        throw KeyConfigException("PROM_INV_KEEP: expected an integer >= 2, got '" + keep->second +
                                 "'");
      }
      options_.keep = static_cast<size_t>(n);
    }
  }

  int run() {
    const std::string& c = cl_.command;
    if (c == "decrypt") {
      return decrypt();
    }
    if (c == "encrypt") {
      return encrypt();
    }
    if (c == "init") {
      return init();
    }
    if (c == "show") {
      return show();
    }
    if (c == "export") {
      return exportCommand();
    }
    if (c == "import") {
      return importCommand();
    }
    if (c == "add-device") {
      return addDevice();
    }
    if (c == "remove-device") {
      return removeDevice();
    }
    if (c == "history") {
      return history();
    }
    if (c == "rollback") {
      return rollback();
    }
    if (c == "verify") {
      return verify();
    }
    if (c == "rotate-key") {
      return rotateKey();
    }
    if (c == "watch") {
      return watch();
    }
    if (c == "gc") {
      return gc();
    }
    throw UsageError{"unknown command '" + c + "'"};
  }

 private:
  const Keyring& keys() {
    if (!keys_) {
      keys_ = std::make_unique<Keyring>(Keyring::fromEnvironment(env_));
    }
    return *keys_;
  }

  InventoryStore& store() {
    if (!store_) {
      slots_ = std::make_unique<DirectorySlotStore>(headPath_);
      store_ = std::make_unique<InventoryStore>(*slots_, keys(), options_);
    }
    return *store_;
  }

  std::string onePositional(const char* what) {
    if (cl_.positional.size() != 1) {
      throw UsageError{cl_.command + ": expected one " + what};
    }
    return cl_.positional[0];
  }

  Inventory readInventoryFile(const std::string& path) {
    Opened opened = open(readWholeFile(path), keys());
    return inventoryFromJson(opened.plaintext);
  }

  /// Prints a commit's outcome: a sentence, or a JSON object with the numbers.
  int reportCommit(const std::string& what, const CommitResult& r, const Inventory* inventory) {
    if (json_) {
      std::string s;
      detail::JsonWriter w(s, false);
      w.beginObject();
      w.key("ok");
      w.boolean(true);
      w.key("command");
      w.string(cl_.command);
      w.key("version");
      w.integer(static_cast<int64_t>(r.version));
      w.key("epoch");
      w.integer(static_cast<int64_t>(r.epoch));
      w.key("attempts");
      w.integer(r.attempts);
      if (inventory != nullptr) {
        w.key("devices");
        w.integer(static_cast<int64_t>(inventory->devices.size()));
        w.key("seeds");
        w.integer(static_cast<int64_t>(inventory->discoverySeeds.size()));
      }
      w.endObject();
      out_ << s << "\n";
    } else {
      out_ << what << ": version " << r.version << " (epoch " << r.epoch << ")";
      if (r.attempts > 1) {
        out_ << " after " << r.attempts - 1 << " lost race(s)";
      }
      if (inventory != nullptr) {
        out_ << ", " << inventory->devices.size() << " devices, "
             << inventory->discoverySeeds.size() << " seeds";
      }
      out_ << "\n";
    }
    return kExitOk;
  }

  int init() {
    if (!cl_.positional.empty()) {
      throw UsageError{"init: takes no positional arguments (did you mean --import FILE?)"};
    }
    Inventory initial;
    std::string dir = DirectorySlotStore(headPath_).directory();
    if (auto file = cl_.value("import")) {
      initial = readInventoryFile(*file);
    } else {
      struct stat st {};
      if (::stat(headPath_.c_str(), &st) == 0) {
        // A Java PromSNMP file at the head becomes version 1; the original stays beside it.
        std::string bytes = readWholeFile(headPath_);
        if (detectFormat(bytes) == EnvelopeFormat::V2) {
          throw InventoryException(headPath_ + " is already a promsnmp v2 file");
        }
        initial = inventoryFromJson(open(bytes, keys()).plaintext);
        writeOutput(headPath_ + ".java-backup", bytes, out_);
      }
    }
    makeDirectories(dir);
    std::string clusterId = cl_.value("cluster-id").value_or(newUuid());
    CommitResult r = store().init(initial, clusterId);
    return reportCommit("initialised " + headPath_, r, &initial);
  }

  static void makeDirectories(const std::string& dir) {
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

  JsonWriteOptions jsonOptions(bool prettyByDefault) const {
    JsonWriteOptions o;
    o.style = cl_.flag("pretty") || prettyByDefault ? JsonStyle::Pretty : JsonStyle::Compact;
    o.maskCredentials = !cl_.flag("include-credentials");
    return o;
  }

  int show() {
    Snapshot s = store().load();
    if (json_) {
      out_ << inventoryToJson(s.inventory, jsonOptions(false)) << "\n";
      return kExitOk;
    }
    out_ << "# " << headPath_ << "  version " << s.version << "  epoch " << s.epoch;
    if (s.format == EnvelopeFormat::V2) {
      out_ << "  written " << isoTime(s.header.createdAtMs) << " by "
           << s.header.writerIdHex().substr(0, 8)
           << ((s.header.flags & kFlagAdminWrite) != 0 ? " (admin)" : "") << "  inventory "
           << (s.header.hasInventoryId() ? s.header.inventoryIdHex() : "(none: format 2)");
    } else {
      out_ << "  (Java PromSNMP file, not initialised)";
    }
    out_ << "\n";
    bool credentials = cl_.flag("include-credentials");
    std::vector<std::vector<std::string>> rows = {
        {"SYSNAME", "ADDRESS", "PORT", "SNMP", "CREDENTIAL", "AGENTS", "LOCATION"}};
    for (const Device& d : s.inventory.devices) {
      const Agent* a = resolvePrimaryAgent(d);
      std::string credential = "-";
      if (a != nullptr) {
        if (a->type == AgentType::Community) {
          credential = "community " +
                       (credentials ? a->readCommunity.value_or("") : std::string(kMaskedSecret));
        } else {
          credential = "user " + a->securityName.value_or("") + " " +
                       a->authProtocol.value_or("noauth") + "/" +
                       a->privProtocol.value_or("nopriv");
        }
      }
      rows.push_back({d.sysName.value_or("-"), a ? a->endpoint.address : "-",
                      a ? std::to_string(a->endpoint.port) : "-",
                      a ? snmpVersionName(a->version) : "-", credential,
                      std::to_string(d.agents.size()), d.sysLocation.value_or("")});
    }
    printTable(rows);
    out_ << s.inventory.devices.size() << " devices, " << s.inventory.discoverySeeds.size()
         << " discovery seeds\n";
    if (!s.inventory.discoverySeeds.empty()) {
      std::vector<std::vector<std::string>> seeds = {
          {"SEED", "TARGETS", "PORT", "VERSION", "TYPE"}};
      for (const DiscoverySeed& seed : s.inventory.discoverySeeds) {
        std::string targets;
        for (const std::string& t : seed.potentialTargets) {
          targets += (targets.empty() ? "" : ",") + t;
        }
        seeds.push_back({seed.id.value_or("-"), targets, std::to_string(seed.port),
                         seed.version.value_or("-"), seed.agentType.value_or("-")});
      }
      printTable(seeds);
    }
    return kExitOk;
  }

  void printTable(const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> widths;
    for (const auto& row : rows) {
      widths.resize(std::max(widths.size(), row.size()));
      for (size_t i = 0; i < row.size(); ++i) {
        widths[i] = std::max(widths[i], row[i].size());
      }
    }
    for (const auto& row : rows) {
      std::string line;
      for (size_t i = 0; i < row.size(); ++i) {
        line += row[i];
        if (i + 1 < row.size()) {
          line += std::string(widths[i] - row[i].size() + 2, ' ');
        }
      }
      out_ << line << "\n";
    }
  }

  int exportCommand() {
    Snapshot s = store().load();
    std::string bytes;
    if (cl_.flag("legacy")) {
      // The Java format carries credentials (Java needs them) and the Jackson layout.
      JsonWriteOptions o;
      o.style = JsonStyle::Pretty;
      o.typeTwice = true;
      bytes = sealLegacy(inventoryToJson(s.inventory, o), keys());
    } else {
      bytes = inventoryToJson(s.inventory, jsonOptions(true)) + "\n";
    }
    writeOutput(cl_.value("output"), bytes, out_);
    if (cl_.value("output")) {
      err_ << "exported version " << s.version << " (" << s.inventory.devices.size()
           << " devices) to " << *cl_.value("output") << "\n";
    }
    return kExitOk;
  }

  int importCommand() {
    Inventory incoming = readInventoryFile(onePositional("FILE"));
    bool merge = cl_.flag("merge");
    Inventory result;
    bool force = cl_.flag("force");
    CommitResult r = store().commitAdmin([&](Inventory& inventory) {
      // What the file says is the operator's (discovery keeps those fields).
      Inventory edited = incoming;
      markOperatorFields(inventory, edited);
      if (merge) {
        mergeBySysName(edited, inventory);
      } else {
        const size_t removed = devicesRemovedBy(inventory, edited);
        if (!force && replaceNeedsForce(removed, inventory.devices.size())) {
          throw ConflictException(replaceRefusal(removed, inventory.devices.size(), "--force"));
        }
        inventory = std::move(edited);
      }
      result = inventory;
    });
    return reportCommit(merge ? "merged" : "imported", r, &result);
  }

  Device deviceFromOptions() {
    Device device;
    device.id = newUuid();
    device.sysName = cl_.required("sys-name");
    device.sysDescr = cl_.value("sys-descr");
    device.sysLocation = cl_.value("sys-location");
    device.sysContact = cl_.value("sys-contact");
    device.discoveredAt = nowInstant();

    Agent agent;
    agent.id = newUuid();
    agent.discoveredAt = device.discoveredAt;
    agent.endpoint.address = cl_.required("address");
    agent.endpoint.port = static_cast<int>(cl_.integer("port", 161, 1, 65535));
    agent.timeoutMs = cl_.integer("timeout", 1500, 1, 600000);
    agent.retries = static_cast<int>(cl_.integer("retries", 1, 0, 100));
    bool community = cl_.value("community").has_value();
    bool user = cl_.value("security-name").has_value();
    if (community == user) {
      throw UsageError{"add-device: give either --community or --security-name"};
    }
    if (community) {
      agent.type = AgentType::Community;
      agent.readCommunity = cl_.required("community");
      agent.writeCommunity = cl_.value("write-community");
      agent.version = parseSnmpVersion(cl_.value("snmp-version").value_or("v2c"));
      if (agent.version == 3) {
        throw UsageError{"add-device: --community needs --snmp-version v1 or v2c"};
      }
    } else {
      agent.type = AgentType::User;
      agent.version = parseSnmpVersion(cl_.value("snmp-version").value_or("v3"));
      if (agent.version != 3) {
        throw UsageError{"add-device: --security-name needs --snmp-version v3"};
      }
      agent.securityName = cl_.required("security-name");
      if (auto p = cl_.value("auth-protocol")) {
        agent.authProtocol = normaliseProtocol(
            *p, {"MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"}, "auth-protocol");
        agent.authPassphrase = cl_.required("auth-passphrase");
      }
      if (auto p = cl_.value("priv-protocol")) {
        if (!agent.authProtocol) {
          throw UsageError{"add-device: --priv-protocol needs --auth-protocol"};
        }
        agent.privProtocol =
            normaliseProtocol(*p, {"DES", "AES128", "AES192", "AES256"}, "priv-protocol");
        agent.privPassphrase = cl_.required("priv-passphrase");
      }
      int implied = agent.privProtocol ? 3 : agent.authProtocol ? 2 : 1;
      agent.securityLevel = static_cast<int>(cl_.integer("security-level", implied, 1, 3));
      if (agent.securityLevel != implied) {
        throw UsageError{"add-device: --security-level " + std::to_string(agent.securityLevel) +
                         " does not match the protocols given (level " + std::to_string(implied) +
                         ")"};
      }
      agent.engineId = cl_.value("engine-id");
    }
    device.agents.push_back(agent);
    device.primaryAgent = agent;
    // The operator named the device and gave these fields: discovery keeps them.
    const std::pair<const char*, const char*> kOptionOfField[] = {{"sysName", "sys-name"},
                                                                  {"sysDescr", "sys-descr"},
                                                                  {"sysContact", "sys-contact"},
                                                                  {"sysLocation", "sys-location"}};
    std::vector<std::string> owned;
    for (const auto& [field, option] : kOptionOfField) {
      if (cl_.value(option)) {
        owned.emplace_back(field);
      }
    }
    device.operatorSet = std::move(owned);
    return device;
  }

  int addDevice() {
    Device device = deviceFromOptions();
    bool replace = cl_.flag("replace");
    Inventory result;
    CommitResult r = store().commitAdmin([&](Inventory& inventory) {
      auto it = std::find_if(inventory.devices.begin(), inventory.devices.end(),
                             [&](const Device& d) { return d.sysName == device.sysName; });
      if (it != inventory.devices.end()) {
        if (!replace) {
          throw DataException("a device named '" + *device.sysName +
                              "' exists already (use --replace)");
        }
        *it = device;
      } else {
        inventory.devices.push_back(device);
      }
      result = inventory;
    });
    return reportCommit("added " + *device.sysName, r, &result);
  }

  int removeDevice() {
    std::string name = cl_.required("sys-name");
    Inventory result;
    CommitResult r = store().commitAdmin([&](Inventory& inventory) {
      auto before = inventory.devices.size();
      std::erase_if(inventory.devices, [&](const Device& d) { return d.sysName == name; });
      if (inventory.devices.size() == before) {
        throw DataException("no device named '" + name + "'");
      }
      result = inventory;
    });
    return reportCommit("removed " + name, r, &result);
  }

  void writeReport(detail::JsonWriter& w, const VersionReport& v) {
    w.beginObject();
    w.key("version");
    w.integer(static_cast<int64_t>(v.version));
    w.key("ok");
    w.boolean(v.ok);
    if (v.ok) {
      w.key("epoch");
      w.integer(static_cast<int64_t>(v.header.epoch));
      w.key("writer");
      w.string(v.header.writerIdHex());
      w.key("admin");
      w.boolean((v.header.flags & kFlagAdminWrite) != 0);
      w.key("keyId");
      w.string(v.header.keyIdHex());
      w.key("format");
      w.integer(v.header.format);
      w.key("inventoryId");
      w.string(v.header.inventoryIdHex());
      w.key("kdf");
      w.string(v.header.kdf.algorithm == Kdf::Scrypt ? "scrypt" : "direct");
      w.key("createdAt");
      w.string(isoTime(v.header.createdAtMs));
      w.key("devices");
      w.integer(static_cast<int64_t>(v.deviceCount));
      w.key("seeds");
      w.integer(static_cast<int64_t>(v.seedCount));
    } else {
      w.key("error");
      w.string(v.error);
    }
    w.endObject();
  }

  int history() {
    std::vector<VersionReport> reports = store().verify();
    if (json_) {
      std::string s;
      detail::JsonWriter w(s, false);
      w.beginArray();
      for (const VersionReport& v : reports) {
        writeReport(w, v);
      }
      w.endArray();
      out_ << s << "\n";
      return kExitOk;
    }
    if (!reports.empty() && reports.back().ok) {
      const Header& newest = reports.back().header;
      out_ << "# inventory "
           << (newest.hasInventoryId() ? newest.inventoryIdHex() : "(none: format 2)") << "\n";
    }
    std::vector<std::vector<std::string>> rows = {
        {"VERSION", "EPOCH", "WRITER", "KEY", "CREATED", "DEVICES", "SEEDS", "STATUS"}};
    for (const VersionReport& v : reports) {
      if (v.ok) {
        bool admin = (v.header.flags & kFlagAdminWrite) != 0;
        rows.push_back({std::to_string(v.version), std::to_string(v.header.epoch),
                        v.header.writerIdHex().substr(0, 8) + (admin ? " (admin)" : ""),
                        v.header.keyIdHex(), isoTime(v.header.createdAtMs),
                        std::to_string(v.deviceCount), std::to_string(v.seedCount), "ok"});
      } else {
        rows.push_back({std::to_string(v.version), "-", "-", "-", "-", "-", "-", v.error});
      }
    }
    printTable(rows);
    return kExitOk;
  }

  int rollback() {
    if (!cl_.value("to")) {
      throw UsageError{"rollback: --to N is required"};
    }
    uint64_t to = static_cast<uint64_t>(cl_.integer("to", 0, 1, INT64_MAX));
    if (!store().slots().slotExists(to)) {
      throw DataException("version " + std::to_string(to) +
                          " is not kept (`history` lists the kept versions)");
    }
    Snapshot old = store().readVersion(to);
    CommitResult r = store().commitAdmin([&](Inventory& inventory) { inventory = old.inventory; });
    return reportCommit("rolled back to the content of v" + std::to_string(to), r, &old.inventory);
  }

  int verify() {
    std::vector<std::string> errors;
    std::vector<VersionReport> reports = store().verify(&errors);
    // The newest version must also be what a reader gets through the head.
    try {
      store().load();
    } catch (const InventoryException& e) {
      errors.push_back("reading the newest version: " + e.displayText());
    }
    if (json_) {
      std::string s;
      detail::JsonWriter w(s, false);
      w.beginObject();
      w.key("ok");
      w.boolean(errors.empty());
      w.key("versions");
      w.beginArray();
      for (const VersionReport& v : reports) {
        writeReport(w, v);
      }
      w.endArray();
      w.key("errors");
      w.beginArray();
      for (const std::string& e : errors) {
        w.string(e);
      }
      w.endArray();
      w.endObject();
      out_ << s << "\n";
    } else if (errors.empty()) {
      out_ << "ok: " << reports.size() << " versions v" << reports.front().version << "..v"
           << reports.back().version << ", epochs " << reports.front().header.epoch << ".."
           << reports.back().header.epoch << ", tags verified, chain complete, nonces unique\n";
    } else {
      for (const std::string& e : errors) {
        err_ << "verify: " << e << "\n";
      }
    }
    return errors.empty() ? kExitOk : kExitData;
  }

  int rotateKey() {
    Snapshot before = store().load();
    Inventory result;
    CommitResult r = store().commitAdmin([&](Inventory& inventory) { result = inventory; });
    if (!json_) {
      err_ << "re-encrypted with key id " << keys().current().idHex() << " (was "
           << (before.format == EnvelopeFormat::V2 ? before.header.keyIdHex() : "a Java key")
           << "); older versions keep their key until they age out\n";
    }
    return reportCommit("rotated", r, &result);
  }

  int decrypt() {
    Opened opened = open(readWholeFile(onePositional("FILE")), keys());
    std::string text = opened.plaintext;
    if (text.empty() || text.back() != '\n') {
      text += "\n";
    }
    writeOutput(cl_.value("output"), text, out_);
    return kExitOk;
  }

  int encrypt() {
    std::string plain = readWholeFile(onePositional("FILE"));
    inventoryFromJson(plain);  // refuse to seal something no reader would accept
    std::string bytes;
    if (cl_.flag("legacy")) {
      bytes = sealLegacy(plain, keys());
    } else {
      Header header;
      header.flags = kFlagAdminWrite;
      header.writerId = newWriterId();
      header.createdAtMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
      bytes = sealV2(header, plain, keys());
    }
    writeOutput(cl_.value("output"), bytes, out_);
    return kExitOk;
  }

  int watch() {
    auto interval = std::chrono::milliseconds(cl_.integer("interval", 1000, 10, 3600000));
    int64_t count = cl_.integer("count", 0, 0, INT64_MAX);
    static std::atomic<bool> stop{false};
    struct sigaction sa {};
    sa.sa_handler = [](int) { stop = true; };
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    int64_t seen = 0;
    std::string lastError;
    InventoryWatcher watcher(
        store(), interval,
        {[&](const Snapshot& s) {
           ++seen;
           out_ << isoTime(std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count())
                << " version=" << s.version << " epoch=" << s.epoch
                << " devices=" << s.inventory.devices.size()
                << " seeds=" << s.inventory.discoverySeeds.size() << std::endl;
           lastError.clear();
         },
         [&](const std::string& error) {
           if (error != lastError) {  // say it when it changes, not every poll
             err_ << "watch: " << error << " (keeping the last good version)" << std::endl;
             lastError = error;
           }
         },
         [&] {
           if (!lastError.empty()) {
             err_ << "watch: the share is readable again" << std::endl;
             lastError.clear();
           }
         }});
    while (!stop && (count == 0 || seen < count)) {
      watcher.pollOnce();
      for (auto waited = std::chrono::milliseconds(0); waited < interval && !stop;
           waited += std::chrono::milliseconds(10)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    return kExitOk;
  }

  int gc() {
    size_t removed = store().collectGarbage();
    if (json_) {
      out_ << "{\"ok\":true,\"removed\":" << removed << "}\n";
    } else {
      out_ << "removed " << removed << " old versions\n";
    }
    return kExitOk;
  }

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

int exitCodeFor(const Poco::Exception& e) {
  if (dynamic_cast<const KeyConfigException*>(&e) != nullptr ||
      dynamic_cast<const WrongKeyException*>(&e) != nullptr) {
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
    cl = parse(args);
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
    checkOptions(cl);
    Session session(cl, env_, out_, err_);
    return session.run();
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
