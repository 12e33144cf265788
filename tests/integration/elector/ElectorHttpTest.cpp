// The elector's own HTTP port: /metrics (values, and `promtool check metrics` on the real
// output), /healthz (200 with role/backend/holder; 503 once the backend has failed for longer
// than the lease), / and /health for a static role, 404/405, a chosen port that is taken (exit 1)
// and the default port taken (warning, keeps running). Only 127.0.0.1; every child is stopped by a
// destructor.
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

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
using elector_test::RedisServer;
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
  CPPUNIT_TEST(testRedisDownFailsHealthzAndForgetsHolder);
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

    // The static role: UP with no backend to ask, no lease behind the role.
    const HttpResult human = httpRequest(port, "/health");
    CPPUNIT_ASSERT_EQUAL(200, human.status);
    const Poco::JSON::Object::Ptr summary = parseJson(human.body);
    CPPUNIT_ASSERT_EQUAL(std::string("UP"), summary->getValue<std::string>("status"));
    CPPUNIT_ASSERT_EQUAL(std::string("leader"), summary->getValue<std::string>("role"));
    CPPUNIT_ASSERT_EQUAL(std::string("solo"), summary->getValue<std::string>("holder"));
    CPPUNIT_ASSERT(summary->isNull("leaseRemainingMs"));
    CPPUNIT_ASSERT_EQUAL(std::string("none"),
                         summary->getObject("backend")->getValue<std::string>("state"));
    CPPUNIT_ASSERT_EQUAL(200, httpRequest(port, "/").status);

    CPPUNIT_ASSERT_EQUAL(405, httpRequest(port, "/metrics", "POST").status);
    CPPUNIT_ASSERT_EQUAL(405, httpRequest(port, "/", "POST").status);
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

  /// Issue 12, item 9: redis-server stopped for longer than the TTL. Every elector's /healthz
  /// turns 503 "failing" (with the reason) within TTL + one retry + 1 s of the outage,
  /// elector_backend_up drops to 0, and the follower stops naming the old holder; all of it
  /// recovers when Redis is back. Two electors with a reader each (their collectors), TTL 1 s.
  void testRedisDownFailsHealthzAndForgetsHolder() {
    constexpr long kTtl = 1000;
    constexpr long kBound = kTtl + kTtl / 3 + 1000;
    testing::TempDir dir;
    RedisServer redis(elector_test::freePort());
    const std::string log = dir.path() + "/elector.log";
    const int ports[2] = {elector_test::freePort(), elector_test::freePort()};
    std::vector<std::unique_ptr<ElectorChild>> electors;
    std::vector<std::unique_ptr<LeadershipReader>> readers;
    for (int i = 0; i < 2; ++i) {
      const std::string socket = dir.path() + "/" + std::to_string(i) + ".sock";
      electors.push_back(std::make_unique<ElectorChild>(
          std::vector<std::string>{"--redis.address", "127.0.0.1:" + std::to_string(redis.port()),
                                   "--id", "e" + std::to_string(i), "--socket", socket,
                                   "--lease.ttl", std::to_string(kTtl), "--lease.key",
                                   "health:leader", "--web.listen-address",
                                   "127.0.0.1:" + std::to_string(ports[i])},
          log));
      readers.push_back(std::make_unique<LeadershipReader>(socket, milliseconds(3000)));
    }
    std::vector<LeadershipReader*> all = {readers[0].get(), readers[1].get()};
    const auto follower = [&]() -> int {
      for (int i = 0; i < 2; ++i) {
        if (readers[i]->isFollower() && readers[1 - i]->isLeader()) {
          return i;
        }
      }
      return -1;
    };
    // One leads, and the other names it.
    CPPUNIT_ASSERT_MESSAGE(readFile(log), pollUntil(all, milliseconds(5000), [&] {
                             const int f = follower();
                             return f >= 0 && !readers[f]->last()->holder.empty();
                           }));
    const int f = follower();
    const std::string holder = readers[1 - f]->last()->holder;
    CPPUNIT_ASSERT_EQUAL(holder, readers[f]->last()->holder);
    for (const int port : ports) {
      CPPUNIT_ASSERT_EQUAL(200, httpRequest(port, "/healthz").status);
      CPPUNIT_ASSERT_EQUAL(1.0, sample(httpRequest(port, "/metrics").body, "elector_backend_up"));
    }

    redis.stop();
    const auto stoppedAt = elector_test::Steady::now();
    // Failing, but not for a whole TTL yet: still healthy.
    CPPUNIT_ASSERT_EQUAL(200, httpRequest(ports[f], "/healthz").status);
    long failingAfter[2] = {-1, -1};
    long holderGoneAfter = -1;
    while (elector_test::msSince(stoppedAt) < kBound + 2000 &&
           (failingAfter[0] < 0 || failingAfter[1] < 0 || holderGoneAfter < 0)) {
      readers[f]->poll(milliseconds(20));
      readers[1 - f]->poll(milliseconds(0));
      if (holderGoneAfter < 0 && readers[f]->last()->holder.empty()) {
        holderGoneAfter = elector_test::msSince(stoppedAt);
      }
      for (int i = 0; i < 2; ++i) {
        if (failingAfter[i] < 0 && httpRequest(ports[i], "/healthz").status == 503) {
          failingAfter[i] = elector_test::msSince(stoppedAt);
        }
      }
    }
    std::cout << "\n  [redis down] /healthz 503 after " << failingAfter[0] << " / "
              << failingAfter[1] << " ms, follower's holder empty after " << holderGoneAfter
              << " ms (TTL " << kTtl << " ms, bound " << kBound << " ms)" << std::endl;
    for (int i = 0; i < 2; ++i) {
      CPPUNIT_ASSERT_MESSAGE("elector " + std::to_string(i) + " /healthz still 200 after " +
                                 std::to_string(kBound + 2000) + " ms of Redis down\n" +
                                 readFile(log),
                             failingAfter[i] >= kTtl - 200 && failingAfter[i] <= kBound);
      const HttpResult health = httpRequest(ports[i], "/healthz");
      CPPUNIT_ASSERT_EQUAL(503, health.status);
      const Poco::JSON::Object::Ptr body = parseJson(health.body);
      CPPUNIT_ASSERT_EQUAL(std::string("failing"), body->getValue<std::string>("status"));
      const std::string detail = body->optValue<std::string>("detail", "");
      CPPUNIT_ASSERT_MESSAGE(health.body, detail.rfind("backend failing for ", 0) == 0);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(health.body, std::string(""),
                                   body->getValue<std::string>("holder"));
      CPPUNIT_ASSERT_EQUAL(0.0,
                           sample(httpRequest(ports[i], "/metrics").body, "elector_backend_up"));
    }
    CPPUNIT_ASSERT_MESSAGE("the follower still names " + holder + "\n" + readFile(log),
                           holderGoneAfter >= 0 && holderGoneAfter <= kBound + kTtl / 3);

    // Redis back (empty): healthy again, one leader, and the follower names it.
    redis.start();
    const auto backAt = elector_test::Steady::now();
    CPPUNIT_ASSERT_MESSAGE(readFile(log), pollUntil(all, milliseconds(5000), [&] {
                             const int g = follower();
                             return g >= 0 && !readers[g]->last()->holder.empty() &&
                                    readers[g]->last()->holder == readers[1 - g]->last()->holder;
                           }));
    for (const int port : ports) {
      CPPUNIT_ASSERT_EQUAL_MESSAGE(readFile(log), 200,
                                   httpWaitFor(port, "/healthz", 200, milliseconds(3000)).status);
      CPPUNIT_ASSERT_EQUAL(1.0, sample(httpRequest(port, "/metrics").body, "elector_backend_up"));
    }
    std::cout << "  [redis down] back: healthy with a named leader after "
              << elector_test::msSince(backAt) << " ms" << std::endl;
    for (auto& elector : electors) {
      CPPUNIT_ASSERT_EQUAL(0, elector->terminate(milliseconds(5000)));
    }
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
