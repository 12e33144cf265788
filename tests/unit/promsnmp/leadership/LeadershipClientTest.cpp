// Tests of the collector's end of the leadership socket on a real Unix stream socket in a temp
// directory, with a tiny in-test server writing lines and a FakeClock for the lease deadline.
// Waits are bounded polls for the reader thread, never fixed sleeps.
#include "leadership/LeadershipClient.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include "common/FakeClock.h"
#include "inventoryfs/DirectorySlotStore.h"
#include "inventoryfs/InventoryStore.h"
#include "inventoryfs/Keyring.h"
#include "leadership/Leadership.h"

using namespace promsnmp;
using common::FakeClock;
using namespace std::chrono_literals;

namespace {

/// Polls `condition` until it holds or `bound` (real time) passes.
bool waitUntil(const std::function<bool()>& condition, std::chrono::milliseconds bound = 5000ms) {
  const auto end = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(2ms);
  }
  return condition();
}

std::string leaderLine(std::uint64_t epoch, std::uint32_t leaseMs = 10000,
                       const std::string& holder = "node-a") {
  return "{\"role\":\"leader\",\"epoch\":" + std::to_string(epoch) + ",\"holder\":\"" + holder +
         "\",\"lease_ms\":" + std::to_string(leaseMs) + "}\n";
}

/// Plays the elector: listens on a socket in a temp dir, accepts one client at a time and writes
/// whatever the test says.
class LineServer {
 public:
  LineServer() {
    std::string pattern = (std::filesystem::temp_directory_path() / "lsock.XXXXXX").string();
    CPPUNIT_ASSERT(::mkdtemp(pattern.data()) != nullptr);
    dir_ = pattern;
    path_ = dir_ + "/elector.sock";
    listen();
  }
  ~LineServer() {
    closeClient();
    closeListener();
    std::filesystem::remove_all(dir_);
  }

  const std::string& path() const { return path_; }

  void listen() {
    ::unlink(path_.c_str());
    listenFd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CPPUNIT_ASSERT(listenFd_ >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path_.c_str(), path_.size() + 1);
    CPPUNIT_ASSERT_EQUAL(0,
                         ::bind(listenFd_, reinterpret_cast<sockaddr*>(&address), sizeof address));
    CPPUNIT_ASSERT_EQUAL(0, ::listen(listenFd_, 4));
  }

  /// Accepts the client's next connection (bounded wait).
  void accept() {
    closeClient();
    pollfd p{listenFd_, POLLIN, 0};
    CPPUNIT_ASSERT_EQUAL_MESSAGE("client did not connect", 1, ::poll(&p, 1, 5000));
    clientFd_ = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
    CPPUNIT_ASSERT(clientFd_ >= 0);
  }

  void send(const std::string& data) {
    CPPUNIT_ASSERT_EQUAL(static_cast<ssize_t>(data.size()),
                         ::send(clientFd_, data.data(), data.size(), MSG_NOSIGNAL));
  }

  void closeClient() {
    if (clientFd_ >= 0) {
      ::close(clientFd_);
      clientFd_ = -1;
    }
  }

  void closeListener() {
    if (listenFd_ >= 0) {
      ::close(listenFd_);
      listenFd_ = -1;
      ::unlink(path_.c_str());
    }
  }

 private:
  std::string dir_;
  std::string path_;
  int listenFd_ = -1;
  int clientFd_ = -1;
};

/// A share whose slot claims hang until released (a hard-mounted NFS server gone away): the
/// fence's commit blocks in claim(). Everything else goes to the real directory.
class HangingSlotStore : public inventoryfs::SlotStore {
 public:
  explicit HangingSlotStore(inventoryfs::SlotStore& real) : real_(real) {}
  ~HangingSlotStore() override { release(); }

  /// Whether a claim is hanging now, waiting at most `bound` for one.
  bool waitForHang(std::chrono::milliseconds bound) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, bound, [this] { return hanging_ > 0; });
  }
  void release() {
    std::lock_guard<std::mutex> lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }

  std::string describe() const override { return real_.describe(); }
  std::optional<std::string> readHead(size_t maxBytes) override { return real_.readHead(maxBytes); }
  std::optional<std::string> readSlot(uint64_t version, size_t maxBytes) override {
    return real_.readSlot(version, maxBytes);
  }
  bool slotExists(uint64_t version) override { return real_.slotExists(version); }
  Claim claim(uint64_t version, const std::string& bytes) override {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ++hanging_;
      changed_.notify_all();
      changed_.wait(lock, [this] { return released_; });
      --hanging_;
    }
    return real_.claim(version, bytes);
  }
  void publishHead(uint64_t version) override { real_.publishHead(version); }
  std::vector<uint64_t> listSlots() override { return real_.listSlots(); }
  void removeSlot(uint64_t version) override { real_.removeSlot(version); }
  size_t removeStaleTemps(int64_t maxAgeSeconds) override {
    return real_.removeStaleTemps(maxAgeSeconds);
  }
  bool markerPresent() override { return real_.markerPresent(); }
  void createMarker(const std::string& clusterId) override { real_.createMarker(clusterId); }

 private:
  inventoryfs::SlotStore& real_;
  std::mutex mutex_;
  std::condition_variable changed_;
  int hanging_ = 0;
  bool released_ = false;
};

LeadershipClient::Options fastOptions() {
  LeadershipClient::Options options;
  options.margin = 1000ms;
  options.initialBackoff = 5ms;
  options.maxBackoff = 40ms;
  options.tick = 5ms;
  return options;
}

}  // namespace

class LeadershipClientTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(LeadershipClientTest);
  CPPUNIT_TEST(testParseAcceptsValidLine);
  CPPUNIT_TEST(testParseRejectsMalformedLines);
  CPPUNIT_TEST(testFreshClientIsFollower);
  CPPUNIT_TEST(testLeaderEventMakesLeader);
  CPPUNIT_TEST(testFollowerEventIsFollower);
  CPPUNIT_TEST(testSilencePastDeadlineStepsDown);
  CPPUNIT_TEST(testShortLeaseKeepsAQuarterAsMargin);
  CPPUNIT_TEST(testLateLineOfUnrenewedLeaseDoesNotReviveLeadership);
  CPPUNIT_TEST(testServerCloseStepsDownAtOnce);
  CPPUNIT_TEST(testGarbageLineStepsDown);
  CPPUNIT_TEST(testOverlongLineStepsDown);
  CPPUNIT_TEST(testReconnectStartsAsFollowerUntilFirstEvent);
  CPPUNIT_TEST(testCallbackOnEveryRoleChange);
  CPPUNIT_TEST(testStopMakesFollower);
  CPPUNIT_TEST(testHungFenceDelaysNeitherEventsNorStop);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testParseAcceptsValidLine() {
    std::string error;
    auto event = parseLeadershipLine(
        "{\"role\":\"leader\",\"epoch\":18446744073709551615,\"holder\":\"h\\u00e9\\\"x\","
        "\"lease_ms\":600000}\n",
        &error);
    CPPUNIT_ASSERT_MESSAGE(error, event.has_value());
    CPPUNIT_ASSERT(event->leader);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{18446744073709551615ULL}, event->epoch);
    CPPUNIT_ASSERT_EQUAL(std::string("h\xC3\xA9\"x"), event->holder);
    CPPUNIT_ASSERT_EQUAL(std::uint32_t{600000}, event->leaseMs);
    event = parseLeadershipLine(
        " { \"lease_ms\" : 1 , \"holder\" : \"\" , \"epoch\" : 0 , \"role\" : \"follower\" } ");
    CPPUNIT_ASSERT(event.has_value());
    CPPUNIT_ASSERT(!event->leader);
  }

  void testParseRejectsMalformedLines() {
    const std::vector<std::string> bad = {
        "",
        "not json",
        "{}",
        "[]",
        "{\"role\":\"leader\",\"epoch\":1,\"holder\":\"a\"}",
        "{\"role\":\"leader\",\"epoch\":1,\"holder\":\"a\",\"lease_ms\":1000,\"x\":1}",
        "{\"role\":\"leader\",\"role\":\"leader\",\"epoch\":1,\"holder\":\"a\",\"lease_ms\":1000}",
        "{\"role\":\"boss\",\"epoch\":1,\"holder\":\"a\",\"lease_ms\":1000}",
        "{\"role\":1,\"epoch\":1,\"holder\":\"a\",\"lease_ms\":1000}",
        "{\"role\":\"leader\",\"epoch\":-1,\"holder\":\"a\",\"lease_ms\":1000}",
        "{\"role\":\"leader\",\"epoch\":1.0,\"holder\":\"a\",\"lease_ms\":1000}",
        "{\"role\":\"leader\",\"epoch\":18446744073709551616,\"holder\":\"a\",\"lease_ms\":1000}",
        "{\"role\":\"leader\",\"epoch\":\"1\",\"holder\":\"a\",\"lease_ms\":1000}",
        "{\"role\":\"leader\",\"epoch\":01,\"holder\":\"a\",\"lease_ms\":1000}",
        "{\"role\":\"leader\",\"epoch\":1,\"holder\":\"a\",\"lease_ms\":0}",
        "{\"role\":\"leader\",\"epoch\":1,\"holder\":\"a\",\"lease_ms\":600001}",
        "{\"role\":\"leader\",\"epoch\":1,\"holder\":null,\"lease_ms\":1000}",
        "{\"role\":\"leader\",\"epoch\":1,\"holder\":\"\xC3\",\"lease_ms\":1000}",
        "{\"role\":\"leader\",\"epoch\":1,\"holder\":\"" + std::string(257, 'h') +
            "\",\"lease_ms\":1000}",
        "{\"role\":\"leader\",\"epoch\":1,\"holder\":\"a\",\"lease_ms\":1000} x",
        "{\"role\":\"leader\",\"epoch\":1,\"holder\":\"a\",\"lease_ms\":1000" +
            std::string(1100, ' ') + "}",
    };
    for (const std::string& line : bad) {
      std::string error;
      CPPUNIT_ASSERT_MESSAGE(line, !parseLeadershipLine(line, &error).has_value());
      CPPUNIT_ASSERT_MESSAGE(line, !error.empty());
    }
  }

  void testFreshClientIsFollower() {
    LineServer server;
    FakeClock clock;
    LeadershipClient client(server.path(), clock, fastOptions());
    CPPUNIT_ASSERT(!client.isLeader());
    client.start();
    server.accept();
    CPPUNIT_ASSERT(waitUntil([&] { return client.connectCount() == 1; }));
    CPPUNIT_ASSERT(!client.isLeader());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, client.epoch());
    CPPUNIT_ASSERT_EQUAL(std::string(), client.holder());
  }

  void testLeaderEventMakesLeader() {
    LineServer server;
    FakeClock clock;
    LeadershipClient client(server.path(), clock, fastOptions());
    client.start();
    server.accept();
    server.send(leaderLine(7));
    CPPUNIT_ASSERT(waitUntil([&] { return client.isLeader(); }));
    const LeadershipState state = client.state();
    CPPUNIT_ASSERT(state.leader);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{7}, state.epoch);
    CPPUNIT_ASSERT_EQUAL(std::string("node-a"), state.holder);
  }

  void testFollowerEventIsFollower() {
    LineServer server;
    FakeClock clock;
    LeadershipClient client(server.path(), clock, fastOptions());
    client.start();
    server.accept();
    server.send(leaderLine(3));
    CPPUNIT_ASSERT(waitUntil([&] { return client.isLeader(); }));
    server.send("{\"role\":\"follower\",\"epoch\":4,\"holder\":\"node-b\",\"lease_ms\":10000}\n");
    CPPUNIT_ASSERT(waitUntil([&] { return client.epoch() == 4; }));
    CPPUNIT_ASSERT(!client.isLeader());
    CPPUNIT_ASSERT_EQUAL(std::string("node-b"), client.holder());
  }

  void testSilencePastDeadlineStepsDown() {
    LineServer server;
    FakeClock clock;
    LeadershipClient client(server.path(), clock, fastOptions());
    client.start();
    server.accept();
    server.send(leaderLine(1, 10000));
    CPPUNIT_ASSERT(waitUntil([&] { return client.isLeader(); }));
    // Deadline = receipt + 10 s − 1 s margin, on the collector's own clock (F-4).
    clock.advance(8999ms);
    CPPUNIT_ASSERT(client.isLeader());
    clock.advance(1ms);
    CPPUNIT_ASSERT(!client.isLeader());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, client.epoch());
    // A renew restores leadership with a fresh deadline.
    server.send(leaderLine(1, 10000));
    CPPUNIT_ASSERT(waitUntil([&] { return client.isLeader(); }));
    clock.advance(9s);
    CPPUNIT_ASSERT(!client.isLeader());
  }

  void testShortLeaseKeepsAQuarterAsMargin() {
    // An elector with a 2 s TTL sends lease_ms 1487 (its own margin taken off) and renews every
    // 667 ms: the collector's trust must outlast a renew interval, so its margin shrinks to a
    // quarter of the lease instead of a full second (which left it leading ~0.5 s of every 0.67).
    LineServer server;
    FakeClock clock;
    LeadershipClient client(server.path(), clock, fastOptions());
    client.start();
    server.accept();
    server.send(leaderLine(5, 1487));
    CPPUNIT_ASSERT(waitUntil([&] { return client.isLeader(); }));
    clock.advance(1115ms);  // 1487 − 1487/4 = 1116
    CPPUNIT_ASSERT(client.isLeader());
    clock.advance(1ms);
    CPPUNIT_ASSERT(!client.isLeader());
    // A renew (the lease now ends later): leader again, with the same margin (a quarter of the
    // longest lease of the connection, 371 ms).
    server.send(leaderLine(5, 1000));
    CPPUNIT_ASSERT(waitUntil([&] { return client.isLeader(); }));
    clock.advance(628ms);
    CPPUNIT_ASSERT(client.isLeader());
    clock.advance(1ms);
    CPPUNIT_ASSERT(!client.isLeader());
  }

  void testLateLineOfUnrenewedLeaseDoesNotReviveLeadership() {
    // F-8: Redis unreachable, the elector keeps sending lines of its last lease with less and
    // less time left. Once the collector's deadline has passed, such a line must not make it
    // leader again (with a margin of a quarter of *its* lease_ms it did: 300 − 75 ms).
    LineServer server;
    FakeClock clock;
    LeadershipClient client(server.path(), clock, fastOptions());
    client.start();
    server.accept();
    server.send(leaderLine(5, 1500));
    CPPUNIT_ASSERT(waitUntil([&] { return client.isLeader(); }));
    clock.advance(1200ms);  // deadline 1500 − 375 = 1125 ms passed
    CPPUNIT_ASSERT(!client.isLeader());
    // The same lease, ending at 1500 ms as before; the holder only marks the line as read.
    server.send(leaderLine(5, 300, "node-a-late"));
    CPPUNIT_ASSERT(waitUntil([&] { return client.holder() == "node-a-late"; }));
    CPPUNIT_ASSERT(!client.isLeader());
  }

  void testServerCloseStepsDownAtOnce() {
    LineServer server;
    FakeClock clock;
    LeadershipClient client(server.path(), clock, fastOptions());
    client.start();
    server.accept();
    server.send(leaderLine(2));
    CPPUNIT_ASSERT(waitUntil([&] { return client.isLeader(); }));
    server.closeClient();  // F-2: EOF, with the lease still far from its deadline.
    CPPUNIT_ASSERT(waitUntil([&] { return !client.isLeader(); }, 1000ms));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, client.epoch());
  }

  void testGarbageLineStepsDown() {
    LineServer server;
    FakeClock clock;
    LeadershipClient client(server.path(), clock, fastOptions());
    client.start();
    server.accept();
    server.send(leaderLine(2));
    CPPUNIT_ASSERT(waitUntil([&] { return client.isLeader(); }));
    server.send("{\"role\":\"leader\",\"epoch\":2}\n");
    CPPUNIT_ASSERT(waitUntil([&] { return !client.isLeader(); }, 1000ms));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, client.badLineCount());
    // The client drops that connection and comes back as a follower.
    server.accept();
    CPPUNIT_ASSERT(waitUntil([&] { return client.connectCount() == 2; }));
    CPPUNIT_ASSERT(!client.isLeader());
  }

  void testOverlongLineStepsDown() {
    LineServer server;
    FakeClock clock;
    LeadershipClient client(server.path(), clock, fastOptions());
    client.start();
    server.accept();
    server.send(leaderLine(2));
    CPPUNIT_ASSERT(waitUntil([&] { return client.isLeader(); }));
    server.send(std::string(2000, ' '));  // No newline: never a complete line.
    CPPUNIT_ASSERT(waitUntil([&] { return !client.isLeader(); }, 1000ms));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, client.badLineCount());
  }

  void testReconnectStartsAsFollowerUntilFirstEvent() {
    LineServer server;
    FakeClock clock;
    LeadershipClient client(server.path(), clock, fastOptions());
    client.start();
    server.accept();
    server.send(leaderLine(1));
    CPPUNIT_ASSERT(waitUntil([&] { return client.isLeader(); }));
    server.closeClient();
    server.closeListener();  // The elector is gone; connects fail and back off.
    CPPUNIT_ASSERT(waitUntil([&] { return !client.isLeader(); }, 1000ms));
    server.listen();
    server.accept();
    CPPUNIT_ASSERT(waitUntil([&] { return client.connectCount() == 2; }));
    // F-26: nothing from before the reconnect counts.
    CPPUNIT_ASSERT(!client.isLeader());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, client.epoch());
    server.send(leaderLine(2, 10000, "node-a"));
    CPPUNIT_ASSERT(waitUntil([&] { return client.isLeader(); }));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{2}, client.epoch());
  }

  void testCallbackOnEveryRoleChange() {
    LineServer server;
    FakeClock clock;
    std::mutex mutex;
    std::vector<std::pair<bool, std::uint64_t>> changes;
    const auto count = [&] {
      std::lock_guard<std::mutex> lock(mutex);
      return changes.size();
    };
    LeadershipClient client(server.path(), clock, fastOptions(), [&](const LeadershipState& s) {
      std::lock_guard<std::mutex> lock(mutex);
      changes.emplace_back(s.leader, s.epoch);
    });
    client.start();
    server.accept();
    server.send(leaderLine(1));
    CPPUNIT_ASSERT(waitUntil([&] { return count() == 1; }));
    server.send(leaderLine(1, 10000, "node-a-renewed"));  // A renew is not a change.
    CPPUNIT_ASSERT(waitUntil([&] { return client.holder() == "node-a-renewed"; }));
    clock.advance(9s);  // Silence past the deadline: noticed by the reader's tick.
    CPPUNIT_ASSERT(waitUntil([&] { return count() == 2; }));
    server.send(leaderLine(2));
    CPPUNIT_ASSERT(waitUntil([&] { return count() == 3; }));
    server.closeClient();
    CPPUNIT_ASSERT(waitUntil([&] { return count() == 4; }));
    client.stop();
    std::lock_guard<std::mutex> lock(mutex);
    const std::vector<std::pair<bool, std::uint64_t>> expected = {
        {true, 1}, {false, 1}, {true, 2}, {false, 0}};
    CPPUNIT_ASSERT(expected == changes);
  }

  void testStopMakesFollower() {
    LineServer server;
    FakeClock clock;
    LeadershipClient client(server.path(), clock, fastOptions());
    client.start();
    server.accept();
    server.send(leaderLine(1));
    CPPUNIT_ASSERT(waitUntil([&] { return client.isLeader(); }));
    client.stop();
    CPPUNIT_ASSERT(!client.isLeader());
    client.stop();  // Idempotent.
  }

  // Issue 12 item 7: the fence commit ran on the socket's reader thread, so a hung share stalled
  // every later event (a follower event included) and stop(). The daemon's wiring: the client's
  // role callback is Leadership::onRoleChange.
  void testHungFenceDelaysNeitherEventsNorStop() {
    std::string dir = (std::filesystem::temp_directory_path() / "fence.XXXXXX").string();
    CPPUNIT_ASSERT(::mkdtemp(dir.data()) != nullptr);
    inventoryfs::Keyring keys(inventoryfs::Keyring::deriveKey("hung fence test", "test"));
    inventoryfs::DirectorySlotStore real(dir + "/inventory.json");
    inventoryfs::InventoryStore(real, keys).init(inventoryfs::Inventory{}, "test");
    HangingSlotStore share(real);
    auto store = std::make_shared<inventoryfs::InventoryStore>(share, keys);

    LineServer server;
    FakeClock clock;
    std::shared_ptr<Leadership> leadership;
    LeadershipClient client(server.path(), clock, fastOptions(),
                            [&](const LeadershipState& state) { leadership->onRoleChange(state); });
    leadership = std::make_shared<Leadership>(store, Leadership::Mode::Elector, &client);
    // Destroyed before the client: whatever fails below, the hang ends before the reader joins.
    struct Unhang {
      HangingSlotStore& share;
      ~Unhang() { share.release(); }
    } unhang{share};

    client.start();
    server.accept();
    server.send(leaderLine(7));
    CPPUNIT_ASSERT_MESSAGE("no fence started", share.waitForHang(5000ms));
    server.send("{\"role\":\"follower\",\"epoch\":8,\"holder\":\"node-b\",\"lease_ms\":10000}\n");
    CPPUNIT_ASSERT_MESSAGE("the follower event waited for the hung fence",
                           waitUntil([&] { return client.holder() == "node-b"; }, 2000ms));
    CPPUNIT_ASSERT(!client.isLeader());
    CPPUNIT_ASSERT(!leadership->isLeader());
    const auto stopStarted = std::chrono::steady_clock::now();
    client.stop();
    CPPUNIT_ASSERT(std::chrono::steady_clock::now() - stopStarted < 1000ms);
    CPPUNIT_ASSERT_MESSAGE("the fencing thread is in the hung call: stop() must not wait for it",
                           !leadership->stop(50ms));

    // The share comes back: the fence completes on its own thread, and leadership stays closed
    // (the follower event won; nothing is written under the old lease).
    share.release();
    CPPUNIT_ASSERT(leadership->stop(5000ms));
    CPPUNIT_ASSERT(!leadership->isLeader());
    CPPUNIT_ASSERT_THROW(leadership->commit([](inventoryfs::Inventory&) {}), Leadership::NotLeader);
    std::filesystem::remove_all(dir);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LeadershipClientTest);
