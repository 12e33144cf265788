// F-28 of the fault catalog (election-and-shared-file.md §7.3):
//   F-28 | Oversize / garbage inputs | 2 GB file, symlink in place of the head, JSON schema
//        | violations inside a valid ciphertext, non-UTF-8 | Size cap, `O_NOFOLLOW`, schema
//        | validation reject; no crash
// Two real daemons (standalone leader, follower) on one share; each bad input must leave them
// alive, serving the last good version (I9, I10), alarmed, and the leader not writing.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cppunit/extensions/HelperMacros.h>

#include "FaultHelpers.h"

using namespace faults;
using testing::Daemon;

namespace {

void sparseFile(const std::string& path, off_t size, const std::string& prefix) {
  createFile(path, prefix);
  CPPUNIT_ASSERT_EQUAL(0, ::truncate(path.c_str(), size));
}

}  // namespace

class GarbageInputTest : public TwoDaemonFixture {
  CPPUNIT_TEST_SUITE(GarbageInputTest);
  CPPUNIT_TEST(testF28SparseTwoGigabyteFiles_I8_I10);
  CPPUNIT_TEST(testF28SymlinksRefused_I8_I9);
  CPPUNIT_TEST(testF28SchemaViolationInValidCiphertext_I8_I10);
  CPPUNIT_TEST(testF28NonUtf8Names_I8_I10);
  CPPUNIT_TEST_SUITE_END();

 public:
  // `truncate -s 2G`: as the next slot (header of a valid v<N+1>, then 2 GB of holes), and on the
  // head itself (the same inode as v<N>). The size cap (256 MiB) rejects both; nothing crashes.
  void testF28SparseTwoGigabyteFiles_I8_I10() {
    name_ = "testF28SparseTwoGigabyteFiles_I8_I10";
    const off_t twoGb = off_t{2} << 30;
    uint64_t n = site_->newest();
    const std::string next = validNext();
    sparseFile(site_->slotPath(n + 1), twoGb, next.substr(0, inventoryfs::readHeader(next).size()));
    expectKeptAndAlarmed("F-28 2 GB sparse v<N+1>", *site_, *leader_, both(), good_, n + 1);
    CPPUNIT_ASSERT_MESSAGE(leader_->log(), contains(leader_->log(), "limit"));
    ::unlink(site_->slotPath(n + 1).c_str());
    expectRecovered("F-28 2 GB sparse v<N+1>", both(), good_);

    std::string v = readBytes(site_->head());
    CPPUNIT_ASSERT_EQUAL(0, ::truncate(site_->head().c_str(), twoGb));
    testing::HttpAnswer post = postInventory(leader_->port(), inventoryJson("overwrite", 1));
    CPPUNIT_ASSERT_EQUAL_MESSAGE("F-28 leader wrote over a 2 GB head: " + post.body, 503,
                                 post.status);
    CPPUNIT_ASSERT_MESSAGE(post.body, contains(post.body, "limit"));
    CPPUNIT_ASSERT_EQUAL(n, site_->newest());
    // A follower restarted on it: local replica, never empty, alive.
    follower_.reset();
    follower_ = site_->start("follower", "follower");
    for (const Daemon* d : both()) {
      Seen s = observe(*d);
      CPPUNIT_ASSERT_EQUAL_MESSAGE("F-28 2 GB head I9", good_.version, s.version);
      CPPUNIT_ASSERT_EQUAL_MESSAGE("F-28 2 GB head I10", good_.targets, s.targets);
      CPPUNIT_ASSERT_EQUAL(200, d->get("/-/healthy").status);
    }
    CPPUNIT_ASSERT(contains(observe(*follower_).health, "\"source\":\"local replica\""));
    rewriteInPlace(site_->head(), v);
  }

  // A symlink is never followed (O_NOFOLLOW): not as the next slot (pointing at a valid v<N+1>
  // outside the share), not as the head (pointing at the same). Readers never adopt what the
  // link points at (I8, I9), alarm, and the target is left alone.
  void testF28SymlinksRefused_I8_I9() {
    name_ = "testF28SymlinksRefused_I8_I9";
    uint64_t n = site_->newest();
    std::string outside = site_->root() + "/outside-v-next";
    std::string planted = validNext("planted");
    createFile(outside, planted);

    CPPUNIT_ASSERT_EQUAL(0, ::symlink(outside.c_str(), site_->slotPath(n + 1).c_str()));
    expectKeptAndAlarmed("F-28 v<N+1> is a symlink", *site_, *leader_, both(), good_, n + 1);
    CPPUNIT_ASSERT_MESSAGE(follower_->log(), contains(follower_->log(), "symbolic link"));
    ::unlink(site_->slotPath(n + 1).c_str());
    expectRecovered("F-28 v<N+1> is a symlink", both(), good_);

    // The head replaced by a symlink: readers keep N and never serve the planted devices.
    std::string headTemp = site_->head() + ".link";
    CPPUNIT_ASSERT_EQUAL(0, ::symlink(outside.c_str(), headTemp.c_str()));
    CPPUNIT_ASSERT_EQUAL(0, ::rename(headTemp.c_str(), site_->head().c_str()));
    testing::HttpAnswer post = postInventory(leader_->port(), inventoryJson("after", 1));
    for (int i = 0; i < 5; ++i) {
      for (const Daemon* d : both()) {
        Seen s = observe(*d);
        CPPUNIT_ASSERT_MESSAGE("F-28 I8: content read through a symlinked head",
                               !contains(s.targets, "planted"));
        CPPUNIT_ASSERT_MESSAGE("F-28 I10: empty /targets", targetGroups(s.targets) > 0);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    CPPUNIT_ASSERT_EQUAL_MESSAGE("F-28: the symlink's target was modified", planted,
                                 readBytes(outside));
    // Either the leader refused (503) or it committed a real slot and replaced the link by
    // rename; never through the link.
    CPPUNIT_ASSERT_MESSAGE(post.body, post.status == 503 || post.status == 200);
    if (post.status == 200) {
      struct stat st {};
      CPPUNIT_ASSERT_EQUAL(0, ::lstat(site_->head().c_str(), &st));
      CPPUNIT_ASSERT_MESSAGE("the head is still a symlink after a commit", S_ISREG(st.st_mode));
    } else {
      CPPUNIT_ASSERT_EQUAL(n, site_->newest());
    }
    CPPUNIT_ASSERT_EQUAL(200, leader_->get("/-/healthy").status);
    CPPUNIT_ASSERT_EQUAL(200, follower_->get("/-/healthy").status);
  }

  // Valid ciphertexts (right key, good tag, right version) whose JSON breaks the schema: the
  // schema check rejects each (I8), the last good version stays (I10).
  void testF28SchemaViolationInValidCiphertext_I8_I10() {
    name_ = "testF28SchemaViolationInValidCiphertext_I8_I10";
    uint64_t n = site_->newest();
    uint64_t epoch = site_->header(n).epoch;
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"devices is a string", R"({"devices":"all of them","discoverySeeds":[]})"},
        {"unknown agent type",
         R"({"devices":[{"sysName":"x","agents":[{"type":"snmp-carrier-pigeon","endpoint":{"address":"127.0.0.1","port":161}}]}]})"},
        {"port out of range",
         R"({"devices":[{"sysName":"x","agents":[{"type":"snmp-community","endpoint":{"address":"127.0.0.1","port":99999999999},"version":1,"readCommunity":"c"}]}]})"},
        {"not JSON at all", "this is not json"},
        {"empty document", ""},
        {"a JSON array", "[]"},
        {"JSON null", "null"},
        {"nesting bomb", std::string(100000, '[') + std::string(100000, ']')},
    };
    for (const auto& [what, json] : bad) {
      injectNext("F-28 schema: " + what, site_->seal(n + 1, epoch, json));
    }
  }

  // Names that are not UTF-8 inside a valid ciphertext are rejected (I8); the same bytes posted
  // to the leader are a 400 and write nothing.
  void testF28NonUtf8Names_I8_I10() {
    name_ = "testF28NonUtf8Names_I8_I10";
    uint64_t n = site_->newest();
    uint64_t epoch = site_->header(n).epoch;
    std::string json = inventoryJson("bad\xff\xfe", 2);
    injectNext("F-28 non-UTF-8 sysName", site_->seal(n + 1, epoch, json));
    std::string overlong = inventoryJson("bad\xc0\xaf", 1);  // overlong '/'
    injectNext("F-28 overlong UTF-8 sysName", site_->seal(n + 1, epoch, overlong));
    std::string surrogate = inventoryJson("bad\xed\xa0\x80", 1);  // UTF-16 surrogate
    injectNext("F-28 surrogate in sysName", site_->seal(n + 1, epoch, surrogate));

    testing::HttpAnswer post = postInventory(leader_->port(), json);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(post.body, 400, post.status);
    CPPUNIT_ASSERT_EQUAL(n, site_->newest());
    Seen s = observe(*leader_);
    CPPUNIT_ASSERT_EQUAL(good_.version, s.version);
    CPPUNIT_ASSERT_EQUAL(good_.targets, s.targets);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(GarbageInputTest);
