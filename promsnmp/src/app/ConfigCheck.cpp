#include "app/ConfigCheck.h"

#include <optional>
#include <string>

#include "app/CommandLine.h"
#include "app/Services.h"
#include "discovery/ProfileRegistry.h"
#include "modules/ModuleLoader.h"

namespace promsnmp {

int runConfigCheck(const ConfigSources& sources, std::ostream& out, std::ostream& err) {
  Config config;
  try {
    config = loadConfig(sources);
  } catch (const ConfigException& e) {
    err << e.message() << "\n";
    return kExitConfig;
  }
  try {
    Services::checkWebConfig(config);
  } catch (const Poco::Exception& e) {
    err << "web config: " << e.displayText() << "\n";
    return kExitConfig;
  }
  ModuleSet modules;
  const std::vector<std::string>& patterns = config.snmpModuleFiles;
  if (!patterns.empty()) {
    ModuleLoadOptions options;
    options.expandEnvironment = config.snmpModulesExpandEnvironment;
    options.getenv = [&sources](const std::string& name) -> std::optional<std::string> {
      const auto it = sources.env.find(name);
      return it != sources.env.end() ? std::optional<std::string>(it->second) : std::nullopt;
    };
    try {
      modules = loadModuleFiles(patterns, options);
    } catch (const ModuleConfigException& e) {
      err << "module files (snmp.module_files, " << config.sources.at("snmp.module_files") << "):\n"
          << e.message() << "\n";
      return kExitConfig;
    }
  }
  inventoryfs::ProfileSet profiles;
  std::vector<std::string> profileWarnings;
  try {
    profiles = loadProfileFiles(config.discoveryProfileFiles, profileWarnings);
  } catch (const inventoryfs::ProfileConfigException& e) {
    err << "profiles files (discovery.profile_files, "
        << config.sources.at("discovery.profile_files") << "):\n"
        << e.message() << "\n";
    return kExitConfig;
  }
  if (!patterns.empty()) {  // without module files no device gets modules: nothing to check
    for (const std::string& warning : profiles.unknownModules(modules.moduleNames())) {
      profileWarnings.push_back(warning);
    }
  }
  out << config.describe();
  if (!patterns.empty()) {
    out << "# module files: " << modules.modules.size() << " modules, " << modules.auths.size()
        << " auths\n";
    std::string perFile = describeModuleFiles(modules);
    for (size_t start = 0; start < perFile.size();) {
      const size_t end = perFile.find('\n', start);
      out << "#   " << perFile.substr(start, end - start) << "\n";
      start = end + 1;
    }
  }
  if (!config.discoveryProfileFiles.empty()) {
    out << "# profiles files: " << profiles.profiles().size() << " profiles from "
        << profiles.files().size() << " files\n";
  }
  for (const std::string& warning : config.warnings) {
    err << "warning: " << warning << "\n";
  }
  for (const std::string& warning : modules.warnings) {
    err << "warning: " << warning << "\n";
  }
  for (const std::string& warning : profileWarnings) {
    err << "warning: " << warning << "\n";
  }
  err << "configuration ok\n";
  return 0;
}

}  // namespace promsnmp
