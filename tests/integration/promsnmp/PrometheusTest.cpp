// A real Prometheus server (Debian's package) discovers promsnmp's targets through HTTP SD on
// /targets, scrapes /snmp with the relabeling of promsnmp-java.md §3 for a minute, and ends up
// with every target up and the IF-MIB series with their labels.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>
#include <cppunit/extensions/HelperMacros.h>

#include "DaemonHelpers.h"
#include "ProcessHelpers.h"
#include "SnmpAgentHelpers.h"

using namespace testing;

namespace {

constexpr auto kScrapeFor = std::chrono::seconds(60);

Poco::JSON::Array::Ptr queryResult(int port, const std::string& promql) {
  std::string encoded;
  Poco::URI::encode(promql, "&=+?#{}\"", encoded);
  HttpAnswer answer = httpRequest(port, "GET", "/api/v1/query?query=" + encoded);
  if (answer.status != 200) {
    throw std::runtime_error("prometheus query failed: " + answer.body);
  }
  Poco::JSON::Parser parser;
  auto root = parser.parse(answer.body).extract<Poco::JSON::Object::Ptr>();
  return root->getObject("data")->getArray("result");
}

}  // namespace

class PrometheusTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(PrometheusTest);
  CPPUNIT_TEST(testPrometheusScrapesThroughHttpSd);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testPrometheusScrapesThroughHttpSd() {
    SnmpSimAgent agent;
    TempDir dir;
    std::map<std::string, std::string> env = {
        {"PROM_INV_FILE", dir.path() + "/share/promsnmp-inventory.json"},
        {"PROM_ENCRYPT_KEY", "prometheus test key"},
        {"PROMSNMP_STATE_DIR", dir.path() + "/state"},
        {"COLLECTION_INTERVAL", "5000"}};
    inventoryCli(env, {"init"});
    // Two inventory devices on the same recorded agent: two targets for Prometheus.
    for (const char* name : {"Profiler3750", "Profiler3750-b"}) {
      inventoryCli(env, {"add-device", "--sys-name", name, "--address", "127.0.0.1", "--port",
                         std::to_string(agent.port()), "--community", agent.community(),
                         "--timeout", "3000"});
    }
    Daemon daemon(dir.path(), env);

    int promPort = freeTcpPort();
    std::string self = "127.0.0.1:" + std::to_string(daemon.port());
    std::string config = dir.path() + "/prometheus.yml";
    std::ofstream(config) << "global:\n"
                          << "  scrape_interval: 5s\n"
                          << "  scrape_timeout: 4s\n"
                          << "scrape_configs:\n"
                          << "  - job_name: snmp\n"
                          << "    metrics_path: /snmp\n"
                          << "    http_sd_configs:\n"
                          << "      - url: http://" << self << "/targets\n"
                          << "        refresh_interval: 5s\n"
                          << "    relabel_configs:\n"
                          << "      - source_labels: [__address__]\n"
                          << "        target_label: __param_target\n"
                          << "      - source_labels: [__param_target]\n"
                          << "        target_label: instance\n"
                          << "      - target_label: __address__\n"
                          << "        replacement: " << self << "\n"
                          << "  - job_name: promsnmp\n"
                          << "    static_configs: [{targets: ['" << self << "']}]\n";
    ProcessResult check = runProcess({"/usr/bin/promtool", "check", "config", config}, {}, 60);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(check.out + check.err, 0, check.code);
    ChildProcess prometheus;
    prometheus.start({"/usr/bin/prometheus", "--config.file=" + config,
                      "--storage.tsdb.path=" + dir.path() + "/tsdb",
                      "--web.listen-address=127.0.0.1:" + std::to_string(promPort)},
                     {}, dir.path() + "/prometheus.log");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (httpRequest(promPort, "GET", "/-/ready", {}, {}, 1000).status != 200) {
      CPPUNIT_ASSERT_MESSAGE("prometheus did not become ready",
                             std::chrono::steady_clock::now() < deadline && prometheus.running());
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    std::this_thread::sleep_for(kScrapeFor);

    Poco::JSON::Array::Ptr up = queryResult(promPort, "up{job=\"snmp\"}");
    CPPUNIT_ASSERT_EQUAL(size_t(2), up->size());
    for (size_t i = 0; i < up->size(); ++i) {
      auto series = up->getObject(i);
      CPPUNIT_ASSERT_EQUAL(std::string("1"), series->getArray("value")->getElement<std::string>(1));
    }
    Poco::JSON::Array::Ptr octets =
        queryResult(promPort, "ifHCInOctets{job=\"snmp\",instance=\"Profiler3750\"}");
    CPPUNIT_ASSERT(octets->size() >= 50);
    auto labels = octets->getObject(0)->getObject("metric");
    // (ifAlias is empty on this recording, and Prometheus stores no empty label.)
    for (const char* name : {"ifDescr", "ifName", "ifIndex", "exported_instance"}) {
      CPPUNIT_ASSERT_MESSAGE(std::string("missing label ") + name, labels->has(name));
    }
    // A minute of scrapes at 5 s: each target scraped about 12 times, all served from the
    // cache after the first poll, and the samples counted by Prometheus agree.
    Poco::JSON::Array::Ptr scrapes =
        queryResult(promPort, "count_over_time(up{job=\"snmp\",instance=\"Profiler3750\"}[2m])");
    CPPUNIT_ASSERT(
        std::stod(scrapes->getObject(0)->getArray("value")->getElement<std::string>(1)) >= 8);
    Poco::JSON::Array::Ptr selfUp = queryResult(promPort, "up{job=\"promsnmp\"}");
    CPPUNIT_ASSERT_EQUAL(std::string("1"),
                         selfUp->getObject(0)->getArray("value")->getElement<std::string>(1));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PrometheusTest);
