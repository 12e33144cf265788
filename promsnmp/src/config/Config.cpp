#include "config/Config.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

#include "common/SettingKinds.h"
#include "discovery/CronExpression.h"
#include "discovery/TimeZone.h"
#include "http/TrustedProxies.h"

namespace promsnmp {

namespace {

using common::anything;
using common::boolean;
using common::choice;
using common::duration;
using common::environmentOnly;
using common::integer;
using common::nonEmpty;
using common::optionalChoice;
using common::optionalNumber;
using common::optionalText;
using common::parseInteger;
using common::quoted;
using common::secret;
using common::text;
using common::withFlag;
using Row = common::Setting<Config>;

// ---------------------------------------------------------------------------------------------
// Validators for string settings: "" when fine, else the problem.

/// "host:port", ":port" or "[v6]:port"; port 0-65535.
std::string checkListenAddress(const std::string& value) {
  std::string problem = "must be host:port, [ipv6]:port or :port (got " + quoted(value) + ")";
  const auto colon = value.rfind(':');
  if (colon == std::string::npos) {
    return problem;
  }
  const std::string host = value.substr(0, colon);
  const auto port = parseInteger(value.substr(colon + 1));
  if (!port || value.substr(colon + 1) != Poco::trim(value.substr(colon + 1)) || *port < 0 ||
      *port > 65535) {
    return "port must be an integer from 0 to 65535 (got " + quoted(value) + ")";
  }
  if (!host.empty() && host.front() == '[') {
    if (host.back() != ']' || host.size() < 3) {
      return problem;
    }
    return "";
  }
  if (host.find_first_of(":[] \t") != std::string::npos) {
    return problem;
  }
  return "";
}

/// A tz database zone name ("America/New_York", "UTC", "Etc/GMT-2") that exists on this host:
/// the scheduler reads it from /usr/share/zoneinfo, so a name it cannot load is a config error.
std::string checkZone(const std::string& value) {
  try {
    TimeZone::load(value);
    return "";
  } catch (const Poco::Exception& e) {
    return "must be a time zone of the tz database like America/New_York or UTC (" + e.message() +
           ")";
  }
}

/// Spring's CronExpression syntax (six fields, second first, or a macro such as @daily), parsed
/// by the scheduler's own parser so the check and the schedule cannot disagree; "-" disables.
std::string checkCron(const std::string& value) {
  const std::string text = Poco::trim(value);
  if (text == "-") {
    return "";
  }
  try {
    CronExpression::parse(text);
    return "";
  } catch (const Poco::SyntaxException& e) {
    return e.message();
  }
}

// ---------------------------------------------------------------------------------------------
// The settings table (Redis config.c style): one row per setting with its file key, environment
// variables (first present wins), flag, default, bounds and how it is shown. loadConfig and
// Config() only walk this table; common/Settings.h reads the sources.

/// A file path read from the environment only (beside a key that is environment-only too).
Row envOnlyPath(std::string key, const std::string& env, std::string Config::*member,
                std::string help) {
  return environmentOnly(text(std::move(key), {env}, member, "", anything, std::move(help)),
                         "set " + env + " in the environment instead");
}

/// Key material: environment only (inventoryfs::Keyring reads it), shown masked; a variable set
/// to the empty string counts (Java reads it as "no encryption").
Row keySetting(std::string key, const std::string& env, common::Secret Config::*member,
               std::string help) {
  Row row = environmentOnly(secret(std::move(key), {env}, member, std::move(help)),
                            "set " + env + " (or a key file) in the environment instead");
  row.emptyEnvSets = true;
  return row;
}

/// A comma-separated list, each entry trimmed, empty entries left out; shown as one quoted
/// string joined by commas ("" when empty).
Row commaList(std::string key, std::vector<std::string> env,
              std::vector<std::string> Config::*member, std::string help) {
  using List = std::vector<std::string>;
  return common::parsed<Config, List>(
      std::move(key), std::move(env), member, List{},
      [](const std::string& text) -> std::optional<List> {
        List entries;
        for (const std::string& entry : Poco::StringTokenizer(
                 text, ",",
                 Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY)) {
          entries.push_back(entry);
        }
        return entries;
      },
      [](const std::string&) { return std::string(); },
      [](const List& entries) {
        std::string joined;
        for (const std::string& entry : entries) {
          joined += (joined.empty() ? "" : ",") + entry;
        }
        return quoted(joined);
      },
      std::move(help));
}

/// SERVER_PORT (Java, Spring's server.port): replaces only the port of web.listen_address.
Row serverPort() {
  Row def;
  def.key = "server.port";
  def.sourceKey = "web.listen_address";
  def.env = {"SERVER_PORT"};
  def.help = "HTTP port (Java compatible); replaces the port of web.listen_address";
  def.inFile = false;
  def.fileHint = "set web.listen_address instead";
  def.shown = false;
  def.setDefault = [](Config&) {};
  def.fromText = [](Config& c, const std::string& text) -> std::string {
    const auto port = parseInteger(text);
    if (!port || *port < 0 || *port > 65535) {
      return "must be a port number from 0 to 65535 (got " + quoted(text) + ")";
    }
    c.listenAddress =
        c.listenAddress.substr(0, c.listenAddress.rfind(':')) + ":" + std::to_string(*port);
    return "";
  };
  def.show = [](const Config& c) { return c.listenAddress.substr(c.listenAddress.rfind(':') + 1); };
  return def;
}

std::vector<Row> buildTable() {
  constexpr int64_t kDay = 86400000;
  std::vector<Row> t;
  // web
  t.push_back(serverPort());
  t.push_back(withFlag(
      text("web.listen_address", {"PROMSNMP_WEB_LISTEN_ADDRESS"}, &Config::listenAddress, ":8080",
           checkListenAddress, "address the HTTP server listens on (host:port, :port)"),
      "web.listen-address"));
  t.push_back(withFlag(
      text("web.config_file", {"PROMSNMP_WEB_CONFIG_FILE"}, &Config::webConfigFile, "", anything,
           "exporter-toolkit web config (basic_auth_users with bcrypt hashes); "
           "empty: no access control"),
      "web.config.file"));
  t.push_back(text("web.admin_users", {"PROMSNMP_WEB_ADMIN_USERS"}, &Config::webAdminUsers, "",
                   anything,
                   "comma-separated users of the web config with the admin scope (inventory "
                   "writes, discovery, evictCache, reload); the others may only read"));
  t.push_back(text("web.trusted_proxies", {"PROMSNMP_WEB_TRUSTED_PROXIES"},
                   &Config::webTrustedProxies, "", TrustedProxies::problem,
                   "comma-separated addresses and CIDR ranges of load balancers whose "
                   "X-Forwarded-For names the client in failed-login log lines"));
  t.push_back(duration("web.read_timeout_ms", {"PROMSNMP_WEB_READ_TIMEOUT_MS"},
                       &Config::webReadTimeout, 15000, 100, 600000,
                       "a client that sends nothing for this long is disconnected (slow clients)"));
  t.push_back(integer("web.max_request_body", {"PROMSNMP_WEB_MAX_REQUEST_BODY"},
                      &Config::maxRequestBodyBytes, 16 << 20, 1024, 1LL << 30,
                      "largest HTTP request body accepted, in bytes"));
  // inventory
  t.push_back(text("inventory.file", {"PROM_INV_FILE"}, &Config::inventoryFile,
                   "/app/data/promsnmp-inventory.json", nonEmpty,
                   "the shared inventory file (head path of the versioned share)"));
  t.push_back(duration("inventory.poll_interval_ms", {"PROMSNMP_INVENTORY_POLL_INTERVAL_MS"},
                       &Config::inventoryPollInterval, 5000, 100, 3600000,
                       "how often the share is checked for a new inventory version"));
  t.push_back(integer("inventory.keep", {"PROM_INV_KEEP"}, &Config::inventoryKeep, 20, 2, 100000,
                      "inventory versions kept on the share by the leader's garbage collection"));
  t.push_back(keySetting("inventory.encrypt_key", "PROM_ENCRYPT_KEY", &Config::encryptKey,
                         "inventory encryption key (environment only)"));
  t.push_back(envOnlyPath("inventory.encrypt_key_file", "PROM_ENCRYPT_KEY_FILE",
                          &Config::encryptKeyFile, "file holding the encryption key"));
  t.push_back(keySetting("inventory.encrypt_key_previous", "PROM_ENCRYPT_KEY_PREVIOUS",
                         &Config::encryptKeyPrevious,
                         "previous keys, comma-separated, for reading during rotation"));
  t.push_back(envOnlyPath("inventory.encrypt_key_previous_file", "PROM_ENCRYPT_KEY_PREVIOUS_FILE",
                          &Config::encryptKeyPreviousFile, "file holding previous keys"));
  // collection and cache
  t.push_back(duration("collection.interval_ms", {"COLLECTION_INTERVAL"},
                       &Config::collectionInterval, 30000, 1000, kDay,
                       "how often devices are polled"));
  t.push_back(optionalChoice<CollectionMode>(
      "collection.mode", {"PROMSNMP_COLLECTION_MODE"}, &Config::collectionMode,
      {{"all", CollectionMode::All}, {"scraped", CollectionMode::Scraped}},
      "all devices, or only recently scraped ones (unset: scraped with an elector, else all)"));
  t.push_back(duration("cache.expire_ms", {"CACHE_EXP_MILLIS"}, &Config::cacheExpiry, 300000, 1000,
                       kDay, "age after which a device's cached metrics are dropped"));
  t.push_back(integer("cache.max_entries", {"CACHE_ENTRY_CNT"}, &Config::cacheMaxEntries, 10000, 1,
                      10000000, "most devices kept in the metrics cache"));
  t.push_back(duration("cache.stats_interval_ms", {"CACHE_STATS_RATE_MILLIS"},
                       &Config::cacheStatsInterval, 60000, 1000, kDay,
                       "how often cache statistics are logged"));
  // discovery
  t.push_back(text("discovery.cron", {"DISCOVERY_CRON"}, &Config::discoveryCron, "0 0 2 * * *",
                   checkCron, "when scheduled discovery runs (6-field cron, or - for never)"));
  t.push_back(text("discovery.zone", {"DISCOVERY_ZONE", "DISCOVERY_TZ"}, &Config::discoveryZone,
                   "America/New_York", checkZone, "time zone of discovery.cron"));
  t.push_back(boolean("discovery.on_start", {"DISCOVERY_ON_START"}, &Config::discoveryOnStart,
                      false, "run one discovery pass at start-up (leader only)"));
  t.push_back(integer("discovery.max_in_flight", {"PROMSNMP_DISCOVERY_MAX_IN_FLIGHT"},
                      &Config::discoveryMaxInFlight, 256, 1, 65536,
                      "discovery probes outstanding at once"));
  t.push_back(duration("discovery.timeout_ms", {"PROMSNMP_DISCOVERY_TIMEOUT_MS"},
                       &Config::discoveryTimeout, 1000, 10, 60000,
                       "how long a discovery probe waits for an answer (per attempt)"));
  t.push_back(integer("discovery.retries", {"PROMSNMP_DISCOVERY_RETRIES"},
                      &Config::discoveryRetries, 1, 0, 10,
                      "discovery probe attempts after the first"));
  t.push_back(integer("discovery.max_addresses", {"PROMSNMP_DISCOVERY_MAX_ADDRESSES"},
                      &Config::discoveryMaxAddresses, 65536, 1, 16777216,
                      "addresses one discovery request or seed may name"));
  t.push_back(integer("discovery.max_queued", {"PROMSNMP_DISCOVERY_MAX_QUEUED"},
                      &Config::discoveryMaxQueued, 4, 0, 1000,
                      "discovery runs that may wait behind the running one"));
  t.push_back(integer("discovery.max_requests_per_minute",
                      {"PROMSNMP_DISCOVERY_MAX_REQUESTS_PER_MINUTE"},
                      &Config::discoveryMaxRequestsPerMinute, 30, 1, 100000,
                      "discovery requests (POST) a replica accepts per minute; more get 429"));
  t.push_back(commaList("discovery.profile_files", {"PROMSNMP_PROFILES_FILES"},
                        &Config::discoveryProfileFiles,
                        "device profiles files (YAML), comma-separated paths or globs, later "
                        "entries win; empty: the built-in generic profile only"));
  // site
  t.push_back(text("site.id", {"PROM_SITE_ID"}, &Config::siteId, "0123456789", anything,
                   "site identifier"));
  t.push_back(
      text("site.label", {"PROM_SITE_LABEL"}, &Config::siteLabel, "", anything, "short site name"));
  t.push_back(text("site.description", {"PROM_SITE_DESCR"}, &Config::siteDescription, "", anything,
                   "site description"));
  t.push_back(text("site.address", {"PROM_SITE_ADDR"}, &Config::siteAddress, "", anything,
                   "site postal address"));
  t.push_back(text("site.tenant_id", {"PROM_TENANT_ID"}, &Config::tenantId, "0123456789", anything,
                   "tenant identifier"));
  t.push_back(optionalNumber("site.latitude", {"PROM_SITE_LAT"}, &Config::siteLatitude, -90, 90,
                             "site latitude in degrees"));
  t.push_back(optionalNumber("site.longitude", {"PROM_SITE_LONG"}, &Config::siteLongitude, -180,
                             180, "site longitude in degrees"));
  t.push_back(text("site.replica_id", {"PROMSNMP_REPLICA_ID", "POD_NAME"}, &Config::replicaId, "",
                   anything, "this replica's name on the site page (empty: hostname:port)"));
  t.push_back(commaList("site.peers", {"PROMSNMP_PEERS"}, &Config::peers,
                        "every replica's base URL (http://host:port or REPLICA=http://host:port, "
                        "this one included) or dns:NAME:PORT (every address of NAME), for the "
                        "site page; empty: this replica alone"));
  // SNMP
  t.push_back(integer("snmp.max_in_flight", {"PROMSNMP_SNMP_MAX_IN_FLIGHT"},
                      &Config::snmpMaxInFlight, 256, 1, 65536,
                      "SNMP requests outstanding at once over all devices"));
  t.push_back(integer("snmp.max_in_flight_per_device", {"PROMSNMP_SNMP_MAX_IN_FLIGHT_PER_DEVICE"},
                      &Config::snmpMaxInFlightPerDevice, 4, 1, 1024,
                      "SNMP requests outstanding at once to one device"));
  t.push_back(integer("snmp.max_repetitions", {"PROMSNMP_SNMP_MAX_REPETITIONS"},
                      &Config::snmpMaxRepetitions, 25, 1, 1000,
                      "initial GETBULK max-repetitions (adapted per device)"));
  t.push_back(commaList("snmp.module_files", {"PROMSNMP_MODULES_FILES"}, &Config::snmpModuleFiles,
                        "snmp_exporter module files (snmp.yml), comma-separated paths or globs; "
                        "empty: no modules"));
  t.push_back(boolean("snmp.allow_unlisted_targets", {"PROMSNMP_ALLOW_UNLISTED_TARGETS"},
                      &Config::snmpAllowUnlistedTargets, false,
                      "/snmp?target=&module= may scrape an address that is not an inventory "
                      "device, as snmp_exporter does"));
  t.push_back(boolean("snmp.modules_expand_environment", {"PROMSNMP_MODULES_EXPAND_ENVIRONMENT"},
                      &Config::snmpModulesExpandEnvironment, false,
                      "expand ${VAR} in the module files' username, password and priv_password"));
  // scrape
  t.push_back(duration("scrape.timeout_margin_ms", {"PROMSNMP_SCRAPE_TIMEOUT_MARGIN_MS"},
                       &Config::scrapeTimeoutMargin, 250, 0, 60000,
                       "time kept back from Prometheus' scrape timeout to answer in time"));
  t.push_back(duration("scrape.default_timeout_ms", {"PROMSNMP_SCRAPE_DEFAULT_TIMEOUT_MS"},
                       &Config::scrapeDefaultTimeout, 10000, 100, 600000,
                       "scrape timeout assumed when the request does not say"));
  // elector
  t.push_back(optionalText("elector.socket", {"PROMSNMP_ELECTOR_SOCKET"}, &Config::electorSocket,
                           "Unix socket of the elector sidecar (unset: no elector)"));
  t.push_back(optionalChoice<Role>("elector.role", {"PROMSNMP_ROLE"}, &Config::role,
                                   {{"leader", Role::Leader}, {"follower", Role::Follower}},
                                   "fixed role instead of an elector's answer"));
  // local state
  t.push_back(text("state.dir", {"PROMSNMP_STATE_DIR"}, &Config::stateDir, "/var/lib/promsnmp",
                   nonEmpty, "local state directory (SQLite; never on the share)"));
  // logging
  t.push_back(withFlag(choice("log.level", {"PROMSNMP_LOG_LEVEL"}, &Config::logLevel, "info",
                              {"debug", "info", "warn", "error"}, "least severe level logged"),
                       "log.level"));
  t.push_back(withFlag(choice("log.format", {"PROMSNMP_LOG_FORMAT"}, &Config::logFormat, "logfmt",
                              {"logfmt", "json"}, "log line format"),
                       "log.format"));
  return t;
}

const common::SettingsTable<Config>& table() {
  static const common::SettingsTable<Config> kTable(buildTable());
  return kTable;
}

/// Checks that need more than one setting. A problem is attributed to where the first-named
/// setting was set, else the second.
void crossCheck(Config& config, std::vector<std::string>& problems) {
  // At least one of the two was set by the operator (the defaults agree with each other).
  auto blame = [&](const std::string& a, const std::string& b) {
    const auto it = config.sources.find(a);
    return it != config.sources.end() ? it->second : config.sources[b];
  };
  if (config.snmpMaxInFlightPerDevice > config.snmpMaxInFlight) {
    problems.push_back(
        blame("snmp.max_in_flight_per_device", "snmp.max_in_flight") +
        ": snmp.max_in_flight_per_device (" + std::to_string(config.snmpMaxInFlightPerDevice) +
        ") must not exceed snmp.max_in_flight (" + std::to_string(config.snmpMaxInFlight) + ")");
  }
  if (config.scrapeTimeoutMargin >= config.scrapeDefaultTimeout) {
    problems.push_back(blame("scrape.timeout_margin_ms", "scrape.default_timeout_ms") +
                       ": scrape.timeout_margin_ms (" +
                       std::to_string(config.scrapeTimeoutMargin.count()) +
                       ") must be less than scrape.default_timeout_ms (" +
                       std::to_string(config.scrapeDefaultTimeout.count()) + ")");
  }
  if (config.cacheExpiry < config.collectionInterval) {
    config.warnings.push_back("cache.expire_ms (" + std::to_string(config.cacheExpiry.count()) +
                              ") is shorter than collection.interval_ms (" +
                              std::to_string(config.collectionInterval.count()) +
                              "): cached metrics expire between collections");
  }
}

}  // namespace

Config::Config() { table().setDefaults(*this); }

std::vector<Config::Item> Config::items() const { return table().items(*this); }

std::string Config::describe() const { return table().describe("promsnmp", *this); }

Config loadConfig(const ConfigSources& sources) { return table().loadChecked(sources, crossCheck); }

std::vector<SettingInfo> settingsTable() { return table().info(Config()); }

}  // namespace promsnmp
