#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "modules/Module.h"
#include "snmp/SnmpTarget.h"

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

/// The device part of a module scrape's answer, rendered once per poll: each module that
/// succeeded as snmp_exporter renders it, snmp_exporter's `snmp_scrape_*{module}` series for
/// every module, and `promsnmp_module_up{module}` (1 when the module's requests succeeded, 0
/// when they failed: the others are still served). Prometheus text 0.0.4. Thread-safe (pure).
std::string renderModuleBody(const ModulePollResult& result);

}  // namespace promsnmp
