// Election + RedisLeaseStore + the real clock against a real redis-server: failover on stop,
// and fail-closed step-down when Redis stops answering (I5).
#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <thread>

#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include "Election.h"
#include "RedisLeaseStore.h"
#include "RedisServer.h"
#include "common/Clock.h"

using common::SystemClock;
using elector::Decision;
using elector::Election;
using elector::ElectionConfig;
using elector::RedisLeaseStore;
using elector::RedisOptions;
using elector::Role;
using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

namespace {

ElectionConfig fastConfig(const std::string& node) {
  ElectionConfig config;
  config.nodeId = node;
  config.ttl = milliseconds(1500);
  config.margin = milliseconds(300);  // renew every 500 ms
  config.retryInterval = milliseconds(200);
  config.flapBackoff = milliseconds(500);
  return config;
}

RedisOptions optionsFor(int port) {
  RedisOptions options;
  options.port = port;
  options.connectTimeout = milliseconds(200);
  options.commandTimeout = milliseconds(150);
  return options;
}

struct Node {
  Node(int port, const SystemClock& clock, const std::string& name)
      : store(optionsFor(port)), election(store, clock, fastConfig(name)) {}
  RedisLeaseStore store;
  Election election;
  Decision last;
};

}  // namespace

class ElectionRedisTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ElectionRedisTest);
  CPPUNIT_TEST(testFailoverAndFailClosedStepDown);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override { ::signal(SIGPIPE, SIG_IGN); }

  // Steps both nodes when due for `duration`, checking they are never leader at once.
  void run(Node& a, Node& b, milliseconds duration) {
    const auto until = Steady::now() + duration;
    while (Steady::now() < until) {
      for (Node* node : {&a, &b}) {
        if (Steady::now() >= node->last.wakeAt) {
          node->last = node->election.step();
        }
      }
      CPPUNIT_ASSERT(!(a.election.current().role == Role::Leader &&
                       b.election.current().role == Role::Leader));
      std::this_thread::sleep_for(milliseconds(10));
    }
  }

  void testFailoverAndFailClosedStepDown() {
    elector_test::RedisServer server(elector_test::freePort());
    SystemClock clock;
    Node a(server.port(), clock, "a");
    Node b(server.port(), clock, "b");
    run(a, b, milliseconds(2000));
    Node* leader = a.election.current().role == Role::Leader ? &a : &b;
    Node* follower = leader == &a ? &b : &a;
    CPPUNIT_ASSERT(leader->election.current().role == Role::Leader);
    const std::int64_t firstEpoch = leader->election.current().epoch;
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, leader->election.transitions());  // no flapping

    // Clean stop: the key is released and the other node takes over within a retry or two.
    leader->election.stop();
    const auto stoppedAt = Steady::now();
    while (follower->election.current().role != Role::Leader &&
           Steady::now() < stoppedAt + milliseconds(2000)) {
      follower->last = follower->election.step();
      std::this_thread::sleep_for(milliseconds(10));
    }
    const Decision taken = follower->election.current();
    CPPUNIT_ASSERT(taken.role == Role::Leader);
    CPPUNIT_ASSERT(taken.epoch > firstEpoch);
    CPPUNIT_ASSERT(Steady::now() - stoppedAt < milliseconds(1000));

    // Redis stops answering: the leader is follower no later than one TTL after the pause.
    server.pause();
    const auto pausedAt = Steady::now();
    while (Steady::now() < pausedAt + milliseconds(2500)) {
      if (Steady::now() >= follower->last.wakeAt) {
        follower->last = follower->election.step();
      }
      if (follower->election.current().role == Role::Leader) {
        CPPUNIT_ASSERT(Steady::now() < pausedAt + milliseconds(1500));
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
    CPPUNIT_ASSERT(follower->election.current().role == Role::Follower);
    server.resume();
    follower->election.stop();
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ElectionRedisTest);
