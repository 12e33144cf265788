#include "modules/ModuleRegistry.h"

#include "common/Logging.h"
#include "exposition/SelfMetrics.h"

namespace promsnmp {

using common::logEvent;
using common::logger;

ModuleRegistry::ModuleRegistry(SelfMetrics* metrics) : set_(std::make_shared<const ModuleSet>()) {
  if (metrics == nullptr) {
    return;
  }
  Gauge& ok = metrics
                  ->gauge("promsnmp_modules_config_last_reload_successful",
                          "Whether the last load of the module files (snmp.module_files) "
                          "worked (1); 0: the set loaded before is still in force.")
                  .get();
  Gauge& loaded = metrics
                      ->gauge("promsnmp_modules_loaded",
                              "snmp_exporter modules in force, from snmp.module_files.")
                      .get();
  Gauge& auths = metrics
                     ->gauge("promsnmp_module_auths_loaded",
                             "snmp_exporter auths in force, from snmp.module_files.")
                     .get();
  metrics->onCollect([this, &ok, &loaded, &auths] {
    Status s = status();
    ok.set(s.lastLoadOk ? 1 : 0);
    loaded.set(static_cast<double>(s.modules));
    auths.set(static_cast<double>(s.auths));
  });
}

std::string ModuleRegistry::load(const std::vector<std::string>& patterns,
                                 const ModuleLoadOptions& options) {
  Poco::Logger& log = logger("promsnmp.modules");
  std::shared_ptr<const ModuleSet> fresh;
  std::string error;
  try {
    fresh = std::make_shared<const ModuleSet>(
        patterns.empty() ? ModuleSet{} : loadModuleFiles(patterns, options));
  } catch (const ModuleConfigException& e) {
    error = e.message();
  }
  const Status now = set_.record(patterns, fresh, error, [](const ModuleSet& set, Status& s) {
    s.files = set.files;
    s.modules = set.modules.size();
    s.auths = set.auths.size();
  });
  if (!fresh) {
    logEvent(log, Poco::Message::PRIO_ERROR, "module files invalid, keeping the modules in force",
             {{"error", error}, {"modules", now.modules}});
    return error;
  }
  for (const std::string& warning : fresh->warnings) {
    logEvent(log, Poco::Message::PRIO_WARNING, warning);
  }
  if (!patterns.empty()) {
    logEvent(log, Poco::Message::PRIO_INFORMATION, "module files loaded",
             {{"modules", now.modules},
              {"auths", now.auths},
              {"files", static_cast<uint64_t>(now.files.size())}});
  }
  return "";
}

}  // namespace promsnmp
