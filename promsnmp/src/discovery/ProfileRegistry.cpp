#include "discovery/ProfileRegistry.h"

#include "common/Logging.h"
#include "config/FilePatterns.h"
#include "exposition/SelfMetrics.h"

namespace promsnmp {

using common::logEvent;
using common::logger;

inventoryfs::ProfileSet loadProfileFiles(const std::vector<std::string>& patterns,
                                         std::vector<std::string>& warnings) {
  std::vector<std::string> files;
  std::string problems;
  for (const std::string& pattern : patterns) {
    if (!isGlob(pattern)) {
      files.push_back(pattern);  // ProfileSet::load says when it cannot be read
      continue;
    }
    std::optional<std::vector<std::string>> found = expandGlob(pattern);
    if (!found) {
      problems += (problems.empty() ? "" : "\n") + pattern + ": cannot expand this pattern";
    } else if (found->empty()) {
      // An empty profiles.d/ must not stop a start; a typo in a literal path does.
      warnings.push_back(pattern + ": no file matches this pattern");
    } else {
      files.insert(files.end(), found->begin(), found->end());
    }
  }
  if (!problems.empty()) {
    throw inventoryfs::ProfileConfigException(problems);
  }
  return patterns.empty() ? inventoryfs::ProfileSet() : inventoryfs::ProfileSet::load(files);
}

ProfileRegistry::ProfileRegistry(SelfMetrics* metrics)
    : set_(std::make_shared<const inventoryfs::ProfileSet>()) {
  if (metrics == nullptr) {
    return;
  }
  Gauge& ok = metrics
                  ->gauge("promsnmp_profiles_config_last_reload_successful",
                          "Whether the last load of the device profiles files "
                          "(discovery.profile_files) worked (1); 0: the profiles loaded before "
                          "are still in force.")
                  .get();
  Gauge& loaded = metrics
                      ->gauge("promsnmp_profiles_loaded",
                              "Device profiles in force, from discovery.profile_files (the "
                              "generic profile not counted).")
                      .get();
  metrics->onCollect([this, &ok, &loaded] {
    Status s = status();
    ok.set(s.lastLoadOk ? 1 : 0);
    loaded.set(static_cast<double>(s.profiles));
  });
}

std::string ProfileRegistry::load(const std::vector<std::string>& patterns,
                                  const std::set<std::string>* knownModules) {
  Poco::Logger& log = logger("promsnmp.profiles");
  std::shared_ptr<const inventoryfs::ProfileSet> fresh;
  std::vector<std::string> warnings;
  std::string error;
  try {
    fresh = std::make_shared<const inventoryfs::ProfileSet>(loadProfileFiles(patterns, warnings));
  } catch (const inventoryfs::ProfileConfigException& e) {
    error = e.message();
  }
  if (fresh && knownModules != nullptr) {
    std::vector<std::string> unknown = fresh->unknownModules(*knownModules);
    warnings.insert(warnings.end(), unknown.begin(), unknown.end());
  }
  const Status now = set_.record(patterns, fresh, error,
                                 [&warnings](const inventoryfs::ProfileSet& set, Status& s) {
                                   s.files = set.files();
                                   s.profiles = set.profiles().size();
                                   s.warnings = warnings;
                                 });
  if (!fresh) {
    logEvent(log, Poco::Message::PRIO_ERROR,
             "profiles files invalid, keeping the profiles in force",
             {{"error", error}, {"profiles", now.profiles}});
    return error;
  }
  for (const std::string& warning : warnings) {
    logEvent(log, Poco::Message::PRIO_WARNING, warning);
  }
  logEvent(log, Poco::Message::PRIO_INFORMATION, "profiles loaded",
           {{"profiles", now.profiles},
            {"files", static_cast<uint64_t>(now.files.size())},
            {"warnings", static_cast<uint64_t>(warnings.size())}});
  return "";
}

}  // namespace promsnmp
