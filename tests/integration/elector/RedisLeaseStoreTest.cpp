// RedisLeaseStore against a real redis-server started on 127.0.0.1 (a free port, no
// persistence) for each test and always stopped.
#include "RedisLeaseStore.h"

#include <chrono>
#include <csignal>
#include <string>
#include <thread>

#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include "RedisServer.h"

using elector::LeaseResult;
using elector::RedisLeaseStore;
using elector::RedisOptions;
using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

namespace {

using elector_test::freePort;
using elector_test::RedisServer;

const std::string kKey = "promsnmp:leader";

RedisOptions optionsFor(int port) {
  RedisOptions options;
  options.port = port;
  options.connectTimeout = milliseconds(500);
  options.commandTimeout = milliseconds(200);
  return options;
}

long msSince(Steady::time_point start) {
  return static_cast<long>(std::chrono::duration_cast<milliseconds>(Steady::now() - start).count());
}

}  // namespace

class RedisLeaseStoreTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(RedisLeaseStoreTest);
  CPPUNIT_TEST(testAcquireRenewRelease);
  CPPUNIT_TEST(testZombieRenewAndReleaseLeaveHolderIntact);
  CPPUNIT_TEST(testEpochsIncreaseAcrossAcquisitions);
  CPPUNIT_TEST(testTimeoutWhenServerStoppedIsUnknown);
  CPPUNIT_TEST(testReconnectAfterRestart);
  CPPUNIT_TEST(testFlushAllLosesKeyAndEpoch);
  CPPUNIT_TEST(testPasswordAuthAndNoLeak);
  CPPUNIT_TEST(testServerDownIsUnknown);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    // hiredis writes with write(2); a reset connection must not kill the test (the daemon
    // ignores SIGPIPE the same way).
    ::signal(SIGPIPE, SIG_IGN);
  }

  void testAcquireRenewRelease() {
    RedisServer server(freePort());
    RedisLeaseStore store(optionsFor(server.port()));
    LeaseResult r = store.tryAcquire(kKey, "a:1", milliseconds(2000));
    CPPUNIT_ASSERT_EQUAL(LeaseResult::Ok, r.outcome);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, r.epoch);
    r = store.tryAcquire(kKey, "b:1", milliseconds(2000));
    CPPUNIT_ASSERT_EQUAL(LeaseResult::NotHeld, r.outcome);
    CPPUNIT_ASSERT_EQUAL(std::string("a:1"), r.holder.value_or(""));
    CPPUNIT_ASSERT(server.pttl(kKey) <= 2000);
    CPPUNIT_ASSERT_EQUAL(LeaseResult::Ok, store.renew(kKey, "a:1", milliseconds(8000)).outcome);
    CPPUNIT_ASSERT(server.pttl(kKey) > 2000);
    r = store.holder(kKey);
    CPPUNIT_ASSERT_EQUAL(LeaseResult::Ok, r.outcome);
    CPPUNIT_ASSERT_EQUAL(std::string("a:1"), r.holder.value_or(""));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, r.epoch);
    CPPUNIT_ASSERT_EQUAL(LeaseResult::NotHeld, store.release(kKey, "b:1").outcome);
    CPPUNIT_ASSERT_EQUAL(LeaseResult::Ok, store.release(kKey, "a:1").outcome);
    r = store.holder(kKey);
    CPPUNIT_ASSERT_EQUAL(LeaseResult::Ok, r.outcome);
    CPPUNIT_ASSERT(!r.holder);
    CPPUNIT_ASSERT_EQUAL(LeaseResult::NotHeld,
                         store.renew(kKey, "a:1", milliseconds(2000)).outcome);
    CPPUNIT_ASSERT_EQUAL(std::string("0"), server.cli({"EXISTS", kKey}));
  }

  // I4: after a's lease expired and b acquired, a's renew and release return NotHeld and b's key
  // and PTTL are unchanged.
  void testZombieRenewAndReleaseLeaveHolderIntact() {
    RedisServer server(freePort());
    RedisLeaseStore zombie(optionsFor(server.port()));
    RedisLeaseStore holder(optionsFor(server.port()));
    CPPUNIT_ASSERT_EQUAL(LeaseResult::Ok,
                         zombie.tryAcquire(kKey, "a:1", milliseconds(300)).outcome);
    std::this_thread::sleep_for(milliseconds(450));
    const LeaseResult b = holder.tryAcquire(kKey, "b:1", milliseconds(10000));
    CPPUNIT_ASSERT_EQUAL(LeaseResult::Ok, b.outcome);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, b.epoch);
    const long before = server.pttl(kKey);
    CPPUNIT_ASSERT_EQUAL(LeaseResult::NotHeld,
                         zombie.renew(kKey, "a:1", milliseconds(60000)).outcome);
    CPPUNIT_ASSERT_EQUAL(LeaseResult::NotHeld, zombie.release(kKey, "a:1").outcome);
    const long after = server.pttl(kKey);
    CPPUNIT_ASSERT(after <= before && after > before - 1000);
    CPPUNIT_ASSERT_EQUAL(std::string("b:1"), server.cli({"GET", kKey}));
  }

  void testEpochsIncreaseAcrossAcquisitions() {
    RedisServer server(freePort());
    RedisLeaseStore store(optionsFor(server.port()));
    std::int64_t last = 0;
    for (int i = 0; i < 5; ++i) {
      const std::string token = "a:" + std::to_string(i);
      const LeaseResult r = store.tryAcquire(kKey, token, milliseconds(5000));
      CPPUNIT_ASSERT_EQUAL(LeaseResult::Ok, r.outcome);
      CPPUNIT_ASSERT(r.epoch > last);
      last = r.epoch;
      CPPUNIT_ASSERT_EQUAL(LeaseResult::Ok, store.release(kKey, token).outcome);
    }
    CPPUNIT_ASSERT_EQUAL(std::to_string(last), server.cli({"GET", kKey + ":epoch"}));
  }

  // A SIGSTOPped server: the renew times out (Unknown, within about the 200 ms command timeout);
  // after SIGCONT the next call reconnects and GET resolves the ambiguity.
  void testTimeoutWhenServerStoppedIsUnknown() {
    RedisServer server(freePort());
    RedisLeaseStore store(optionsFor(server.port()));
    CPPUNIT_ASSERT_EQUAL(LeaseResult::Ok,
                         store.tryAcquire(kKey, "a:1", milliseconds(10000)).outcome);
    const auto stoppedAt = Steady::now();
    server.pause();
    auto start = Steady::now();
    LeaseResult r = store.renew(kKey, "a:1", milliseconds(10000));
    long took = msSince(start);
    CPPUNIT_ASSERT_EQUAL(LeaseResult::Unknown, r.outcome);
    CPPUNIT_ASSERT_MESSAGE("took " + std::to_string(took), took >= 150 && took < 800);
    CPPUNIT_ASSERT(r.error.find("renew") != std::string::npos);
    // Reconnecting to a stopped server: connect succeeds (kernel backlog), the command times out.
    start = Steady::now();
    r = store.holder(kKey);
    took = msSince(start);
    CPPUNIT_ASSERT_EQUAL(LeaseResult::Unknown, r.outcome);
    CPPUNIT_ASSERT_MESSAGE("took " + std::to_string(took), took < 1500);
    std::this_thread::sleep_until(stoppedAt + milliseconds(1000));
    server.resume();
    r = store.holder(kKey);
    CPPUNIT_ASSERT_EQUAL(LeaseResult::Ok, r.outcome);
    CPPUNIT_ASSERT_EQUAL(std::string("a:1"), r.holder.value_or(""));
    CPPUNIT_ASSERT_EQUAL(LeaseResult::Ok, store.renew(kKey, "a:1", milliseconds(10000)).outcome);
  }

  void testReconnectAfterRestart() {
    RedisServer server(freePort());
    RedisLeaseStore store(optionsFor(server.port()));
    CPPUNIT_ASSERT_EQUAL(LeaseResult::Ok,
                         store.tryAcquire(kKey, "a:1", milliseconds(10000)).outcome);
    server.stop();
    CPPUNIT_ASSERT_EQUAL(LeaseResult::Unknown,
                         store.renew(kKey, "a:1", milliseconds(10000)).outcome);
    CPPUNIT_ASSERT_EQUAL(LeaseResult::Unknown, store.holder(kKey).outcome);
    server.start();
    // The stale connection was dropped on the first error; this call reconnects. No
    // persistence: the lease is gone.
    const LeaseResult r = store.holder(kKey);
    CPPUNIT_ASSERT_EQUAL(LeaseResult::Ok, r.outcome);
    CPPUNIT_ASSERT(!r.holder);
    CPPUNIT_ASSERT_EQUAL(LeaseResult::NotHeld,
                         store.renew(kKey, "a:1", milliseconds(10000)).outcome);
    CPPUNIT_ASSERT_EQUAL(LeaseResult::Ok,
                         store.tryAcquire(kKey, "a:2", milliseconds(10000)).outcome);
  }

  // FLUSHALL (or a restart without persistence) loses the key and the fencing counter: the next
  // epoch may be LOWER than one already handed out. The writer fences with
  // max(redis epoch, epoch in the file head + 1) (reference §1.5), so this is tolerated here.
  void testFlushAllLosesKeyAndEpoch() {
    RedisServer server(freePort());
    RedisLeaseStore store(optionsFor(server.port()));
    for (int i = 1; i <= 3; ++i) {
      const std::string token = "a:" + std::to_string(i);
      CPPUNIT_ASSERT_EQUAL(std::int64_t{i},
                           store.tryAcquire(kKey, token, milliseconds(10000)).epoch);
      if (i < 3) {
        store.release(kKey, token);
      }
    }
    CPPUNIT_ASSERT_EQUAL(std::string("OK"), server.cli({"FLUSHALL"}));
    LeaseResult r = store.holder(kKey);
    CPPUNIT_ASSERT_EQUAL(LeaseResult::Ok, r.outcome);
    CPPUNIT_ASSERT(!r.holder);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, r.epoch);
    CPPUNIT_ASSERT_EQUAL(LeaseResult::NotHeld,
                         store.renew(kKey, "a:3", milliseconds(10000)).outcome);
    r = store.tryAcquire(kKey, "b:1", milliseconds(10000));
    CPPUNIT_ASSERT_EQUAL(LeaseResult::Ok, r.outcome);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, r.epoch);  // regressed from 3
  }

  void testPasswordAuthAndNoLeak() {
    const std::string secret = "s3cret-Passw0rd";
    RedisServer server(freePort(), secret);
    RedisOptions good = optionsFor(server.port());
    good.password = secret;
    RedisLeaseStore store(good);
    CPPUNIT_ASSERT_EQUAL(LeaseResult::Ok,
                         store.tryAcquire(kKey, "a:1", milliseconds(10000)).outcome);
    RedisOptions wrong = optionsFor(server.port());
    wrong.password = "not-the-" + secret;
    RedisLeaseStore bad(wrong);
    LeaseResult r = bad.holder(kKey);
    CPPUNIT_ASSERT_EQUAL(LeaseResult::Unknown, r.outcome);
    CPPUNIT_ASSERT(r.error.find("AUTH") != std::string::npos);
    CPPUNIT_ASSERT(r.error.find(secret) == std::string::npos);
    RedisLeaseStore none(optionsFor(server.port()));
    r = none.holder(kKey);
    CPPUNIT_ASSERT_EQUAL(LeaseResult::Unknown, r.outcome);  // NOAUTH error reply
    CPPUNIT_ASSERT(r.error.find(secret) == std::string::npos);
  }

  void testServerDownIsUnknown() {
    RedisLeaseStore store(optionsFor(freePort()));  // nothing listens there
    const auto start = Steady::now();
    const LeaseResult r = store.tryAcquire(kKey, "a:1", milliseconds(10000));
    CPPUNIT_ASSERT_EQUAL(LeaseResult::Unknown, r.outcome);
    CPPUNIT_ASSERT(r.error.find("redisConnectWithTimeout") != std::string::npos);
    CPPUNIT_ASSERT(msSince(start) < 1000);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedisLeaseStoreTest);
