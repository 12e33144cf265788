#include "discovery/Discovery.h"

#include <cppunit/extensions/HelperMacros.h>

#include "discovery/FakeProber.h"
#include "snmp/FakeSnmpClient.h"

using namespace promsnmp;

namespace {

std::vector<std::string> resolveNothing(const std::string&) { return {}; }

inventoryfs::DiscoverySeed communitySeed(std::vector<std::string> targets,
                                         const std::string& community = "public",
                                         const std::string& version = "v2c") {
  inventoryfs::DiscoverySeed seed;
  seed.id = "seed-" + community;
  seed.potentialTargets = std::move(targets);
  seed.port = 1161;
  seed.version = version;
  seed.agentType = "snmp-community";
  seed.readCommunity = community;
  return seed;
}

inventoryfs::DiscoverySeed userSeed(std::vector<std::string> targets) {
  inventoryfs::DiscoverySeed seed;
  seed.potentialTargets = std::move(targets);
  seed.port = 161;
  seed.version = "v3";
  seed.agentType = "snmp-user";
  seed.securityName = "admin";
  seed.authProtocol = "SHA256";
  seed.authPassphrase = "authpass";
  seed.privProtocol = "AES256";
  seed.privPassphrase = "privpass";
  return seed;
}

FoundAgent found(const std::string& address, std::optional<std::string> sysName,
                 const std::string& descr = "descr") {
  FoundAgent f;
  f.agent.id = "agent-" + address;
  f.agent.endpoint = {address, 161};
  f.agent.version = 1;
  f.agent.readCommunity = "public";
  f.sysName = std::move(sysName);
  f.sysDescr = descr;
  return f;
}

FoundAgent foundAs(const std::string& address, const std::string& sysObjectId,
                   const std::string& descr) {
  FoundAgent f = found(address, "dev-" + address, descr);
  f.sysObjectId = sysObjectId;
  return f;
}

// Profiles as a site would write them (the format of etc/profiles.yml): a later rule refines an
// earlier one with sysDescr.
const char* const kProfiles = R"(profiles:
  - name: cisco-ios
    vendor: Cisco
    os: IOS
    sys_object_id: 1.3.6.1.4.1.9.1
    modules: [system, if_mib]
    optional_modules: [entity_physical, bgp4, not_defined]
  - name: cisco-nxos
    vendor: Cisco
    os: NX-OS
    sys_object_id: 1.3.6.1.4.1.9.1
    sys_descr: 'NX-OS'
    modules: [system, if_mib]
  - name: net-snmp-linux
    vendor: Net-SNMP
    os: Linux
    sys_object_id: 1.3.6.1.4.1.8072.3.2.10
    modules: [system, hrStorage]
)";

std::shared_ptr<const Module> moduleWalking(const std::string& name, const std::string& oid) {
  auto module = std::make_shared<Module>();
  module->name = name;
  module->walk.push_back(Oid::parse(oid));
  return module;
}

/// The modules the profiles name, each walking its MIB's table or group.
ModuleSet loadedModules() {
  ModuleSet set;
  set.modules["system"] = moduleWalking("system", "1.3.6.1.2.1.1");
  set.modules["if_mib"] = moduleWalking("if_mib", "1.3.6.1.2.1.2");
  set.modules["hrStorage"] = moduleWalking("hrStorage", "1.3.6.1.2.1.25.2");
  set.modules["entity_physical"] = moduleWalking("entity_physical", "1.3.6.1.2.1.47.1.1.1");
  set.modules["bgp4"] = moduleWalking("bgp4", "1.3.6.1.2.1.15.3");
  return set;
}

}  // namespace

class DiscoveryTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DiscoveryTest);
  CPPUNIT_TEST(testSweepThenReadsTheSystemGroupOfAnswerersOnly);
  CPPUNIT_TEST(testSnmpV1AgentWithoutAnObjectIsStillFound);
  CPPUNIT_TEST(testV3SeedsAreProbedThroughTheSnmpClient);
  CPPUNIT_TEST(testLaterSeedsSkipAddressesAlreadyFound);
  CPPUNIT_TEST(testBadSeedIsAProblemNotAnException);
  CPPUNIT_TEST(testMergeAddsUpdatesAndNeverRemoves);
  CPPUNIT_TEST(testASysNameAloneDoesNotAttachAnAgent);
  CPPUNIT_TEST(testTheSameEngineIdAttachesTheAgent);
  CPPUNIT_TEST(testV3ScanReadsTheEngineId);
  CPPUNIT_TEST(testMergeKeepsTheOperatorsFieldsAndRecordsTheAgents);
  CPPUNIT_TEST(testSeedsAreSavedOnce);
  CPPUNIT_TEST(testClassificationIsStored);
  CPPUNIT_TEST(testOptionalModulesAreKeptOnlyWhenTheAgentAnswersUnderThem);
  CPPUNIT_TEST(testNoModulesAreSetWithoutModuleFiles);
  CPPUNIT_TEST(testReclassifiedWhenTheSysObjectIdChanges);
  CPPUNIT_TEST(testNotReclassifiedOnARerunWithTheSameSysObjectId);
  CPPUNIT_TEST(testReclassifiedWhenTheSysDescrAProfileUsedChanges);
  CPPUNIT_TEST(testReclassifiedWhenTheProfilesGiveAnotherProfile);
  CPPUNIT_TEST(testStoppedProbesLeaveTheirAgentUnclassified);
  CPPUNIT_TEST(testOperatorModulesAreKept);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    snmp_.setString("1.3.6.1.2.1.1.1.0", "Cisco IOS");
    snmp_.set("1.3.6.1.2.1.1.2.0", SnmpValue::makeObjectId(Oid::parse("1.3.6.1.4.1.9.1.516")));
    snmp_.setString("1.3.6.1.2.1.1.4.0", "noc@example.net");
    snmp_.setString("1.3.6.1.2.1.1.5.0", "sw1");
    snmp_.setString("1.3.6.1.2.1.1.6.0", "Bangalore");
  }

  void testSweepThenReadsTheSystemGroupOfAnswerersOnly() {
    prober_.setOutcome("10.0.0.3", ProbeResult::Answered);
    prober_.setOutcome("10.0.0.5", ProbeResult::Unreachable);
    prober_.setOutcome("10.0.0.6", ProbeResult::Error);
    ScanSummary s = scanSeeds({communitySeed({"10.0.0.0/29"})}, snmp_, prober_, options_, stop_,
                              resolveNothing);
    CPPUNIT_ASSERT_EQUAL(size_t{8}, prober_.probed().size());
    CPPUNIT_ASSERT_EQUAL(std::string("public"), prober_.probed()[0].community);
    CPPUNIT_ASSERT_EQUAL(uint16_t{1161}, prober_.probed()[0].port);
    CPPUNIT_ASSERT_EQUAL(size_t{8}, s.addresses);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, s.answered);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, s.unreachable);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, s.errors);
    CPPUNIT_ASSERT_EQUAL(size_t{5}, s.timeouts);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, snmp_.requests().size());  // one GET, for the answerer
    CPPUNIT_ASSERT_EQUAL(size_t{1}, s.found.size());
    const FoundAgent& f = s.found[0];
    CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.3"), f.agent.endpoint.address);
    CPPUNIT_ASSERT_EQUAL(1161, f.agent.endpoint.port);
    CPPUNIT_ASSERT_EQUAL(1, f.agent.version);
    CPPUNIT_ASSERT_EQUAL(std::string("public"), *f.agent.readCommunity);
    CPPUNIT_ASSERT_EQUAL(std::string("sw1"), *f.sysName);
    CPPUNIT_ASSERT_EQUAL(std::string("Cisco IOS"), *f.sysDescr);
    CPPUNIT_ASSERT_EQUAL(std::string("noc@example.net"), *f.sysContact);
    CPPUNIT_ASSERT_EQUAL(std::string("Bangalore"), *f.sysLocation);
    CPPUNIT_ASSERT_EQUAL(std::string("1.3.6.1.4.1.9.1.516"), f.sysObjectId);
  }

  void testSnmpV1AgentWithoutAnObjectIsStillFound() {
    snmp_.erase("1.3.6.1.2.1.1.4.0");  // v1 answers noSuchName for the whole PDU
    prober_.setOutcome("10.0.0.1", ProbeResult::Answered);
    ScanSummary s = scanSeeds({communitySeed({"10.0.0.1"}, "public", "v1")}, snmp_, prober_,
                              options_, stop_, resolveNothing);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, s.found.size());
    CPPUNIT_ASSERT_EQUAL(0, s.found[0].agent.version);
    CPPUNIT_ASSERT(!s.found[0].sysContact);
    CPPUNIT_ASSERT_EQUAL(std::string("sw1"), *s.found[0].sysName);
    CPPUNIT_ASSERT_EQUAL(size_t{2}, snmp_.requests().size());  // retried without sysContact
  }

  void testV3SeedsAreProbedThroughTheSnmpClient() {
    inventoryfs::DiscoverySeed seed = userSeed({"10.0.0.1", "10.0.0.2", "10.0.0.3"});
    snmp_.setAuthFailTarget("10.0.0.2");
    snmp_.setTimeoutTarget("10.0.0.3");
    ScanSummary s = scanSeeds({seed}, snmp_, prober_, options_, stop_, resolveNothing);
    CPPUNIT_ASSERT_EQUAL(size_t{0}, prober_.sweeps());  // no v1/v2c sweep for a v3 seed
    CPPUNIT_ASSERT_EQUAL(size_t{1}, s.found.size());
    const inventoryfs::Agent& a = s.found[0].agent;
    CPPUNIT_ASSERT(a.type == inventoryfs::AgentType::User);
    CPPUNIT_ASSERT_EQUAL(3, a.version);
    CPPUNIT_ASSERT_EQUAL(3, a.securityLevel);
    CPPUNIT_ASSERT_EQUAL(std::string("admin"), *a.securityName);
    CPPUNIT_ASSERT_EQUAL(std::string("AES256"), *a.privProtocol);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, s.errors);    // authentication
    CPPUNIT_ASSERT_EQUAL(size_t{1}, s.timeouts);  // silent
    CPPUNIT_ASSERT(!s.problems.empty());
    CPPUNIT_ASSERT(s.problems[0].find("authpass") == std::string::npos);
  }

  void testLaterSeedsSkipAddressesAlreadyFound() {
    prober_.setOutcome("10.0.0.1", ProbeResult::Answered);
    ScanSummary s = scanSeeds(
        {communitySeed({"10.0.0.0/30"}, "first"), communitySeed({"10.0.0.0/30"}, "second")}, snmp_,
        prober_, options_, stop_, resolveNothing);
    CPPUNIT_ASSERT_EQUAL(size_t{7}, prober_.probed().size());  // 4, then 3 (10.0.0.1 was found)
    CPPUNIT_ASSERT_EQUAL(size_t{1}, s.found.size());
    CPPUNIT_ASSERT_EQUAL(std::string("first"), *s.found[0].agent.readCommunity);
  }

  void testBadSeedIsAProblemNotAnException() {
    options_.maxAddresses = 16;
    prober_.setOutcome("10.0.0.1", ProbeResult::Answered);
    ScanSummary s = scanSeeds({communitySeed({"10.0.0.0/8"}), communitySeed({"10.0.0.1"})}, snmp_,
                              prober_, options_, stop_, resolveNothing);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, s.errors);
    CPPUNIT_ASSERT(s.problems[0].find("16") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, s.found.size());  // the next seed still ran
  }

  void testMergeAddsUpdatesAndNeverRemoves() {
    inventoryfs::Inventory inventory;
    inventoryfs::Device kept;
    kept.id = "kept";
    kept.sysName = "not-found-this-time";
    inventory.devices.push_back(kept);
    inventoryfs::Device existing;
    existing.id = "existing";
    existing.sysName = "sw1";
    existing.sysDescr = "old descr";
    existing.agents.push_back(found("10.0.0.1", "sw1").agent);
    existing.primaryAgent = existing.agents[0];
    inventory.devices.push_back(existing);

    inventoryfs::Instant now{1700000000, 0};
    MergeCounts c = mergeFound({found("10.0.0.1", "sw1", "new descr"), found("10.0.0.2", "sw2"),
                                found("10.0.0.3", std::nullopt)},
                               inventory, now);
    CPPUNIT_ASSERT_EQUAL(size_t{2}, c.newDevices);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, c.updatedDevices);
    CPPUNIT_ASSERT_EQUAL(size_t{4}, inventory.devices.size());
    CPPUNIT_ASSERT_EQUAL(std::string("not-found-this-time"), *inventory.devices[0].sysName);
    CPPUNIT_ASSERT_EQUAL(std::string("new descr"), *inventory.devices[1].sysDescr);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, inventory.devices[1].agents.size());
    const inventoryfs::Device& added = inventory.devices[2];
    CPPUNIT_ASSERT_EQUAL(std::string("sw2"), *added.sysName);
    CPPUNIT_ASSERT(added.id && !added.id->empty());
    CPPUNIT_ASSERT(added.discoveredAt == now);
    CPPUNIT_ASSERT(added.primaryAgent == added.agents[0]);
    CPPUNIT_ASSERT(!inventory.devices[3].sysName);  // kept, reachable by its address

    MergeCounts again = mergeFound({found("10.0.0.1", "sw1", "new descr")}, inventory, now);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, again.unchanged);
    CPPUNIT_ASSERT_EQUAL(size_t{4}, inventory.devices.size());
  }

  void testASysNameAloneDoesNotAttachAnAgent() {
    // Java merged by sysName: a second agent calling itself core1 joined the device. A name is
    // no proof (every snmpsimd address answers with one recording's name): a new device.
    inventoryfs::Inventory inventory;
    inventoryfs::Device device;
    device.id = "core";
    device.sysName = "core1";
    device.agents.push_back(found("10.0.0.1", "core1").agent);
    device.primaryAgent = device.agents[0];
    inventory.devices.push_back(device);
    MergeCounts c = mergeFound({found("10.9.9.9", "core1")}, inventory, {});
    CPPUNIT_ASSERT_EQUAL(size_t{0}, c.newAgents);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, c.newDevices);
    CPPUNIT_ASSERT_EQUAL(size_t{2}, inventory.devices.size());
    CPPUNIT_ASSERT_EQUAL(size_t{1}, inventory.devices[0].agents.size());
    CPPUNIT_ASSERT_EQUAL(std::string("10.9.9.9"),
                         inventory.devices[1].primaryAgent->endpoint.address);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, c.created.size());
    CPPUNIT_ASSERT_EQUAL(*inventory.devices[1].id, c.created[0].deviceId);
    CPPUNIT_ASSERT_EQUAL(std::string("10.9.9.9:161"), c.created[0].endpoint);
  }

  void testTheSameEngineIdAttachesTheAgent() {
    inventoryfs::Inventory inventory;
    inventoryfs::Device device;
    device.id = "core";
    device.sysName = "core1";
    inventoryfs::Agent v3;
    v3.type = inventoryfs::AgentType::User;
    v3.version = 3;
    v3.endpoint = {"10.0.0.1", 161};
    v3.engineId = "80:00:1f:88:80:aa";
    device.agents.push_back(v3);
    device.primaryAgent = v3;
    inventory.devices.push_back(device);
    FoundAgent other = found("10.9.9.9", "core1");
    other.agent.type = inventoryfs::AgentType::User;
    other.agent.version = 3;
    other.engineId = "80001F8880AA";  // the same engine, spelt otherwise
    FoundAgent stranger = found("10.9.9.10", "core1");
    stranger.agent.type = inventoryfs::AgentType::User;
    stranger.agent.version = 3;
    stranger.engineId = "80:00:1f:88:80:bb";
    MergeCounts c = mergeFound({other, stranger}, inventory, {});
    CPPUNIT_ASSERT_EQUAL(size_t{1}, c.newAgents);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, c.newDevices);
    CPPUNIT_ASSERT_EQUAL(size_t{2}, inventory.devices[0].agents.size());
    CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.1"),
                         inventory.devices[0].primaryAgent->endpoint.address);  // unchanged
  }

  void testV3ScanReadsTheEngineId() {
    inventoryfs::DiscoverySeed seed = userSeed({"10.0.0.1"});
    snmp_.set("1.3.6.1.6.3.10.2.1.1.0",
              SnmpValue::makeOctetString(std::string("\x80\x00\x1f\x88\x0a", 5)));
    ScanSummary s = scanSeeds({seed}, snmp_, prober_, options_, stop_, resolveNothing);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, s.found.size());
    CPPUNIT_ASSERT_EQUAL(std::string("80:00:1f:88:0a"), s.found[0].engineId.value_or(""));
    CPPUNIT_ASSERT_EQUAL(std::string("80:00:1f:88:0a"), s.found[0].agent.engineId.value_or(""));
  }

  void testMergeKeepsTheOperatorsFieldsAndRecordsTheAgents() {
    // The operator added the agent at 10.0.0.1 as Profiler3750 in "demo rack 1"; the agent
    // calls itself zeus, in San Francisco.
    inventoryfs::Inventory inventory;
    inventoryfs::Device device;
    device.id = "p3750";
    device.sysName = "Profiler3750";
    device.sysLocation = "demo rack 1";
    device.operatorSet = std::vector<std::string>{"sysName", "sysLocation"};
    device.agents.push_back(found("10.0.0.1", "x").agent);
    device.primaryAgent = device.agents[0];
    inventory.devices.push_back(device);
    FoundAgent zeus = found("10.0.0.1", "zeus", "Linux zeus");
    zeus.sysLocation = "San Francisco";
    const inventoryfs::Instant t1{1700000000, 0};
    MergeCounts c = mergeFound({zeus}, inventory, t1);
    const inventoryfs::Device& d = inventory.devices[0];
    CPPUNIT_ASSERT_EQUAL(std::string("Profiler3750"), *d.sysName);
    CPPUNIT_ASSERT_EQUAL(std::string("demo rack 1"), *d.sysLocation);
    CPPUNIT_ASSERT_EQUAL(std::string("Linux zeus"), *d.sysDescr);  // not the operator's: follows
    CPPUNIT_ASSERT(d.discovered);
    CPPUNIT_ASSERT_EQUAL(std::string("zeus"), *d.discovered->sysName);
    CPPUNIT_ASSERT_EQUAL(std::string("San Francisco"), *d.discovered->sysLocation);
    CPPUNIT_ASSERT(d.discovered->at == t1);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, c.updatedDevices);
    CPPUNIT_ASSERT_EQUAL(size_t{2}, c.keptFields);
    CPPUNIT_ASSERT_EQUAL(size_t{2}, c.kept.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sysName"), c.kept[0].field);
    CPPUNIT_ASSERT_EQUAL(std::string("p3750"), c.kept[0].deviceId);
    CPPUNIT_ASSERT_EQUAL(std::string("Profiler3750"), *c.kept[0].operatorValue);
    CPPUNIT_ASSERT_EQUAL(std::string("zeus"), *c.kept[0].agentValue);
    CPPUNIT_ASSERT_EQUAL(std::string("sysLocation"), c.kept[1].field);
    CPPUNIT_ASSERT_EQUAL(std::string("San Francisco"), *c.kept[1].agentValue);

    // The same report again changes nothing (no commit), but still lists what it kept.
    inventoryfs::Inventory before = inventory;
    MergeCounts again = mergeFound({zeus}, inventory, inventoryfs::Instant{1700000100, 0});
    CPPUNIT_ASSERT(before == inventory);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, again.unchanged);
    CPPUNIT_ASSERT_EQUAL(size_t{2}, again.kept.size());
  }

  /// Classifies `f` against `inventory` and merges it.
  MergeCounts discover(std::vector<FoundAgent> f, inventoryfs::Inventory& inventory,
                       const inventoryfs::Instant& now, size_t expectClassified) {
    size_t n = classifyFound(f, inventory, profiles_, modules_, snmp_, options_, stop_, now);
    CPPUNIT_ASSERT_EQUAL(expectClassified, n);
    return mergeFound(f, inventory, now);
  }

  void testClassificationIsStored() {
    inventoryfs::Inventory inventory;
    const inventoryfs::Instant now{1700000000, 0};
    MergeCounts c = discover({foundAs("10.0.0.1", "1.3.6.1.4.1.9.1.516", "Cisco IOS Software")},
                             inventory, now, 1);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, c.classified);
    const inventoryfs::Device& d = inventory.devices.at(0);
    CPPUNIT_ASSERT_EQUAL(std::string("1.3.6.1.4.1.9.1.516"), *d.sysObjectId);
    CPPUNIT_ASSERT(d.profile.has_value());
    CPPUNIT_ASSERT_EQUAL(std::string("cisco-ios"), d.profile->name);
    CPPUNIT_ASSERT_EQUAL(std::string("Cisco"), *d.profile->vendor);
    CPPUNIT_ASSERT_EQUAL(std::string("IOS"), *d.profile->os);
    CPPUNIT_ASSERT(d.profile->reason->find("1.3.6.1.4.1.9.1") != std::string::npos);
    CPPUNIT_ASSERT(d.profile->at == now);
    // The run report lists the device with its profile and why.
    CPPUNIT_ASSERT_EQUAL(size_t{1}, c.profiles.size());
    CPPUNIT_ASSERT_EQUAL(*d.id, c.profiles[0].deviceId);
    CPPUNIT_ASSERT_EQUAL(std::string("cisco-ios"), c.profiles[0].profile);
    CPPUNIT_ASSERT_EQUAL(*d.profile->reason, c.profiles[0].reason);
    CPPUNIT_ASSERT(c.profiles[0].classified);

    // An agent no profile matches gets the generic profile.
    discover({foundAs("10.0.0.2", "1.3.6.1.4.1.99999.1", "x")}, inventory, now, 1);
    CPPUNIT_ASSERT_EQUAL(std::string(inventoryfs::ProfileSet::kGenericName),
                         inventory.devices.at(1).profile->name);
    CPPUNIT_ASSERT(!inventory.devices.at(1).profile->vendor);
    CPPUNIT_ASSERT((std::vector<std::string>{"system", "if_mib"}) ==
                   *inventory.devices.at(1).modules);
  }

  void testOptionalModulesAreKeptOnlyWhenTheAgentAnswersUnderThem() {
    // ENTITY-MIB's entPhysicalTable answers; BGP4-MIB has nothing (the next object lies past it).
    snmp_.setString("1.3.6.1.2.1.47.1.1.1.1.2.1", "chassis");
    inventoryfs::Inventory inventory;
    std::vector<FoundAgent> f = {foundAs("10.0.0.1", "1.3.6.1.4.1.9.1.516", "Cisco IOS")};
    classifyFound(f, inventory, profiles_, modules_, snmp_, options_, stop_, {1700000000, 0});
    CPPUNIT_ASSERT_EQUAL(size_t{2}, snmp_.requests().size());  // not_defined is not probed
    for (const SnmpRequest& r : snmp_.requests()) {
      CPPUNIT_ASSERT(r.type == SnmpRequest::Type::GetNext);
      CPPUNIT_ASSERT_EQUAL(size_t{1}, r.oids.size());
    }
    CPPUNIT_ASSERT_EQUAL(std::string("1.3.6.1.2.1.47.1.1.1"), snmp_.requests()[0].oids[0].str());
    CPPUNIT_ASSERT_EQUAL(std::string("1.3.6.1.2.1.15.3"), snmp_.requests()[1].oids[0].str());
    CPPUNIT_ASSERT(f[0].classified.has_value());
    CPPUNIT_ASSERT((std::vector<std::string>{"system", "if_mib", "entity_physical"}) ==
                   *f[0].classified->modules);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, f[0].classified->notes.size());
    CPPUNIT_ASSERT(f[0].classified->notes[0].find("not_defined") != std::string::npos);

    MergeCounts c = mergeFound(f, inventory, {1700000000, 0});
    CPPUNIT_ASSERT((std::vector<std::string>{"system", "if_mib", "entity_physical"}) ==
                   *inventory.devices.at(0).modules);
    CPPUNIT_ASSERT((std::vector<std::string>{"system", "if_mib", "entity_physical"}) ==
                   c.profiles.at(0).modules);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, c.profiles.at(0).notes.size());
  }

  void testNoModulesAreSetWithoutModuleFiles() {
    // Without module files the device keeps PromSNMP's own interface set (modules unset); the
    // profile is still recorded.
    inventoryfs::Inventory inventory;
    std::vector<FoundAgent> f = {foundAs("10.0.0.1", "1.3.6.1.4.1.9.1.516", "Cisco IOS")};
    classifyFound(f, inventory, profiles_, ModuleSet{}, snmp_, options_, stop_, {1700000000, 0});
    CPPUNIT_ASSERT(snmp_.requests().empty());
    mergeFound(f, inventory, {1700000000, 0});
    CPPUNIT_ASSERT_EQUAL(std::string("cisco-ios"), inventory.devices.at(0).profile->name);
    CPPUNIT_ASSERT(!inventory.devices.at(0).modules);
  }

  void testReclassifiedWhenTheSysObjectIdChanges() {
    inventoryfs::Inventory inventory;
    const inventoryfs::Instant first{1700000000, 0};
    const inventoryfs::Instant later{1700086400, 0};
    discover({foundAs("10.0.0.1", "1.3.6.1.4.1.9.1.516", "Cisco IOS")}, inventory, first, 1);
    // The box was replaced by a Linux server at the same address.
    MergeCounts c = discover({foundAs("10.0.0.1", "1.3.6.1.4.1.8072.3.2.10", "Linux srv 6.1")},
                             inventory, later, 1);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, c.updatedDevices);
    const inventoryfs::Device& d = inventory.devices.at(0);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, inventory.devices.size());
    CPPUNIT_ASSERT_EQUAL(std::string("1.3.6.1.4.1.8072.3.2.10"), *d.sysObjectId);
    CPPUNIT_ASSERT_EQUAL(std::string("net-snmp-linux"), d.profile->name);
    CPPUNIT_ASSERT_EQUAL(std::string("Linux"), *d.profile->os);
    CPPUNIT_ASSERT(d.profile->at == later);
    CPPUNIT_ASSERT((std::vector<std::string>{"system", "hrStorage"}) == *d.modules);
  }

  void testNotReclassifiedOnARerunWithTheSameSysObjectId() {
    inventoryfs::Inventory inventory;
    const inventoryfs::Instant first{1700000000, 0};
    discover({foundAs("10.0.0.1", "1.3.6.1.4.1.9.1.516", "Cisco IOS")}, inventory, first, 1);
    const inventoryfs::Inventory before = inventory;
    const size_t requests = snmp_.requests().size();
    std::vector<FoundAgent> f = {foundAs("10.0.0.1", "1.3.6.1.4.1.9.1.516", "Cisco IOS")};
    CPPUNIT_ASSERT_EQUAL(size_t{0}, classifyFound(f, inventory, profiles_, modules_, snmp_,
                                                  options_, stop_, {1700086400, 0}));
    CPPUNIT_ASSERT(!f[0].classified);
    CPPUNIT_ASSERT_EQUAL(requests, snmp_.requests().size());  // no probe either
    MergeCounts c = mergeFound(f, inventory, {1700086400, 0});
    CPPUNIT_ASSERT_EQUAL(size_t{1}, c.unchanged);
    CPPUNIT_ASSERT_EQUAL(size_t{0}, c.classified);
    CPPUNIT_ASSERT(inventory == before);  // nothing to commit
    // The report still says what the device is.
    CPPUNIT_ASSERT_EQUAL(std::string("cisco-ios"), c.profiles.at(0).profile);
    CPPUNIT_ASSERT(!c.profiles.at(0).classified);

    // A changed sysDescr does not matter to a profile that does not look at it.
    f = {foundAs("10.0.0.1", "1.3.6.1.4.1.9.1.516", "Cisco IOS 15.2")};
    CPPUNIT_ASSERT_EQUAL(size_t{0}, classifyFound(f, inventory, profiles_, modules_, snmp_,
                                                  options_, stop_, {1700086400, 0}));
  }

  void testReclassifiedWhenTheSysDescrAProfileUsedChanges() {
    inventoryfs::Inventory inventory;
    discover({foundAs("10.0.0.1", "1.3.6.1.4.1.9.1.516", "Cisco NX-OS 9.3")}, inventory,
             {1700000000, 0}, 1);
    CPPUNIT_ASSERT_EQUAL(std::string("cisco-nxos"), inventory.devices.at(0).profile->name);
    CPPUNIT_ASSERT(inventory.devices.at(0).profile->reason->find("sysDescr") != std::string::npos);
    // Same sysObjectID, another OS: the profile that matched looked at sysDescr.
    discover({foundAs("10.0.0.1", "1.3.6.1.4.1.9.1.516", "Cisco IOS 15.2")}, inventory,
             {1700086400, 0}, 1);
    CPPUNIT_ASSERT_EQUAL(std::string("cisco-ios"), inventory.devices.at(0).profile->name);
  }

  void testReclassifiedWhenTheProfilesGiveAnotherProfile() {
    // A device no rule matched, then a site file with a rule for it: the next discovery gives it
    // that profile (same sysObjectID, same sysDescr).
    inventoryfs::Inventory inventory;
    discover({foundAs("10.0.0.1", "1.3.6.1.4.1.99999.1.7", "ACME router")}, inventory,
             {1700000000, 0}, 1);
    CPPUNIT_ASSERT_EQUAL(std::string("generic"), inventory.devices.at(0).profile->name);
    profiles_ = inventoryfs::ProfileSet::parse(
        {{"test.yml", kProfiles},
         {"site.yml",
          "profiles:\n  - name: acme\n    sys_object_id: 1.3.6.1.4.1.99999.1\n"
          "    modules: [system]\n"}});
    std::vector<FoundAgent> f = {foundAs("10.0.0.1", "1.3.6.1.4.1.99999.1.7", "ACME router")};
    CPPUNIT_ASSERT_EQUAL(size_t{1}, classifyFound(f, inventory, profiles_, modules_, snmp_,
                                                  options_, stop_, {1700086400, 0}));
    mergeFound(f, inventory, {1700086400, 0});
    CPPUNIT_ASSERT_EQUAL(std::string("acme"), inventory.devices.at(0).profile->name);
  }

  // A run stopping while the optional modules are probed must not record a device with the
  // modules of the probes that were sent: the same profile would then never be probed again.
  void testStoppedProbesLeaveTheirAgentUnclassified() {
    snmp_.setString("1.3.6.1.2.1.47.1.1.1.1.2.1", "chassis");
    inventoryfs::Inventory inventory;
    std::vector<FoundAgent> f = {foundAs("10.0.0.1", "1.3.6.1.4.1.9.1.516", "Cisco IOS"),
                                 foundAs("10.0.0.2", "1.3.6.1.4.1.8072.3.2.10", "Linux")};
    stop_ = true;
    // The Linux agent's profile has no optional module: it is classified; the Cisco one is not.
    CPPUNIT_ASSERT_EQUAL(size_t{1}, classifyFound(f, inventory, profiles_, modules_, snmp_,
                                                  options_, stop_, {1700000000, 0}));
    CPPUNIT_ASSERT(snmp_.requests().empty());
    CPPUNIT_ASSERT(!f[0].classified.has_value());
    CPPUNIT_ASSERT(f[1].classified.has_value());
    mergeFound(f, inventory, {1700000000, 0});
    CPPUNIT_ASSERT(!inventory.devices.at(0).profile.has_value());
    CPPUNIT_ASSERT(!inventory.devices.at(0).modules.has_value());
    // The next run classifies it, with the optional module its agent answers under.
    stop_ = false;
    discover({f[0]}, inventory, {1700000100, 0}, 1);
    CPPUNIT_ASSERT_EQUAL(std::string("cisco-ios"), inventory.devices.at(0).profile->name);
    CPPUNIT_ASSERT((std::vector<std::string>{"system", "if_mib", "entity_physical"}) ==
                   *inventory.devices.at(0).modules);
  }

  void testOperatorModulesAreKept() {
    inventoryfs::Inventory inventory;
    inventoryfs::Device device;
    device.id = "mine";
    device.sysName = "dev-10.0.0.1";
    device.agents.push_back(found("10.0.0.1", "dev-10.0.0.1").agent);
    device.primaryAgent = device.agents[0];
    device.modules = std::vector<std::string>{"if_mib", "my_module"};
    device.operatorSet = std::vector<std::string>{"modules"};
    inventory.devices.push_back(device);
    MergeCounts c = discover({foundAs("10.0.0.1", "1.3.6.1.4.1.9.1.516", "Cisco IOS")}, inventory,
                             {1700000000, 0}, 1);
    const inventoryfs::Device& d = inventory.devices.at(0);
    CPPUNIT_ASSERT((std::vector<std::string>{"if_mib", "my_module"}) == *d.modules);
    CPPUNIT_ASSERT_EQUAL(std::string("cisco-ios"), d.profile->name);  // still recorded
    CPPUNIT_ASSERT(c.profiles.at(0).modulesKept);
  }

  void testSeedsAreSavedOnce() {
    inventoryfs::Inventory inventory;
    CPPUNIT_ASSERT(addSeed(communitySeed({"10.0.0.0/24"}), inventory));
    CPPUNIT_ASSERT(!addSeed(communitySeed({"10.0.0.0/24"}), inventory));
    CPPUNIT_ASSERT(addSeed(communitySeed({"10.0.0.0/24"}, "other"), inventory));
    CPPUNIT_ASSERT_EQUAL(size_t{2}, inventory.discoverySeeds.size());
    CPPUNIT_ASSERT(inventory.discoverySeeds[0].id != inventory.discoverySeeds[1].id);
    CPPUNIT_ASSERT_EQUAL(size_t{36}, inventory.discoverySeeds[0].id->size());
  }

 private:
  FakeSnmpClient snmp_;
  FakeProber prober_;
  DiscoveryOptions options_;
  inventoryfs::ProfileSet profiles_ = inventoryfs::ProfileSet::parse({{"test.yml", kProfiles}});
  ModuleSet modules_ = loadedModules();
  std::atomic<bool> stop_{false};
};

CPPUNIT_TEST_SUITE_REGISTRATION(DiscoveryTest);
