// ElectorStatus with FakeClock: the role shown (candidate, leader, follower, backend
// unreachable, static), the transitions ring (newest first, at most kTransitions, the error in
// the reason), the lease left counting down and stopping at 0, UP/DOWN, the last error kept
// after recovery, round trips, the socket clients read at snapshot time, and holder ids.
#include "ElectorStatus.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include "common/FakeClock.h"

using common::FakeClock;
using elector::ElectorStatus;
using elector::LeadershipServer;
using elector::StatusIdentity;
using std::chrono::microseconds;
using std::chrono::milliseconds;

namespace {

StatusIdentity identity(const std::string& backend) {
  StatusIdentity id;
  id.id = "r0";
  id.backend = backend;
  id.address = backend == "redis" ? "127.0.0.1:6379" : "";
  id.socketPath = "/run/promsnmp/elector.sock";
  id.leaseTtl = milliseconds(3000);
  return id;
}

long msLeft(const ElectorStatus::Snapshot& snapshot) {
  return snapshot.leaseRemaining ? static_cast<long>(snapshot.leaseRemaining->count()) : -1L;
}

}  // namespace

class ElectorStatusTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ElectorStatusTest);
  CPPUNIT_TEST(testRolesAndTransitions);
  CPPUNIT_TEST(testTransitionsRingKeepsTheNewest);
  CPPUNIT_TEST(testLeaseLeftCountsDown);
  CPPUNIT_TEST(testBackendDownAndLastError);
  CPPUNIT_TEST(testRoundTrips);
  CPPUNIT_TEST(testStaticRole);
  CPPUNIT_TEST(testClientsReadAtSnapshot);
  CPPUNIT_TEST(testHolderId);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testRolesAndTransitions() {
    FakeClock clock;
    ElectorStatus status(identity("redis"), clock, {});
    CPPUNIT_ASSERT_EQUAL(std::string("candidate"), status.snapshot().role);
    status.setRole(false, 0, "", std::nullopt, "started");
    clock.advance(milliseconds(100));
    status.setRole(true, 4, "r0:abc123", clock.steadyNow() + milliseconds(2000), "acquired");
    clock.advance(milliseconds(100));
    status.setRole(true, 4, "r0:abc123", clock.steadyNow() + milliseconds(2000), "renewed");
    clock.advance(milliseconds(100));
    status.setRole(false, 5, "r1:def456", std::nullopt, "lost");
    clock.advance(milliseconds(100));
    status.setBackend(clock.steadyNow(), "renew: Connection refused");
    status.setRole(false, 5, "r1:def456", std::nullopt, "observe_unknown");

    const ElectorStatus::Snapshot snapshot = status.snapshot();
    CPPUNIT_ASSERT_EQUAL(std::string("backend unreachable"), snapshot.role);
    CPPUNIT_ASSERT(!snapshot.leader);
    CPPUNIT_ASSERT_EQUAL(std::string("r1:def456"), snapshot.holder);
    CPPUNIT_ASSERT_EQUAL(std::string("r1"), snapshot.holderId);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{5}, snapshot.epoch);
    // Only changes of the shown role are kept ("renewed" is not one), newest first.
    CPPUNIT_ASSERT_EQUAL(std::size_t{4}, snapshot.transitions.size());
    const auto& t = snapshot.transitions;
    CPPUNIT_ASSERT_EQUAL(std::string("follower"), t[0].from);
    CPPUNIT_ASSERT_EQUAL(std::string("backend unreachable"), t[0].to);
    CPPUNIT_ASSERT_EQUAL(std::string("observe_unknown: renew: Connection refused"), t[0].reason);
    CPPUNIT_ASSERT_EQUAL(std::string("leader"), t[1].from);
    CPPUNIT_ASSERT_EQUAL(std::string("follower"), t[1].to);
    CPPUNIT_ASSERT_EQUAL(std::string("lost"), t[1].reason);
    CPPUNIT_ASSERT_EQUAL(std::string("candidate"), t[2].from);
    CPPUNIT_ASSERT_EQUAL(std::string("acquired"), t[2].reason);
    CPPUNIT_ASSERT_EQUAL(std::string(""), t[3].from);
    CPPUNIT_ASSERT_EQUAL(std::string("candidate"), t[3].to);
    CPPUNIT_ASSERT(t[0].at - t[2].at == milliseconds(300));
  }

  void testTransitionsRingKeepsTheNewest() {
    FakeClock clock;
    ElectorStatus status(identity("redis"), clock, {});
    for (int i = 0; i < 25; ++i) {
      status.setRole(i % 2 == 0, 1, "r0:abc", clock.steadyNow() + milliseconds(1000),
                     "step" + std::to_string(i));
      clock.advance(milliseconds(10));
    }
    const auto transitions = status.snapshot().transitions;
    CPPUNIT_ASSERT_EQUAL(ElectorStatus::kTransitions, transitions.size());
    CPPUNIT_ASSERT_EQUAL(std::string("step24"), transitions.front().reason);
    CPPUNIT_ASSERT_EQUAL(std::string("step15"), transitions.back().reason);
  }

  void testLeaseLeftCountsDown() {
    FakeClock clock;
    ElectorStatus status(identity("redis"), clock, {});
    status.setRole(true, 1, "r0:abc", clock.steadyNow() + milliseconds(2500), "acquired");
    CPPUNIT_ASSERT_EQUAL(2500L, msLeft(status.snapshot()));
    clock.advance(milliseconds(700));
    CPPUNIT_ASSERT_EQUAL(1800L, msLeft(status.snapshot()));
    clock.advance(milliseconds(5000));
    CPPUNIT_ASSERT_EQUAL(0L, msLeft(status.snapshot()));  // never negative
    // A follower has no lease of its own to show.
    status.setRole(false, 1, "r1:abc", clock.steadyNow() + milliseconds(2500), "lost");
    CPPUNIT_ASSERT_EQUAL(-1L, msLeft(status.snapshot()));
  }

  void testBackendDownAndLastError() {
    FakeClock clock;
    ElectorStatus status(identity("redis"), clock, {});
    status.setRole(false, 0, "r1:abc", std::nullopt, "held_by_other");
    CPPUNIT_ASSERT(status.snapshot().up);
    CPPUNIT_ASSERT(!status.snapshot().errorAt.has_value());
    const auto failedAt = clock.steadyNow();
    status.setBackend(failedAt, "");
    clock.advance(milliseconds(400));
    status.setBackend(failedAt, "acquire: timeout");
    ElectorStatus::Snapshot snapshot = status.snapshot();
    CPPUNIT_ASSERT(!snapshot.up);
    CPPUNIT_ASSERT(snapshot.failingSince == failedAt);
    CPPUNIT_ASSERT_EQUAL(std::string("acquire: timeout"), snapshot.error);
    // Answering again: UP, and the last error stays for the page, with when it was seen.
    clock.advance(milliseconds(100));
    status.setBackend(std::nullopt, "");
    snapshot = status.snapshot();
    CPPUNIT_ASSERT(snapshot.up);
    CPPUNIT_ASSERT(!snapshot.failingSince.has_value());
    CPPUNIT_ASSERT_EQUAL(std::string("acquire: timeout"), snapshot.error);
    CPPUNIT_ASSERT(snapshot.errorAt == failedAt + milliseconds(400));
    // An empty message still says something.
    status.setBackend(clock.steadyNow(), "");
    CPPUNIT_ASSERT_EQUAL(std::string("no answer"), status.snapshot().error);
  }

  void testRoundTrips() {
    FakeClock clock;
    ElectorStatus status(identity("redis"), clock, {});
    const auto first = clock.steadyNow();
    status.noteRoundTrip(first, microseconds(300), first);
    clock.advance(milliseconds(1000));
    const auto second = clock.steadyNow();
    status.noteRoundTrip(second, microseconds(5000), std::nullopt);  // no clear answer
    const ElectorStatus::Snapshot snapshot = status.snapshot();
    CPPUNIT_ASSERT(snapshot.lastAttempt == second);
    CPPUNIT_ASSERT(snapshot.lastAnswer == first);
    CPPUNIT_ASSERT_EQUAL(5000L, static_cast<long>(snapshot.latencyLast->count()));
    CPPUNIT_ASSERT_EQUAL(2650L, static_cast<long>(snapshot.latencyMedian->count()));
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, snapshot.latencySamples);
  }

  void testStaticRole() {
    FakeClock clock;
    ElectorStatus status(identity("static"), clock, {});
    status.setRole(true, 1, "host:1234", clock.steadyNow() + milliseconds(3000), "static_role");
    ElectorStatus::Snapshot snapshot = status.snapshot();
    CPPUNIT_ASSERT_EQUAL(std::string("leader"), snapshot.role);
    CPPUNIT_ASSERT(snapshot.up);
    CPPUNIT_ASSERT(!snapshot.leaseRemaining.has_value());  // no lease behind a static role
    // The name is not a token: "host:1234" stays whole although 1234 is hexadecimal.
    CPPUNIT_ASSERT_EQUAL(std::string("host:1234"), snapshot.holderId);
    ElectorStatus follower(identity("static"), clock, {});
    follower.setRole(false, 0, "", std::nullopt, "static_role");
    CPPUNIT_ASSERT_EQUAL(std::string("follower"), follower.snapshot().role);
  }

  void testClientsReadAtSnapshot() {
    FakeClock clock;
    std::vector<LeadershipServer::ClientInfo> clients;
    ElectorStatus status(identity("redis"), clock, [&] { return clients; });
    CPPUNIT_ASSERT(status.snapshot().clients.empty());
    LeadershipServer::ClientInfo client;
    client.pid = 4242;
    client.connectedAt = clock.steadyNow();
    clients.push_back(client);
    const auto snapshot = status.snapshot();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, snapshot.clients.size());
    CPPUNIT_ASSERT_EQUAL(4242, *snapshot.clients[0].pid);
  }

  void testHolderId() {
    CPPUNIT_ASSERT_EQUAL(std::string("r0"), ElectorStatus::holderId("r0:0a1b2c3d"));
    // A default id is hostname:pid; the token adds ":<hex>" after it.
    CPPUNIT_ASSERT_EQUAL(std::string("db1:4711"), ElectorStatus::holderId("db1:4711:ffee01"));
    CPPUNIT_ASSERT_EQUAL(std::string("pod-0"), ElectorStatus::holderId("pod-0"));
    CPPUNIT_ASSERT_EQUAL(std::string("a:b-c"), ElectorStatus::holderId("a:b-c"));  // not hex
    CPPUNIT_ASSERT_EQUAL(std::string("trailing:"), ElectorStatus::holderId("trailing:"));
    CPPUNIT_ASSERT_EQUAL(std::string(""), ElectorStatus::holderId(""));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ElectorStatusTest);
