#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "discovery/DiscoveryTargets.h"
#include "discovery/Prober.h"
#include "inventoryfs/Inventory.h"
#include "inventoryfs/Profiles.h"
#include "modules/Module.h"
#include "snmp/SnmpClient.h"

namespace promsnmp {

// What one discovery run does, as logic over the two I/O seams (Prober for the v1/v2c sweep,
// SnmpClient for SNMPv3 and for the system group of every agent that answered): scan seeds,
// then merge what was found into an inventory. The run's scheduling, history and commit live
// in DiscoveryService.

struct DiscoveryOptions {
  ProbeOptions sweep;           // v1/v2c reachability: window, timeout, retries
  size_t maxAddresses = 65536;  // per seed, after expansion (discovery.max_addresses)
  size_t snmpInFlight = 32;     // concurrent system-group GETs and SNMPv3 probes
  int agentTimeoutMs = 1000;    // written into discovered agents (Java: 1000 ms, 1 retry)
  int agentRetries = 1;
};

/// How classifyFound classified a found agent, for mergeFound to record on its device.
struct FoundProfile {
  inventoryfs::DeviceProfile profile;  // name, vendor, os, reason, at
  /// The profile's modules plus the optional modules the agent answered; nullopt: leave the
  /// device's modules as they are (no module files loaded).
  std::optional<std::vector<std::string>> modules;
  /// Optional modules that were not probed because no module file defines them (or they have
  /// no walk OID), each "module 'M' is not loaded: skipped".
  std::vector<std::string> notes;
};

/// One agent that answered, with the system group it reported.
struct FoundAgent {
  inventoryfs::Agent agent;
  std::optional<std::string> sysName;
  std::optional<std::string> sysDescr;
  std::optional<std::string> sysContact;
  std::optional<std::string> sysLocation;
  std::string sysObjectId;
  // snmpEngineID.0 as hex with ':' separators, read from SNMPv3 agents only: over v1/v2c it is
  // just data (a simulator replays one recording at many addresses), over authenticated v3 it
  // identifies the agent.
  std::optional<std::string> engineId;
  /// Set by classifyFound when the agent's device is to be classified (again).
  std::optional<FoundProfile> classified;
};

/// The outcome of scanning seeds: counts for the run record and the agents found.
struct ScanSummary {
  size_t addresses = 0;    // distinct address:port pairs probed
  size_t answered = 0;     // answered the probe (found, with or without a system group)
  size_t timeouts = 0;     // silent
  size_t unreachable = 0;  // ICMP unreachable
  size_t errors = 0;       // could not probe, or answered the probe but not the system GET
  std::vector<std::string> problems;  // human messages, at most kMaxProblems kept
  std::vector<FoundAgent> found;

  static constexpr size_t kMaxProblems = 50;
  void addProblem(std::string message);
};

/// Scans `seeds` one after the other; an address:port found by an earlier seed is not probed
/// again. v1/v2c seeds are swept with `prober`, then the system group of each answering agent
/// is read through `snmp`; SNMPv3 seeds are probed through `snmp` directly (engine discovery and
/// USM are net-snmp's). A seed that cannot be expanded is a problem, not an exception. Stops
/// early when `stop` becomes true. Thread-safe if the seams are.
/// `progress`, if set, is called after each seed with the summary so far (for logs and the run
/// record of a running run).
using ScanProgress = std::function<void(const ScanSummary& soFar, size_t seedsDone)>;
ScanSummary scanSeeds(const std::vector<inventoryfs::DiscoverySeed>& seeds, SnmpClient& snmp,
                      Prober& prober, const DiscoveryOptions& options,
                      const std::atomic<bool>& stop,
                      const NameResolver& resolve = resolveWithSystem,
                      const ScanProgress& progress = {});

/// A field an operator set that discovery kept although the agent reported something else.
struct KeptField {
  std::string deviceId;
  std::string device;  // the device's name (sysName) as the operator set it
  std::string field;   // sysName, sysDescr, sysContact or sysLocation
  std::optional<std::string> operatorValue;
  std::optional<std::string> agentValue;
};

/// A device discovery created.
struct CreatedDevice {
  std::string deviceId;
  std::optional<std::string> sysName;
  std::string endpoint;  // address:port of its agent
};

/// A found device's profile, for the run report.
struct DeviceClass {
  std::string deviceId;
  std::optional<std::string> sysName;
  std::string endpoint;  // address:port of the agent found
  std::optional<std::string> sysObjectId;
  std::string profile;  // "" when the device has none (no classification this run or before)
  std::string reason;
  bool classified = false;   // classified by this run (else: the profile it had)
  bool modulesKept = false;  // an operator set the device's modules: not changed
  std::vector<std::string> modules;
  std::vector<std::string> notes;  // FoundProfile::notes
};

/// What merging changed.
struct MergeCounts {
  size_t newDevices = 0;      // devices created
  size_t newAgents = 0;       // agents added to an existing device (same SNMPv3 engine ID)
  size_t updatedDevices = 0;  // a system field (or what the agent reported beside one) changed
  size_t unchanged = 0;
  size_t keptFields = 0;               // all of them, also beyond the list below
  std::vector<KeptField> kept;         // the first kMaxListed
  std::vector<CreatedDevice> created;  // the first kMaxListed
  size_t classified = 0;               // devices (re)classified
  std::vector<DeviceClass> profiles;   // each found device's profile, the first kMaxListed

  static constexpr size_t kMaxListed = 1000;  // bounds the run record
};

/// Decides which found agents' devices are to be classified: a device not in `inventory` yet
/// (by the rules of mergeFound), one without a profile, one whose sysObjectID differs from the
/// one the agent reported, and one to which `profiles` now give another profile (by name: a
/// rule added or changed since, or a sysDescr a rule reads that changed). Each of those is
/// classified with `profiles` and gets FoundAgent::classified: the profile (at = `now`) and, when
/// `modules` defines any module, its modules plus each optional module whose first walk OID the
/// agent answers a GETNEXT inside (sent through `snmp` with the agent's credentials, the sweep's
/// timeout and retries, at most options.snmpInFlight at once); an optional module `modules` lacks
/// is skipped with a note. Sends no more probes once `stop` is true: an agent whose probes were
/// not all sent is left unclassified. Returns how many were classified. Thread-safe if `snmp`
/// is.
size_t classifyFound(std::vector<FoundAgent>& found, const inventoryfs::Inventory& inventory,
                     const inventoryfs::ProfileSet& profiles, const ModuleSet& modules,
                     SnmpClient& snmp, const DiscoveryOptions& options,
                     const std::atomic<bool>& stop, const inventoryfs::Instant& now);

/// Merges found agents into `inventory` (Java merged by sysName alone; ours are stricter):
///   - an agent already present at the same address:port (any device, any kind) is that device;
///   - else an SNMPv3 agent whose engine ID equals that of an SNMPv3 agent of a device is that
///     device, which gains the agent (its primary agent stays);
///   - else a new device is created, also when a device with the same sysName exists (two
///     agents may well share a name; only the engine ID proves they are one) and when the agent
///     has no sysName (it stays reachable by address, where Java dropped it).
/// On a known device, fields the operator set (Device::operatorSet) are kept: what the agent
/// reported goes to Device::discovered, and each field whose value differs is listed as kept.
/// Other fields follow the agent (sysName only while no other device has the new name).
/// Every found device takes the sysObjectID its agent reported; one whose agent was classified
/// (FoundAgent::classified) takes the profile and, unless an operator owns its modules
/// (Device::operatorOwns("modules")), the modules.
/// Nothing is removed: a device not found this time stays as it was. Thread-safe (pure).
MergeCounts mergeFound(const std::vector<FoundAgent>& found, inventoryfs::Inventory& inventory,
                       const inventoryfs::Instant& now);

/// Adds `seed` unless an equal seed (same targets, port, version, type and credentials) is
/// already saved. Gives it a fresh id. Returns whether it was added. Thread-safe (pure).
bool addSeed(inventoryfs::DiscoverySeed seed, inventoryfs::Inventory& inventory);

}  // namespace promsnmp
