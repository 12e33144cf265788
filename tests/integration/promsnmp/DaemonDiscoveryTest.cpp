// Discovery against real agents on loopback: a seed covering 127.0.20.0/27, where three addresses
// run agents (two snmpsimd with different recordings, one snmpd) on one port, finds exactly those
// three with the sysName/sysDescr the agents report (read independently with snmpbulkwalk), in
// one new inventory version, which a follower sharing the directory loads within 6 s. Also: the
// Java API's answers (400 messages, 503 on a follower naming the leader, seeds masked, DELETE),
// a repeated run that changes nothing commits nothing, SNMPv3 seeds, and the on-start and cron
// triggers scanning the saved seeds. And what an operator set stays: a device POSTed with its own
// name and location keeps them through discovery (the agent's values recorded beside them), a
// second agent with the same sysName at another address becomes a new device, and a POST that
// would empty the inventory is refused unless forced. And classification: with the shipped
// etc/profiles.yml, the Catalyst recording is cisco-ios and the Linux one net-snmp-linux, the
// devices take the profiles' modules, the run report and the landing page say why, and the
// device's answer carries promsnmp_device_info; profiles files that do not load stop a start
// (78) and a reload keeps the last good ones.
#include <sys/socket.h>

#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <cppunit/extensions/HelperMacros.h>

#include "DaemonHelpers.h"
#include "ProcessHelpers.h"
#include "PromtoolFindings.h"
#include "SeriesDiff.h"
#include "SnmpAgentHelpers.h"

using namespace testing;

namespace {

Poco::JSON::Object::Ptr object(const std::string& json) {
  return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
}

Poco::JSON::Array::Ptr array(const std::string& json) {
  return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Array::Ptr>();
}

/// The newest run on `daemon`, once it has finished (at most `seconds`).
Poco::JSON::Object::Ptr finishedRun(const Daemon& daemon, int seconds, size_t expectedRuns) {
  Poco::JSON::Object::Ptr run;
  bool done = eventually(seconds, [&] {
    auto runs = array(daemon.get("/promsnmp/discovery/runs").body);
    if (runs->size() < expectedRuns) {
      return false;
    }
    run = runs->getObject(0);
    std::string state = run->getValue<std::string>("state");
    return state != "queued" && state != "running";
  });
  CPPUNIT_ASSERT_MESSAGE("discovery run did not finish in time", done);
  return run;
}

std::string versionOf(const Daemon& daemon) {
  return sampleValue(parseSamples(daemon.get("/metrics").body), "promsnmp_inventory_version");
}

std::string seedBody(uint16_t port, const std::string& targets, const std::string& community) {
  return R"({"potentialTargets":[)" + targets +
         R"(],"agentType":"snmp-community","version":"v2c","port":)" + std::to_string(port) +
         R"(,"readCommunity":)" + community + "}";
}

/// The system group of an agent as snmpbulkwalk reads it: sysName and sysDescr.
std::pair<std::string, std::string> systemOf(const std::string& address, uint16_t port,
                                             const std::string& envDir) {
  auto values =
      toolWalk({"-v2c", "-c", SnmpdAgent::kCommunity}, port, "1.3.6.1.2.1.1", envDir, address);
  return {values.at("1.3.6.1.2.1.1.5.0").bytes, values.at("1.3.6.1.2.1.1.1.0").bytes};
}

/// The environment of a lone leader whose share (initialised here) and state are in `dir`.
/// The module files: the catalogue (etc/modules, where it is) and the peer test's file (its auths,
/// and the catalogue's modules where there is no catalogue).
std::string moduleFiles() {
  return std::string(PROMSNMP_SOURCE_DIR) + "/etc/modules/*.yml," + PROMSNMP_TEST_DATA +
         "/modules/peer-current.yml";
}

std::map<std::string, std::string> loneLeader(const TempDir& dir) {
  std::map<std::string, std::string> env = {
      {"PROM_INV_FILE", dir.path() + "/share/promsnmp-inventory.json"},
      {"PROM_ENCRYPT_KEY", "discovery test key"},
      {"PROMSNMP_ROLE", "leader"},
      {"PROMSNMP_STATE_DIR", dir.path() + "/state"},
      {"DISCOVERY_CRON", "-"}};
  inventoryCli(env, {"init"});
  return env;
}

}  // namespace

class DaemonDiscoveryTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DaemonDiscoveryTest);
  CPPUNIT_TEST(testSweepFindsExactlyTheAgentsInOneVersion);
  CPPUNIT_TEST(testSavedSeedsRunOnStartAndOnCron);
  CPPUNIT_TEST(testDiscoveryKeepsWhatTheOperatorSet);
  CPPUNIT_TEST(testAReplaceRemovingMostDevicesNeedsForce);
  CPPUNIT_TEST(testDiscoveryClassifiesTheDevices);
  CPPUNIT_TEST(testProfilesFilesAtStartAndOnReload);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testSweepFindsExactlyTheAgentsInOneVersion() {
    const uint16_t port = freeUdpPort();
    const std::string community = SnmpdAgent::kCommunity;
    SnmpSimAgent cisco({"127.0.20.3", port, "cisco_16_switch", community});
    SnmpSimAgent linux({"127.0.20.7", port, "public", community});
    SnmpdAgent snmpd({"127.0.20.12", port, "discovery-snmpd"});

    TempDir dir;
    std::map<std::string, std::string> env = {
        {"PROM_INV_FILE", dir.path() + "/share/promsnmp-inventory.json"},
        {"PROM_ENCRYPT_KEY", "discovery test key"},
        {"DISCOVERY_CRON", "-"},
        {"PROMSNMP_DISCOVERY_TIMEOUT_MS", "500"}};
    inventoryCli(env, {"init"});
    auto leaderEnv = env;
    leaderEnv["PROMSNMP_ROLE"] = "leader";
    leaderEnv["PROMSNMP_STATE_DIR"] = dir.path() + "/state-leader";
    auto followerEnv = env;
    followerEnv["PROMSNMP_ROLE"] = "follower";
    followerEnv["PROMSNMP_STATE_DIR"] = dir.path() + "/state-follower";
    TempDir leaderDir;
    TempDir followerDir;
    Daemon leader(leaderDir.path(), leaderEnv);
    Daemon follower(followerDir.path(), followerEnv);
    const std::string before = versionOf(leader);

    // Java's validation answers: 400 with Java's message, in Spring's JSON error body.
    auto post = [&](const Daemon& d, const std::string& query, const std::string& body) {
      return httpRequest(d.port(), "POST", "/promsnmp/discovery" + query,
                         {{"Content-Type", "application/json"}}, body);
    };
    HttpAnswer noPort = post(leader, "",
                             R"({"potentialTargets":["127.0.20.3"],)"
                             R"("agentType":"snmp-community","readCommunity":"x"})");
    CPPUNIT_ASSERT_EQUAL(400, noPort.status);
    CPPUNIT_ASSERT_EQUAL(std::string("port: must be between 1 and 65535"),
                         object(noPort.body)->getValue<std::string>("message"));
    HttpAnswer badType = post(leader, "",
                              R"({"potentialTargets":["127.0.20.3"],"port":161,)"
                              R"("agentType":"snmp-bogus"})");
    CPPUNIT_ASSERT_EQUAL(400, badType.status);
    CPPUNIT_ASSERT_EQUAL(std::string("Unsupported agent type: snmp-bogus"),
                         object(badType.body)->getValue<std::string>("message"));
    HttpAnswer noCommunity = post(leader, "",
                                  R"({"potentialTargets":["127.0.20.3"],"port":161,)"
                                  R"("agentType":"snmp-community"})");
    CPPUNIT_ASSERT_EQUAL(std::string("readCommunity is required for snmp-community"),
                         object(noCommunity.body)->getValue<std::string>("message"));
    HttpAnswer tooMany = post(leader, "", seedBody(port, R"("10.0.0.0/8")", R"("x")"));
    CPPUNIT_ASSERT_EQUAL(400, tooMany.status);
    CPPUNIT_ASSERT_MESSAGE(tooMany.body, tooMany.body.find("65536") != std::string::npos);
    HttpAnswer noTarget = post(leader, "", seedBody(port, R"("no-such-host.invalid")", R"("x")"));
    CPPUNIT_ASSERT_EQUAL(std::string("No valid targets provided."),
                         object(noTarget.body)->getValue<std::string>("message"));

    // A follower refuses and names where to go.
    const std::string seed = seedBody(port, R"("127.0.20.0/27")", "\"" + community + "\"");
    HttpAnswer onFollower = post(follower, "?saveSeed=true", seed);
    CPPUNIT_ASSERT_EQUAL(503, onFollower.status);
    CPPUNIT_ASSERT_MESSAGE(onFollower.body, onFollower.body.find("leader") != std::string::npos);

    // The sweep: 202 at once, the run in the background.
    auto started = std::chrono::steady_clock::now();
    HttpAnswer accepted = post(leader, "?saveSeed=true", seed);
    CPPUNIT_ASSERT_EQUAL(202, accepted.status);
    CPPUNIT_ASSERT_EQUAL(std::string("Discovery request accepted."), accepted.body);
    Poco::JSON::Object::Ptr run = finishedRun(leader, 60, 1);
    double runSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    CPPUNIT_ASSERT_EQUAL(std::string("succeeded"), run->getValue<std::string>("state"));
    CPPUNIT_ASSERT_EQUAL(32, run->getValue<int>("targetsScanned"));
    CPPUNIT_ASSERT_EQUAL(3, run->getValue<int>("found"));
    CPPUNIT_ASSERT_EQUAL(3, run->getValue<int>("new"));
    CPPUNIT_ASSERT_EQUAL(1, run->getValue<int>("seedsSaved"));
    // Closed ports on loopback answer ICMP "port unreachable": decided at once, not timed out.
    CPPUNIT_ASSERT_EQUAL(29, run->getValue<int>("unreachable") + run->getValue<int>("timeouts"));
    const uint64_t committed = run->getValue<uint64_t>("inventoryVersion");
    // One commit for the run: after `before`, only the leader's fence (same content, before any
    // write of a new leader) and the run's version.
    auto history = array(inventoryCli(env, {"--json", "history"}));
    std::vector<int> deviceCounts;
    for (size_t i = 0; i < history->size(); ++i) {
      auto entry = history->getObject(static_cast<unsigned>(i));
      if (entry->getValue<uint64_t>("version") > std::stoull(before)) {
        deviceCounts.push_back(entry->getValue<int>("devices"));
      }
    }
    CPPUNIT_ASSERT_EQUAL(static_cast<uint64_t>(std::stoull(before) + deviceCounts.size()),
                         committed);
    CPPUNIT_ASSERT((deviceCounts == std::vector<int>{0, 3}) ||
                   (deviceCounts == std::vector<int>{3}));

    // Exactly the three agents, with the system group the agents report.
    auto inventory = object(leader.get("/promsnmp/inventory").body);
    auto devices = inventory->getArray("devices");
    CPPUNIT_ASSERT_EQUAL(size_t{3}, devices->size());
    std::set<std::string> addresses;
    for (size_t i = 0; i < devices->size(); ++i) {
      auto device = devices->getObject(static_cast<unsigned>(i));
      auto agent = device->getObject("primaryAgent");
      std::string address = agent->getObject("endpoint")->getValue<std::string>("address");
      addresses.insert(address);
      CPPUNIT_ASSERT_EQUAL(static_cast<int>(port),
                           agent->getObject("endpoint")->getValue<int>("port"));
      CPPUNIT_ASSERT_EQUAL(std::string("<secret>"), agent->getValue<std::string>("readCommunity"));
      auto [sysName, sysDescr] = systemOf(address, port, dir.path());
      CPPUNIT_ASSERT_EQUAL(sysName, device->getValue<std::string>("sysName"));
      CPPUNIT_ASSERT_EQUAL(sysDescr, device->getValue<std::string>("sysDescr"));
    }
    CPPUNIT_ASSERT((addresses == std::set<std::string>{"127.0.20.3", "127.0.20.7", "127.0.20.12"}));
    std::printf("\n[discovery] /27 sweep: 3 of 32 found in %.2f s (request to finished run)\n",
                runSeconds);

    // The follower loads the new version by itself within 6 s.
    auto finished = std::chrono::steady_clock::now();
    CPPUNIT_ASSERT(eventually(6, [&] { return versionOf(follower) == std::to_string(committed); }));
    double catchUp =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - finished).count();
    std::printf("[discovery] follower loaded version %llu %.2f s after the run finished\n",
                static_cast<unsigned long long>(committed), catchUp);
    CPPUNIT_ASSERT_EQUAL(size_t{3}, array(follower.get("/targets").body)->size());

    // The seed was saved, credentials masked; the same scan again commits nothing.
    auto seeds = array(leader.get("/promsnmp/discovery").body);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, seeds->size());
    CPPUNIT_ASSERT_EQUAL(std::string("<secret>"),
                         seeds->getObject(0)->getValue<std::string>("readCommunity"));
    CPPUNIT_ASSERT_EQUAL(202, post(leader, "", seed).status);
    run = finishedRun(leader, 60, 2);
    CPPUNIT_ASSERT_EQUAL(3, run->getValue<int>("found"));
    CPPUNIT_ASSERT_EQUAL(0, run->getValue<int>("new"));
    CPPUNIT_ASSERT_EQUAL(3, run->getValue<int>("unchanged"));
    CPPUNIT_ASSERT_EQUAL(0, run->getValue<int>("inventoryVersion"));
    CPPUNIT_ASSERT_EQUAL(std::to_string(committed), versionOf(leader));

    // SNMPv3: only snmpd knows the user; snmpsimd refuses it. The agent exists already (same
    // address and port), so nothing is added.
    std::string v3 =
        R"({"potentialTargets":["127.0.20.12","127.0.20.3"],"agentType":"snmp-user",)"
        R"("version":"v3","port":)" +
        std::to_string(port) + R"(,"securityName":")" + SnmpdAgent::kUser +
        R"(","authProtocol":"SHA512","authPassphrase":")" + SnmpdAgent::kAuthPassphrase +
        R"(","privProtocol":"AES256","privPassphrase":")" + SnmpdAgent::kPrivPassphrase + R"("})";
    CPPUNIT_ASSERT_EQUAL(202, post(leader, "", v3).status);
    run = finishedRun(leader, 60, 3);
    CPPUNIT_ASSERT_EQUAL(std::string("succeeded"), run->getValue<std::string>("state"));
    CPPUNIT_ASSERT_EQUAL(1, run->getValue<int>("found"));
    CPPUNIT_ASSERT_EQUAL(1, run->getValue<int>("unchanged"));
    CPPUNIT_ASSERT_EQUAL(1, run->getValue<int>("errors") + run->getValue<int>("timeouts"));

    // Seeds: one by id, then deleted (on the leader only).
    std::string id = seeds->getObject(0)->getValue<std::string>("id");
    CPPUNIT_ASSERT_EQUAL(200, leader.get("/promsnmp/discovery/" + id).status);
    CPPUNIT_ASSERT_EQUAL(400, leader.get("/promsnmp/discovery/not-a-uuid").status);
    CPPUNIT_ASSERT_EQUAL(
        404, leader.get("/promsnmp/discovery/00000000-0000-4000-8000-000000000000").status);
    CPPUNIT_ASSERT_EQUAL(
        503, httpRequest(follower.port(), "DELETE", "/promsnmp/discovery/" + id).status);
    HttpAnswer deleted = httpRequest(leader.port(), "DELETE", "/promsnmp/discovery/" + id);
    CPPUNIT_ASSERT_EQUAL(200, deleted.status);
    CPPUNIT_ASSERT_EQUAL("Seed deleted: " + id, deleted.body);
    CPPUNIT_ASSERT_EQUAL(size_t{0}, array(leader.get("/promsnmp/discovery").body)->size());
    CPPUNIT_ASSERT_EQUAL(size_t{3}, object(leader.get("/promsnmp/inventory").body)
                                        ->getArray("devices")
                                        ->size());  // deleting a seed keeps its devices
  }

  void testDiscoveryClassifiesTheDevices() {
    const uint16_t port = freeUdpPort();
    SnmpSimAgent cisco({"127.0.24.3", port, "cisco_16_switch", "cisco_16_switch"});
    SnmpSimAgent linux({"127.0.24.7", port, "recorded/linux-full-walk", "linux-full-walk"});
    TempDir dir;
    std::map<std::string, std::string> env = loneLeader(dir);
    env["PROMSNMP_PROFILES_FILES"] = std::string(PROMSNMP_SOURCE_DIR) + "/etc/profiles.yml";
    env["PROMSNMP_MODULES_FILES"] = moduleFiles();
    env["PROMSNMP_DISCOVERY_TIMEOUT_MS"] = "500";
    TempDir logDir;
    Daemon daemon(logDir.path(), env);
    auto discover = [&](const std::string& address, const std::string& community, size_t nth) {
      HttpAnswer accepted = httpRequest(
          daemon.port(), "POST", "/promsnmp/discovery", {{"Content-Type", "application/json"}},
          seedBody(port, "\"" + address + "\"", "\"" + community + "\""));
      CPPUNIT_ASSERT_EQUAL(202, accepted.status);
      Poco::JSON::Object::Ptr run = finishedRun(daemon, 60, nth);
      CPPUNIT_ASSERT_EQUAL(std::string("succeeded"), run->getValue<std::string>("state"));
      CPPUNIT_ASSERT_EQUAL(1, run->getValue<int>("found"));
      return run;
    };
    Poco::JSON::Object::Ptr ciscoRun = discover("127.0.24.3", "cisco_16_switch", 1);
    Poco::JSON::Object::Ptr linuxRun = discover("127.0.24.7", "linux-full-walk", 2);

    // The profiles' modules (etc/profiles.yml). Their optional modules (ENTITY-SENSOR-MIB,
    // BGP4-MIB, CISCO-BGP4-MIB) are dropped: the recordings have nothing under them (probed,
    // where the module files define them; skipped with a note where they do not).
    const std::map<std::string,
                   std::tuple<std::string, std::string, std::string, std::vector<std::string>>>
        expected = {
            {"127.0.24.3",
             {"cisco-ios",
              "IOS",
              "1.3.6.1.4.1.9.1.516",
              {"system", "if_mib", "entity_physical", "cisco_process", "cisco_memory_pool"}}},
            {"127.0.24.7",
             {"net-snmp-linux",
              "Linux",
              "1.3.6.1.4.1.8072.3.2.10",
              {"system", "if_mib", "hrStorage", "hrProcessor", "hrSystem", "ucd_memory",
               "ucd_system_stats", "ucd_la_table", "ucd_diskio"}}}};
    for (const auto& run : {ciscoRun, linuxRun}) {
      CPPUNIT_ASSERT_EQUAL(1, run->getValue<int>("classified"));
      auto row = run->getArray("profiles")->getObject(0);
      const auto& [profile, os, oid, modules] =
          expected.at(row->getValue<std::string>("endpoint")
                          .substr(0, row->getValue<std::string>("endpoint").find(':')));
      CPPUNIT_ASSERT_EQUAL(profile, row->getValue<std::string>("profile"));
      CPPUNIT_ASSERT_EQUAL(oid, row->getValue<std::string>("sysObjectID"));
      CPPUNIT_ASSERT_MESSAGE(row->getValue<std::string>("reason"),
                             row->getValue<std::string>("reason").find(oid) != std::string::npos);
      CPPUNIT_ASSERT(row->getValue<bool>("classified"));
      std::vector<std::string> reported;
      for (size_t m = 0; m < row->getArray("modules")->size(); ++m) {
        reported.push_back(
            row->getArray("modules")->getElement<std::string>(static_cast<unsigned>(m)));
      }
      CPPUNIT_ASSERT(modules == reported);
      for (size_t n = 0; n < row->getArray("notes")->size(); ++n) {
        const std::string note =
            row->getArray("notes")->getElement<std::string>(static_cast<unsigned>(n));
        CPPUNIT_ASSERT_MESSAGE(note, note.find("is not loaded: skipped") != std::string::npos);
      }
    }

    // Stored on the devices; the landing page shows profile and modules, the reason as title.
    auto devices = object(daemon.get("/promsnmp/inventory").body)->getArray("devices");
    CPPUNIT_ASSERT_EQUAL(size_t{2}, devices->size());
    const std::string landing = daemon.get("/").body;
    for (size_t i = 0; i < devices->size(); ++i) {
      auto device = devices->getObject(static_cast<unsigned>(i));
      const std::string address = device->getObject("primaryAgent")
                                      ->getObject("endpoint")
                                      ->getValue<std::string>("address");
      const auto& [profile, os, oid, modules] = expected.at(address);
      CPPUNIT_ASSERT_EQUAL(oid, device->getValue<std::string>("sysObjectID"));
      auto stored = device->getObject("profile");
      CPPUNIT_ASSERT_EQUAL(profile, stored->getValue<std::string>("name"));
      CPPUNIT_ASSERT_EQUAL(os, stored->getValue<std::string>("os"));
      std::vector<std::string> storedModules;
      for (size_t m = 0; m < device->getArray("modules")->size(); ++m) {
        storedModules.push_back(
            device->getArray("modules")->getElement<std::string>(static_cast<unsigned>(m)));
      }
      CPPUNIT_ASSERT(modules == storedModules);
      std::string joined;
      for (const std::string& m : modules) {
        joined += (joined.empty() ? "" : ", ") + m;
      }
      std::string cells = ">" + profile;
      cells += "</td><td class=\"list\">" + joined + "<";
      CPPUNIT_ASSERT_MESSAGE(landing, landing.find(cells) != std::string::npos);
      CPPUNIT_ASSERT_MESSAGE(landing,
                             landing.find("<td title=\"sysObjectID " + oid) != std::string::npos);
    }

    // The device's answer carries promsnmp_device_info, and promtool parses it.
    HttpAnswer answer = daemon.get("/snmp?target=127.0.24.3");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
    auto samples = parseSamples(answer.body);
    CPPUNIT_ASSERT_EQUAL(std::string("1"), sampleValue(samples, "promsnmp_device_info",
                                                       {{"profile", "cisco-ios"},
                                                        {"vendor", "Cisco"},
                                                        {"os", "IOS"},
                                                        {"sysObjectID", "1.3.6.1.4.1.9.1.516"}}));
    // sysObjectID keeps the MIB's name, as the dashboards group by it: its camelCase is the one
    // note allowed on promsnmp's own series.
    std::string findings =
        promtoolFindings(answer.body, counterFamilies(parseSeries(answer.body, {})), logDir.path());
    const std::string allowed =
        "    promtool: promsnmp_device_info label names should be "
        "written in 'snake_case' not 'camelCase'\n";
    if (const size_t at = findings.find(allowed); at != std::string::npos) {
      findings.erase(at, allowed.size());
    }
    CPPUNIT_ASSERT_EQUAL_MESSAGE(findings, std::string(), findings);

    // A rerun with the same sysObjectID classifies nothing again.
    Poco::JSON::Object::Ptr again = discover("127.0.24.3", "cisco_16_switch", 3);
    CPPUNIT_ASSERT_EQUAL(0, again->getValue<int>("classified"));
    CPPUNIT_ASSERT_EQUAL(0, again->getValue<int>("inventoryVersion"));
    CPPUNIT_ASSERT_EQUAL(
        std::string("cisco-ios"),
        again->getArray("profiles")->getObject(0)->getValue<std::string>("profile"));
  }

  void testProfilesFilesAtStartAndOnReload() {
    TempDir dir;
    std::map<std::string, std::string> env = loneLeader(dir);
    const std::string file = dir.path() + "/profiles.yml";
    std::ofstream(file) << "profiles:\n  - name: lab\n    sys_object_id: 1.3.6.1.4.1.9\n"
                        << "    modules: [system]\n    colour: blue\n";
    env["PROMSNMP_PROFILES_FILES"] = file;
    env["PROMSNMP_MODULES_FILES"] = moduleFiles();
    const std::string bin = std::string(PROMSNMP_BIN_DIR) + "/promsnmp";
    ProcessResult started = runProcess(
        {bin, "--web.listen-address=127.0.0.1:" + std::to_string(freePort(SOCK_STREAM))}, env, 30);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(started.err, 78, started.code);
    CPPUNIT_ASSERT_MESSAGE(started.err, started.err.find(file + ":5:") != std::string::npos);

    std::ofstream(file) << "profiles:\n  - name: lab\n    sys_object_id: 1.3.6.1.4.1.9\n"
                        << "    modules: [system, not_loaded]\n";
    TempDir logDir;
    Daemon daemon(logDir.path(), env);
    auto reloadOk = [&] {
      return sampleValue(parseSamples(daemon.get("/metrics").body),
                         "promsnmp_profiles_config_last_reload_successful");
    };
    CPPUNIT_ASSERT_EQUAL(std::string("1"), reloadOk());
    auto health = [&] {
      return object(daemon.get("/actuator/health").body)
          ->getObject("components")
          ->getObject("profiles")
          ->getObject("details");
    };
    // A module the module files lack is warned about (system is there).
    CPPUNIT_ASSERT_EQUAL(1, health()->getValue<int>("profiles"));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, health()->getArray("warnings")->size());
    const std::string warning = health()->getArray("warnings")->getElement<std::string>(0);
    CPPUNIT_ASSERT_MESSAGE(warning, warning.find(file + ":2: profile lab: module 'not_loaded' is "
                                                        "not loaded") != std::string::npos);

    std::ofstream(file) << "profiles:\n  - name: lab\n    sys_object_id: not-an-oid\n"
                        << "    modules: [system]\n";
    HttpAnswer reload = httpRequest(daemon.port(), "POST", "/-/reload");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(reload.body, 500, reload.status);
    CPPUNIT_ASSERT_MESSAGE(reload.body, reload.body.find(file + ":3:") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(std::string("0"), reloadOk());
    CPPUNIT_ASSERT(health()->has("error"));
    CPPUNIT_ASSERT_EQUAL(1, health()->getValue<int>("profiles"));  // the last good set

    std::ofstream(file) << "profiles:\n  - name: lab\n    sys_object_id: 1.3.6.1.4.1.9\n"
                        << "    modules: [system]\n  - name: lab2\n"
                        << "    sys_object_id: 1.3.6.1.4.1.8072\n    modules: [system]\n";
    CPPUNIT_ASSERT_EQUAL(200, httpRequest(daemon.port(), "POST", "/-/reload").status);
    CPPUNIT_ASSERT_EQUAL(std::string("1"), reloadOk());
    CPPUNIT_ASSERT(!health()->has("error"));
    CPPUNIT_ASSERT(!health()->has("warnings"));
    CPPUNIT_ASSERT_EQUAL(2, health()->getValue<int>("profiles"));
  }

  void testSavedSeedsRunOnStartAndOnCron() {
    const uint16_t port = freeUdpPort();
    SnmpSimAgent cisco({"127.0.21.5", port, "cisco_16_switch", "cisco_16_switch"});
    TempDir dir;
    std::map<std::string, std::string> env = {
        {"PROM_INV_FILE", dir.path() + "/share/promsnmp-inventory.json"},
        {"PROM_ENCRYPT_KEY", "discovery test key"},
        {"PROMSNMP_STATE_DIR", dir.path() + "/state"},
        {"DISCOVERY_CRON", "-"}};
    inventoryCli(env, {"init"});
    {
      // scheduleNow=false: the seed is saved, nothing is scanned.
      TempDir logDir;
      Daemon first(logDir.path(), env);
      HttpAnswer saved = httpRequest(first.port(), "POST", "/promsnmp/discovery?scheduleNow=false",
                                     {{"Content-Type", "application/json"}},
                                     seedBody(port, R"("127.0.21.4-6")", R"("cisco_16_switch")"));
      CPPUNIT_ASSERT_EQUAL(202, saved.status);
      Poco::JSON::Object::Ptr run = finishedRun(first, 30, 1);
      CPPUNIT_ASSERT_EQUAL(0, run->getValue<int>("targetsScanned"));
      CPPUNIT_ASSERT_EQUAL(1, run->getValue<int>("seedsSaved"));
      CPPUNIT_ASSERT_EQUAL(
          size_t{0}, object(first.get("/promsnmp/inventory").body)->getArray("devices")->size());
    }
    // A restart with DISCOVERY_ON_START and a cron every 3 s (zone as Java spells it).
    env["DISCOVERY_ON_START"] = "true";
    env["DISCOVERY_CRON"] = "*/3 * * * * *";
    env["DISCOVERY_TZ"] = "Europe/Berlin";
    TempDir logDir;
    Daemon second(logDir.path(), env);
    // Both triggers scan the saved seed (whichever comes first adds the device).
    auto finishedWith = [&](const std::string& trigger) -> Poco::JSON::Object::Ptr {
      auto runs = array(second.get("/promsnmp/discovery/runs").body);
      for (size_t i = 0; i < runs->size(); ++i) {
        auto run = runs->getObject(static_cast<unsigned>(i));
        if (run->getValue<std::string>("trigger") == trigger &&
            run->getValue<std::string>("state") == "succeeded") {
          return run;
        }
      }
      return nullptr;
    };
    CPPUNIT_ASSERT(eventually(15, [&] { return finishedWith("start") && finishedWith("cron"); }));
    for (const char* trigger : {"start", "cron"}) {
      CPPUNIT_ASSERT_EQUAL(3, finishedWith(trigger)->getValue<int>("targetsScanned"));
      CPPUNIT_ASSERT_EQUAL(1, finishedWith(trigger)->getValue<int>("found"));
    }
    auto devices = object(second.get("/promsnmp/inventory").body)->getArray("devices");
    CPPUNIT_ASSERT_EQUAL(size_t{1}, devices->size());
    CPPUNIT_ASSERT_EQUAL(std::string("Profiler3750"),
                         devices->getObject(0)->getValue<std::string>("sysName"));
    // The run of the first process is kept in the local history across the restart.
    auto runs = array(second.get("/promsnmp/discovery/runs").body);
    CPPUNIT_ASSERT_EQUAL(
        std::string("api"),
        runs->getObject(static_cast<unsigned>(runs->size() - 1))->getValue<std::string>("trigger"));
    auto self = parseSamples(second.get("/metrics").body);
    CPPUNIT_ASSERT(std::stod(sampleValue(self, "promsnmp_discovery_success_total")) >= 2);
    CPPUNIT_ASSERT(std::stod(sampleValue(self, "promsnmp_last_discovery_timestamp_seconds")) > 0);
    CPPUNIT_ASSERT(std::stod(sampleValue(self, "promsnmp_discovery_probes_total",
                                         {{"result", "answered"}})) >= 2);
  }

  void testDiscoveryKeepsWhatTheOperatorSet() {
    // Two agents replaying one recording: the same sysName at two addresses.
    const uint16_t port = freeUdpPort();
    const std::string community = SnmpdAgent::kCommunity;
    SnmpSimAgent first({"127.0.22.3", port, "public", community});
    SnmpSimAgent second({"127.0.22.4", port, "public", community});
    TempDir dir;
    std::map<std::string, std::string> env = loneLeader(dir);
    env["PROMSNMP_DISCOVERY_TIMEOUT_MS"] = "500";
    TempDir logDir;
    Daemon daemon(logDir.path(), env);
    auto agentSays =
        toolWalk({"-v2c", "-c", community}, port, "1.3.6.1.2.1.1", dir.path(), "127.0.22.3");
    const std::string agentName = agentSays.at("1.3.6.1.2.1.1.5.0").bytes;
    const std::string agentLocation = agentSays.at("1.3.6.1.2.1.1.6.0").bytes;
    CPPUNIT_ASSERT(agentName != "core-router" && agentLocation != "rack 7");

    // The operator adds the first agent under a name and location of their own.
    const std::string endpoint =
        R"("endpoint":{"address":"127.0.22.3","port":)" + std::to_string(port) + "}";
    const std::string agent = R"({"type":"snmp-community",)" + endpoint +
                              R"(,"version":1,"readCommunity":")" + community + R"("})";
    HttpAnswer added = httpRequest(
        daemon.port(), "POST", "/promsnmp/inventory", {{"Content-Type", "application/json"}},
        R"({"devices":[{"sysName":"core-router","sysLocation":"rack 7","agents":[)" + agent +
            R"(],"primaryAgent":)" + agent + R"(}],"discoverySeeds":[]})");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(added.body, 200, added.status);

    HttpAnswer accepted = httpRequest(
        daemon.port(), "POST", "/promsnmp/discovery", {{"Content-Type", "application/json"}},
        seedBody(port, R"("127.0.22.3","127.0.22.4")", "\"" + community + "\""));
    CPPUNIT_ASSERT_EQUAL(202, accepted.status);
    Poco::JSON::Object::Ptr run = finishedRun(daemon, 60, 1);
    CPPUNIT_ASSERT_EQUAL(std::string("succeeded"), run->getValue<std::string>("state"));
    CPPUNIT_ASSERT_EQUAL(2, run->getValue<int>("found"));
    CPPUNIT_ASSERT_EQUAL(1, run->getValue<int>("new"));
    CPPUNIT_ASSERT_EQUAL(0, run->getValue<int>("newAgents"));

    // The operator's name and location stay; what the agent said is recorded beside them; the
    // second address is a device of its own, named as its agent says.
    auto devices = object(daemon.get("/promsnmp/inventory").body)->getArray("devices");
    CPPUNIT_ASSERT_EQUAL(size_t{2}, devices->size());
    Poco::JSON::Object::Ptr mine;
    Poco::JSON::Object::Ptr found;
    for (size_t i = 0; i < devices->size(); ++i) {
      auto device = devices->getObject(static_cast<unsigned>(i));
      CPPUNIT_ASSERT_EQUAL(size_t{1}, device->getArray("agents")->size());
      const std::string address = device->getObject("primaryAgent")
                                      ->getObject("endpoint")
                                      ->getValue<std::string>("address");
      (address == "127.0.22.3" ? mine : found) = device;
    }
    CPPUNIT_ASSERT(mine && found);
    CPPUNIT_ASSERT_EQUAL(std::string("core-router"), mine->getValue<std::string>("sysName"));
    CPPUNIT_ASSERT_EQUAL(std::string("rack 7"), mine->getValue<std::string>("sysLocation"));
    auto discovered = mine->getObject("discovered");
    CPPUNIT_ASSERT(discovered);
    CPPUNIT_ASSERT_EQUAL(agentName, discovered->getValue<std::string>("sysName"));
    CPPUNIT_ASSERT_EQUAL(agentLocation, discovered->getValue<std::string>("sysLocation"));
    CPPUNIT_ASSERT_EQUAL(agentName, found->getValue<std::string>("sysName"));
    CPPUNIT_ASSERT_EQUAL(agentLocation, found->getValue<std::string>("sysLocation"));
    CPPUNIT_ASSERT(found->getValue<std::string>("id") != mine->getValue<std::string>("id"));

    // The run report names each field kept and each device created.
    auto report =
        object(daemon.get("/promsnmp/discovery/runs/" + run->getValue<std::string>("id")).body);
    auto kept = report->getArray("kept");
    CPPUNIT_ASSERT_EQUAL(size_t{2}, kept->size());
    std::map<std::string, std::pair<std::string, std::string>> byField;
    for (size_t i = 0; i < kept->size(); ++i) {
      auto k = kept->getObject(static_cast<unsigned>(i));
      CPPUNIT_ASSERT_EQUAL(mine->getValue<std::string>("id"), k->getValue<std::string>("deviceId"));
      byField[k->getValue<std::string>("field")] = {k->getValue<std::string>("operatorValue"),
                                                    k->getValue<std::string>("agentValue")};
    }
    CPPUNIT_ASSERT(
        (byField["sysName"] == std::pair<std::string, std::string>{"core-router", agentName}));
    CPPUNIT_ASSERT(
        (byField["sysLocation"] == std::pair<std::string, std::string>{"rack 7", agentLocation}));
    auto created = report->getArray("created");
    CPPUNIT_ASSERT_EQUAL(size_t{1}, created->size());
    CPPUNIT_ASSERT_EQUAL("127.0.22.4:" + std::to_string(port),
                         created->getObject(0)->getValue<std::string>("endpoint"));
    CPPUNIT_ASSERT_EQUAL(found->getValue<std::string>("id"),
                         created->getObject(0)->getValue<std::string>("deviceId"));
    // Prometheus still finds the device under the operator's name.
    CPPUNIT_ASSERT(daemon.get("/targets").body.find("\"core-router\"") != std::string::npos);
  }

  void testAReplaceRemovingMostDevicesNeedsForce() {
    TempDir dir;
    std::map<std::string, std::string> env = loneLeader(dir);
    TempDir logDir;
    Daemon daemon(logDir.path(), env);
    auto body = [](const std::vector<std::string>& names) {
      std::string devices;
      for (size_t i = 0; i < names.size(); ++i) {
        const std::string agent = R"({"type":"snmp-community","endpoint":{"address":"127.0.23.)" +
                                  std::to_string(i + 1) +
                                  R"(","port":161},"version":1,"readCommunity":"c"})";
        devices += (i == 0 ? "" : ",") + (R"({"sysName":")" + names[i] + R"(","agents":[)") +
                   agent + R"(],"primaryAgent":)" + agent + "}";
      }
      return R"({"devices":[)" + devices + R"(],"discoverySeeds":[]})";
    };
    auto post = [&](const std::string& query, const std::string& json) {
      return httpRequest(daemon.port(), "POST", "/promsnmp/inventory" + query,
                         {{"Content-Type", "application/json"}}, json);
    };
    auto deviceCount = [&] {
      return object(daemon.get("/promsnmp/inventory").body)->getArray("devices")->size();
    };
    CPPUNIT_ASSERT_EQUAL(200, post("", body({"a", "b", "c", "d"})).status);  // from empty

    // Every device, or more than half of them: 409 naming how many, nothing changed.
    HttpAnswer all = post("", R"({"devices":[]})");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(all.body, 409, all.status);
    CPPUNIT_ASSERT_MESSAGE(all.body, all.body.find("4 of 4 devices") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(all.body, all.body.find("?force=true") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(std::string("application/json"), all.contentType.substr(0, 16));
    HttpAnswer most = post("", body({"a"}));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(most.body, 409, most.status);
    CPPUNIT_ASSERT_MESSAGE(most.body, most.body.find("3 of 4 devices") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(size_t{4}, deviceCount());

    // Half is an ordinary replace, as in Java; ?force=true allows the rest.
    CPPUNIT_ASSERT_EQUAL(200, post("", body({"a", "b"})).status);
    CPPUNIT_ASSERT_EQUAL(size_t{2}, deviceCount());
    HttpAnswer forced = post("?force=true", R"({"devices":[]})");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(forced.body, 200, forced.status);
    CPPUNIT_ASSERT_EQUAL(size_t{0}, deviceCount());
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DaemonDiscoveryTest);
