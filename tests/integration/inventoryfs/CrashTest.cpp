// A writer killed with SIGKILL at each step of the commit path (F-27, I8, I10, I12 within one
// machine's page cache): the directory still verifies and readers get the old or the new
// version, never an error and never an empty inventory. The killed writer is the test build of
// the CLI (promsnmp-inventory-faultpoints); the release CLI has no fault points and ignores
// INVENTORYFS_FAULT_POINT.
#include <signal.h>

#include <cppunit/extensions/HelperMacros.h>

#include "ProcessHelpers.h"
#include "Skip.h"
#include "inventoryfs/InventoryJson.h"

using namespace inventoryfs;

class CrashTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(CrashTest);
  CPPUNIT_TEST(testKillBeforeTempFsync);
  CPPUNIT_TEST(testKillAfterTempFsync);
  CPPUNIT_TEST(testKillAfterLink);
  CPPUNIT_TEST(testKillAfterHeadRename);
  CPPUNIT_TEST(testReleaseCliIgnoresFaultPoints);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testKillBeforeTempFsync() { crashAt("before_temp_fsync", false); }
  void testKillAfterTempFsync() { crashAt("after_temp_fsync", false); }
  void testKillAfterLink() { crashAt("after_link", true); }
  void testKillAfterHeadRename() { crashAt("after_head_rename", true); }

  /// The release CLI, asked to kill or stop itself at every point, commits every time.
  void testReleaseCliIgnoresFaultPoints() {
    if (PROMSNMP_RELEASE_HAS_FAULT_POINTS) {
      testing::skip("configured with PROMSNMP_FAULT_POINTS=ON: the release CLI has the hook");
      return;
    }
    testing::TempDir dir;
    std::map<std::string, std::string> env = init(dir);
    size_t devices = 3;
    for (std::string point : {"before_temp_fsync", "after_temp_fsync", "after_link",
                              "after_head_rename", "after_temp_fsync:stop"}) {
      auto faultEnv = env;
      faultEnv["INVENTORYFS_FAULT_POINT"] = point;
      auto added = testing::runProcess(add(PROMSNMP_INVENTORY_CLI, "at-" + point), faultEnv, 30);
      CPPUNIT_ASSERT_EQUAL_MESSAGE("release CLI stopped by signal at " + point, 0, added.signal);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(added.err, 0, added.code);
      CPPUNIT_ASSERT_EQUAL(++devices, shownDevices(env));
    }
    auto verify = testing::runProcess({PROMSNMP_INVENTORY_CLI, "verify"}, env);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(verify.err, 0, verify.code);
  }

 private:
  static std::vector<std::string> add(const std::string& cli, const std::string& name) {
    return {cli,         "add-device", "--sys-name",  name,
            "--address", "127.0.0.1",  "--community", "public"};
  }
  static std::vector<std::string> add(const std::string& name) {
    return add(PROMSNMP_INVENTORY_CLI, name);
  }

  /// An inventory in `dir` with three devices; returns the CLI's environment.
  static std::map<std::string, std::string> init(const testing::TempDir& dir) {
    std::map<std::string, std::string> env = {
        {"PROM_INV_FILE", dir.path() + "/promsnmp-inventory.json"},
        {"PROM_ENCRYPT_KEY", "crash test key"}};
    CPPUNIT_ASSERT_EQUAL(0, testing::runProcess({PROMSNMP_INVENTORY_CLI, "init"}, env).code);
    for (const char* name : {"r1", "r2", "r3"}) {
      CPPUNIT_ASSERT_EQUAL(0, testing::runProcess(add(name), env).code);
    }
    return env;
  }

  static size_t shownDevices(const std::map<std::string, std::string>& env) {
    auto show = testing::runProcess({PROMSNMP_INVENTORY_CLI, "show", "--json"}, env);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(show.err, 0, show.code);
    return inventoryFromJson(show.out).devices.size();
  }

  /// Kills a writer at `point`; `committed` says whether the version exists at that point.
  void crashAt(const std::string& point, bool committed) {
    testing::TempDir dir;
    std::map<std::string, std::string> env = init(dir);

    auto crashEnv = env;
    crashEnv["INVENTORYFS_FAULT_POINT"] = point;
    auto crashed = testing::runProcess(add(PROMSNMP_INVENTORY_FAULTPOINTS_CLI, "r4"), crashEnv);
    CPPUNIT_ASSERT_EQUAL_MESSAGE("writer was not killed at " + point, SIGKILL, crashed.signal);

    auto verify = testing::runProcess({PROMSNMP_INVENTORY_CLI, "verify"}, env);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(verify.err, 0, verify.code);
    auto show = testing::runProcess(
        {PROMSNMP_INVENTORY_CLI, "show", "--json", "--include-credentials"}, env);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(show.err, 0, show.code);
    Inventory seen = inventoryFromJson(show.out);
    CPPUNIT_ASSERT_EQUAL(size_t(committed ? 4 : 3), seen.devices.size());

    // The site goes on: the next writer commits on top of whatever the crash left.
    auto next = testing::runProcess(add("r5"), env);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(next.err, 0, next.code);
    verify = testing::runProcess({PROMSNMP_INVENTORY_CLI, "verify"}, env);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(verify.err, 0, verify.code);
    CPPUNIT_ASSERT_EQUAL(size_t(committed ? 5 : 4), shownDevices(env));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CrashTest);
