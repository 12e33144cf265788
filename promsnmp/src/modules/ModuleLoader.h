#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <Poco/Exception.h>

#include "modules/Module.h"

namespace promsnmp {

// Reads snmp_exporter's module files (`snmp.yml`) into a ModuleSet, in either of the two formats
// snmp_exporter has read:
//
// - the current one (0.23 and later): top-level `auths:` (name → credentials), `modules:`
//   (name → module) and an optional `version`;
// - the flat one of 0.22 and earlier, which Debian 12's 0.21 reads: each top-level key is a
//   module, which may carry `version` and `auth: {community, security_level, …}` (kept as
//   Module::embeddedAuth, with DefaultAuth's defaults).
//
// Every key of snmp_exporter's config/config.go (and generator/FORMAT.md) is understood and
// checked as snmp_exporter checks it (Auth.UnmarshalYAML, Index.UnmarshalYAML and its
// RenderableIndexTypes, Regexp), plus what promsnmp needs to refuse early: OIDs must be numeric,
// types and index types known, regexes valid. Like yaml.UnmarshalStrict, an unknown key or a key
// given twice is an error. Every problem found is reported, each as `file:line: key.path: what`,
// with the 1-based line of the offending key or value (reference/snmp-exporter.md §1.4).

/// A module file that cannot be used. The message holds every problem found, one per line, each
/// `file:line: message` (`file: message` when the file cannot be read at all).
POCO_DECLARE_EXCEPTION(, ModuleConfigException, Poco::DataFormatException)

/// How the files are read.
struct ModuleLoadOptions {
  /// Expand `${VAR}` (and `$VAR`, as Go's os.Expand) in `username`, `password` and
  /// `priv_password`, as snmp_exporter's --config.expand-environment-variables. A variable that
  /// is not set is an error naming it. Applies to `auths` and to the flat format's embedded auths.
  bool expandEnvironment = false;
  /// Looks a variable up; null means the process environment. Tests inject their own.
  std::function<std::optional<std::string>(const std::string&)> getenv;
};

/// Reads every file matching `patterns` (each a path or a glob: `*`, `?`, `[…]`; the matches of
/// one glob in lexical order, as Go's filepath.Glob), in order, merged into one ModuleSet whose
/// `files` lists them. A pattern that matches nothing is an error naming it (snmp_exporter only
/// warns: a typo in a path would silently leave its modules out); a file matched by two
/// patterns is read once. A module or auth name defined in two files is an error (snmp_exporter
/// 0.24, #970). Throws ModuleConfigException listing every problem of every file. Thread-safe.
ModuleSet loadModuleFiles(const std::vector<std::string>& patterns,
                          const ModuleLoadOptions& options = {});

/// The same for one document held in memory (tests, fuzzing): parses `text`, naming it
/// `fileName` in messages, and merges it into `into` (appending `fileName` to `into.files`).
/// A name already in `into` is an error. Throws ModuleConfigException with every problem of
/// the text; `into` is then left unchanged. Thread-safe for distinct `into`.
void parseModuleText(const std::string& text, const std::string& fileName, ModuleSet& into,
                     const ModuleLoadOptions& options = {});

/// How many modules and auths each file of `set` defined, one line per file:
/// "/etc/snmp.yml: 46 modules, 2 auths". For --config.check and the log. Thread-safe.
std::string describeModuleFiles(const ModuleSet& set);

}  // namespace promsnmp
