#include "inventoryfs/InventoryStore.h"

#include <cppunit/extensions/HelperMacros.h>

#include "FakeSlotStore.h"
#include "Format2Envelope.h"
#include "inventoryfs/Exceptions.h"
#include "inventoryfs/InventoryJson.h"

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

// A passphrase key with a small scrypt cost (explicit option): these tests are about the store,
// EnvelopeTest covers the default cost.
Keyring testKeys() {
  return Keyring(Keyring::deriveKey("unit test key", "test"), {}, ScryptCost{10, 8, 1});
}

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
  CPPUNIT_TEST(testIdentityKeptByEveryCommit);
  CPPUNIT_TEST(testFirstCommitOverJavaFileAssignsIdentity);
  CPPUNIT_TEST(testFirstCommitOverFormat2FileAssignsIdentity);
  CPPUNIT_TEST(testOtherInventoryIsNotARollback);
  CPPUNIT_TEST(testSameInventoryFloorStillRefusesRollback);
  CPPUNIT_TEST(testFloorWithoutIdentityRefusesOlderShare);
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

  // init creates the identity (and, with a passphrase, the scrypt salt); every later commit of
  // every kind keeps both, whoever writes it.
  void testIdentityKeptByEveryCommit() {
    slots_.marker = false;
    InventoryStore store(slots_, *keys_);
    store.init(Inventory{}, "site-a");
    const Header first = store.load().header;
    CPPUNIT_ASSERT(first.hasInventoryId());
    CPPUNIT_ASSERT_EQUAL(uint16_t{3}, first.format);
    CPPUNIT_ASSERT(first.kdf.algorithm == Kdf::Scrypt);
    store.commit(4, addDevice("a"));
    store.commitAdmin(addDevice("b"));
    store.fence(9);
    InventoryStore other(slots_, *keys_);  // another writer, another process's keyring
    Keyring otherKeys = testKeys();
    InventoryStore third(slots_, otherKeys);
    third.commitAdmin(addDevice("c"));
    for (uint64_t v = 1; v <= 5; ++v) {
      const Header h = other.readVersion(v).header;
      CPPUNIT_ASSERT_EQUAL_MESSAGE("v" + std::to_string(v), first.inventoryIdHex(),
                                   h.inventoryIdHex());
      CPPUNIT_ASSERT_MESSAGE("v" + std::to_string(v), first.kdf == h.kdf);
    }
    CPPUNIT_ASSERT(other.acceptedInventoryId() == InventoryId{});
    other.load();
    CPPUNIT_ASSERT(other.acceptedInventoryId() == first.inventoryId);
    // Another init makes another inventory.
    FakeSlotStore fresh;
    fresh.marker = false;
    InventoryStore second(fresh, *keys_);
    second.init(Inventory{}, "site-b");
    CPPUNIT_ASSERT(second.load().header.inventoryId != first.inventoryId);
  }

  // A Java file (plain JSON here) has no identity; the first commit over it gives one, and the
  // commits after keep it.
  void testFirstCommitOverJavaFileAssignsIdentity() {
    slots_.head = "{\"devices\":[],\"discoverySeeds\":[]}";
    InventoryStore store(slots_, *keys_);
    const Snapshot java = store.load();
    CPPUNIT_ASSERT(java.format == EnvelopeFormat::PlainJson);
    CPPUNIT_ASSERT(!java.header.hasInventoryId());
    store.commitAdmin(addDevice("a"));
    const Header v1 = store.load().header;
    CPPUNIT_ASSERT(v1.hasInventoryId());
    store.commitAdmin(addDevice("b"));
    CPPUNIT_ASSERT_EQUAL(v1.inventoryIdHex(), store.load().header.inventoryIdHex());
  }

  // A format-2 file (previous release) opens, and the first commit over it gives the inventory
  // an identity in format 3.
  void testFirstCommitOverFormat2FileAssignsIdentity() {
    // Format 2 of version 1: the same fields as format 3 without its 44 bytes, as the previous
    // release wrote them (HKDF key, header length 84).
    Header header;
    header.version = 1;
    header.flags = kFlagAdminWrite;
    slots_.slots[1] = testing::format2Of(*keys_, header, inventoryToJson(Inventory{}));
    slots_.head = slots_.slots[1];
    InventoryStore store(slots_, *keys_);
    const Snapshot old = store.load();
    CPPUNIT_ASSERT_EQUAL(uint16_t{2}, old.header.format);
    CPPUNIT_ASSERT(!old.header.hasInventoryId());
    store.commitAdmin(addDevice("a"));
    const Header v2 = store.load().header;
    CPPUNIT_ASSERT_EQUAL(uint16_t{3}, v2.format);
    CPPUNIT_ASSERT(v2.hasInventoryId());
  }

  // A reader that accepted v3 of inventory A (a replica's floor) is given a directory holding
  // inventory B at v1: a different inventory, served, not a rollback.
  void testOtherInventoryIsNotARollback() {
    InventoryStore writer(slots_, *keys_);
    writer.commit(1, addDevice("a"));
    writer.commit(1, addDevice("b"));
    writer.commit(2, addDevice("c"));
    InventoryStore reader(slots_, *keys_);
    const InventoryId a = reader.load().header.inventoryId;
    // The share is replaced by a new one (or wiped and initialised again).
    slots_ = FakeSlotStore();
    slots_.marker = false;
    InventoryStore(slots_, *keys_).init(Inventory{}, "site-b");
    const Snapshot b = reader.load();
    CPPUNIT_ASSERT_EQUAL(uint64_t(1), b.version);
    CPPUNIT_ASSERT(b.header.inventoryId != a);
    CPPUNIT_ASSERT(reader.acceptedInventoryId() == b.header.inventoryId);
    CPPUNIT_ASSERT_EQUAL(uint64_t(1), reader.lastAccepted().first);
    // A floor carried over from before a restart behaves the same.
    InventoryStore restarted(slots_, *keys_);
    restarted.acceptAtLeast(3, 2, a);
    CPPUNIT_ASSERT_EQUAL(uint64_t(1), restarted.load().version);
    // And a writer can write to it.
    CPPUNIT_ASSERT_EQUAL(uint64_t(2), restarted.commitAdmin(addDevice("x")).version);
  }

  // The floor of the same inventory still refuses an older directory (I9), whether it was
  // accepted in this process or carried over by acceptAtLeast.
  void testSameInventoryFloorStillRefusesRollback() {
    InventoryStore writer(slots_, *keys_);
    writer.commit(1, addDevice("a"));
    writer.commit(2, addDevice("b"));
    const InventoryId id = InventoryStore(slots_, *keys_).load().header.inventoryId;
    InventoryStore restarted(slots_, *keys_);
    restarted.acceptAtLeast(5, 2, id);
    CPPUNIT_ASSERT_THROW(restarted.load(), RollbackException);
    CPPUNIT_ASSERT_THROW(restarted.commitAdmin(addDevice("x")), RollbackException);
  }

  // A floor without identity (a local copy of the previous release) counts as the same
  // inventory: an older directory stays refused, a newer one is accepted with its identity.
  void testFloorWithoutIdentityRefusesOlderShare() {
    InventoryStore writer(slots_, *keys_);
    writer.commit(1, addDevice("a"));
    writer.commit(1, addDevice("b"));
    InventoryStore older(slots_, *keys_);
    older.acceptAtLeast(5, 1);
    CPPUNIT_ASSERT_THROW(older.load(), RollbackException);
    InventoryStore newer(slots_, *keys_);
    newer.acceptAtLeast(2, 1);
    CPPUNIT_ASSERT(newer.load().header.hasInventoryId());
    CPPUNIT_ASSERT(newer.acceptedInventoryId() != InventoryId{});
  }

 private:
  std::unique_ptr<Keyring> keys_;
  FakeSlotStore slots_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(InventoryStoreTest);
