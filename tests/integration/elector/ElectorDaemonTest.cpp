// The elector binary against a real redis-server: one leader among two, failover after kill -9,
// handover on SIGTERM, the static backend and exit codes. Every child is stopped by a destructor
// and every wait is bounded.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include "ElectorHarness.h"
#include "ProcessHelpers.h"
#include "RedisServer.h"
#include "elector/LeadershipEvent.h"

using elector::LeadershipRole;
using elector_test::ElectorChild;
using elector_test::kElectorBinary;
using elector_test::LeadershipReader;
using elector_test::msSince;
using elector_test::pollUntil;
using elector_test::readFile;
using elector_test::Steady;
using std::chrono::milliseconds;

class ElectorDaemonTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ElectorDaemonTest);
  CPPUNIT_TEST(testOneLeaderFailoverAndHandover);
  CPPUNIT_TEST(testSameIdTwiceIsRefused_F25_I1);
  CPPUNIT_TEST(testStaticLeader);
  CPPUNIT_TEST(testBadSettingsExit);
  CPPUNIT_TEST_SUITE_END();

 public:
  std::vector<std::string> redisArgs(int port, const std::string& id, const std::string& socket) {
    return {"--redis.address",
            "127.0.0.1:" + std::to_string(port),
            "--id",
            id,
            "--socket",
            socket,
            "--lease.ttl",
            std::to_string(kTtlMs),
            "--lease.key",
            "test:leader"};
  }

  void testOneLeaderFailoverAndHandover() {
    elector_test::RedisServer server(elector_test::freePort());
    testing::TempDir dir;
    const std::string log = dir.path() + "/elector.log";
    const std::string socketA = dir.path() + "/a.sock";
    const std::string socketB = dir.path() + "/b.sock";
    auto a = std::make_unique<ElectorChild>(redisArgs(server.port(), "a", socketA), log);
    auto b = std::make_unique<ElectorChild>(redisArgs(server.port(), "b", socketB), log);
    auto readerA = std::make_unique<LeadershipReader>(socketA, milliseconds(3000));
    auto readerB = std::make_unique<LeadershipReader>(socketB, milliseconds(3000));

    // Exactly one leader within 3 s, and the other has said it follows.
    const bool settled = pollUntil({readerA.get(), readerB.get()}, milliseconds(3000), [&] {
      return readerA->last() && readerB->last() && (readerA->isLeader() != readerB->isLeader());
    });
    CPPUNIT_ASSERT_MESSAGE(readFile(log), settled);
    // Still exactly one after a few renews (no flapping, never two).
    CPPUNIT_ASSERT(!pollUntil({readerA.get(), readerB.get()}, milliseconds(1500),
                              [&] { return readerA->isLeader() == readerB->isLeader(); }));
    const bool aLeads = readerA->isLeader();
    const std::uint64_t firstEpoch = (aLeads ? readerA : readerB)->last()->epoch;
    CPPUNIT_ASSERT_EQUAL(std::string(aLeads ? "a:" : "b:"),
                         (aLeads ? readerA : readerB)->last()->holder.substr(0, 2));

    // kill -9 the leader: the other leads within TTL + renew interval + 1 s.
    std::unique_ptr<ElectorChild>& leader = aLeads ? a : b;
    LeadershipReader* survivor = aLeads ? readerB.get() : readerA.get();
    const auto killedAt = Steady::now();
    leader->kill9();
    const long bound = kTtlMs + kTtlMs / 3 + 1000;
    const bool failedOver =
        pollUntil({survivor}, milliseconds(bound), [&] { return survivor->isLeader(); });
    const long failover = msSince(killedAt);
    std::cout << "\n  failover after kill -9: " << failover << " ms (bound " << bound << " ms)"
              << std::endl;
    CPPUNIT_ASSERT_MESSAGE(readFile(log), failedOver);
    CPPUNIT_ASSERT(survivor->last()->epoch > firstEpoch);

    // Restart the killed replica: it follows the survivor.
    const std::string& restartedSocket = aLeads ? socketA : socketB;
    leader = std::make_unique<ElectorChild>(
        redisArgs(server.port(), aLeads ? "a" : "b", restartedSocket), log);
    LeadershipReader restarted(restartedSocket, milliseconds(3000));
    CPPUNIT_ASSERT(pollUntil({&restarted, survivor}, milliseconds(2000), [&] {
      return restarted.last() && !restarted.isLeader() && survivor->isLeader();
    }));

    // SIGTERM on the leader: it releases the lease, says follower, exits 0; the other leads
    // within 2 s.
    std::unique_ptr<ElectorChild>& current = aLeads ? b : a;
    const std::uint64_t secondEpoch = survivor->last()->epoch;
    const auto termAt = Steady::now();
    CPPUNIT_ASSERT_EQUAL(0, current->terminate(milliseconds(5000)));
    const bool handedOver =
        pollUntil({&restarted}, milliseconds(2000), [&] { return restarted.isLeader(); });
    const long handover = msSince(termAt);
    std::cout << "  handover after SIGTERM: " << handover << " ms (bound 2000 ms)" << std::endl;
    CPPUNIT_ASSERT_MESSAGE(readFile(log), handedOver);
    CPPUNIT_ASSERT(restarted.last()->epoch > secondEpoch);
    pollUntil({survivor}, milliseconds(1000), [&] { return survivor->eof(); });
    CPPUNIT_ASSERT(survivor->last().has_value());
    CPPUNIT_ASSERT(survivor->last()->role == LeadershipRole::Follower);  // last word before exit
    CPPUNIT_ASSERT(survivor->eof());
    CPPUNIT_ASSERT_EQUAL(0, leader->terminate(milliseconds(5000)));
  }

  /// F-25 (identity collision): a second elector started with the id of a live one never
  /// campaigns and exits 78 after one TTL + renew interval, saying why, while the first keeps
  /// its leadership (never two leaders, I1). An elector restarted under the id of a killed one
  /// is not mistaken for a collision: it waits for the dead one's presence lease to expire.
  void testSameIdTwiceIsRefused_F25_I1() {
    elector_test::RedisServer server(elector_test::freePort());
    testing::TempDir dir;
    const std::string log = dir.path() + "/elector.log";
    const std::string twinLog = dir.path() + "/twin.log";
    const std::string socketA = dir.path() + "/a.sock";
    const std::string socketTwin = dir.path() + "/twin.sock";
    auto a = std::make_unique<ElectorChild>(redisArgs(server.port(), "a", socketA), log);
    LeadershipReader readerA(socketA, milliseconds(3000));
    CPPUNIT_ASSERT_MESSAGE(readFile(log), pollUntil({&readerA}, milliseconds(3000),
                                                    [&] { return readerA.isLeader(); }));
    const std::uint64_t epoch = readerA.last()->epoch;

    const auto startedAt = Steady::now();
    ElectorChild twin(redisArgs(server.port(), "a", socketTwin), twinLog);
    LeadershipReader readerTwin(socketTwin, milliseconds(3000));
    const int code = twin.waitExit(milliseconds(kTtlMs + kTtlMs / 3 + 3000));
    const long refusedAfter = msSince(startedAt);
    readerTwin.poll(milliseconds(200));
    std::cout << "\n  [F-25] second elector with id a: exit " << code << " after " << refusedAfter
              << " ms (bound " << kTtlMs + kTtlMs / 3 + 3000 << " ms)" << std::endl;
    const std::string twinText = readFile(twinLog);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(twinText, 78, code);
    CPPUNIT_ASSERT_MESSAGE(
        twinText, twinText.find("another elector is running with this id") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE("the twin announced leadership",
                           std::find(readerTwin.roles().begin(), readerTwin.roles().end(),
                                     LeadershipRole::Leader) == readerTwin.roles().end());
    // The first one led throughout, in the same epoch.
    readerA.poll(milliseconds(200));
    CPPUNIT_ASSERT(readerA.isLeader());
    CPPUNIT_ASSERT_EQUAL(epoch, readerA.last()->epoch);
    // It campaigns only once a collector (readerA) is on its socket, so its first line may say
    // follower; after the first leader line, none may.
    const auto firstLead =
        std::find(readerA.roles().begin(), readerA.roles().end(), LeadershipRole::Leader);
    CPPUNIT_ASSERT_MESSAGE("the first elector stepped down",
                           std::find(firstLead, readerA.roles().end(), LeadershipRole::Follower) ==
                               readerA.roles().end());

    // kill -9 and restart under the same id: the stale presence lease expires, no collision.
    a->kill9();
    const auto restartedAt = Steady::now();
    a = std::make_unique<ElectorChild>(redisArgs(server.port(), "a", socketA), log);
    LeadershipReader again(socketA, milliseconds(3000));
    const bool leads = pollUntil({&again}, milliseconds(2 * kTtlMs + kTtlMs / 3 + 2000),
                                 [&] { return again.isLeader(); });
    std::cout << "  [F-25] restarted after kill -9 under the same id: leads after "
              << msSince(restartedAt) << " ms" << std::endl;
    CPPUNIT_ASSERT_MESSAGE(readFile(log), leads);
    CPPUNIT_ASSERT(again.last()->epoch > epoch);
    CPPUNIT_ASSERT_EQUAL(0, a->terminate(milliseconds(5000)));
    // After a graceful stop the presence lease is given back: a restart claims it at once.
    const auto graceful = Steady::now();
    a = std::make_unique<ElectorChild>(redisArgs(server.port(), "a", socketA), log);
    LeadershipReader third(socketA, milliseconds(3000));
    CPPUNIT_ASSERT_MESSAGE(
        readFile(log), pollUntil({&third}, milliseconds(1500), [&] { return third.isLeader(); }));
    std::cout << "  [F-25] restarted after SIGTERM: leads after " << msSince(graceful) << " ms"
              << std::endl;
    CPPUNIT_ASSERT_EQUAL(0, a->terminate(milliseconds(5000)));
  }

  void testStaticLeader() {
    testing::TempDir dir;
    const std::string socket = dir.path() + "/s.sock";
    const std::string log = dir.path() + "/elector.log";
    ElectorChild process({"--backend", "static", "--role", "leader", "--id", "solo", "--socket",
                          socket, "--lease.ttl", "600"},
                         log);
    LeadershipReader reader(socket, milliseconds(3000));
    // The current event at connect, then one every TTL/3.
    CPPUNIT_ASSERT(pollUntil({&reader}, milliseconds(2000), [&] { return reader.lines() >= 3; }));
    CPPUNIT_ASSERT(reader.isLeader());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, reader.last()->epoch);
    CPPUNIT_ASSERT_EQUAL(std::string("solo"), reader.last()->holder);
    CPPUNIT_ASSERT_EQUAL(std::uint32_t{600}, reader.last()->leaseMs);
    CPPUNIT_ASSERT_EQUAL(0, process.terminate(milliseconds(5000)));
    const std::string text = readFile(log);
    CPPUNIT_ASSERT_MESSAGE(text, text.find("level=info logger=elector msg=\"role changed\" "
                                           "role=leader") != std::string::npos);
  }

  void testBadSettingsExit() {
    testing::TempDir dir;
    const std::string socket = dir.path() + "/x.sock";
    const testing::ProcessResult badTtl =
        testing::runProcess({kElectorBinary, "--lease.ttl", "ten", "--socket", socket}, {}, 10);
    CPPUNIT_ASSERT_EQUAL(78, badTtl.code);
    CPPUNIT_ASSERT_MESSAGE(badTtl.err, badTtl.err.find("lease.ttl") != std::string::npos);
    const testing::ProcessResult badEnv = testing::runProcess({kElectorBinary, "--socket", socket},
                                                              {{"ELECTOR_LEASE_TTL_MS", "0"}}, 10);
    CPPUNIT_ASSERT_EQUAL(78, badEnv.code);
    CPPUNIT_ASSERT(badEnv.err.find("ELECTOR_LEASE_TTL_MS") != std::string::npos);
    const testing::ProcessResult badUrl = testing::runProcess(
        {kElectorBinary, "--socket", socket}, {{"REDIS_URL", "redis://:hunter2@nohost"}}, 10);
    CPPUNIT_ASSERT_EQUAL(78, badUrl.code);
    CPPUNIT_ASSERT(badUrl.err.find("hunter2") == std::string::npos);  // never print a password
    const testing::ProcessResult badFlag =
        testing::runProcess({kElectorBinary, "--no-such-flag", "1"}, {}, 10);
    CPPUNIT_ASSERT_EQUAL(2, badFlag.code);
    const testing::ProcessResult version =
        testing::runProcess({kElectorBinary, "--version"}, {}, 10);
    CPPUNIT_ASSERT_EQUAL(0, version.code);
    CPPUNIT_ASSERT(version.out.rfind("elector ", 0) == 0);
  }

 private:
  static constexpr long kTtlMs = 2000;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ElectorDaemonTest);
