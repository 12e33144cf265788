// An ambiguous claim (election-and-shared-file.md §4.2, §5.2 step 6): link(2) reports EEXIST or
// EIO although it created the slot, as a retransmitted NFSv3 LINK can. The writer must settle it
// by inode — count the commit as its own, once — instead of retrying into a duplicate version
// or reporting a failure for a change that landed.
#include <cppunit/extensions/HelperMacros.h>

#include "ProcessHelpers.h"
#include "inventoryfs/InventoryJson.h"

using namespace inventoryfs;

class AmbiguousLinkTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(AmbiguousLinkTest);
  CPPUNIT_TEST(testFalseEexistIsOurCommit);
  CPPUNIT_TEST(testFalseEioIsOurCommit);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testFalseEexistIsOurCommit() { check("EEXIST"); }
  void testFalseEioIsOurCommit() { check("EIO"); }

 private:
  void check(const std::string& fault) {
    testing::TempDir dir;
    std::map<std::string, std::string> env = {
        {"PROM_INV_FILE", dir.path() + "/promsnmp-inventory.json"},
        {"PROM_ENCRYPT_KEY", "ambiguous link key"}};
    CPPUNIT_ASSERT_EQUAL(0, testing::runProcess({PROMSNMP_INVENTORY_CLI, "init"}, env).code);
    auto faulty = env;
    // The slot claim link(temp, v<N+1>) is done, then reported as failed (IoFault.cpp).
    faulty["LD_PRELOAD"] = PROMSNMP_IOFAULT_LIB;
    faulty["PROMSNMP_IO_FAULT"] = "call=link path=/v[0-9]{20}$ lie=1 errno=" + fault;
    for (const char* name : {"r1", "r2", "r3"}) {
      auto r = testing::runProcess({PROMSNMP_INVENTORY_CLI, "--json", "add-device", "--sys-name",
                                    name, "--address", "127.0.0.1", "--community", "public"},
                                   faulty);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 0, r.code);
      CPPUNIT_ASSERT_MESSAGE(r.out, r.out.find("\"attempts\":1") != std::string::npos);
    }
    auto verify = testing::runProcess({PROMSNMP_INVENTORY_CLI, "verify"}, env);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(verify.err, 0, verify.code);
    CPPUNIT_ASSERT_MESSAGE(verify.out, verify.out.find("4 versions v1..v4") != std::string::npos);
    auto show = testing::runProcess({PROMSNMP_INVENTORY_CLI, "show", "--json"}, env);
    CPPUNIT_ASSERT_EQUAL(size_t(3), inventoryFromJson(show.out).devices.size());
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AmbiguousLinkTest);
