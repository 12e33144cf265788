// The kubernetes backend's decision logic against FakeLeaderSource and FakeClock: leader only
// while the latest good, fast answer names us; follower at once on every kind of bad answer,
// and after a whole lease without a good answer.
#include "KubernetesElection.h"

#include <chrono>
#include <stdexcept>
#include <string>

#include <Poco/Exception.h>
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include "FakeLeaderSource.h"
#include "common/FakeClock.h"

using common::FakeClock;
using elector::Decision;
using elector::FakeLeaderSource;
using elector::KubernetesConfig;
using elector::KubernetesElection;
using elector::Reason;
using elector::Role;
using std::chrono::milliseconds;

namespace {

KubernetesConfig testConfig() {
  KubernetesConfig config;
  config.me = "promsnmp-0";
  config.pollInterval = milliseconds(1000);
  config.requestTimeout = milliseconds(1000);
  config.lease = milliseconds(10000);
  return config;
}

/// FakeClock's system time at construction, in milliseconds since the epoch.
constexpr std::int64_t kStartWallMs = 1748779200000;

class ThrowingSource : public elector::LeaderSource {
 public:
  elector::LeaderAnswer fetch() override { throw std::runtime_error("broken source"); }
};

}  // namespace

class KubernetesElectionTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(KubernetesElectionTest);
  CPPUNIT_TEST(testAnswerNamingUsLeads);
  CPPUNIT_TEST(testAnswerNamingAnotherPodFollows);
  CPPUNIT_TEST(testSlowAnswerFollows);
  CPPUNIT_TEST(testGarbageFollows);
  CPPUNIT_TEST(testEmptyAnswerFollows);
  CPPUNIT_TEST(testNoConnectionFollows);
  CPPUNIT_TEST(testStaleMeFollowsAfterLease);
  CPPUNIT_TEST(testEpochGrowsPerLeadership);
  CPPUNIT_TEST(testThrowingSourceFollows);
  CPPUNIT_TEST(testBadConfigThrows);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testAnswerNamingUsLeads() {
    FakeClock clock;
    FakeLeaderSource source(clock);
    KubernetesElection election(source, clock, testConfig());
    const auto t0 = clock.steadyNow();
    source.answer(R"({"name":"promsnmp-0"})", milliseconds(20));
    const Decision decision = election.step();
    CPPUNIT_ASSERT(decision.role == Role::Leader);
    CPPUNIT_ASSERT(decision.reason == Reason::Acquired);
    // The epoch is the wall time at which we learned we lead (after the 20 ms answer).
    CPPUNIT_ASSERT_EQUAL(kStartWallMs + 20, decision.epoch);
    CPPUNIT_ASSERT_EQUAL(std::string("promsnmp-0"), decision.holder);
    // The lease counts from when we asked, not from when the answer came.
    CPPUNIT_ASSERT(decision.leaseExpiresAt == t0 + milliseconds(10000));
    CPPUNIT_ASSERT(decision.wakeAt == t0 + milliseconds(1000));
    CPPUNIT_ASSERT(election.failure().empty());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, election.transitions());

    // Renewals keep the epoch and move the lease.
    clock.advance(milliseconds(1000));
    const auto t1 = clock.steadyNow();
    const Decision renewed = election.step();
    CPPUNIT_ASSERT(renewed.role == Role::Leader);
    CPPUNIT_ASSERT(renewed.reason == Reason::Renewed);
    CPPUNIT_ASSERT_EQUAL(kStartWallMs + 20, renewed.epoch);
    CPPUNIT_ASSERT(renewed.leaseExpiresAt == t1 + milliseconds(10000));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, election.transitions());
  }

  void testAnswerNamingAnotherPodFollows() {
    FakeClock clock;
    FakeLeaderSource source(clock);
    KubernetesElection election(source, clock, testConfig());
    source.name("promsnmp-1");
    Decision decision = election.step();
    CPPUNIT_ASSERT(decision.role == Role::Follower);
    CPPUNIT_ASSERT(decision.reason == Reason::HeldByOther);
    CPPUNIT_ASSERT_EQUAL(std::string("promsnmp-1"), decision.holder);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, decision.epoch);
    CPPUNIT_ASSERT(election.failure().empty());

    // A prefix or a different case of our name is another pod.
    for (const char* other : {"promsnmp-00", "promsnmp-", "PROMSNMP-0"}) {
      source.name(other);
      CPPUNIT_ASSERT(election.step().role == Role::Follower);
    }
    source.name("promsnmp-0");
    CPPUNIT_ASSERT(election.step().role == Role::Leader);
    source.name("promsnmp-1");
    decision = election.step();
    CPPUNIT_ASSERT(decision.role == Role::Follower);
    CPPUNIT_ASSERT(decision.reason == Reason::Lost);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{2}, election.transitions());
  }

  void testSlowAnswerFollows() {
    FakeClock clock;
    FakeLeaderSource source(clock);
    KubernetesElection election(source, clock, testConfig());
    source.name("promsnmp-0");
    CPPUNIT_ASSERT(election.step().role == Role::Leader);
    // Our name, but it took longer than the request timeout: not trusted, at once.
    source.answer(R"({"name":"promsnmp-0"})", milliseconds(1001));
    const Decision slow = election.step();
    CPPUNIT_ASSERT(slow.role == Role::Follower);
    CPPUNIT_ASSERT_EQUAL(std::string("slow"), election.failure());
    // Exactly the timeout is still in time.
    source.answer(R"({"name":"promsnmp-0"})", milliseconds(1000));
    CPPUNIT_ASSERT(election.step().role == Role::Leader);
    CPPUNIT_ASSERT(election.failure().empty());
    // A timed-out request.
    source.fail("Timeout", true, milliseconds(1000));
    CPPUNIT_ASSERT(election.step().role == Role::Follower);
    CPPUNIT_ASSERT_EQUAL(std::string("timeout"), election.failure());
  }

  void testGarbageFollows() {
    FakeClock clock;
    FakeLeaderSource source(clock);
    KubernetesElection election(source, clock, testConfig());
    const struct {
      const char* body;
      int status;
      const char* kind;
    } cases[] = {
        {"promsnmp-0", 200, "parse"},
        {R"({"name":"promsnmp-0")", 200, "parse"},
        {R"(["promsnmp-0"])", 200, "parse"},
        {R"("promsnmp-0")", 200, "parse"},
        {R"({"name":5})", 200, "no_name"},
        {R"({"name":null})", 200, "no_name"},
        {R"({"holder":"promsnmp-0"})", 200, "no_name"},
        {R"({"name":""})", 200, "no_name"},
        {R"({"name":"promsnmp-0"})", 500, "status"},
        {R"({"name":"promsnmp-0"})", 404, "status"},
    };
    for (const auto& c : cases) {
      source.name("promsnmp-0");
      CPPUNIT_ASSERT(election.step().role == Role::Leader);
      source.answer(c.body, milliseconds(1), c.status);
      const Decision decision = election.step();
      CPPUNIT_ASSERT_MESSAGE(c.body, decision.role == Role::Follower);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(c.body, std::string(c.kind), election.failure());
      CPPUNIT_ASSERT_MESSAGE(c.body, decision.holder.empty());
    }
  }

  void testEmptyAnswerFollows() {
    FakeClock clock;
    FakeLeaderSource source(clock);
    KubernetesElection election(source, clock, testConfig());
    for (const char* body : {"", " \r\n"}) {
      source.name("promsnmp-0");
      CPPUNIT_ASSERT(election.step().role == Role::Leader);
      source.answer(body);
      CPPUNIT_ASSERT(election.step().role == Role::Follower);
      CPPUNIT_ASSERT_EQUAL(std::string("empty"), election.failure());
    }
  }

  void testNoConnectionFollows() {
    FakeClock clock;
    FakeLeaderSource source(clock);
    KubernetesElection election(source, clock, testConfig());
    source.fail("Connection refused");
    CPPUNIT_ASSERT(election.step().role == Role::Follower);
    CPPUNIT_ASSERT_EQUAL(std::string("connect"), election.failure());
    source.name("promsnmp-0");
    CPPUNIT_ASSERT(election.step().role == Role::Leader);
    source.fail("Connection refused");
    CPPUNIT_ASSERT(election.step().role == Role::Follower);
    CPPUNIT_ASSERT_EQUAL(std::string("connect"), election.failure());
  }

  void testStaleMeFollowsAfterLease() {
    FakeClock clock;
    FakeLeaderSource source(clock);
    KubernetesElection election(source, clock, testConfig());
    source.name("promsnmp-0");
    const Decision first = election.step();
    CPPUNIT_ASSERT(first.role == Role::Leader);
    // No step for a while (a stuck loop, a paused process): the decision still expires.
    clock.advance(milliseconds(9999));
    CPPUNIT_ASSERT(election.current().role == Role::Leader);
    clock.advance(milliseconds(1));
    const Decision stale = election.current();
    CPPUNIT_ASSERT(stale.role == Role::Follower);
    CPPUNIT_ASSERT(stale.reason == Reason::DeadlinePassed);

    // The name stays ours but the answers stop: follower at the first missed answer, and the
    // failure lasts until the backend counts as down for longer than a lease.
    source.name("promsnmp-0");
    CPPUNIT_ASSERT(election.step().role == Role::Leader);
    clock.advance(milliseconds(1000));
    source.fail("Connection refused");
    CPPUNIT_ASSERT(election.step().role == Role::Follower);
    for (int i = 0; i < 11; ++i) {
      clock.advance(milliseconds(1000));
      CPPUNIT_ASSERT(election.step().role == Role::Follower);
    }
    CPPUNIT_ASSERT(election.failingFor() > milliseconds(10000));
    source.name("promsnmp-0");
    CPPUNIT_ASSERT(election.step().role == Role::Leader);
    CPPUNIT_ASSERT(election.failingFor() == milliseconds(0));
  }

  void testEpochGrowsPerLeadership() {
    FakeClock clock;
    FakeLeaderSource source(clock);
    KubernetesElection election(source, clock, testConfig());
    source.name("promsnmp-0");
    const std::int64_t first = election.step().epoch;
    source.name("promsnmp-1");
    CPPUNIT_ASSERT_EQUAL(first, election.step().epoch);  // a follower shows the last epoch
    clock.advance(milliseconds(5000));
    source.name("promsnmp-0");
    const std::int64_t second = election.step().epoch;
    CPPUNIT_ASSERT_EQUAL(first + 5000, second);
    // The wall clock stepped back: the epoch still grows on this replica.
    source.name("promsnmp-1");
    election.step();
    clock.setSystem(std::chrono::system_clock::time_point(std::chrono::seconds(1000)));
    source.name("promsnmp-0");
    CPPUNIT_ASSERT_EQUAL(second + 1, election.step().epoch);
  }

  void testThrowingSourceFollows() {
    FakeClock clock;
    ThrowingSource source;
    KubernetesElection election(source, clock, testConfig());
    CPPUNIT_ASSERT(election.step().role == Role::Follower);
    CPPUNIT_ASSERT_EQUAL(std::string("connect"), election.failure());
  }

  void testBadConfigThrows() {
    FakeClock clock;
    FakeLeaderSource source(clock);
    KubernetesConfig noName = testConfig();
    noName.me.clear();
    CPPUNIT_ASSERT_THROW(KubernetesElection(source, clock, noName), Poco::InvalidArgumentException);
    KubernetesConfig noPoll = testConfig();
    noPoll.pollInterval = milliseconds(0);
    CPPUNIT_ASSERT_THROW(KubernetesElection(source, clock, noPoll), Poco::InvalidArgumentException);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(KubernetesElectionTest);
