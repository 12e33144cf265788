#pragma once

#include <cstdint>
#include <string>

#include "inventoryfs/Inventory.h"

namespace promsnmp {

/// Everything needed to talk to one agent, taken from an inventory agent. Plain data.
struct SnmpTarget {
  std::string name;     // the device's sysName: the scrape target and cache key
  std::string address;  // host name or IP literal
  uint16_t port = 161;
  int version = 1;  // SNMP4J numbering as in the inventory: 0 = v1, 1 = v2c, 3 = v3
  int timeoutMs = 1500;
  int retries = 1;
  // v1/v2c
  std::string community;
  // v3 (protocol names as the inventory spells them: MD5, SHA, SHA224..SHA512, DES, AES128..)
  std::string securityName;
  int securityLevel = 1;  // 1 noAuthNoPriv, 2 authNoPriv, 3 authPriv
  std::string authProtocol;
  std::string authPassphrase;
  std::string privProtocol;
  std::string privPassphrase;
  std::string engineId;     // hex, may be empty (discovered and cached by the client)
  std::string contextName;  // v3 contextName (snmp_exporter's context_name / snmp_context)

  /// address:port plus a digest of the credentials: two targets with the same identity can
  /// share a session. Never contains a secret.
  std::string sessionKey() const;

  /// "udp:address:port" with IPv6 literals bracketed, for logs and net-snmp peer names.
  std::string peerName() const;
};

/// The target for a device's agent. `name` is the device's sysName (or the address when it has
/// none). Thread-safe (pure).
SnmpTarget targetFromAgent(const std::string& name, const inventoryfs::Agent& agent);

}  // namespace promsnmp
