// The local replica in state.dir: tied to its inventory's id, a previous release's file migrated
// in place, another inventory's copy never overwritten, a discarded copy moved aside intact.
#include "inventory/LocalState.h"

#include <stdlib.h>

#include <filesystem>
#include <string>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace promsnmp;
using namespace Poco::Data::Keywords;

namespace {

LocalState::Replica replica(uint64_t version, uint64_t epoch, const std::string& id) {
  LocalState::Replica r;
  r.version = version;
  r.epoch = epoch;
  r.inventoryId = id;
  r.savedAtMs = 1;
  r.envelope = "sealed v" + std::to_string(version) + " of " + id;
  return r;
}

const std::string kIdA(32, 'a');
const std::string kIdB(32, 'b');

}  // namespace

class LocalStateTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(LocalStateTest);
  CPPUNIT_TEST(testPreviousReleaseFileIsMigratedAndAdoptsTheId);
  CPPUNIT_TEST(testAnotherInventoryIsNeverOverwritten);
  CPPUNIT_TEST(testDiscardMovesTheFileAsideIntact);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "localstate.XXXXXX").string();
    CPPUNIT_ASSERT(::mkdtemp(pattern.data()) != nullptr);
    dir_ = pattern;
  }

  void tearDown() override { std::filesystem::remove_all(dir_); }

  // A state file of the previous release (no inventory_id column) opens, its copy has no id, an
  // older version does not replace it, the same version adopts the share's id.
  void testPreviousReleaseFileIsMigratedAndAdoptsTheId() {
    Poco::Data::SQLite::Connector::registerConnector();
    {
      Poco::Data::Session old("SQLite", dir_ + "/promsnmp-state.sqlite");
      old << "CREATE TABLE inventory_replica (id INTEGER PRIMARY KEY CHECK (id = 1),"
             " version INTEGER NOT NULL, epoch INTEGER NOT NULL,"
             " saved_at_ms INTEGER NOT NULL, envelope BLOB NOT NULL)",
          now;
      old << "INSERT INTO inventory_replica VALUES (1, 5, 2, 7, x'00')", now;
    }
    LocalState state(dir_);
    auto kept = state.loadReplica();
    CPPUNIT_ASSERT(kept);
    CPPUNIT_ASSERT_EQUAL(uint64_t{5}, kept->version);
    CPPUNIT_ASSERT_EQUAL(std::string(), kept->inventoryId);
    state.saveReplica(replica(4, 2, kIdA));
    CPPUNIT_ASSERT_EQUAL(std::string(), state.loadReplica()->inventoryId);
    state.saveReplica(replica(5, 2, kIdA));
    kept = state.loadReplica();
    CPPUNIT_ASSERT_EQUAL(kIdA, kept->inventoryId);
    CPPUNIT_ASSERT_EQUAL(std::string("sealed v5 of ") + kIdA, kept->envelope);
  }

  void testAnotherInventoryIsNeverOverwritten() {
    LocalState state(dir_);
    state.saveReplica(replica(3, 1, kIdA));
    state.saveReplica(replica(9, 4, kIdB));
    CPPUNIT_ASSERT_EQUAL(kIdA, state.loadReplica()->inventoryId);
    CPPUNIT_ASSERT_EQUAL(uint64_t{3}, state.loadReplica()->version);
    state.saveReplica(replica(3, 1, kIdA));  // not newer: kept as is
    state.saveReplica(replica(4, 1, kIdA));
    CPPUNIT_ASSERT_EQUAL(uint64_t{4}, state.loadReplica()->version);
  }

  // The whole file goes aside under the old inventory's id, complete (the WAL checkpointed), and
  // the state starts empty and usable.
  void testDiscardMovesTheFileAsideIntact() {
    LocalState state(dir_);
    state.saveReplica(replica(3, 1, kIdA));
    const std::string aside = state.discardReplica(kIdA);
    CPPUNIT_ASSERT_MESSAGE(aside,
                           aside.rfind(dir_ + "/promsnmp-state.sqlite." + kIdA + ".", 0) == 0);
    CPPUNIT_ASSERT(aside.size() > 10 && aside.compare(aside.size() - 10, 10, ".discarded") == 0);
    CPPUNIT_ASSERT(!state.loadReplica());
    state.saveReplica(replica(1, 0, kIdB));
    CPPUNIT_ASSERT_EQUAL(kIdB, state.loadReplica()->inventoryId);
    Poco::Data::Session old("SQLite", aside);
    Poco::Int64 version = 0;
    std::string id;
    old << "SELECT version, inventory_id FROM inventory_replica WHERE id = 1", into(version),
        into(id), now;
    CPPUNIT_ASSERT_EQUAL(Poco::Int64{3}, version);
    CPPUNIT_ASSERT_EQUAL(kIdA, id);
  }

 private:
  std::string dir_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(LocalStateTest);
