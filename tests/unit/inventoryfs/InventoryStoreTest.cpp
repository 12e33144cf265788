#include "inventoryfs/InventoryStore.h"

#include <cppunit/extensions/HelperMacros.h>

#include "FakeSlotStore.h"
#include "inventoryfs/Exceptions.h"

using namespace inventoryfs;

namespace {

Device device(const std::string& name) {
  Device d;
  d.sysName = name;
  Agent a;
  a.version = 1;
  a.endpoint = Endpoint{"127.0.0.1", 161};
  a.readCommunity = "public";
  d.agents.push_back(a);
  d.primaryAgent = a;
  return d;
}

InventoryStore::Change addDevice(const std::string& name) {
  return [name](Inventory& inventory) { inventory.devices.push_back(device(name)); };
}

Keyring testKeys() { return Keyring(Keyring::deriveKey("unit test key", "test")); }

}  // namespace

class InventoryStoreTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(InventoryStoreTest);
  CPPUNIT_TEST(testFreshSiteLoadsEmptyVersionZero);
  CPPUNIT_TEST(testNoMarkerAndNoInventoryIsNotMounted);
  CPPUNIT_TEST(testCommitThenLoad);
  CPPUNIT_TEST(testLostRaceReappliesChangeOnNewestVersion);
  CPPUNIT_TEST(testConflictAfterMaxAttempts);
  CPPUNIT_TEST(testHigherEpochFencesWriter);
  CPPUNIT_TEST(testSameEpochOtherWriterIsFenced);
  CPPUNIT_TEST(testAdminCommitRidesLeaderEpoch);
  CPPUNIT_TEST(testFenceEpochIsMaxOfTokenAndHeadPlusOne);
  CPPUNIT_TEST(testReaderRefusesRollback);
  CPPUNIT_TEST(testCorruptNewestIsErrorNeverEmpty);
  CPPUNIT_TEST(testWriterRefusesToWriteOverUnreadableHead);
  CPPUNIT_TEST(testMissingMarkerRefusesWrite);
  CPPUNIT_TEST(testRetentionKeepsLastK);
  CPPUNIT_TEST(testHeadLagIsCaughtUpByProbing);
  CPPUNIT_TEST(testSlotCarryingWrongVersionIsRejected);
  CPPUNIT_TEST(testVerifyReportsGapEpochDecreaseAndBadSlot);
  CPPUNIT_TEST(testInitRefusesExistingSite);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    keys_ = std::make_unique<Keyring>(testKeys());
    slots_ = FakeSlotStore();
  }

  void testFreshSiteLoadsEmptyVersionZero() {
    InventoryStore store(slots_, *keys_);
    Snapshot s = store.load();
    CPPUNIT_ASSERT_EQUAL(uint64_t(0), s.version);
    CPPUNIT_ASSERT(s.inventory.devices.empty());
  }

  void testNoMarkerAndNoInventoryIsNotMounted() {
    slots_.marker = false;
    InventoryStore store(slots_, *keys_);
    CPPUNIT_ASSERT_THROW(store.load(), NotMountedException);
  }

  void testCommitThenLoad() {
    InventoryStore writer(slots_, *keys_);
    CommitResult r = writer.commit(1, addDevice("r1"));
    CPPUNIT_ASSERT_EQUAL(uint64_t(1), r.version);
    CPPUNIT_ASSERT_EQUAL(1, r.attempts);
    writer.commit(1, addDevice("r2"));
    InventoryStore reader(slots_, *keys_);
    Snapshot s = reader.load();
    CPPUNIT_ASSERT_EQUAL(uint64_t(2), s.version);
    CPPUNIT_ASSERT_EQUAL(uint64_t(1), s.epoch);
    CPPUNIT_ASSERT_EQUAL(size_t(2), s.inventory.devices.size());
    CPPUNIT_ASSERT_EQUAL(std::string("r2"), *s.inventory.devices[1].sysName);
  }

  void testLostRaceReappliesChangeOnNewestVersion() {
    InventoryStore other(slots_, *keys_);
    other.commitAdmin(addDevice("base"));
    InventoryStore writer(slots_, *keys_);
    bool raced = false;
    slots_.beforeClaim = [&](uint64_t) {
      if (!raced) {
        raced = true;
        other.commitAdmin(addDevice("theirs"));  // claims the version `writer` wanted
      }
    };
    CommitResult r = writer.commitAdmin(addDevice("mine"));
    CPPUNIT_ASSERT_EQUAL(2, r.attempts);
    CPPUNIT_ASSERT_EQUAL(uint64_t(3), r.version);
    Snapshot s = InventoryStore(slots_, *keys_).load();
    CPPUNIT_ASSERT_EQUAL(size_t(3), s.inventory.devices.size());
    CPPUNIT_ASSERT_EQUAL(std::string("theirs"), *s.inventory.devices[1].sysName);
    CPPUNIT_ASSERT_EQUAL(std::string("mine"), *s.inventory.devices[2].sysName);
  }

  void testConflictAfterMaxAttempts() {
    StoreOptions options;
    options.maxAttempts = 3;
    InventoryStore writer(slots_, *keys_, options);
    InventoryStore other(slots_, *keys_);
    bool inside = false;  // the competing commit claims through the same fake
    slots_.beforeClaim = [&](uint64_t) {
      if (!inside) {
        inside = true;
        other.commitAdmin(addDevice("x"));
        inside = false;
      }
    };
    CPPUNIT_ASSERT_THROW(writer.commitAdmin(addDevice("never")), ConflictException);
  }

  void testHigherEpochFencesWriter() {
    InventoryStore oldLeader(slots_, *keys_);
    InventoryStore newLeader(slots_, *keys_);
    oldLeader.commit(4, addDevice("a"));
    newLeader.commit(5, addDevice("b"));
    CPPUNIT_ASSERT_THROW(oldLeader.commit(4, addDevice("zombie")), FencedException);
    Snapshot s = InventoryStore(slots_, *keys_).load();
    CPPUNIT_ASSERT_EQUAL(uint64_t(2), s.version);
    CPPUNIT_ASSERT_EQUAL(uint64_t(5), s.epoch);
  }

  void testSameEpochOtherWriterIsFenced() {
    InventoryStore a(slots_, *keys_);
    InventoryStore b(slots_, *keys_);
    a.commit(7, addDevice("a"));
    CPPUNIT_ASSERT_THROW(b.commit(7, addDevice("b")), FencedException);
    a.commit(7, addDevice("a2"));  // the owner of the epoch goes on
  }

  void testAdminCommitRidesLeaderEpoch() {
    InventoryStore leader(slots_, *keys_);
    InventoryStore cli(slots_, *keys_);
    leader.commit(3, addDevice("a"));
    CommitResult admin = cli.commitAdmin(addDevice("operator"));
    CPPUNIT_ASSERT_EQUAL(uint64_t(3), admin.epoch);
    CommitResult next = leader.commit(3, addDevice("b"));
    CPPUNIT_ASSERT_EQUAL(uint64_t(3), next.version);
  }

  void testFenceEpochIsMaxOfTokenAndHeadPlusOne() {
    InventoryStore a(slots_, *keys_);
    a.commit(10, addDevice("a"));
    InventoryStore b(slots_, *keys_);
    CPPUNIT_ASSERT_EQUAL(uint64_t(11), b.fence(2).epoch);   // stale token: head + 1
    CPPUNIT_ASSERT_EQUAL(uint64_t(50), b.fence(50).epoch);  // token ahead of the file
    CPPUNIT_ASSERT_THROW(a.commit(10, addDevice("zombie")), FencedException);
    Snapshot s = b.load();
    CPPUNIT_ASSERT_EQUAL(size_t(1), s.inventory.devices.size());  // fences change nothing
  }

  void testReaderRefusesRollback() {
    InventoryStore writer(slots_, *keys_);
    writer.commit(1, addDevice("a"));
    writer.commit(1, addDevice("b"));
    writer.commit(2, addDevice("c"));
    InventoryStore reader(slots_, *keys_);
    CPPUNIT_ASSERT_EQUAL(uint64_t(3), reader.load().version);
    // An operator restores an old backup: v1 over the head, newer slots gone.
    slots_.head = slots_.slots[1];
    slots_.slots.erase(2);
    slots_.slots.erase(3);
    CPPUNIT_ASSERT_THROW(reader.load(), RollbackException);
    CPPUNIT_ASSERT_EQUAL(uint64_t(3), reader.lastAccepted().first);
    CPPUNIT_ASSERT_EQUAL(uint64_t(2), reader.lastAccepted().second);
  }

  void testCorruptNewestIsErrorNeverEmpty() {
    InventoryStore writer(slots_, *keys_);
    writer.commit(1, addDevice("a"));
    writer.commit(1, addDevice("b"));
    InventoryStore reader(slots_, *keys_);
    reader.load();
    std::string& newest = slots_.slots[2];
    newest[newest.size() / 2] ^= 0x01;
    slots_.head = newest;
    CPPUNIT_ASSERT_THROW(reader.load(), AuthenticationException);
    newest.resize(newest.size() - 5);
    slots_.head = newest;
    CPPUNIT_ASSERT_THROW(reader.load(), TruncatedException);
    slots_.head = std::string();
    slots_.slots[2] = std::string();
    CPPUNIT_ASSERT_THROW(reader.load(), InventoryException);
    CPPUNIT_ASSERT_EQUAL(uint64_t(2), reader.lastAccepted().first);
  }

  void testWriterRefusesToWriteOverUnreadableHead() {
    InventoryStore writer(slots_, *keys_);
    writer.commit(1, addDevice("a"));
    Keyring otherKeys(Keyring::deriveKey("another key", "test"));
    InventoryStore wrongKey(slots_, otherKeys);
    CPPUNIT_ASSERT_THROW(wrongKey.commit(2, addDevice("b")), WrongKeyException);
    CPPUNIT_ASSERT_EQUAL(size_t(1), slots_.slots.size());
  }

  void testMissingMarkerRefusesWrite() {
    slots_.marker = false;
    InventoryStore writer(slots_, *keys_);
    CPPUNIT_ASSERT_THROW(writer.commit(1, addDevice("a")), NotMountedException);
    CPPUNIT_ASSERT(slots_.slots.empty());
  }

  void testRetentionKeepsLastK() {
    StoreOptions options;
    options.keep = 5;
    InventoryStore writer(slots_, *keys_, options);
    for (int i = 0; i < 12; ++i) {
      writer.commit(1, addDevice("d" + std::to_string(i)));
    }
    std::vector<uint64_t> kept = slots_.listSlots();
    CPPUNIT_ASSERT_EQUAL(size_t(5), kept.size());
    CPPUNIT_ASSERT_EQUAL(uint64_t(8), kept.front());
    CPPUNIT_ASSERT_EQUAL(uint64_t(12), kept.back());
  }

  void testHeadLagIsCaughtUpByProbing() {
    InventoryStore writer(slots_, *keys_);
    writer.commit(1, addDevice("a"));
    std::string staleHead = *slots_.head;
    writer.commit(1, addDevice("b"));
    writer.commit(1, addDevice("c"));
    slots_.head = staleHead;  // a writer died between link and head rename
    InventoryStore reader(slots_, *keys_);
    CPPUNIT_ASSERT_EQUAL(uint64_t(3), reader.peekVersion());
    CPPUNIT_ASSERT_EQUAL(size_t(3), reader.load().inventory.devices.size());
  }

  void testSlotCarryingWrongVersionIsRejected() {
    InventoryStore writer(slots_, *keys_);
    writer.commit(1, addDevice("a"));
    writer.commit(1, addDevice("b"));
    slots_.slots[3] = slots_.slots[1];  // an old file copied under a newer name
    InventoryStore reader(slots_, *keys_);
    CPPUNIT_ASSERT_THROW(reader.load(), DataException);
  }

  void testVerifyReportsGapEpochDecreaseAndBadSlot() {
    InventoryStore writer(slots_, *keys_);
    writer.commit(5, addDevice("a"));
    writer.commit(5, addDevice("b"));
    std::vector<std::string> errors;
    writer.verify(&errors);
    CPPUNIT_ASSERT(errors.empty());

    FakeSlotStore forged;  // a chain no writer of ours can produce
    InventoryStore high(forged, *keys_);
    high.commit(5, addDevice("a"));
    FakeSlotStore other;
    InventoryStore low(other, *keys_);
    low.commit(1, addDevice("x"));
    low.commit(1, addDevice("y"));
    forged.slots[2] = other.slots[2];  // epoch 1 after epoch 5
    forged.slots[4] = "garbage";       // gap at 3, unreadable 4
    InventoryStore audit(forged, *keys_);
    std::vector<VersionReport> reports = audit.verify(&errors);
    CPPUNIT_ASSERT_EQUAL(size_t(3), reports.size());
    CPPUNIT_ASSERT(!reports[2].ok);
    auto has = [&](const std::string& needle) {
      for (const std::string& e : errors) {
        if (e.find(needle) != std::string::npos) {
          return true;
        }
      }
      return false;
    };
    CPPUNIT_ASSERT(has("epoch decreases at v2"));
    CPPUNIT_ASSERT(has("gap in the chain between v2 and v4"));
    CPPUNIT_ASSERT(has("v4: "));
  }

  void testInitRefusesExistingSite() {
    slots_.marker = false;
    InventoryStore store(slots_, *keys_);
    Inventory initial;
    initial.devices.push_back(device("imported"));
    CommitResult r = store.init(initial, "site-a");
    CPPUNIT_ASSERT_EQUAL(uint64_t(1), r.version);
    CPPUNIT_ASSERT(slots_.marker);
    CPPUNIT_ASSERT_THROW(store.init(initial, "site-a"), InventoryException);
    CPPUNIT_ASSERT_EQUAL(size_t(1), store.load().inventory.devices.size());
  }

 private:
  std::unique_ptr<Keyring> keys_;
  FakeSlotStore slots_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(InventoryStoreTest);
