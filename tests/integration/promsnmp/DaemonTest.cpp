// The promsnmp daemon as users run it, against a real agent (snmpsimd serving the snmpsim
// package's Catalyst 3750 recording) on loopback: what /snmp answers equals what snmpbulkwalk
// reads, the output parses, one cold target costs one poll however many scrapes arrive, unknown
// targets are a clear 404, reloads keep a good config, the inventory is followed, the local
// replica serves when the share is unreadable, and SIGTERM drains and exits 0.
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <cppunit/extensions/HelperMacros.h>

#include "DaemonHelpers.h"
#include "ProcessHelpers.h"
#include "SnmpAgentHelpers.h"

using namespace testing;

namespace {

const char* const kDevice = "Profiler3750";  // the recording's sysName

/// One snmpsimd for the whole suite: it takes seconds to index the recording.
SnmpSimAgent& simAgent() {
  static SnmpSimAgent agent;
  return agent;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

double number(const std::string& text) { return text.empty() ? -1 : std::stod(text); }

/// Lines of families whose values change from scrape to scrape, left out of golden comparisons.
bool volatileLine(const std::string& line) {
  static const std::regex kVolatile(
      "^(# (HELP|TYPE) )?(snmp_scrape_duration_seconds|promsnmp_target_poll_age_seconds|"
      "promsnmp_target_data_age_seconds|promsnmp_target_poll_duration_seconds)\\b.*");
  return std::regex_match(line, kVolatile);
}

}  // namespace

class DaemonTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DaemonTest);
  CPPUNIT_TEST(testScrapeMatchesSnmpbulkwalk);
  CPPUNIT_TEST(testOutputParsesAndMatchesGolden);
  CPPUNIT_TEST(testBurstOnColdTargetPollsOnce);
  CPPUNIT_TEST(testUnknownAndMissingTarget);
  CPPUNIT_TEST(testEndpoints);
  CPPUNIT_TEST(testInventoryChangeFollowedAndCacheKept);
  CPPUNIT_TEST(testReloadKeepsRunningConfigWhenInvalid);
  CPPUNIT_TEST(testLocalReplicaServesWhenShareUnreadable);
  CPPUNIT_TEST(testSigtermExitsZero);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    dir_ = std::make_unique<TempDir>();
    env_ = {{"PROM_INV_FILE", dir_->path() + "/share/promsnmp-inventory.json"},
            {"PROM_ENCRYPT_KEY", "daemon test key"},
            {"PROMSNMP_STATE_DIR", dir_->path() + "/state"},
            {"PROMSNMP_INVENTORY_POLL_INTERVAL_MS", "200"},
            {"COLLECTION_INTERVAL", "3600000"}};
    inventoryCli(env_, {"init"});
    inventoryCli(env_, {"add-device", "--sys-name", kDevice, "--address", "127.0.0.1", "--port",
                        std::to_string(simAgent().port()), "--community", simAgent().community(),
                        "--timeout", "3000", "--retries", "1"});
  }

  void tearDown() override {
    daemon_.reset();
    dir_.reset();
  }

  void testScrapeMatchesSnmpbulkwalk() {
    startDaemon();
    HttpAnswer answer = daemon_->get(std::string("/snmp?target=") + kDevice);
    CPPUNIT_ASSERT_EQUAL(200, answer.status);
    std::vector<Sample> samples = parseSamples(answer.body);
    std::vector<std::string> args = {"-v2c", "-c", simAgent().community()};
    auto descr = toolWalk(args, simAgent().port(), "1.3.6.1.2.1.2.2.1.2", dir_->path());
    auto names = toolWalk(args, simAgent().port(), "1.3.6.1.2.1.31.1.1.1.1", dir_->path());
    auto aliases = toolWalk(args, simAgent().port(), "1.3.6.1.2.1.31.1.1.1.18", dir_->path());
    CPPUNIT_ASSERT_EQUAL(size_t(59), descr.size());
    size_t compared = 0;
    for (const auto& [column, metric] : std::vector<std::pair<std::string, std::string>>{
             {"1.3.6.1.2.1.31.1.1.1.6", "ifHCInOctets"},
             {"1.3.6.1.2.1.31.1.1.1.7", "ifHCInUcastPkts"},
             {"1.3.6.1.2.1.31.1.1.1.8", "ifHCInMulticastPkts"},
             {"1.3.6.1.2.1.31.1.1.1.9", "ifHCInBroadcastPkts"},
             {"1.3.6.1.2.1.31.1.1.1.10", "ifHCOutOctets"},
             {"1.3.6.1.2.1.31.1.1.1.11", "ifHCOutUcastPkts"},
             {"1.3.6.1.2.1.31.1.1.1.12", "ifHCOutMulticastPkts"},
             {"1.3.6.1.2.1.31.1.1.1.13", "ifHCOutBroadcastPkts"}}) {
      auto walked = toolWalk(args, simAgent().port(), column, dir_->path());
      CPPUNIT_ASSERT_MESSAGE(metric + " walked empty", !walked.empty());
      for (const auto& [oid, value] : walked) {
        std::string index = oid.substr(column.size() + 1);
        std::map<std::string, std::string> labels = {
            {"ifIndex", index},
            {"ifDescr", descr.at("1.3.6.1.2.1.2.2.1.2." + index).bytes},
            {"ifName", names.at("1.3.6.1.2.1.31.1.1.1.1." + index).bytes},
            {"ifAlias", aliases.at("1.3.6.1.2.1.31.1.1.1.18." + index).bytes},
            {"instance", kDevice}};
        CPPUNIT_ASSERT_EQUAL_MESSAGE(metric + " ifIndex " + index, value.text,
                                     sampleValue(samples, metric, labels));
        ++compared;
      }
    }
    CPPUNIT_ASSERT(compared >= 59);  // some columns are sparse in the recording
  }

  void testOutputParsesAndMatchesGolden() {
    startDaemon();
    HttpAnswer answer = daemon_->get(std::string("/snmp?target=") + kDevice);
    CPPUNIT_ASSERT_EQUAL(200, answer.status);
    CPPUNIT_ASSERT_EQUAL(std::string("text/plain; version=0.0.4; charset=utf-8"),
                         answer.contentType);
    // promtool: no parse error; lint notes only for the IF-MIB compatibility names.
    std::string bodyFile = dir_->path() + "/scrape.prom";
    std::ofstream(bodyFile) << answer.body;
    ProcessResult lint =
        runProcess({"/bin/sh", "-c", "promtool check metrics < " + bodyFile}, {}, 60);
    CPPUNIT_ASSERT_MESSAGE("promtool parse error: " + lint.err + lint.out,
                           lint.code == 0 || lint.code == 3);
    std::istringstream notes(lint.out + lint.err);
    std::string note;
    static const std::regex kAllowed(
        "^(sysUpTime|if[A-Za-z]+|interface_utilization[a-z_]*) (metric|label) names should be "
        "written in 'snake_case' not 'camelCase'$|^if[A-Za-z]+ counter metrics should have "
        "\"_total\" suffix$");
    while (std::getline(notes, note)) {
      CPPUNIT_ASSERT_MESSAGE("unexpected promtool note: " + note,
                             note.empty() || std::regex_match(note, kAllowed));
    }
    // Golden file: the format is guarded line by line (volatile timing lines left out).
    std::string normalized;
    std::istringstream lines(answer.body);
    std::string line;
    while (std::getline(lines, line)) {
      if (!volatileLine(line)) {
        normalized += line + "\n";
      }
    }
    std::string golden = std::string(PROMSNMP_TEST_DATA) + "/golden/cisco_16_switch.prom";
    if (std::getenv("PROMSNMP_UPDATE_GOLDEN") != nullptr) {
      std::filesystem::create_directories(std::filesystem::path(golden).parent_path());
      std::ofstream(golden) << normalized;
    }
    CPPUNIT_ASSERT_MESSAGE("output differs from " + golden, readFile(golden) == normalized);
  }

  void testBurstOnColdTargetPollsOnce() {
    startDaemon();
    waitForStartupPoll();
    CPPUNIT_ASSERT_EQUAL(200, daemon_->get("/promsnmp/evictCache").status);
    double before = polls();
    constexpr int kScrapes = 200;
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kScrapes; ++i) {
      threads.emplace_back([&] {
        if (daemon_->get(std::string("/snmp?target=") + kDevice).status == 200) {
          ++ok;
        }
      });
    }
    for (std::thread& t : threads) {
      t.join();
    }
    CPPUNIT_ASSERT_EQUAL(kScrapes, ok.load());
    CPPUNIT_ASSERT_EQUAL(before + 1, polls());
  }

  void testUnknownAndMissingTarget() {
    startDaemon();
    HttpAnswer unknown = daemon_->get("/snmp?target=no-such-device");
    CPPUNIT_ASSERT_EQUAL(404, unknown.status);
    CPPUNIT_ASSERT(unknown.body.find("unknown target 'no-such-device'") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(400, daemon_->get("/snmp").status);
    CPPUNIT_ASSERT_EQUAL(404, daemon_->get("/no/such/path").status);
    CPPUNIT_ASSERT_EQUAL(405, httpRequest(daemon_->port(), "DELETE", "/targets").status);
    // The agent address works as a target too (ip:port), as the issue asks.
    HttpAnswer byAddress =
        daemon_->get("/metrics?target=127.0.0.1:" + std::to_string(simAgent().port()));
    CPPUNIT_ASSERT_EQUAL(200, byAddress.status);
    CPPUNIT_ASSERT(byAddress.body.find("ifHCInOctets{") != std::string::npos);
  }

  void testEndpoints() {
    startDaemon();
    HttpAnswer targets = daemon_->get("/targets");
    CPPUNIT_ASSERT_EQUAL(200, targets.status);
    CPPUNIT_ASSERT(targets.body.find("\"targets\":[\"Profiler3750\"]") != std::string::npos);
    CPPUNIT_ASSERT(targets.body.find(simAgent().community()) == std::string::npos);
    HttpAnswer inventory = daemon_->get("/promsnmp/inventory");
    CPPUNIT_ASSERT_EQUAL(200, inventory.status);
    CPPUNIT_ASSERT(inventory.body.find("<secret>") != std::string::npos);
    CPPUNIT_ASSERT(inventory.body.find("\"readCommunity\":\"" + simAgent().community()) ==
                   std::string::npos);
    CPPUNIT_ASSERT_EQUAL(std::string("Hello World"), daemon_->get("/promsnmp/hello").body);
    CPPUNIT_ASSERT_EQUAL(200, daemon_->get("/actuator/health").status);
    CPPUNIT_ASSERT_EQUAL(std::string("{\"status\":\"UP\"}"),
                         daemon_->get("/actuator/health/readiness").body);
    CPPUNIT_ASSERT_EQUAL(200, daemon_->get("/-/healthy").status);
    // `promsnmp healthcheck` (container healthchecks without curl): 0 when ready, 1 when not
    // answering, 2 on a bad command line.
    const std::string bin = PROMSNMP_BIN_DIR "/promsnmp";
    const std::string port = std::to_string(daemon_->port());
    CPPUNIT_ASSERT_EQUAL(
        0, runProcess({bin, "healthcheck", "--web.listen-address=127.0.0.1:" + port}, {}).code);
    CPPUNIT_ASSERT_EQUAL(0, runProcess({bin, "healthcheck"}, {{"SERVER_PORT", port}}).code);
    CPPUNIT_ASSERT_EQUAL(
        1,
        runProcess({bin, "healthcheck", "--url=http://127.0.0.1:" + port + "/nothing"}, {}).code);
    CPPUNIT_ASSERT_EQUAL(1, runProcess({bin, "healthcheck", "--timeout=1",
                                        "--url=http://127.0.0.1:" + std::to_string(freeTcpPort())},
                                       {})
                                .code);
    CPPUNIT_ASSERT_EQUAL(2, runProcess({bin, "healthcheck", "--bogus"}, {}).code);
    CPPUNIT_ASSERT_EQUAL(200, daemon_->get("/promsnmp/leader").status);
    HttpAnswer self = daemon_->get("/metrics");
    CPPUNIT_ASSERT_EQUAL(200, self.status);
    CPPUNIT_ASSERT(self.body.find("promsnmp_inventory_device_count 1") != std::string::npos);
    CPPUNIT_ASSERT(self.body.find("process_resident_memory_bytes") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(self.status, daemon_->get("/actuator/prometheus").status);
    HttpAnswer landing = daemon_->get("/");
    CPPUNIT_ASSERT(landing.body.find("Profiler3750") != std::string::npos);
    HttpAnswer gzip =
        daemon_->get(std::string("/snmp?target=") + kDevice, {{"Accept-Encoding", "gzip"}});
    CPPUNIT_ASSERT_EQUAL(200, gzip.status);
    CPPUNIT_ASSERT(gzip.body.size() > 2 && static_cast<unsigned char>(gzip.body[0]) == 0x1f &&
                   static_cast<unsigned char>(gzip.body[1]) == 0x8b);
    // Several gzip members (cached device part, fresh status tail): one valid stream that says
    // what the plain answer says.
    std::ofstream(dir_->path() + "/scrape.gz", std::ios::binary) << gzip.body;
    ProcessResult unzipped = runProcess({"/bin/gzip", "-dc", dir_->path() + "/scrape.gz"}, {}, 30);
    CPPUNIT_ASSERT_EQUAL(0, unzipped.code);
    auto stable = [](const std::string& text) {
      std::string out;
      std::istringstream lines(text);
      std::string line;
      while (std::getline(lines, line)) {
        if (!volatileLine(line)) {
          out += line + "\n";
        }
      }
      return out;
    };
    CPPUNIT_ASSERT(stable(unzipped.out) ==
                   stable(daemon_->get(std::string("/snmp?target=") + kDevice).body));
  }

  void testInventoryChangeFollowedAndCacheKept() {
    startDaemon();
    waitForStartupPoll();
    daemon_->get(std::string("/snmp?target=") + kDevice);  // warm the cache
    inventoryCli(env_, {"add-device", "--sys-name", "second", "--address", "127.0.0.1", "--port",
                        std::to_string(simAgent().port()), "--community", simAgent().community()});
    bool seen = false;
    for (int i = 0; i < 100 && !seen; ++i) {  // inventory poll is 200 ms: 10 s is plenty
      seen = daemon_->get("/targets").body.find("\"second\"") != std::string::npos;
      if (!seen) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    CPPUNIT_ASSERT_MESSAGE("new inventory version not picked up", seen);
    // The unchanged device kept its cached result: served from the cache, not polled again.
    double before = polls();
    HttpAnswer again = daemon_->get(std::string("/snmp?target=") + kDevice);
    CPPUNIT_ASSERT(again.body.find("snmp_scrape_duration_seconds{source=\"cached\"}") !=
                   std::string::npos);
    CPPUNIT_ASSERT_EQUAL(before, polls());
  }

  void testReloadKeepsRunningConfigWhenInvalid() {
    std::string cfg = dir_->path() + "/promsnmp.cfg";
    std::ofstream(cfg) << "log: { level = \"info\"; };\n";
    startDaemon({"--config.file=" + cfg});
    std::ofstream(cfg) << "log: { level = \"chatty\"; };\nnot valid libconfig\n";
    daemon_->signal(SIGHUP);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CPPUNIT_ASSERT_EQUAL(200, daemon_->get("/-/healthy").status);  // still alive after SIGHUP
    HttpAnswer failed = httpRequest(daemon_->port(), "POST", "/-/reload");
    CPPUNIT_ASSERT_EQUAL(500, failed.status);
    CPPUNIT_ASSERT(failed.body.find("promsnmp.cfg:") != std::string::npos);  // file:line
    std::ofstream(cfg) << "log: { level = \"debug\"; };\n";
    CPPUNIT_ASSERT_EQUAL(200, httpRequest(daemon_->port(), "POST", "/-/reload").status);
    CPPUNIT_ASSERT(daemon_->get("/config").body.find("log.level = \"debug\"") != std::string::npos);
  }

  void testLocalReplicaServesWhenShareUnreadable() {
    startDaemon();
    CPPUNIT_ASSERT_EQUAL(0, daemon_->signal(SIGTERM));
    // The share becomes unreadable: the head is garbage and no version can be read.
    std::string share = dir_->path() + "/share";
    for (const auto& entry : std::filesystem::directory_iterator(share)) {
      std::ofstream(entry.path(), std::ios::trunc) << "garbage";
    }
    startDaemon();
    HttpAnswer health = daemon_->get("/actuator/health");
    CPPUNIT_ASSERT_EQUAL(200, health.status);
    CPPUNIT_ASSERT(health.body.find("\"source\":\"local replica\"") != std::string::npos);
    CPPUNIT_ASSERT(health.body.find("\"error\"") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(200, daemon_->get(std::string("/snmp?target=") + kDevice).status);
  }

  void testSigtermExitsZero() {
    startDaemon();
    daemon_->get(std::string("/snmp?target=") + kDevice);
    CPPUNIT_ASSERT_EQUAL(0, daemon_->signal(SIGTERM));
    CPPUNIT_ASSERT(daemon_->log().find("msg=stopped") != std::string::npos);
  }

 private:
  void startDaemon(const std::vector<std::string>& args = {}) {
    daemon_.reset();
    daemon_ = std::make_unique<Daemon>(dir_->path(), env_, args);
  }

  /// Polls of devices so far, whatever triggered them (promsnmp_snmp_polls_total).
  double polls() {
    double total = 0;
    for (const Sample& s : parseSamples(daemon_->get("/metrics").body)) {
      if (s.name == "promsnmp_snmp_polls_total") {
        total += number(s.value);
      }
    }
    return total;
  }

  /// The collector polls every device once at start; tests that count polls wait for it.
  void waitForStartupPoll() {
    for (int i = 0; i < 200; ++i) {
      std::vector<Sample> self = parseSamples(daemon_->get("/metrics").body);
      if (polls() >= 1 && sampleValue(self, "promsnmp_polls_in_flight") == "0") {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CPPUNIT_FAIL("the start-up poll did not finish within 10 s");
  }

  std::unique_ptr<TempDir> dir_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<Daemon> daemon_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(DaemonTest);
