// F-24 of the fault catalog (election-and-shared-file.md §7.3), end to end in one site:
//   F-24 | Sidecar stale "me" (#690) | Stub keeps saying "me" while another writer commits a
//        | higher epoch | Collector steps down on seeing the higher epoch (I3) and backs off
//        | ≥ LeaseDuration
// Two real promsnmp daemons share one inventory directory; each follows a stub elector on its
// Unix socket (FakeElector). A's stub keeps announcing A as leader of epoch 1 with a fresh lease;
// B's announces epoch 2. B fences and commits. A must stop claiming leadership as soon as its
// watcher sees B's higher epoch — before any write attempt — refuse writes while its stub still
// says "me" for several lease durations, and lead again only under a newer lease.
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include <cppunit/extensions/HelperMacros.h>

#include "FaultHelpers.h"
#include "SiteHarness.h"

using namespace faults;
using std::chrono::milliseconds;
using testing::FakeElector;

namespace {

constexpr long kLeaseMs = 1500;

std::string leaderLine(uint64_t epoch, const std::string& holder) {
  return R"({"role":"leader","epoch":)" + std::to_string(epoch) + R"(,"holder":")" + holder +
         R"(","lease_ms":)" + std::to_string(kLeaseMs) + "}";
}

/// A stub sidecar that repeats its current line every 250 ms (a renewing elector), until
/// destroyed. The line can be changed while it runs.
class RepeatingStub {
 public:
  explicit RepeatingStub(FakeElector& elector) : elector_(elector) {}
  ~RepeatingStub() { stop(); }
  void say(const std::string& line) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      line_ = line;
    }
    elector_.send(line);
    if (!thread_.joinable()) {
      thread_ = std::thread([this] {
        // Bounded: at most 10 minutes of repeats.
        for (int i = 0; i < 2400 && !stop_; ++i) {
          std::this_thread::sleep_for(milliseconds(250));
          std::string current;
          {
            std::lock_guard<std::mutex> lock(mutex_);
            current = line_;
          }
          try {
            elector_.send(current);
          } catch (const std::exception&) {
            return;  // the collector went away
          }
        }
      });
    }
  }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
  }

 private:
  FakeElector& elector_;
  std::mutex mutex_;
  std::string line_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

long msSince(std::chrono::steady_clock::time_point start) {
  return static_cast<long>(
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start).count());
}

}  // namespace

class SidecarFaultTest : public TimedFixture {
  CPPUNIT_TEST_SUITE(SidecarFaultTest);
  CPPUNIT_TEST(testF24StaleMeStepsDownOnHigherEpoch_I3_I1_I2);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testF24StaleMeStepsDownOnHigherEpoch_I3_I1_I2() {
    name_ = "testF24StaleMeStepsDownOnHigherEpoch_I3_I1_I2";
    Site site;
    site.init(2);
    FakeElector electorA(site.root() + "/a.sock");
    FakeElector electorB(site.root() + "/b.sock");
    LiveProcess a(site.daemonDir("a"),
                  site.daemonEnv("a", "", {{"PROMSNMP_ELECTOR_SOCKET", site.root() + "/a.sock"}}));
    electorA.accept();
    LiveProcess b(site.daemonDir("b"),
                  site.daemonEnv("b", "", {{"PROMSNMP_ELECTOR_SOCKET", site.root() + "/b.sock"}}));
    electorB.accept();
    RepeatingStub stubA(electorA);
    RepeatingStub stubB(electorB);

    // A leads epoch 1 and commits.
    stubA.say(leaderLine(1, "a"));
    CPPUNIT_ASSERT_MESSAGE(
        a.log(), testing::eventually(5, [&] { return a.get("/promsnmp/leader").status == 200; }));
    testing::HttpAnswer first = postInventory(a.port(), inventoryJson("from-a", 3));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(first.body, 200, first.status);
    const uint64_t aLast = site.newest();
    const inventoryfs::Header aHeader = site.header(aLast);
    CPPUNIT_ASSERT_EQUAL(uint64_t{1}, aHeader.epoch);

    // B is told it leads epoch 2 (a real election moved on); A's stub keeps saying "me".
    stubB.say(leaderLine(2, "b"));
    CPPUNIT_ASSERT_MESSAGE(
        b.log(), testing::eventually(5, [&] { return b.get("/promsnmp/leader").status == 200; }));
    testing::HttpAnswer fromB = postInventory(b.port(), inventoryJson("from-b", 4));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(fromB.body, 200, fromB.status);
    const uint64_t bVersion = site.newest();
    CPPUNIT_ASSERT(site.header(bVersion).epoch >= 2);
    const auto committedAt = std::chrono::steady_clock::now();

    // A steps down on *seeing* the higher epoch (its watcher polls every 200 ms), before any
    // write attempt: /promsnmp/leader 503 with the reason, the gauge 0.
    long stepDown = -1;
    while (msSince(committedAt) < 3000 && stepDown < 0) {
      if (a.get("/promsnmp/leader").status != 200) {
        stepDown = msSince(committedAt);
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
    testing::HttpAnswer aLeader = a.get("/promsnmp/leader");
    std::cout << "\n  [F-24] A (stub says leader of epoch 1) stopped claiming leadership "
              << stepDown << " ms after B committed epoch " << site.header(bVersion).epoch << ": "
              << aLeader.status << " " << aLeader.body << std::endl;
    CPPUNIT_ASSERT_MESSAGE(a.log(), stepDown >= 0);
    CPPUNIT_ASSERT_MESSAGE(aLeader.body, contains(aLeader.body, "newer"));
    CPPUNIT_ASSERT_MESSAGE(a.log(), contains(a.log(), "stepping down: the inventory has a newer"));
    const std::vector<testing::Sample> metrics = testing::parseSamples(a.get("/metrics").body);
    CPPUNIT_ASSERT_EQUAL(std::string("0"),
                         testing::sampleValue(metrics, "promsnmp_leader_election_is_leader"));

    // Backs off for as long as the stub keeps saying "me" (3 lease durations here): never 200,
    // every write refused, nothing written by A (I3).
    int aPosts = 0;
    int aLeaderAnswers = 0;
    const auto holdStart = std::chrono::steady_clock::now();
    for (int i = 0; i < 100 && msSince(holdStart) < 3 * kLeaseMs; ++i) {
      if (a.get("/promsnmp/leader").status == 200) {
        ++aLeaderAnswers;
      }
      if (postInventory(a.port(), inventoryJson("zombie" + std::to_string(i), 1)).status == 200) {
        ++aPosts;
      }
      std::this_thread::sleep_for(milliseconds(100));
    }
    std::cout << "  [F-24] during " << 3 * kLeaseMs
              << " ms of stale \"me\": A answered 200 on /promsnmp/leader " << aLeaderAnswers
              << " times, accepted " << aPosts << " POSTs" << std::endl;
    CPPUNIT_ASSERT_EQUAL(0, aLeaderAnswers);
    CPPUNIT_ASSERT_EQUAL(0, aPosts);
    CPPUNIT_ASSERT_EQUAL(bVersion, site.newest());

    // B still writes; then a newer lease for A (epoch 3) lets A lead again: it fences above B,
    // and B, at its next commit, is refused and steps down in turn.
    CPPUNIT_ASSERT_EQUAL(200, postInventory(b.port(), inventoryJson("from-b-again", 5)).status);
    stubB.say(R"({"role":"follower","epoch":3,"holder":"a","lease_ms":1500})");
    stubA.say(leaderLine(3, "a"));
    CPPUNIT_ASSERT_MESSAGE(
        a.log(), testing::eventually(5, [&] { return a.get("/promsnmp/leader").status == 200; }));
    CPPUNIT_ASSERT_EQUAL(200, postInventory(a.port(), inventoryJson("from-a-again", 6)).status);

    // The chain: versions consecutive, epochs never decrease (I2), one writer per epoch (I1).
    testing::ProcessResult verify = site.cliResult({"verify"});
    CPPUNIT_ASSERT_EQUAL_MESSAGE(verify.out + verify.err, 0, verify.code);
    uint64_t lastEpoch = 0;
    std::map<uint64_t, std::string> writers;
    std::string chain;
    for (uint64_t v : site.slots()) {
      const inventoryfs::Header h = site.header(v);
      CPPUNIT_ASSERT_MESSAGE("I2: epoch went back at v" + std::to_string(v), h.epoch >= lastEpoch);
      lastEpoch = h.epoch;
      if (h.epoch > 0) {
        auto [it, fresh] = writers.emplace(h.epoch, h.writerIdHex());
        CPPUNIT_ASSERT_MESSAGE("I1: two writers in epoch " + std::to_string(h.epoch),
                               fresh || it->second == h.writerIdHex());
      }
      chain += " v" + std::to_string(v) + ":e" + std::to_string(h.epoch);
    }
    std::cout << "  [F-24] chain:" << chain << std::endl;
  }

 private:
};

CPPUNIT_TEST_SUITE_REGISTRATION(SidecarFaultTest);
