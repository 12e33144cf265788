// promsnmp's snmp_exporter modules against the real peer, Debian's prometheus-snmp-exporter 0.21,
// side by side on the same agents (issue 14, scope 4). One snmpsimd serves seven recordings,
// each under its own community: the snmpsim package's cisco_16_switch, bgp,
// recorded/linux-full-walk, recorded/winxp-full-walk and mib2dev/host-resources-mib, and the
// project's tests/data/recordings/cisco-asr1001x-bgp and net-snmp-linux-diskio. The module files
// are the catalogue's etc/modules/mib2.yml, host-resources.yml, ucd.yml, cisco.yml and bgp.yml
// (those that use only keys 0.21 knows) and the test's own tests/data/modules/peer-current.yml
// (auths, IP-MIB and TCP-MIB modules; current format), which tests/tools/modules_to_v021.py
// turns into one file in the 0.21 flat format for the peer ("<module>@<auth>": 0.21 embeds the
// community in each module): so the catalogue's modules answer as snmp_exporter answers with
// them. For every (recording, module) pair both answer
//   peer:     /snmp?target=127.0.0.1:<agent port>&module=<module>%40<auth>
//   promsnmp: /snmp?target=127.0.0.1:<agent port>&module=<module>&auth=<auth>
// and the sets of series (name, sorted labels, value as a double; SeriesDiff.h) must be equal,
// apart from the meta series of each (snmp_scrape_*, promsnmp_*), with the same TYPE and HELP
// per family. promsnmp also answers scrapes of several modules at once (module=a,b, or module
// repeated: snmp_exporter 0.24+), which must equal the union of the peer's single-module
// answers. promtool parses every promsnmp answer. The promsnmp daemon runs with
// PROMSNMP_MODULES_FILES=<those files> and PROMSNMP_ALLOW_UNLISTED_TARGETS=true.
//
// Each pair must give at least the number of series the peer gave when this test was written,
// so an empty answer cannot pass; the pairs whose recording lacks the module's tables must be
// empty on both sides. The peer's answers are fetched once and shared by the tests.
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <cppunit/extensions/HelperMacros.h>

#include "DaemonHelpers.h"
#include "ProcessHelpers.h"
#include "PromtoolFindings.h"
#include "SeriesDiff.h"
#include "SnmpAgentHelpers.h"

using namespace testing;

namespace {

using Clock = std::chrono::steady_clock;

const std::vector<std::string> kModulesFiles = {
    std::string(PROMSNMP_SOURCE_DIR) + "/etc/modules/mib2.yml",
    std::string(PROMSNMP_SOURCE_DIR) + "/etc/modules/host-resources.yml",
    std::string(PROMSNMP_SOURCE_DIR) + "/etc/modules/ucd.yml",
    std::string(PROMSNMP_SOURCE_DIR) + "/etc/modules/cisco.yml",
    std::string(PROMSNMP_SOURCE_DIR) + "/etc/modules/bgp.yml",
    std::string(PROMSNMP_TEST_DATA) + "/modules/peer-current.yml"};
const std::string kConverter = std::string(PROMSNMP_SOURCE_DIR) + "/tests/tools/modules_to_v021.py";
const char* const kPeerBinary = "/usr/bin/prometheus-snmp-exporter";
const std::vector<std::string> kPeerMeta = {"snmp_scrape_"};
const std::vector<std::string> kOurMeta = {"snmp_scrape_", "promsnmp_"};
constexpr int kScrapeTimeoutMs = 30000;  // snmpsimd takes ~0.4 s for the Catalyst's if_mib
/// What each promsnmp test may spend on its scrapes: with the scrape timeout, the suite stays
/// well within CTest's 600 s even when every scrape hangs.
constexpr std::chrono::seconds kScrapeBudget{150};

/// The recordings: auth name = community = the file name snmpsimd serves it under.
const std::map<std::string, std::string> kRecordings = {
    {"linux-full-walk", "recorded/linux-full-walk.snmprec.gz"},
    {"winxp-full-walk", "recorded/winxp-full-walk.snmprec.gz"},
    {"host-resources-mib", "mib2dev/host-resources-mib.snmprec"},
    {"bgp", "bgp.snmprec"},
    {"cisco-asr1001x-bgp",
     std::string(PROMSNMP_TEST_DATA) + "/recordings/cisco-asr1001x-bgp.snmprec"},
    {"net-snmp-linux-diskio",
     std::string(PROMSNMP_TEST_DATA) + "/recordings/net-snmp-linux-diskio.snmprec"},
};  // plus cisco_16_switch, SnmpSimAgent's own

/// (recording, module) and the series the peer gave when this test was written: at least so
/// many are required; 0 means the recording lacks the module's tables and the answer must be
/// empty.
struct Pair {
  std::string auth;
  std::string module;
  std::size_t minSeries;
};
const std::vector<Pair> kPairs = {
    {"cisco_16_switch", "system", 314},      {"cisco_16_switch", "if_mib", 1914},
    {"cisco_16_switch", "hrSystem", 0},      {"cisco_16_switch", "hrStorage", 0},
    {"cisco_16_switch", "hrDevice", 0},      {"cisco_16_switch", "hrProcessor", 0},
    {"cisco_16_switch", "hrSWRun", 0},       {"cisco_16_switch", "ucd_la_table", 0},
    {"cisco_16_switch", "ucd_memory", 0},    {"cisco_16_switch", "ucd_system_stats", 0},
    {"cisco_16_switch", "ip_address", 0},    {"cisco_16_switch", "tcp_connection", 0},
    {"linux-full-walk", "system", 31},       {"linux-full-walk", "if_mib", 74},
    {"linux-full-walk", "hrSystem", 7},      {"linux-full-walk", "hrStorage", 25},
    {"linux-full-walk", "hrDevice", 91},     {"linux-full-walk", "hrProcessor", 2},
    {"linux-full-walk", "hrSWRun", 1485},    {"linux-full-walk", "ucd_la_table", 12},
    {"linux-full-walk", "ucd_memory", 12},   {"linux-full-walk", "ucd_system_stats", 25},
    {"linux-full-walk", "ip_address", 36},   {"linux-full-walk", "tcp_connection", 40},
    {"winxp-full-walk", "system", 7},        {"winxp-full-walk", "if_mib", 64},
    {"winxp-full-walk", "hrSystem", 7},      {"winxp-full-walk", "hrStorage", 21},
    {"winxp-full-walk", "hrDevice", 116},    {"winxp-full-walk", "hrProcessor", 1},
    {"winxp-full-walk", "hrSWRun", 298},     {"winxp-full-walk", "ucd_la_table", 0},
    {"winxp-full-walk", "ucd_memory", 0},    {"winxp-full-walk", "ucd_system_stats", 0},
    {"winxp-full-walk", "ip_address", 0},    {"winxp-full-walk", "tcp_connection", 17},
    {"host-resources-mib", "system", 0},     {"host-resources-mib", "if_mib", 0},
    {"host-resources-mib", "hrSystem", 7},   {"host-resources-mib", "hrStorage", 5},
    {"host-resources-mib", "hrDevice", 28},  {"host-resources-mib", "hrProcessor", 1},
    {"host-resources-mib", "hrSWRun", 10},   {"host-resources-mib", "ucd_la_table", 0},
    {"host-resources-mib", "ucd_memory", 0}, {"host-resources-mib", "ucd_system_stats", 0},
    {"host-resources-mib", "ip_address", 0}, {"host-resources-mib", "tcp_connection", 0},
};
/// The catalogue's cisco.yml, bgp.yml and ucd_diskio modules, on the recordings that have their
/// tables and on some that lack them.
const std::vector<Pair> kCataloguePairs = {
    {"cisco_16_switch", "cisco_process", 4},
    {"cisco_16_switch", "cisco_memory_pool", 15},
    {"cisco_16_switch", "bgp4", 0},
    {"cisco_16_switch", "cisco_bgp4", 0},
    {"cisco_16_switch", "ucd_diskio", 0},
    {"linux-full-walk", "ucd_diskio", 0},
    {"bgp", "cisco_bgp4", 14},
    {"cisco-asr1001x-bgp", "bgp4", 96},
    {"cisco-asr1001x-bgp", "cisco_bgp4", 135},
    {"net-snmp-linux-diskio", "ucd_diskio", 44},
};

std::vector<Pair> allPairs() {
  std::vector<Pair> all = kPairs;
  all.insert(all.end(), kCataloguePairs.begin(), kCataloguePairs.end());
  return all;
}

/// Scrapes of several modules (no two of them share a metric name, as snmp_exporter requires
/// of one scrape): `repeated` asks module=a&module=b instead of module=a,b.
struct MultiScrape {
  std::string auth;
  std::vector<std::string> modules;
  bool repeated = false;
};
const std::vector<MultiScrape> kMultiScrapes = {
    {"cisco_16_switch", {"system", "if_mib"}},
    {"linux-full-walk",
     {"system", "if_mib", "hrStorage", "hrProcessor", "ucd_la_table", "ucd_memory",
      "ucd_system_stats"}},
    {"linux-full-walk", {"ip_address", "tcp_connection"}, true},
    {"winxp-full-walk", {"hrDevice", "hrSWRun", "tcp_connection"}},
    {"host-resources-mib", {"hrSystem", "hrStorage", "hrDevice", "hrProcessor", "hrSWRun"}},
};

/// kModulesFiles as PROMSNMP_MODULES_FILES takes them: comma-separated.
std::string modulesFilesList() {
  std::string list;
  for (const std::string& file : kModulesFiles) {
    list += (list.empty() ? "" : ",") + file;
  }
  return list;
}

std::string pairName(const std::string& auth, const std::string& module) {
  return auth + " x " + module;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string tail(const std::string& text, std::size_t bytes = 2000) {
  return text.size() <= bytes ? text : "..." + text.substr(text.size() - bytes);
}

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// One answer of the peer.
struct PeerAnswer {
  int status = 0;
  std::string body;
  SeriesSet series;
};

/// snmpsimd with the recordings and prometheus-snmp-exporter 0.21 on the converted module
/// file, both on loopback; the peer's answer to every pair, fetched once. Shared by the suite
/// (snmpsimd takes seconds to index the Catalyst recording); the destructors stop both.
class PeerSide {
 public:
  PeerSide() : agent_(SnmpSimAgent::Options(), kRecordings) {
    const Clock::time_point start = Clock::now();
    if (::access(kPeerBinary, X_OK) != 0) {
      throw std::runtime_error(std::string(kPeerBinary) +
                               " is missing: apt install prometheus-snmp-exporter "
                               "(scripts/deps.sh)");
    }
    config_ = dir_.path() + "/snmp-v021.yml";
    std::vector<std::string> convert = {"/usr/bin/python3", kConverter};
    convert.insert(convert.end(), kModulesFiles.begin(), kModulesFiles.end());
    convert.push_back(config_);
    ProcessResult converted = runProcess(convert, {}, 60);
    if (converted.code != 0) {
      throw std::runtime_error("modules_to_v021.py failed: " + converted.err);
    }
    ProcessResult dryRun =
        runProcess({kPeerBinary, "--dry-run", "--config.file=" + config_}, {}, 60);
    if (dryRun.code != 0 ||
        (dryRun.out + dryRun.err).find("Configuration parsed successfully") == std::string::npos) {
      throw std::runtime_error("prometheus-snmp-exporter --dry-run refuses the converted file:\n" +
                               tail(dryRun.out + dryRun.err));
    }
    startExporter();
    std::cerr << "\nModulesPeerTest: snmpsimd and prometheus-snmp-exporter ready in "
              << secondsSince(start) << " s\n";
  }

  uint16_t agentPort() const { return agent_.port(); }

  /// The peer's answer for (auth, module), fetched on first use.
  const PeerAnswer& answer(const std::string& auth, const std::string& module) {
    auto key = std::make_pair(auth, module);
    auto found = answers_.find(key);
    if (found != answers_.end()) {
      return found->second;
    }
    PeerAnswer a;
    HttpAnswer http = httpRequest(port_, "GET",
                                  "/snmp?target=127.0.0.1:" + std::to_string(agent_.port()) +
                                      "&module=" + module + "%40" + auth,
                                  {}, {}, kScrapeTimeoutMs);
    a.status = http.status;
    a.body = http.body;
    if (a.status == 200) {
      a.series = parseSeries(a.body, kPeerMeta);
    }
    return answers_.emplace(key, std::move(a)).first->second;
  }

  std::string log() const { return readFile(dir_.path() + "/exporter.log"); }

 private:
  void startExporter() {
    const std::string log = dir_.path() + "/exporter.log";
    for (int attempt = 0;; ++attempt) {
      port_ = freePort(SOCK_STREAM);
      exporter_.start({kPeerBinary, "--config.file=" + config_,
                       "--web.listen-address=127.0.0.1:" + std::to_string(port_)},
                      {}, log);
      const Clock::time_point deadline = Clock::now() + std::chrono::seconds(20);
      while (Clock::now() < deadline && exporter_.running() &&
             httpRequest(port_, "GET", "/", {}, {}, 1000).status != 200) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (exporter_.running() && httpRequest(port_, "GET", "/", {}, {}, 1000).status == 200) {
        return;
      }
      exporter_.stop();
      if (attempt == 2) {  // not a port race
        throw std::runtime_error("prometheus-snmp-exporter did not start:\n" + tail(readFile(log)));
      }
    }
  }

  TempDir dir_;
  SnmpSimAgent agent_;
  std::string config_;
  ChildProcess exporter_;
  int port_ = 0;
  std::map<std::pair<std::string, std::string>, PeerAnswer> answers_;
};

PeerSide& peer() {
  static PeerSide side;
  return side;
}

/// The promsnmp daemon with the project's module file and unlisted targets allowed, on an
/// empty inventory. Shared by the suite; stopped by its destructor.
class OurSide {
 public:
  OurSide() {
    env_ = {{"PROM_INV_FILE", dir_.path() + "/share/promsnmp-inventory.json"},
            {"PROM_ENCRYPT_KEY", "modules peer test key"},
            {"PROMSNMP_STATE_DIR", dir_.path() + "/state"},
            {"PROMSNMP_MODULES_FILES", modulesFilesList()},
            {"PROMSNMP_ALLOW_UNLISTED_TARGETS", "true"}};
    inventoryCli(env_, {"init"});
    daemon_ = std::make_unique<Daemon>(dir_.path(), env_);
  }
  ~OurSide() { daemon_.reset(); }

  /// promsnmp's answer to `modules` (joined by commas, or repeated) with auth `auth`.
  HttpAnswer scrape(const std::string& auth, const std::vector<std::string>& modules,
                    bool repeated = false) const {
    std::string query = "/snmp?target=127.0.0.1:" + std::to_string(peer().agentPort());
    for (std::size_t i = 0; i < modules.size(); ++i) {
      query += (i == 0 || repeated ? "&module=" : ",") + modules[i];
    }
    return httpRequest(daemon_->port(), "GET", query + "&auth=" + auth, {}, {}, kScrapeTimeoutMs);
  }

  const std::string& dir() const { return dir_.path(); }
  std::string log() const { return daemon_->log(); }

 private:
  TempDir dir_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<Daemon> daemon_;
};

OurSide& ours() {
  static OurSide side;
  return side;
}

}  // namespace

class ModulesPeerTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ModulesPeerTest);
  CPPUNIT_TEST(testPeerAnswersEveryPair);
  CPPUNIT_TEST(testPromsnmpMatchesPeerOnEveryPair);
  CPPUNIT_TEST(testMultiModuleScrapeIsTheUnion);
  CPPUNIT_TEST_SUITE_END();

 public:
  /// The oracle itself: every pair answers 200, with at least the series it had when this test
  /// was written (the recordings are static), and exactly none where the recording lacks the
  /// module's tables; a non-empty answer comes from PDUs the peer received.
  void testPeerAnswersEveryPair() {
    const Clock::time_point start = Clock::now();
    const std::vector<Pair> pairs = allPairs();
    PeerSide& side = peer();
    std::string failures;
    std::size_t total = 0;
    std::size_t nonEmpty = 0;
    std::ostringstream table;
    for (const Pair& pair : pairs) {
      const PeerAnswer& a = side.answer(pair.auth, pair.module);
      const std::string name = pairName(pair.auth, pair.module);
      if (a.status != 200) {
        failures += name + ": HTTP " + std::to_string(a.status) + " " + tail(a.body, 300) + "\n";
        continue;
      }
      const std::size_t n = a.series.series.size();
      table << "  " << name << ": " << n << "\n";
      total += n;
      nonEmpty += n > 0 ? 1 : 0;
      if (pair.minSeries == 0 && n != 0) {
        failures += name + ": " + std::to_string(n) + " series where the recording has none\n";
      }
      if (n < pair.minSeries) {
        failures += name + ": " + std::to_string(n) + " series, expected at least " +
                    std::to_string(pair.minSeries) + "\n";
      }
      if (!a.series.duplicates.empty()) {
        failures += name + ": duplicate series " + a.series.duplicates.front() + "\n";
      }
      if (n > 0 && sampleValue(parseSamples(a.body), "snmp_scrape_pdus_returned").empty()) {
        failures += name + ": no snmp_scrape_pdus_returned\n";
      }
    }
    std::cerr << "\nModulesPeerTest: the peer's series per (recording, module):\n"
              << table.str() << "ModulesPeerTest: the peer gave " << total << " series in "
              << nonEmpty << " non-empty of " << pairs.size() << " pairs in " << secondsSince(start)
              << " s\n";
    CPPUNIT_ASSERT_MESSAGE(failures + "exporter log:\n" + tail(side.log()), failures.empty());
  }

  void testPromsnmpMatchesPeerOnEveryPair() {
    const Clock::time_point start = Clock::now();
    const std::vector<Pair> pairs = allPairs();
    PeerSide& side = peer();
    OurSide& daemon = ours();
    std::vector<std::string> failures;
    std::size_t compared = 0;
    for (const Pair& pair : pairs) {
      const std::string name = pairName(pair.auth, pair.module);
      const PeerAnswer& theirs = side.answer(pair.auth, pair.module);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(name + ": the peer failed", 200, theirs.status);
      if (Clock::now() - start > kScrapeBudget) {
        failures.push_back(name + ": not compared, the scrapes took their " +
                           std::to_string(kScrapeBudget.count()) + " s\n");
        continue;
      }
      HttpAnswer answer = daemon.scrape(pair.auth, {pair.module});
      const std::string problem = judge(name, theirs.series, answer, daemon.dir());
      compared += theirs.series.series.size();
      if (!problem.empty()) {
        failures.push_back(problem);
      }
    }
    std::cerr << "\nModulesPeerTest: compared " << compared << " series of the peer in "
              << pairs.size() << " (recording, module) pairs; " << pairs.size() - failures.size()
              << " equal, in " << secondsSince(start) << " s\n";
    report(failures, pairs.size(), "(recording, module) pairs", daemon);
  }

  void testMultiModuleScrapeIsTheUnion() {
    const Clock::time_point start = Clock::now();
    PeerSide& side = peer();
    OurSide& daemon = ours();
    std::vector<std::string> failures;
    std::size_t compared = 0;
    for (const MultiScrape& multi : kMultiScrapes) {
      SeriesSet expected;
      std::string modules;
      for (const std::string& module : multi.modules) {
        const PeerAnswer& theirs = side.answer(multi.auth, module);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(pairName(multi.auth, module) + ": the peer failed", 200,
                                     theirs.status);
        mergeSeries(expected, theirs.series);
        modules += (modules.empty() ? "" : multi.repeated ? "&" : ",") + module;
      }
      CPPUNIT_ASSERT_MESSAGE("modules of one scrape share series: " + modules,
                             expected.duplicates.empty());
      const std::string name = pairName(multi.auth, modules);
      if (Clock::now() - start > kScrapeBudget) {
        failures.push_back(name + ": not compared, the scrapes took their " +
                           std::to_string(kScrapeBudget.count()) + " s\n");
        continue;
      }
      const std::string problem = judge(
          name, expected, daemon.scrape(multi.auth, multi.modules, multi.repeated), daemon.dir());
      if (!problem.empty()) {
        failures.push_back(problem);
      }
      compared += expected.series.size();
    }
    std::cerr << "\nModulesPeerTest: compared " << compared << " series in " << kMultiScrapes.size()
              << " multi-module scrapes in " << secondsSince(start) << " s\n";
    report(failures, kMultiScrapes.size(), "multi-module scrapes", daemon);
  }

 private:
  /// Prints each failure in full (CppUnit would wrap the long lines of a diff) and the end of
  /// promsnmp's log, then fails with a count when there was any.
  static void report(const std::vector<std::string>& failures, std::size_t of,
                     const std::string& what, const OurSide& daemon) {
    if (failures.empty()) {
      return;
    }
    std::cerr << "\nModulesPeerTest: promsnmp differs from the peer:\n";
    for (const std::string& failure : failures) {
      std::cerr << failure;
    }
    std::cerr << "promsnmp log:\n" << tail(daemon.log()) << "\n";
    CPPUNIT_FAIL(std::to_string(failures.size()) + " of " + std::to_string(of) + " " + what +
                 " differ from the peer (printed above)");
  }

  /// What is wrong with promsnmp's `answer` for `name` against the peer's `expected` series:
  /// its status, promtool's findings, the differing series. Empty when right.
  static std::string judge(const std::string& name, const SeriesSet& expected,
                           const HttpAnswer& answer, const std::string& dir) {
    if (answer.status != 200) {
      return name + ": promsnmp answered HTTP " + std::to_string(answer.status) + ": " +
             tail(answer.body, 300) + "\n";
    }
    std::string problem = promtoolFindings(answer.body, counterFamilies(expected), dir);
    try {
      const SeriesDiff diff = diffSeries(expected, parseSeries(answer.body, kOurMeta));
      if (!diff.empty()) {
        problem += diff.report("the peer", "promsnmp");
      }
    } catch (const std::invalid_argument& e) {
      problem += std::string("    ") + e.what() + "\n";
    }
    return problem.empty() ? "" : name + ":\n" + problem;
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ModulesPeerTest);
