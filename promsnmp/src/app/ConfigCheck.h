#pragma once

#include <ostream>

#include "config/Config.h"

namespace promsnmp {

/// `promsnmp --config.check` (alias --dry-run), as snmp_exporter's --dry-run: loads the
/// configuration from `sources`, the web config it names, the module files of
/// snmp.module_files (environment variables for modules_expand_environment are looked up in
/// `sources.env`) and the profiles files of discovery.profile_files. When all of them load,
/// prints describe(), one line per module file ("file: N modules, M auths") and a profiles
/// count on `out`, warnings (also, when module files are given, each module a profile names that
/// none of them defines) and
/// "configuration ok" on `err`, and returns 0. Otherwise prints every problem on `err`
/// (`file:line: message` for the configuration, the module files and the profiles files) and
/// returns 78 (kExitConfig). Never prints a secret. Thread-safe.
int runConfigCheck(const ConfigSources& sources, std::ostream& out, std::ostream& err);

}  // namespace promsnmp
