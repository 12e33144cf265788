// A file written by the Java PromSNMP's classes (tests/tools/java-fixture: Jackson + javax.crypto,
// key of 16 characters) is imported with the CLI and shown again: every device, agent (v3 users,
// engine ids, SNMPv1 and the Java defaults) and seed must come back unchanged.
#include <fstream>
#include <sstream>

#include <cppunit/extensions/HelperMacros.h>

#include "ProcessHelpers.h"
#include "inventoryfs/InventoryJson.h"

using namespace inventoryfs;

namespace {

const std::string kJavaKey = "PromSnmpJava16Ky";

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const Device& byName(const Inventory& inventory, const std::string& name) {
  for (const Device& d : inventory.devices) {
    if (d.sysName == name) {
      return d;
    }
  }
  throw std::runtime_error("no device " + name);
}

}  // namespace

class JavaImportTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(JavaImportTest);
  CPPUNIT_TEST(testImportReproducesEverything);
  CPPUNIT_TEST(testInitAdoptsJavaFileAtHead);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testImportReproducesEverything() {
    testing::TempDir dir;
    std::map<std::string, std::string> env = {
        {"PROM_INV_FILE", dir.path() + "/promsnmp-inventory.json"}, {"PROM_ENCRYPT_KEY", kJavaKey}};
    CPPUNIT_ASSERT_EQUAL(0, testing::runProcess({PROMSNMP_INVENTORY_CLI, "init"}, env).code);
    auto imported = testing::runProcess(
        {PROMSNMP_INVENTORY_CLI, "import", PROMSNMP_TEST_DATA "/java/inventory-java.enc"}, env);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(imported.err, 0, imported.code);
    // `import` is an operator's edit: the fields the file gives become the operator's, which
    // discovery keeps (`init` adopting a Java file, below, leaves them discovery's).
    checkShownEqualsOriginal(env, true);
  }

  void testInitAdoptsJavaFileAtHead() {
    testing::TempDir dir;
    std::string head = dir.path() + "/promsnmp-inventory.json";
    std::string original = readFile(PROMSNMP_TEST_DATA "/java/inventory-java.enc");
    std::ofstream(head, std::ios::binary) << original;
    std::map<std::string, std::string> env = {{"PROM_INV_FILE", head},
                                              {"PROM_ENCRYPT_KEY", kJavaKey}};
    auto init = testing::runProcess({PROMSNMP_INVENTORY_CLI, "init"}, env);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(init.err, 0, init.code);
    CPPUNIT_ASSERT_EQUAL(original, readFile(head + ".java-backup"));
    checkShownEqualsOriginal(env);
  }

 private:
  void checkShownEqualsOriginal(const std::map<std::string, std::string>& env,
                                bool operatorsFields = false) {
    auto shown = testing::runProcess(
        {PROMSNMP_INVENTORY_CLI, "show", "--json", "--include-credentials"}, env);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(shown.err, 0, shown.code);
    Inventory expected =
        inventoryFromJson(readFile(PROMSNMP_TEST_DATA "/java/inventory-java.json"));
    Inventory got = inventoryFromJson(shown.out);
    CPPUNIT_ASSERT_EQUAL(expected.devices.size(), got.devices.size());
    CPPUNIT_ASSERT_EQUAL(expected.discoverySeeds.size(), got.discoverySeeds.size());
    for (size_t i = 0; i < expected.devices.size(); ++i) {
      Device& device = got.devices[i];
      const std::string what = "device " + expected.devices[i].sysName.value_or("(null)");
      CPPUNIT_ASSERT_MESSAGE(
          what, device.operatorOwns("sysName") == (operatorsFields && device.sysName.has_value()));
      CPPUNIT_ASSERT_MESSAGE(what, device.operatorOwns("sysLocation") ==
                                       (operatorsFields && device.sysLocation.has_value()));
      device.operatorSet.reset();
      CPPUNIT_ASSERT_MESSAGE(what, expected.devices[i] == device);
    }
    for (size_t i = 0; i < expected.discoverySeeds.size(); ++i) {
      CPPUNIT_ASSERT(expected.discoverySeeds[i] == got.discoverySeeds[i]);
    }
    // Spot checks written out, independent of the codec that parsed both sides.
    const Device& core = byName(got, "core-sw-01.example.com");
    CPPUNIT_ASSERT(core.sysDescr->size() > 255);
    const Agent& user = core.agents.at(0);
    CPPUNIT_ASSERT(user.type == AgentType::User);
    CPPUNIT_ASSERT_EQUAL(3, user.version);
    CPPUNIT_ASSERT_EQUAL(3, user.securityLevel);
    CPPUNIT_ASSERT_EQUAL(std::string("SHA256"), *user.authProtocol);
    CPPUNIT_ASSERT_EQUAL(std::string("AES256"), *user.privProtocol);
    CPPUNIT_ASSERT_EQUAL(std::string("80:00:1f:88:80:5e:2d:6a:3b:11:22:33:44"), *user.engineId);
    const Device& ups = byName(got, "zrh-ups-01");
    CPPUNIT_ASSERT_EQUAL(0, ups.agents.at(0).version);  // SNMPv1
    CPPUNIT_ASSERT_EQUAL(int64_t(1500), ups.agents.at(0).timeoutMs);
    CPPUNIT_ASSERT_EQUAL(std::string("public-v1"), *ups.agents.at(0).readCommunity);
    CPPUNIT_ASSERT(ups.primaryAgent && ups.primaryAgent->type == AgentType::User);
    CPPUNIT_ASSERT_EQUAL(std::string("Z\xC3\xBCrich \xE2\x80\x94 Rack \xE2\x98\x83 4"),
                         *ups.sysLocation);
    CPPUNIT_ASSERT(!byName(got, "v6-only-fw").primaryAgent);
    CPPUNIT_ASSERT_EQUAL(std::string("v2c"), *got.discoverySeeds.at(0).version);
    CPPUNIT_ASSERT_EQUAL(std::string("v3"), *got.discoverySeeds.at(1).version);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(JavaImportTest);
