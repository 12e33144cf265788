#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <Poco/Exception.h>

#include "RedisLeaseStore.h"
#include "common/Secret.h"

namespace elector {

/// Read when --config.file is not given, but only if it exists.
inline constexpr const char* kDefaultConfigFile = "/etc/promsnmp/elector.cfg";

/// Every setting of the elector, validated. Code reads this struct, never libconfig or the
/// environment. `ElectorConfig{}` holds the built-in defaults of the settings table in
/// ElectorConfig.cpp (except `id`, which loadElectorConfig derives); `etc/elector.cfg`
/// documents each setting. Plain data.
struct ElectorConfig {
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
  std::string listenAddress;  ///< host:port of /metrics and /healthz; empty: disabled
  std::string logLevel;
  std::string logFormat;

  /// The file read, empty when none.
  std::string configFile;
  /// Where each shown setting came from, by file key: "default", "file:line", "env NAME" or
  /// "flag --name".
  std::map<std::string, std::string> sources;

  /// One `key = value  # source` line per setting, secrets as `<secret>`. Never contains a
  /// secret value. Thread-safe (const).
  std::string describe() const;
};

/// Where loadElectorConfig reads from.
struct ConfigSources {
  std::optional<std::string> file;  ///< --config.file: must exist when set
  std::string defaultFile = kDefaultConfigFile;
  /// The environment, name → value; an empty value counts as unset.
  std::map<std::string, std::string> env;
  /// Setting flags by name without the dashes ("lease.ttl" → "2000").
  std::map<std::string, std::string> flags;
};

/// A configuration that cannot be used: every problem found, each `file:line: message`,
/// `env NAME: message` or `flag --name: message`. The daemon prints them and exits 78.
class ConfigException : public Poco::Exception {
 public:
  explicit ConfigException(std::vector<std::string> problems);

  const std::vector<std::string>& problems() const { return problems_; }

  const char* name() const noexcept override;
  const char* className() const noexcept override;
  Poco::Exception* clone() const override;
  void rethrow() const override;

 private:
  std::vector<std::string> problems_;
};

/// Builds the configuration: defaults, then the file, then the environment, then the flags (the
/// strongest). Validates every value, rejects unknown file keys and flags, reads the Redis
/// password file. Returns the config or throws ConfigException listing every problem (never a
/// secret value). Thread-safe (no shared state).
ElectorConfig loadElectorConfig(const ConfigSources& sources);

/// Every environment variable loadElectorConfig looks at, so callers can copy just those.
std::vector<std::string> configEnvironmentNames();

/// True when `flag` (without dashes) is a setting flag of the table.
bool isSettingFlag(const std::string& flag);

}  // namespace elector
