#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/Secret.h"
#include "common/Settings.h"

namespace promsnmp {

/// The configuration file read when --config.file is not given, if it exists. When it does not
/// exist the built-in defaults (plus environment and flags) are the whole configuration.
inline constexpr const char* kDefaultConfigFile = "/etc/promsnmp/promsnmp.cfg";

/// What the collector does every collection interval: poll every inventory device (`All`), or
/// only the devices Prometheus has scraped recently (`Scraped`, for replicas behind a load
/// balancer that each see a share of the scrapes).
enum class CollectionMode { All, Scraped };

/// A role fixed by configuration instead of asked from an elector.
enum class Role { Leader, Follower };

/// Every setting of the collector, already validated. Code reads this struct, never libconfig
/// or the environment. A default-constructed Config holds the built-in defaults (the same table
/// loadConfig uses), so `Config{}` is a valid configuration. Plain data; copy freely.
///
/// The table of settings (file key, environment variables, flag, default, bounds) lives in
/// Config.cpp; `etc/promsnmp.cfg` documents each one. The base holds where each value came from
/// (configFile, sources by file key, warnings for the operator), filled by loadConfig.
struct Config : common::ConfigProvenance {
  using Item = common::SettingItem;

  Config();

  // --- web
  std::string listenAddress;  // "host:port" or ":port" (all interfaces); port 0 = any free port
  int64_t maxRequestBodyBytes;
  std::chrono::milliseconds webReadTimeout;  // a client must send each part within this
  std::string webConfigFile;  // exporter-toolkit web config (basic auth); "" = no access control
  std::string webAdminUsers;  // comma-separated users of that file with the admin scope
  std::string webTrustedProxies;  // addresses/CIDRs whose X-Forwarded-For names the client

  // --- inventory (the shared file)
  std::string inventoryFile;
  std::chrono::milliseconds inventoryPollInterval;
  int64_t inventoryKeep;  // versions kept when the leader garbage-collects the share
  // Key settings are read by inventoryfs::Keyring from the environment; they are carried here
  // only so describe() can show whether they are set.
  common::Secret encryptKey;           // PROM_ENCRYPT_KEY
  std::string encryptKeyFile;          // PROM_ENCRYPT_KEY_FILE (a path: not secret)
  common::Secret encryptKeyPrevious;   // PROM_ENCRYPT_KEY_PREVIOUS
  std::string encryptKeyPreviousFile;  // PROM_ENCRYPT_KEY_PREVIOUS_FILE

  // --- collection and cache
  std::chrono::milliseconds collectionInterval;
  std::optional<CollectionMode> collectionMode;  // unset: the daemon decides (elector → scraped)
  std::chrono::milliseconds cacheExpiry;
  int64_t cacheMaxEntries;
  std::chrono::milliseconds cacheStatsInterval;

  // --- discovery
  std::string discoveryCron;  // Spring 6-field cron, a Spring macro (@daily ...), or "-" (off)
  std::string discoveryZone;  // IANA zone name for the cron
  bool discoveryOnStart;
  int64_t discoveryMaxInFlight;                // probes outstanding at once
  std::chrono::milliseconds discoveryTimeout;  // per probe attempt
  int64_t discoveryRetries;
  int64_t discoveryMaxAddresses;          // per request or seed, after expanding blocks and ranges
  int64_t discoveryMaxQueued;             // runs waiting behind the running one
  int64_t discoveryMaxRequestsPerMinute;  // POST /promsnmp/discovery accepted per minute
  std::vector<std::string> discoveryProfileFiles;  // device profiles files (paths or globs)

  // --- site (labels describing where this collector runs)
  std::string siteId;
  std::string siteLabel;
  std::string siteDescription;
  std::string siteAddress;
  std::string tenantId;
  std::optional<double> siteLatitude;
  std::optional<double> siteLongitude;
  // --- site page (every replica's `/` shows the whole site)
  std::string replicaId;           // this replica's name; "" = "<hostname>:<port>"
  std::vector<std::string> peers;  // every replica's base URL, or dns:NAME:PORT; empty: alone

  // --- SNMP
  int64_t snmpMaxInFlight;           // requests outstanding over all devices
  int64_t snmpMaxInFlightPerDevice;  // requests outstanding to one device
  int64_t snmpMaxRepetitions;        // initial GETBULK max-repetitions (adapted per device)
  // snmp_exporter module files: paths or globs, for loadModuleFiles (given comma-separated,
  // each entry trimmed, empty entries left out); empty: no modules.
  std::vector<std::string> snmpModuleFiles;
  bool snmpAllowUnlistedTargets;      // `/snmp?module=` may scrape an address not in the inventory
  bool snmpModulesExpandEnvironment;  // ${VAR} in module files' usernames and passwords

  // --- scrape
  std::chrono::milliseconds scrapeTimeoutMargin;   // subtracted from Prometheus' scrape timeout
  std::chrono::milliseconds scrapeDefaultTimeout;  // when the scrape carries no timeout header

  // --- elector
  std::optional<std::string> electorSocket;  // unset: no elector
  std::optional<Role> role;                  // PROMSNMP_ROLE; unset: elector or standalone

  // --- local state
  std::string stateDir;

  // --- logging
  std::string logLevel;   // debug | info | warn | error
  std::string logFormat;  // logfmt | json

  /// Every shown setting in table order: its file key, its value as text (secrets masked,
  /// strings quoted, unset optionals as `<unset>`) and where it came from ("default",
  /// "file:line", "env NAME" or "flag --name"). Thread-safe (const).
  std::vector<Item> items() const;

  /// items() as text, one `key = value  # source` line each, for --config.check and /config.
  /// Never contains a secret value.
  std::string describe() const;
};

/// Where loadConfig reads from (common/Settings.h): the file (--config.file, else
/// kDefaultConfigFile if it exists), the environment and the setting flags. Tests fill the
/// maps; the daemon passes the process environment and the parsed command line.
struct ConfigSources : common::ConfigSources {
  ConfigSources() { defaultFile = kDefaultConfigFile; }
};

/// A configuration that cannot be used: every problem, each `file:line: message`,
/// `env NAME: message` or `flag --name: message`. The daemon prints them and exits with 78.
using common::ConfigException;

/// Builds the configuration: built-in defaults, overridden by the file, then the environment,
/// then the flags. Validates every value against the bounds in the settings table and rejects
/// unknown file keys and unknown flags. Returns the Config or throws ConfigException with every
/// problem found (not just the first). Thread-safe (no shared state).
Config loadConfig(const ConfigSources& sources);

/// One entry of the settings table, for --help and documentation.
using common::SettingInfo;

/// The settings table in order (SERVER_PORT appears as its own entry). Thread-safe.
std::vector<SettingInfo> settingsTable();

}  // namespace promsnmp
