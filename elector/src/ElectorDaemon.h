#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "RedisLeaseStore.h"

namespace elector {

/// Exit codes of the elector binary (sysexits where one fits).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;    ///< Unknown flag or flag without its value.
inline constexpr int kExitConfig = 78;  ///< EX_CONFIG: a setting has a bad value.

/// Everything the daemon reads from flags and the environment. Defaults are the documented ones.
/// TODO: the libconfig file etc/elector.cfg (STYLE.md "Config") fills this struct later.
struct DaemonSettings {
  std::string backend = "redis";  ///< redis | static
  RedisOptions redis;             ///< host, port and password (never printed)
  std::string leaseKey = "promsnmp:leader";
  std::chrono::milliseconds leaseTtl{10000};
  std::string id;  ///< ELECTOR_ID, else POD_NAME, else hostname:pid
  std::string socketPath = "/run/promsnmp/elector.sock";
  std::string role;  ///< static backend: leader | follower
  std::string logLevel = "info";
  std::string logFormat = "logfmt";
};

/// Result of reading the command line and the environment.
struct ParsedSettings {
  /// Set when the process should exit at once with this code (help, version, bad flag, bad
  /// setting); then `output` goes to stdout (code 0) or stderr (otherwise).
  std::optional<int> exitCode;
  std::string output;
  DaemonSettings settings;
};

/// Reads `args` (argv without the program name; `--name value` or `--name=value`) and the
/// environment through `getenv` (returns nullptr for an unset variable). Flags win over the
/// environment. Never throws for bad input: a bad flag gives exit code 2, a bad value gives 78
/// with a message naming the setting (the password is never part of a message). Reads
/// REDIS_PASSWORD_FILE when set. Thread-safe if `getenv` is.
ParsedSettings parseSettings(const std::vector<std::string>& args,
                             const std::function<const char*(const char*)>& getenv);

/// Points every elector.* logger at stderr, one line per event: logfmt
/// (`ts=… level=info logger=elector msg="…" key=value`) or json. `level` and `format` must be
/// valid (parseSettings checks them). Not thread-safe against other calls of itself.
void setupLogging(const std::string& level, const std::string& format);

/// Runs the daemon until SIGTERM or SIGINT: ignores SIGPIPE, blocks SIGTERM/SIGINT in every
/// thread (they are taken with sigtimedwait), serves the leadership socket and publishes an
/// event on every step of the election (redis) or every TTL/3 (static). On a stop signal it
/// releases the lease, publishes a follower event and removes the socket. Returns the exit code
/// (0 after a stop signal, 1 when the socket cannot be served). Call once, from the main thread,
/// before any other thread exists.
int runDaemon(const DaemonSettings& settings);

}  // namespace elector
