#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ElectorConfig.h"

namespace elector {

/// Exit codes of the elector binary (sysexits where one fits).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;    ///< Unknown flag or flag without its value.
inline constexpr int kExitConfig = 78;  ///< EX_CONFIG: a setting has a bad value.

/// Everything the daemon reads from flags, the environment and etc/elector.cfg.
using DaemonSettings = ElectorConfig;

/// Result of reading the command line and the environment.
struct ParsedSettings {
  /// Set when the process should exit at once with this code (help, version, bad flag, bad
  /// setting); then `output` goes to stdout (code 0) or stderr (otherwise).
  std::optional<int> exitCode;
  std::string output;
  DaemonSettings settings;
};

/// Reads `args` (argv without the program name; `--name value` or `--name=value`), the
/// environment through `getenv` (returns nullptr for an unset variable) and the config file
/// (--config.file, else /etc/promsnmp/elector.cfg if it exists). Flags win over the environment,
/// which wins over the file. Never throws for bad input: a bad flag gives exit code 2, bad
/// settings give 78 with every problem (`file:line: message`, `env NAME: …`, `flag --name: …`;
/// never a password). `--config.check` gives 0 and the effective settings (or 78). Thread-safe
/// if `getenv` is.
ParsedSettings parseSettings(const std::vector<std::string>& args,
                             const std::function<const char*(const char*)>& getenv);

/// Runs the daemon until SIGTERM or SIGINT: ignores SIGPIPE, blocks SIGTERM/SIGINT in every
/// thread (they are taken with sigtimedwait), serves the leadership socket and the HTTP port
/// (/, /health, /metrics, /healthz) and publishes an event on every step of the backend (redis,
/// file: Election; kubernetes: KubernetesElection) or every TTL/3 (static). On a stop signal it
/// releases the lease, publishes a follower event and removes the socket. Returns the exit code
/// (0 after a stop signal, 1 when the socket or the HTTP port cannot be served or the backend
/// cannot start). Call once, from the main thread, before any other thread exists.
int runDaemon(const DaemonSettings& settings);

}  // namespace elector
