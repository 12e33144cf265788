// Tests of the profiles files in force (discovery.profile_files): loaded like the module files,
// a bad reload keeps the last good set and says so (status, metric), modules the profiles name
// but no module file defines are warnings, and no files means the built-in generic profile.
#include "discovery/ProfileRegistry.h"

#include <fstream>
#include <set>
#include <string>

#include <Poco/File.h>
#include <Poco/TemporaryFile.h>
#include <cppunit/extensions/HelperMacros.h>

#include "exposition/SelfMetrics.h"

using namespace promsnmp;

namespace {

const char* const kCisco =
    "profiles:\n  - name: cisco\n    vendor: Cisco\n    sys_object_id: 1.3.6.1.4.1.9\n"
    "    modules: [system, if_mib, cisco_process]\n";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

class ProfileRegistryTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ProfileRegistryTest);
  CPPUNIT_TEST(testNoFilesIsTheGenericProfile);
  CPPUNIT_TEST(testLoadsFilesAndGlobsInOrder);
  CPPUNIT_TEST(testBadReloadKeepsTheLastGoodSet);
  CPPUNIT_TEST(testUnknownModulesAreWarnings);
  CPPUNIT_TEST(testGlobMatchingNothingWarnsAndAMissingPathFails);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override { dir_.createDirectories(); }

  std::string write(const std::string& name, const std::string& text) {
    std::string path = dir_.path() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  void testNoFilesIsTheGenericProfile() {
    ProfileRegistry registry;
    CPPUNIT_ASSERT_EQUAL(std::string(""), registry.load({}, nullptr));
    auto set = registry.current();
    CPPUNIT_ASSERT(set->profiles().empty());
    inventoryfs::Classification c = set->classify("1.3.6.1.4.1.9.1.516", "Cisco IOS");
    CPPUNIT_ASSERT(c.generic);
    CPPUNIT_ASSERT((std::vector<std::string>{"system", "if_mib"}) == c.profile->modules);
  }

  void testLoadsFilesAndGlobsInOrder() {
    write("shipped.yml", kCisco);
    Poco::File(dir_.path() + "/site.d").createDirectories();
    // A site rule for the same prefix, defined later, wins.
    write("site.d/10-lab.yml",
          "profiles:\n  - name: lab-cisco\n    sys_object_id: 1.3.6.1.4.1.9.1\n"
          "    modules: [system]\n");
    ProfileRegistry registry;
    CPPUNIT_ASSERT_EQUAL(
        std::string(""),
        registry.load({dir_.path() + "/shipped.yml", dir_.path() + "/site.d/*.yml"}, nullptr));
    ProfileRegistry::Status s = registry.status();
    CPPUNIT_ASSERT_EQUAL(size_t{2}, s.profiles);
    CPPUNIT_ASSERT_EQUAL(size_t{2}, s.files.size());
    CPPUNIT_ASSERT_EQUAL(dir_.path() + "/site.d/10-lab.yml", s.files[1]);
    CPPUNIT_ASSERT_EQUAL(std::string("lab-cisco"),
                         registry.current()->classify("1.3.6.1.4.1.9.1.516", "").profile->name);
  }

  void testBadReloadKeepsTheLastGoodSet() {
    SelfMetrics metrics(false);
    ProfileRegistry registry(&metrics);
    const std::string file = write("profiles.yml", kCisco);
    CPPUNIT_ASSERT_EQUAL(std::string(""), registry.load({file}, nullptr));
    CPPUNIT_ASSERT(contains(metrics.render(), "promsnmp_profiles_config_last_reload_successful 1"));
    CPPUNIT_ASSERT(contains(metrics.render(), "promsnmp_profiles_loaded 1"));

    write("profiles.yml", "profiles:\n  - name: broken\n    sys_object_id: 1.3.6.1.4.1.9\n");
    const std::string error = registry.load({file}, nullptr);
    CPPUNIT_ASSERT_MESSAGE(error, contains(error, file + ":2: "));
    ProfileRegistry::Status s = registry.status();
    CPPUNIT_ASSERT(!s.lastLoadOk);
    CPPUNIT_ASSERT_EQUAL(error, s.lastError);
    CPPUNIT_ASSERT_EQUAL(uint64_t{1}, s.failures);
    CPPUNIT_ASSERT_EQUAL(std::string("cisco"),
                         registry.current()->classify("1.3.6.1.4.1.9.1.516", "").profile->name);
    CPPUNIT_ASSERT(contains(metrics.render(), "promsnmp_profiles_config_last_reload_successful 0"));

    write("profiles.yml", kCisco);
    CPPUNIT_ASSERT_EQUAL(std::string(""), registry.load({file}, nullptr));
    CPPUNIT_ASSERT(registry.status().lastLoadOk);
    CPPUNIT_ASSERT(registry.status().lastError.empty());
    CPPUNIT_ASSERT(contains(metrics.render(), "promsnmp_profiles_config_last_reload_successful 1"));
  }

  void testUnknownModulesAreWarnings() {
    const std::string file = write("profiles.yml", kCisco);
    ProfileRegistry registry;
    const std::set<std::string> known = {"system", "if_mib"};
    CPPUNIT_ASSERT_EQUAL(std::string(""), registry.load({file}, &known));
    ProfileRegistry::Status s = registry.status();
    CPPUNIT_ASSERT(s.lastLoadOk);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, s.warnings.size());
    CPPUNIT_ASSERT_MESSAGE(s.warnings[0],
                           contains(s.warnings[0], "module 'cisco_process' is not loaded"));
    // Unchecked without the loaded modules.
    CPPUNIT_ASSERT_EQUAL(std::string(""), registry.load({file}, nullptr));
    CPPUNIT_ASSERT(registry.status().warnings.empty());
  }

  void testGlobMatchingNothingWarnsAndAMissingPathFails() {
    ProfileRegistry registry;
    CPPUNIT_ASSERT_EQUAL(std::string(""), registry.load({dir_.path() + "/*.yml"}, nullptr));
    ProfileRegistry::Status s = registry.status();
    CPPUNIT_ASSERT_EQUAL(size_t{1}, s.warnings.size());
    CPPUNIT_ASSERT(contains(s.warnings[0], "no file matches this pattern"));
    const std::string error = registry.load({dir_.path() + "/missing.yml"}, nullptr);
    CPPUNIT_ASSERT_MESSAGE(error, contains(error, dir_.path() + "/missing.yml"));
    CPPUNIT_ASSERT(!registry.status().lastLoadOk);
  }

 private:
  Poco::TemporaryFile dir_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ProfileRegistryTest);
