// The file backend: FileLeaseStore across processes (a kill -9'd holder's fcntl lock is freed by
// the kernel; the epoch counter grows under the lock) and two real elector binaries on one lock
// file (one leader; handover on SIGTERM; failover after kill -9). Host-local by design. Every
// wait is bounded; every child is killed and reaped by a destructor.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>

#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include "ElectorHarness.h"
#include "FileLeaseStore.h"
#include "ProcessHelpers.h"

using elector::FileLeaseStore;
using elector::LeaseResult;
using elector_test::ElectorChild;
using elector_test::LeadershipReader;
using elector_test::pollUntil;
using elector_test::readFile;
using std::chrono::milliseconds;

namespace {

/// A forked child that takes the lock with its own FileLeaseStore and then waits to be killed.
/// The destructor SIGKILLs and reaps it.
class LockHolder {
 public:
  explicit LockHolder(const std::string& path) {
    int ready[2];
    CPPUNIT_ASSERT(::pipe(ready) == 0);
    pid_ = ::fork();
    CPPUNIT_ASSERT(pid_ >= 0);
    if (pid_ == 0) {
      ::close(ready[0]);
      char status = 'n';
      try {
        // Never destroyed: the lock must live until the kill. (No second store either: opening
        // and closing the lock file again would drop this process's fcntl lock.)
        auto* store = new FileLeaseStore(path);
        if (store->tryAcquire("k", "child:1", milliseconds(1000)).outcome == LeaseResult::Ok) {
          status = 'y';
        }
      } catch (...) {
        // reported as 'n'
      }
      (void)::write(ready[1], &status, 1);
      while (true) {
        ::pause();
      }
    }
    ::close(ready[1]);
    char status = 0;
    const ssize_t n = ::read(ready[0], &status, 1);
    ::close(ready[0]);
    acquired_ = n == 1 && status == 'y';
  }
  ~LockHolder() { kill9(); }
  LockHolder(const LockHolder&) = delete;
  LockHolder& operator=(const LockHolder&) = delete;

  bool acquired() const { return acquired_; }
  void kill9() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

 private:
  pid_t pid_ = -1;
  bool acquired_ = false;
};

std::vector<std::string> fileArgs(const std::string& lock, const std::string& id,
                                  const std::string& socket) {
  return {"--backend",   "file", "--file.path",          lock, "--id", id, "--socket", socket,
          "--lease.ttl", "1200", "--web.listen-address", "-"};
}

}  // namespace

class ElectorFileTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ElectorFileTest);
  CPPUNIT_TEST(testKilledHolderLockIsFreed);
  CPPUNIT_TEST(testTwoElectorsOneLock);
  CPPUNIT_TEST(testSameIdTwiceIsRefused_F25_I1);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testKilledHolderLockIsFreed() {
    testing::TempDir dir;
    const std::string lock = dir.path() + "/elector.lock";
    LockHolder child(lock);
    CPPUNIT_ASSERT(child.acquired());
    CPPUNIT_ASSERT_EQUAL(std::string("1\n"), readFile(lock + ".epoch"));

    // Held by the child: refused, and the holder is shown.
    FileLeaseStore store(lock);
    LeaseResult result = store.tryAcquire("k", "parent:1", milliseconds(1000));
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(LeaseResult::NotHeld), static_cast<int>(result.outcome));
    CPPUNIT_ASSERT(result.holder && *result.holder == "child:1");
    CPPUNIT_ASSERT_EQUAL(
        static_cast<int>(LeaseResult::NotHeld),
        static_cast<int>(store.renew("k", "parent:1", milliseconds(1000)).outcome));

    // kill -9: the kernel drops the child's fcntl lock with its process; no stale lock file
    // to clean up, and the epoch goes on from the child's.
    child.kill9();
    result = store.tryAcquire("k", "parent:2", milliseconds(1000));
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(LeaseResult::Ok), static_cast<int>(result.outcome));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, result.epoch);
    CPPUNIT_ASSERT_EQUAL(
        static_cast<int>(LeaseResult::Ok),
        static_cast<int>(store.renew("k", "parent:2", milliseconds(1000)).outcome));
    const LeaseResult holder = store.holder("k");
    CPPUNIT_ASSERT(holder.holder && *holder.holder == "parent:2");
    CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, holder.epoch);
    // Release with a wrong token changes nothing; with ours it frees the lock.
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(LeaseResult::NotHeld),
                         static_cast<int>(store.release("k", "parent:1").outcome));
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(LeaseResult::Ok),
                         static_cast<int>(store.release("k", "parent:2").outcome));
    LockHolder next(lock);
    CPPUNIT_ASSERT(next.acquired());
    CPPUNIT_ASSERT_EQUAL(std::string("3\n"), readFile(lock + ".epoch"));
  }

  void testTwoElectorsOneLock() {
    testing::TempDir dir;
    const std::string lock = dir.path() + "/elector.lock";
    const std::string log = dir.path() + "/elector.log";
    const std::string socketA = dir.path() + "/a.sock";
    const std::string socketB = dir.path() + "/b.sock";
    auto a = std::make_unique<ElectorChild>(fileArgs(lock, "a", socketA), log);
    auto b = std::make_unique<ElectorChild>(fileArgs(lock, "b", socketB), log);
    auto readerA = std::make_unique<LeadershipReader>(socketA, milliseconds(3000));
    auto readerB = std::make_unique<LeadershipReader>(socketB, milliseconds(3000));

    // Exactly one leader, epoch 1, and it stays that way across renews.
    CPPUNIT_ASSERT_MESSAGE(
        readFile(log), pollUntil({readerA.get(), readerB.get()}, milliseconds(3000), [&] {
          return readerA->last() && readerB->last() && readerA->isLeader() != readerB->isLeader();
        }));
    CPPUNIT_ASSERT(!pollUntil({readerA.get(), readerB.get()}, milliseconds(1000),
                              [&] { return readerA->isLeader() == readerB->isLeader(); }));
    const bool aLeads = readerA->isLeader();
    LeadershipReader* leaderReader = aLeads ? readerA.get() : readerB.get();
    LeadershipReader* otherReader = aLeads ? readerB.get() : readerA.get();
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, leaderReader->last()->epoch);
    CPPUNIT_ASSERT_EQUAL(std::string(aLeads ? "a:" : "b:"),
                         leaderReader->last()->holder.substr(0, 2));

    // SIGTERM on the leader: it unlocks and exits 0; the other leads within 2 s with epoch 2.
    std::unique_ptr<ElectorChild>& leader = aLeads ? a : b;
    CPPUNIT_ASSERT_EQUAL(0, leader->terminate(milliseconds(5000)));
    CPPUNIT_ASSERT_MESSAGE(readFile(log), pollUntil({otherReader}, milliseconds(2000),
                                                    [&] { return otherReader->isLeader(); }));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{2}, otherReader->last()->epoch);

    // Restart the first; then kill -9 the current leader: the kernel frees its lock and the
    // restarted one leads with epoch 3.
    const std::string& restartedSocket = aLeads ? socketA : socketB;
    leader =
        std::make_unique<ElectorChild>(fileArgs(lock, aLeads ? "a" : "b", restartedSocket), log);
    LeadershipReader restarted(restartedSocket, milliseconds(3000));
    CPPUNIT_ASSERT(
        pollUntil({&restarted}, milliseconds(2000), [&] { return restarted.isFollower(); }));
    std::unique_ptr<ElectorChild>& current = aLeads ? b : a;
    current->kill9();
    CPPUNIT_ASSERT_MESSAGE(readFile(log), pollUntil({&restarted}, milliseconds(3000),
                                                    [&] { return restarted.isLeader(); }));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{3}, restarted.last()->epoch);
    CPPUNIT_ASSERT_EQUAL(0, leader->terminate(milliseconds(5000)));
    const std::string text = readFile(log);
    CPPUNIT_ASSERT_MESSAGE(text, text.find("host-local only") != std::string::npos);
  }

  /// F-25 on one host: a second elector with the id of a live one finds the id's lock held,
  /// never campaigns, and exits 78 after one TTL + renew interval; the first keeps leading.
  void testSameIdTwiceIsRefused_F25_I1() {
    testing::TempDir dir;
    const std::string lock = dir.path() + "/elector.lock";
    const std::string log = dir.path() + "/elector.log";
    const std::string socketA = dir.path() + "/a.sock";
    const std::string socketTwin = dir.path() + "/twin.sock";
    ElectorChild a(fileArgs(lock, "a", socketA), log);
    LeadershipReader readerA(socketA, milliseconds(3000));
    CPPUNIT_ASSERT_MESSAGE(readFile(log), pollUntil({&readerA}, milliseconds(3000),
                                                    [&] { return readerA.isLeader(); }));
    ElectorChild twin(fileArgs(lock, "a", socketTwin), log);
    LeadershipReader readerTwin(socketTwin, milliseconds(3000));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(readFile(log), 78, twin.waitExit(milliseconds(1200 + 400 + 3000)));
    readerTwin.poll(milliseconds(200));
    CPPUNIT_ASSERT(!readerTwin.isLeader());
    readerA.poll(milliseconds(200));
    CPPUNIT_ASSERT(readerA.isLeader());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, readerA.last()->epoch);
    const std::string text = readFile(log);
    CPPUNIT_ASSERT_MESSAGE(
        text, text.find("another elector is running with this id") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(0, a.terminate(milliseconds(5000)));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ElectorFileTest);
