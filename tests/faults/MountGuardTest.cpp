// F-18 of the fault catalog (election-and-shared-file.md §7.3):
//   F-18 | Unmounted share | Start collector with an empty local dir in place of the mount
//        | No write (I14)
// Without the `.cluster-id` marker nothing is written, and the daemon says why. Two starts: a
// fresh replica (no local state: it has nothing to serve) and a replica restarted after the
// mount went away (it serves its local replica of the last good version, I10).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include <cppunit/extensions/HelperMacros.h>

#include "FaultHelpers.h"

using namespace faults;

class MountGuardTest : public TimedFixture {
  CPPUNIT_TEST_SUITE(MountGuardTest);
  CPPUNIT_TEST(testF18FreshReplicaOnEmptyDirWritesNothing_I14_I10);
  CPPUNIT_TEST(testF18RestartAfterUnmountServesReplicaWritesNothing_I14_I10);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testF18FreshReplicaOnEmptyDirWritesNothing_I14_I10() {
    name_ = "testF18FreshReplicaOnEmptyDirWritesNothing_I14_I10";
    Site site;  // share/ exists and is empty: a mount point with nothing mounted
    LiveProcess daemon(site.daemonDir("fresh"), site.daemonEnv("fresh", ""));
    CPPUNIT_ASSERT(testing::eventually(5, [&] { return observe(daemon.port()).failing == "1"; }));
    Seen s = observe(daemon.port());
    CPPUNIT_ASSERT_MESSAGE(s.health, contains(s.health, "not mounted"));
    CPPUNIT_ASSERT_MESSAGE(daemon.log(), contains(daemon.log(), "not mounted"));
    CPPUNIT_ASSERT_EQUAL(503, daemon.get("/-/ready").status);
    // I14: no write, not by a POST, not by a fence, not after a few polls.
    testing::HttpAnswer post = postInventory(daemon.port(), inventoryJson("x", 1));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(post.body, 503, post.status);
    CPPUNIT_ASSERT_MESSAGE(post.body,
                           contains(post.body, "marker") || contains(post.body, "mounted"));
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    CPPUNIT_ASSERT(daemon.alive());
    std::vector<std::string> files = listDir(site.share());
    CPPUNIT_ASSERT_MESSAGE("I14: the unmounted share got " + std::to_string(files.size()) +
                               " entries, first " + (files.empty() ? "" : files[0]),
                           files.empty());
    // I10: nothing loaded is not an empty inventory (no "200 []" for HTTP SD).
    CPPUNIT_ASSERT_MESSAGE("I10: /targets " + std::to_string(s.targetsStatus) + " " + s.targets,
                           !(s.targetsStatus == 200 && targetGroups(s.targets) == 0));
  }

  void testF18RestartAfterUnmountServesReplicaWritesNothing_I14_I10() {
    name_ = "testF18RestartAfterUnmountServesReplicaWritesNothing_I14_I10";
    Site site;
    site.init(3);
    Baseline good;
    {
      auto daemon = site.start("replica", "");
      good = baseline(*daemon);
    }
    // "Unmount": the real share moves away, an empty directory takes its place.
    std::string mounted = site.root() + "/share.mounted";
    CPPUNIT_ASSERT_EQUAL(0, std::rename(site.share().c_str(), mounted.c_str()));
    ::mkdir(site.share().c_str(), 0750);
    auto daemon = site.start("replica", "");
    Seen s = observe(*daemon);
    CPPUNIT_ASSERT_EQUAL_MESSAGE("I10", good.version, s.version);
    CPPUNIT_ASSERT_EQUAL_MESSAGE("I10", good.targets, s.targets);
    CPPUNIT_ASSERT_EQUAL(std::string("1"), s.failing);
    CPPUNIT_ASSERT_MESSAGE(s.health, contains(s.health, "\"source\":\"local replica\""));
    CPPUNIT_ASSERT_MESSAGE(s.health, contains(s.health, "not mounted"));
    testing::HttpAnswer post = postInventory(daemon->port(), inventoryJson("x", 1));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(post.body, 503, post.status);
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    CPPUNIT_ASSERT_MESSAGE("I14: the unmounted share was written", listDir(site.share()).empty());
    // "Remount": the daemon finds the share again and clears the alarm.
    CPPUNIT_ASSERT_EQUAL(0, ::rmdir(site.share().c_str()));
    CPPUNIT_ASSERT_EQUAL(0, std::rename(mounted.c_str(), site.share().c_str()));
    CPPUNIT_ASSERT(testing::eventually(5, [&] { return observe(*daemon).failing == "0"; }));
    Seen back = observe(*daemon);
    CPPUNIT_ASSERT_EQUAL(good.targets, back.targets);
    CPPUNIT_ASSERT_MESSAGE(back.health, contains(back.health, "\"source\":\"share\""));
    CPPUNIT_ASSERT_EQUAL(200, postInventory(daemon->port(), inventoryJson("back", 2)).status);
  }

 private:
};

CPPUNIT_TEST_SUITE_REGISTRATION(MountGuardTest);
