#include "Election.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>

#include <Poco/Exception.h>
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include "FakeLeaseStore.h"
#include "common/FakeClock.h"

using common::FakeClock;
using elector::Decision;
using elector::Election;
using elector::ElectionConfig;
using elector::FakeLeaseStore;
using elector::Reason;
using elector::Role;
using std::chrono::milliseconds;
using Op = elector::FakeLeaseStore::Op;

namespace {

const std::string kKey = "promsnmp:leader";

ElectionConfig testConfig(const std::string& node) {
  ElectionConfig config;
  config.key = kKey;
  config.nodeId = node;
  return config;  // ttl 10 s, renew 3333 ms, margin 1 s, retry 1 s ± 20 %, backoff 10 s
}

// Deterministic tokens "<node>:1", "<node>:2", ... and jitter from a seeded generator.
std::unique_ptr<Election> makeElection(FakeLeaseStore& store, FakeClock& clock,
                                       const std::string& node, unsigned seed = 1) {
  auto counter = std::make_shared<int>(0);
  auto rng = std::make_shared<std::mt19937>(seed);
  return std::make_unique<Election>(
      store, clock, testConfig(node),
      [rng] { return std::uniform_real_distribution<double>(0.0, 1.0)(*rng); },
      [counter, node] { return node + ":" + std::to_string(++*counter); });
}

// Moves the clock to the decision's wake-up time (at least 1 ms) and steps.
Decision stepAtWake(Election& election, FakeClock& clock, const Decision& last) {
  const auto now = clock.steadyNow();
  clock.advance(last.wakeAt > now ? last.wakeAt - now : std::chrono::nanoseconds(1000000));
  return election.step();
}

// Steps at every wake-up for `duration`, asserting that the node leads throughout with epoch 1;
// returns the last decision.
Decision leadsThroughout(Election& election, FakeClock& clock, Decision d, milliseconds duration) {
  const auto until = clock.steadyNow() + duration;
  while (clock.steadyNow() < until) {
    d = stepAtWake(election, clock, d);
    CPPUNIT_ASSERT(d.role == Role::Leader);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, d.epoch);
  }
  return d;
}

}  // namespace

class ElectionTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ElectionTest);
  CPPUNIT_TEST(testAcquire);
  CPPUNIT_TEST(testFollowerWhileHeldByOther);
  CPPUNIT_TEST(testRenewKeepsLeadership);
  CPPUNIT_TEST(testRenewUnknownResolvedStillOurs);
  CPPUNIT_TEST(testRenewUnknownAppliedResolvedStillOurs);
  CPPUNIT_TEST(testRenewUnknownResolvedSomeoneElses);
  CPPUNIT_TEST(testUnresolvedUnknownFollowerByDeadline);
  CPPUNIT_TEST(testLateCallerIsFollowerAtDeadline);
  CPPUNIT_TEST(testClockGoingBackStepsDown);
  CPPUNIT_TEST(testLostLeaseFollowerAtOnce);
  CPPUNIT_TEST(testAcquireUnknownResolvedBothWays);
  CPPUNIT_TEST(testReleaseOnStopFreesKey);
  CPPUNIT_TEST(testFlappingProtectionDelaysReacquire);
  CPPUNIT_TEST(testStoreExceptionIsUnknown);
  CPPUNIT_TEST(testBadConfigThrows);
  CPPUNIT_TEST(testTwoElectionsNeverBothLeader);
  CPPUNIT_TEST(testLeaderWithoutCollectorGivesLeaseUpAfterGrace);
  CPPUNIT_TEST(testCollectorBackWithinGraceKeepsLeadership);
  CPPUNIT_TEST(testFollowerWithoutCollectorDoesNotCampaign);
  CPPUNIT_TEST(testStoreDownFollowerForgetsHolderAfterTtl);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testAcquire() {
    FakeClock clock;
    FakeLeaseStore store(clock);
    auto election = makeElection(store, clock, "a");
    const auto t0 = clock.steadyNow();
    const Decision d = election->step();
    CPPUNIT_ASSERT(d.role == Role::Leader);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, d.epoch);
    CPPUNIT_ASSERT_EQUAL(std::string("a:1"), d.holder);
    CPPUNIT_ASSERT_EQUAL(std::string("a:1"), store.currentHolder(kKey).value_or(""));
    CPPUNIT_ASSERT(d.leaseExpiresAt == t0 + milliseconds(9000));
    CPPUNIT_ASSERT(d.wakeAt == t0 + milliseconds(3333));
    CPPUNIT_ASSERT(d.reason == Reason::Acquired);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, election->transitions());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, election->count(Reason::Acquired));
  }

  void testFollowerWhileHeldByOther() {
    FakeClock clock;
    FakeLeaseStore store(clock);
    store.forceSet(kKey, "other:1", milliseconds(10000));
    auto election = makeElection(store, clock, "a");
    const auto t0 = clock.steadyNow();
    const Decision d = election->step();
    CPPUNIT_ASSERT(d.role == Role::Follower);
    CPPUNIT_ASSERT_EQUAL(std::string("other:1"), d.holder);
    CPPUNIT_ASSERT(d.reason == Reason::HeldByOther);
    // Retry after 1 s ± 20 %.
    CPPUNIT_ASSERT(d.wakeAt >= t0 + milliseconds(800) && d.wakeAt <= t0 + milliseconds(1200));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, election->transitions());
  }

  void testRenewKeepsLeadership() {
    FakeClock clock;
    FakeLeaseStore store(clock);
    auto election = makeElection(store, clock, "a");
    leadsThroughout(*election, clock, election->step(), milliseconds(60000));
    CPPUNIT_ASSERT(election->count(Reason::Renewed) >= 17);
    CPPUNIT_ASSERT_EQUAL(1, store.calls(Op::Acquire));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, election->transitions());
  }

  void testRenewUnknownResolvedStillOurs() {
    FakeClock clock;
    FakeLeaseStore store(clock);
    auto election = makeElection(store, clock, "a");
    Decision d = election->step();
    store.failNext(Op::Renew, false);
    const auto t1 = d.wakeAt;
    d = stepAtWake(*election, clock, d);
    CPPUNIT_ASSERT(d.role == Role::Leader);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, election->count(Reason::RenewUnknown));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, election->count(Reason::ResolvedHeld));
    // Resolution said "ours"; the follow-up renew confirmed a new deadline.
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, election->count(Reason::Renewed));
    CPPUNIT_ASSERT(d.leaseExpiresAt == t1 + milliseconds(9000));
    CPPUNIT_ASSERT_EQUAL(1, store.calls(Op::Holder));
  }

  void testRenewUnknownAppliedResolvedStillOurs() {
    FakeClock clock;
    FakeLeaseStore store(clock);
    auto election = makeElection(store, clock, "a");
    Decision d = election->step();
    store.failNext(Op::Renew, true);  // ran on the server, reply lost
    d = stepAtWake(*election, clock, d);
    CPPUNIT_ASSERT(d.role == Role::Leader);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, election->count(Reason::ResolvedHeld));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, election->transitions());
  }

  void testRenewUnknownResolvedSomeoneElses() {
    FakeClock clock;
    FakeLeaseStore store(clock);
    auto election = makeElection(store, clock, "a");
    Decision d = election->step();
    store.flushAll();
    store.forceSet(kKey, "b:7", milliseconds(10000));
    store.failNext(Op::Renew, false);
    d = stepAtWake(*election, clock, d);
    CPPUNIT_ASSERT(d.role == Role::Follower);
    CPPUNIT_ASSERT(d.reason == Reason::ResolvedLost);
    CPPUNIT_ASSERT_EQUAL(std::string("b:7"), d.holder);
    CPPUNIT_ASSERT_EQUAL(std::string("b:7"), store.currentHolder(kKey).value_or(""));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{2}, election->transitions());
  }

  void testUnresolvedUnknownFollowerByDeadline() {
    FakeClock clock;
    FakeLeaseStore store(clock);
    auto election = makeElection(store, clock, "a");
    const auto t0 = clock.steadyNow();
    Decision d = election->step();
    const auto deadline = t0 + milliseconds(9000);
    CPPUNIT_ASSERT(d.leaseExpiresAt == deadline);
    store.setDown(true);
    bool wasFollower = false;
    for (int i = 0; i < 50 && !wasFollower; ++i) {
      d = stepAtWake(*election, clock, d);
      const auto now = clock.steadyNow();
      CPPUNIT_ASSERT_EQUAL(now < deadline, d.role == Role::Leader);
      CPPUNIT_ASSERT(d.role == Role::Follower || d.wakeAt <= deadline);
      wasFollower = d.role == Role::Follower;
    }
    CPPUNIT_ASSERT(wasFollower);
    CPPUNIT_ASSERT(clock.steadyNow() == deadline);  // woken exactly at the deadline
    CPPUNIT_ASSERT(d.reason == Reason::DeadlinePassed);
    CPPUNIT_ASSERT(election->count(Reason::ResolveUnknown) >= 1);
  }

  void testLateCallerIsFollowerAtDeadline() {
    FakeClock clock;
    FakeLeaseStore store(clock);
    auto election = makeElection(store, clock, "a");
    election->step();
    // The process was paused: no step() for 20 s. current() alone already says follower.
    clock.advance(milliseconds(9000));
    CPPUNIT_ASSERT(election->current().role == Role::Follower);
    clock.advance(milliseconds(11000));
    const Decision d = election->step();
    CPPUNIT_ASSERT(d.role == Role::Follower);
    CPPUNIT_ASSERT(d.reason == Reason::DeadlinePassed);
    CPPUNIT_ASSERT_EQUAL(0, store.calls(Op::Renew));  // never renewed past its deadline
  }

  void testClockGoingBackStepsDown() {
    // F-22: a steady clock that jumps back 60 s would put the deadline — and the next renew —
    // a minute ahead while the store expires the key after the TTL. More lease left than a
    // renew grants (ttl − margin) means the clock went back: follower at once, key released.
    FakeClock clock;
    FakeLeaseStore store(clock);
    auto election = makeElection(store, clock, "a");
    CPPUNIT_ASSERT(election->step().role == Role::Leader);
    clock.advance(milliseconds(1000));
    CPPUNIT_ASSERT(election->step().role == Role::Leader);
    clock.advance(-milliseconds(60000));
    CPPUNIT_ASSERT(election->current().role == Role::Follower);
    const Decision d = election->step();
    CPPUNIT_ASSERT(d.role == Role::Follower);
    CPPUNIT_ASSERT(d.reason == Reason::DeadlinePassed);
    CPPUNIT_ASSERT_EQUAL(1, store.calls(Op::Release));
  }

  void testLostLeaseFollowerAtOnce() {
    FakeClock clock;
    FakeLeaseStore store(clock);
    auto election = makeElection(store, clock, "a");
    Decision d = election->step();
    store.flushAll();  // our lease is gone (expiry, FLUSHALL); another client takes the key
    store.forceSet(kKey, "b:1", milliseconds(10000));
    d = stepAtWake(*election, clock, d);
    CPPUNIT_ASSERT(d.role == Role::Follower);
    CPPUNIT_ASSERT(d.reason == Reason::Lost);
    CPPUNIT_ASSERT_EQUAL(std::string("b:1"), store.currentHolder(kKey).value_or(""));
    CPPUNIT_ASSERT_EQUAL(0, store.calls(Op::Release));  // never touches someone else's key
  }

  void testAcquireUnknownResolvedBothWays() {
    {
      FakeClock clock;
      FakeLeaseStore store(clock);
      auto election = makeElection(store, clock, "a");
      store.failNext(Op::Acquire, true);  // the SET ran; the reply was lost
      Decision d = election->step();
      CPPUNIT_ASSERT(d.role == Role::Follower);
      CPPUNIT_ASSERT(d.reason == Reason::AcquireUnknown);
      d = stepAtWake(*election, clock, d);
      CPPUNIT_ASSERT(d.role == Role::Leader);
      CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, d.epoch);
      CPPUNIT_ASSERT_EQUAL(std::string("a:1"), d.holder);
      CPPUNIT_ASSERT_EQUAL(1, store.calls(Op::Acquire));
      CPPUNIT_ASSERT_EQUAL(1, store.calls(Op::Renew));  // confirmed at once
    }
    {
      FakeClock clock;
      FakeLeaseStore store(clock);
      auto election = makeElection(store, clock, "a");
      store.failNext(Op::Acquire, false);
      Decision d = election->step();
      CPPUNIT_ASSERT(d.role == Role::Follower);
      d = stepAtWake(*election, clock, d);  // holder: nobody → acquire again with a new token
      CPPUNIT_ASSERT(d.role == Role::Leader);
      CPPUNIT_ASSERT_EQUAL(std::string("a:2"), d.holder);
      CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, election->count(Reason::ResolvedLost));
    }
  }

  void testReleaseOnStopFreesKey() {
    FakeClock clock;
    FakeLeaseStore store(clock);
    auto a = makeElection(store, clock, "a");
    auto b = makeElection(store, clock, "b");
    CPPUNIT_ASSERT(a->step().role == Role::Leader);
    CPPUNIT_ASSERT(b->step().role == Role::Follower);
    a->stop();
    CPPUNIT_ASSERT(!store.currentHolder(kKey));
    CPPUNIT_ASSERT(a->current().role == Role::Follower);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, a->count(Reason::Released));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{2}, a->transitions());
    CPPUNIT_ASSERT(a->step().role == Role::Follower);  // stopped: does nothing
    clock.advance(milliseconds(1200));
    const Decision d = b->step();
    CPPUNIT_ASSERT(d.role == Role::Leader);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, d.epoch);
  }

  void testFlappingProtectionDelaysReacquire() {
    FakeClock clock;
    FakeLeaseStore store(clock);
    auto election = makeElection(store, clock, "a");
    Decision d = election->step();
    store.flushAll();
    store.forceSet(kKey, "b:1", milliseconds(500));
    d = stepAtWake(*election, clock, d);
    CPPUNIT_ASSERT(d.role == Role::Follower);
    const auto lostAt = clock.steadyNow();
    const int acquiresBefore = store.calls(Op::Acquire);
    // b's lease is long gone, but a waits one TTL (10 s) before trying again.
    while (clock.steadyNow() < lostAt + milliseconds(9999)) {
      clock.advance(milliseconds(250));
      if (clock.steadyNow() >= lostAt + milliseconds(10000)) {
        break;
      }
      d = election->step();
      CPPUNIT_ASSERT(d.role == Role::Follower);
      CPPUNIT_ASSERT_EQUAL(acquiresBefore, store.calls(Op::Acquire));
    }
    CPPUNIT_ASSERT(d.wakeAt == lostAt + milliseconds(10000));
    d = stepAtWake(*election, clock, d);
    CPPUNIT_ASSERT(d.role == Role::Leader);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{3}, election->transitions());
  }

  void testStoreExceptionIsUnknown() {
    class ThrowingStore : public elector::LeaseStore {
     public:
      elector::LeaseResult tryAcquire(const std::string&, const std::string&,
                                      milliseconds) override {
        throw std::runtime_error("boom");
      }
      elector::LeaseResult renew(const std::string&, const std::string&, milliseconds) override {
        throw std::runtime_error("boom");
      }
      elector::LeaseResult release(const std::string&, const std::string&) override {
        throw std::runtime_error("boom");
      }
      elector::LeaseResult holder(const std::string&) override { throw std::runtime_error("boom"); }
    };
    FakeClock clock;
    ThrowingStore store;
    Election election(store, clock, testConfig("a"));
    const Decision d = election.step();
    CPPUNIT_ASSERT(d.role == Role::Follower);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, election.count(Reason::StoreException));
    election.stop();
  }

  void testBadConfigThrows() {
    FakeClock clock;
    FakeLeaseStore store(clock);
    ElectionConfig config = testConfig("a");
    config.margin = milliseconds(10000);
    CPPUNIT_ASSERT_THROW(Election(store, clock, config), Poco::InvalidArgumentException);
    config = testConfig("a");
    config.renewInterval = milliseconds(9500);
    CPPUNIT_ASSERT_THROW(Election(store, clock, config), Poco::InvalidArgumentException);
  }

  // Two nodes, one store, one fake time; random delays, latencies, outages and ambiguous
  // outcomes (applied or not). At no instant may both report leader, and a reported leader's
  // token must be the store's live holder.
  void testTwoElectionsNeverBothLeader() {
    for (unsigned seed = 1; seed <= 20; ++seed) {
      FakeClock clock;
      FakeLeaseStore store(clock);
      auto a = makeElection(store, clock, "a", seed * 2);
      auto b = makeElection(store, clock, "b", seed * 2 + 1);
      std::mt19937 rng(seed);
      auto chance = [&rng](int percent) {
        return std::uniform_int_distribution<int>(0, 99)(rng) < percent;
      };
      std::uint64_t leaderSteps = 0;
      for (int i = 0; i < 5000; ++i) {
        clock.advance(milliseconds(std::uniform_int_distribution<int>(0, 1500)(rng)));
        store.setLatency(milliseconds(std::uniform_int_distribution<int>(0, 300)(rng)));
        if (chance(3)) {
          store.setDown(chance(50));
        }
        if (chance(10)) {
          const Op ops[] = {Op::Acquire, Op::Renew, Op::Release, Op::Holder};
          store.failNext(ops[std::uniform_int_distribution<int>(0, 3)(rng)], chance(50));
        }
        Election& node = chance(50) ? *a : *b;
        node.step();
        const Decision da = a->current();
        const Decision db = b->current();
        CPPUNIT_ASSERT_MESSAGE("seed " + std::to_string(seed) + " step " + std::to_string(i),
                               !(da.role == Role::Leader && db.role == Role::Leader));
        for (const Decision* d : {&da, &db}) {
          if (d->role == Role::Leader) {
            ++leaderSteps;
            CPPUNIT_ASSERT_EQUAL(d->holder, store.currentHolder(kKey).value_or(""));
          }
        }
      }
      CPPUNIT_ASSERT(leaderSteps > 100);  // the run did exercise leadership
      CPPUNIT_ASSERT(a->transitions() + b->transitions() > 2);
    }
  }

  /// Item 8 of issue 12: a leader whose collector died (its socket closed) gives the lease up
  /// once the collector has been away for the grace (default: the ttl), and does not campaign
  /// again until a collector is back; a replica with a collector takes over at once.
  void testLeaderWithoutCollectorGivesLeaseUpAfterGrace() {
    FakeClock clock;
    FakeLeaseStore store(clock);
    auto a = makeElection(store, clock, "a");
    auto b = makeElection(store, clock, "b", 2);
    Decision da = a->step();
    CPPUNIT_ASSERT(da.role == Role::Leader);
    CPPUNIT_ASSERT(b->step().role == Role::Follower);
    clock.advance(milliseconds(500));
    const auto goneAt = clock.steadyNow();
    a->setCollector(goneAt);
    // Renews for the grace (the collector may be restarting), and wakes exactly at its end.
    while (clock.steadyNow() < goneAt + milliseconds(10000)) {
      CPPUNIT_ASSERT(da.role == Role::Leader);
      CPPUNIT_ASSERT(da.wakeAt <= goneAt + milliseconds(10000));
      da = stepAtWake(*a, clock, da);
    }
    CPPUNIT_ASSERT(clock.steadyNow() == goneAt + milliseconds(10000));
    CPPUNIT_ASSERT(da.role == Role::Follower);
    CPPUNIT_ASSERT(da.reason == Reason::NoCollector);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, a->count(Reason::NoCollector));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, a->count(Reason::Released));
    CPPUNIT_ASSERT(!store.currentHolder(kKey).has_value());  // compare-token release
    // b, whose collector is there, takes the lease at its next retry (due long ago).
    Decision db = b->step();
    CPPUNIT_ASSERT(db.role == Role::Leader);
    // a stays a follower without campaigning while no collector is connected (after its flap
    // backoff, too), and keeps reading who leads.
    const int acquires = store.calls(Op::Acquire);
    const auto until = clock.steadyNow() + milliseconds(60000);
    while (clock.steadyNow() < until) {
      const auto wake = std::min(da.wakeAt, db.wakeAt);
      clock.advance(std::max<std::chrono::nanoseconds>(wake - clock.steadyNow(), milliseconds(1)));
      da = a->step();
      db = b->step();
      CPPUNIT_ASSERT(da.role == Role::Follower);
      CPPUNIT_ASSERT(db.role == Role::Leader);
      if (a->count(Reason::BackoffOver) > 0) {
        CPPUNIT_ASSERT_EQUAL(db.holder, da.holder);
      }
    }
    CPPUNIT_ASSERT_EQUAL(acquires, store.calls(Op::Acquire));
    CPPUNIT_ASSERT(a->storeFailingSince() == std::nullopt);
    // A collector again: a campaigns at once (and finds b leading).
    a->setCollector(std::nullopt);
    CPPUNIT_ASSERT(a->current().wakeAt <= clock.steadyNow());
    da = a->step();
    CPPUNIT_ASSERT_EQUAL(acquires + 1, store.calls(Op::Acquire));
    CPPUNIT_ASSERT(da.reason == Reason::HeldByOther);
  }

  /// A collector that reconnects within the grace (a restart) keeps its replica leading.
  void testCollectorBackWithinGraceKeepsLeadership() {
    FakeClock clock;
    FakeLeaseStore store(clock);
    auto a = makeElection(store, clock, "a");
    Decision d = a->step();
    a->setCollector(clock.steadyNow());
    d = leadsThroughout(*a, clock, d, milliseconds(9000));
    a->setCollector(std::nullopt);
    leadsThroughout(*a, clock, d, milliseconds(30000));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, a->count(Reason::NoCollector));
  }

  /// A follower with no collector does not take a free lease; it takes it once one connects.
  void testFollowerWithoutCollectorDoesNotCampaign() {
    FakeClock clock;
    FakeLeaseStore store(clock);
    auto a = makeElection(store, clock, "a");
    a->setCollector(clock.steadyNow());
    Decision d = a->step();
    for (int i = 0; i < 20; ++i) {
      CPPUNIT_ASSERT(d.role == Role::Follower);
      CPPUNIT_ASSERT(d.reason == Reason::NoCollector);
      d = stepAtWake(*a, clock, d);
    }
    CPPUNIT_ASSERT_EQUAL(0, store.calls(Op::Acquire));
    CPPUNIT_ASSERT(!store.currentHolder(kKey).has_value());
    store.forceSet(kKey, "other:1", milliseconds(60000));
    d = stepAtWake(*a, clock, d);
    CPPUNIT_ASSERT_EQUAL(std::string("other:1"), d.holder);
    store.flushAll();
    a->setCollector(std::nullopt);
    d = a->step();
    CPPUNIT_ASSERT(d.role == Role::Leader);
  }

  /// Item 9 of issue 12: while the store does not answer, a follower names the holder it last
  /// read for one ttl, then nobody; storeFailingSince() says since when. Both recover with it.
  void testStoreDownFollowerForgetsHolderAfterTtl() {
    FakeClock clock;
    FakeLeaseStore store(clock);
    store.forceSet(kKey, "other:1", milliseconds(600000));
    auto a = makeElection(store, clock, "a");
    Decision d = a->step();
    CPPUNIT_ASSERT_EQUAL(std::string("other:1"), d.holder);
    CPPUNIT_ASSERT(a->storeFailingSince() == std::nullopt);
    const auto lastAnswer = clock.steadyNow();
    clock.advance(milliseconds(100));
    store.setDown(true);
    const auto downAt = clock.steadyNow();
    while (clock.steadyNow() <= lastAnswer + milliseconds(10000)) {
      d = stepAtWake(*a, clock, d);
      if (clock.steadyNow() <= lastAnswer + milliseconds(10000)) {
        CPPUNIT_ASSERT_EQUAL(std::string("other:1"), a->current().holder);
      }
      CPPUNIT_ASSERT(d.role == Role::Follower);
    }
    CPPUNIT_ASSERT(a->storeFailingSince().has_value());
    CPPUNIT_ASSERT(*a->storeFailingSince() >= downAt);
    CPPUNIT_ASSERT(*a->storeFailingSince() <= downAt + milliseconds(1200));
    CPPUNIT_ASSERT(!a->lastStoreError().empty());
    CPPUNIT_ASSERT_EQUAL(std::string(), a->current().holder);
    d = stepAtWake(*a, clock, d);
    CPPUNIT_ASSERT_EQUAL(std::string(), d.holder);
    store.setDown(false);
    for (int i = 0; i < 3 && d.holder.empty(); ++i) {
      d = stepAtWake(*a, clock, d);
    }
    CPPUNIT_ASSERT_EQUAL(std::string("other:1"), d.holder);
    CPPUNIT_ASSERT(a->storeFailingSince() == std::nullopt);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ElectionTest);
