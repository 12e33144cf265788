// IdentityGuard (F-25, identity collision) against FakeLeaseStore and FakeClock: a live twin is
// reported after one TTL + renew interval, a dead predecessor's presence lease is waited out,
// an ambiguous claim that ran is recognised, and a lease lost at run time is claimed again.
#include "IdentityGuard.h"

#include <algorithm>
#include <chrono>
#include <string>

#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include "FakeLeaseStore.h"
#include "common/FakeClock.h"

using common::FakeClock;
using elector::FakeLeaseStore;
using elector::IdentityGuard;
using std::chrono::milliseconds;
using State = elector::IdentityGuard::State;
using Op = elector::FakeLeaseStore::Op;

namespace {

constexpr milliseconds kTtl{3000};
const std::string kKey = "site:leader:member:r0";

/// Steps `guard` at each of its wake times until `until` has passed; returns the last state.
State runFor(IdentityGuard& guard, FakeClock& clock, milliseconds until) {
  const auto end = clock.steadyNow() + until;
  State state = guard.step();
  for (int i = 0; i < 1000 && clock.steadyNow() < end && state != State::Collision; ++i) {
    clock.advance(std::max(guard.wakeAt() - clock.steadyNow(),
                           std::chrono::steady_clock::duration(milliseconds(1))));
    state = guard.step();
  }
  return state;
}

}  // namespace

class IdentityGuardTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(IdentityGuardTest);
  CPPUNIT_TEST(testFreeIdIsClaimedAtOnceAndRenewed);
  CPPUNIT_TEST(testLiveTwinIsACollisionAfterTtlAndAnInterval);
  CPPUNIT_TEST(testDeadPredecessorIsWaitedOut);
  CPPUNIT_TEST(testAmbiguousClaimThatRanIsOurs);
  CPPUNIT_TEST(testStoreDownIsNeverACollision);
  CPPUNIT_TEST(testLostAtRunTimeIsClaimedAgainOrCollides);
  CPPUNIT_TEST(testReleaseFreesTheId);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testFreeIdIsClaimedAtOnceAndRenewed() {
    FakeClock clock;
    FakeLeaseStore store(clock);
    IdentityGuard guard(store, clock, kKey, "r0:me", kTtl);
    CPPUNIT_ASSERT(guard.step() == State::Held);
    CPPUNIT_ASSERT(store.currentHolder(kKey) == std::string("r0:me"));
    // Renewed every TTL/3: after 10 TTLs it is still ours.
    CPPUNIT_ASSERT(runFor(guard, clock, 10 * kTtl) == State::Held);
    CPPUNIT_ASSERT(store.currentHolder(kKey) == std::string("r0:me"));
    CPPUNIT_ASSERT(store.calls(Op::Renew) >= 29);
  }

  void testLiveTwinIsACollisionAfterTtlAndAnInterval() {
    FakeClock clock;
    FakeLeaseStore store(clock);
    IdentityGuard first(store, clock, kKey, "r0:first", kTtl);
    CPPUNIT_ASSERT(first.step() == State::Held);
    IdentityGuard twin(store, clock, kKey, "r0:twin", kTtl);
    const auto start = clock.steadyNow();
    State state = twin.step();
    for (int i = 0; i < 100 && state != State::Collision; ++i) {
      clock.advance(milliseconds(100));
      first.step();
      state = twin.step();
    }
    CPPUNIT_ASSERT(state == State::Collision);
    const auto took = std::chrono::duration_cast<milliseconds>(clock.steadyNow() - start);
    CPPUNIT_ASSERT(took >= kTtl + kTtl / 3);
    CPPUNIT_ASSERT(took <= kTtl + kTtl / 3 + kTtl / 3 + milliseconds(100));
    CPPUNIT_ASSERT_EQUAL(std::string("r0:first"), twin.otherHolder());
    CPPUNIT_ASSERT(first.state() == State::Held);
    CPPUNIT_ASSERT(store.currentHolder(kKey) == std::string("r0:first"));
  }

  void testDeadPredecessorIsWaitedOut() {
    FakeClock clock;
    FakeLeaseStore store(clock);
    store.forceSet(kKey, "r0:killed", kTtl);  // renewed just before kill -9
    IdentityGuard guard(store, clock, kKey, "r0:restarted", kTtl);
    CPPUNIT_ASSERT(guard.step() == State::Claiming);
    CPPUNIT_ASSERT(runFor(guard, clock, kTtl + kTtl / 3) == State::Held);
    CPPUNIT_ASSERT(store.currentHolder(kKey) == std::string("r0:restarted"));
  }

  void testAmbiguousClaimThatRanIsOurs() {
    FakeClock clock;
    FakeLeaseStore store(clock);
    store.failNext(Op::Acquire, true);  // the SET ran, the answer was lost
    IdentityGuard guard(store, clock, kKey, "r0:me", kTtl);
    CPPUNIT_ASSERT(guard.step() == State::Claiming);
    clock.advance(kTtl / 3);
    CPPUNIT_ASSERT(guard.step() == State::Held);
  }

  void testStoreDownIsNeverACollision() {
    FakeClock clock;
    FakeLeaseStore store(clock);
    store.setDown(true);
    IdentityGuard guard(store, clock, kKey, "r0:me", kTtl);
    CPPUNIT_ASSERT(runFor(guard, clock, 5 * kTtl) == State::Claiming);
    store.setDown(false);
    clock.advance(kTtl);
    CPPUNIT_ASSERT(guard.step() == State::Held);
  }

  void testLostAtRunTimeIsClaimedAgainOrCollides() {
    FakeClock clock;
    FakeLeaseStore store(clock);
    IdentityGuard guard(store, clock, kKey, "r0:me", kTtl);
    CPPUNIT_ASSERT(guard.step() == State::Held);
    // Redis restarted empty: the next renew finds nothing and the claim follows at once.
    store.flushAll();
    clock.advance(kTtl / 3);
    CPPUNIT_ASSERT(guard.step() == State::Claiming);
    CPPUNIT_ASSERT(guard.step() == State::Held);
    // A twin took the id while we were paused past the TTL: reported after TTL + interval.
    clock.advance(kTtl + milliseconds(1));
    store.forceSet(kKey, "r0:twin", kTtl);
    IdentityGuard twin(store, clock, kKey, "r0:twin", kTtl);
    CPPUNIT_ASSERT(twin.step() == State::Held);  // NotHeld, but the holder is its own token
    State state = State::Held;
    for (int i = 0; i < 100 && state != State::Collision; ++i) {
      state = guard.step();
      twin.step();
      clock.advance(milliseconds(100));
    }
    CPPUNIT_ASSERT(state == State::Collision);
    CPPUNIT_ASSERT_EQUAL(std::string("r0:twin"), guard.otherHolder());
  }

  void testReleaseFreesTheId() {
    FakeClock clock;
    FakeLeaseStore store(clock);
    IdentityGuard guard(store, clock, kKey, "r0:old", kTtl);
    CPPUNIT_ASSERT(guard.step() == State::Held);
    guard.release();
    CPPUNIT_ASSERT(!store.currentHolder(kKey));
    IdentityGuard next(store, clock, kKey, "r0:new", kTtl);
    CPPUNIT_ASSERT(next.step() == State::Held);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(IdentityGuardTest);
