// The release daemon carries no test hook (issue 12): INVENTORYFS_FAULT_POINT, which makes the
// test build of the write path SIGKILL or SIGSTOP itself (inventoryfs/src/FaultPoint.h), is
// ignored by build/bin/promsnmp — a POST set to die at every point of the commit commits and
// the daemon keeps serving.
#include <signal.h>

#include <memory>

#include <cppunit/extensions/HelperMacros.h>

#include "DaemonHelpers.h"
#include "ProcessHelpers.h"
#include "Skip.h"

using namespace testing;

class DaemonReleaseTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DaemonReleaseTest);
  CPPUNIT_TEST(testFaultPointIgnored);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testFaultPointIgnored() {
    if (PROMSNMP_RELEASE_HAS_FAULT_POINTS) {
      skip("configured with PROMSNMP_FAULT_POINTS=ON: the release daemon has the hook");
      return;
    }
    TempDir dir;
    std::map<std::string, std::string> env = {
        {"PROM_INV_FILE", dir.path() + "/share/promsnmp-inventory.json"},
        {"PROM_ENCRYPT_KEY", "release test key"},
        {"PROMSNMP_STATE_DIR", dir.path() + "/state"},
        {"COLLECTION_INTERVAL", "3600000"}};
    inventoryCli(env, {"init"});
    for (const char* point : {"before_temp_fsync", "after_temp_fsync", "after_link",
                              "after_head_rename", "after_temp_fsync:stop"}) {
      auto faultEnv = env;
      faultEnv["INVENTORYFS_FAULT_POINT"] = point;
      Daemon daemon(dir.path(), faultEnv);
      const std::string name = std::string("at-") + point;
      const std::string body =
          R"({"devices":[{"sysName":")" + name +
          R"(","agents":[{"type":"snmp-community","endpoint":{"address":"127.0.0.1","port":9},)"
          R"("version":1,"readCommunity":"public"}]}],"discoverySeeds":[]})";
      HttpAnswer posted = httpRequest(daemon.port(), "POST", "/promsnmp/inventory", {}, body, 5000);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string("POST with the fault point ") + point, 200,
                                   posted.status);
      CPPUNIT_ASSERT_MESSAGE(point, daemon.alive());
      CPPUNIT_ASSERT_EQUAL(200, daemon.get("/-/ready").status);
      std::string shown = inventoryCli(env, {"show", "--json"});
      CPPUNIT_ASSERT_MESSAGE(shown, shown.find(name) != std::string::npos);
      CPPUNIT_ASSERT_EQUAL_MESSAGE("exit on SIGTERM", 0, daemon.signal(SIGTERM));
    }
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DaemonReleaseTest);
