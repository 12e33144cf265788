// The daemon's limits (issue 7): each is a clear 4xx with a message and a count in
// promsnmp_http_rejected_total{limit}, and the server keeps serving: request body size (413),
// addresses per discovery request (400), discovery requests per minute (429 with Retry-After),
// header count and size (400, POCO's limits), and slow clients (disconnected after
// web.read_timeout_ms).
#include <chrono>
#include <thread>

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <cppunit/extensions/HelperMacros.h>

#include "DaemonHelpers.h"
#include "ProcessHelpers.h"

using namespace testing;

namespace {

std::string discoveryBody(const std::string& targets) {
  return R"({"potentialTargets":[")" + targets +
         R"("],"agentType":"snmp-community","port":9,"readCommunity":"limits-test"})";
}

}  // namespace

class DaemonLimitsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DaemonLimitsTest);
  CPPUNIT_TEST(testLimits);
  CPPUNIT_TEST(testSlowClientDisconnected);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    dir_ = std::make_unique<TempDir>();
    env_ = {{"PROM_INV_FILE", dir_->path() + "/share/promsnmp-inventory.json"},
            {"PROM_ENCRYPT_KEY", "limits test key"},
            {"PROMSNMP_STATE_DIR", dir_->path() + "/state"},
            {"COLLECTION_INTERVAL", "3600000"},
            {"PROMSNMP_WEB_MAX_REQUEST_BODY", "2048"},
            {"PROMSNMP_DISCOVERY_MAX_ADDRESSES", "16"},
            {"PROMSNMP_DISCOVERY_MAX_REQUESTS_PER_MINUTE", "3"},
            {"PROMSNMP_WEB_READ_TIMEOUT_MS", "500"}};
    inventoryCli(env_, {"init"});
    daemon_ = std::make_unique<Daemon>(dir_->path(), env_);
  }

  void tearDown() override {
    daemon_.reset();
    dir_.reset();
  }

  void testLimits() {
    const int port = daemon_->port();
    // Body size: declared and actual.
    HttpAnswer big = httpRequest(port, "POST", "/promsnmp/inventory", {}, std::string(4096, ' '));
    CPPUNIT_ASSERT_EQUAL(413, big.status);
    CPPUNIT_ASSERT(big.body.find("web.max_request_body (2048 bytes)") != std::string::npos);

    // Addresses per request: a /27 is 32 addresses, the limit 16. Counted before the rate.
    HttpAnswer wide = httpRequest(port, "POST", "/promsnmp/discovery?scheduleNow=false", {},
                                  discoveryBody("127.0.30.0/27"));
    CPPUNIT_ASSERT_EQUAL(400, wide.status);
    CPPUNIT_ASSERT_MESSAGE(wide.body,
                           wide.body.find("discovery.max_addresses") != std::string::npos);

    // Rate: 3 per minute, and the /27 above took one token: two more pass, then 429.
    for (int i = 0; i < 2; ++i) {
      HttpAnswer ok = httpRequest(port, "POST", "/promsnmp/discovery?scheduleNow=false", {},
                                  discoveryBody("127.0.30." + std::to_string(i + 1)));
      CPPUNIT_ASSERT_EQUAL_MESSAGE(ok.body, 202, ok.status);
    }
    HttpAnswer limited = httpRequest(port, "POST", "/promsnmp/discovery?scheduleNow=false", {},
                                     discoveryBody("127.0.30.9"));
    CPPUNIT_ASSERT_EQUAL(429, limited.status);
    CPPUNIT_ASSERT(limited.body.find("discovery.max_requests_per_minute") != std::string::npos);
    int retryAfter = std::stoi(limited.headers["Retry-After"]);
    CPPUNIT_ASSERT_MESSAGE(limited.headers["Retry-After"], retryAfter >= 1 && retryAfter <= 20);

    // Headers: too many fields, and one value too long (POCO's limits): 400, not a crash.
    std::map<std::string, std::string> many;
    for (int i = 0; i < 150; ++i) {
      many["X-Filler-" + std::to_string(i)] = "x";
    }
    CPPUNIT_ASSERT_EQUAL(400, httpRequest(port, "GET", "/-/healthy", many).status);
    CPPUNIT_ASSERT_EQUAL(
        400, httpRequest(port, "GET", "/-/healthy", {{"X-Long", std::string(20000, 'v')}}).status);

    // Still serving, and every refusal counted by its limit.
    std::vector<Sample> self = parseSamples(daemon_->get("/metrics").body);
    CPPUNIT_ASSERT_EQUAL(std::string("1"), sampleValue(self, "promsnmp_http_rejected_total",
                                                       {{"limit", "body_size"}}));
    CPPUNIT_ASSERT_EQUAL(std::string("1"), sampleValue(self, "promsnmp_http_rejected_total",
                                                       {{"limit", "discovery_addresses"}}));
    CPPUNIT_ASSERT_EQUAL(std::string("1"), sampleValue(self, "promsnmp_http_rejected_total",
                                                       {{"limit", "discovery_rate"}}));
  }

  void testSlowClientDisconnected() {
    // Half a request line, then nothing: the server hangs up after the read timeout (500 ms).
    Poco::Net::StreamSocket slow(Poco::Net::SocketAddress("127.0.0.1", daemon_->port()));
    slow.sendBytes("GET /-/healthy HTTP/1.1\r\nHost: x\r\n", 35);
    slow.setReceiveTimeout(Poco::Timespan(5, 0));
    auto start = std::chrono::steady_clock::now();
    char buffer[512];
    int n = -1;
    try {
      do {
        n = slow.receiveBytes(buffer, sizeof buffer);  // an error answer, then the close
      } while (n > 0);
    } catch (const Poco::Exception&) {
      n = -1;  // reset by the server: also a disconnect
    }
    double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CPPUNIT_ASSERT_MESSAGE("not disconnected within 5 s", waited < 4.5);
    CPPUNIT_ASSERT_MESSAGE(std::to_string(waited), waited >= 0.4);
    CPPUNIT_ASSERT_EQUAL(200, daemon_->get("/-/healthy").status);
  }

 private:
  std::unique_ptr<TempDir> dir_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<Daemon> daemon_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(DaemonLimitsTest);
