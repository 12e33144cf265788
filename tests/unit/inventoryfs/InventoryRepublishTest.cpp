// InventoryStore::republish: the operator's way back after the share came back empty or older.

#include <cppunit/extensions/HelperMacros.h>

#include "FakeSlotStore.h"
#include "inventoryfs/Exceptions.h"
#include "inventoryfs/InventoryStore.h"

using namespace inventoryfs;

namespace {

InventoryStore::Change addDevice(const std::string& name) {
  return [name](Inventory& inventory) {
    Device d;
    d.sysName = name;
    inventory.devices.push_back(d);
  };
}

Keyring testKeys() {
  return Keyring(Keyring::deriveKey("republish test key", "test"), {}, ScryptCost{10, 8, 1});
}

}  // namespace

class InventoryRepublishTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(InventoryRepublishTest);
  CPPUNIT_TEST(testOlderShareGetsLastGoodAboveEveryFloor);
  CPPUNIT_TEST(testEmptiedShareWithMarkerIsRepublished);
  CPPUNIT_TEST(testShareWithoutMarkerNeedsConfirmation);
  CPPUNIT_TEST(testFilesWithoutMarkerAreRefused);
  CPPUNIT_TEST(testShareNotBehindIsRefused);
  CPPUNIT_TEST(testAnotherInventoryIsRefused);
  CPPUNIT_TEST(testUnreadableShareIsNotWrittenOver);
  CPPUNIT_TEST(testDeposedWriterStaysFenced);
  CPPUNIT_TEST(testLostRaceLooksAgain);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    keys_ = std::make_unique<Keyring>(testKeys());
    slots_ = FakeSlotStore();
    leader_ = std::make_unique<InventoryStore>(slots_, *keys_);
    follower_ = std::make_unique<InventoryStore>(slots_, *keys_);
    // v1..v5 by the leader of epoch 3; the follower accepted v5.
    for (const char* name : {"a", "b", "c", "d", "e"}) {
      leader_->commit(3, addDevice(name));
    }
    lastGood_ = follower_->load();
  }

  // A backup of v2 put back: both replicas refuse it (no silent rollback); the republish
  // writes v6 with epoch 4 and the whole last good inventory, same identity and kdf, and the
  // follower takes it.
  void testOlderShareGetsLastGoodAboveEveryFloor() {
    restoreBackupOf(2);
    CPPUNIT_ASSERT_THROW(follower_->load(), RollbackException);
    CPPUNIT_ASSERT_THROW(leader_->commit(3, addDevice("x")), RollbackException);
    CommitResult r = leader_->republish(lastGood_, 3, false, "unused");
    CPPUNIT_ASSERT_EQUAL(uint64_t(6), r.version);
    CPPUNIT_ASSERT_EQUAL(uint64_t(4), r.epoch);
    Snapshot s = follower_->load();
    CPPUNIT_ASSERT_EQUAL(uint64_t(6), s.version);
    CPPUNIT_ASSERT_EQUAL(uint64_t(4), s.epoch);
    CPPUNIT_ASSERT_EQUAL(size_t(5), s.inventory.devices.size());
    CPPUNIT_ASSERT(s.header.inventoryId == lastGood_.header.inventoryId);
    CPPUNIT_ASSERT(s.header.kdf == lastGood_.header.kdf);
    CPPUNIT_ASSERT(s.header.writerId == leader_->writerId());
    // The republisher writes on with the epoch it got; a fresh reader reads the new head.
    CPPUNIT_ASSERT_EQUAL(uint64_t(7), leader_->commit(r.epoch, addDevice("f")).version);
    CPPUNIT_ASSERT_EQUAL(uint64_t(7), InventoryStore(slots_, *keys_).load().version);
    // The chain v1, v2, v6, v7 verifies: the epoch rises across the republish's gap. A gap
    // without that rise (a version deleted) is still one.
    std::vector<std::string> errors;
    leader_->verify(&errors);
    CPPUNIT_ASSERT_MESSAGE(errors.empty() ? "" : errors.front(), errors.empty());
    FakeSlotStore deleted;
    InventoryStore writer(deleted, *keys_);
    for (const char* name : {"a", "b", "c"}) {
      writer.commit(1, addDevice(name));
    }
    deleted.slots.erase(2);
    writer.verify(&errors);
    CPPUNIT_ASSERT_EQUAL(size_t(1), errors.size());
    CPPUNIT_ASSERT(errors.front().find("gap in the chain between v1 and v3") != std::string::npos);
  }

  // Versions deleted, the marker kept: the share holds "v0", older than everything accepted.
  void testEmptiedShareWithMarkerIsRepublished() {
    slots_.slots.clear();
    slots_.head.reset();
    CPPUNIT_ASSERT_THROW(follower_->load(), RollbackException);
    CommitResult r = leader_->republish(lastGood_, 1, false, "unused");
    CPPUNIT_ASSERT_EQUAL(uint64_t(6), r.version);
    CPPUNIT_ASSERT_EQUAL(uint64_t(6), follower_->load().version);
  }

  // No marker and no files: an unmounted mount point looks the same, so nothing is written
  // until the operator confirms; then the marker comes back with the version.
  void testShareWithoutMarkerNeedsConfirmation() {
    slots_.slots.clear();
    slots_.head.reset();
    slots_.marker = false;
    CPPUNIT_ASSERT_THROW(follower_->load(), NotMountedException);
    CPPUNIT_ASSERT_THROW(leader_->republish(lastGood_, 3, false, "site"),
                         RepublishRefusedException);
    CPPUNIT_ASSERT(!slots_.marker);
    CPPUNIT_ASSERT(slots_.slots.empty());
    CommitResult r = leader_->republish(lastGood_, 3, true, "site");
    CPPUNIT_ASSERT(slots_.marker);
    CPPUNIT_ASSERT_EQUAL(uint64_t(6), r.version);
    CPPUNIT_ASSERT_EQUAL(uint64_t(6), follower_->load().version);
  }

  // Versions without the marker: not the share as promsnmp left it, confirmed or not.
  void testFilesWithoutMarkerAreRefused() {
    restoreBackupOf(2);
    slots_.marker = false;
    CPPUNIT_ASSERT_THROW(leader_->republish(lastGood_, 3, true, "site"), RepublishRefusedException);
    CPPUNIT_ASSERT(!slots_.marker);
    CPPUNIT_ASSERT_EQUAL(size_t(2), slots_.slots.size());
  }

  // A share at or past what this replica accepted needs nothing: refused, nothing written.
  void testShareNotBehindIsRefused() {
    CPPUNIT_ASSERT_THROW(leader_->republish(lastGood_, 3, false, "site"),
                         RepublishRefusedException);
    leader_->commit(3, addDevice("f"));
    CPPUNIT_ASSERT_THROW(leader_->republish(lastGood_, 3, false, "site"),
                         RepublishRefusedException);
    CPPUNIT_ASSERT_EQUAL(size_t(6), slots_.slots.size());
  }

  // The share initialised again holds another inventory: republish never replaces it.
  void testAnotherInventoryIsRefused() {
    slots_ = FakeSlotStore();
    InventoryStore(slots_, *keys_).commitAdmin(addDevice("other"));
    try {
      leader_->republish(lastGood_, 3, false, "site");
      CPPUNIT_FAIL("republished over another inventory");
    } catch (const RepublishRefusedException& e) {
      CPPUNIT_ASSERT(e.message().find("another inventory") != std::string::npos);
    }
    CPPUNIT_ASSERT_EQUAL(size_t(1), slots_.slots.size());
  }

  // A damaged head is not written over: the read error propagates.
  void testUnreadableShareIsNotWrittenOver() {
    restoreBackupOf(2);
    slots_.slots[2][100] ^= 0x40;
    slots_.head = slots_.slots[2];
    CPPUNIT_ASSERT_THROW(leader_->republish(lastGood_, 3, false, "site"), InventoryException);
    CPPUNIT_ASSERT_EQUAL(size_t(2), slots_.slots.size());
  }

  // The republished epoch is above every epoch seen, so a leader of an older epoch that
  // wakes up is refused by the file.
  void testDeposedWriterStaysFenced() {
    InventoryStore zombie(slots_, *keys_);
    restoreBackupOf(2);
    leader_->republish(lastGood_, 3, false, "site");
    CPPUNIT_ASSERT_THROW(zombie.commit(3, addDevice("late")), FencedException);
  }

  // Another writer claims the version first: the republish looks at the share again and
  // refuses when it is no longer behind.
  void testLostRaceLooksAgain() {
    restoreBackupOf(2);
    InventoryStore other(slots_, *keys_);
    bool raced = false;
    slots_.beforeClaim = [&](uint64_t version) {
      if (!raced) {
        raced = true;
        // Another writer publishes v6 first (it had the newer inventory).
        Snapshot copy = lastGood_;
        copy.version = 5;
        copy.epoch = 8;
        other.republish(copy, 9, false, "site");
        CPPUNIT_ASSERT_EQUAL(uint64_t(6), version);
      }
    };
    CPPUNIT_ASSERT_THROW(leader_->republish(lastGood_, 3, false, "site"),
                         RepublishRefusedException);
    CPPUNIT_ASSERT(raced);
    CPPUNIT_ASSERT_EQUAL(uint64_t(6), follower_->load().version);
    CPPUNIT_ASSERT_EQUAL(uint64_t(9), follower_->load().epoch);
  }

 private:
  // The share put back as a backup taken at version `version` holds it: newer slots gone.
  void restoreBackupOf(uint64_t version) {
    for (auto it = slots_.slots.begin(); it != slots_.slots.end();) {
      it = it->first > version ? slots_.slots.erase(it) : std::next(it);
    }
    slots_.head = slots_.slots[version];
  }

  std::unique_ptr<Keyring> keys_;
  FakeSlotStore slots_;
  std::unique_ptr<InventoryStore> leader_;
  std::unique_ptr<InventoryStore> follower_;
  Snapshot lastGood_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(InventoryRepublishTest);
