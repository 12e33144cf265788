#include "inventoryfs/Merge.h"

#include <cppunit/extensions/HelperMacros.h>

#include "inventoryfs/InventoryJson.h"

using namespace inventoryfs;

namespace {

Device named(const std::string& id, const std::string& sysName, const std::string& location = "") {
  Device d;
  d.id = id;
  d.sysName = sysName;
  if (!location.empty()) {
    d.sysLocation = location;
  }
  return d;
}

Device withAgent(Device d, const std::string& address) {
  Agent agent;
  agent.endpoint = {address, 161};
  d.agents.push_back(agent);
  d.primaryAgent = agent;
  return d;
}

}  // namespace

class MergeTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(MergeTest);
  CPPUNIT_TEST(testDiffOfEqualInventoriesIsEmpty);
  CPPUNIT_TEST(testReapplyKeepsTheOtherWritersChanges);
  CPPUNIT_TEST(testRemovalOfAlreadyRemovedIsHarmless);
  CPPUNIT_TEST(testSeedsMergeById);
  CPPUNIT_TEST(testMergeBySysNameReplacesInPlaceAndAppends);
  CPPUNIT_TEST(testNewDevicesAreTheOperatorsFieldForField);
  CPPUNIT_TEST(testEditedFieldsJoinTheOperatorsAndUnchangedStayDiscoverys);
  CPPUNIT_TEST(testAnExplicitEmptyOperatorSetReleasesTheFields);
  CPPUNIT_TEST(testModulesOrAuthSetByTheOperatorAreOwnedAsModules);
  CPPUNIT_TEST(testModulesUnchangedStayClassifications);
  CPPUNIT_TEST(testRemovedDevicesAreCountedByIdEndpointOrName);
  CPPUNIT_TEST(testAReplaceRemovingAllOrMostDevicesNeedsForce);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testDiffOfEqualInventoriesIsEmpty() {
    Inventory a;
    a.devices = {named("1", "r1"), named("2", "r2")};
    CPPUNIT_ASSERT(diffInventories(a, a).empty());
  }

  void testReapplyKeepsTheOtherWritersChanges() {
    Inventory base;
    base.devices = {named("1", "r1"), named("2", "r2"), named("3", "r3")};
    Inventory mine = base;  // I move r1, delete r2, add r4
    mine.devices[0].sysLocation = "rack 9";
    mine.devices.erase(mine.devices.begin() + 1);
    mine.devices.push_back(named("4", "r4"));
    Inventory theirs = base;  // they changed r3 and added r5 meanwhile
    theirs.devices[2].sysLocation = "rack 1";
    theirs.devices.push_back(named("5", "r5"));

    applyDiff(diffInventories(base, mine), theirs);
    CPPUNIT_ASSERT_EQUAL(size_t(4), theirs.devices.size());
    CPPUNIT_ASSERT_EQUAL(std::string("rack 9"), *theirs.devices[0].sysLocation);
    CPPUNIT_ASSERT_EQUAL(std::string("r3"), *theirs.devices[1].sysName);
    CPPUNIT_ASSERT_EQUAL(std::string("rack 1"), *theirs.devices[1].sysLocation);
    CPPUNIT_ASSERT_EQUAL(std::string("r5"), *theirs.devices[2].sysName);
    CPPUNIT_ASSERT_EQUAL(std::string("r4"), *theirs.devices[3].sysName);
  }

  void testRemovalOfAlreadyRemovedIsHarmless() {
    Inventory base;
    base.devices = {named("1", "r1")};
    Inventory mine;
    Inventory theirs;
    applyDiff(diffInventories(base, mine), theirs);
    CPPUNIT_ASSERT(theirs.devices.empty());
  }

  void testSeedsMergeById() {
    DiscoverySeed s1;
    s1.id = "s1";
    s1.potentialTargets = {"10.0.0.0/24"};
    Inventory base;
    Inventory mine;
    mine.discoverySeeds = {s1};
    Inventory theirs;
    DiscoverySeed s2 = s1;
    s2.id = "s2";
    theirs.discoverySeeds = {s2};
    applyDiff(diffInventories(base, mine), theirs);
    CPPUNIT_ASSERT_EQUAL(size_t(2), theirs.discoverySeeds.size());
  }

  void testMergeBySysNameReplacesInPlaceAndAppends() {
    Inventory target;
    target.devices = {named("1", "r1"), named("2", "r2")};
    Inventory incoming;
    incoming.devices = {named("x", "r2", "new place"), named("y", "r9")};
    CPPUNIT_ASSERT_EQUAL(size_t(1), mergeBySysName(incoming, target));
    CPPUNIT_ASSERT_EQUAL(size_t(3), target.devices.size());
    CPPUNIT_ASSERT_EQUAL(std::string("new place"), *target.devices[1].sysLocation);
    CPPUNIT_ASSERT_EQUAL(std::string("r9"), *target.devices[2].sysName);
  }

  void testNewDevicesAreTheOperatorsFieldForField() {
    Inventory current;
    Inventory edited;
    edited.devices = {named("", "Profiler3750", "demo rack 1")};
    edited.devices[0].id.reset();
    markOperatorFields(current, edited);
    CPPUNIT_ASSERT(edited.devices[0].operatorSet ==
                   std::vector<std::string>({"sysName", "sysLocation"}));
    CPPUNIT_ASSERT(edited.devices[0].operatorOwns("sysName"));
    CPPUNIT_ASSERT(!edited.devices[0].operatorOwns("sysDescr"));
    CPPUNIT_ASSERT_EQUAL(size_t(36), edited.devices[0].id.value_or("").size());  // a fresh id
  }

  void testEditedFieldsJoinTheOperatorsAndUnchangedStayDiscoverys() {
    Inventory current;
    current.devices = {withAgent(named("1", "sw1", "Bangalore"), "10.0.0.1"),
                       withAgent(named("2", "sw2"), "10.0.0.2")};
    current.devices[0].operatorSet = std::vector<std::string>{"sysContact"};
    current.devices[0].discovered = DiscoveredSystem{};
    current.devices[0].discovered->sysContact = "noc@agent";
    // What GET answered, with one location edited; the ids are gone (as after a Java export),
    // so the devices are recognised by their agents' address:port.
    Inventory edited = current;
    edited.devices[0].id.reset();
    edited.devices[0].operatorSet.reset();
    edited.devices[0].discovered.reset();
    edited.devices[0].sysLocation = "rack 9";
    edited.devices[1].id.reset();
    markOperatorFields(current, edited);
    CPPUNIT_ASSERT(edited.devices[0].operatorSet ==
                   std::vector<std::string>({"sysContact", "sysLocation"}));
    CPPUNIT_ASSERT(edited.devices[0].discovered == current.devices[0].discovered);
    CPPUNIT_ASSERT(!edited.devices[1].operatorSet);                 // unchanged: still discovery's
    CPPUNIT_ASSERT_EQUAL(std::string("1"), *edited.devices[0].id);  // the ids are kept
    CPPUNIT_ASSERT_EQUAL(std::string("2"), *edited.devices[1].id);
  }

  void testAnExplicitEmptyOperatorSetReleasesTheFields() {
    Inventory current;
    current.devices = {named("1", "sw1", "Bangalore")};
    current.devices[0].operatorSet = std::vector<std::string>{"sysName", "sysLocation"};
    current.devices[0].discovered = DiscoveredSystem{};
    Inventory edited = current;
    edited.devices[0].operatorSet = std::vector<std::string>{};
    markOperatorFields(current, edited);
    CPPUNIT_ASSERT(!edited.devices[0].operatorSet);
    CPPUNIT_ASSERT(!edited.devices[0].discovered);
  }

  void testModulesOrAuthSetByTheOperatorAreOwnedAsModules() {
    Inventory current;
    current.devices = {withAgent(named("1", "sw1"), "10.0.0.1"),
                       withAgent(named("2", "sw2"), "10.0.0.2")};
    current.devices[0].modules = std::vector<std::string>{"system", "if_mib"};  // classification's
    current.devices[1].modules = std::vector<std::string>{"system"};
    Inventory edited = current;
    edited.devices[0].modules = std::vector<std::string>{"system", "if_mib", "cisco_process"};
    edited.devices[1].auth = "v3_ops";  // only the auth: still the modules' owner
    Device added = withAgent(named("", "ups1"), "10.0.0.3");
    added.id.reset();
    added.auth = "public_v2";  // a new device giving only an auth
    edited.devices.push_back(added);
    markOperatorFields(current, edited);
    for (const Device& device : edited.devices) {
      CPPUNIT_ASSERT_MESSAGE(*device.sysName, device.operatorOwns("modules"));
    }
    CPPUNIT_ASSERT(edited.devices[0].operatorSet == std::vector<std::string>({"modules"}));
    // A new device's system fields are the operator's too, "modules" last (canonical order).
    CPPUNIT_ASSERT(edited.devices[2].operatorSet ==
                   std::vector<std::string>({"sysName", "modules"}));
    // Ownership read back from the file ("modules" is a field operatorSet may name).
    const Inventory read = inventoryFromJson(inventoryToJson(edited));
    CPPUNIT_ASSERT(read.devices[1].operatorOwns("modules"));
    CPPUNIT_ASSERT(!read.devices[1].operatorOwns("sysName"));
  }

  void testModulesUnchangedStayClassifications() {
    Inventory current;
    current.devices = {withAgent(named("1", "sw1"), "10.0.0.1"),
                       withAgent(named("2", "sw2"), "10.0.0.2")};
    current.devices[0].modules = std::vector<std::string>{"system"};
    current.devices[0].auth = "v3_ops";
    current.devices[1].modules = std::vector<std::string>{"system"};
    current.devices[1].operatorSet = std::vector<std::string>{"modules"};
    // A GET answer posted back with another field edited: the modules stay discovery's, the
    // operator's stay the operator's.
    Inventory edited = current;
    edited.devices[0].sysLocation = "rack 2";
    edited.devices[1].operatorSet.reset();
    markOperatorFields(current, edited);
    CPPUNIT_ASSERT(edited.devices[0].operatorSet == std::vector<std::string>({"sysLocation"}));
    CPPUNIT_ASSERT(!edited.devices[0].operatorOwns("modules"));
    CPPUNIT_ASSERT(edited.devices[1].operatorSet == std::vector<std::string>({"modules"}));
    // A device saying operatorSet without "modules" gives the modules back to classification.
    Inventory released = current;
    released.devices[1].operatorSet = std::vector<std::string>{};
    markOperatorFields(current, released);
    CPPUNIT_ASSERT(!released.devices[1].operatorSet);
    CPPUNIT_ASSERT(!released.devices[1].operatorOwns("modules"));
  }

  void testRemovedDevicesAreCountedByIdEndpointOrName() {
    Inventory current;
    current.devices = {named("1", "r1"), withAgent(named("2", "r2"), "10.0.0.2"), named("3", "r3"),
                       named("4", "r4")};
    Inventory replacement;
    replacement.devices = {named("1", "renamed"), withAgent(named("x", "other"), "10.0.0.2"),
                           named("y", "r3")};
    CPPUNIT_ASSERT_EQUAL(size_t(1), devicesRemovedBy(current, replacement));  // only r4
    CPPUNIT_ASSERT_EQUAL(size_t(4), devicesRemovedBy(current, Inventory{}));
    CPPUNIT_ASSERT_EQUAL(size_t(0), devicesRemovedBy(Inventory{}, replacement));
  }

  void testAReplaceRemovingAllOrMostDevicesNeedsForce() {
    CPPUNIT_ASSERT(replaceNeedsForce(10, 10));
    CPPUNIT_ASSERT(replaceNeedsForce(1, 1));
    CPPUNIT_ASSERT(replaceNeedsForce(6, 10));
    CPPUNIT_ASSERT(!replaceNeedsForce(5, 10));  // half is not more than half
    CPPUNIT_ASSERT(!replaceNeedsForce(0, 10));
    CPPUNIT_ASSERT(!replaceNeedsForce(0, 0));  // an empty inventory loses nothing
    const std::string text = replaceRefusal(10, 10, "?force=true");
    CPPUNIT_ASSERT(text.find("10 of 10 devices") != std::string::npos);
    CPPUNIT_ASSERT(text.find("?force=true") != std::string::npos);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MergeTest);
