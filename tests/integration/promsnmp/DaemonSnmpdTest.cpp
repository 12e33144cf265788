// The daemon against a real snmpd: SNMPv3 authPriv with the strongest protocols it has, an agent
// killed and restarted mid-run, a dead agent under a Prometheus scrape timeout, plus the
// process contract (systemd notify, --config.check, POST /promsnmp/inventory).
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <cppunit/extensions/HelperMacros.h>

#include "DaemonHelpers.h"
#include "ProcessHelpers.h"
#include "SnmpAgentHelpers.h"

using namespace testing;

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

class DaemonSnmpdTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DaemonSnmpdTest);
  CPPUNIT_TEST(testV3ScrapeMatchesSnmpbulkwalk);
  CPPUNIT_TEST(testAgentKilledThenRecovered);
  CPPUNIT_TEST(testScrapeTimeoutHeaderBoundsALivePoll);
  CPPUNIT_TEST(testSystemdNotify);
  CPPUNIT_TEST(testConfigCheck);
  CPPUNIT_TEST(testPostInventoryReplaces);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    dir_ = std::make_unique<TempDir>();
    env_ = {{"PROM_INV_FILE", dir_->path() + "/share/promsnmp-inventory.json"},
            {"PROM_ENCRYPT_KEY", "snmpd test key"},
            {"PROMSNMP_STATE_DIR", dir_->path() + "/state"},
            {"PROMSNMP_INVENTORY_POLL_INTERVAL_MS", "200"},
            {"COLLECTION_INTERVAL", "3600000"}};
    inventoryCli(env_, {"init"});
  }

  void tearDown() override {
    daemon_.reset();
    agent_.reset();
    dir_.reset();
  }

  void testV3ScrapeMatchesSnmpbulkwalk() {
    agent_ = std::make_unique<SnmpdAgent>();
    inventoryCli(env_,
                 {"add-device", "--sys-name", "host-v3", "--address", "127.0.0.1", "--port",
                  std::to_string(agent_->port()), "--security-name", SnmpdAgent::kUser,
                  "--auth-protocol", "SHA512", "--auth-passphrase", SnmpdAgent::kAuthPassphrase,
                  "--priv-protocol", "AES256", "--priv-passphrase", SnmpdAgent::kPrivPassphrase});
    daemon_ = std::make_unique<Daemon>(dir_->path(), env_);
    auto args = agent_->v3Args();
    auto walk = [&](const std::string& oid) {
      return toolWalk(args, agent_->port(), oid, dir_->path());
    };
    auto before = walk("1.3.6.1.2.1.31.1.1.1.6");
    daemon_->get("/promsnmp/evictCache");
    std::vector<Sample> samples = parseSamples(daemon_->get("/snmp?target=host-v3").body);
    auto after = walk("1.3.6.1.2.1.31.1.1.1.6");
    auto descr = walk("1.3.6.1.2.1.2.2.1.2");
    auto names = walk("1.3.6.1.2.1.31.1.1.1.1");
    auto aliases = walk("1.3.6.1.2.1.31.1.1.1.18");
    auto mtu = walk("1.3.6.1.2.1.2.2.1.4");
    CPPUNIT_ASSERT(!descr.empty());
    CPPUNIT_ASSERT_EQUAL(std::string("1"),
                         sampleValue(samples, "promsnmp_target_up", {{"target", "host-v3"}}));
    for (const auto& [oid, value] : descr) {
      std::string index = oid.substr(std::string("1.3.6.1.2.1.2.2.1.2.").size());
      std::map<std::string, std::string> labels = {
          {"ifIndex", index},
          {"ifDescr", value.bytes},
          {"ifName", names.at("1.3.6.1.2.1.31.1.1.1.1." + index).bytes},
          {"ifAlias", aliases.at("1.3.6.1.2.1.31.1.1.1.18." + index).bytes}};
      // Static columns equal; live counters lie between the walks before and after.
      CPPUNIT_ASSERT_EQUAL_MESSAGE("ifMtu " + index, mtu.at("1.3.6.1.2.1.2.2.1.4." + index).text,
                                   sampleValue(samples, "ifMtu", labels));
      std::string counterOid = "1.3.6.1.2.1.31.1.1.1.6." + index;
      uint64_t ours = std::stoull(sampleValue(samples, "ifHCInOctets", labels));
      CPPUNIT_ASSERT(std::stoull(before.at(counterOid).text) <= ours);
      CPPUNIT_ASSERT(ours <= std::stoull(after.at(counterOid).text));
    }
  }

  void testAgentKilledThenRecovered() {
    agent_ = std::make_unique<SnmpdAgent>();
    inventoryCli(env_, {"add-device", "--sys-name", "flappy", "--address", "127.0.0.1", "--port",
                        std::to_string(agent_->port()), "--community", SnmpdAgent::kCommunity,
                        "--timeout", "300", "--retries", "0"});
    env_["COLLECTION_INTERVAL"] = "1000";
    env_["CACHE_EXP_MILLIS"] = "1000";
    daemon_ = std::make_unique<Daemon>(dir_->path(), env_);
    auto up = [&] {
      return sampleValue(parseSamples(daemon_->get("/snmp?target=flappy").body),
                         "promsnmp_target_up", {{"target", "flappy"}});
    };
    CPPUNIT_ASSERT(eventually(10, [&] { return up() == "1"; }));

    agent_->kill();
    CPPUNIT_ASSERT_MESSAGE("target_up did not turn 0", eventually(15, [&] { return up() == "0"; }));
    HttpAnswer down = daemon_->get("/snmp?target=flappy");
    CPPUNIT_ASSERT_EQUAL(200, down.status);  // a well-formed answer that says why
    CPPUNIT_ASSERT(down.body.find("ifHCInOctets{") == std::string::npos);  // no stale counters
    std::vector<Sample> samples = parseSamples(down.body);
    CPPUNIT_ASSERT(std::stod(sampleValue(samples, "promsnmp_target_poll_errors_total",
                                         {{"target", "flappy"}, {"reason", "timeout"}})) >= 1);
    std::ofstream(dir_->path() + "/down.prom") << down.body;
    ProcessResult parse = runProcess(
        {"/bin/sh", "-c", "promtool check metrics < " + dir_->path() + "/down.prom"}, {}, 60);
    CPPUNIT_ASSERT_MESSAGE(parse.out + parse.err, parse.code == 0 || parse.code == 3);

    agent_->restart();
    CPPUNIT_ASSERT_MESSAGE("no recovery", eventually(15, [&] { return up() == "1"; }));
  }

  void testScrapeTimeoutHeaderBoundsALivePoll() {
    // Nothing listens on this port, and the inventory allows 3 s × 3 tries per request.
    int deadPort = freeUdpPort();
    inventoryCli(env_, {"add-device", "--sys-name", "dead", "--address", "127.0.0.1", "--port",
                        std::to_string(deadPort), "--community", "x", "--timeout", "3000",
                        "--retries", "2"});
    daemon_ = std::make_unique<Daemon>(dir_->path(), env_);
    daemon_->get("/promsnmp/evictCache");
    auto started = Clock::now();
    HttpAnswer answer =
        daemon_->get("/snmp?target=dead", {{"X-Prometheus-Scrape-Timeout-Seconds", "1.5"}});
    double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    CPPUNIT_ASSERT_EQUAL(200, answer.status);
    CPPUNIT_ASSERT_MESSAGE("answered after " + std::to_string(seconds) + " s", seconds < 1.5);
    CPPUNIT_ASSERT_EQUAL(std::string("0"), sampleValue(parseSamples(answer.body),
                                                       "promsnmp_target_up", {{"target", "dead"}}));
  }

  void testSystemdNotify() {
    std::string path = dir_->path() + "/notify.sock";
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    CPPUNIT_ASSERT_EQUAL(0, ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr));
    timeval timeout{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    env_["NOTIFY_SOCKET"] = path;
    daemon_ = std::make_unique<Daemon>(dir_->path(), env_);
    auto receive = [&](const std::string& wanted) {
      char buffer[4096];
      for (int i = 0; i < 20; ++i) {
        ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) {
          return false;
        }
        if (std::string(buffer, n).find(wanted) != std::string::npos) {
          return true;
        }
      }
      return false;
    };
    CPPUNIT_ASSERT(receive("READY=1"));
    CPPUNIT_ASSERT(receive("STATUS=inventory v"));
    CPPUNIT_ASSERT_EQUAL(0, daemon_->signal(SIGTERM));
    CPPUNIT_ASSERT(receive("STOPPING=1"));
    ::close(fd);
  }

  void testConfigCheck() {
    std::string bin = std::string(PROMSNMP_BIN_DIR) + "/promsnmp";
    std::string good = dir_->path() + "/good.cfg";
    std::string bad = dir_->path() + "/bad.cfg";
    std::ofstream(good) << "cache: { expire_ms = 60000; };\n";
    std::ofstream(bad) << "cache: {\n  expire_ms = -5;\n  colour = \"blue\";\n};\n";
    ProcessResult ok = runProcess({bin, "--config.check", "--config.file=" + good}, env_, 30);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(ok.err, 0, ok.code);
    CPPUNIT_ASSERT(ok.out.find("<secret>") != std::string::npos);  // the key, masked
    CPPUNIT_ASSERT(ok.out.find("snmpd test key") == std::string::npos);
    ProcessResult failed = runProcess({bin, "--config.check", "--config.file=" + bad}, env_, 30);
    CPPUNIT_ASSERT_EQUAL(78, failed.code);
    CPPUNIT_ASSERT_MESSAGE(failed.err, failed.err.find("bad.cfg:2:") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(failed.err, failed.err.find("bad.cfg:3:") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(2, runProcess({bin, "--no-such-flag"}, env_, 30).code);
  }

  void testPostInventoryReplaces() {
    daemon_ = std::make_unique<Daemon>(dir_->path(), env_);
    std::string body =
        R"({"devices":[{"sysName":"a","agents":[{"type":"snmp-community","endpoint":)"
        R"({"address":"127.0.0.1","port":1161},"version":1,"readCommunity":"public"}]},)"
        R"({"sysName":"b","agents":[{"type":"snmp-community","endpoint":)"
        R"({"address":"127.0.0.2","port":1161},"version":1,"readCommunity":"public"}]}],)"
        R"("discoverySeeds":[]})";
    HttpAnswer posted = httpRequest(daemon_->port(), "POST", "/promsnmp/inventory", {}, body);
    CPPUNIT_ASSERT_EQUAL(200, posted.status);
    CPPUNIT_ASSERT_EQUAL(std::string("Inventory imported successfully."), posted.body);
    std::string targets = daemon_->get("/targets").body;
    CPPUNIT_ASSERT(targets.find("\"a\"") != std::string::npos);
    CPPUNIT_ASSERT(targets.find("\"b\"") != std::string::npos);
    std::string shown = inventoryCli(env_, {"show", "--json"});
    CPPUNIT_ASSERT(shown.find("\"sysName\":\"b\"") != std::string::npos);
    HttpAnswer bad = httpRequest(daemon_->port(), "POST", "/promsnmp/inventory", {}, "{nope");
    CPPUNIT_ASSERT_EQUAL(400, bad.status);
    CPPUNIT_ASSERT(daemon_->get("/targets").body.find("\"b\"") != std::string::npos);
  }

 private:
  std::unique_ptr<TempDir> dir_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<SnmpdAgent> agent_;
  std::unique_ptr<Daemon> daemon_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(DaemonSnmpdTest);
