#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <Poco/Exception.h>

namespace promsnmp {

/// Exit status for a bad command line (as Go's flag package and promsnmp-inventory use).
inline constexpr int kExitUsage = 2;
/// Exit status for a bad configuration (sysexits EX_CONFIG; the unit sets
/// RestartPreventExitStatus=78).
inline constexpr int kExitConfig = 78;

/// A command line that cannot be parsed; message() says why. The caller prints it with a hint to
/// use --help and exits with kExitUsage.
POCO_DECLARE_EXCEPTION(, UsageException, Poco::Exception)

/// The daemon's parsed command line.
struct CommandLine {
  enum class Action {
    Run,          // serve
    CheckConfig,  // --config.check / --dry-run: load, print describe(), exit 0 (or 78)
    Version,      // --version
    Help,         // --help / -h
  };
  Action action = Action::Run;
  /// --config.file, for ConfigSources::file.
  std::optional<std::string> configFile;
  /// Setting flags ("web.listen-address" → value), for ConfigSources::flags. Only flags of the
  /// settings table are accepted; values are checked later by loadConfig.
  std::map<std::string, std::string> settingFlags;
};

/// Parses the arguments after the program name, Prometheus style: `--name=value` or
/// `--name value`; boolean flags take no separate value but accept `--name=true|false`; `-h` is
/// `--help`. When a flag repeats, the last one wins. Throws UsageException on an unknown flag, a
/// missing value or a positional argument. Thread-safe.
CommandLine parseCommandLine(const std::vector<std::string>& args);

/// --help text: the flags, then every setting with its file key, environment variables and
/// default, and the exit codes. Thread-safe.
std::string usageText(const std::string& program = "promsnmp");

/// --version text in the Prometheus `version.Print` shape. Thread-safe.
std::string versionText(const std::string& program = "promsnmp");

}  // namespace promsnmp
