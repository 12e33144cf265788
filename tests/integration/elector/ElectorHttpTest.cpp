// The elector's own HTTP port: /metrics (values, and `promtool check metrics` on the real
// output), /healthz (200 with role/backend/holder; 503 once the backend has failed for longer
// than the lease), 404/405, a chosen port that is taken (exit 1) and the default port taken
// (warning, keeps running). Only 127.0.0.1; every child is stopped by a destructor.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include "ElectorHarness.h"
#include "ProcessHelpers.h"
#include "RedisServer.h"

using elector_test::ElectorChild;
using elector_test::httpRequest;
using elector_test::HttpResult;
using elector_test::httpWaitFor;
using elector_test::LeadershipReader;
using elector_test::pollUntil;
using elector_test::readFile;
using std::chrono::milliseconds;

namespace {

std::string findPromtool() {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/promtool";
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return {};
}

Poco::JSON::Object::Ptr parseJson(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

/// The value of an unlabelled or labelled sample line `name value`, or -1 when absent.
double sample(const std::string& metrics, const std::string& name) {
  const std::size_t at = metrics.find("\n" + name + " ");
  if (at == std::string::npos) {
    return -1;
  }
  return std::stod(metrics.substr(at + name.size() + 2));
}

}  // namespace

class ElectorHttpTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ElectorHttpTest);
  CPPUNIT_TEST(testMetricsAndHealthz);
  CPPUNIT_TEST(testHealthzFailsWhenBackendFailsLongerThanLease);
  CPPUNIT_TEST(testChosenPortTakenExits);
  CPPUNIT_TEST(testDefaultPortTakenKeepsRunning);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testMetricsAndHealthz() {
    testing::TempDir dir;
    const std::string socket = dir.path() + "/s.sock";
    const std::string log = dir.path() + "/elector.log";
    const int port = elector_test::freePort();
    ElectorChild elector(
        {"--backend", "static", "--role", "leader", "--id", "solo", "--socket", socket,
         "--lease.ttl", "600", "--web.listen-address", "127.0.0.1:" + std::to_string(port)},
        log);
    LeadershipReader reader(socket, milliseconds(3000));
    CPPUNIT_ASSERT(pollUntil({&reader}, milliseconds(2000), [&] { return reader.isLeader(); }));

    const HttpResult metrics = httpWaitFor(port, "/metrics", 200, milliseconds(3000));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(readFile(log), 200, metrics.status);
    CPPUNIT_ASSERT_MESSAGE(metrics.contentType,
                           metrics.contentType.rfind("text/plain; version=0.0.4", 0) == 0);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(metrics.body, 1.0, sample(metrics.body, "elector_is_leader"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(metrics.body, 1.0, sample(metrics.body, "elector_epoch"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(metrics.body, 1.0,
                                 sample(metrics.body, "elector_transitions_total"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(metrics.body, 1.0, sample(metrics.body, "elector_socket_clients"));
    CPPUNIT_ASSERT(metrics.body.find("# TYPE elector_renew_duration_seconds histogram") !=
                   std::string::npos);
    CPPUNIT_ASSERT(metrics.body.find("elector_errors_total{kind=\"publish\"} 0") !=
                   std::string::npos);

    // The real output passes the Prometheus lint.
    const std::string promtool = findPromtool();
    if (promtool.empty()) {
      std::cerr << "\nElectorHttpTest: promtool not found on PATH; lint skipped\n";
    } else {
      const std::string file = dir.path() + "/metrics.prom";
      std::ofstream(file) << metrics.body;
      const testing::ProcessResult lint = testing::runProcess(
          {"/bin/sh", "-c", "'" + promtool + "' check metrics < '" + file + "'"}, {}, 30);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(lint.out + lint.err, 0, lint.code);
      CPPUNIT_ASSERT_MESSAGE(lint.out + lint.err, lint.out.empty() && lint.err.empty());
    }

    const HttpResult health = httpRequest(port, "/healthz");
    CPPUNIT_ASSERT_EQUAL(200, health.status);
    CPPUNIT_ASSERT_EQUAL(std::string("application/json"), health.contentType);
    const Poco::JSON::Object::Ptr body = parseJson(health.body);
    CPPUNIT_ASSERT_EQUAL(std::string("ok"), body->getValue<std::string>("status"));
    CPPUNIT_ASSERT_EQUAL(std::string("leader"), body->getValue<std::string>("role"));
    CPPUNIT_ASSERT_EQUAL(std::string("static"), body->getValue<std::string>("backend"));
    CPPUNIT_ASSERT_EQUAL(std::string("solo"), body->getValue<std::string>("holder"));

    CPPUNIT_ASSERT_EQUAL(405, httpRequest(port, "/metrics", "POST").status);
    CPPUNIT_ASSERT_EQUAL(404, httpRequest(port, "/nope").status);
    const HttpResult head = httpRequest(port, "/healthz", "HEAD");
    CPPUNIT_ASSERT_EQUAL(200, head.status);
    CPPUNIT_ASSERT(head.body.empty());

    // Stopped with the elector.
    CPPUNIT_ASSERT_EQUAL(0, elector.terminate(milliseconds(5000)));
    CPPUNIT_ASSERT_EQUAL(0, httpRequest(port, "/healthz").status);
  }

  void testHealthzFailsWhenBackendFailsLongerThanLease() {
    testing::TempDir dir;
    const std::string socket = dir.path() + "/k.sock";
    const std::string log = dir.path() + "/elector.log";
    const int port = elector_test::freePort();
    const int nobody = elector_test::freePort();  // nothing listens there: connection refused
    ElectorChild elector(
        {"--backend", "kubernetes", "--id", "pod-a", "--kubernetes.url",
         "http://127.0.0.1:" + std::to_string(nobody), "--kubernetes.poll-interval", "100",
         "--kubernetes.timeout", "200", "--lease.ttl", "800", "--socket", socket,
         "--web.listen-address", "127.0.0.1:" + std::to_string(port)},
        log);
    // Failing, but not yet for a whole lease: healthy follower.
    HttpResult health = httpWaitFor(port, "/healthz", 200, milliseconds(3000));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(readFile(log), 200, health.status);
    CPPUNIT_ASSERT_EQUAL(std::string("follower"),
                         parseJson(health.body)->getValue<std::string>("role"));
    // Failing for longer than the lease: 503.
    health = httpWaitFor(port, "/healthz", 503, milliseconds(3000));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(readFile(log), 503, health.status);
    const Poco::JSON::Object::Ptr body = parseJson(health.body);
    CPPUNIT_ASSERT_EQUAL(std::string("failing"), body->getValue<std::string>("status"));
    CPPUNIT_ASSERT_EQUAL(std::string("kubernetes"), body->getValue<std::string>("backend"));
    CPPUNIT_ASSERT(body->getValue<Poco::Int64>("failing_ms") > 800);
    const HttpResult metrics = httpRequest(port, "/metrics");
    CPPUNIT_ASSERT_EQUAL(200, metrics.status);  // /metrics answers whatever the health
    CPPUNIT_ASSERT_EQUAL(0.0, sample(metrics.body, "elector_is_leader"));
    const std::string connect = "elector_errors_total{kind=\"connect\"}";
    CPPUNIT_ASSERT_MESSAGE(metrics.body, sample(metrics.body, connect) >= 5);
    CPPUNIT_ASSERT(sample(metrics.body, "elector_renew_duration_seconds_count") >= 5);
    CPPUNIT_ASSERT_EQUAL(0, elector.terminate(milliseconds(5000)));
  }

  void testChosenPortTakenExits() {
    testing::TempDir dir;
    Poco::Net::ServerSocket taken(Poco::Net::SocketAddress("127.0.0.1", 0));
    const std::string log = dir.path() + "/elector.log";
    ElectorChild elector(
        {"--backend", "static", "--role", "follower", "--socket", dir.path() + "/t.sock",
         "--web.listen-address", "127.0.0.1:" + std::to_string(taken.address().port())},
        log);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(readFile(log), 1, elector.waitExit(milliseconds(5000)));
    const std::string text = readFile(log);
    CPPUNIT_ASSERT_MESSAGE(text, text.find("cannot serve the HTTP port") != std::string::npos);
    CPPUNIT_ASSERT(::access((dir.path() + "/t.sock").c_str(), F_OK) != 0);  // socket removed
  }

  void testDefaultPortTakenKeepsRunning() {
    testing::TempDir dir;
    // Hold the default port if it is free; if something else holds it the outcome must be the
    // same.
    std::optional<Poco::Net::ServerSocket> taken;
    try {
      taken.emplace(Poco::Net::SocketAddress("127.0.0.1", 9465));
    } catch (const Poco::Net::NetException&) {
      // already taken by someone else
    }
    const std::string socket = dir.path() + "/d.sock";
    const std::string log = dir.path() + "/elector.log";
    ElectorChild elector({"--backend", "static", "--role", "leader", "--socket", socket}, log);
    LeadershipReader reader(socket, milliseconds(3000));
    CPPUNIT_ASSERT(pollUntil({&reader}, milliseconds(2000), [&] { return reader.isLeader(); }));
    CPPUNIT_ASSERT(elector.running());
    const std::string text = readFile(log);
    CPPUNIT_ASSERT_MESSAGE(text, text.find("HTTP port disabled") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(0, elector.terminate(milliseconds(5000)));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ElectorHttpTest);
