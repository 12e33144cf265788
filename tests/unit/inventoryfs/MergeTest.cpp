#include "inventoryfs/Merge.h"

#include <cppunit/extensions/HelperMacros.h>

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

}  // namespace

class MergeTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(MergeTest);
  CPPUNIT_TEST(testDiffOfEqualInventoriesIsEmpty);
  CPPUNIT_TEST(testReapplyKeepsTheOtherWritersChanges);
  CPPUNIT_TEST(testRemovalOfAlreadyRemovedIsHarmless);
  CPPUNIT_TEST(testSeedsMergeById);
  CPPUNIT_TEST(testMergeBySysNameReplacesInPlaceAndAppends);
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
};

CPPUNIT_TEST_SUITE_REGISTRATION(MergeTest);
