// add-device, remove-device and set-modules: one device, by its sysName.
#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "cli/Commands.h"
#include "inventoryfs/Exceptions.h"

namespace inventoryfs::cli {

namespace {

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

/// A module or auth name as the CLI takes it: non-empty, without spaces or commas (the lists are
/// comma-separated, and the names are snmp_exporter's YAML keys and URL values). Throws
/// UsageError naming `option` otherwise.
void checkModuleName(const std::string& name, const char* option) {
  if (name.empty() || name.find_first_of(", \t\r\n") != std::string::npos) {
    throw UsageError{std::string("--") + option + ": '" + name +
                     "' is not a module file name (non-empty, no spaces or commas)"};
  }
}

/// --modules a,b as a list, in the order given. Throws UsageError on an empty list or piece
/// ("a,,b"), a name with spaces, or a name given twice.
std::vector<std::string> moduleList(const std::string& text) {
  std::vector<std::string> names;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(',', start);
    std::string name = text.substr(start, end == std::string::npos ? end : end - start);
    checkModuleName(name, "modules");
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      throw UsageError{"--modules: '" + name + "' is given twice"};
    }
    names.push_back(std::move(name));
    if (end == std::string::npos) {
      return names;
    }
    start = end + 1;
  }
}

/// The modules and auth of --modules and --auth (both absent: nullopt, PromSNMP's own interface
/// set; --auth needs --modules, as it is the auth the modules are polled with).
std::pair<std::optional<std::vector<std::string>>, std::optional<std::string>> modulesFromOptions(
    const CommandLine& cl) {
  std::optional<std::vector<std::string>> modules;
  std::optional<std::string> auth = cl.value("auth");
  if (auto text = cl.value("modules")) {
    modules = moduleList(*text);
  }
  if (auth) {
    checkModuleName(*auth, "auth");
    if (!modules) {
      throw UsageError{cl.command + ": --auth needs --modules (the modules polled with it)"};
    }
  }
  return {modules, auth};
}

/// `fields` with `field` added or removed, in kOperatorFields order; nullopt when none is left.
std::optional<std::vector<std::string>> withOwnership(
    const std::optional<std::vector<std::string>>& fields, const std::string& field, bool owned) {
  std::vector<std::string> out;
  for (const char* known : kOperatorFields) {
    const bool had = fields && std::find(fields->begin(), fields->end(), known) != fields->end();
    if (known == field ? owned : had) {
      out.emplace_back(known);
    }
  }
  return out.empty() ? std::nullopt : std::make_optional(std::move(out));
}

/// The device add-device describes: its system fields and one agent, a community (v1, v2c) or a
/// user (v3). Throws UsageError on options that do not fit together.
Device deviceFromOptions(const CommandLine& cl) {
  Device device;
  device.id = newUuid();
  device.sysName = cl.required("sys-name");
  device.sysDescr = cl.value("sys-descr");
  device.sysLocation = cl.value("sys-location");
  device.sysContact = cl.value("sys-contact");
  device.discoveredAt = nowInstant();

  Agent agent;
  agent.id = newUuid();
  agent.discoveredAt = device.discoveredAt;
  agent.endpoint.address = cl.required("address");
  agent.endpoint.port = static_cast<int>(cl.integer("port", 161, 1, 65535));
  agent.timeoutMs = cl.integer("timeout", 1500, 1, 600000);
  agent.retries = static_cast<int>(cl.integer("retries", 1, 0, 100));
  bool community = cl.value("community").has_value();
  bool user = cl.value("security-name").has_value();
  if (community == user) {
    throw UsageError{"add-device: give either --community or --security-name"};
  }
  if (community) {
    agent.type = AgentType::Community;
    agent.readCommunity = cl.required("community");
    agent.writeCommunity = cl.value("write-community");
    agent.version = parseSnmpVersion(cl.value("snmp-version").value_or("v2c"));
    if (agent.version == 3) {
      throw UsageError{"add-device: --community needs --snmp-version v1 or v2c"};
    }
  } else {
    agent.type = AgentType::User;
    agent.version = parseSnmpVersion(cl.value("snmp-version").value_or("v3"));
    if (agent.version != 3) {
      throw UsageError{"add-device: --security-name needs --snmp-version v3"};
    }
    agent.securityName = cl.required("security-name");
    if (auto p = cl.value("auth-protocol")) {
      agent.authProtocol = normaliseProtocol(
          *p, {"MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"}, "auth-protocol");
      agent.authPassphrase = cl.required("auth-passphrase");
    }
    if (auto p = cl.value("priv-protocol")) {
      if (!agent.authProtocol) {
        throw UsageError{"add-device: --priv-protocol needs --auth-protocol"};
      }
      agent.privProtocol =
          normaliseProtocol(*p, {"DES", "AES128", "AES192", "AES256"}, "priv-protocol");
      agent.privPassphrase = cl.required("priv-passphrase");
    }
    int implied = agent.privProtocol ? 3 : agent.authProtocol ? 2 : 1;
    agent.securityLevel = static_cast<int>(cl.integer("security-level", implied, 1, 3));
    if (agent.securityLevel != implied) {
      throw UsageError{"add-device: --security-level " + std::to_string(agent.securityLevel) +
                       " does not match the protocols given (level " + std::to_string(implied) +
                       ")"};
    }
    agent.engineId = cl.value("engine-id");
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
    if (cl.value(option)) {
      owned.emplace_back(field);
    }
  }
  std::tie(device.modules, device.auth) = modulesFromOptions(cl);
  if (device.modules) {
    owned.emplace_back("modules");
  }
  device.operatorSet = std::move(owned);
  return device;
}

}  // namespace

int addDevice(Session& session) {
  Device device = deviceFromOptions(session.cl());
  bool replace = session.cl().flag("replace");
  Inventory result;
  CommitResult r = session.store().commitAdmin([&](Inventory& inventory) {
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
  return session.reportCommit("added " + *device.sysName, r, &result);
}

int removeDevice(Session& session) {
  std::string name = session.cl().required("sys-name");
  Inventory result;
  CommitResult r = session.store().commitAdmin([&](Inventory& inventory) {
    auto before = inventory.devices.size();
    std::erase_if(inventory.devices, [&](const Device& d) { return d.sysName == name; });
    if (inventory.devices.size() == before) {
      throw DataException("no device named '" + name + "'");
    }
    result = inventory;
  });
  return session.reportCommit("removed " + name, r, &result);
}

int setModules(Session& session) {
  const CommandLine& cl = session.cl();
  const std::string name = cl.required("sys-name");
  const bool clear = cl.flag("clear");
  if (clear == cl.value("modules").has_value()) {
    throw UsageError{"set-modules: give either --modules or --clear"};
  }
  if (clear && cl.value("auth")) {
    throw UsageError{"set-modules: --clear takes no --auth (it removes the auth too)"};
  }
  // Not a structured binding: the lambda below captures them (clang before 16 cannot).
  std::optional<std::vector<std::string>> modules;
  std::optional<std::string> auth;
  std::tie(modules, auth) = modulesFromOptions(cl);
  Inventory result;
  CommitResult r = session.store().commitAdmin([&](Inventory& inventory) {
    auto it = std::find_if(inventory.devices.begin(), inventory.devices.end(),
                           [&](const Device& d) { return d.sysName == name; });
    if (it == inventory.devices.end()) {
      throw DataException("no device named '" + name + "'");
    }
    // The operator's from now on: discovery keeps them. --clear gives the device back to
    // classification: no modules, auth or profile, so the next discovery classifies it.
    it->modules = modules;
    it->auth = auth;
    it->operatorSet = withOwnership(it->operatorSet, "modules", !clear);
    if (clear) {
      it->profile.reset();
    }
    if (!it->operatorSet) {
      it->discovered.reset();  // only kept beside an operator's fields
    }
    result = inventory;
  });
  return session.reportCommit((clear ? "cleared the modules of " : "set the modules of ") + name, r,
                              &result);
}

}  // namespace inventoryfs::cli
