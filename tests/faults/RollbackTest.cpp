// F-14 of the fault catalog (election-and-shared-file.md §7.3):
//   F-14 | Rollback: copy an older valid `inv.K` over the head, or delete newer slots |
//        | Readers refuse regression (I9); leader treats it as corruption (alarm), not as state
// Every old file here is valid (right key, good tag): only the (version, epoch) bound into the
// AAD and the reader's memory of what it accepted can tell it is old (§5.5).
#include <unistd.h>

#include <chrono>

#include <cppunit/extensions/HelperMacros.h>

#include "FaultHelpers.h"

using namespace faults;
using testing::Daemon;

class RollbackTest : public TimedFixture {
  CPPUNIT_TEST_SUITE(RollbackTest);
  CPPUNIT_TEST(testF14OlderSlotRenamedOverHead_I9);
  CPPUNIT_TEST(testF14OlderSlotCopiedIntoHead_I8_I9);
  CPPUNIT_TEST(testF14NewerSlotsDeleted_I9);
  CPPUNIT_TEST(testF14NewerSlotsDeletedThenRestart_I9);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    TimedFixture::setUp();
    site_ = std::make_unique<Site>();
    site_->init(4);  // v1 empty, v2..v5 one device more each
    leader_ = site_->start("leader", "");
    follower_ = site_->start("follower", "follower");
    good_ = baseline(*leader_);
    CPPUNIT_ASSERT_EQUAL(std::string("5"), good_.version);
    CPPUNIT_ASSERT(testing::eventually(5, [&] { return baseline(*follower_).version == "5"; }));
  }

  void tearDown() override {
    follower_.reset();
    leader_.reset();
    site_.reset();
    TimedFixture::tearDown();
  }

  /// I9 for every running daemon: still version 5 with its 4 devices, for a few poll periods.
  void expectNoRegression(const std::string& what) {
    for (int i = 0; i < 5; ++i) {  // 5 × 200 ms: several watcher polls see the rolled-back dir
      for (const Daemon* d : {leader_.get(), follower_.get()}) {
        Seen s = observe(*d);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " I9: version went back", good_.version, s.version);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " I9: /targets went back", good_.targets, s.targets);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  /// The leader treats the rolled-back directory as corruption: refuses to commit (nothing
  /// written), says why, and raises an alarm beyond the answer (log, metric or health detail).
  void expectLeaderRefusesAndAlarms(const std::string& what, uint64_t newestBefore) {
    size_t logBefore = leader_->log().size();
    testing::HttpAnswer post = postInventory(leader_->port(), inventoryJson("late", 1));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(
        what + ": leader committed on a rolled-back directory: " + post.body, 503, post.status);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(what + ": a slot was written", newestBefore, site_->newest());
    bool alarmed = testing::eventually(3, [&] {
      Seen s = observe(*leader_);
      return s.failing == "1" || contains(s.health, "\"error\"") ||
             leader_->log().size() > logBefore;
    });
    Seen s = observe(*leader_);
    CPPUNIT_ASSERT_MESSAGE(what + ": the leader refused (503: " + post.body +
                               ") but raised no alarm: promsnmp_inventory_read_failing " +
                               s.failing + ", health " + s.health + ", no new log line",
                           alarmed);
  }

  // The head (a hint) replaced by rename with a copy of v3: the slots still say 5. Readers keep 5
  // (I9); the next commit is built on v5's content, not on the rolled-back head's.
  void testF14OlderSlotRenamedOverHead_I9() {
    name_ = "testF14OlderSlotRenamedOverHead_I9";
    replaceByRename(site_->head(), readBytes(site_->slotPath(3)));
    expectNoRegression("F-14 v3 renamed over the head");
    // An operator's write (CLI) keeps what v5 had and adds one device: built on 5, not on 3.
    site_->cli({"add-device", "--sys-name", "dev5", "--address", "127.0.0.15", "--port", "1161",
                "--community", "c"});
    CPPUNIT_ASSERT_EQUAL(uint64_t{6}, site_->newest());
    std::string shown = site_->cli({"show", "--json"});
    for (const char* name : {"dev1", "dev2", "dev3", "dev4", "dev5"}) {
      CPPUNIT_ASSERT_MESSAGE(
          std::string("I9/I7: the commit after the rollback lost ") + name + ": " + shown,
          contains(shown, name));
    }
    // The leader's own write lands on top of 6, and both daemons follow it.
    testing::HttpAnswer post = postInventory(leader_->port(), inventoryJson("after", 2));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(post.body, 200, post.status);
    uint64_t n = site_->newest();
    CPPUNIT_ASSERT_MESSAGE("no version above 6", n > 6);
    CPPUNIT_ASSERT(testing::eventually(5, [&] {
      return observe(*follower_).version == std::to_string(n) &&
             observe(*leader_).version == std::to_string(n);
    }));
    CPPUNIT_ASSERT_EQUAL(0, site_->cliResult({"verify"}).code);
  }

  // v3's bytes written into the head in place: the head is a hard link to v5, so v5 now holds
  // version 3 (valid tag, wrong place). No reader may take it (I8: the header version must match
  // the slot name) or go back to 3 (I9); the leader refuses to write on it.
  void testF14OlderSlotCopiedIntoHead_I8_I9() {
    name_ = "testF14OlderSlotCopiedIntoHead_I8_I9";
    std::string v5 = readBytes(site_->slotPath(5));
    rewriteInPlace(site_->head(), readBytes(site_->slotPath(3)));
    CPPUNIT_ASSERT(readBytes(site_->slotPath(5)) != v5);  // the same inode changed
    expectNoRegression("F-14 v3 copied into the head (= v5)");
    expectLeaderRefusesAndAlarms("F-14 v3 copied into the head (= v5)", 5);
    // A follower restarted on it: never version 3, never empty.
    follower_.reset();
    follower_ = site_->start("follower", "follower");
    Seen f = observe(*follower_);
    CPPUNIT_ASSERT_EQUAL_MESSAGE("F-14 restarted follower I9", good_.version, f.version);
    CPPUNIT_ASSERT_EQUAL_MESSAGE("F-14 restarted follower I10", good_.targets, f.targets);
    CPPUNIT_ASSERT_MESSAGE(f.health, contains(f.health, "\"error\""));
  }

  // v4 and v5 deleted and the head pointed back at v3 (a restored backup or snapshot): the
  // directory now says 3. Running readers keep 5 (I9); the leader refuses to commit version 4
  // on top of 3 and alarms.
  void testF14NewerSlotsDeleted_I9() {
    name_ = "testF14NewerSlotsDeleted_I9";
    rollBackTo3();
    expectNoRegression("F-14 v4, v5 deleted");
    expectLeaderRefusesAndAlarms("F-14 v4, v5 deleted", 3);
  }

  // The same rollback, then both daemons restart: their local replicas hold version 5, so the
  // directory's 3 is still a regression of what this replica accepted (I9 across a restart).
  void testF14NewerSlotsDeletedThenRestart_I9() {
    name_ = "testF14NewerSlotsDeletedThenRestart_I9";
    rollBackTo3();
    follower_.reset();
    follower_ = site_->start("follower", "follower");
    Seen f = observe(*follower_);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(
        "F-14 I9: a follower restarted on a rolled-back directory went back from its local "
        "replica's version 5: health " +
            f.health,
        good_.version, f.version);
    CPPUNIT_ASSERT_EQUAL_MESSAGE("F-14 I9: restarted follower /targets", good_.targets, f.targets);
  }

 private:
  void rollBackTo3() {
    CPPUNIT_ASSERT_EQUAL(0, ::unlink(site_->slotPath(5).c_str()));
    CPPUNIT_ASSERT_EQUAL(0, ::unlink(site_->slotPath(4).c_str()));
    replaceByRename(site_->head(), readBytes(site_->slotPath(3)));
    CPPUNIT_ASSERT_EQUAL(uint64_t{3}, site_->newest());
  }

  std::unique_ptr<Site> site_;
  std::unique_ptr<Daemon> leader_;
  std::unique_ptr<Daemon> follower_;
  Baseline good_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(RollbackTest);
