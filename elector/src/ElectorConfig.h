#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "RedisLeaseStore.h"
#include "common/Secret.h"
#include "common/Settings.h"

namespace elector {

/// Read when --config.file is not given, but only if it exists.
inline constexpr const char* kDefaultConfigFile = "/etc/promsnmp/elector.cfg";

/// Every setting of the elector, validated. Code reads this struct, never libconfig or the
/// environment. `ElectorConfig{}` holds the built-in defaults of the settings table in
/// ElectorConfig.cpp (except `id`, which loadElectorConfig derives); `etc/elector.cfg`
/// documents each setting. The base holds where each value came from (configFile, sources by
/// file key), filled by loadElectorConfig. Plain data.
struct ElectorConfig : common::ConfigProvenance {
  ElectorConfig();

  std::string backend;  ///< redis | kubernetes | file | static
  RedisOptions redis;   ///< host and port; the password is in redisPassword
  common::Secret redisPassword;
  std::string redisPasswordFile;
  std::string leaseKey;
  std::chrono::milliseconds leaseTtl{};
  /// redis/file: a leader gives the lease up once no collector has been connected this long;
  /// loadElectorConfig sets the lease TTL when it is not given (0 in `ElectorConfig{}`).
  std::chrono::milliseconds collectorGrace{};
  std::string id;  ///< this replica's name (POD_NAME in Kubernetes)
  std::string socketPath;
  std::string role;  ///< static backend: leader | follower
  std::string kubernetesUrl;
  std::chrono::milliseconds kubernetesPollInterval{};
  std::chrono::milliseconds kubernetesTimeout{};
  std::string filePath;
  std::string listenAddress;  ///< host:port of /, /health, /metrics, /healthz; empty: off
  std::string logLevel;
  std::string logFormat;

  /// One `key = value  # source` line per setting, secrets as `<secret>`. Never contains a
  /// secret value. Thread-safe (const).
  std::string describe() const;
};

/// Where loadElectorConfig reads from (common/Settings.h): the file (--config.file, else
/// kDefaultConfigFile if it exists), the environment and the setting flags.
struct ConfigSources : common::ConfigSources {
  ConfigSources() { defaultFile = kDefaultConfigFile; }
};

/// A configuration that cannot be used: every problem found, each `file:line: message`,
/// `env NAME: message` or `flag --name: message`. The daemon prints them and exits 78.
using common::ConfigException;

/// Builds the configuration: defaults, then the file, then the environment, then the flags (the
/// strongest). Validates every value, rejects unknown file keys and flags, reads the Redis
/// password file. Returns the config or throws ConfigException listing every problem (never a
/// secret value). Thread-safe (no shared state).
ElectorConfig loadElectorConfig(const ConfigSources& sources);

/// Every environment variable loadElectorConfig looks at, so callers can copy just those.
std::vector<std::string> configEnvironmentNames();

/// True when `flag` (without dashes) is a setting flag of the table.
bool isSettingFlag(const std::string& flag);

/// The settings table in order, for --help. Thread-safe.
std::vector<common::SettingInfo> settingsTable();

}  // namespace elector
