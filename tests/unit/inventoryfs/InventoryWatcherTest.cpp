#include "inventoryfs/InventoryWatcher.h"

#include <cppunit/extensions/HelperMacros.h>

#include "FakeSlotStore.h"

using namespace inventoryfs;

class InventoryWatcherTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(InventoryWatcherTest);
  CPPUNIT_TEST(testDeliversEachNewVersionOnce);
  CPPUNIT_TEST(testErrorKeepsLastGoodAndRecovers);
  CPPUNIT_TEST(testProblemsAreNamed);
  CPPUNIT_TEST(testVersionWrittenAgainAfterARestoreIsDelivered);
  CPPUNIT_TEST(testUnchangedHeadIsNotDecrypted);
  CPPUNIT_TEST(testAnotherInventoryIsDeliveredWhateverItsVersion);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    keys_ = std::make_unique<Keyring>(Keyring::deriveKey("watcher key", "test"));
    slots_ = FakeSlotStore();
    writer_ = std::make_unique<InventoryStore>(slots_, *keys_);
    reader_ = std::make_unique<InventoryStore>(slots_, *keys_);
    delivered_.clear();
    errors_.clear();
    problems_.clear();
    unchanged_ = 0;
    watcher_ = std::make_unique<InventoryWatcher>(
        *reader_, std::chrono::milliseconds(1000),
        InventoryWatcher::Callbacks{[this](const Snapshot& s) { delivered_.push_back(s.version); },
                                    [this](const std::string& e, ShareProblem problem) {
                                      errors_.push_back(e);
                                      problems_.push_back(problem);
                                    },
                                    [this] { ++unchanged_; }});
  }

  void tearDown() override {
    watcher_.reset();
    reader_.reset();
    writer_.reset();
  }

  void testDeliversEachNewVersionOnce() {
    commit("a");
    CPPUNIT_ASSERT(watcher_->pollOnce());
    CPPUNIT_ASSERT(!watcher_->pollOnce());
    CPPUNIT_ASSERT_EQUAL(1, unchanged_);
    commit("b");
    commit("c");
    CPPUNIT_ASSERT(watcher_->pollOnce());
    CPPUNIT_ASSERT_EQUAL(size_t(2), delivered_.size());
    CPPUNIT_ASSERT_EQUAL(uint64_t(3), delivered_.back());
  }

  void testErrorKeepsLastGoodAndRecovers() {
    commit("a");
    watcher_->pollOnce();
    commit("b");
    std::string good = slots_.slots[2];
    slots_.slots[2][100] ^= 0x40;
    slots_.head = slots_.slots[2];
    CPPUNIT_ASSERT(!watcher_->pollOnce());
    CPPUNIT_ASSERT_EQUAL(size_t(1), errors_.size());
    CPPUNIT_ASSERT(problems_.back() == ShareProblem::Unreadable);
    CPPUNIT_ASSERT_EQUAL(size_t(1), delivered_.size());
    slots_.slots[2] = good;
    slots_.head = good;
    CPPUNIT_ASSERT(watcher_->pollOnce());
    CPPUNIT_ASSERT_EQUAL(uint64_t(2), delivered_.back());
  }

  // Each way the share goes wrong is named for the operator: missing (no marker, no files),
  // rolled back (older than accepted, or emptied with the marker kept).
  void testProblemsAreNamed() {
    deliverV2ThenRestoreV1();
    slots_.slots.clear();
    slots_.head.reset();
    CPPUNIT_ASSERT(!watcher_->pollOnce());
    CPPUNIT_ASSERT(problems_.back() == ShareProblem::RolledBack);  // v0 with the marker
    slots_.marker = false;
    CPPUNIT_ASSERT(!watcher_->pollOnce());
    CPPUNIT_ASSERT(problems_.back() == ShareProblem::Missing);
    CPPUNIT_ASSERT_EQUAL(std::string("missing"), std::string(shareProblemName(problems_.back())));
    CPPUNIT_ASSERT_EQUAL(size_t(3), errors_.size());
    CPPUNIT_ASSERT_EQUAL(size_t(1), delivered_.size());
  }

  // The reader saw v2; the share is restored to v1 (refused) and a writer that never saw v2
  // commits v2 again, with other content: the same number, another file, delivered.
  void testVersionWrittenAgainAfterARestoreIsDelivered() {
    deliverV2ThenRestoreV1();
    commitAgain("c");
    CPPUNIT_ASSERT(watcher_->pollOnce());
    CPPUNIT_ASSERT_EQUAL(size_t(2), delivered_.size());
    CPPUNIT_ASSERT_EQUAL(uint64_t(2), delivered_.back());
    CPPUNIT_ASSERT(!watcher_->pollOnce());  // and once only
    // Again, between two polls this time (no failed poll in between): the head's nonce tells.
    restoreV1();
    commitAgain("d");
    CPPUNIT_ASSERT(watcher_->pollOnce());
    CPPUNIT_ASSERT_EQUAL(size_t(3), delivered_.size());
    CPPUNIT_ASSERT(!watcher_->pollOnce());
  }

  void testUnchangedHeadIsNotDecrypted() {
    commit("a");
    watcher_->pollOnce();
    // Corrupt the body but not the header: an unchanged version number means no full read.
    slots_.slots[1][slots_.slots[1].size() - 1] ^= 0x01;
    slots_.head = slots_.slots[1];
    CPPUNIT_ASSERT(!watcher_->pollOnce());
    CPPUNIT_ASSERT(errors_.empty());
  }

  // The share is wiped and initialised again while the watcher runs: the new inventory is
  // delivered, at a lower version number and at the same one.
  void testAnotherInventoryIsDeliveredWhateverItsVersion() {
    commit("a");
    commit("b");
    commit("c");
    CPPUNIT_ASSERT(watcher_->pollOnce());
    newShare();
    commit("x");
    CPPUNIT_ASSERT(watcher_->pollOnce());
    CPPUNIT_ASSERT_EQUAL(uint64_t(1), delivered_.back());
    CPPUNIT_ASSERT(errors_.empty());
    // Once more, now at the very version number delivered last.
    newShare();
    commit("y");
    CPPUNIT_ASSERT(watcher_->pollOnce());
    CPPUNIT_ASSERT_EQUAL(size_t(3), delivered_.size());
    CPPUNIT_ASSERT(!watcher_->pollOnce());
  }

 private:
  // v1 and v2 committed and v2 delivered; then the share is restored to v1, which the next
  // poll refuses as rolled back.
  void deliverV2ThenRestoreV1() {
    commit("a");
    commit("b");
    CPPUNIT_ASSERT(watcher_->pollOnce());
    restoreV1();
    CPPUNIT_ASSERT(!watcher_->pollOnce());
    CPPUNIT_ASSERT(problems_.back() == ShareProblem::RolledBack);
  }

  // The share put back as it was at v1 (a restore): v2 gone, the head on v1.
  void restoreV1() {
    slots_.slots.erase(2);
    slots_.head = slots_.slots[1];
  }

  // A writer that never saw v2 commits it again: its last device renamed to `name`.
  void commitAgain(const std::string& name) {
    InventoryStore other(slots_, *keys_);
    other.commitAdmin([&name](Inventory& inventory) { inventory.devices.back().sysName = name; });
  }

  // The share at the same path wiped and initialised again (by another writer).
  void newShare() {
    slots_ = FakeSlotStore();
    writer_ = std::make_unique<InventoryStore>(slots_, *keys_);
  }

  void commit(const std::string& name) {
    writer_->commitAdmin([&](Inventory& inventory) {
      Device d;
      d.sysName = name;
      inventory.devices.push_back(d);
    });
  }

  std::unique_ptr<Keyring> keys_;
  FakeSlotStore slots_;
  std::unique_ptr<InventoryStore> writer_;
  std::unique_ptr<InventoryStore> reader_;
  std::unique_ptr<InventoryWatcher> watcher_;
  std::vector<uint64_t> delivered_;
  std::vector<std::string> errors_;
  std::vector<ShareProblem> problems_;
  int unchanged_ = 0;
};

CPPUNIT_TEST_SUITE_REGISTRATION(InventoryWatcherTest);
