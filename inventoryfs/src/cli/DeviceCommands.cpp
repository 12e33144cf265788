// add-device and remove-device: one device, by its sysName.
#include <algorithm>
#include <cctype>
#include <set>

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

}  // namespace inventoryfs::cli
