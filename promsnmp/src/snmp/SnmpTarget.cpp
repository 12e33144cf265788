#include "snmp/SnmpTarget.h"

#include <cstdio>
#include <functional>

namespace promsnmp {

std::string SnmpTarget::peerName() const {
  bool ipv6 = address.find(':') != std::string::npos;
  return "udp" + std::string(ipv6 ? "6:[" : ":") + address + (ipv6 ? "]:" : ":") +
         std::to_string(port);
}

std::string SnmpTarget::sessionKey() const {
  // A digest, not the secrets: keys show up in debug logs and metrics of session counts.
  std::string secrets = community + '\0' + securityName + '\0' + authProtocol + '\0' +
                        authPassphrase + '\0' + privProtocol + '\0' + privPassphrase + '\0' +
                        engineId + '\0' + std::to_string(version) + '\0' +
                        std::to_string(securityLevel) + '\0' + contextName;
  char digest[17];
  std::snprintf(digest, sizeof digest, "%016zx", std::hash<std::string>{}(secrets));
  return peerName() + "#" + digest;
}

SnmpTarget targetFromAgent(const std::string& name, const inventoryfs::Agent& agent) {
  SnmpTarget t;
  t.name = name;
  t.address = agent.endpoint.address;
  t.port = static_cast<uint16_t>(
      agent.endpoint.port > 0 && agent.endpoint.port < 65536 ? agent.endpoint.port : 161);
  t.version = agent.version;
  t.timeoutMs = agent.timeoutMs > 0 ? static_cast<int>(agent.timeoutMs) : 1500;
  t.retries = agent.retries >= 0 ? agent.retries : 1;
  if (agent.type == inventoryfs::AgentType::Community) {
    t.community = agent.readCommunity.value_or("public");
    if (t.version == 3) {
      t.version = 1;  // Java quirk: discovery may label a community agent v3; it speaks v2c
    }
  } else {
    t.version = 3;
    t.securityName = agent.securityName.value_or("");
    t.authProtocol = agent.authProtocol.value_or("");
    t.authPassphrase = agent.authPassphrase.value_or("");
    t.privProtocol = agent.privProtocol.value_or("");
    t.privPassphrase = agent.privPassphrase.value_or("");
    t.engineId = agent.engineId.value_or("");
    int implied = !t.privProtocol.empty() ? 3 : !t.authProtocol.empty() ? 2 : 1;
    t.securityLevel =
        agent.securityLevel >= 1 && agent.securityLevel <= 3 ? agent.securityLevel : implied;
  }
  return t;
}

}  // namespace promsnmp
