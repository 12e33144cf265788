#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "config/LastGoodSet.h"
#include "inventoryfs/Profiles.h"

namespace promsnmp {

class SelfMetrics;

/// The device profiles in force (discovery.profile_files): loaded at start, on SIGHUP and on
/// POST /-/reload, like the module files (ModuleRegistry). A load that fails keeps the last good
/// set and records why, for the log, `/-/reload`'s answer, the health details and the metrics
/// `promsnmp_profiles_config_last_reload_successful` and `promsnmp_profiles_loaded`. Discovery
/// takes the current set once per run (current()). Thread-safe.
class ProfileRegistry {
 public:
  /// `patterns` as configured (discovery.profile_files).
  struct Status : ReloadStatus {
    size_t profiles = 0;
    std::vector<std::string> warnings;  // modules the set in force names that are not loaded
  };

  /// `metrics` may be null (tests).
  explicit ProfileRegistry(SelfMetrics* metrics = nullptr);

  /// Loads the files `patterns` name (loadProfileFiles). On success the new set replaces the
  /// current one and "" is returned; on failure the current set stays and the problems are
  /// returned, one "file:line: message" per line. No patterns: the
  /// built-in generic profile only, a success. `knownModules`: the modules loaded, checked
  /// against what the profiles name (each missing one is a warning, logged and kept in
  /// status().warnings); nullptr: not checked.
  std::string load(const std::vector<std::string>& patterns,
                   const std::set<std::string>* knownModules);

  /// The set in force (never null; the built-in generic profile before the first load).
  std::shared_ptr<const inventoryfs::ProfileSet> current() const { return set_.current(); }
  Status status() const { return set_.status(); }

 private:
  LastGoodSet<inventoryfs::ProfileSet, Status> set_;
};

/// Loads the files `patterns` name (paths or globs, in order; a glob's matches sorted, a glob
/// that matches nothing adds "PATTERN: no file matches this pattern" to `warnings`, a missing
/// literal path is an error) with inventoryfs::ProfileSet::load; no patterns: the built-in
/// generic profile. Throws inventoryfs::ProfileConfigException. Thread-safe.
inventoryfs::ProfileSet loadProfileFiles(const std::vector<std::string>& patterns,
                                         std::vector<std::string>& warnings);

}  // namespace promsnmp
