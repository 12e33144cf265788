#include "collection/ModuleScrape.h"

#include <algorithm>
#include <charconv>

#include "inventory/InventoryState.h"
#include "modules/ModulePoller.h"
#include "modules/ModuleRenderer.h"

namespace promsnmp {

namespace {

/// snmp_exporter's default auth when the URL names none (main.go).
constexpr const char* kDefaultAuth = "public_v2";
constexpr char kKeySeparator = '\x1f';

struct HostPort {
  std::string host;
  uint16_t port = 161;
};

/// `host`, `host:port`, `[v6]`, `[v6]:port`, or a bare IPv6 literal; nullopt when malformed.
std::optional<HostPort> parseHostPort(const std::string& text) {
  HostPort out;
  std::string portText;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos || close == 1) {
      return std::nullopt;
    }
    out.host = text.substr(1, close - 1);
    std::string rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':' || rest.size() == 1) {
        return std::nullopt;
      }
      portText = rest.substr(1);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    size_t colon = text.find(':');
    out.host = text.substr(0, colon);
    portText = text.substr(colon + 1);
    if (portText.empty()) {
      return std::nullopt;  // "host:"
    }
  } else {
    out.host = text;  // a name, an IPv4 literal, or an unbracketed IPv6 literal
  }
  if (out.host.empty()) {
    return std::nullopt;
  }
  if (!portText.empty()) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), port);
    if (ec != std::errc() || end != portText.data() + portText.size() || port == 0 ||
        port > 65535) {
      return std::nullopt;
    }
    out.port = static_cast<uint16_t>(port);
  }
  return out;
}

constexpr std::string_view kModuleUpHelp =
    "Whether the requests of the module succeeded in the poll served (1) or failed (0; the "
    "other modules are still served). 0 too for a module the device's inventory entry names that "
    "no module file defines.";

void addUnpolled(ModuleFamilies& families, const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    families.add("promsnmp_module_up", kModuleUpHelp, ModuleFamily::Kind::Gauge, {{"module", name}},
                 0);
  }
}

ModuleResolution failure(int status, std::string error) {
  ModuleResolution r;
  r.status = status;
  r.error = std::move(error);
  return r;
}

}  // namespace

ModuleResolution resolveModuleScrape(const ModuleScrapeRequest& request, const InventoryView& view,
                                     const ModuleSet& modules, bool allowUnlisted) {
  ModuleScrapeSpec spec;
  std::vector<std::string> names;
  for (const std::string& list : request.modules) {
    size_t start = 0;
    while (start <= list.size()) {
      size_t comma = std::min(list.find(',', start), list.size());
      std::string name = list.substr(start, comma - start);
      if (!name.empty()) {
        names.push_back(std::move(name));
      }
      start = comma + 1;
    }
  }
  if (names.empty()) {
    return failure(400, "parameter 'module' is empty");
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  for (const std::string& name : names) {
    auto module = modules.module(name);
    if (!module) {
      return failure(400, "Unknown module '" + name + "'");
    }
    spec.modules.push_back(std::move(module));
  }

  std::string target = request.target;
  if (target.rfind("tcp://", 0) == 0) {
    return failure(400, "transport tcp:// is not supported: promsnmp polls over UDP");
  }
  if (target.rfind("udp://", 0) == 0) {
    target = target.substr(6);
  }
  const ModuleAuth* auth = nullptr;
  if (request.auth) {
    auth = modules.auth(*request.auth);
    if (auth == nullptr) {
      return failure(400, "Unknown auth '" + *request.auth + "'");
    }
    spec.authName = *request.auth;
  }
  const std::string context = request.context.value_or("");

  const inventoryfs::Device* device = view.find(target);
  std::optional<SnmpTarget> listed = device ? view.targetFor(*device) : std::nullopt;
  if (listed) {
    spec.device = listed->name;
    if (auth != nullptr) {
      spec.target = targetFromModuleAuth(listed->name, listed->address, listed->port, *auth,
                                         spec.modules, context);
    } else {
      spec.target = *listed;
      if (request.context) {
        spec.target.contextName = context;
      }
    }
  } else {
    if (!allowUnlisted) {
      return failure(404, "unknown target '" + request.target +
                              "': no device with this sysName or agent address in inventory "
                              "version " +
                              std::to_string(view.version) +
                              " (snmp.allow_unlisted_targets is off)");
    }
    auto hostPort = parseHostPort(target);
    if (!hostPort) {
      return failure(400, "target '" + request.target + "' is not [udp://]host[:port]");
    }
    ModuleAuth embedded;
    if (auth == nullptr) {
      if (spec.modules.front()->embeddedAuth) {
        embedded = *spec.modules.front()->embeddedAuth;  // the 0.21 format: the module's own
        auth = &embedded;
        spec.authName = "module:" + spec.modules.front()->name;
      } else {
        auth = modules.auth(kDefaultAuth);
        if (auth == nullptr) {
          return failure(400, std::string("Unknown auth '") + kDefaultAuth +
                                  "' (the default when the URL names no auth)");
        }
        spec.authName = kDefaultAuth;
      }
    }
    spec.target = targetFromModuleAuth(request.target, hostPort->host, hostPort->port, *auth,
                                       spec.modules, context);
  }

  spec.key = spec.target.name;
  spec.key += kKeySeparator;
  for (size_t i = 0; i < spec.modules.size(); ++i) {
    spec.key += (i == 0 ? "" : ",") + spec.modules[i]->name;
  }
  spec.key += kKeySeparator + spec.authName + kKeySeparator + context;
  ModuleResolution out;
  out.spec = std::move(spec);
  return out;
}

bool hasModules(const inventoryfs::Device& device) {
  return device.modules && !device.modules->empty();
}

std::vector<std::string> deviceModuleNames(const inventoryfs::Device& device) {
  std::vector<std::string> names = device.modules.value_or(std::vector<std::string>{});
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::optional<DeviceModules> resolveDeviceModules(const inventoryfs::Device& device,
                                                  const InventoryView& view,
                                                  const ModuleSet* modules) {
  if (!hasModules(device)) {
    return std::nullopt;
  }
  std::optional<SnmpTarget> target = view.targetFor(device);
  if (!target) {
    return std::nullopt;
  }
  DeviceModules out;
  out.modules = deviceModuleNames(device);
  ModuleScrapeRequest request;
  request.target = target->name;
  for (const std::string& name : out.modules) {
    if (modules != nullptr && modules->module(name)) {
      request.modules.push_back(name);
    } else {
      out.unknown.push_back(name);
    }
  }
  request.auth = device.auth;
  if (device.auth && (modules == nullptr || modules->auth(*device.auth) == nullptr)) {
    out.unknownAuth = true;
    out.error = "unknown auth '" + *device.auth + "'";
    return out;
  }
  if (request.modules.empty()) {
    out.error = "no module file defines its modules";
    return out;
  }
  ModuleResolution resolved = resolveModuleScrape(request, view, *modules, false);
  if (!resolved.spec) {
    out.error = resolved.error;  // not expected: the target and every name were checked
    return out;
  }
  out.spec = std::move(resolved.spec);
  if (!out.unknown.empty()) {
    // Not the key of the known modules alone: that answer has no promsnmp_module_up 0 lines.
    out.spec->unknownModules = out.unknown;
    out.spec->key += kKeySeparator;
    for (const std::string& name : out.unknown) {
      out.spec->key += name + ",";
    }
  }
  return out;
}

std::string renderUnpolledModules(const std::vector<std::string>& names) {
  ModuleFamilies families;
  addUnpolled(families, names);
  std::string out;
  families.appendText(out);
  return out;
}

std::string renderModuleBody(const ModulePollResult& polled,
                             const std::vector<std::string>& unknown) {
  if (polled.packed) {
    return renderModuleBody(polled.unpacked(), unknown);
  }
  const ModulePollResult& result = polled;
  ModuleFamilies families;
  for (size_t i = 0; i < result.modules.size() && i < result.outcomes.size(); ++i) {
    const Module& module = *result.modules[i];
    const ModuleOutcome& outcome = result.outcomes[i];
    if (outcome.up()) {
      renderModule(module, result.tableOf(i), families);
    }
    ModuleScrapeStats stats;
    stats.walkSeconds = outcome.walkSeconds;
    stats.durationSeconds = result.durationSeconds;
    stats.packetsSent = outcome.packetsSent;
    stats.packetsRetried = outcome.packetsRetried;
    stats.pdusReturned = outcome.pdusReturned;
    addScrapeMeta(families, module.name, stats);
    families.add("promsnmp_module_up", kModuleUpHelp, ModuleFamily::Kind::Gauge,
                 {{"module", module.name}}, outcome.up() ? 1 : 0);
  }
  addUnpolled(families, unknown);
  std::string out;
  families.appendText(out);
  return out;
}

}  // namespace promsnmp
