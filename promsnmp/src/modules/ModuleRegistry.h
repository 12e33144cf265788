#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/LastGoodSet.h"
#include "modules/Module.h"
#include "modules/ModuleLoader.h"

namespace promsnmp {

class SelfMetrics;

/// The module files in force: loaded at start, on SIGHUP and on POST /-/reload. A load that fails
/// keeps the last good set (snmp_exporter's reload does the same) and records why, for the log,
/// `/-/reload`'s answer, the health details and the metrics
/// `promsnmp_modules_config_last_reload_successful` and `promsnmp_modules_loaded`. Scrapes take
/// the current set once (current()) and keep using it for that scrape. Thread-safe.
class ModuleRegistry {
 public:
  /// `patterns` as configured (snmp.module_files).
  struct Status : ReloadStatus {
    size_t modules = 0;
    size_t auths = 0;
  };

  /// `metrics` may be null (tests).
  explicit ModuleRegistry(SelfMetrics* metrics = nullptr);

  /// Loads `patterns` (loadModuleFiles). On success the new set replaces the current one and ""
  /// is returned; on failure the current set stays and the problems are returned, one
  /// "file:line: message" per line. No patterns: an empty set (no modules), a success.
  std::string load(const std::vector<std::string>& patterns, const ModuleLoadOptions& options);

  /// The set in force (never null; empty before the first successful load).
  std::shared_ptr<const ModuleSet> current() const { return set_.current(); }
  Status status() const { return set_.status(); }

 private:
  LastGoodSet<ModuleSet, Status> set_;
};

}  // namespace promsnmp
