// SIGTERM while polls are in flight (issue 12): a collection cycle with more devices due than
// the collector polls at once (64), and a scrape poll abandoned when its budget ran out. The
// daemon must cancel those polls and wait for their callbacks before anything they use is
// destroyed, and exit 0 within a bound. The devices never answer (a UDP socket that is never
// read), so every poll stays in flight until cancelled. Run against a PROMSNMP_SANITIZE build,
// the old teardown shows as an AddressSanitizer report (stack-use-after-scope in Collector.cpp)
// and a non-zero exit.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <memory>
#include <string>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <cppunit/extensions/HelperMacros.h>

#include "DaemonHelpers.h"
#include "ProcessHelpers.h"

using namespace testing;

namespace {

constexpr int kDevices = 100;  // more than Collector::Options::maxConcurrentPolls (64)

/// A UDP socket on 127.0.0.1 that nobody reads: SNMP requests to it are never answered.
class SilentAgent {
 public:
  SilentAgent() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    CPPUNIT_ASSERT(fd_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CPPUNIT_ASSERT_EQUAL(0, ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address));
    socklen_t length = sizeof address;
    CPPUNIT_ASSERT_EQUAL(0, ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length));
    port_ = ntohs(address.sin_port);
  }
  ~SilentAgent() { ::close(fd_); }
  SilentAgent(const SilentAgent&) = delete;
  SilentAgent& operator=(const SilentAgent&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

/// An inventory of `count` devices on one silent agent, each with its own community (so its own
/// SNMP session), a 20 s timeout and no retry: their polls outlast the test.
std::string silentInventory(int count, int port) {
  std::string devices;
  for (int i = 0; i < count; ++i) {
    std::string agent = R"({"type":"snmp-community","endpoint":{"address":"127.0.0.1","port":)" +
                        std::to_string(port) +
                        R"(},"version":1,"timeout":20000,"retries":0,"readCommunity":"hush-)" +
                        std::to_string(i) + R"(-hush"})";
    devices += std::string(i == 0 ? "" : ",") + R"({"sysName":"silent-)" + std::to_string(i) +
               R"(","agents":[)" + agent + R"(],"primaryAgent":)" + agent + "}";
  }
  return R"({"devices":[)" + devices + R"(],"discoverySeeds":[]})";
}

}  // namespace

class DaemonShutdownTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DaemonShutdownTest);
  CPPUNIT_TEST(testSigtermWithPollsInFlightExitsCleanly);
  CPPUNIT_TEST(testEarlyErrorAfterStartExitsCleanly);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    dir_ = std::make_unique<TempDir>();
    agent_ = std::make_unique<SilentAgent>();
    env_ = {{"PROM_INV_FILE", dir_->path() + "/share/promsnmp-inventory.json"},
            {"PROM_ENCRYPT_KEY", "shutdown test key"},
            {"PROMSNMP_STATE_DIR", dir_->path() + "/state"},
            {"COLLECTION_INTERVAL", "600000"}};  // one cycle, at start
    std::string file = dir_->path() + "/inventory.json";
    std::ofstream(file) << silentInventory(kDevices, agent_->port());
    inventoryCli(env_, {"init", "--import", file});
  }

  void tearDown() override {
    daemon_.reset();
    agent_.reset();
    dir_.reset();
  }

  void testSigtermWithPollsInFlightExitsCleanly() {
    daemon_ = std::make_unique<Daemon>(dir_->path(), env_);
    // The first cycle has started 64 polls and waits for a free slot for the other 36.
    CPPUNIT_ASSERT_MESSAGE(daemon_->log(), eventually(10, [&] {
                             return sampleValue(parseSamples(daemon_->get("/metrics").body),
                                                "promsnmp_polls_in_flight") == "64";
                           }));
    // A scrape of a device the cycle has not reached: its 0.5 s budget (less the 250 ms margin)
    // runs out and the poll goes on, abandoned.
    const std::string last = "silent-" + std::to_string(kDevices - 1);
    HttpAnswer scrape =
        daemon_->get("/snmp?target=" + last, {{"X-Prometheus-Scrape-Timeout-Seconds", "0.5"}});
    CPPUNIT_ASSERT_EQUAL(200, scrape.status);
    CPPUNIT_ASSERT_MESSAGE(scrape.body, scrape.body.find("promsnmp_target_up{target=\"" + last +
                                                         "\"} 0") != std::string::npos);
    std::vector<Sample> samples = parseSamples(daemon_->get("/metrics").body);
    CPPUNIT_ASSERT_EQUAL(std::string("65"),
                         sampleValue(samples, "promsnmp_snmp_requests_in_flight"));

    const auto signalled = std::chrono::steady_clock::now();
    const int status = daemon_->signal(SIGTERM, 15000);
    const auto took = std::chrono::steady_clock::now() - signalled;
    const std::string log = daemon_->log();
    CPPUNIT_ASSERT_EQUAL_MESSAGE(log, 0, status);
    CPPUNIT_ASSERT_MESSAGE(log, took < std::chrono::seconds(5));
    CPPUNIT_ASSERT_MESSAGE(log, log.find("Sanitizer") == std::string::npos &&
                                    log.find("runtime error") == std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(log, log.find("msg=stopped") != std::string::npos);
  }

  // The early error returns after the inventory (and the elector client) started go through the
  // same teardown: here the listen address is taken.
  void testEarlyErrorAfterStartExitsCleanly() {
    Poco::Net::ServerSocket taken(Poco::Net::SocketAddress("127.0.0.1", 0));
    auto env = env_;
    env["PROMSNMP_ELECTOR_SOCKET"] = dir_->path() + "/no-elector.sock";
    ProcessResult run =
        runProcess({std::string(PROMSNMP_BIN_DIR) + "/promsnmp",
                    "--web.listen-address=127.0.0.1:" + std::to_string(taken.address().port())},
                   env, 30);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(run.err, 69, run.code);
    CPPUNIT_ASSERT_MESSAGE(run.err, run.err.find("cannot listen") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(run.err, run.err.find("Sanitizer") == std::string::npos &&
                                        run.err.find("runtime error") == std::string::npos);
  }

 private:
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<SilentAgent> agent_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<Daemon> daemon_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(DaemonShutdownTest);
