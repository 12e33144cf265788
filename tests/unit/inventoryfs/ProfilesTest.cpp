#include "inventoryfs/Profiles.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <cppunit/extensions/HelperMacros.h>

using namespace inventoryfs;

namespace {

/// The shipped file, etc/profiles.yml.
const std::string kShipped = std::string(PROMSNMP_TEST_DATA) + "/../../etc/profiles.yml";

ProfileSet parseOne(const std::string& text, const std::string& name = "a.yml") {
  return ProfileSet::parse({{name, text}});
}

/// The message of the ProfileConfigException that parsing `documents` throws; fails when none.
std::string problemsOf(const std::vector<std::pair<std::string, std::string>>& documents) {
  try {
    ProfileSet::parse(documents);
  } catch (const ProfileConfigException& e) {
    return e.message();
  }
  CPPUNIT_FAIL("no ProfileConfigException");
  return {};
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

}  // namespace

class ProfilesTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ProfilesTest);
  CPPUNIT_TEST(testRecordingsGetTheirShippedProfiles);
  CPPUNIT_TEST(testShippedVendorsGetTheirProfiles);
  CPPUNIT_TEST(testShippedProfilesNameOnlyCatalogueModulesAndCiteASource);
  CPPUNIT_TEST(testPrefixesMatchWholeArcs);
  CPPUNIT_TEST(testTheLaterOfSeveralMatchesWins);
  CPPUNIT_TEST(testSysDescrRefinesAPrefix);
  CPPUNIT_TEST(testASameNamedProfileReplacesTheEarlierInPlace);
  CPPUNIT_TEST(testASiteFileOverridesTheShippedOne);
  CPPUNIT_TEST(testGenericIsBuiltInUntilAFileGivesIt);
  CPPUNIT_TEST(testAnInvalidSysObjectIdIsGeneric);
  CPPUNIT_TEST(testEveryProblemIsReportedWithItsLine);
  CPPUNIT_TEST(testYamlSyntaxAndShapeErrors);
  CPPUNIT_TEST(testProblemsOfEveryFileAreListed);
  CPPUNIT_TEST(testLoadReadsFilesAndNamesAnUnreadableOne);
  CPPUNIT_TEST(testUnknownModulesAreWarnings);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testRecordingsGetTheirShippedProfiles() {
    const ProfileSet set = ProfileSet::load({kShipped});
    // /usr/share/doc/snmpsim/examples/data/cisco_16_switch.snmprec.gz: sysObjectID.0 and
    // sysDescr.0 (hex-encoded there, decoded here).
    Classification c = set.classify(
        "1.3.6.1.4.1.9.1.516",
        "Cisco IOS Software, C3750 Software (C3750-IPSERVICESK9-M), Version 12.2(55)SE10, "
        "RELEASE SOFTWARE (fc2)\r\nTechnical Support: http://www.cisco.com/techsupport\r\n"
        "Copyright (c) 1986-2015 by Cisco Systems, Inc.\r\nCompiled Wed 11-Feb-15 11:40 by "
        "prod_rel_team");
    CPPUNIT_ASSERT_EQUAL(std::string("cisco-ios"), c.profile->name);
    CPPUNIT_ASSERT(!c.generic);
    CPPUNIT_ASSERT_EQUAL(std::string("IOS"), c.profile->os);
    CPPUNIT_ASSERT_MESSAGE(c.reason, c.reason.find("sysObjectID 1.3.6.1.4.1.9.1.516 under "
                                                   "1.3.6.1.4.1.9.1, sysDescr matches /Cisco "
                                                   "IOS Software|") == 0);
    // recorded/linux-full-walk.snmprec.gz
    c = set.classify("1.3.6.1.4.1.8072.3.2.10",
                     "Linux cray 2.6.21.5-smp #2 SMP Tue Jun 19 14:58:11 CDT 2007 i686");
    CPPUNIT_ASSERT_EQUAL(std::string("net-snmp-linux"), c.profile->name);
    CPPUNIT_ASSERT_EQUAL(std::string("Linux"), c.profile->os);
    CPPUNIT_ASSERT(std::find(c.profile->modules.begin(), c.profile->modules.end(), "ucd_diskio") !=
                   c.profile->modules.end());
    // public.snmprec.gz (the site's `public` community)
    c = set.classify("1.3.6.1.4.1.8072.3.2.10",
                     "Linux zeus 4.8.6.5-smp #2 SMP Sun Nov 13 14:58:11 CDT 2016 i686");
    CPPUNIT_ASSERT_EQUAL(std::string("net-snmp-linux"), c.profile->name);
    // recorded/winxp-full-walk.snmprec.gz
    c = set.classify("1.3.6.1.4.1.311.1.1.3.1.1",
                     "Hardware: x86 Family 6 Model 9 Stepping 5 AT/AT COMPATIBLE - Software: "
                     "Windows 2000 Version 5.1 (Build 2600 Uniprocessor Free)");
    CPPUNIT_ASSERT_EQUAL(std::string("windows"), c.profile->name);
    CPPUNIT_ASSERT_EQUAL(std::string("Microsoft"), c.profile->vendor);
    // bgp.snmprec has only the CISCO-BGP4-MIB peer table: no system group, so its agent
    // answers no sysObjectID and the device is generic.
    c = set.classify("", "");
    CPPUNIT_ASSERT(c.generic);
    CPPUNIT_ASSERT_EQUAL(std::string("generic"), c.profile->name);
    CPPUNIT_ASSERT_EQUAL(std::string("no sysObjectID: generic"), c.reason);
  }

  void testShippedVendorsGetTheirProfiles() {
    const ProfileSet set = ProfileSet::load({kShipped});
    const std::vector<std::array<std::string, 3>> cases = {
        // sysObjectID, sysDescr, expected profile
        {"1.3.6.1.4.1.9.1.2494",
         "Cisco IOS Software [Bengaluru], Catalyst L3 Switch Software (CAT9K_IOSXE), Version "
         "17.6.4, RELEASE SOFTWARE (fc1)",
         "cisco-ios-xe"},
        {"1.3.6.1.4.1.9.1.1208",
         "Cisco IOS Software, IOS-XE Software, Catalyst 4500 L3 Switch Software "
         "(cat4500e-UNIVERSALK9-M), Version 03.06.00.E",
         "cisco-ios-xe"},
        {"1.3.6.1.4.1.9.1.122",
         "Cisco Internetwork Operating System Software \r\nIOS (tm) 3600 Software", "cisco-ios"},
        {"1.3.6.1.4.1.9.1.1745", "Cisco Adaptive Security Appliance Version 9.8(4)", "cisco"},
        {"1.3.6.1.4.1.9.12.3.1.3.1084", "Cisco NX-OS(tm) n7000", "cisco-nx-os"},
        {"1.3.6.1.4.1.9.12.3.1.99", "Cisco something", "generic"},  // cevModule, not chassis
        {"1.3.6.1.4.1.2636.1.1.1.2.29", "Juniper Networks, Inc. mx240", "juniper-junos"},
        {"1.3.6.1.4.1.30065.1.3011.7280.3.48", "Arista Networks EOS", "arista-eos"},
        {"1.3.6.1.4.1.14988.1", "RouterOS CCR1009", "mikrotik-routeros"},
        {".1.3.6.1.4.1.11.2.3.7.11.87", "ProCurve J9145A Switch 2910al-24G", "hp-procurve"},
        {"1.3.6.1.4.1.47196.4.1.1.1.100", "Aruba JL658A 6300M", "aruba-cx"},
        {"1.3.6.1.4.1.318.1.3.2.12", "APC Web/SNMP Management Card", "apc-powernet"},
        {"1.3.6.1.2.1.33", "UPS agent", "ups-mib"},
        {"1.3.6.1.4.1.8072.3.2.8", "FreeBSD host", "net-snmp-freebsd"},
        {"1.3.6.1.4.1.8072.3.2.255", "some agent", "net-snmp"},
        {"1.3.6.1.4.1.311.1.1.3.1.2", "Windows Server", "windows"},
        {"1.3.6.1.4.1.99999.1", "unknown", "generic"},
    };
    for (const auto& [oid, descr, expected] : cases) {
      CPPUNIT_ASSERT_EQUAL_MESSAGE(oid, expected, set.classify(oid, descr).profile->name);
    }
  }

  void testShippedProfilesNameOnlyCatalogueModulesAndCiteASource() {
    const ProfileSet set = ProfileSet::load({kShipped});
    const std::set<std::string> catalogue = {"system",
                                             "if_mib",
                                             "hrSystem",
                                             "hrStorage",
                                             "hrDevice",
                                             "hrProcessor",
                                             "hrSWRun",
                                             "ucd_la_table",
                                             "ucd_memory",
                                             "ucd_system_stats",
                                             "ucd_diskio",
                                             "entity_physical",
                                             "entity_sensor",
                                             "bgp4",
                                             "cisco_bgp4",
                                             "cisco_process",
                                             "cisco_memory_pool",
                                             "ups_mib"};
    CPPUNIT_ASSERT_EQUAL(std::string(), [&] {
      std::string all;
      for (const std::string& w : set.unknownModules(catalogue)) {
        all += w + "\n";
      }
      return all;
    }());
    CPPUNIT_ASSERT(set.profiles().size() >= 17);
    for (const Profile& p : set.profiles()) {
      CPPUNIT_ASSERT_MESSAGE(p.name, !p.source.empty());
    }
    CPPUNIT_ASSERT_EQUAL(std::string("system,if_mib"),
                         set.generic().modules[0] + "," + set.generic().modules[1]);
  }

  void testPrefixesMatchWholeArcs() {
    CPPUNIT_ASSERT(oidHasPrefix("1.3.6.1.4.1.9.1", "1.3.6.1.4.1.9"));
    CPPUNIT_ASSERT(oidHasPrefix("1.3.6.1.4.1.9", "1.3.6.1.4.1.9"));
    CPPUNIT_ASSERT(oidHasPrefix(".1.3.6.1.4.1.9.1", "1.3.6.1.4.1.9"));
    CPPUNIT_ASSERT(oidHasPrefix("1.3.6.1.4.1.9.1", ".1.3.6.1.4.1.9"));
    CPPUNIT_ASSERT(!oidHasPrefix("1.3.6.1.4.1.90", "1.3.6.1.4.1.9"));
    CPPUNIT_ASSERT(!oidHasPrefix("1.3.6.1.4.1.90.1", "1.3.6.1.4.1.9"));
    CPPUNIT_ASSERT(!oidHasPrefix("1.3.6.1.4.1", "1.3.6.1.4.1.9"));
    CPPUNIT_ASSERT(!oidHasPrefix("1.3.6.1.4.1.9x", "1.3.6.1.4.1.9"));
    CPPUNIT_ASSERT(!oidHasPrefix("1.3.6.1.4.1.09", "1.3.6.1.4.1.9"));
    CPPUNIT_ASSERT(!oidHasPrefix("", "1.3"));

    const ProfileSet set = parseOne(
        "profiles:\n"
        "  - {name: nine, sys_object_id: 1.3.6.1.4.1.9, modules: [system]}\n");
    CPPUNIT_ASSERT_EQUAL(std::string("nine"),
                         set.classify("1.3.6.1.4.1.9.1.516", "").profile->name);
    CPPUNIT_ASSERT_EQUAL(std::string("nine"), set.classify(".1.3.6.1.4.1.9", "").profile->name);
    const Classification ninety = set.classify("1.3.6.1.4.1.90.1", "");
    CPPUNIT_ASSERT(ninety.generic);
    CPPUNIT_ASSERT_EQUAL(std::string("no profile matches sysObjectID 1.3.6.1.4.1.90.1: generic"),
                         ninety.reason);
  }

  void testTheLaterOfSeveralMatchesWins() {
    // The earlier profile is the more specific: order decides, not prefix length.
    const ProfileSet set = parseOne(
        "profiles:\n"
        "  - name: specific\n"
        "    sys_object_id: 1.3.6.1.4.1.9.1.516\n"
        "    modules: [system]\n"
        "  - name: general\n"
        "    sys_object_id: [1.3.6.1.4.1.8072, 1.3.6.1.4.1.9]\n"
        "    modules: [if_mib]\n");
    const Classification c = set.classify("1.3.6.1.4.1.9.1.516", "");
    CPPUNIT_ASSERT_EQUAL(std::string("general"), c.profile->name);
    CPPUNIT_ASSERT_EQUAL(
        std::string("sysObjectID 1.3.6.1.4.1.9.1.516 under 1.3.6.1.4.1.9 (a.yml:5)"), c.reason);
  }

  void testSysDescrRefinesAPrefix() {
    const ProfileSet set = parseOne(
        "profiles:\n"
        "  - name: cisco\n"
        "    sys_object_id: 1.3.6.1.4.1.9.1\n"
        "    modules: [system]\n"
        "  - name: ios-xe\n"
        "    sys_object_id: 1.3.6.1.4.1.9.1\n"
        "    sys_descr: 'IOS-XE|IOSXE'\n"
        "    modules: [system, cisco_process]\n"
        "  - name: only-xr\n"
        "    sys_object_id: 1.3.6.1.4.1.9.1\n"
        "    sys_descr: '^Cisco IOS XR'\n"
        "    modules: [system]\n");
    // Searched anywhere in sysDescr (not anchored unless the pattern says so).
    Classification c = set.classify("1.3.6.1.4.1.9.1.2494", "Cisco IOS Software (CAT9K_IOSXE)");
    CPPUNIT_ASSERT_EQUAL(std::string("ios-xe"), c.profile->name);
    CPPUNIT_ASSERT_EQUAL(std::string("sysObjectID 1.3.6.1.4.1.9.1.2494 under 1.3.6.1.4.1.9.1, "
                                     "sysDescr matches /IOS-XE|IOSXE/ (a.yml:5)"),
                         c.reason);
    // A sysDescr neither pattern finds falls back to the general rule before them.
    c = set.classify("1.3.6.1.4.1.9.1.516", "Cisco IOS Software, C3750 Software");
    CPPUNIT_ASSERT_EQUAL(std::string("cisco"), c.profile->name);
    // An anchored pattern that is found, but not at the start, does not match.
    c = set.classify("1.3.6.1.4.1.9.1.1", "Version: Cisco IOS XR Software");
    CPPUNIT_ASSERT_EQUAL(std::string("cisco"), c.profile->name);
    c = set.classify("1.3.6.1.4.1.9.1.1", "Cisco IOS XR Software");
    CPPUNIT_ASSERT_EQUAL(std::string("only-xr"), c.profile->name);
    // With only refined rules for a prefix, the reason says the sysDescr did not match.
    const ProfileSet refinedOnly = parseOne(
        "profiles:\n"
        "  - {name: x, sys_object_id: 1.3.6.1.4.1.9, sys_descr: XE, modules: [system]}\n");
    c = refinedOnly.classify("1.3.6.1.4.1.9.1", "IOS");
    CPPUNIT_ASSERT(c.generic);
    CPPUNIT_ASSERT_EQUAL(
        std::string("no profile matches sysObjectID 1.3.6.1.4.1.9.1 with this sysDescr: generic"),
        c.reason);
  }

  void testASameNamedProfileReplacesTheEarlierInPlace() {
    const ProfileSet set = ProfileSet::parse(
        {{"shipped.yml",
          "profiles:\n"
          "  - {name: broad, sys_object_id: 1.3.6.1.4.1.9, modules: [system]}\n"
          "  - {name: narrow, sys_object_id: 1.3.6.1.4.1.9.1, modules: [if_mib]}\n"},
         {"site.yml",
          "\n"
          "profiles:\n"
          "  - name: broad\n"
          "    sys_object_id: 1.3.6.1.4.1.9\n"
          "    modules: [system, entity_physical]\n"}});
    CPPUNIT_ASSERT_EQUAL(size_t(2), set.profiles().size());
    const Profile& broad = set.profiles()[0];
    CPPUNIT_ASSERT_EQUAL(std::string("broad"), broad.name);
    CPPUNIT_ASSERT_EQUAL(std::string("site.yml"), broad.file);
    CPPUNIT_ASSERT_EQUAL(3, broad.line);
    CPPUNIT_ASSERT_EQUAL(size_t(2), broad.modules.size());
    // In place: the replaced profile keeps its position, so `narrow` still wins under .9.1 ...
    CPPUNIT_ASSERT_EQUAL(std::string("narrow"),
                         set.classify("1.3.6.1.4.1.9.1.516", "").profile->name);
    // ... and the site's version answers elsewhere under .9.
    CPPUNIT_ASSERT_EQUAL(&set.profiles()[0], set.classify("1.3.6.1.4.1.9.2", "").profile);
  }

  void testASiteFileOverridesTheShippedOne() {
    const std::string site =
        "profiles:\n"
        "  - name: our-c3750\n"
        "    vendor: Cisco\n"
        "    os: IOS\n"
        "    sys_object_id: 1.3.6.1.4.1.9.1.516\n"
        "    modules: [system, if_mib]\n"
        "generic:\n"
        "  modules: [system]\n";
    std::ifstream in(kShipped);
    const std::string shipped((std::istreambuf_iterator<char>(in)), {});
    const ProfileSet set = ProfileSet::parse({{kShipped, shipped}, {"site.yml", site}});
    CPPUNIT_ASSERT_EQUAL(std::string("our-c3750"),
                         set.classify("1.3.6.1.4.1.9.1.516", "Cisco IOS Software").profile->name);
    CPPUNIT_ASSERT_EQUAL(std::string("cisco-ios"),
                         set.classify("1.3.6.1.4.1.9.1.517", "Cisco IOS Software").profile->name);
    CPPUNIT_ASSERT_EQUAL(size_t(1), set.classify("1.3.6.1.4.1.99999", "").profile->modules.size());
    CPPUNIT_ASSERT_EQUAL(std::string("site.yml"), set.generic().file);
    CPPUNIT_ASSERT_EQUAL(7, set.generic().line);
  }

  void testGenericIsBuiltInUntilAFileGivesIt() {
    const ProfileSet none;
    CPPUNIT_ASSERT_EQUAL(std::string("generic"), none.generic().name);
    CPPUNIT_ASSERT_EQUAL(size_t(2), none.generic().modules.size());
    CPPUNIT_ASSERT(none.generic().optionalModules.empty());
    // An empty file (or one of comments) defines nothing and is no error.
    const ProfileSet empty = parseOne("# nothing yet\n");
    CPPUNIT_ASSERT(empty.profiles().empty());
    CPPUNIT_ASSERT_EQUAL(std::string("if_mib"), empty.generic().modules[1]);
    const ProfileSet given = parseOne(
        "generic:\n"
        "  modules: [system]\n"
        "  optional_modules: [hrStorage, bgp4]\n");
    const Classification c = given.classify("1.3.6.1.4.1.99999.1", "");
    CPPUNIT_ASSERT(c.generic);
    CPPUNIT_ASSERT_EQUAL(&given.generic(), c.profile);
    CPPUNIT_ASSERT_EQUAL(std::string("bgp4"), c.profile->optionalModules[1]);
  }

  void testAnInvalidSysObjectIdIsGeneric() {
    const ProfileSet set = parseOne(
        "profiles:\n"
        "  - {name: all, sys_object_id: '1.3', modules: [system]}\n");
    CPPUNIT_ASSERT(!set.classify("1.3.6", "").generic);
    for (const char* bad : {"iso.3.6", "1.3..6", "1", "1.3.6.", "1.3.6.1.99999999999"}) {
      const Classification c = set.classify(bad, "");
      CPPUNIT_ASSERT_MESSAGE(bad, c.generic);
      CPPUNIT_ASSERT_EQUAL(std::string("sysObjectID '") + bad + "' is not a numeric OID: generic",
                           c.reason);
    }
  }

  void testEveryProblemIsReportedWithItsLine() {
    const std::string text =
        "profiles:\n"                                                          // 1
        "  - name: one\n"                                                      // 2
        "    sys_object_id: [1.3.6.1.4.1.9, 1.3.6.1.4.1.09, enterprises.9]\n"  // 3
        "    sys_descr: 'IOS(XE'\n"                                            // 4
        "    modules: [system, [x], system]\n"                                 // 5
        "    optional_modules: [if_mib, system]\n"                             // 6
        "    colour: red\n"                                                    // 7
        "    vendor: Cisco\n"                                                  // 8
        "    vendor: Juniper\n"                                                // 9
        "  - vendor: nameless\n"                                               // 10
        "  - name: two\n"                                                      // 11
        "    sys_object_id: 1.3.6\n"                                           // 12
        "    modules: []\n"                                                    // 13
        "  - {name: three, sys_object_id: 1.3.6, modules: [a]}\n"              // 14
        "  - {name: three, sys_object_id: 1.3.7, modules: [b]}\n"              // 15
        "  - {name: generic, sys_object_id: 1.3.7, modules: [b]}\n"            // 16
        "generic:\n"                                                           // 17
        "  module: [system]\n"                                                 // 18
        "extra: 1\n";                                                          // 19
    const std::string kNotAnOid = " is not a numeric OID (such as 1.3.6.1.4.1.9.1)";
    const std::vector<std::string> expected = {
        "f.yml:3: profiles[0].sys_object_id[1]: '1.3.6.1.4.1.09'" + kNotAnOid,
        "f.yml:3: profiles[0].sys_object_id[2]: 'enterprises.9'" + kNotAnOid,
        "f.yml:4: profiles[0].sys_descr: not a valid RE2 expression: missing ): IOS(XE",
        "f.yml:5: profiles[0].modules[1]: expected a string",
        "f.yml:5: profiles[0].modules[2]: module 'system' listed twice",
        "f.yml:6: profiles[0].optional_modules[1]: module 'system' listed twice",
        "f.yml:7: profiles[0].colour: unknown key",
        "f.yml:9: profiles[0].vendor: given twice",
        "f.yml:10: profiles[1]: `name` is missing",
        "f.yml:10: profiles[1]: `sys_object_id` is missing (at least one OID prefix)",
        "f.yml:10: profiles[1]: `modules` is missing",
        "f.yml:13: profiles[2].modules: needs at least one module",
        "f.yml:15: profiles[4].name: profile 'three' already defined at line 14 of this file",
        "f.yml:16: profiles[5].name: 'generic' is the name of `generic:`",
        "f.yml:17: generic: `modules` is missing",
        "f.yml:18: generic.module: unknown key",
        "f.yml:19: extra: unknown key",
    };
    const std::vector<std::string> got = lines(problemsOf({{"f.yml", text}}));
    for (size_t i = 0; i < std::max(expected.size(), got.size()); ++i) {
      CPPUNIT_ASSERT_EQUAL(i < expected.size() ? expected[i] : std::string("(none)"),
                           i < got.size() ? got[i] : std::string("(none)"));
    }
  }

  void testYamlSyntaxAndShapeErrors() {
    CPPUNIT_ASSERT_EQUAL(std::string("s.yml:3: YAML syntax: end of map flow not found"),
                         problemsOf({{"s.yml", "profiles:\n  - {name: a,\n"}}));
    CPPUNIT_ASSERT_EQUAL(std::string("s.yml:1: expected a mapping with `profiles` and `generic`"),
                         problemsOf({{"s.yml", "- name: a\n"}}));
    // A key's control characters are escaped: one problem, one line.
    CPPUNIT_ASSERT_EQUAL(std::string("s.yml:1: odd\\x0Akey: unknown key"),
                         problemsOf({{"s.yml", "\"odd\\nkey\": 1\n"}}));
    CPPUNIT_ASSERT_EQUAL(std::string("s.yml:1: profiles: expected a list of profiles"),
                         problemsOf({{"s.yml", "profiles: {name: a}\n"}}));
    CPPUNIT_ASSERT_EQUAL(
        std::string("s.yml:2: profiles[0]: expected a mapping (name, sys_object_id, modules…)"),
        problemsOf({{"s.yml", "profiles:\n  - just-a-name\n"}}));
    CPPUNIT_ASSERT_EQUAL(
        std::string("s.yml:2: profiles[0].modules: expected a list of strings"),
        problemsOf({{"s.yml", "profiles:\n  - {name: a, sys_object_id: 1.3, modules: {x: y}}\n"}}));
  }

  void testProblemsOfEveryFileAreListed() {
    const std::string message = problemsOf(
        {{"a.yml", "profiles:\n  - {name: a, sys_object_id: 1.3, modules: [system], x: 1}\n"},
         {"ok.yml", "profiles: []\n"},
         {"b.yml", "generic: {modules: [system]}\nprofile: []\n"}});
    CPPUNIT_ASSERT_EQUAL(
        std::string("a.yml:2: profiles[0].x: unknown key\nb.yml:2: profile: unknown key"), message);
  }

  void testLoadReadsFilesAndNamesAnUnreadableOne() {
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("profiles-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string good = (dir / "good.yml").string();
    const std::string bad = (dir / "bad.yml").string();
    std::ofstream(good) << "profiles:\n  - {name: a, sys_object_id: 1.3.6, modules: [system]}\n";
    std::ofstream(bad) << "profiles:\n  - {name: b, sys_object_id: x, modules: [system]}\n";
    const ProfileSet set = ProfileSet::load({good});
    CPPUNIT_ASSERT_EQUAL(good, set.profiles().at(0).file);
    CPPUNIT_ASSERT_EQUAL(good, set.files().at(0));
    std::string message;
    try {
      ProfileSet::load({good, (dir / "missing.yml").string(), bad});
    } catch (const ProfileConfigException& e) {
      message = e.message();
    }
    std::string directory;
    try {
      ProfileSet::load({dir.string()});
    } catch (const ProfileConfigException& e) {
      directory = e.message();
    }
    std::filesystem::remove_all(dir);
    CPPUNIT_ASSERT_EQUAL(dir.string() + ": cannot read: it is a directory", directory);
    CPPUNIT_ASSERT_EQUAL((dir / "missing.yml").string() +
                             ": cannot read: No such file or directory\n" + bad +
                             ":2: profiles[0].sys_object_id: 'x' is not a numeric OID (such as "
                             "1.3.6.1.4.1.9.1)",
                         message);
  }

  void testUnknownModulesAreWarnings() {
    const ProfileSet set = parseOne(
        "profiles:\n"
        "  - name: a\n"
        "    sys_object_id: 1.3.6\n"
        "    modules: [system, vendor_cpu]\n"
        "    optional_modules: [bgp4]\n"
        "generic:\n"
        "  modules: [system]\n"
        "  optional_modules: [ups_mib]\n");
    const std::vector<std::string> warnings = set.unknownModules({"system", "if_mib"});
    CPPUNIT_ASSERT_EQUAL(size_t(3), warnings.size());
    CPPUNIT_ASSERT_EQUAL(std::string("a.yml:2: profile a: module 'vendor_cpu' is not loaded"),
                         warnings[0]);
    CPPUNIT_ASSERT_EQUAL(std::string("a.yml:2: profile a: module 'bgp4' is not loaded"),
                         warnings[1]);
    CPPUNIT_ASSERT_EQUAL(std::string("a.yml:6: profile generic: module 'ups_mib' is not loaded"),
                         warnings[2]);
    CPPUNIT_ASSERT(set.unknownModules({"system", "vendor_cpu", "bgp4", "ups_mib"}).empty());
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ProfilesTest);
