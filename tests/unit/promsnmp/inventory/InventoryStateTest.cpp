// Tests of InventoryView, the lookups a scrape uses: a device is found by its sysName or by an
// agent's address, and two devices with one sysName (discovery no longer merges agents by name)
// are two targets, the later one named by its agent's address. And of InventoryState following
// a share that was restored older.
#include "inventory/InventoryState.h"

#include <cppunit/extensions/HelperMacros.h>

#include "FakeSlotStore.h"
#include "inventoryfs/Keyring.h"

using namespace promsnmp;

namespace {

inventoryfs::Device device(const std::string& id, std::optional<std::string> sysName,
                           const std::string& address) {
  inventoryfs::Device d;
  d.id = id;
  d.sysName = std::move(sysName);
  inventoryfs::Agent agent;
  agent.endpoint = {address, 1161};
  agent.version = 1;
  agent.readCommunity = "public";
  d.agents.push_back(agent);
  d.primaryAgent = agent;
  return d;
}

}  // namespace

class InventoryStateTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(InventoryStateTest);
  CPPUNIT_TEST(testDevicesAreFoundByNameOrAddress);
  CPPUNIT_TEST(testVersionWrittenAgainAfterARestoreReplacesTheView);
  CPPUNIT_TEST(testASharedSysNameGivesTwoTargets);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testDevicesAreFoundByNameOrAddress() {
    InventoryView view;
    view.inventory.devices = {device("a", "core1", "10.0.0.1"),
                              device("b", std::nullopt, "10.0.0.2")};
    view.index();
    CPPUNIT_ASSERT_EQUAL(std::string("a"), *view.find("core1")->id);
    CPPUNIT_ASSERT_EQUAL(std::string("a"), *view.find("10.0.0.1:1161")->id);
    CPPUNIT_ASSERT_EQUAL(std::string("b"), *view.find("10.0.0.2")->id);
    CPPUNIT_ASSERT(view.find("core2") == nullptr);
    std::vector<SnmpTarget> targets = view.targets();
    CPPUNIT_ASSERT_EQUAL(size_t{2}, targets.size());
    CPPUNIT_ASSERT_EQUAL(std::string("core1"), targets[0].name);
    CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.2"), targets[1].name);
  }

  void testASharedSysNameGivesTwoTargets() {
    InventoryView view;
    view.inventory.devices = {device("a", "core1", "10.0.0.1"), device("b", "core1", "10.0.0.9")};
    view.index();
    std::vector<SnmpTarget> targets = view.targets();
    CPPUNIT_ASSERT_EQUAL(size_t{2}, targets.size());
    CPPUNIT_ASSERT_EQUAL(std::string("core1"), targets[0].name);
    CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.9:1161"), targets[1].name);
    // Each name leads back to its own device, so a scrape of either polls the right agent.
    for (const SnmpTarget& target : targets) {
      const inventoryfs::Device* found = view.find(target.name);
      CPPUNIT_ASSERT(found != nullptr);
      CPPUNIT_ASSERT_EQUAL(target.address, found->primaryAgent->endpoint.address);
      CPPUNIT_ASSERT_EQUAL(target.name, view.targetFor(*found)->name);
    }
  }
  // The replica served v2; the share is restored to v1 (refused, named rolled_back, v2 still
  // served); a writer that never saw v2 commits v2 again with other content: that is served.
  void testVersionWrittenAgainAfterARestoreReplacesTheView() {
    inventoryfs::FakeSlotStore slots;
    inventoryfs::Keyring keys(inventoryfs::Keyring::deriveKey("state test key", "test"), {},
                              inventoryfs::ScryptCost{10, 8, 1});
    auto add = [](const std::string& name) {
      return [name](inventoryfs::Inventory& inventory) {
        inventory.devices.push_back(device(name, name, "127.0.0.1"));
      };
    };
    inventoryfs::InventoryStore writer(slots, keys);
    writer.commitAdmin(add("a"));
    writer.commitAdmin(add("b"));
    inventoryfs::InventoryStore replicaStore(slots, keys);
    InventoryState state(replicaStore, keys, nullptr, std::chrono::hours(1));  // the test polls
    CPPUNIT_ASSERT(state.start());
    CPPUNIT_ASSERT_EQUAL(uint64_t(2), state.status().version);
    slots.slots.erase(2);
    slots.head = slots.slots[1];
    state.refresh();
    CPPUNIT_ASSERT(state.status().shareProblem == inventoryfs::ShareProblem::RolledBack);
    CPPUNIT_ASSERT(state.current()->find("b") != nullptr);
    inventoryfs::InventoryStore other(slots, keys);
    other.commitAdmin(add("c"));
    CPPUNIT_ASSERT(state.refresh());
    CPPUNIT_ASSERT_EQUAL(uint64_t(2), state.status().version);
    CPPUNIT_ASSERT(state.current()->find("c") != nullptr);
    CPPUNIT_ASSERT(state.current()->find("b") == nullptr);
    CPPUNIT_ASSERT(!state.status().shareProblem);
    state.stop();
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(InventoryStateTest);
