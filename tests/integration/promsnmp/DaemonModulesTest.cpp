// The daemon's snmp_exporter interface as an operator uses it (issue 14, scope 1-3): the
// catalogue's etc/modules/mib2.yml, host-resources.yml and ucd.yml with the project's test module
// file (tests/data/modules/peer-current.yml) on a daemon whose inventory holds
// the snmpsim Catalyst 3750 recording (sysName Profiler3750). The agent answers one community
// only, the inventory's; the module file's own auths use other communities, so a scrape polled
// with the wrong credentials gets no data. A second module file of the test adds one auth,
// `site_v2`, with the inventory's community. Checked:
// - an inventory device scraped by sysName and by address with `module=` and no `auth` is polled
//   with the inventory's credentials; the answer has the module series (equal to what
//   snmpbulkwalk reads), snmp_exporter's snmp_scrape_* series and promsnmp's per-module and
//   per-target status; the next scrapes (by address, `module` repeated, /metrics?target=) are
//   served from the cache under the same key;
// - `auth=` chooses the credentials: the wrong community gives promsnmp_target_up 0 and
//   promsnmp_module_up 0 with no module series, the right one data;
// - an unlisted address is a 404 naming snmp.allow_unlisted_targets; an unknown module or auth,
//   or `auth` given twice, a 400 worded as snmp_exporter's (main.go handler());
// - without `module`, /snmp?target= answers line for line as a daemon without module files;
// - a device whose inventory entry names modules and an auth (issue 15) is polled with them in
//   the background (collection.mode all) and not with the interface set; /snmp?target= and
//   /metrics?target= without `module` serve that poll, as `module=` with its modules and `auth=`
//   its auth does (the same cache entry); /targets carries __meta_promsnmp_modules and
//   __meta_promsnmp_auth for it (no __param_: the plain scrape serves them) and nothing more for a
//   device without modules; a device naming a module no file defines is reported
//   (promsnmp_module_up 0, health details, promsnmp_device_module_problems, log);
// - a scraped module set is polled in the background (collection.mode scraped);
// - a module file made invalid is refused by /-/reload (500, file:line) and SIGHUP, the modules
//   in force stay served; a valid one with one more module is taken; the metric
//   promsnmp_modules_config_last_reload_successful follows;
// - an invalid module file at start is exit 78 with file:line on stderr;
// - promtool parses a module answer with no finding but the MIB names' camelCase and counters.
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <iterator>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <cppunit/extensions/HelperMacros.h>

#include "DaemonHelpers.h"
#include "ProcessHelpers.h"
#include "PromtoolFindings.h"
#include "SeriesDiff.h"
#include "SnmpAgentHelpers.h"

using namespace testing;

namespace {

using Clock = std::chrono::steady_clock;

const char* const kDevice = "Profiler3750";  // the recording's sysName
/// The inventory's community, the only one the agent answers (the name snmpsimd serves the
/// recording under).
const char* const kCommunity = "inventory-community-3750";
/// An auth of the project's module file: its community is not the agent's.
const char* const kWrongAuth = "linux-full-walk";
/// The test's own auth, with the inventory's community.
const char* const kRightAuth = "site_v2";
const std::string kModulesFile = std::string(PROMSNMP_TEST_DATA) + "/modules/peer-current.yml";
/// The catalogue's files loaded with it (comma-separated, as PROMSNMP_MODULES_FILES takes them).
const std::string kCatalogueFiles = std::string(PROMSNMP_SOURCE_DIR) + "/etc/modules/mib2.yml," +
                                    PROMSNMP_SOURCE_DIR + "/etc/modules/host-resources.yml," +
                                    PROMSNMP_SOURCE_DIR + "/etc/modules/ucd.yml";
/// The modules of kCatalogueFiles and kModulesFile.
constexpr double kFileModules = 13;
/// The scrapes' X-Prometheus-Scrape-Timeout-Seconds (Prometheus sends its scrape_timeout): room
/// for retries of snmp_exporter's 5 s timeout on a loaded machine. The HTTP wait is longer.
const char* const kScrapeTimeoutHeader = "25";
constexpr int kScrapeTimeoutMs = 30000;
/// The recording's sysUpTime.0 (static in the .snmprec).
const char* const kSysUpTime = "697202257";

/// One snmpsimd for the suite: it takes seconds to index the recording.
SnmpSimAgent& simAgent() {
  static SnmpSimAgent agent([] {
    SnmpSimAgent::Options options;
    options.community = kCommunity;
    return options;
  }());
  return agent;
}

size_t lineCount(const std::string& text) {
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// The value of a sample as a number; NaN when there is no such sample.
double number(const std::vector<Sample>& samples, const std::string& name,
              const std::map<std::string, std::string>& labels = {}) {
  const std::string text = sampleValue(samples, name, labels);
  return text.empty() ? std::nan("") : std::stod(text);
}

/// The same, absent counted as 0 (a labelled counter appears at its first increment).
double counter(const std::vector<Sample>& samples, const std::string& name,
               const std::map<std::string, std::string>& labels = {}) {
  const double value = number(samples, name, labels);
  return std::isnan(value) ? 0 : value;
}

/// The samples that are neither promsnmp's nor snmp_exporter's meta series: a module's data.
std::vector<Sample> moduleSeries(const std::vector<Sample>& samples) {
  std::vector<Sample> out;
  for (const Sample& s : samples) {
    if (s.name.rfind("promsnmp_", 0) != 0 && s.name.rfind("snmp_scrape_", 0) != 0) {
      out.push_back(s);
    }
  }
  return out;
}

/// A module appended to the module file for the reload tests: sysUpTime by GET.
std::string uptimeModule(const std::string& name) {
  return "  " + name +
         ":\n"
         "    get:\n"
         "    - 1.3.6.1.2.1.1.3.0\n"
         "    metrics:\n"
         "    - name: sysUpTime\n"
         "      oid: 1.3.6.1.2.1.1.3\n"
         "      type: gauge\n"
         "      help: The time since the network management portion of the system was last "
         "re-initialized.\n";
}

/// A module with a key snmp_exporter does not know (config.go's UnmarshalStrict refuses it),
/// appended to the module file; `colour` is its 4th line.
const char* const kBrokenModule =
    "  broken:\n"
    "    walk:\n"
    "    - 1.3.6.1.2.1.1\n"
    "    colour: blue\n";

/// Lines whose values are timings, compared by name and labels only.
bool timingLine(const std::string& line) {
  for (const char* name :
       {"snmp_scrape_duration_seconds", "promsnmp_target_poll_age_seconds",
        "promsnmp_target_data_age_seconds", "promsnmp_target_poll_duration_seconds"}) {
    if (line.rfind(std::string(name) + "{", 0) == 0 ||
        line.rfind(std::string(name) + " ", 0) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace

class DaemonModulesTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DaemonModulesTest);
  CPPUNIT_TEST(testInventoryDeviceByNameAndAddressFromCache);
  CPPUNIT_TEST(testAuthParameterChoosesCredentials);
  CPPUNIT_TEST(testRefusalsWordedAsSnmpExporter);
  CPPUNIT_TEST(testWithoutModuleAnswersAsWithoutModuleFiles);
  CPPUNIT_TEST(testScrapedModuleSetPolledInBackground);
  CPPUNIT_TEST(testInventoryModulesPolledAndServedWithoutModule);
  CPPUNIT_TEST(testReloadKeepsModulesWhenInvalid);
  CPPUNIT_TEST(testInvalidModuleFileAtStartExits78);
  CPPUNIT_TEST(testPromtoolOnModuleAnswer);
  CPPUNIT_TEST(testInventoryPostChecksModulesAndAuths);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    dir_ = std::make_unique<TempDir>();
    auths_ = dir_->path() + "/auths.yml";
    std::ofstream(auths_) << "# The inventory's community as an auth, for auth=.\n"
                          << "auths:\n"
                          << "  " << kRightAuth << ":\n"
                          << "    community: " << kCommunity << "\n"
                          << "    version: 2\n";
    env_ = {{"PROM_INV_FILE", dir_->path() + "/share/promsnmp-inventory.json"},
            {"PROM_ENCRYPT_KEY", "daemon modules test key"},
            {"PROMSNMP_STATE_DIR", dir_->path() + "/state"},
            {"PROMSNMP_COLLECTION_MODE", "scraped"},
            {"COLLECTION_INTERVAL", "3600000"},
            {"PROMSNMP_MODULES_FILES", kCatalogueFiles + "," + kModulesFile + "," + auths_}};
    inventoryCli(env_, {"init"});
    inventoryCli(env_, {"add-device", "--sys-name", kDevice, "--address", "127.0.0.1", "--port",
                        std::to_string(simAgent().port()), "--community", kCommunity, "--timeout",
                        "3000", "--retries", "1"});
  }

  void tearDown() override {
    daemon_.reset();
    dir_.reset();
  }

  /// `module=system,if_mib` without auth, by sysName, then by address: the inventory's
  /// credentials (no auth of the module file answers; the test's own is left out), the series
  /// snmpbulkwalk reads, with snmp_exporter's labels (the lookups of mib2.yml); the address
  /// is the same device, so the same cache key: a hit, as are `module` repeated (snmp_exporter
  /// 0.24's form, main.go parseModules) and /metrics?target=.
  void testInventoryDeviceByNameAndAddressFromCache() {
    // No auth in force has the agent's community.
    env_["PROMSNMP_MODULES_FILES"] = kCatalogueFiles + "," + kModulesFile;
    startDaemon();
    const std::map<std::string, std::string> hits = {{"cache", "metrics"}, {"result", "hit"}};
    const std::map<std::string, std::string> misses = {{"cache", "metrics"}, {"result", "miss"}};
    std::vector<Sample> before = selfMetrics();

    Clock::time_point start = Clock::now();
    HttpAnswer byName = scrape(std::string("target=") + kDevice + "&module=system,if_mib");
    const double liveSeconds = secondsSince(start);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(byName.body, 200, byName.status);
    CPPUNIT_ASSERT_EQUAL(std::string("text/plain; version=0.0.4; charset=utf-8"),
                         byName.contentType);
    checkSystemAndIfMib(byName);
    std::vector<Sample> afterLive = selfMetrics();
    CPPUNIT_ASSERT_EQUAL(counter(before, "cache_gets_total", misses) + 1,
                         counter(afterLive, "cache_gets_total", misses));
    CPPUNIT_ASSERT_EQUAL(counter(before, "cache_gets_total", hits),
                         counter(afterLive, "cache_gets_total", hits));

    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    start = Clock::now();
    HttpAnswer byAddress =
        scrape("target=127.0.0.1:" + std::to_string(simAgent().port()) + "&module=system,if_mib");
    const double cachedSeconds = secondsSince(start);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(byAddress.body, 200, byAddress.status);
    checkSystemAndIfMib(byAddress);
    std::vector<Sample> cached = parseSamples(byAddress.body);
    const double age = number(cached, "promsnmp_target_data_age_seconds", {{"target", kDevice}});
    CPPUNIT_ASSERT_MESSAGE(std::to_string(age), age >= 1.0 && age < 30);
    std::vector<Sample> afterHit = selfMetrics();
    CPPUNIT_ASSERT_EQUAL(counter(afterLive, "cache_gets_total", hits) + 1,
                         counter(afterHit, "cache_gets_total", hits));
    CPPUNIT_ASSERT_EQUAL(counter(afterLive, "cache_gets_total", misses),
                         counter(afterHit, "cache_gets_total", misses));
    std::cerr << "\nDaemonModulesTest: system+if_mib live in " << liveSeconds << " s, cached in "
              << cachedSeconds << " s\n";
    CPPUNIT_ASSERT_MESSAGE(
        std::to_string(cachedSeconds) + " s cached, " + std::to_string(liveSeconds) + " s live",
        cachedSeconds < liveSeconds);

    HttpAnswer repeated = scrape(std::string("target=") + kDevice + "&module=system&module=if_mib");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(repeated.body, 200, repeated.status);
    HttpAnswer javaPath = httpRequest(
        daemon_->port(), "GET", std::string("/metrics?target=") + kDevice + "&module=if_mib,system",
        {}, {}, kScrapeTimeoutMs);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(javaPath.body, 200, javaPath.status);
    CPPUNIT_ASSERT_EQUAL(counter(afterHit, "cache_gets_total", hits) + 2,
                         counter(selfMetrics(), "cache_gets_total", hits));
    // The same poll served each time: every series but the per-target status is equal.
    const SeriesSet first = parseSeries(byName.body, {"promsnmp_target_"});
    for (const HttpAnswer* other : {&byAddress, &repeated, &javaPath}) {
      const SeriesDiff diff = diffSeries(first, parseSeries(other->body, {"promsnmp_target_"}));
      CPPUNIT_ASSERT_MESSAGE(diff.report("first", "later"), diff.empty());
    }
  }

  /// `auth=` on an inventory device polls it with that auth at the inventory's address
  /// (snmp_exporter: the auth named by the URL; reference §2). The module file's auth answers
  /// nothing (4 tries of snmp_exporter's default 5 s: the scrape waits for the failure); the
  /// test's auth, with the inventory's community, gets the data.
  void testAuthParameterChoosesCredentials() {
    startDaemon();
    const std::string target = std::string("target=") + kDevice + "&module=system";
    auto wrong = std::async(std::launch::async, [&] {
      return httpRequest(daemon_->port(), "GET", "/snmp?" + target + "&auth=" + kWrongAuth,
                         {{"X-Prometheus-Scrape-Timeout-Seconds", "40"}}, {}, 45000);
    });
    HttpAnswer right = scrape(target + "&auth=" + kRightAuth);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(right.body, 200, right.status);
    std::vector<Sample> good = parseSamples(right.body);
    CPPUNIT_ASSERT_EQUAL(1.0, number(good, "sysName", {{"sysName", kDevice}}));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(context(right), std::string(kSysUpTime),
                                 sampleValue(good, "sysUpTime"));
    CPPUNIT_ASSERT_EQUAL(1.0, number(good, "promsnmp_module_up", {{"module", "system"}}));
    CPPUNIT_ASSERT_EQUAL(1.0, number(good, "promsnmp_target_up", {{"target", kDevice}}));

    const Clock::time_point start = Clock::now();
    HttpAnswer failed = wrong.get();
    std::cerr << "\nDaemonModulesTest: the wrong auth failed after " << secondsSince(start)
              << " s more\n";
    CPPUNIT_ASSERT_EQUAL_MESSAGE(failed.body, 200, failed.status);
    std::vector<Sample> bad = parseSamples(failed.body);
    CPPUNIT_ASSERT_MESSAGE(failed.body, moduleSeries(bad).empty());
    CPPUNIT_ASSERT_EQUAL_MESSAGE(failed.body, 0.0,
                                 number(bad, "promsnmp_target_up", {{"target", kDevice}}));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(failed.body, 0.0,
                                 number(bad, "promsnmp_module_up", {{"module", "system"}}));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(failed.body, 1.0,
                                 number(bad, "promsnmp_target_poll_errors_total",
                                        {{"target", kDevice}, {"reason", "timeout"}}));
    // Polled with the module's walk parameters, snmp_exporter's defaults (config.go
    // DefaultWalkParams: timeout 5 s, retries 3): 4 tries of 5 s; nothing returned.
    const double took = number(bad, "promsnmp_target_poll_duration_seconds", {{"target", kDevice}});
    CPPUNIT_ASSERT_MESSAGE(std::to_string(took), took >= 19.5 && took < 25);
    CPPUNIT_ASSERT_EQUAL(0.0, number(bad, "snmp_scrape_pdus_returned", {{"module", "system"}}));
    // The inventory's credentials were not touched by the wrong auth: still served.
    HttpAnswer inventory = scrape(target);
    CPPUNIT_ASSERT_EQUAL(std::string(kSysUpTime),
                         sampleValue(parseSamples(inventory.body), "sysUpTime"));
  }

  /// snmp_exporter's handler() words its 400s with http.Error (text, one line); promsnmp refuses
  /// an address that is not in the inventory unless snmp.allow_unlisted_targets (off by
  /// default), with a 404 that says so.
  void testRefusalsWordedAsSnmpExporter() {
    startDaemon();
    const std::string device = std::string("target=") + kDevice;
    auto expect = [this](int status, const std::string& body, const std::string& query) {
      HttpAnswer answer = scrape(query);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(query + ": " + answer.body, status, answer.status);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(query, std::string("text/plain; charset=utf-8"),
                                   answer.contentType);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(query, body, answer.body);
    };
    const double unknownBefore = counter(selfMetrics(), "promsnmp_scrape_unknown_target_total");
    HttpAnswer unlisted = scrape("target=127.0.0.2:161&module=system");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(unlisted.body, 404, unlisted.status);
    CPPUNIT_ASSERT_MESSAGE(
        unlisted.body,
        unlisted.body.find("unknown target '127.0.0.2:161'") == 0 &&
            unlisted.body.find("snmp.allow_unlisted_targets is off") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(unknownBefore + 1,
                         counter(selfMetrics(), "promsnmp_scrape_unknown_target_total"));
    expect(400, "Unknown module 'nosuch'\n", device + "&module=nosuch");
    expect(400, "Unknown module 'nosuch'\n", device + "&module=system,nosuch");
    expect(400, "Unknown module 'nosuch'\n", device + "&module=system&module=nosuch");
    expect(400, "Unknown auth 'nosuch'\n", device + "&module=system&auth=nosuch");
    expect(400, "'auth' parameter must only be specified once\n",
           device + "&module=system&auth=" + kRightAuth + "&auth=" + kRightAuth);
    expect(400, "'snmp_context' parameter must only be specified once\n",
           device + "&module=system&snmp_context=a&snmp_context=b");
    // Nothing was polled for any of them.
    CPPUNIT_ASSERT_EQUAL(
        0.0, counter(selfMetrics(), "promsnmp_snmp_polls_total", {{"trigger", "scrape"}}));
  }

  /// Without `module`, the answer is PromSNMP's (issue 14 scope 2: "byte for byte"): compared
  /// line by line with a daemon started without module files on the same inventory, timings
  /// aside.
  void testWithoutModuleAnswersAsWithoutModuleFiles() {
    startDaemon();
    std::map<std::string, std::string> plainEnv = env_;
    plainEnv.erase("PROMSNMP_MODULES_FILES");
    plainEnv["PROMSNMP_STATE_DIR"] = dir_->path() + "/plain/state";
    std::filesystem::create_directories(dir_->path() + "/plain");
    Daemon plain(dir_->path() + "/plain", plainEnv);

    const std::string query = std::string("/snmp?target=") + kDevice;
    HttpAnswer ours = httpRequest(daemon_->port(), "GET", query, {}, {}, kScrapeTimeoutMs);
    HttpAnswer before = httpRequest(plain.port(), "GET", query, {}, {}, kScrapeTimeoutMs);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(ours.body, 200, ours.status);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(before.body, 200, before.status);
    CPPUNIT_ASSERT_EQUAL(before.contentType, ours.contentType);
    CPPUNIT_ASSERT_EQUAL(std::string(), sampleValue(parseSamples(ours.body), "promsnmp_module_up"));
    std::istringstream a(ours.body);
    std::istringstream b(before.body);
    std::string withModules;
    std::string without;
    size_t lines = 0;
    size_t timings = 0;
    while (std::getline(b, without)) {
      const bool more = static_cast<bool>(std::getline(a, withModules));
      CPPUNIT_ASSERT_MESSAGE("answer ends before: " + without, more);
      ++lines;
      if (timingLine(without)) {
        ++timings;
        const std::string series = without.substr(0, without.rfind(' '));
        CPPUNIT_ASSERT_EQUAL(series, withModules.substr(0, withModules.rfind(' ')));
      } else {
        CPPUNIT_ASSERT_EQUAL_MESSAGE("line " + std::to_string(lines), without, withModules);
      }
    }
    CPPUNIT_ASSERT_MESSAGE("answer goes on: " + withModules, !std::getline(a, withModules));
    std::cerr << "\nDaemonModulesTest: " << lines << " lines equal (" << timings
              << " timings by name)\n";
    CPPUNIT_ASSERT(lines > 1000);  // 59 interfaces
    CPPUNIT_ASSERT(timings >= 4);
  }

  /// A (device, module set) scraped once is polled every interval without further scrapes
  /// (collection.mode scraped; issue 14 scope 3), and the next scrape is served from it.
  void testScrapedModuleSetPolledInBackground() {
    env_["COLLECTION_INTERVAL"] = "1000";
    startDaemon();
    const std::map<std::string, std::string> interval = {{"trigger", "interval"},
                                                         {"result", "success"}};
    // Scraped mode: nothing was scraped, nothing is polled.
    CPPUNIT_ASSERT_EQUAL(0.0, counter(selfMetrics(), "promsnmp_snmp_polls_total", interval));
    const std::string query = std::string("target=") + kDevice + "&module=system";
    HttpAnswer first = scrape(query);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(first.body, 200, first.status);
    const double afterScrape = counter(selfMetrics(), "promsnmp_snmp_polls_total", interval);
    const Clock::time_point start = Clock::now();
    double polls = afterScrape;
    CPPUNIT_ASSERT_MESSAGE(std::to_string(polls), eventually(15, [&] {
                             polls = counter(selfMetrics(), "promsnmp_snmp_polls_total", interval);
                             return polls >= afterScrape + 3;
                           }));
    const double waited = secondsSince(start);
    std::cerr << "\nDaemonModulesTest: " << polls - afterScrape
              << " background polls of the module set in " << waited << " s\n";
    CPPUNIT_ASSERT_EQUAL(0.0, counter(selfMetrics(), "promsnmp_snmp_polls_total",
                                      {{"trigger", "interval"}, {"result", "failure"}}));
    HttpAnswer later = scrape(query);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(later.body, 200, later.status);
    std::vector<Sample> samples = parseSamples(later.body);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(context(later), std::string(kSysUpTime),
                                 sampleValue(samples, "sysUpTime"));
    const double age = number(samples, "promsnmp_target_data_age_seconds", {{"target", kDevice}});
    CPPUNIT_ASSERT_MESSAGE(std::to_string(age) + " s old after " + std::to_string(waited) + " s",
                           age < 1.5 && age < waited);
  }

  /// A reload keeps the last good module set when the files are invalid (snmp_exporter's
  /// reloadConfig keeps sc.C on error; reference §1.4), by /-/reload (500 naming file:line) and
  /// by SIGHUP; a valid file is taken at once.
  void testReloadKeepsModulesWhenInvalid() {
    const std::string modules = dir_->path() + "/modules.yml";
    std::ifstream in(kModulesFile);
    const std::string original((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    CPPUNIT_ASSERT(!original.empty() && original.back() == '\n');
    std::ofstream(modules) << original;
    env_["PROMSNMP_MODULES_FILES"] = kCatalogueFiles + "," + modules + "," + auths_;
    startDaemon();
    CPPUNIT_ASSERT_EQUAL(1.0,
                         number(selfMetrics(), "promsnmp_modules_config_last_reload_successful"));
    CPPUNIT_ASSERT_EQUAL(kFileModules, number(selfMetrics(), "promsnmp_modules_loaded"));
    const std::string brokenAt = modules + ":" + std::to_string(lineCount(original) + 4) + ":";
    std::string added;
    double loaded = kFileModules;
    for (const std::string& via : std::vector<std::string>{"http", "sighup"}) {
      // An unknown key: refused, the set in force stays.
      std::ofstream(modules) << original << added << kBrokenModule;
      if (via == "http") {
        HttpAnswer reload = httpRequest(daemon_->port(), "POST", "/-/reload");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(reload.body, 500, reload.status);
        CPPUNIT_ASSERT_MESSAGE(reload.body + "\nexpected " + brokenAt,
                               reload.body.find(brokenAt) != std::string::npos &&
                                   reload.body.find("colour") != std::string::npos);
      } else {
        CPPUNIT_ASSERT_EQUAL(0, daemon_->signal(SIGHUP));
        CPPUNIT_ASSERT(eventually(10, [&] {
          return number(selfMetrics(), "promsnmp_modules_config_last_reload_successful") == 0;
        }));
        CPPUNIT_ASSERT_MESSAGE(daemon_->log(), daemon_->log().find(brokenAt) != std::string::npos);
      }
      std::vector<Sample> metrics = selfMetrics();
      CPPUNIT_ASSERT_EQUAL(0.0, number(metrics, "promsnmp_modules_config_last_reload_successful"));
      CPPUNIT_ASSERT_EQUAL(loaded, number(metrics, "promsnmp_modules_loaded"));
      expectServed("system");
      const std::string module = "uptime_" + via;
      HttpAnswer notYet = scrape(std::string("target=") + kDevice + "&module=" + module);
      CPPUNIT_ASSERT_EQUAL(400, notYet.status);

      // Valid again, with one more module: taken.
      added += uptimeModule(module);
      std::ofstream(modules) << original << added;
      ++loaded;
      if (via == "http") {
        HttpAnswer reload = httpRequest(daemon_->port(), "POST", "/-/reload");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(reload.body, 200, reload.status);
      } else {
        CPPUNIT_ASSERT_EQUAL(0, daemon_->signal(SIGHUP));
        CPPUNIT_ASSERT(eventually(10, [&] {
          return number(selfMetrics(), "promsnmp_modules_config_last_reload_successful") == 1;
        }));
      }
      metrics = selfMetrics();
      CPPUNIT_ASSERT_EQUAL(1.0, number(metrics, "promsnmp_modules_config_last_reload_successful"));
      CPPUNIT_ASSERT_EQUAL(loaded, number(metrics, "promsnmp_modules_loaded"));
      expectServed(module);
    }
  }

  /// A module file that does not load stops the start (snmp_exporter refuses to start too), as
  /// a configuration error: exit 78 (sysexits EX_CONFIG) with file:line; --config.check too.
  void testInvalidModuleFileAtStartExits78() {
    const std::string bad = dir_->path() + "/bad.yml";
    std::ofstream(bad) << "modules:\n"
                       << "  system:\n"
                       << "    walk:\n"
                       << "    - 1.3.6.1.2.1.1\n"
                       << "    colour: blue\n";
    env_["PROMSNMP_MODULES_FILES"] = bad;
    const std::string bin = std::string(PROMSNMP_BIN_DIR) + "/promsnmp";
    ProcessResult started = runProcess(
        {bin, "--web.listen-address=127.0.0.1:" + std::to_string(freePort(SOCK_STREAM))}, env_, 30);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(started.err, 78, started.code);
    CPPUNIT_ASSERT_MESSAGE(started.err, started.err.find(bad + ":5:") != std::string::npos);
    ProcessResult check = runProcess({bin, "--config.check"}, env_, 30);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(check.err, 78, check.code);
    CPPUNIT_ASSERT_MESSAGE(check.err, check.err.find(bad + ":5:") != std::string::npos);
  }

  /// An inventory whose kDevice names `system` and the auth kRightAuth, beside `plain` (the same
  /// agent, no modules), imported; mode all. The first cycle, at start, polls kDevice's modules
  /// and plain's interfaces; scrapes without `module` are then served from that poll.
  void testInventoryModulesPolledAndServedWithoutModule() {
    const std::string agent =
        R"({"type":"snmp-community","endpoint":{"address":"127.0.0.1","port":)" +
        std::to_string(simAgent().port()) +
        R"(},"version":1,"timeout":3000,"retries":1,"readCommunity":")" + kCommunity + R"("})";
    const std::string file = dir_->path() + "/with-modules.json";
    std::ofstream(file) << R"({"devices":[{"sysName":")" << kDevice << R"(","agents":[)" << agent
                        << R"(],"primaryAgent":)" << agent << R"(,"modules":["system"],"auth":")"
                        << kRightAuth << R"("},{"sysName":"plain","agents":[)" << agent
                        << R"(],"primaryAgent":)" << agent << R"(},{"sysName":"stray","agents":[)"
                        << agent << R"(],"primaryAgent":)" << agent
                        << R"(,"modules":["no_such_module"]}],"discoverySeeds":[]})";
    env_["PROM_INV_FILE"] = dir_->path() + "/share-modules/promsnmp-inventory.json";
    env_["PROMSNMP_COLLECTION_MODE"] = "all";
    inventoryCli(env_, {"init", "--import", file});
    startDaemon();
    const std::map<std::string, std::string> intervalPolls = {{"trigger", "interval"},
                                                              {"result", "success"}};
    // Both polls counted and both results stored (the count comes just before the store).
    CPPUNIT_ASSERT_MESSAGE(daemon_->log(), eventually(20, [&] {
                             std::vector<Sample> now = selfMetrics();
                             return counter(now, "promsnmp_snmp_polls_total", intervalPolls) >= 2 &&
                                    counter(now, "promsnmp_cache_entries") >= 2;
                           }));
    std::vector<Sample> before = selfMetrics();
    // Interface polls are counted per target: plain had one, kDevice none.
    CPPUNIT_ASSERT_EQUAL(1.0,
                         counter(before, "promsnmp_target_polls_total", {{"target", "plain"}}));
    CPPUNIT_ASSERT_EQUAL(0.0,
                         counter(before, "promsnmp_target_polls_total", {{"target", kDevice}}));

    HttpAnswer plain = scrape(std::string("target=") + kDevice);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(plain.body, 200, plain.status);
    std::vector<Sample> samples = parseSamples(plain.body);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(context(plain), std::string(kSysUpTime),
                                 sampleValue(samples, "sysUpTime"));
    CPPUNIT_ASSERT_EQUAL(1.0, number(samples, "sysName", {{"sysName", kDevice}}));
    CPPUNIT_ASSERT_EQUAL(1.0, number(samples, "promsnmp_module_up", {{"module", "system"}}));
    CPPUNIT_ASSERT_EQUAL(1.0, number(samples, "promsnmp_target_up", {{"target", kDevice}}));
    CPPUNIT_ASSERT_MESSAGE(plain.body, plain.body.find("ifHCInOctets") == std::string::npos);
    HttpAnswer explicitly =
        scrape(std::string("target=") + kDevice + "&module=system&auth=" + kRightAuth);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(explicitly.body, 200, explicitly.status);
    HttpAnswer javaPath =
        httpRequest(daemon_->port(), "GET", std::string("/metrics?target=") + kDevice, {}, {},
                    kScrapeTimeoutMs);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(javaPath.body, 200, javaPath.status);
    // All three served from the background poll, and equal but for the per-target status.
    std::vector<Sample> after = selfMetrics();
    const std::map<std::string, std::string> hits = {{"cache", "metrics"}, {"result", "hit"}};
    CPPUNIT_ASSERT_EQUAL(counter(before, "cache_gets_total", hits) + 3,
                         counter(after, "cache_gets_total", hits));
    CPPUNIT_ASSERT_EQUAL(0.0, counter(after, "promsnmp_snmp_polls_total",
                                      {{"trigger", "scrape"}, {"result", "success"}}));
    const SeriesSet first = parseSeries(plain.body, {"promsnmp_target_"});
    for (const HttpAnswer* other : {&explicitly, &javaPath}) {
      const SeriesDiff diff = diffSeries(first, parseSeries(other->body, {"promsnmp_target_"}));
      CPPUNIT_ASSERT_MESSAGE(diff.report("without module", "with"), diff.empty());
    }
    // The device without modules keeps PromSNMP's interface answer.
    HttpAnswer interfaces = scrape("target=plain");
    CPPUNIT_ASSERT_EQUAL(200, interfaces.status);
    CPPUNIT_ASSERT(interfaces.body.find("ifHCInOctets{") != std::string::npos);
    CPPUNIT_ASSERT(interfaces.body.find("promsnmp_module_up") == std::string::npos);

    HttpAnswer targets = daemon_->get("/targets");
    CPPUNIT_ASSERT_EQUAL(200, targets.status);
    auto groups = Poco::JSON::Parser().parse(targets.body).extract<Poco::JSON::Array::Ptr>();
    CPPUNIT_ASSERT_EQUAL(size_t(3), groups->size());
    std::map<std::string, Poco::JSON::Object::Ptr> labelsOf;
    for (size_t i = 0; i < groups->size(); ++i) {
      Poco::JSON::Object::Ptr group = groups->getObject(static_cast<unsigned>(i));
      Poco::JSON::Array::Ptr names = group->getArray("targets");
      CPPUNIT_ASSERT_EQUAL(size_t(1), names->size());
      labelsOf[names->getElement<std::string>(0)] = group->getObject("labels");
    }
    CPPUNIT_ASSERT_EQUAL(std::string("system"),
                         labelsOf.at(kDevice)->getValue<std::string>("__meta_promsnmp_modules"));
    CPPUNIT_ASSERT_EQUAL(std::string(kRightAuth),
                         labelsOf.at(kDevice)->getValue<std::string>("__meta_promsnmp_auth"));
    CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"),
                         labelsOf.at(kDevice)->getValue<std::string>("__meta_promsnmp_address"));
    CPPUNIT_ASSERT(!labelsOf.at(kDevice)->has("__param_module"));  // the plain scrape serves them
    CPPUNIT_ASSERT(!labelsOf.at("plain")->has("__meta_promsnmp_modules"));
    CPPUNIT_ASSERT(!labelsOf.at("plain")->has("__meta_promsnmp_auth"));
    CPPUNIT_ASSERT(labelsOf.at("plain")->has("__meta_promsnmp_address"));
    CPPUNIT_ASSERT_EQUAL(std::string("no_such_module"),
                         labelsOf.at("stray")->getValue<std::string>("__meta_promsnmp_modules"));

    // A module no file defines: reported in the answer, the health details, a metric and the
    // log; nothing is polled for that device.
    HttpAnswer stray = scrape("target=stray");
    CPPUNIT_ASSERT_EQUAL(200, stray.status);
    std::vector<Sample> straySamples = parseSamples(stray.body);
    CPPUNIT_ASSERT_EQUAL(
        0.0, number(straySamples, "promsnmp_module_up", {{"module", "no_such_module"}}));
    CPPUNIT_ASSERT_EQUAL(0.0, number(straySamples, "promsnmp_target_up", {{"target", "stray"}}));
    CPPUNIT_ASSERT_EQUAL(1.0, number(selfMetrics(), "promsnmp_device_module_problems"));
    HttpAnswer health = daemon_->get("/actuator/health");
    auto details = Poco::JSON::Parser()
                       .parse(health.body)
                       .extract<Poco::JSON::Object::Ptr>()
                       ->getObject("components")
                       ->getObject("modules")
                       ->getObject("details");
    CPPUNIT_ASSERT_MESSAGE(health.body, details->has("devices"));
    CPPUNIT_ASSERT_EQUAL(std::string("unknown modules: no_such_module"),
                         details->getObject("devices")->getValue<std::string>("stray"));
    CPPUNIT_ASSERT_EQUAL(size_t(1), details->getObject("devices")->size());
    const std::string log = daemon_->log();
    const std::string line = "device names modules no module file defines";
    const size_t at = log.find(line);
    CPPUNIT_ASSERT_MESSAGE(log, at != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(log, log.find("stray", at) != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(log, log.find(line, at + 1) == std::string::npos);
  }

  /// promtool parses a module answer; its only notes are on the MIB's names (camelCase, and
  /// counters without _total, as snmp_exporter names them), none on promsnmp's own series.
  void testPromtoolOnModuleAnswer() {
    startDaemon();
    HttpAnswer answer = scrape(std::string("target=") + kDevice + "&module=system,if_mib");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
    const SeriesSet series = parseSeries(answer.body, {});
    CPPUNIT_ASSERT_MESSAGE(context(answer), series.series.size() > 1000);
    const std::string findings =
        promtoolFindings(answer.body, counterFamilies(series), dir_->path());
    CPPUNIT_ASSERT_MESSAGE(findings, findings.empty());
  }

  /// POST /promsnmp/inventory takes a device's modules and auth when the module files in force
  /// have them, and makes them the operator's ("modules" in operatorSet, which discovery keeps);
  /// an unknown module or auth is a 400 naming each unknown name, and nothing is written; with
  /// no module files configured, any name it sets is a 400 saying so (names it leaves as they
  /// are pass: discovery may have set them).
  void testInventoryPostChecksModulesAndAuths() {
    startDaemon();
    // The inventory (the device as add-device wrote it) with the device's modules and auth set
    // to `fields`.
    const std::string agent = std::string(R"({"type":"snmp-community","endpoint":)") +
                              R"({"address":"127.0.0.1","port":)" +
                              std::to_string(simAgent().port()) + R"(},"version":1,)" +
                              R"("readCommunity":")" + kCommunity + "\"}";
    auto withModules = [&](const std::string& fields) {
      return std::string(R"({"devices":[{"sysName":")") + kDevice + "\"," + fields +
             R"(,"agents":[)" + agent + R"(],"primaryAgent":)" + agent +
             R"(}],"discoverySeeds":[]})";
    };
    auto post = [](uint16_t port, const std::string& body) {
      return httpRequest(port, "POST", "/promsnmp/inventory",
                         {{"Content-Type", "application/json"}}, body);
    };
    auto inventory = [this] { return daemon_->get("/promsnmp/inventory").body; };

    const std::string chosen = withModules(std::string(R"("modules":["system","if_mib"],)") +
                                           R"("auth":")" + kRightAuth + "\"");
    HttpAnswer accepted = post(daemon_->port(), chosen);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(accepted.body, 200, accepted.status);
    const std::string stored = inventory();
    CPPUNIT_ASSERT_MESSAGE(stored,
                           stored.find(R"("modules":["system","if_mib"])") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(
        stored, stored.find(std::string(R"("auth":")") + kRightAuth + "\"") != std::string::npos);
    // add-device made the name the operator's; the POST adds the modules.
    CPPUNIT_ASSERT_MESSAGE(
        stored, stored.find(R"("operatorSet":["sysName","modules"])") != std::string::npos);

    HttpAnswer unknownModules = post(
        daemon_->port(), withModules(R"("modules":["system","nosuch_one","if_mib","nosuch_two"])"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(unknownModules.body, 400, unknownModules.status);
    CPPUNIT_ASSERT_MESSAGE(unknownModules.body,
                           unknownModules.body.find("unknown modules 'nosuch_one', 'nosuch_two'") !=
                               std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(unknownModules.body,
                           unknownModules.body.find("'system'") == std::string::npos);
    HttpAnswer unknownAuth =
        post(daemon_->port(), withModules(R"("modules":["system"],"auth":"nosuch_auth")"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(unknownAuth.body, 400, unknownAuth.status);
    CPPUNIT_ASSERT_MESSAGE(unknownAuth.body, unknownAuth.body.find("unknown auths 'nosuch_auth'") !=
                                                 std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(unknownAuth.body,
                           unknownAuth.body.find("unknown modules") == std::string::npos);
    CPPUNIT_ASSERT_EQUAL(stored, inventory());  // neither refusal wrote anything

    // A daemon without module files refuses any module name it is given, even one the files
    // had; the names the inventory has already (posted back unchanged) are not checked again.
    daemon_.reset();
    env_.erase("PROMSNMP_MODULES_FILES");
    startDaemon();
    HttpAnswer notConfigured = post(daemon_->port(), withModules(R"("modules":["if_mib"])"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(notConfigured.body, 400, notConfigured.status);
    CPPUNIT_ASSERT_MESSAGE(
        notConfigured.body,
        notConfigured.body.find("module files are not configured") != std::string::npos &&
            notConfigured.body.find("'if_mib'") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(stored, inventory());
    HttpAnswer unchanged = post(daemon_->port(), chosen);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(unchanged.body, 200, unchanged.status);
  }

 private:
  void startDaemon() { daemon_ = std::make_unique<Daemon>(dir_->path(), env_); }

  HttpAnswer scrape(const std::string& query) const {
    return httpRequest(daemon_->port(), "GET", "/snmp?" + query,
                       {{"X-Prometheus-Scrape-Timeout-Seconds", kScrapeTimeoutHeader}}, {},
                       kScrapeTimeoutMs);
  }

  /// For a failure message: the start of `answer` and the end of the daemon's log.
  std::string context(const HttpAnswer& answer) const {
    const std::string log = daemon_->log();
    return "HTTP " + std::to_string(answer.status) + ":\n" + answer.body.substr(0, 1500) +
           "\n--- promsnmp log ---\n" + (log.size() <= 3000 ? log : log.substr(log.size() - 3000));
  }

  std::vector<Sample> selfMetrics() const { return parseSamples(daemon_->get("/metrics").body); }

  /// The device's `module` (system, or one of the reload test's uptime modules) answers its
  /// sysUpTime from a live poll (the cache is emptied first).
  void expectServed(const std::string& module) {
    CPPUNIT_ASSERT_EQUAL(200, httpRequest(daemon_->port(), "POST", "/promsnmp/evictCache").status);
    HttpAnswer answer = scrape(std::string("target=") + kDevice + "&module=" + module);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(module + ": " + answer.body, 200, answer.status);
    std::vector<Sample> samples = parseSamples(answer.body);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(module + ": " + context(answer), std::string(kSysUpTime),
                                 sampleValue(samples, "sysUpTime"));
    CPPUNIT_ASSERT_EQUAL(1.0, number(samples, "promsnmp_module_up", {{"module", module}}));
  }

  /// The answer of `module=system,if_mib` for the device: the recording's system group, and
  /// ifHCInOctets per interface as snmpbulkwalk reads it with if_mib's lookup labels; the
  /// snmp_scrape_* series per module; up everywhere.
  void checkSystemAndIfMib(const HttpAnswer& answer) {
    std::vector<Sample> samples = parseSamples(answer.body);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(context(answer), std::string(kSysUpTime),
                                 sampleValue(samples, "sysUpTime"));
    CPPUNIT_ASSERT_EQUAL(1.0, number(samples, "sysName", {{"sysName", kDevice}}));
    CPPUNIT_ASSERT_EQUAL(1.0, number(samples, "sysLocation", {{"sysLocation", "Bangalore"}}));
    const std::vector<std::string> args = {"-v2c", "-c", kCommunity};
    auto walk = [&](const std::string& oid) {
      return toolWalk(args, simAgent().port(), oid, dir_->path());
    };
    auto octets = walk("1.3.6.1.2.1.31.1.1.1.6");
    auto descr = walk("1.3.6.1.2.1.2.2.1.2");
    auto names = walk("1.3.6.1.2.1.31.1.1.1.1");
    auto aliases = walk("1.3.6.1.2.1.31.1.1.1.18");
    CPPUNIT_ASSERT_EQUAL(size_t(55), octets.size());
    size_t served = 0;
    for (const Sample& s : samples) {
      served += s.name == "ifHCInOctets" ? 1 : 0;
    }
    CPPUNIT_ASSERT_EQUAL(octets.size(), served);
    for (const auto& [oid, value] : octets) {
      const std::string index = oid.substr(std::string("1.3.6.1.2.1.31.1.1.1.6.").size());
      const std::map<std::string, std::string> labels = {
          {"ifIndex", index},
          {"ifDescr", descr.at("1.3.6.1.2.1.2.2.1.2." + index).bytes},
          {"ifName", names.at("1.3.6.1.2.1.31.1.1.1.1." + index).bytes},
          {"ifAlias", aliases.at("1.3.6.1.2.1.31.1.1.1.18." + index).bytes}};
      bool found = false;
      for (const Sample& s : samples) {
        if (s.name == "ifHCInOctets" && s.labels == labels) {  // exactly these labels
          CPPUNIT_ASSERT_EQUAL_MESSAGE("ifIndex " + index, value.text, s.value);
          found = true;
        }
      }
      CPPUNIT_ASSERT_MESSAGE("no ifHCInOctets for ifIndex " + index, found);
    }
    for (const char* module : {"system", "if_mib"}) {
      const std::map<std::string, std::string> labels = {{"module", module}};
      CPPUNIT_ASSERT_EQUAL_MESSAGE(module, 1.0, number(samples, "promsnmp_module_up", labels));
      CPPUNIT_ASSERT_MESSAGE(module, number(samples, "snmp_scrape_packets_sent", labels) >= 1);
      CPPUNIT_ASSERT_MESSAGE(module, number(samples, "snmp_scrape_pdus_returned", labels) >= 1);
      CPPUNIT_ASSERT_MESSAGE(module,
                             number(samples, "snmp_scrape_walk_duration_seconds", labels) > 0);
    }
    // if_mib's walks of a 59-interface table take several GETBULKs of at most 64 varbinds.
    CPPUNIT_ASSERT(number(samples, "snmp_scrape_packets_sent", {{"module", "if_mib"}}) > 10);
    CPPUNIT_ASSERT_EQUAL(1.0, number(samples, "promsnmp_target_up", {{"target", kDevice}}));
  }

  std::unique_ptr<TempDir> dir_;
  std::string auths_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<Daemon> daemon_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(DaemonModulesTest);
