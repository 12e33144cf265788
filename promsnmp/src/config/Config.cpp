#include "config/Config.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>
#include <sstream>
#include <typeinfo>

#include <libconfig.h++>

#include "discovery/CronExpression.h"
#include "discovery/TimeZone.h"
#include "common/Text.h"

namespace promsnmp {

ConfigException::ConfigException(std::vector<std::string> problems)
    : Poco::Exception([&problems] {
        std::string text;
        for (const auto& problem : problems) {
          text += text.empty() ? "" : "\n";
          text += problem;
        }
        return text;
      }()),
      problems_(std::move(problems)) {}

const char* ConfigException::name() const noexcept { return "Configuration error"; }

const char* ConfigException::className() const noexcept { return typeid(*this).name(); }

Poco::Exception* ConfigException::clone() const { return new ConfigException(*this); }

void ConfigException::rethrow() const { throw *this; }

namespace {

using Ms = std::chrono::milliseconds;

// ---------------------------------------------------------------------------------------------
// Value parsing. Every parser takes the text as given (environment, flag, or a file scalar
// turned into text) and returns the value or nothing; the caller words the problem.

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) {
    return "";
  }
  const auto end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

/// `"text"` with backslash escapes, so odd values are visible in messages and describe().
std::string quote(const std::string& text) {
  std::string out = "\"";
  common::appendEscaped(out, text, false);
  return out + "\"";
}

std::optional<int64_t> parseInteger(const std::string& raw) {
  std::string text = trim(raw);
  if (!text.empty() && text[0] == '+') {
    text.erase(0, 1);
  }
  int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return value;
}

/// Milliseconds: a bare integer (the Java settings' unit), or an integer with a unit suffix
/// ms, s, m, h or d ("30s", "5m").
std::optional<int64_t> parseDurationMs(const std::string& raw) {
  const std::string text = trim(raw);
  size_t digits = 0;
  while (digits < text.size() && (std::isdigit(static_cast<unsigned char>(text[digits])) != 0 ||
                                  (digits == 0 && (text[0] == '-' || text[0] == '+')))) {
    ++digits;
  }
  const auto number = parseInteger(text.substr(0, digits));
  if (!number) {
    return std::nullopt;
  }
  static const std::map<std::string, int64_t> kUnits = {
      {"", 1}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
  const auto unit = kUnits.find(lower(text.substr(digits)));
  if (unit == kUnits.end()) {
    return std::nullopt;
  }
  if (*number > INT64_MAX / unit->second || *number < INT64_MIN / unit->second) {
    return std::nullopt;
  }
  return *number * unit->second;
}

/// Spring's relaxed booleans: true/false, yes/no, on/off, 1/0, any case.
std::optional<bool> parseBoolean(const std::string& raw) {
  const std::string text = lower(trim(raw));
  if (text == "true" || text == "yes" || text == "on" || text == "1") {
    return true;
  }
  if (text == "false" || text == "no" || text == "off" || text == "0") {
    return false;
  }
  return std::nullopt;
}

std::optional<double> parseNumber(const std::string& raw) {
  const std::string text = trim(raw);
  double value = 0;
  const char* begin = text.data() + (!text.empty() && text[0] == '+' ? 1 : 0);
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(begin, end, value, std::chars_format::general);
  if (begin == end || ec != std::errc() || ptr != end || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::string formatNumber(double value) {
  char buffer[64];
  const auto [ptr, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, ptr);
}

// ---------------------------------------------------------------------------------------------
// Validators for string settings: "" when fine, else the problem.

using Validator = std::function<std::string(const std::string&)>;

std::string nonEmpty(const std::string& value) {
  return trim(value).empty() ? "must not be empty" : "";
}

std::string anything(const std::string&) { return ""; }

/// "host:port", ":port" or "[v6]:port"; port 0-65535.
std::string checkListenAddress(const std::string& value) {
  std::string problem = "must be host:port, [ipv6]:port or :port (got " + quote(value) + ")";
  const auto colon = value.rfind(':');
  if (colon == std::string::npos) {
    return problem;
  }
  const std::string host = value.substr(0, colon);
  const auto port = parseInteger(value.substr(colon + 1));
  if (!port || value.substr(colon + 1) != trim(value.substr(colon + 1)) || *port < 0 ||
      *port > 65535) {
    return "port must be an integer from 0 to 65535 (got " + quote(value) + ")";
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
  const std::string text = trim(value);
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
// Config() only walk this table.

struct Def {
  std::string key;        // file key, dotted ("collection.interval_ms")
  std::string sourceKey;  // key whose provenance it sets (normally `key`)
  std::vector<std::string> env;
  std::string flag;
  std::string help;
  bool inFile = true;         // may appear in the config file
  std::string fileHint;       // when !inFile: what to do instead
  bool shown = true;          // listed by items() / describe()
  bool emptyEnvSets = false;  // an empty env value counts as set (secrets: presence matters)
  std::function<void(Config&)> setDefault;
  std::function<std::string(Config&, const std::string&)> fromText;  // "" = ok, else problem
  std::function<std::string(const Config&)> show;
};

std::string rangeText(int64_t min, int64_t max) {
  return "from " + std::to_string(min) + " to " + std::to_string(max);
}

Def integer(std::string key, std::vector<std::string> env, int64_t Config::*member, int64_t value,
            int64_t min, int64_t max, std::string help) {
  Def def;
  def.key = std::move(key);
  def.env = std::move(env);
  def.help = std::move(help);
  def.setDefault = [=](Config& c) { c.*member = value; };
  def.fromText = [=](Config& c, const std::string& text) -> std::string {
    const auto parsed = parseInteger(text);
    if (!parsed || *parsed < min || *parsed > max) {
      return "must be an integer " + rangeText(min, max) + " (got " + quote(text) + ")";
    }
    c.*member = *parsed;
    return "";
  };
  def.show = [=](const Config& c) { return std::to_string(c.*member); };
  return def;
}

Def duration(std::string key, std::vector<std::string> env, Ms Config::*member, int64_t value,
             int64_t min, int64_t max, std::string help) {
  Def def;
  def.key = std::move(key);
  def.env = std::move(env);
  def.help = std::move(help);
  def.setDefault = [=](Config& c) { c.*member = Ms(value); };
  def.fromText = [=](Config& c, const std::string& text) -> std::string {
    const auto parsed = parseDurationMs(text);
    if (!parsed || *parsed < min || *parsed > max) {
      return "must be a duration in milliseconds " + rangeText(min, max) +
             " (a number, or with a unit: 30s, 5m, 1h) (got " + quote(text) + ")";
    }
    c.*member = Ms(*parsed);
    return "";
  };
  def.show = [=](const Config& c) { return std::to_string((c.*member).count()); };
  return def;
}

Def boolean(std::string key, std::vector<std::string> env, bool Config::*member, bool value,
            std::string help) {
  Def def;
  def.key = std::move(key);
  def.env = std::move(env);
  def.help = std::move(help);
  def.setDefault = [=](Config& c) { c.*member = value; };
  def.fromText = [=](Config& c, const std::string& text) -> std::string {
    const auto parsed = parseBoolean(text);
    if (!parsed) {
      return "must be true or false (got " + quote(text) + ")";
    }
    c.*member = *parsed;
    return "";
  };
  def.show = [=](const Config& c) { return std::string(c.*member ? "true" : "false"); };
  return def;
}

Def text(std::string key, std::vector<std::string> env, std::string Config::*member,
         const std::string& value, const Validator& validate, std::string help) {
  Def def;
  def.key = std::move(key);
  def.env = std::move(env);
  def.help = std::move(help);
  def.setDefault = [=](Config& c) { c.*member = value; };
  def.fromText = [=](Config& c, const std::string& text) -> std::string {
    std::string problem = validate(text);
    if (problem.empty()) {
      c.*member = text;
    }
    return problem;
  };
  def.show = [=](const Config& c) { return quote(c.*member); };
  return def;
}

/// A string from a fixed set, stored lower-case; the input is matched case-insensitively.
Def choice(std::string key, std::vector<std::string> env, std::string Config::*member,
           const std::string& value, const std::vector<std::string>& values, std::string help) {
  Def def;
  def.key = std::move(key);
  def.env = std::move(env);
  def.help = std::move(help);
  def.setDefault = [=](Config& c) { c.*member = value; };
  def.fromText = [=](Config& c, const std::string& text) -> std::string {
    const std::string wanted = lower(trim(text));
    if (std::find(values.begin(), values.end(), wanted) == values.end()) {
      std::string list;
      for (const auto& v : values) {
        list += (list.empty() ? "" : ", ") + v;
      }
      return "must be one of " + list + " (got " + quote(text) + ")";
    }
    c.*member = wanted;
    return "";
  };
  def.show = [=](const Config& c) { return quote(c.*member); };
  return def;
}

/// An optional enum: unset by default; "auto" (or an empty file string) sets it back to unset.
template <typename E>
Def optionalChoice(std::string key, std::vector<std::string> env, std::optional<E> Config::*member,
                   std::vector<std::pair<std::string, E>> values, std::string help) {
  Def def;
  def.key = std::move(key);
  def.env = std::move(env);
  def.help = std::move(help);
  def.setDefault = [=](Config& c) { c.*member = std::nullopt; };
  def.fromText = [=](Config& c, const std::string& text) -> std::string {
    const std::string wanted = lower(trim(text));
    if (wanted.empty() || wanted == "auto") {
      c.*member = std::nullopt;
      return "";
    }
    std::string list;
    for (const auto& [name, e] : values) {
      if (name == wanted) {
        c.*member = e;
        return "";
      }
      list += name + ", ";
    }
    return "must be one of " + list + "auto (got " + quote(text) + ")";
  };
  def.show = [=](const Config& c) -> std::string {
    for (const auto& [name, e] : values) {
      if (c.*member == e) {
        return quote(name);
      }
    }
    return "<unset>";
  };
  return def;
}

/// An optional string: unset by default; an empty value unsets it.
Def optionalText(std::string key, std::vector<std::string> env,
                 std::optional<std::string> Config::*member, std::string help) {
  Def def;
  def.key = std::move(key);
  def.env = std::move(env);
  def.help = std::move(help);
  def.setDefault = [=](Config& c) { c.*member = std::nullopt; };
  def.fromText = [=](Config& c, const std::string& text) -> std::string {
    c.*member = trim(text).empty() ? std::nullopt : std::optional<std::string>(text);
    return "";
  };
  def.show = [=](const Config& c) { return c.*member ? quote(*(c.*member)) : "<unset>"; };
  return def;
}

/// An optional real number within [min, max]; an empty value unsets it.
Def optionalNumber(std::string key, std::vector<std::string> env,
                   std::optional<double> Config::*member, double min, double max,
                   std::string help) {
  Def def;
  def.key = std::move(key);
  def.env = std::move(env);
  def.help = std::move(help);
  def.setDefault = [=](Config& c) { c.*member = std::nullopt; };
  def.fromText = [=](Config& c, const std::string& text) -> std::string {
    if (trim(text).empty()) {
      c.*member = std::nullopt;
      return "";
    }
    const auto parsed = parseNumber(text);
    if (!parsed || *parsed < min || *parsed > max) {
      return "must be a number from " + formatNumber(min) + " to " + formatNumber(max) + " (got " +
             quote(text) + ")";
    }
    c.*member = *parsed;
    return "";
  };
  def.show = [=](const Config& c) {
    return c.*member ? formatNumber(*(c.*member)) : std::string("<unset>");
  };
  return def;
}

/// Key material: environment only (inventoryfs::Keyring reads it), shown masked.
Def secret(std::string key, std::string env, common::Secret Config::*member, std::string help) {
  Def def;
  def.key = std::move(key);
  def.fileHint = "set " + env + " (or a key file) in the environment instead";
  def.env = {std::move(env)};
  def.help = std::move(help);
  def.inFile = false;
  def.emptyEnvSets = true;
  def.setDefault = [=](Config& c) { c.*member = common::Secret(); };
  def.fromText = [=](Config& c, const std::string& text) -> std::string {
    c.*member = common::Secret(text);
    return "";
  };
  def.show = [=](const Config& c) { return (c.*member).display(); };
  return def;
}

Def envOnlyPath(std::string key, const std::string& env, std::string Config::*member,
                std::string help) {
  Def def = text(std::move(key), {env}, member, "", anything, std::move(help));
  def.inFile = false;
  def.fileHint = "set " + env + " in the environment instead";
  return def;
}

Def withFlag(Def def, std::string flag) {
  def.flag = std::move(flag);
  return def;
}

/// SERVER_PORT (Java, Spring's server.port): replaces only the port of web.listen_address.
Def serverPort() {
  Def def;
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
      return "must be a port number from 0 to 65535 (got " + quote(text) + ")";
    }
    c.listenAddress =
        c.listenAddress.substr(0, c.listenAddress.rfind(':')) + ":" + std::to_string(*port);
    return "";
  };
  def.show = [](const Config& c) { return c.listenAddress.substr(c.listenAddress.rfind(':') + 1); };
  return def;
}

std::vector<Def> buildTable() {
  constexpr int64_t kDay = 86400000;
  std::vector<Def> t;
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
  t.push_back(secret("inventory.encrypt_key", "PROM_ENCRYPT_KEY", &Config::encryptKey,
                     "inventory encryption key (environment only)"));
  t.push_back(envOnlyPath("inventory.encrypt_key_file", "PROM_ENCRYPT_KEY_FILE",
                          &Config::encryptKeyFile, "file holding the encryption key"));
  t.push_back(secret("inventory.encrypt_key_previous", "PROM_ENCRYPT_KEY_PREVIOUS",
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
  for (auto& def : t) {
    if (def.sourceKey.empty()) {
      def.sourceKey = def.key;
    }
  }
  return t;
}

const std::vector<Def>& table() {
  static const std::vector<Def> kTable = buildTable();
  return kTable;
}

const Def* findByKey(const std::string& key) {
  for (const auto& def : table()) {
    if (def.key == key) {
      return &def;
    }
  }
  return nullptr;
}

size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

/// " (did you mean 'x'?)" for a near miss of a file key, else "".
std::string suggestion(const std::string& key) {
  const Def* best = nullptr;
  size_t bestDistance = 4;
  for (const auto& def : table()) {
    const size_t distance = editDistance(key, def.key);
    if (def.inFile && distance < bestDistance) {
      best = &def;
      bestDistance = distance;
    }
  }
  return best != nullptr ? " (did you mean '" + best->key + "'?)" : "";
}

bool isGroupPrefix(const std::string& path) {
  return std::any_of(table().begin(), table().end(),
                     [&](const Def& def) { return def.key.rfind(path + ".", 0) == 0; });
}

// ---------------------------------------------------------------------------------------------
// The config file.

/// A scalar setting as the text the table's parsers take.
std::optional<std::string> scalarText(const libconfig::Setting& setting) {
  switch (setting.getType()) {
    case libconfig::Setting::TypeInt:
    case libconfig::Setting::TypeInt64:
      return std::to_string(static_cast<long long>(setting));
    case libconfig::Setting::TypeFloat:
      return formatNumber(static_cast<double>(setting));
    case libconfig::Setting::TypeBoolean:
      return std::string(static_cast<bool>(setting) ? "true" : "false");
    case libconfig::Setting::TypeString:
      return std::string(static_cast<const char*>(setting));
    default:
      return std::nullopt;
  }
}

class FileReader {
 public:
  FileReader(const std::string& path, Config& config, std::vector<std::string>& problems)
      : path_(path), config_(config), problems_(problems) {}

  void read() {
    if (::access(path_.c_str(), R_OK) != 0) {
      problems_.push_back(path_ + ": cannot read config file: " + std::strerror(errno));
      return;
    }
    libconfig::Config file;
    file.setAutoConvert(true);
    const auto slash = path_.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : path_.substr(0, slash + 1);
    file.setIncludeDir(dir.c_str());
    try {
      file.readFile(path_.c_str());
    } catch (const libconfig::ParseException& e) {
      problems_.push_back(std::string(e.getFile() != nullptr ? e.getFile() : path_.c_str()) + ":" +
                          std::to_string(e.getLine()) + ": " + e.getError());
      return;
    } catch (const libconfig::FileIOException&) {
      problems_.push_back(path_ + ": cannot read config file");
      return;
    }
    try {
      walk(file.getRoot());
    } catch (const libconfig::SettingException& e) {
      problems_.push_back(path_ + ": " + e.getPath() + ": " + e.what());
    }
  }

 private:
  std::string where(const libconfig::Setting& setting) const {
    const char* file = setting.getSourceFile();
    return std::string(file != nullptr ? file : path_) + ":" +
           std::to_string(setting.getSourceLine());
  }

  void walk(const libconfig::Setting& group) {
    for (int i = 0; i < group.getLength(); ++i) {
      const libconfig::Setting& setting = group[i];
      const std::string key = setting.getPath();
      const Def* def = findByKey(key);
      if (setting.isGroup()) {
        if (def != nullptr) {
          problems_.push_back(where(setting) + ": " + key +
                              ": must be a single value, not a group");
        } else if (isGroupPrefix(key)) {
          walk(setting);
        } else {
          problems_.push_back(where(setting) + ": unknown group '" + key + "'");
        }
        continue;
      }
      if (def == nullptr) {
        problems_.push_back(where(setting) + ": unknown setting '" + key + "'" + suggestion(key));
        continue;
      }
      if (!def->inFile) {
        // Never echo the value: this is where a key pasted into the file would show up.
        problems_.push_back(where(setting) + ": " + key + " cannot be set in the config file; " +
                            def->fileHint);
        continue;
      }
      const auto value = scalarText(setting);
      if (!value) {
        problems_.push_back(where(setting) + ": " + key + ": must be a single value, not " +
                            (setting.isArray() ? "an array" : "a list"));
        continue;
      }
      const std::string problem = def->fromText(config_, *value);
      if (!problem.empty()) {
        std::string line = where(setting);
        line += ": " + key + ": ";
        line += problem;
        problems_.push_back(std::move(line));
      } else {
        config_.sources[def->sourceKey] = where(setting);
      }
    }
  }

  const std::string& path_;
  Config& config_;
  std::vector<std::string>& problems_;
};

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

Config::Config() {
  for (const auto& def : table()) {
    def.setDefault(*this);
  }
}

std::vector<Config::Item> Config::items() const {
  std::vector<Item> out;
  for (const auto& def : table()) {
    if (!def.shown) {
      continue;
    }
    const auto source = sources.find(def.key);
    out.push_back({def.key, def.show(*this), source == sources.end() ? "default" : source->second});
  }
  return out;
}

std::string Config::describe() const {
  std::string out =
      "# promsnmp configuration; file: " + (configFile.empty() ? "none" : configFile) + "\n";
  for (const auto& item : items()) {
    out += item.key + " = " + item.value + "  # " + item.source + "\n";
  }
  for (const auto& warning : warnings) {
    out += "# warning: " + warning + "\n";
  }
  return out;
}

Config loadConfig(const ConfigSources& sources) {
  Config config;
  std::vector<std::string> problems;

  // 1. the file
  if (sources.file) {
    config.configFile = *sources.file;
  } else if (!sources.defaultFile.empty() && ::access(sources.defaultFile.c_str(), F_OK) == 0) {
    config.configFile = sources.defaultFile;
  }
  if (!config.configFile.empty()) {
    FileReader(config.configFile, config, problems).read();
  }

  // 2. the environment, in table order (SERVER_PORT before web.listen_address, so a full
  // PROMSNMP_WEB_LISTEN_ADDRESS wins over a bare port)
  for (const auto& def : table()) {
    const std::string* chosen = nullptr;
    const std::string* chosenName = nullptr;
    for (const auto& name : def.env) {
      const auto it = sources.env.find(name);
      if (it == sources.env.end() || (it->second.empty() && !def.emptyEnvSets)) {
        continue;
      }
      if (chosen == nullptr) {
        chosen = &it->second;
        chosenName = &name;
      } else if (trim(it->second) != trim(*chosen)) {
        config.warnings.push_back(name + "=" + quote(it->second) + " is ignored: " + *chosenName +
                                  " is also set and wins");
      }
    }
    if (chosen == nullptr) {
      continue;
    }
    const std::string problem = def.fromText(config, *chosen);
    if (!problem.empty()) {
      problems.push_back("env " + *chosenName + ": " + problem);
    } else {
      config.sources[def.sourceKey] = "env " + *chosenName;
    }
  }

  // 3. the flags
  for (const auto& entry : sources.flags) {
    const std::string& flag = entry.first;
    const std::string& value = entry.second;
    const auto def = std::find_if(table().begin(), table().end(),
                                  [&](const Def& d) { return !d.flag.empty() && d.flag == flag; });
    if (def == table().end()) {
      problems.push_back("flag --" + flag + ": unknown flag");
      continue;
    }
    const std::string problem = def->fromText(config, value);
    if (!problem.empty()) {
      std::string line = "flag --" + flag;
      line += ": ";
      line += problem;
      problems.push_back(std::move(line));
    } else {
      config.sources[def->sourceKey] = "flag --" + flag;
    }
  }

  if (problems.empty()) {
    crossCheck(config, problems);
  }
  if (!problems.empty()) {
    throw ConfigException(std::move(problems));
  }
  return config;
}

std::vector<SettingInfo> settingsTable() {
  const Config defaults;
  std::vector<SettingInfo> out;
  for (const auto& def : table()) {
    out.push_back({def.key, def.env, def.flag, def.show(defaults), def.help, def.inFile});
  }
  return out;
}

}  // namespace promsnmp
