// The module catalogue promsnmp ships (etc/modules/*.yml, issue 15 scope 3) against agents that
// have its MIBs. One snmpsimd serves, each under its own community: the snmpsim package's
// cisco_16_switch (CISCO-PROCESS-MIB, CISCO-MEMORY-POOL-MIB, ENTITY-MIB, IF-MIB), bgp
// (CISCO-BGP4-MIB cbgpPeer2LastErrorTxt only), recorded/linux-full-walk (UCD-SNMP-MIB) and
// recorded/winxp-full-walk (HOST-RESOURCES-MIB), and the project's recordings for the MIBs none
// of those has (tests/data/recordings/README.md: BGP4-MIB and the whole cbgpPeer2Table, ENTITY-
// and ENTITY-SENSOR-MIB, UPS-MIB, UCD-DISKIO-MIB). A promsnmp daemon loads the catalogue plus one
// file of the test's auths (auth name = community) and answers
//   /snmp?target=127.0.0.1:<agent port>&module=<module>&auth=<recording>
// Checked: every catalogue file loads with the project's loader and defines the modules the
// dashboards and profiles name; every module's answer is 200, clean for `promtool check metrics`
// (PromtoolFindings.h), and has the series and values the recording holds, with the labels the
// generator gives (index and lookup labels; enumerations as numbers, except the sensor type and
// status lookups, which are names).
#include <glob.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <cppunit/extensions/HelperMacros.h>

#include "DaemonHelpers.h"
#include "ProcessHelpers.h"
#include "PromtoolFindings.h"
#include "SeriesDiff.h"
#include "SnmpAgentHelpers.h"
#include "modules/ModuleLoader.h"

using namespace testing;

namespace {

using Clock = std::chrono::steady_clock;
using Labels = std::map<std::string, std::string>;

const std::string kCatalogueDir = std::string(PROMSNMP_SOURCE_DIR) + "/etc/modules";
const std::string kRecordingsDir = std::string(PROMSNMP_TEST_DATA) + "/recordings";
constexpr int kScrapeTimeoutMs = 30000;

/// The catalogue's files and the modules each must define (the names the dashboards, alerts and
/// default profiles use).
const std::map<std::string, std::set<std::string>> kCatalogue = {
    {"mib2.yml", {"system", "if_mib"}},
    {"host-resources.yml", {"hrSystem", "hrStorage", "hrDevice", "hrProcessor", "hrSWRun"}},
    {"ucd.yml", {"ucd_la_table", "ucd_memory", "ucd_system_stats", "ucd_diskio"}},
    {"entity.yml", {"entity_physical", "entity_sensor"}},
    {"bgp.yml", {"bgp4", "cisco_bgp4"}},
    {"cisco.yml", {"cisco_process", "cisco_memory_pool"}},
    {"ups.yml", {"ups_mib"}},
};

/// Community -> recording (relative: the snmpsim package's; absolute: the project's).
const std::map<std::string, std::string> kRecordings = {
    {"bgp", "bgp.snmprec"},
    {"linux-full-walk", "recorded/linux-full-walk.snmprec.gz"},
    {"winxp-full-walk", "recorded/winxp-full-walk.snmprec.gz"},
    {"cisco-asr1001x-bgp", kRecordingsDir + "/cisco-asr1001x-bgp.snmprec"},
    {"arista-7280-sensors", kRecordingsDir + "/arista-7280-sensors.snmprec"},
    {"apc-smartups-2200", kRecordingsDir + "/apc-smartups-2200.snmprec"},
    {"net-snmp-linux-diskio", kRecordingsDir + "/net-snmp-linux-diskio.snmprec"},
};  // plus cisco_16_switch, SnmpSimAgent's own

/// One series the answer must have: its name, labels it must include, and its value.
struct Expected {
  std::string metric;
  Labels labels;
  double value;
};

/// A module scraped with a recording's community, the series it must have at least, and some
/// of them with the recording's values.
struct Check {
  std::string auth;
  std::string module;
  std::size_t minSeries;
  std::vector<Expected> series;
};

const std::vector<Check> kChecks = {
    {"cisco_16_switch",
     "system",
     7,
     {{"sysUpTime", {}, 697202257},
      {"sysName", {{"sysName", "Profiler3750"}}, 1},
      {"sysLocation", {{"sysLocation", "Bangalore"}}, 1},
      {"sysObjectID", {{"sysObjectID", "1.3.6.1.4.1.9.1.516"}}, 1}}},
    {"cisco_16_switch",
     "if_mib",
     1000,
     {{"ifHCInOctets", {{"ifIndex", "11003"}, {"ifName", "Fa3/0/3"}}, 21183138878.0},
      {"ifHCOutOctets", {{"ifIndex", "11048"}}, 76614543604.0},
      {"ifInErrors", {{"ifIndex", "11048"}}, 1},
      {"ifOperStatus", {{"ifIndex", "1"}, {"ifDescr", "Vlan1"}}, 1}}},
    {"cisco_16_switch",
     "cisco_process",
     4,
     {{"cpmCPUTotal5secRev", {{"cpmCPUTotalIndex", "1"}}, 90},
      {"cpmCPUTotal1minRev", {{"cpmCPUTotalIndex", "1"}}, 53},
      {"cpmCPUTotal5minRev", {{"cpmCPUTotalIndex", "1"}}, 25},
      {"cpmCPUTotalPhysicalIndex", {{"cpmCPUTotalIndex", "1"}}, 0}}},
    {"cisco_16_switch",
     "cisco_memory_pool",
     15,
     {{"ciscoMemoryPoolUsed",
       {{"ciscoMemoryPoolType", "1"}, {"ciscoMemoryPoolName", "Processor"}},
       34973844},
      {"ciscoMemoryPoolFree",
       {{"ciscoMemoryPoolType", "1"}, {"ciscoMemoryPoolName", "Processor"}},
       33184936},
      {"ciscoMemoryPoolUsed",
       {{"ciscoMemoryPoolType", "2"}, {"ciscoMemoryPoolName", "I/O"}},
       8710324},
      {"ciscoMemoryPoolValid", {{"ciscoMemoryPoolType", "16"}}, 1}}},
    {"cisco_16_switch",
     "entity_physical",
     100,
     {{"entPhysicalDescr",
       {{"entPhysicalIndex", "1"}, {"entPhysicalDescr", "Catalyst 37xx Switch Stack"}},
       1},
      {"entPhysicalClass", {{"entPhysicalIndex", "1"}}, 11},
      {"entPhysicalClass", {{"entPhysicalIndex", "3001"}}, 3},
      {"entPhysicalSerialNum",
       {{"entPhysicalIndex", "3001"}, {"entPhysicalSerialNum", "CAT0952N20R"}},
       1},
      {"entPhysicalModelName",
       {{"entPhysicalIndex", "3001"}, {"entPhysicalModelName", "WS-C3750-48PS-S"}},
       1}}},
    {"bgp",
     "cisco_bgp4",
     14,
     {{"cbgpPeer2LastErrorTxt",
       {{"cbgpPeer2RemoteAddr", "192.168.1.10"},
        {"cbgpPeer2LastErrorTxt", "administrative shutdown"}},
       1},
      {"cbgpPeer2LastErrorTxt",
       {{"cbgpPeer2RemoteAddr", "2A01:4860:0001:0001:0000:0000:0000:0064"},
        {"cbgpPeer2LastErrorTxt", "peer unconfigured"}},
       1}}},
    {"cisco-asr1001x-bgp",
     "cisco_bgp4",
     135,  // 5 peers x 27 columns
     {{"cbgpPeer2State", {{"cbgpPeer2RemoteAddr", "192.0.2.1"}}, 6},
      {"cbgpPeer2State", {{"cbgpPeer2RemoteAddr", "192.0.2.9"}}, 3},
      {"cbgpPeer2State", {{"cbgpPeer2RemoteAddr", "2001:0DB8:0000:0000:0000:0000:0000:0002"}}, 6},
      {"cbgpPeer2AdminStatus", {{"cbgpPeer2RemoteAddr", "203.0.113.17"}}, 1},
      {"cbgpPeer2AdminStatus", {{"cbgpPeer2RemoteAddr", "192.0.2.5"}}, 2},
      {"cbgpPeer2RemoteAs", {{"cbgpPeer2RemoteAddr", "192.0.2.5"}}, 64501},
      {"cbgpPeer2FsmEstablishedTime", {{"cbgpPeer2RemoteAddr", "192.0.2.1"}}, 1209600},
      {"cbgpPeer2InUpdates", {{"cbgpPeer2RemoteAddr", "192.0.2.1"}}, 182733},
      {"cbgpPeer2OutUpdates",
       {{"cbgpPeer2RemoteAddr", "2001:0DB8:0000:0000:0000:0000:0000:0002"}},
       880},
      {"cbgpPeer2RemoteIdentifier",
       {{"cbgpPeer2RemoteAddr", "192.0.2.5"}, {"cbgpPeer2RemoteIdentifier", "198.51.100.7"}},
       1},
      {"cbgpPeer2LocalAddr",
       {{"cbgpPeer2RemoteAddr", "192.0.2.1"}, {"cbgpPeer2LocalAddr", "0xC0000200"}},
       1},
      {"cbgpPeer2LastErrorTxt",
       {{"cbgpPeer2RemoteAddr", "192.0.2.9"}, {"cbgpPeer2LastErrorTxt", "hold time expired"}},
       1}}},
    {"cisco-asr1001x-bgp",
     "bgp4",
     96,  // 4 peers x 24 columns
     {{"bgpPeerState", {{"bgpPeerRemoteAddr", "192.0.2.1"}}, 6},
      {"bgpPeerState", {{"bgpPeerRemoteAddr", "192.0.2.9"}}, 3},
      {"bgpPeerState", {{"bgpPeerRemoteAddr", "203.0.113.17"}}, 1},
      {"bgpPeerAdminStatus", {{"bgpPeerRemoteAddr", "203.0.113.17"}}, 1},
      {"bgpPeerRemoteAs", {{"bgpPeerRemoteAddr", "192.0.2.5"}}, 64501},
      {"bgpPeerFsmEstablishedTime", {{"bgpPeerRemoteAddr", "192.0.2.5"}}, 3456000},
      {"bgpPeerInUpdates", {{"bgpPeerRemoteAddr", "192.0.2.1"}}, 182733},
      {"bgpPeerOutUpdates", {{"bgpPeerRemoteAddr", "192.0.2.5"}}, 1187},
      {"bgpPeerIdentifier",
       {{"bgpPeerRemoteAddr", "192.0.2.5"}, {"bgpPeerIdentifier", "198.51.100.7"}},
       1},
      {"bgpPeerLastError",
       {{"bgpPeerRemoteAddr", "192.0.2.9"}, {"bgpPeerLastError", "0x0401"}},
       1}}},
    {"arista-7280-sensors",
     "entity_sensor",
     25,  // 5 sensors x 5 columns
     {{"entPhySensorValue",
       {{"entPhysicalIndex", "100006001"},
        {"entPhysicalName", "TempSensor1"},
        {"entPhySensorType", "celsius"},
        {"entPhySensorOperStatus", "ok"}},
       452},
      {"entPhySensorScale",
       {{"entPhysicalIndex", "100006001"},
        {"entPhysicalName", "TempSensor1"},
        {"entPhySensorType", "celsius"},
        {"entPhySensorOperStatus", "ok"}},
       9},
      {"entPhySensorPrecision",
       {{"entPhysicalIndex", "100006001"},
        {"entPhysicalName", "TempSensor1"},
        {"entPhySensorType", "celsius"},
        {"entPhySensorOperStatus", "ok"}},
       1},
      {"entPhySensorValue",
       {{"entPhysicalIndex", "100601121"},
        {"entPhysicalName", "PowerSupply1/Vout"},
        {"entPhySensorType", "voltsDC"}},
       12042},
      {"entPhySensorScale", {{"entPhysicalIndex", "100601121"}}, 8},
      {"entPhySensorValue",
       {{"entPhysicalIndex", "100701011"},
        {"entPhySensorType", "rpm"},
        {"entPhySensorOperStatus", "nonoperational"}},
       8760},
      {"entPhySensorUnitsDisplay",
       {{"entPhysicalIndex", "100601111"}, {"entPhySensorUnitsDisplay", "Watts"}},
       1}}},
    {"arista-7280-sensors",
     "entity_physical",
     120,  // 8 entities x 15 columns
     {{"entPhysicalClass", {{"entPhysicalIndex", "100701000"}}, 7},
      {"entPhysicalClass", {{"entPhysicalIndex", "100601110"}}, 6},
      {"entPhysicalContainedIn", {{"entPhysicalIndex", "100601121"}}, 100601110},
      {"entPhysicalIsFRU", {{"entPhysicalIndex", "100601110"}}, 1},
      {"entPhysicalModelName",
       {{"entPhysicalIndex", "100601110"}, {"entPhysicalModelName", "PWR-500AC-F"}},
       1},
      {"entPhysicalSerialNum",
       {{"entPhysicalIndex", "1"}, {"entPhysicalSerialNum", "JPE20181234"}},
       1}}},
    {"apc-smartups-2200",
     "ups_mib",
     27,
     {{"upsBatteryStatus", {}, 2},
      {"upsSecondsOnBattery", {}, 0},
      {"upsEstimatedMinutesRemaining", {}, 47},
      {"upsEstimatedChargeRemaining", {}, 100},
      {"upsBatteryVoltage", {}, 54.6},
      {"upsBatteryTemperature", {}, 27},
      {"upsInputLineBads", {}, 3},
      {"upsInputFrequency", {{"upsInputLineIndex", "1"}}, 50},
      {"upsInputVoltage", {{"upsInputLineIndex", "1"}}, 231},
      {"upsInputCurrent", {{"upsInputLineIndex", "1"}}, 6.2},
      {"upsOutputSource", {}, 3},
      {"upsOutputPercentLoad", {{"upsOutputLineIndex", "1"}}, 61},
      {"upsOutputPower", {{"upsOutputLineIndex", "1"}}, 1210},
      {"upsAlarmsPresent", {}, 0},
      {"upsIdentModel", {{"upsIdentModel", "Smart-UPS 2200 RM"}}, 1}}},
    {"linux-full-walk",
     "ucd_memory",
     12,
     {{"memTotalReal", {}, 1021976},
      {"memAvailReal", {}, 63676},
      {"memBuffer", {}, 23936},
      {"memCached", {}, 207212},
      {"memTotalSwap", {}, 987988},
      {"memAvailSwap", {}, 960556}}},
    {"linux-full-walk",
     "ucd_la_table",
     12,
     {{"laLoad", {{"laNames", "Load-15"}}, 0.03},
      {"laLoadInt", {{"laNames", "Load-1"}}, 46},
      {"laLoadFloat", {{"laNames", "Load-5"}}, 0.13}}},
    {"linux-full-walk",
     "ucd_system_stats",
     20,
     {{"ssCpuRawUser", {}, 24580765},
      {"ssCpuRawSystem", {}, 1853831},
      {"ssCpuRawIdle", {}, 436392522}}},
    {"net-snmp-linux-diskio",
     "ucd_diskio",
     44,  // 4 disks x 11 columns
     {{"diskIONReadX", {{"diskIOIndex", "9"}, {"diskIODevice", "sda"}}, 61203410944.0},
      {"diskIONWrittenX", {{"diskIOIndex", "17"}, {"diskIODevice", "nvme0n1"}}, 10995116277760.0},
      {"diskIONRead", {{"diskIOIndex", "9"}, {"diskIODevice", "sda"}}, 1073868800},
      {"diskIOReads", {{"diskIOIndex", "10"}, {"diskIODevice", "sda1"}}, 2190341},
      {"diskIOWrites", {{"diskIOIndex", "9"}, {"diskIODevice", "sda"}}, 20981377}}},
    {"winxp-full-walk",
     "hrStorage",
     15,
     {{"hrStorageUsed",
       {{"hrStorageIndex", "1"}, {"hrStorageDescr", "C:\\ Label:  Serial Number 1848504c"}},
       1884128},
      {"hrStorageSize", {{"hrStorageIndex", "1"}}, 1952447},
      {"hrStorageAllocationUnits", {{"hrStorageIndex", "1"}}, 16384},
      {"hrStorageUsed", {{"hrStorageIndex", "5"}, {"hrStorageDescr", "Physical Memory"}}, 9686}}},
    {"winxp-full-walk", "hrProcessor", 1, {{"hrProcessorLoad", {{"hrDeviceIndex", "5"}}, 0}}},
    {"winxp-full-walk",
     "hrSystem",
     7,
     {{"hrSystemNumUsers", {}, 2}, {"hrSystemProcesses", {}, 33}}},
    {"winxp-full-walk",
     "hrDevice",
     100,
     {{"hrDeviceStatus",
       {{"hrDeviceIndex", "3"}, {"hrDeviceDescr", "HP Officejet 6500 E710a-f"}},
       2},
      {"hrDeviceStatus", {{"hrDeviceIndex", "5"}, {"hrDeviceDescr", "Intel"}}, 2}}},
    {"winxp-full-walk",
     "hrSWRun",
     250,
     {{"hrSWRunStatus", {{"hrSWRunIndex", "4"}, {"hrSWRunName", "System"}}, 1}}},
};

std::string tail(const std::string& text, std::size_t bytes = 1500) {
  return text.size() <= bytes ? text : "..." + text.substr(text.size() - bytes);
}

std::string describe(const std::string& metric, const Labels& labels) {
  std::string out = metric + "{";
  for (const auto& [name, value] : labels) {
    out.append(name).append("=\"").append(value).append("\",");
  }
  return out + "}";
}

/// snmpsimd with every recording, and a promsnmp daemon with the catalogue and the test's
/// auths, unlisted targets allowed. Shared by the suite; the destructors stop both.
class Side {
 public:
  Side() : agent_(SnmpSimAgent::Options(), kRecordings) {
    std::ofstream auths(dir_.path() + "/auths.yml");
    auths << "auths:\n";
    std::set<std::string> communities = {"cisco_16_switch"};
    for (const auto& [community, file] : kRecordings) {
      communities.insert(community);
    }
    for (const std::string& community : communities) {
      auths << "  " << community << ":\n    community: " << community << "\n    version: 2\n";
    }
    auths.close();
    env_ = {{"PROM_INV_FILE", dir_.path() + "/share/promsnmp-inventory.json"},
            {"PROM_ENCRYPT_KEY", "catalogue test key"},
            {"PROMSNMP_STATE_DIR", dir_.path() + "/state"},
            {"PROMSNMP_MODULES_FILES", kCatalogueDir + "/*.yml," + dir_.path() + "/auths.yml"},
            {"PROMSNMP_ALLOW_UNLISTED_TARGETS", "true"}};
    inventoryCli(env_, {"init"});
    daemon_ = std::make_unique<Daemon>(dir_.path(), env_);
  }
  ~Side() { daemon_.reset(); }

  HttpAnswer scrape(const std::string& auth, const std::string& module) const {
    return httpRequest(daemon_->port(), "GET",
                       "/snmp?target=127.0.0.1:" + std::to_string(agent_.port()) +
                           "&module=" + module + "&auth=" + auth,
                       {}, {}, kScrapeTimeoutMs);
  }
  const std::string& dir() const { return dir_.path(); }
  std::string log() const { return daemon_->log(); }

 private:
  TempDir dir_;
  SnmpSimAgent agent_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<Daemon> daemon_;
};

Side& side() {
  static Side s;
  return s;
}

}  // namespace

class CatalogueTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(CatalogueTest);
  CPPUNIT_TEST(testEveryFileLoadsWithItsModules);
  CPPUNIT_TEST(testEveryModuleAnswersTheRecording);
  CPPUNIT_TEST(testSensorGaugesShareTheirLabels);
  CPPUNIT_TEST_SUITE_END();

 public:
  /// etc/modules/*.yml loads with the project's loader: no error, no warning, no auths, exactly
  /// the files and modules of kCatalogue, each file opening with its comment.
  void testEveryFileLoadsWithItsModules() {
    promsnmp::ModuleSet set;
    try {
      set = promsnmp::loadModuleFiles({kCatalogueDir + "/*.yml"});
    } catch (const promsnmp::ModuleConfigException& e) {
      CPPUNIT_FAIL("the catalogue does not load:\n" + e.message());
    }
    CPPUNIT_ASSERT_MESSAGE(set.warnings.empty() ? "" : set.warnings.front(), set.warnings.empty());
    CPPUNIT_ASSERT(set.auths.empty());
    std::set<std::string> files;
    for (const std::string& file : set.files) {
      files.insert(std::filesystem::path(file).filename().string());
      std::ifstream in(file);
      std::string first;
      std::getline(in, first);
      CPPUNIT_ASSERT_MESSAGE(file + " does not open with its comment", first.starts_with("# "));
    }
    std::set<std::string> expectedFiles;
    std::set<std::string> expectedModules;
    for (const auto& [file, modules] : kCatalogue) {
      expectedFiles.insert(file);
      expectedModules.insert(modules.begin(), modules.end());
    }
    CPPUNIT_ASSERT(expectedFiles == files);
    std::set<std::string> modules;
    for (const auto& [name, module] : set.modules) {
      modules.insert(name);
      CPPUNIT_ASSERT_MESSAGE(name + " has no metrics", !module->metrics.empty());
      CPPUNIT_ASSERT_MESSAGE(name + " walks nothing",
                             !module->walk.empty() || !module->get.empty());
    }
    std::string missing;
    for (const std::string& name : expectedModules) {
      missing += modules.count(name) == 0 ? name + " " : "";
    }
    CPPUNIT_ASSERT_MESSAGE("missing modules: " + missing, missing.empty());
    CPPUNIT_ASSERT_EQUAL(expectedModules.size(), modules.size());
  }

  /// Every (recording, module) of kChecks: 200, promtool clean, at least minSeries series, and
  /// each expected series with the recording's value.
  void testEveryModuleAnswersTheRecording() {
    const Clock::time_point start = Clock::now();
    Side& s = side();
    std::string failures;
    std::set<std::string> covered;
    for (const Check& check : kChecks) {
      const std::string name = check.auth + " x " + check.module;
      covered.insert(check.module);
      HttpAnswer answer = s.scrape(check.auth, check.module);
      if (answer.status != 200) {
        failures +=
            name + ": HTTP " + std::to_string(answer.status) + " " + tail(answer.body, 300) + "\n";
        continue;
      }
      const SeriesSet series = parseSeries(answer.body, {"snmp_scrape_", "promsnmp_"});
      const std::string findings = promtoolFindings(answer.body, counterFamilies(series), s.dir());
      if (!findings.empty()) {
        failures.append(name).append(": promtool:\n").append(findings);
      }
      if (series.series.size() < check.minSeries) {
        failures += name + ": " + std::to_string(series.series.size()) +
                    " series, expected at least " + std::to_string(check.minSeries) + "\n";
      }
      const std::vector<Sample> samples = parseSamples(answer.body);
      for (const Expected& e : check.series) {
        const std::string text = sampleValue(samples, e.metric, e.labels);
        if (text.empty()) {
          std::string seen;
          for (const Sample& sample : samples) {
            if (sample.name == e.metric) {
              seen = ", e.g. " + describe(sample.name, sample.labels) + " " + sample.value;
              break;
            }
          }
          failures.append(name).append(": no ").append(describe(e.metric, e.labels));
          failures.append(seen).append("\n");
          continue;
        }
        const double value = std::stod(text);
        if (std::fabs(value - e.value) > 1e-6 * std::max(1.0, std::fabs(e.value))) {
          failures.append(name).append(": ").append(describe(e.metric, e.labels)).append(" is ");
          failures.append(text).append(", expected ").append(std::to_string(e.value)).append("\n");
        }
      }
    }
    std::cerr << "\nCatalogueTest: " << kChecks.size() << " (recording, module) scrapes in "
              << std::chrono::duration<double>(Clock::now() - start).count() << " s\n";
    CPPUNIT_ASSERT_MESSAGE(failures + "promsnmp log:\n" + tail(s.log()), failures.empty());
    std::string untested;
    for (const auto& [file, modules] : kCatalogue) {
      for (const std::string& module : modules) {
        untested += covered.count(module) == 0 ? module + " " : "";
      }
    }
    CPPUNIT_ASSERT_EQUAL(std::string(), untested);
  }

  /// entPhySensorValue, entPhySensorScale and entPhySensorPrecision have the same label sets, so
  /// that value * 10^((scale - 9) * 3) / 10^precision joins one to one in PromQL; the voltage
  /// sensor then reads 12.042 V.
  void testSensorGaugesShareTheirLabels() {
    HttpAnswer answer = side().scrape("arista-7280-sensors", "entity_sensor");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
    std::map<std::string, std::set<Labels>> labelSets;
    std::map<Labels, std::map<std::string, double>> rows;
    for (const Sample& sample : parseSamples(answer.body)) {
      if (sample.name == "entPhySensorValue" || sample.name == "entPhySensorScale" ||
          sample.name == "entPhySensorPrecision") {
        labelSets[sample.name].insert(sample.labels);
        rows[sample.labels][sample.name] = std::stod(sample.value);
      }
    }
    CPPUNIT_ASSERT_EQUAL(std::size_t{5}, labelSets["entPhySensorValue"].size());
    CPPUNIT_ASSERT(labelSets["entPhySensorValue"] == labelSets["entPhySensorScale"]);
    CPPUNIT_ASSERT(labelSets["entPhySensorValue"] == labelSets["entPhySensorPrecision"]);
    std::map<std::string, double> reading;
    for (auto& [labels, values] : rows) {
      reading[labels.at("entPhysicalName")] =
          values["entPhySensorValue"] * std::pow(10.0, (values["entPhySensorScale"] - 9) * 3) /
          std::pow(10.0, values["entPhySensorPrecision"]);
    }
    CPPUNIT_ASSERT_DOUBLES_EQUAL(12.042, reading["PowerSupply1/Vout"], 1e-9);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(45.2, reading["TempSensor1"], 1e-9);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(148.0, reading["PowerSupply1/1"], 1e-9);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CatalogueTest);
