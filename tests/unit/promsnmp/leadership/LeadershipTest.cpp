#include "leadership/Leadership.h"

#include <filesystem>

#include <cppunit/extensions/HelperMacros.h>

#include "inventoryfs/DirectorySlotStore.h"
#include "inventoryfs/Exceptions.h"

using namespace promsnmp;

namespace {

inventoryfs::InventoryStore::Change add(const std::string& name) {
  return [name](inventoryfs::Inventory& inventory) {
    inventoryfs::Device d;
    d.sysName = name;
    inventory.devices.push_back(d);
  };
}

}  // namespace

class LeadershipTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(LeadershipTest);
  CPPUNIT_TEST(testStandaloneFencesBeforeItsFirstWrite);
  CPPUNIT_TEST(testFollowerNeverWrites);
  CPPUNIT_TEST(testNewerLeaderDeposesTheOlder);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    char pattern[] = "/tmp/promsnmp-leadership.XXXXXX";
    CPPUNIT_ASSERT(::mkdtemp(pattern) != nullptr);
    dir_ = pattern;
    keys_ = std::make_unique<inventoryfs::Keyring>(
        inventoryfs::Keyring::deriveKey("leadership test", "test"));
    slots_ = std::make_unique<inventoryfs::DirectorySlotStore>(dir_ + "/inventory.json");
    inventoryfs::InventoryStore(*slots_, *keys_).init(inventoryfs::Inventory{}, "test");
  }

  void tearDown() override { std::filesystem::remove_all(dir_); }

  void testStandaloneFencesBeforeItsFirstWrite() {
    Leadership leadership(makeStore(), Leadership::Mode::Standalone);
    CPPUNIT_ASSERT(leadership.isLeader());
    inventoryfs::CommitResult r = leadership.commit(add("a"));
    CPPUNIT_ASSERT_EQUAL(uint64_t(3), r.version);  // v1 init, v2 the fence, v3 the change
    CPPUNIT_ASSERT_EQUAL(uint64_t(1), r.epoch);
    CPPUNIT_ASSERT_EQUAL(uint64_t(4), leadership.commit(add("b")).version);  // no second fence
    CPPUNIT_ASSERT_EQUAL(std::string("standalone"), leadership.describe());
  }

  void testFollowerNeverWrites() {
    Leadership leadership(makeStore(), Leadership::Mode::FixedFollower);
    CPPUNIT_ASSERT(!leadership.isLeader());
    CPPUNIT_ASSERT_THROW(leadership.commit(add("a")), Leadership::NotLeader);
    CPPUNIT_ASSERT(!leadership.fenceIfLeading());
    CPPUNIT_ASSERT_EQUAL(size_t(1), slots_->listSlots().size());
  }

  void testNewerLeaderDeposesTheOlder() {
    auto storeB = makeStore();
    Leadership a(makeStore(), Leadership::Mode::FixedLeader);
    Leadership b(storeB, Leadership::Mode::FixedLeader);
    a.commit(add("from a"));
    // A fixed role has no newer lease to wait for: a newer head seen by the watcher alone does
    // not depose it (with an elector it does: faults SidecarFaultTest, F-24).
    a.observeHead(99, 99);
    CPPUNIT_ASSERT(a.isLeader());
    b.fenceIfLeading();  // a second leader on the same share fences above a's epoch
    CPPUNIT_ASSERT_THROW(a.commit(add("zombie")), inventoryfs::FencedException);
    CPPUNIT_ASSERT(!a.isLeader());
    CPPUNIT_ASSERT(a.describe().rfind("deposed: ", 0) == 0);
    CPPUNIT_ASSERT_THROW(a.commit(add("zombie again")), Leadership::NotLeader);
    b.commit(add("from b"));
    std::vector<std::string> errors;
    storeB->verify(&errors);
    CPPUNIT_ASSERT(errors.empty());
    inventoryfs::Snapshot s = storeB->load();
    CPPUNIT_ASSERT_EQUAL(size_t(2), s.inventory.devices.size());
  }

 private:
  std::shared_ptr<inventoryfs::InventoryStore> makeStore() {
    return std::make_shared<inventoryfs::InventoryStore>(*slots_, *keys_);
  }

  std::string dir_;
  std::unique_ptr<inventoryfs::Keyring> keys_;
  std::unique_ptr<inventoryfs::DirectorySlotStore> slots_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(LeadershipTest);
