#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace inventoryfs {

// The inventory model, field for field the Java PromSNMP schema (reference/promsnmp-java.md
// §4.2). Optional fields keep the difference between an explicit null and a value, so a file
// read and written again says the same thing. Defaults are the Java import defaults.

/// A point in time with nanosecond precision (Java `Instant`), UTC.
struct Instant {
  int64_t epochSeconds = 0;
  int32_t nanos = 0;  // 0..999'999'999
  bool operator==(const Instant&) const = default;
  // clang-tidy 14 mistakes the defaulted comparison for a literal 0 used as a pointer.
  // NOLINTNEXTLINE(modernize-use-nullptr)
  auto operator<=>(const Instant&) const = default;
};

struct Endpoint {
  std::string address;  // host name or IP literal, as written
  int port = 161;
  bool operator==(const Endpoint&) const = default;
};

enum class AgentType { Community, User };

/// One SNMP agent of a device. `type` selects which of the two field groups applies.
struct Agent {
  AgentType type = AgentType::Community;
  std::optional<std::string> id;
  Endpoint endpoint;
  int version = 0;  // SNMP4J numbering: 0 = v1, 1 = v2c, 3 = v3; missing means v1 (Java)
  int64_t timeoutMs = 1500;
  int retries = 1;
  std::optional<Instant> discoveredAt;
  // snmp-community
  std::optional<std::string> readCommunity;
  std::optional<std::string> writeCommunity;
  // snmp-user
  std::optional<std::string> securityName;
  int securityLevel = 0;  // 1 noAuthNoPriv, 2 authNoPriv, 3 authPriv
  std::optional<std::string> authProtocol;
  std::optional<std::string> authPassphrase;
  std::optional<std::string> privProtocol;
  std::optional<std::string> privPassphrase;
  std::optional<std::string> engineId;  // hex with ':' separators
  bool operator==(const Agent&) const = default;
};

/// What the device's agent itself last reported for the system group, kept beside the fields an
/// operator set (those stay as the operator wrote them). An extra JSON property ("discovered")
/// that the Java PromSNMP ignores.
struct DiscoveredSystem {
  std::optional<std::string> sysName;
  std::optional<std::string> sysDescr;
  std::optional<std::string> sysContact;
  std::optional<std::string> sysLocation;
  std::optional<Instant> at;  // when these values were first reported
  bool operator==(const DiscoveredSystem&) const = default;
};

/// How discovery classified the device with the profiles files (an extra JSON property
/// "profile" that the Java PromSNMP ignores): the profile's name, its vendor and os labels, and
/// why it matched, for the operator.
struct DeviceProfile {
  std::string name;
  std::optional<std::string> vendor;
  std::optional<std::string> os;
  std::optional<std::string>
      reason;                 // e.g. "sysObjectID 1.3.6.1.4.1.9.1.516 under 1.3.6.1.4.1.9.1"
  std::optional<Instant> at;  // when the device was classified so
  bool operator==(const DeviceProfile&) const = default;
};

/// What an operator can own, what operatorSet may name: the four system fields, and "modules",
/// which covers `modules` and `auth` together (discovery's classification must not replace the
/// modules an operator chose).
inline constexpr const char* kOperatorFields[] = {"sysName", "sysDescr", "sysContact",
                                                  "sysLocation", "modules"};

struct Device {
  std::optional<std::string> id;
  std::optional<std::string> sysName;
  std::optional<std::string> sysDescr;
  std::optional<std::string> sysContact;
  std::optional<std::string> sysLocation;
  std::optional<Instant> discoveredAt;
  std::vector<Agent> agents;
  std::optional<Agent> primaryAgent;  // a full copy of one agent, as Java writes it
  // Provenance (extra JSON properties, ignored by the Java PromSNMP): the fields an operator set
  // through the CLI or POST /promsnmp/inventory, which discovery keeps, in
  // kOperatorFields order; nullopt when the JSON did not say (an empty list releases them all to
  // discovery). `discovered` is what the agent reported for the device while it had such fields.
  std::optional<std::vector<std::string>> operatorSet;
  std::optional<DiscoveredSystem> discovered;
  // What the device is polled with (extra JSON properties, ignored by the Java PromSNMP):
  // `sysObjectId` as the agent last reported it (dotted, "sysObjectID" in JSON); `modules`, the
  // snmp_exporter modules polled and served for it (nullopt: PromSNMP's own interface set);
  // `auth`, a module file auth used instead of the agent's credentials; `profile`, how
  // discovery classified it.
  std::optional<std::string> sysObjectId;
  std::optional<std::vector<std::string>> modules;
  std::optional<std::string> auth;
  std::optional<DeviceProfile> profile;
  bool operator==(const Device&) const = default;

  /// Whether `field` (one of kOperatorFields; "modules" for modules and auth) was set by an
  /// operator.
  bool operatorOwns(std::string_view field) const;
};

struct DiscoverySeed {
  std::optional<std::string> id;
  std::vector<std::string> potentialTargets;
  int port = 0;
  std::optional<std::string> version;    // "v2c", "v3" or "unknown" (a string, unlike agents)
  std::optional<std::string> agentType;  // "snmp-community" or "snmp-user"
  std::optional<std::string> readCommunity;
  std::optional<std::string> securityName;
  int securityLevel = 0;
  std::optional<std::string> authProtocol;
  std::optional<std::string> authPassphrase;
  std::optional<std::string> privProtocol;
  std::optional<std::string> privPassphrase;
  bool operator==(const DiscoverySeed&) const = default;
};

struct Inventory {
  std::vector<Device> devices;
  std::vector<DiscoverySeed> discoverySeeds;
  bool operator==(const Inventory&) const = default;
};

/// The agent a collector polls: primaryAgent, else the first agent, else none (Java
/// `resolvePrimaryAgent`). Thread-safe (pure).
const Agent* resolvePrimaryAgent(const Device& device);

/// "snmp-community" / "snmp-user".
const char* agentTypeName(AgentType type);

/// A fresh random UUID (version 4) in the canonical lowercase form. Thread-safe.
std::string newUuid();

/// The current time as an Instant. Thread-safe.
Instant nowInstant();

}  // namespace inventoryfs
