// Tests of loadConfig: defaults equal the Java PromSNMP defaults, precedence flags > env > file >
// defaults, every problem reported at once with its place, the shipped etc/promsnmp.cfg loads and
// documents the real defaults, and secrets never show.
#include "config/Config.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace promsnmp;

namespace {

using Env = std::map<std::string, std::string>;

const std::string kShippedConfig = PROMSNMP_TEST_DATA "/../../etc/promsnmp.cfg";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// A temporary directory removed with its contents at the end of the scope.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "configtest.XXXXXX").string();
    CPPUNIT_ASSERT(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }

  std::string write(const std::string& name, const std::string& text) const {
    std::string path = path_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// Sources with no default file, so the host's /etc/promsnmp never leaks into a test.
ConfigSources sources(const Env& env = {}, const Env& flags = {},
                      std::optional<std::string> file = std::nullopt) {
  ConfigSources s;
  s.defaultFile = "";
  s.env = env;
  s.flags = flags;
  s.file = std::move(file);
  return s;
}

/// The problems loadConfig reports, or none.
std::vector<std::string> problems(const ConfigSources& s) {
  try {
    loadConfig(s);
  } catch (const ConfigException& e) {
    return e.problems();
  }
  return {};
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) {
    out += line + "\n";
  }
  return out;
}

}  // namespace

class ConfigTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ConfigTest);
  CPPUNIT_TEST(testDefaultsAreJavaDefaults);
  CPPUNIT_TEST(testNoSourcesGiveDefaults);
  CPPUNIT_TEST(testDefaultFileReadWhenPresent);
  CPPUNIT_TEST(testExplicitFileMustExist);
  CPPUNIT_TEST(testFileSettings);
  CPPUNIT_TEST(testJavaEnvironmentNames);
  CPPUNIT_TEST(testPrecedence);
  CPPUNIT_TEST(testServerPortReplacesOnlyThePort);
  CPPUNIT_TEST(testDiscoveryZoneWinsOverTz);
  CPPUNIT_TEST(testBooleansAcceptSpringSpellings);
  CPPUNIT_TEST(testDurationsAcceptUnits);
  CPPUNIT_TEST(testEmptyEnvironmentCountsAsUnset);
  CPPUNIT_TEST(testOptionalSettings);
  CPPUNIT_TEST(testModuleSettings);
  CPPUNIT_TEST(testFileErrorsReportedTogether);
  CPPUNIT_TEST(testParseErrorHasFileAndLine);
  CPPUNIT_TEST(testIncludedFileErrorsNameThatFile);
  CPPUNIT_TEST(testBadEnvironmentValuesNamed);
  CPPUNIT_TEST(testBadAndUnknownFlags);
  CPPUNIT_TEST(testErrorsFromAllSourcesTogether);
  CPPUNIT_TEST(testBounds);
  CPPUNIT_TEST(testCronValidation);
  CPPUNIT_TEST(testListenAddressValidation);
  CPPUNIT_TEST(testCrossChecks);
  CPPUNIT_TEST(testShippedFileLoads);
  CPPUNIT_TEST(testShippedFileDocumentsDefaults);
  CPPUNIT_TEST(testShippedFileNamesEveryEnvironmentVariable);
  CPPUNIT_TEST(testSecretsMaskedInDescribe);
  CPPUNIT_TEST(testKeyInFileRejectedWithoutEcho);
  CPPUNIT_TEST(testDescribeShowsSources);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testDefaultsAreJavaDefaults() {
    const Config c;
    // Java PromSNMP (reference/promsnmp-java.md §2)
    CPPUNIT_ASSERT_EQUAL(std::string(":8080"), c.listenAddress);
    CPPUNIT_ASSERT_EQUAL(std::string("/app/data/promsnmp-inventory.json"), c.inventoryFile);
    CPPUNIT_ASSERT_EQUAL(int64_t{30000}, int64_t{c.collectionInterval.count()});
    CPPUNIT_ASSERT_EQUAL(int64_t{300000}, int64_t{c.cacheExpiry.count()});
    CPPUNIT_ASSERT_EQUAL(int64_t{10000}, c.cacheMaxEntries);
    CPPUNIT_ASSERT_EQUAL(int64_t{60000}, int64_t{c.cacheStatsInterval.count()});
    CPPUNIT_ASSERT_EQUAL(std::string("0 0 2 * * *"), c.discoveryCron);
    CPPUNIT_ASSERT_EQUAL(std::string("America/New_York"), c.discoveryZone);
    CPPUNIT_ASSERT(!c.discoveryOnStart);
    CPPUNIT_ASSERT_EQUAL(std::string("0123456789"), c.siteId);
    CPPUNIT_ASSERT_EQUAL(std::string("0123456789"), c.tenantId);
    CPPUNIT_ASSERT(c.siteLabel.empty() && c.siteDescription.empty() && c.siteAddress.empty());
    CPPUNIT_ASSERT(!c.siteLatitude && !c.siteLongitude);
    CPPUNIT_ASSERT(!c.encryptKey.isSet());
    // Ours
    CPPUNIT_ASSERT(!c.collectionMode);
    CPPUNIT_ASSERT(!c.role);
    CPPUNIT_ASSERT(!c.electorSocket);
    CPPUNIT_ASSERT_EQUAL(int64_t{5000}, int64_t{c.inventoryPollInterval.count()});
    CPPUNIT_ASSERT_EQUAL(int64_t{20}, c.inventoryKeep);
    CPPUNIT_ASSERT_EQUAL(std::string("/var/lib/promsnmp"), c.stateDir);
    CPPUNIT_ASSERT_EQUAL(int64_t{256}, c.snmpMaxInFlight);
    CPPUNIT_ASSERT_EQUAL(int64_t{4}, c.snmpMaxInFlightPerDevice);
    CPPUNIT_ASSERT_EQUAL(int64_t{25}, c.snmpMaxRepetitions);
    CPPUNIT_ASSERT(c.snmpModuleFiles.empty());
    CPPUNIT_ASSERT(!c.snmpAllowUnlistedTargets);
    CPPUNIT_ASSERT(!c.snmpModulesExpandEnvironment);
    CPPUNIT_ASSERT_EQUAL(int64_t{16 << 20}, c.maxRequestBodyBytes);
    CPPUNIT_ASSERT_EQUAL(int64_t{250}, int64_t{c.scrapeTimeoutMargin.count()});
    CPPUNIT_ASSERT_EQUAL(int64_t{10000}, int64_t{c.scrapeDefaultTimeout.count()});
    CPPUNIT_ASSERT_EQUAL(std::string("info"), c.logLevel);
    CPPUNIT_ASSERT_EQUAL(std::string("logfmt"), c.logFormat);
  }

  void testNoSourcesGiveDefaults() {
    const Config loaded = loadConfig(sources());
    const Config defaults;
    CPPUNIT_ASSERT_EQUAL(defaults.describe(), loaded.describe());
    CPPUNIT_ASSERT(loaded.configFile.empty());
    CPPUNIT_ASSERT(loaded.warnings.empty());
  }

  void testDefaultFileReadWhenPresent() {
    TempDir dir;
    ConfigSources s = sources();
    s.defaultFile = dir.path() + "/promsnmp.cfg";
    CPPUNIT_ASSERT_EQUAL(int64_t{30000}, int64_t{loadConfig(s).collectionInterval.count()});
    dir.write("promsnmp.cfg", "collection = { interval_ms = 15000; };\n");
    const Config c = loadConfig(s);
    CPPUNIT_ASSERT_EQUAL(int64_t{15000}, int64_t{c.collectionInterval.count()});
    CPPUNIT_ASSERT_EQUAL(s.defaultFile, c.configFile);
  }

  void testExplicitFileMustExist() {
    const auto p = problems(sources({}, {}, std::string("/nonexistent/promsnmp.cfg")));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, p.size());
    CPPUNIT_ASSERT(contains(p[0], "/nonexistent/promsnmp.cfg: cannot read config file"));
  }

  void testFileSettings() {
    TempDir dir;
    const std::string path = dir.write("p.cfg", R"(
web = { listen_address = "127.0.0.1:9116"; max_request_body = 2048; };
inventory = { file = "/srv/inv.json"; poll_interval_ms = 1000; keep = 5; };
collection = { interval_ms = 60000; mode = "scraped"; };
cache = { expire_ms = 600000; max_entries = 50; stats_interval_ms = 15000; };
discovery = { cron = "-"; zone = "UTC"; on_start = true; };
site = { id = "s1"; label = "Chicago POP"; description = "d"; address = "1 Main St";
         tenant_id = "t1"; latitude = 41.8781; longitude = -87; };
snmp = { max_in_flight = 64; max_in_flight_per_device = 2; max_repetitions = 50;
         module_files = "/etc/snmp.yml"; allow_unlisted_targets = true;
         modules_expand_environment = true; };
scrape = { timeout_margin_ms = 100; default_timeout_ms = 5000; };
elector = { socket = "/run/promsnmp/elector.sock"; role = "follower"; };
state = { dir = "/tmp/state"; };
log = { level = "debug"; format = "json"; };
)");
    const Config c = loadConfig(sources({}, {}, path));
    CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1:9116"), c.listenAddress);
    CPPUNIT_ASSERT_EQUAL(int64_t{2048}, c.maxRequestBodyBytes);
    CPPUNIT_ASSERT_EQUAL(std::string("/srv/inv.json"), c.inventoryFile);
    CPPUNIT_ASSERT_EQUAL(int64_t{1000}, int64_t{c.inventoryPollInterval.count()});
    CPPUNIT_ASSERT_EQUAL(int64_t{5}, c.inventoryKeep);
    CPPUNIT_ASSERT_EQUAL(int64_t{60000}, int64_t{c.collectionInterval.count()});
    CPPUNIT_ASSERT(c.collectionMode == CollectionMode::Scraped);
    CPPUNIT_ASSERT_EQUAL(int64_t{600000}, int64_t{c.cacheExpiry.count()});
    CPPUNIT_ASSERT_EQUAL(int64_t{50}, c.cacheMaxEntries);
    CPPUNIT_ASSERT_EQUAL(int64_t{15000}, int64_t{c.cacheStatsInterval.count()});
    CPPUNIT_ASSERT_EQUAL(std::string("-"), c.discoveryCron);
    CPPUNIT_ASSERT_EQUAL(std::string("UTC"), c.discoveryZone);
    CPPUNIT_ASSERT(c.discoveryOnStart);
    CPPUNIT_ASSERT_EQUAL(std::string("s1"), c.siteId);
    CPPUNIT_ASSERT_EQUAL(std::string("Chicago POP"), c.siteLabel);
    CPPUNIT_ASSERT_EQUAL(std::string("d"), c.siteDescription);
    CPPUNIT_ASSERT_EQUAL(std::string("1 Main St"), c.siteAddress);
    CPPUNIT_ASSERT_EQUAL(std::string("t1"), c.tenantId);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(41.8781, *c.siteLatitude, 1e-9);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(-87.0, *c.siteLongitude, 1e-9);
    CPPUNIT_ASSERT_EQUAL(int64_t{64}, c.snmpMaxInFlight);
    CPPUNIT_ASSERT_EQUAL(int64_t{2}, c.snmpMaxInFlightPerDevice);
    CPPUNIT_ASSERT_EQUAL(int64_t{50}, c.snmpMaxRepetitions);
    CPPUNIT_ASSERT(c.snmpModuleFiles == std::vector<std::string>{"/etc/snmp.yml"});
    CPPUNIT_ASSERT(c.snmpAllowUnlistedTargets);
    CPPUNIT_ASSERT(c.snmpModulesExpandEnvironment);
    CPPUNIT_ASSERT_EQUAL(int64_t{100}, int64_t{c.scrapeTimeoutMargin.count()});
    CPPUNIT_ASSERT_EQUAL(int64_t{5000}, int64_t{c.scrapeDefaultTimeout.count()});
    CPPUNIT_ASSERT_EQUAL(std::string("/run/promsnmp/elector.sock"), *c.electorSocket);
    CPPUNIT_ASSERT(c.role == Role::Follower);
    CPPUNIT_ASSERT_EQUAL(std::string("/tmp/state"), c.stateDir);
    CPPUNIT_ASSERT_EQUAL(std::string("debug"), c.logLevel);
    CPPUNIT_ASSERT_EQUAL(std::string("json"), c.logFormat);
    CPPUNIT_ASSERT_EQUAL(path, c.configFile);
  }

  void testJavaEnvironmentNames() {
    const Config c = loadConfig(sources({{"SERVER_PORT", "9090"},
                                         {"PROM_INV_FILE", "/data/inv.json"},
                                         {"COLLECTION_INTERVAL", "15000"},
                                         {"CACHE_EXP_MILLIS", "120000"},
                                         {"CACHE_ENTRY_CNT", "500"},
                                         {"CACHE_STATS_RATE_MILLIS", "15000"},
                                         {"DISCOVERY_CRON", "0 30 1 * * MON-FRI"},
                                         {"DISCOVERY_ZONE", "Europe/Berlin"},
                                         {"DISCOVERY_ON_START", "true"},
                                         {"PROM_SITE_ID", "site-7"},
                                         {"PROM_SITE_LABEL", "Chicago POP"},
                                         {"PROM_SITE_DESCR", "edge"},
                                         {"PROM_SITE_ADDR", "1 Main St"},
                                         {"PROM_TENANT_ID", "tenant-1"},
                                         {"PROM_SITE_LAT", "41.88"},
                                         {"PROM_SITE_LONG", "-87.63"},
                                         {"PROMSNMP_ROLE", "leader"},
                                         {"PROM_INV_KEEP", "7"}}));
    CPPUNIT_ASSERT_EQUAL(std::string(":9090"), c.listenAddress);
    CPPUNIT_ASSERT_EQUAL(std::string("/data/inv.json"), c.inventoryFile);
    CPPUNIT_ASSERT_EQUAL(int64_t{15000}, int64_t{c.collectionInterval.count()});
    CPPUNIT_ASSERT_EQUAL(int64_t{120000}, int64_t{c.cacheExpiry.count()});
    CPPUNIT_ASSERT_EQUAL(int64_t{500}, c.cacheMaxEntries);
    CPPUNIT_ASSERT_EQUAL(int64_t{15000}, int64_t{c.cacheStatsInterval.count()});
    CPPUNIT_ASSERT_EQUAL(std::string("0 30 1 * * MON-FRI"), c.discoveryCron);
    CPPUNIT_ASSERT_EQUAL(std::string("Europe/Berlin"), c.discoveryZone);
    CPPUNIT_ASSERT(c.discoveryOnStart);
    CPPUNIT_ASSERT_EQUAL(std::string("site-7"), c.siteId);
    CPPUNIT_ASSERT_EQUAL(std::string("Chicago POP"), c.siteLabel);
    CPPUNIT_ASSERT_EQUAL(std::string("edge"), c.siteDescription);
    CPPUNIT_ASSERT_EQUAL(std::string("1 Main St"), c.siteAddress);
    CPPUNIT_ASSERT_EQUAL(std::string("tenant-1"), c.tenantId);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(41.88, *c.siteLatitude, 1e-9);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(-87.63, *c.siteLongitude, 1e-9);
    CPPUNIT_ASSERT(c.role == Role::Leader);
    CPPUNIT_ASSERT_EQUAL(int64_t{7}, c.inventoryKeep);
    CPPUNIT_ASSERT_EQUAL(std::string("env SERVER_PORT"), c.sources.at("web.listen_address"));
  }

  void testPrecedence() {
    TempDir dir;
    const std::string path = dir.write("p.cfg",
                                       "collection = { interval_ms = 10000; };\n"
                                       "log = { level = \"debug\"; format = \"json\"; };\n"
                                       "state = { dir = \"/from/file\"; };\n");
    // file > default
    Config c = loadConfig(sources({}, {}, path));
    CPPUNIT_ASSERT_EQUAL(int64_t{10000}, int64_t{c.collectionInterval.count()});
    CPPUNIT_ASSERT_EQUAL(path + ":1", c.sources.at("collection.interval_ms"));
    // env > file
    c = loadConfig(
        sources({{"COLLECTION_INTERVAL", "20000"}, {"PROMSNMP_LOG_LEVEL", "warn"}}, {}, path));
    CPPUNIT_ASSERT_EQUAL(int64_t{20000}, int64_t{c.collectionInterval.count()});
    CPPUNIT_ASSERT_EQUAL(std::string("warn"), c.logLevel);
    CPPUNIT_ASSERT_EQUAL(std::string("/from/file"), c.stateDir);
    CPPUNIT_ASSERT_EQUAL(std::string("env COLLECTION_INTERVAL"),
                         c.sources.at("collection.interval_ms"));
    // flag > env > file
    c = loadConfig(sources({{"PROMSNMP_LOG_LEVEL", "warn"}, {"PROMSNMP_LOG_FORMAT", "logfmt"}},
                           {{"log.level", "error"}}, path));
    CPPUNIT_ASSERT_EQUAL(std::string("error"), c.logLevel);
    CPPUNIT_ASSERT_EQUAL(std::string("logfmt"), c.logFormat);
    CPPUNIT_ASSERT_EQUAL(std::string("flag --log.level"), c.sources.at("log.level"));
    CPPUNIT_ASSERT_EQUAL(std::string("env PROMSNMP_LOG_FORMAT"), c.sources.at("log.format"));
  }

  void testServerPortReplacesOnlyThePort() {
    TempDir dir;
    const std::string path =
        dir.write("p.cfg", "web = { listen_address = \"127.0.0.1:9000\"; };\n");
    CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1:9100"),
                         loadConfig(sources({{"SERVER_PORT", "9100"}}, {}, path)).listenAddress);
    CPPUNIT_ASSERT_EQUAL(
        std::string("[::1]:9200"),
        loadConfig(sources({{"SERVER_PORT", "9100"}, {"PROMSNMP_WEB_LISTEN_ADDRESS", "[::1]:9200"}},
                           {}, path))
            .listenAddress);
    CPPUNIT_ASSERT_EQUAL(std::string("0.0.0.0:9300"),
                         loadConfig(sources({{"SERVER_PORT", "9100"}},
                                            {{"web.listen-address", "0.0.0.0:9300"}}, path))
                             .listenAddress);
    const auto p = problems(sources({{"SERVER_PORT", "http"}}));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, p.size());
    CPPUNIT_ASSERT(contains(p[0], "env SERVER_PORT: must be a port number"));
  }

  void testDiscoveryZoneWinsOverTz() {
    // Java read only DISCOVERY_ZONE; its compose files set DISCOVERY_TZ. Both work here.
    Config c = loadConfig(sources({{"DISCOVERY_TZ", "UTC"}}));
    CPPUNIT_ASSERT_EQUAL(std::string("UTC"), c.discoveryZone);
    CPPUNIT_ASSERT_EQUAL(std::string("env DISCOVERY_TZ"), c.sources.at("discovery.zone"));
    c = loadConfig(sources({{"DISCOVERY_TZ", "UTC"}, {"DISCOVERY_ZONE", "Europe/Paris"}}));
    CPPUNIT_ASSERT_EQUAL(std::string("Europe/Paris"), c.discoveryZone);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, c.warnings.size());
    CPPUNIT_ASSERT(contains(c.warnings[0], "DISCOVERY_TZ=\"UTC\" is ignored: DISCOVERY_ZONE"));
    c = loadConfig(sources({{"DISCOVERY_TZ", "UTC"}, {"DISCOVERY_ZONE", "UTC"}}));
    CPPUNIT_ASSERT(c.warnings.empty());
  }

  void testBooleansAcceptSpringSpellings() {
    for (const char* yes : {"true", "TRUE", "True", "yes", "on", "1"}) {
      CPPUNIT_ASSERT_MESSAGE(yes,
                             loadConfig(sources({{"DISCOVERY_ON_START", yes}})).discoveryOnStart);
    }
    for (const char* no : {"false", "FALSE", "no", "off", "0"}) {
      CPPUNIT_ASSERT_MESSAGE(no,
                             !loadConfig(sources({{"DISCOVERY_ON_START", no}})).discoveryOnStart);
    }
    TempDir dir;
    CPPUNIT_ASSERT(
        loadConfig(sources({}, {}, dir.write("a.cfg", "discovery = { on_start = TRUE; };")))
            .discoveryOnStart);
    CPPUNIT_ASSERT(
        loadConfig(sources({}, {}, dir.write("b.cfg", "discovery = { on_start = \"yes\"; };")))
            .discoveryOnStart);
  }

  void testDurationsAcceptUnits() {
    CPPUNIT_ASSERT_EQUAL(
        int64_t{30000},
        int64_t{loadConfig(sources({{"COLLECTION_INTERVAL", "30s"}})).collectionInterval.count()});
    CPPUNIT_ASSERT_EQUAL(
        int64_t{120000},
        int64_t{loadConfig(sources({{"COLLECTION_INTERVAL", " 2m "}})).collectionInterval.count()});
    CPPUNIT_ASSERT_EQUAL(
        int64_t{3600000},
        int64_t{loadConfig(sources({{"CACHE_EXP_MILLIS", "1h"}})).cacheExpiry.count()});
    TempDir dir;
    const Config c = loadConfig(sources(
        {}, {}, dir.write("d.cfg", "cache = { expire_ms = \"5m\"; stats_interval_ms = 1500; };")));
    CPPUNIT_ASSERT_EQUAL(int64_t{300000}, int64_t{c.cacheExpiry.count()});
    CPPUNIT_ASSERT_EQUAL(int64_t{1500}, int64_t{c.cacheStatsInterval.count()});
    const auto p = problems(sources({{"COLLECTION_INTERVAL", "30 seconds"}}));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, p.size());
    CPPUNIT_ASSERT(contains(p[0], "env COLLECTION_INTERVAL: must be a duration"));
  }

  void testEmptyEnvironmentCountsAsUnset() {
    TempDir dir;
    const std::string path = dir.write("p.cfg", "site = { label = \"from file\"; };");
    const Config c = loadConfig(sources({{"COLLECTION_INTERVAL", ""},
                                         {"PROM_SITE_LABEL", ""},
                                         {"PROM_SITE_LAT", ""},
                                         {"PROM_INV_FILE", ""}},
                                        {}, path));
    CPPUNIT_ASSERT_EQUAL(int64_t{30000}, int64_t{c.collectionInterval.count()});
    CPPUNIT_ASSERT_EQUAL(std::string("from file"), c.siteLabel);
    CPPUNIT_ASSERT(!c.siteLatitude);
    CPPUNIT_ASSERT_EQUAL(std::string("/app/data/promsnmp-inventory.json"), c.inventoryFile);
  }

  void testOptionalSettings() {
    TempDir dir;
    const std::string path = dir.write(
        "p.cfg", "collection = { mode = \"all\"; };\nelector = { role = \"leader\"; };\n");
    Config c = loadConfig(sources({}, {}, path));
    CPPUNIT_ASSERT(c.collectionMode == CollectionMode::All);
    CPPUNIT_ASSERT(c.role == Role::Leader);
    // "auto" in the environment takes the file's choice back to unset.
    c = loadConfig(
        sources({{"PROMSNMP_COLLECTION_MODE", "auto"}, {"PROMSNMP_ROLE", "AUTO"}}, {}, path));
    CPPUNIT_ASSERT(!c.collectionMode);
    CPPUNIT_ASSERT(!c.role);
    c = loadConfig(sources({{"PROMSNMP_COLLECTION_MODE", "Scraped"}}));
    CPPUNIT_ASSERT(c.collectionMode == CollectionMode::Scraped);
    const auto p = problems(sources({{"PROMSNMP_ROLE", "boss"}}));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, p.size());
    CPPUNIT_ASSERT(contains(p[0], "env PROMSNMP_ROLE: must be one of leader, follower, auto"));
  }

  // Issue 14: snmp_exporter's --config.file (repeatable, globs) as one comma-separated setting.
  void testModuleSettings() {
    const Config c = loadConfig(sources({{"PROMSNMP_MODULES_FILES", " /etc/snmp.yml, ,d/*.yml ,"},
                                         {"PROMSNMP_ALLOW_UNLISTED_TARGETS", "true"},
                                         {"PROMSNMP_MODULES_EXPAND_ENVIRONMENT", "yes"}}));
    CPPUNIT_ASSERT(c.snmpModuleFiles == (std::vector<std::string>{"/etc/snmp.yml", "d/*.yml"}));
    CPPUNIT_ASSERT(c.snmpAllowUnlistedTargets);
    CPPUNIT_ASSERT(c.snmpModulesExpandEnvironment);
    CPPUNIT_ASSERT(contains(c.describe(),
                            "snmp.module_files = \"/etc/snmp.yml,d/*.yml\"  # env "
                            "PROMSNMP_MODULES_FILES\n"));
    CPPUNIT_ASSERT_EQUAL(std::string("env PROMSNMP_MODULES_FILES"),
                         c.sources.at("snmp.module_files"));
    const auto p = problems(sources({{"PROMSNMP_ALLOW_UNLISTED_TARGETS", "sometimes"}}));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, p.size());
    CPPUNIT_ASSERT_MESSAGE(p[0], contains(p[0], "env PROMSNMP_ALLOW_UNLISTED_TARGETS"));
  }

  void testFileErrorsReportedTogether() {
    TempDir dir;
    const std::string path = dir.write("bad.cfg",
                                       "collection = {\n"
                                       "  interval_ms = 10;\n"      // line 2: below 1000
                                       "  intervall_ms = 30000;\n"  // line 3: typo
                                       "};\n"
                                       "log = { level = \"verbose\"; };\n"      // line 5
                                       "snmp = { max_in_flight = [1, 2]; };\n"  // line 6
                                       "nonsense = { a = 1; };\n"               // line 7
                                       "site = { latitude = 91.5; };\n");       // line 8
    const auto p = problems(sources({}, {}, path));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(joined(p), size_t{6}, p.size());
    CPPUNIT_ASSERT_EQUAL(path +
                             ":2: collection.interval_ms: must be a duration in milliseconds "
                             "from 1000 to 86400000 (a number, or with a unit: 30s, 5m, 1h) "
                             "(got \"10\")",
                         p[0]);
    CPPUNIT_ASSERT_EQUAL(path +
                             ":3: unknown setting 'collection.intervall_ms' (did you mean "
                             "'collection.interval_ms'?)",
                         p[1]);
    CPPUNIT_ASSERT_EQUAL(path +
                             ":5: log.level: must be one of debug, info, warn, error (got "
                             "\"verbose\")",
                         p[2]);
    CPPUNIT_ASSERT_EQUAL(path + ":6: snmp.max_in_flight: must be a single value, not an array",
                         p[3]);
    CPPUNIT_ASSERT_EQUAL(path + ":7: unknown group 'nonsense'", p[4]);
    CPPUNIT_ASSERT(contains(p[5], path + ":8: site.latitude: must be a number from -90 to 90"));
  }

  void testParseErrorHasFileAndLine() {
    TempDir dir;
    const std::string path =
        dir.write("syntax.cfg", "web = {\n  listen_address = \":8080\"\n  oops oops;\n};\n");
    const auto p = problems(sources({}, {}, path));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, p.size());
    CPPUNIT_ASSERT_MESSAGE(p[0], contains(p[0], path + ":3: syntax error"));
  }

  void testIncludedFileErrorsNameThatFile() {
    TempDir dir;
    const std::string included = dir.write("snmp.cfg", "snmp = {\n  max_repetitions = 0;\n};\n");
    // Relative includes resolve against the main file's directory, not the working directory.
    const std::string path = dir.write("main.cfg", "# main\n@include \"snmp.cfg\"\n");
    const auto p = problems(sources({}, {}, path));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, p.size());
    CPPUNIT_ASSERT_MESSAGE(p[0], contains(p[0], "snmp.cfg:2: snmp.max_repetitions: must be"));
  }

  void testBadEnvironmentValuesNamed() {
    const auto p = problems(sources({{"COLLECTION_INTERVAL", "abc"},
                                     {"DISCOVERY_ON_START", "maybe"},
                                     {"PROM_SITE_LAT", "north"},
                                     {"CACHE_ENTRY_CNT", "0"},
                                     {"PROMSNMP_LOG_FORMAT", "xml"}}));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(joined(p), size_t{5}, p.size());
    const std::string all = joined(p);
    CPPUNIT_ASSERT(contains(all, "env COLLECTION_INTERVAL: must be a duration in milliseconds"));
    CPPUNIT_ASSERT(contains(all, "env DISCOVERY_ON_START: must be true or false (got \"maybe\")"));
    CPPUNIT_ASSERT(contains(all, "env PROM_SITE_LAT: must be a number from -90 to 90"));
    CPPUNIT_ASSERT(
        contains(all, "env CACHE_ENTRY_CNT: must be an integer from 1 to 10000000 (got \"0\")"));
    CPPUNIT_ASSERT(contains(all, "env PROMSNMP_LOG_FORMAT: must be one of logfmt, json"));
  }

  void testBadAndUnknownFlags() {
    const auto p = problems(sources({}, {{"log.level", "loud"}, {"web.listen-adress", ":1"}}));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(joined(p), size_t{2}, p.size());
    const std::string all = joined(p);
    CPPUNIT_ASSERT(contains(all, "flag --log.level: must be one of debug, info, warn, error"));
    CPPUNIT_ASSERT(contains(all, "flag --web.listen-adress: unknown flag"));
  }

  void testErrorsFromAllSourcesTogether() {
    TempDir dir;
    const std::string path = dir.write("p.cfg", "cache = { max_entries = -1; };\n");
    const auto p =
        problems(sources({{"COLLECTION_INTERVAL", "x"}}, {{"log.format", "yaml"}}, path));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(joined(p), size_t{3}, p.size());
    CPPUNIT_ASSERT(contains(p[0], path + ":1: cache.max_entries"));
    CPPUNIT_ASSERT(contains(p[1], "env COLLECTION_INTERVAL"));
    CPPUNIT_ASSERT(contains(p[2], "flag --log.format"));
  }

  void testBounds() {
    CPPUNIT_ASSERT(!problems(sources({{"COLLECTION_INTERVAL", "999"}})).empty());
    CPPUNIT_ASSERT(problems(sources({{"COLLECTION_INTERVAL", "1000"}})).empty());
    CPPUNIT_ASSERT(!problems(sources({{"COLLECTION_INTERVAL", "86400001"}})).empty());
    CPPUNIT_ASSERT(!problems(sources({{"COLLECTION_INTERVAL", "99999999999999999999"}})).empty());
    CPPUNIT_ASSERT(!problems(sources({{"PROMSNMP_SNMP_MAX_REPETITIONS", "1001"}})).empty());
    CPPUNIT_ASSERT(!problems(sources({{"PROM_INV_KEEP", "1"}})).empty());
    CPPUNIT_ASSERT(!problems(sources({{"PROM_SITE_LONG", "180.5"}})).empty());
    CPPUNIT_ASSERT(!problems(sources({{"PROM_SITE_LONG", "nan"}})).empty());
    CPPUNIT_ASSERT(problems(sources({{"PROM_SITE_LONG", "-180"}})).empty());
    CPPUNIT_ASSERT(!problems(sources({{"PROMSNMP_STATE_DIR", "  "}})).empty());
    TempDir dir;
    CPPUNIT_ASSERT(
        !problems(sources({}, {}, dir.write("f.cfg", "snmp = { max_repetitions = 2.5; };")))
             .empty());
  }

  void testCronValidation() {
    for (const char* good :
         {"-", "0 0 2 * * *", "0 */15 * * * MON-FRI", "0 0 2 L * ?", "0 0 0 ? * 1#2",
          "*/10 0-30/5 8-18 1,15 JAN-MAR *", "@daily", "@HOURLY", "0 0 2 * * 7"}) {
      const auto p = problems(sources({{"DISCOVERY_CRON", good}}));
      CPPUNIT_ASSERT_MESSAGE(std::string(good) + ": " + joined(p), p.empty());
    }
    const std::map<std::string, std::string> bad = {
        {"0 2 * * *", "must have 6 fields"},
        {"0 0 2 * * * *", "must have 6 fields"},
        {"0 0 25 * * *", "hour field '25': value 25 out of range 0-23"},
        {"60 0 2 * * *", "second field '60': value 60 out of range 0-59"},
        {"0 0 2 0 * *", "day-of-month field '0': value 0 out of range 1-31"},
        {"0 0 2 * FOO *", "month field 'FOO'"},
        {"0 0 2 * * */0", "day-of-week field '*/0': step in '*/0' must be 1 or higher"},
        {"@sometimes", "must have 6 fields"},
        {"", "empty cron expression"},
    };
    for (const auto& [cron, message] : bad) {
      ConfigSources s = sources();
      TempDir dir;
      s.file = dir.write("c.cfg", "discovery = { cron = \"" + cron + "\"; };\n");
      const auto p = problems(s);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(cron, size_t{1}, p.size());
      CPPUNIT_ASSERT_MESSAGE(cron + ": " + p[0], contains(p[0], message));
    }
  }

  void testListenAddressValidation() {
    for (const char* good : {":8080", "0.0.0.0:9116", "localhost:1", "[::1]:8080", "[::]:0"}) {
      CPPUNIT_ASSERT_MESSAGE(good, problems(sources({}, {{"web.listen-address", good}})).empty());
    }
    for (const char* bad : {"8080", ":", ":http", ":65536", "::1:8080", "[::1:8080", "a b:80"}) {
      CPPUNIT_ASSERT_MESSAGE(bad, !problems(sources({}, {{"web.listen-address", bad}})).empty());
    }
  }

  void testCrossChecks() {
    auto p = problems(sources({{"PROMSNMP_SNMP_MAX_IN_FLIGHT", "2"}}));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, p.size());
    CPPUNIT_ASSERT_EQUAL(std::string("env PROMSNMP_SNMP_MAX_IN_FLIGHT: "
                                     "snmp.max_in_flight_per_device (4) must not exceed "
                                     "snmp.max_in_flight (2)"),
                         p[0]);
    TempDir dir;
    const std::string path = dir.write("x.cfg", "\nscrape = { timeout_margin_ms = 10000; };\n");
    p = problems(sources({}, {}, path));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, p.size());
    CPPUNIT_ASSERT(contains(p[0], path + ":2: scrape.timeout_margin_ms (10000) must be less than"));
    const Config c = loadConfig(sources({{"CACHE_EXP_MILLIS", "10000"}}));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, c.warnings.size());
    CPPUNIT_ASSERT(contains(c.warnings[0], "shorter than collection.interval_ms"));
  }

  void testShippedFileLoads() {
    const Config c = loadConfig(sources({}, {}, kShippedConfig));
    CPPUNIT_ASSERT_EQUAL(kShippedConfig, c.configFile);
    CPPUNIT_ASSERT_EQUAL(Config().describe().substr(Config().describe().find('\n')),
                         c.describe().substr(c.describe().find('\n')));
  }

  // Uncommenting every commented-out setting of the shipped file must give exactly the built-in
  // defaults: the file's documented defaults cannot drift from the table.
  void testShippedFileDocumentsDefaults() {
    std::ifstream in(kShippedConfig);
    CPPUNIT_ASSERT(in.good());
    const std::regex commented(R"(^(\s*)#\s*([a-z_]+\s*=\s*.*;)\s*$)");
    std::string uncommented;
    size_t settings = 0;
    for (std::string line; std::getline(in, line);) {
      std::smatch m;
      if (std::regex_match(line, m, commented)) {
        line = m[1].str() + m[2].str();
        ++settings;
      }
      uncommented += line + "\n";
    }
    TempDir dir;
    const Config c = loadConfig(sources({}, {}, dir.write("uncommented.cfg", uncommented)));
    const auto defaults = Config().items();
    const auto loaded = c.items();
    CPPUNIT_ASSERT_EQUAL(defaults.size(), loaded.size());
    size_t fromFile = 0;
    for (size_t i = 0; i < defaults.size(); ++i) {
      CPPUNIT_ASSERT_EQUAL_MESSAGE(defaults[i].key, defaults[i].value, loaded[i].value);
      fromFile += loaded[i].source != "default" ? 1 : 0;
    }
    CPPUNIT_ASSERT_EQUAL(settings, fromFile);
    // Every setting with a default value is shown; optional ones appear as "Example:" lines.
    for (const auto& item : defaults) {
      const std::string leaf = item.key.substr(item.key.find('.') + 1);
      if (item.key.rfind("inventory.encrypt_key", 0) == 0) {
        continue;  // environment only, documented in prose
      }
      std::ifstream again(kShippedConfig);
      const std::string text((std::istreambuf_iterator<char>(again)), {});
      CPPUNIT_ASSERT_MESSAGE(item.key, contains(text, "# " + leaf + " = ") ||
                                           contains(text, "Example: " + leaf + " = ") ||
                                           contains(text, "; " + leaf + " = "));
    }
  }

  void testShippedFileNamesEveryEnvironmentVariable() {
    std::ifstream in(kShippedConfig);
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    for (const auto& setting : settingsTable()) {
      for (const auto& env : setting.env) {
        CPPUNIT_ASSERT_MESSAGE(env, contains(text, env));
      }
      if (!setting.flag.empty()) {
        CPPUNIT_ASSERT_MESSAGE(setting.flag, contains(text, "--" + setting.flag));
      }
    }
  }

  void testSecretsMaskedInDescribe() {
    const std::string key = "0123456789ABCDEF";
    const std::string previous = "previous-key-text";
    const Config c = loadConfig(sources({{"PROM_ENCRYPT_KEY", key},
                                         {"PROM_ENCRYPT_KEY_PREVIOUS", previous},
                                         {"PROM_ENCRYPT_KEY_FILE", "/etc/promsnmp/key"}}));
    CPPUNIT_ASSERT_EQUAL(key, c.encryptKey.reveal());
    const std::string text = c.describe();
    CPPUNIT_ASSERT(!contains(text, key));
    CPPUNIT_ASSERT(!contains(text, previous));
    CPPUNIT_ASSERT(contains(text, "inventory.encrypt_key = <secret>  # env PROM_ENCRYPT_KEY\n"));
    CPPUNIT_ASSERT(contains(text, "inventory.encrypt_key_previous = <secret>"));
    CPPUNIT_ASSERT(contains(text, "inventory.encrypt_key_file = \"/etc/promsnmp/key\""));
    std::ostringstream streamed;
    streamed << c.encryptKey;
    CPPUNIT_ASSERT_EQUAL(std::string("<secret>"), streamed.str());
    CPPUNIT_ASSERT(contains(Config().describe(), "inventory.encrypt_key = <unset>  # default"));
    // Java treats a set-but-empty key as "no encryption": presence is what counts.
    CPPUNIT_ASSERT(loadConfig(sources({{"PROM_ENCRYPT_KEY", ""}})).encryptKey.isSet());
  }

  void testKeyInFileRejectedWithoutEcho() {
    TempDir dir;
    const std::string path =
        dir.write("k.cfg", "inventory = {\n  encrypt_key = \"TOPSECRETVALUE12\";\n};\n");
    const auto p = problems(sources({}, {}, path));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, p.size());
    CPPUNIT_ASSERT_EQUAL(path +
                             ":2: inventory.encrypt_key cannot be set in the config file; set "
                             "PROM_ENCRYPT_KEY (or a key file) in the environment instead",
                         p[0]);
  }

  void testDescribeShowsSources() {
    TempDir dir;
    const std::string path = dir.write("p.cfg", "site = { label = \"Chicago \\\"POP\\\"\"; };\n");
    const Config c =
        loadConfig(sources({{"PROM_SITE_LAT", "41.5"}}, {{"log.level", "debug"}}, path));
    const std::string text = c.describe();
    CPPUNIT_ASSERT(contains(text, "# promsnmp configuration; file: " + path + "\n"));
    CPPUNIT_ASSERT(contains(text, "site.label = \"Chicago \\\"POP\\\"\"  # " + path + ":1\n"));
    CPPUNIT_ASSERT(contains(text, "site.latitude = 41.5  # env PROM_SITE_LAT\n"));
    CPPUNIT_ASSERT(contains(text, "log.level = \"debug\"  # flag --log.level\n"));
    CPPUNIT_ASSERT(contains(text, "collection.mode = <unset>  # default\n"));
    CPPUNIT_ASSERT(contains(text, "collection.interval_ms = 30000  # default\n"));
    // Every shown setting has one line.
    CPPUNIT_ASSERT_EQUAL(c.items().size() + 1, size_t(std::count(text.begin(), text.end(), '\n')));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConfigTest);
