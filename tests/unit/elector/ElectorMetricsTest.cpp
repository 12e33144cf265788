// ElectorMetrics: the exposition text (values, cumulative histogram buckets, pre-declared error
// kinds), transitions, the health rule (failing for longer than the lease), and
// `promtool check metrics` on the output (skipped with a message when promtool is missing).
#include "ElectorMetrics.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include "common/FakeClock.h"

using common::FakeClock;
using elector::ElectorMetrics;
using std::chrono::milliseconds;

namespace {

bool contains(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

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

}  // namespace

class ElectorMetricsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ElectorMetricsTest);
  CPPUNIT_TEST(testRender);
  CPPUNIT_TEST(testTransitions);
  CPPUNIT_TEST(testHealth);
  CPPUNIT_TEST(testBackendAndCollectorState);
  CPPUNIT_TEST(testPromtoolClean);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testRender() {
    std::size_t clients = 3;
    ElectorMetrics metrics("redis", {"renew_unknown", "acquire_unknown"}, [&] { return clients; });
    std::string text = metrics.render();
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, "\nelector_is_leader 0\n"));
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, "\nelector_epoch 0\n"));
    CPPUNIT_ASSERT_MESSAGE(text,
                           contains(text, "elector_errors_total{kind=\"renew_unknown\"} 0\n"));
    CPPUNIT_ASSERT_MESSAGE(text,
                           contains(text, "elector_errors_total{kind=\"acquire_unknown\"} 0\n"));
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, "\nelector_socket_clients 3\n"));
    CPPUNIT_ASSERT_MESSAGE(text,
                           contains(text, "# TYPE elector_renew_duration_seconds histogram\n"));

    metrics.setRole(true, 42, "a:1");
    metrics.observeRenew(0.003);
    metrics.observeRenew(0.2);
    metrics.observeRenew(7.0);
    metrics.countError("renew_unknown");
    metrics.countError("renew_unknown");
    clients = 1;
    text = metrics.render();
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, "\nelector_is_leader 1\n"));
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, "\nelector_epoch 42\n"));
    CPPUNIT_ASSERT_MESSAGE(text,
                           contains(text, "elector_errors_total{kind=\"renew_unknown\"} 2\n"));
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, "\nelector_socket_clients 1\n"));
    // Cumulative buckets: 0.003 is in le=0.005 and above, 0.2 from le=0.25, 7 only in +Inf.
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, "_bucket{le=\"0.0025\"} 0\n"));
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, "_bucket{le=\"0.005\"} 1\n"));
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, "_bucket{le=\"0.1\"} 1\n"));
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, "_bucket{le=\"0.25\"} 2\n"));
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, "_bucket{le=\"5\"} 2\n"));
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, "_bucket{le=\"+Inf\"} 3\n"));
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, "elector_renew_duration_seconds_sum 7.203\n"));
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, "elector_renew_duration_seconds_count 3\n"));
  }

  void testTransitions() {
    ElectorMetrics metrics("file", {}, {});
    metrics.setRole(false, 0, "");  // follower at start: not a change
    metrics.setRole(true, 1, "me");
    metrics.setRole(true, 1, "me");  // a renew
    metrics.setRole(false, 1, "");
    metrics.setRole(true, 2, "me");
    const std::string text = metrics.render();
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, "\nelector_transitions_total 3\n"));
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, "\nelector_socket_clients 0\n"));
  }

  void testHealth() {
    FakeClock clock;
    ElectorMetrics metrics("kubernetes", {}, {});
    metrics.setRole(true, 7, "pod-0");
    ElectorMetrics::Health health = metrics.health(clock.steadyNow(), milliseconds(1000));
    CPPUNIT_ASSERT(health.healthy);
    CPPUNIT_ASSERT(health.leader);
    CPPUNIT_ASSERT_EQUAL(std::string("kubernetes"), health.backend);
    CPPUNIT_ASSERT_EQUAL(std::string("pod-0"), health.holder);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{7}, health.epoch);

    metrics.noteBackend(false, clock.steadyNow());
    clock.advance(milliseconds(500));
    metrics.noteBackend(false, clock.steadyNow());  // still failing since the first failure
    clock.advance(milliseconds(500));
    CPPUNIT_ASSERT(metrics.health(clock.steadyNow(), milliseconds(1000)).healthy);
    clock.advance(milliseconds(1));
    health = metrics.health(clock.steadyNow(), milliseconds(1000));
    CPPUNIT_ASSERT(!health.healthy);
    CPPUNIT_ASSERT(health.failingFor == milliseconds(1001));
    metrics.noteBackend(true, clock.steadyNow());
    CPPUNIT_ASSERT(metrics.health(clock.steadyNow(), milliseconds(1000)).healthy);
  }

  /// Issue 12, items 8 and 9: the election's own failing-since drives /healthz (503 after one
  /// lease, with the reason) and elector_backend_up; a missing collector shows in the detail.
  void testBackendAndCollectorState() {
    FakeClock clock;
    std::size_t clients = 1;
    ElectorMetrics metrics("redis", {}, [&] { return clients; });
    ElectorMetrics::Health health = metrics.health(clock.steadyNow(), milliseconds(1000));
    CPPUNIT_ASSERT_EQUAL(std::string(""), health.collector);  // not tracked by this backend
    CPPUNIT_ASSERT_EQUAL(std::string(""), health.detail);
    std::string text = metrics.render();
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, "\nelector_backend_up 1\n"));
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, "\nelector_collector_connected 1\n"));

    metrics.setCollector(std::nullopt);
    CPPUNIT_ASSERT_EQUAL(std::string("connected"),
                         metrics.health(clock.steadyNow(), milliseconds(1000)).collector);
    const auto since = clock.steadyNow();
    metrics.setBackendFailing(since, "renew: Connection refused");
    text = metrics.render();
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, "\nelector_backend_up 0\n"));
    clock.advance(milliseconds(1000));
    CPPUNIT_ASSERT(metrics.health(clock.steadyNow(), milliseconds(1000)).healthy);
    clock.advance(milliseconds(200));
    health = metrics.health(clock.steadyNow(), milliseconds(1000));
    CPPUNIT_ASSERT(!health.healthy);
    CPPUNIT_ASSERT_EQUAL(std::string("backend failing for 1.2 s: renew: Connection refused"),
                         health.detail);
    metrics.setBackendFailing(std::nullopt, "");
    CPPUNIT_ASSERT(metrics.health(clock.steadyNow(), milliseconds(1000)).healthy);

    clients = 0;
    metrics.setCollector(clock.steadyNow());
    clock.advance(milliseconds(4000));
    health = metrics.health(clock.steadyNow(), milliseconds(1000));
    CPPUNIT_ASSERT(health.healthy);  // the elector works; it only waits for its collector
    CPPUNIT_ASSERT_EQUAL(std::string("absent"), health.collector);
    CPPUNIT_ASSERT_EQUAL(std::string("no collector connected for 4.0 s; not campaigning"),
                         health.detail);
    text = metrics.render();
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, "\nelector_collector_connected 0\n"));
  }

  void testPromtoolClean() {
    const std::string promtool = findPromtool();
    if (promtool.empty()) {
      std::cerr << "\nElectorMetricsTest: promtool not found on PATH; skipped (apt install "
                   "prometheus)\n";
      return;
    }
    ElectorMetrics metrics("kubernetes", {"connect", "slow"}, [] { return std::size_t{2}; });
    metrics.setRole(true, 1748779200000, "pod-0");
    metrics.observeRenew(0.0004);
    metrics.countError("slow");
    char path[] = "/tmp/elector-metrics-test.XXXXXX";
    const int fd = ::mkstemp(path);
    CPPUNIT_ASSERT(fd >= 0);
    ::close(fd);
    std::ofstream(path) << metrics.render();
    const std::string command = "'" + promtool + "' check metrics < '" + path + "' 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    CPPUNIT_ASSERT(pipe != nullptr);
    std::string output;
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
      output.append(buffer, n);
    }
    const int status = ::pclose(pipe);
    std::remove(path);
    CPPUNIT_ASSERT_MESSAGE(output, WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CPPUNIT_ASSERT_MESSAGE(output, output.empty());
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ElectorMetricsTest);
