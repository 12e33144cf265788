// The elector binary against a real redis-server: one leader among two, failover after kill -9,
// handover on SIGTERM, the static backend and exit codes. Every child is stopped by a destructor
// and every wait is bounded.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ProcessHelpers.h"
#include "RedisServer.h"
#include "elector/LeadershipEvent.h"

using elector::LeadershipEvent;
using elector::LeadershipRole;
using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

namespace {

const std::string kElector = std::string(PROMSNMP_BIN_DIR) + "/elector";

/// One elector child process; its stderr goes to `logPath`. The destructor SIGKILLs and reaps it.
class ElectorProcess {
 public:
  ElectorProcess(std::vector<std::string> args, const std::string& logPath) {
    args.insert(args.begin(), kElector);
    pid_ = ::fork();
    if (pid_ < 0) {
      throw std::runtime_error("fork failed");
    }
    if (pid_ == 0) {
      const int log = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      const int devnull = ::open("/dev/null", O_WRONLY);
      ::dup2(devnull, 1);
      ::dup2(log, 2);
      std::vector<char*> argv;
      for (std::string& arg : args) {
        argv.push_back(arg.data());
      }
      argv.push_back(nullptr);
      ::execv(kElector.c_str(), argv.data());
      ::_exit(127);
    }
  }
  ~ElectorProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  ElectorProcess(const ElectorProcess&) = delete;
  ElectorProcess& operator=(const ElectorProcess&) = delete;

  void kill9() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  /// Sends SIGTERM and waits at most `timeout`; returns the exit code, or -1 if it had to be
  /// killed or died from a signal.
  int terminate(milliseconds timeout) {
    ::kill(pid_, SIGTERM);
    const auto until = Steady::now() + timeout;
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (Steady::now() > until) {
        kill9();
        return -1;
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
};

/// A raw client of one leadership socket that keeps the last event it read.
class SocketReader {
 public:
  /// Connects, retrying until the elector has bound the socket (at most `timeout`).
  SocketReader(const std::string& path, milliseconds timeout) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    const auto until = Steady::now() + timeout;
    while (true) {
      fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        return;
      }
      ::close(fd_);
      fd_ = -1;
      if (Steady::now() > until) {
        throw std::runtime_error("cannot connect to " + path);
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
  }
  ~SocketReader() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  SocketReader(const SocketReader&) = delete;
  SocketReader& operator=(const SocketReader&) = delete;

  /// Reads what arrives within `timeout` (stops early once a line was read); returns false on
  /// end of stream. Every line must decode.
  bool poll(milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (eof_ || ::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
      return !eof_;
    }
    char buffer[4096];
    const ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    pending_.append(buffer, static_cast<std::size_t>(n));
    std::size_t newline = 0;
    while ((newline = pending_.find('\n')) != std::string::npos) {
      std::string error;
      const auto event = elector::decode(pending_.substr(0, newline), &error);
      CPPUNIT_ASSERT_MESSAGE("bad line: " + error, event.has_value());
      last_ = event;
      ++lines_;
      pending_.erase(0, newline + 1);
    }
    return true;
  }

  bool isLeader() const { return last_ && last_->role == LeadershipRole::Leader; }
  const std::optional<LeadershipEvent>& last() const { return last_; }
  int lines() const { return lines_; }
  bool eof() const { return eof_; }

 private:
  int fd_ = -1;
  std::string pending_;
  std::optional<LeadershipEvent> last_;
  int lines_ = 0;
  bool eof_ = false;
};

/// Polls every reader until `done()` or `timeout`; returns whether `done()` became true.
template <typename Done>
bool pollUntil(const std::vector<SocketReader*>& readers, milliseconds timeout, Done done) {
  const auto until = Steady::now() + timeout;
  while (Steady::now() < until) {
    for (SocketReader* reader : readers) {
      reader->poll(milliseconds(10));
    }
    if (done()) {
      return true;
    }
  }
  return done();
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

long msSince(Steady::time_point start) {
  return static_cast<long>(std::chrono::duration_cast<milliseconds>(Steady::now() - start).count());
}

}  // namespace

class ElectorDaemonTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ElectorDaemonTest);
  CPPUNIT_TEST(testOneLeaderFailoverAndHandover);
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
    auto a = std::make_unique<ElectorProcess>(redisArgs(server.port(), "a", socketA), log);
    auto b = std::make_unique<ElectorProcess>(redisArgs(server.port(), "b", socketB), log);
    auto readerA = std::make_unique<SocketReader>(socketA, milliseconds(3000));
    auto readerB = std::make_unique<SocketReader>(socketB, milliseconds(3000));

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
    std::unique_ptr<ElectorProcess>& leader = aLeads ? a : b;
    SocketReader* survivor = aLeads ? readerB.get() : readerA.get();
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
    leader = std::make_unique<ElectorProcess>(
        redisArgs(server.port(), aLeads ? "a" : "b", restartedSocket), log);
    SocketReader restarted(restartedSocket, milliseconds(3000));
    CPPUNIT_ASSERT(pollUntil({&restarted, survivor}, milliseconds(2000), [&] {
      return restarted.last() && !restarted.isLeader() && survivor->isLeader();
    }));

    // SIGTERM on the leader: it releases the lease, says follower, exits 0; the other leads
    // within 2 s.
    std::unique_ptr<ElectorProcess>& current = aLeads ? b : a;
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

  void testStaticLeader() {
    testing::TempDir dir;
    const std::string socket = dir.path() + "/s.sock";
    const std::string log = dir.path() + "/elector.log";
    ElectorProcess process({"--backend", "static", "--role", "leader", "--id", "solo", "--socket",
                            socket, "--lease.ttl", "600"},
                           log);
    SocketReader reader(socket, milliseconds(3000));
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
        testing::runProcess({kElector, "--lease.ttl", "ten", "--socket", socket}, {}, 10);
    CPPUNIT_ASSERT_EQUAL(78, badTtl.code);
    CPPUNIT_ASSERT_MESSAGE(badTtl.err, badTtl.err.find("lease.ttl") != std::string::npos);
    const testing::ProcessResult badEnv =
        testing::runProcess({kElector, "--socket", socket}, {{"ELECTOR_LEASE_TTL_MS", "0"}}, 10);
    CPPUNIT_ASSERT_EQUAL(78, badEnv.code);
    CPPUNIT_ASSERT(badEnv.err.find("ELECTOR_LEASE_TTL_MS") != std::string::npos);
    const testing::ProcessResult badUrl = testing::runProcess(
        {kElector, "--socket", socket}, {{"REDIS_URL", "redis://:hunter2@nohost"}}, 10);
    CPPUNIT_ASSERT_EQUAL(78, badUrl.code);
    CPPUNIT_ASSERT(badUrl.err.find("hunter2") == std::string::npos);  // never print a password
    const testing::ProcessResult badFlag =
        testing::runProcess({kElector, "--no-such-flag", "1"}, {}, 10);
    CPPUNIT_ASSERT_EQUAL(2, badFlag.code);
    const testing::ProcessResult version = testing::runProcess({kElector, "--version"}, {}, 10);
    CPPUNIT_ASSERT_EQUAL(0, version.code);
    CPPUNIT_ASSERT(version.out.rfind("elector ", 0) == 0);
  }

 private:
  static constexpr long kTtlMs = 2000;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ElectorDaemonTest);
