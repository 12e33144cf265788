// LeadershipServer on a real Unix socket in a temp directory with raw-socket readers standing in
// for collectors: every reader gets the same lines, a new reader gets the current state, and a
// reader that never reads is dropped without blocking publish(). Each wait is bounded.
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Exception.h>
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include "LeadershipServer.h"
#include "elector/LeadershipEvent.h"

using namespace elector;
using namespace std::chrono_literals;

namespace {

/// A new client's first line is the current event replayed *aged*: a leader's lease_ms is what
/// is left of the lease since it was published (at most 1 s of it gone in these tests).
void assertReplayed(const LeadershipEvent& published, const std::string& line) {
  const std::optional<LeadershipEvent> replayed = decode(line);
  CPPUNIT_ASSERT_MESSAGE(line, replayed.has_value());
  CPPUNIT_ASSERT_MESSAGE(line, replayed->role == published.role);
  CPPUNIT_ASSERT_EQUAL_MESSAGE(line, published.epoch, replayed->epoch);
  CPPUNIT_ASSERT_EQUAL_MESSAGE(line, published.holder, replayed->holder);
  CPPUNIT_ASSERT_MESSAGE(line, replayed->leaseMs <= published.leaseMs &&
                                   replayed->leaseMs + 1000 >= published.leaseMs);
}

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

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "lsockit.XXXXXX").string();
    CPPUNIT_ASSERT(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

sockaddr_un unixAddress(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return address;
}

/// A raw reader of the socket, as a collector would be.
class Reader {
 public:
  explicit Reader(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CPPUNIT_ASSERT(fd_ >= 0);
    const sockaddr_un address = unixAddress(path);
    CPPUNIT_ASSERT_EQUAL(
        0, ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address));
  }
  ~Reader() { ::close(fd_); }

  /// The next line including '\n', or "" on EOF (or no line within the bound).
  std::string readLine(std::chrono::milliseconds bound = 5000ms) {
    const auto end = std::chrono::steady_clock::now() + bound;
    for (;;) {
      const std::size_t newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        std::string line = buffer_.substr(0, newline + 1);
        buffer_.erase(0, newline + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) != 1) {
        return "";
      }
      char chunk[65536];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) {
        return "";
      }
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  /// Reads and discards until EOF; true if EOF came within the bound.
  bool drainToEof(std::chrono::milliseconds bound = 5000ms) {
    const auto end = std::chrono::steady_clock::now() + bound;
    char chunk[65536];
    while (std::chrono::steady_clock::now() < end) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) != 1) {
        continue;
      }
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) {
        return true;
      }
    }
    return false;
  }

 private:
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace

class LeadershipSocketTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(LeadershipSocketTest);
  CPPUNIT_TEST(testClientsReceiveTheSameLines);
  CPPUNIT_TEST(testNewClientGetsCurrentState);
  CPPUNIT_TEST(testSlowClientIsDroppedWithoutBlocking);
  CPPUNIT_TEST(testSocketModeAndStaleFile);
  CPPUNIT_TEST(testNonSocketFileIsNotRemoved);
  CPPUNIT_TEST(testStopClosesClientsAndRemovesSocket);
  CPPUNIT_TEST(testClientsForTheStatusPage);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testClientsReceiveTheSameLines() {
    TempDir dir;
    LeadershipServer server(dir.file("elector.sock"));
    server.start();
    Reader a(server.path());
    Reader b(server.path());
    CPPUNIT_ASSERT(waitUntil([&] { return server.clientCount() == 2; }));
    const LeadershipEvent events[] = {{LeadershipRole::Follower, 1, "node-b", 10000},
                                      {LeadershipRole::Leader, 2, "node-a", 10000},
                                      {LeadershipRole::Leader, 2, "node-a", 10000}};
    for (const auto& event : events) {
      server.publish(event);
    }
    for (const auto& event : events) {
      const std::string expected = encode(event);
      CPPUNIT_ASSERT_EQUAL(expected, a.readLine());
      CPPUNIT_ASSERT_EQUAL(expected, b.readLine());
    }
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, server.droppedCount());
  }

  void testNewClientGetsCurrentState() {
    TempDir dir;
    LeadershipServer server(dir.file("elector.sock"));
    server.start();
    Reader early(server.path());
    CPPUNIT_ASSERT(waitUntil([&] { return server.clientCount() == 1; }));
    CPPUNIT_ASSERT_EQUAL(std::string(), early.readLine(50ms));  // Nothing published yet.
    server.publish({LeadershipRole::Leader, 5, "node-a", 9000});
    server.publish({LeadershipRole::Leader, 6, "node-a", 9000});
    Reader late(server.path());
    assertReplayed({LeadershipRole::Leader, 6, "node-a", 9000}, late.readLine());
    CPPUNIT_ASSERT_EQUAL(encode({LeadershipRole::Leader, 5, "node-a", 9000}), early.readLine());
  }

  void testSlowClientIsDroppedWithoutBlocking() {
    TempDir dir;
    LeadershipServer server(dir.file("elector.sock"));
    server.start();
    Reader slow(server.path());  // Never reads until the end.
    Reader fast(server.path());
    CPPUNIT_ASSERT(waitUntil([&] { return server.clientCount() == 2; }));

    // Publish in batches, letting the fast reader catch up after each, until the slow reader's
    // buffer is full and it is dropped. Every publish must return promptly.
    const LeadershipEvent event{LeadershipRole::Leader, 1, std::string(200, 'h'), 10000};
    const std::string expected = encode(event);
    int published = 0;
    auto slowest = std::chrono::nanoseconds::zero();
    while (server.droppedCount() == 0 && published < 200000) {
      for (int i = 0; i < 50; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        server.publish(event);
        slowest = std::max(slowest, std::chrono::steady_clock::now() - t0);
        ++published;
      }
      for (int i = 0; i < 50; ++i) {
        CPPUNIT_ASSERT_EQUAL(expected, fast.readLine());
      }
    }
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, server.droppedCount());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, server.clientCount());
    CPPUNIT_ASSERT_MESSAGE("a publish blocked", slowest < 500ms);
    // The dropped reader sees only whole lines, then EOF; the fast one keeps receiving.
    CPPUNIT_ASSERT(slow.drainToEof());
    server.publish({LeadershipRole::Follower, 2, "node-b", 10000});
    CPPUNIT_ASSERT_EQUAL(encode({LeadershipRole::Follower, 2, "node-b", 10000}), fast.readLine());
  }

  void testSocketModeAndStaleFile() {
    TempDir dir;
    const std::string path = dir.file("elector.sock");
    {
      // A socket file left by a crashed elector: bound, then closed.
      const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
      const sockaddr_un address = unixAddress(path);
      CPPUNIT_ASSERT_EQUAL(0,
                           ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address));
      ::close(fd);
    }
    LeadershipServer server(path);
    server.start();
    struct stat st {};
    CPPUNIT_ASSERT_EQUAL(0, ::stat(path.c_str(), &st));
    CPPUNIT_ASSERT(S_ISSOCK(st.st_mode));
    CPPUNIT_ASSERT_EQUAL(0660u, static_cast<unsigned>(st.st_mode & 0777));
    Reader reader(path);
    CPPUNIT_ASSERT(waitUntil([&] { return server.clientCount() == 1; }));
    CPPUNIT_ASSERT_THROW(server.start(), Poco::IllegalStateException);
  }

  void testNonSocketFileIsNotRemoved() {
    TempDir dir;
    const std::string path = dir.file("elector.sock");
    std::ofstream(path) << "not a socket\n";
    LeadershipServer server(path);
    CPPUNIT_ASSERT_THROW(server.start(), Poco::IOException);
    CPPUNIT_ASSERT(std::filesystem::is_regular_file(path));
    LeadershipServer tooLong("/" + std::string(200, 'x'));
    CPPUNIT_ASSERT_THROW(tooLong.start(), Poco::InvalidArgumentException);
  }

  void testStopClosesClientsAndRemovesSocket() {
    TempDir dir;
    LeadershipServer server(dir.file("elector.sock"));
    server.start();
    server.publish({LeadershipRole::Leader, 3, "node-a", 10000});
    Reader reader(server.path());
    assertReplayed({LeadershipRole::Leader, 3, "node-a", 10000}, reader.readLine());
    server.stop();
    CPPUNIT_ASSERT(reader.drainToEof());
    CPPUNIT_ASSERT(!std::filesystem::exists(server.path()));
    server.stop();   // Idempotent.
    server.start();  // Restartable, without the state from before the stop.
    Reader again(server.path());
    CPPUNIT_ASSERT(waitUntil([&] { return server.clientCount() == 1; }));
    CPPUNIT_ASSERT_EQUAL(std::string(), again.readLine(50ms));
    server.publish({LeadershipRole::Follower, 4, "node-b", 10000});
    CPPUNIT_ASSERT_EQUAL(encode({LeadershipRole::Follower, 4, "node-b", 10000}), again.readLine());
  }

  /// What the status page lists: each client's pid (SO_PEERCRED: this process), when it
  /// connected (oldest first) and the last line it was sent; a client that leaves is gone.
  void testClientsForTheStatusPage() {
    TempDir dir;
    LeadershipServer server(dir.file("elector.sock"));
    server.start();
    const auto before = std::chrono::steady_clock::now();
    auto first = std::make_unique<Reader>(server.path());
    CPPUNIT_ASSERT(waitUntil([&] { return server.clientCount() == 1; }));
    std::vector<LeadershipServer::ClientInfo> clients = server.clients();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, clients.size());
    CPPUNIT_ASSERT(clients[0].pid.has_value());
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(::getpid()), *clients[0].pid);
    CPPUNIT_ASSERT(clients[0].connectedAt >= before);
    CPPUNIT_ASSERT(clients[0].lastEvent.empty());  // nothing published yet
    CPPUNIT_ASSERT(!clients[0].lastSentAt.has_value());

    const LeadershipEvent event{LeadershipRole::Leader, 3, "node-a", 9000};
    server.publish(event);
    Reader second(server.path());  // gets the current event, aged, on connect
    CPPUNIT_ASSERT(waitUntil([&] { return server.clientCount() == 2; }));
    clients = server.clients();
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, clients.size());
    std::string line = encode(event);
    line.pop_back();  // without the newline
    CPPUNIT_ASSERT_EQUAL(line, clients[0].lastEvent);
    CPPUNIT_ASSERT(clients[0].lastSentAt.has_value());
    CPPUNIT_ASSERT(clients[0].connectedAt <= clients[1].connectedAt);
    const std::string replayed = second.readLine();
    CPPUNIT_ASSERT_EQUAL(replayed.substr(0, replayed.size() - 1), clients[1].lastEvent);

    first.reset();
    CPPUNIT_ASSERT(waitUntil([&] { return server.clientCount() == 1; }));
    CPPUNIT_ASSERT(clients[1].connectedAt == server.clients()[0].connectedAt);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LeadershipSocketTest);
