#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "modules/Module.h"
#include "snmp/SnmpTarget.h"

namespace inventoryfs {
struct Device;
}  // namespace inventoryfs

namespace promsnmp {

struct InventoryView;
struct ModulePollResult;

// snmp_exporter's query interface on /snmp: which device, which modules, which credentials, and
// the cache key a (device, module set) is kept under. Pure logic; Collector does the polling.

/// `/snmp?target=&module=&auth=&snmp_context=` as the URL gave it.
struct ModuleScrapeRequest {
  std::string target;
  std::vector<std::string> modules;  // each `module` value, comma-separated lists split
  std::optional<std::string> auth;
  std::optional<std::string> context;
};

/// What one (device, module set) is polled with. Plain data.
struct ModuleScrapeSpec {
  std::string key;     // the cache key: target name, modules, auth and context
  std::string device;  // the inventory device's target name; "" for an unlisted address
  SnmpTarget target;
  std::vector<std::shared_ptr<const Module>> modules;  // no duplicates, in name order
  std::string authName;  // "" when the inventory's credentials are used
  /// Named by a device's inventory entry but in no loaded module file: not polled, reported as
  /// `promsnmp_module_up 0` (in name order; part of the key). Empty for a `module=` scrape.
  std::vector<std::string> unknownModules;
};

/// resolveModuleScrape's answer: a spec, or an HTTP status and a message.
struct ModuleResolution {
  std::optional<ModuleScrapeSpec> spec;
  int status = 200;
  std::string error;
};

/// Resolves `request` against `view` and `modules`:
/// - every module must exist (400 "unknown module", as snmp_exporter);
/// - a target that is an inventory device (sysName, "ip" or "ip:port", after an optional
///   "udp://") is polled with the inventory's agent and credentials, or with the auth `auth=`
///   names (at the inventory's address);
/// - any other target is refused with 404 unless `allowUnlisted`; then it is polled at
///   `[udp://]host[:port]` (port 161 by default, IPv6 in brackets) with the auth `auth=` names,
///   else the module's own auth (the 0.21 format), else `public_v2` (snmp_exporter's default);
/// - `tcp://` is refused (400): promsnmp speaks SNMP over UDP only;
/// - `snmp_context` overrides the context name of either.
/// Thread-safe (pure).
ModuleResolution resolveModuleScrape(const ModuleScrapeRequest& request, const InventoryView& view,
                                     const ModuleSet& modules, bool allowUnlisted);

/// A device's own module set: its inventory entry's `modules` (and `auth`), what
/// `/snmp?target=` without `module` serves and what `collection.mode = all` polls.
struct DeviceModules {
  /// The modules the loaded files know, as resolveModuleScrape resolves
  /// `target=<its name>&module=<them>[&auth=<its auth>]` (the same key when all are known);
  /// nullopt when nothing can be polled (`error` says why).
  std::optional<ModuleScrapeSpec> spec;
  std::vector<std::string> modules;  // every module the entry names, no duplicates, name order
  std::vector<std::string> unknown;  // those no loaded file defines
  bool unknownAuth = false;          // its auth is defined by no module file
  std::string error;                 // "" when `spec` is set
};

/// The module set of `device` (an entry of `view`) against `modules` (null: none loaded), or
/// nullopt when the device has no modules (PromSNMP's interface set) or no agent. Unknown
/// modules are left out of the poll and listed; an unknown auth polls nothing. Thread-safe
/// (pure).
std::optional<DeviceModules> resolveDeviceModules(const inventoryfs::Device& device,
                                                  const InventoryView& view,
                                                  const ModuleSet* modules);

/// Whether a device's inventory entry names modules (a non-empty list).
bool hasModules(const inventoryfs::Device& device);

/// The modules a device's inventory entry names, without duplicates, in name order (empty when
/// it names none). Thread-safe (pure).
std::vector<std::string> deviceModuleNames(const inventoryfs::Device& device);

/// A `promsnmp_module_up 0` series for each of `names` (modules not polled), with the family's
/// HELP and TYPE: the device part of a module answer when nothing could be polled. Thread-safe.
std::string renderUnpolledModules(const std::vector<std::string>& names);

/// The device part of a module scrape's answer, rendered once per poll: each module that
/// succeeded as snmp_exporter renders it, snmp_exporter's `snmp_scrape_*{module}` series for
/// every module, and `promsnmp_module_up{module}` (1 when the module's requests succeeded, 0
/// when they failed: the others are still served), 0 too for each of `unknown` (modules a
/// device names that no file defines). Prometheus text 0.0.4. Thread-safe (pure).
std::string renderModuleBody(const ModulePollResult& result,
                             const std::vector<std::string>& unknown = {});

}  // namespace promsnmp
