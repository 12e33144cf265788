// Tests of `promsnmp --config.check` (snmp_exporter's --dry-run): the module files of
// snmp.module_files are loaded too; their problems are printed as file:line with exit 78, and
// a configuration that loads is summarised per module file. Secrets never reach the output.
#include "app/ConfigCheck.h"

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <Poco/TemporaryFile.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace promsnmp;

namespace {

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome check(const std::map<std::string, std::string>& env) {
  ConfigSources sources;
  sources.defaultFile = "";  // never the host's /etc/promsnmp
  sources.env = env;
  std::ostringstream out;
  std::ostringstream err;
  const int code = runConfigCheck(sources, out, err);
  return {code, out.str(), err.str()};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

class ConfigCheckTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ConfigCheckTest);
  CPPUNIT_TEST(testWithoutModuleFiles);
  CPPUNIT_TEST(testModuleFilesSummarised);
  CPPUNIT_TEST(testModuleFileProblemsExit78WithFileLine);
  CPPUNIT_TEST(testPatternMatchingNothing);
  CPPUNIT_TEST(testEnvironmentExpansionUsesTheSourcesEnvironment);
  CPPUNIT_TEST(testSettingProblemsExit78);
  CPPUNIT_TEST(testProfileFileProblemsExit78WithFileLine);
  CPPUNIT_TEST(testProfilesNamingUnloadedModulesWarn);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override { dir_.createDirectories(); }

  std::string write(const std::string& name, const std::string& text) {
    std::string path = dir_.path() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  void testWithoutModuleFiles() {
    const Outcome o = check({});
    CPPUNIT_ASSERT_EQUAL_MESSAGE(o.err, 0, o.code);
    CPPUNIT_ASSERT(contains(o.out, "snmp.module_files = \"\"  # default"));
    CPPUNIT_ASSERT(!contains(o.out, "# module files"));
    CPPUNIT_ASSERT(contains(o.err, "configuration ok"));
  }

  void testModuleFilesSummarised() {
    const std::string current = write("10-current.yml",
                                      "auths:\n  public_v2: {}\n  v1: {version: 1}\n"
                                      "modules:\n  if_mib:\n    walk: [1.3.6.1.2.1.2]\n"
                                      "  system:\n    walk: [1.3.6.1.2.1.1]\n");
    const std::string flat = write("20-flat.yml", "ucd:\n  walk: [1.3.6.1.4.1.2021.10]\n");
    const Outcome o = check({{"PROMSNMP_MODULES_FILES", dir_.path() + "/*.yml"}});
    CPPUNIT_ASSERT_EQUAL_MESSAGE(o.err, 0, o.code);
    CPPUNIT_ASSERT_MESSAGE(
        o.out, contains(o.out, "# module files: 3 modules, 2 auths\n#   " + current +
                                   ": 2 modules, 2 auths\n#   " + flat + ": 1 module, 0 auths\n"));
  }

  void testModuleFileProblemsExit78WithFileLine() {
    const std::string bad = write("bad.yml",
                                  "modules:\n  m:\n    walk: [ifTable]\n    metrics:\n"
                                  "    - name: a\n      oid: 1.1\n      type: Foo\n");
    const Outcome o = check({{"PROMSNMP_MODULES_FILES", bad}});
    CPPUNIT_ASSERT_EQUAL(78, o.code);
    CPPUNIT_ASSERT(o.out.empty());
    CPPUNIT_ASSERT_MESSAGE(o.err,
                           contains(o.err, "(snmp.module_files, env PROMSNMP_MODULES_FILES)"));
    CPPUNIT_ASSERT_MESSAGE(o.err, contains(o.err, bad + ":3: modules.m.walk[0]: \"ifTable\" is "
                                                        "not a numeric OID"));
    CPPUNIT_ASSERT_MESSAGE(o.err, contains(o.err, bad + ":7: modules.m.metrics[0].type: unknown "
                                                        "type \"Foo\""));
  }

  // A glob that matches nothing warns (an empty modules.d/ must not stop a start); a literal
  // path that does not exist is an error.
  void testPatternMatchingNothing() {
    Outcome o = check({{"PROMSNMP_MODULES_FILES", dir_.path() + "/*.yml"}});
    CPPUNIT_ASSERT_EQUAL(0, o.code);
    CPPUNIT_ASSERT_MESSAGE(
        o.err, contains(o.err, "warning: " + dir_.path() + "/*.yml: no file matches this pattern"));
    o = check({{"PROMSNMP_MODULES_FILES", dir_.path() + "/missing.yml"}});
    CPPUNIT_ASSERT_EQUAL(78, o.code);
    CPPUNIT_ASSERT_MESSAGE(o.err, contains(o.err, dir_.path() + "/missing.yml: cannot read"));
  }

  void testEnvironmentExpansionUsesTheSourcesEnvironment() {
    const std::string file = write("v3.yml",
                                   "auths:\n  v3:\n    version: 3\n    security_level: authNoPriv\n"
                                   "    username: u\n    password: ${SNMP_PASS}\n");
    std::map<std::string, std::string> env = {{"PROMSNMP_MODULES_FILES", file},
                                              {"PROMSNMP_MODULES_EXPAND_ENVIRONMENT", "true"}};
    Outcome o = check(env);
    CPPUNIT_ASSERT_EQUAL(78, o.code);
    CPPUNIT_ASSERT_MESSAGE(o.err, contains(o.err, file + ":6: auths.v3.password: environment "
                                                         "variable \"SNMP_PASS\" is not set"));
    env["SNMP_PASS"] = "very-secret-marker";
    o = check(env);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(o.err, 0, o.code);
    CPPUNIT_ASSERT(!contains(o.out + o.err, "very-secret-marker"));
  }

  void testProfileFileProblemsExit78WithFileLine() {
    const std::string bad = write("profiles.yml",
                                  "profiles:\n  - name: x\n    sys_object_id: enterprises.9\n"
                                  "    modules: [system]\n");
    const Outcome o = check({{"PROMSNMP_PROFILES_FILES", bad}});
    CPPUNIT_ASSERT_EQUAL(78, o.code);
    CPPUNIT_ASSERT(o.out.empty());
    CPPUNIT_ASSERT_MESSAGE(
        o.err, contains(o.err, "(discovery.profile_files, env PROMSNMP_PROFILES_FILES)"));
    CPPUNIT_ASSERT_MESSAGE(o.err, contains(o.err, bad + ":3: "));
    CPPUNIT_ASSERT_MESSAGE(o.err, contains(o.err, "is not a numeric OID"));
  }

  void testProfilesNamingUnloadedModulesWarn() {
    const std::string modules =
        write("snmp.yml", "modules:\n  system:\n    walk: [1.3.6.1.2.1.1]\n");
    const std::string profiles = write("profiles.yml",
                                       "profiles:\n  - name: x\n    sys_object_id: 1.3.6.1.4.1.9\n"
                                       "    modules: [system, cisco_process]\n");
    const Outcome o =
        check({{"PROMSNMP_MODULES_FILES", modules}, {"PROMSNMP_PROFILES_FILES", profiles}});
    CPPUNIT_ASSERT_EQUAL_MESSAGE(o.err, 0, o.code);
    CPPUNIT_ASSERT_MESSAGE(o.out, contains(o.out, "# profiles files: 1 profiles from 1 files"));
    CPPUNIT_ASSERT_MESSAGE(o.err, contains(o.err, "warning: " + profiles +
                                                      ":2: profile x: "
                                                      "module 'cisco_process' is not loaded"));
    CPPUNIT_ASSERT_MESSAGE(o.err, !contains(o.err, "module 'system'"));
    // The built-in generic profile's if_mib is not loaded either.
    CPPUNIT_ASSERT_MESSAGE(o.err, contains(o.err, "module 'if_mib' is not loaded"));
  }

  void testSettingProblemsExit78() {
    const Outcome o = check({{"PROMSNMP_MODULES_EXPAND_ENVIRONMENT", "perhaps"}});
    CPPUNIT_ASSERT_EQUAL(78, o.code);
    CPPUNIT_ASSERT_MESSAGE(o.err, contains(o.err, "env PROMSNMP_MODULES_EXPAND_ENVIRONMENT"));
  }

 private:
  Poco::TemporaryFile dir_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConfigCheckTest);
