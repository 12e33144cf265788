#pragma once

#include <ostream>

#include "config/Config.h"

namespace promsnmp {

/// `promsnmp --config.check` (alias --dry-run), as snmp_exporter's --dry-run: loads the
/// configuration from `sources`, the web config it names and the module files of
/// snmp.module_files (environment variables for modules_expand_environment are looked up in
/// `sources.env`). When all of them load, prints describe() and one line per module file
/// ("file: N modules, M auths") on `out`, warnings and "configuration ok" on `err`, and returns
/// 0. Otherwise prints every problem on `err` (`file:line: message` for the configuration and
/// the module files) and returns 78 (kExitConfig). Never prints a secret. Thread-safe.
int runConfigCheck(const ConfigSources& sources, std::ostream& out, std::ostream& err);

}  // namespace promsnmp
