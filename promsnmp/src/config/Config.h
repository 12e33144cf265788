#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <Poco/Exception.h>

#include "common/Secret.h"

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
/// Config.cpp; `etc/promsnmp.cfg` documents each one.
struct Config {
  Config();

  // --- web
  std::string listenAddress;  // "host:port" or ":port" (all interfaces); port 0 = any free port
  int64_t maxRequestBodyBytes;
  std::chrono::milliseconds webReadTimeout;  // a client must send each part within this
  std::string webConfigFile;  // exporter-toolkit web config (basic auth); "" = no access control
  std::string webAdminUsers;  // comma-separated users of that file with the admin scope

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

  // --- site (labels describing where this collector runs)
  std::string siteId;
  std::string siteLabel;
  std::string siteDescription;
  std::string siteAddress;
  std::string tenantId;
  std::optional<double> siteLatitude;
  std::optional<double> siteLongitude;

  // --- SNMP
  int64_t snmpMaxInFlight;           // requests outstanding over all devices
  int64_t snmpMaxInFlightPerDevice;  // requests outstanding to one device
  int64_t snmpMaxRepetitions;        // initial GETBULK max-repetitions (adapted per device)

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

  // --- provenance (filled by loadConfig)
  std::string configFile;  // the file read, empty when none
  /// Where each shown setting's value came from, by file key: "default", "file:line",
  /// "env NAME" or "flag --name".
  std::map<std::string, std::string> sources;
  /// Non-fatal notes for the operator (e.g. an ignored alias); the daemon logs them as warnings.
  std::vector<std::string> warnings;

  /// One shown setting: its file key, its value as text (secrets masked, strings quoted,
  /// unset optionals as `<unset>`) and where it came from.
  struct Item {
    std::string key;
    std::string value;
    std::string source;
  };

  /// Every setting in table order, secrets masked. Thread-safe (const).
  std::vector<Item> items() const;

  /// items() as text, one `key = value  # source` line each, for --config.check and /config.
  /// Never contains a secret value.
  std::string describe() const;
};

/// Where loadConfig reads from. Tests fill the maps; the daemon passes the process environment
/// and the parsed command line.
struct ConfigSources {
  /// --config.file: must exist when set.
  std::optional<std::string> file;
  /// Read when `file` is unset, but only if it exists.
  std::string defaultFile = kDefaultConfigFile;
  /// The environment, name → value. A variable set to the empty string counts as unset (compose
  /// files often pass `VAR: ${VAR}` through), except the key variables, whose mere presence is
  /// shown.
  std::map<std::string, std::string> env;
  /// Setting flags by name without the dashes ("web.listen-address" → ":9116").
  std::map<std::string, std::string> flags;
};

/// A configuration that cannot be used. problems() holds every problem found, each as
/// `file:line: message`, `env NAME: message` or `flag --name: message`; message() is them
/// joined by newlines. The daemon prints them and exits with 78 (EX_CONFIG).
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

/// Builds the configuration: built-in defaults, overridden by the file, then the environment,
/// then the flags. Validates every value against the bounds in the settings table and rejects
/// unknown file keys and unknown flags. Returns the Config or throws ConfigException with every
/// problem found (not just the first). Thread-safe (no shared state).
Config loadConfig(const ConfigSources& sources);

/// One entry of the settings table, for --help and documentation.
struct SettingInfo {
  std::string key;               // file key, e.g. "collection.interval_ms"
  std::vector<std::string> env;  // environment variables, first wins
  std::string flag;              // flag name without dashes, empty when none
  std::string defaultValue;      // as text
  std::string help;              // one line
  bool inFile = true;            // false: environment only (keys, SERVER_PORT)
};

/// The settings table in order (SERVER_PORT appears as its own entry). Thread-safe.
std::vector<SettingInfo> settingsTable();

}  // namespace promsnmp
