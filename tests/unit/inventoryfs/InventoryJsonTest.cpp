// Tests of the inventory JSON codec: Java (Jackson) files read field for field and written back
// byte for byte, the leniencies Jackson has (duplicate "type", nulls, missing primitives,
// offsets, 0-9 fraction digits), the strictness it lacks (strings for numbers, bad UTF-8), and
// an error message naming the JSON path for every malformed input.
#include "inventoryfs/InventoryJson.h"

#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>

#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include "Json.h"
#include "inventoryfs/Exceptions.h"
#include "inventoryfs/Inventory.h"

using namespace inventoryfs;

namespace {

const std::string kEmptyPretty = "{\n  \"devices\" : [ ],\n  \"discoverySeeds\" : [ ]\n}";

std::string readData(const std::string& name) {
  const std::string path = std::string(PROMSNMP_TEST_DATA) + "/inventory/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot open " + path);
  }
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The DataException message parsing `json` produces, or "<parsed>" if it parses.
std::string parseError(const std::string& json) {
  try {
    inventoryFromJson(json);
    return "<parsed>";
  } catch (const DataException& e) {
    return e.message();
  }
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A minimal inventory around one agent object's members.
std::string withAgent(const std::string& agentMembers) {
  return R"({"devices":[{"agents":[{)" + agentMembers + "}]}]}";
}

const std::string kEndpoint = R"("endpoint":{"address":"192.0.2.1","port":161})";

Instant at(int64_t seconds, int32_t nanos = 0) { return Instant{seconds, nanos}; }

Device makeDevice(int i) {
  Device d;
  const std::string n = std::to_string(i);
  d.id = "00000000-0000-4000-8000-" + std::string(12 - n.size(), '0') + n;
  d.sysName = "device-" + n + ".example.net";
  d.sysDescr = "Linux device-" + n + " 6.1.0-21-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.90-1";
  d.sysContact = "noc@example.net";
  d.sysLocation = i % 3 == 0 ? std::optional<std::string>() : "Rack " + n;
  d.discoveredAt = at(1748779200 + i, (i % 10) * 100'000'000);
  Agent community;
  community.id = "11111111-0000-4000-8000-" + std::string(12 - n.size(), '0') + n;
  community.endpoint.address = "10." + std::to_string(i / 65536 % 256) + "." +
                               std::to_string(i / 256 % 256) + "." + std::to_string(i % 256);
  community.version = 1;
  community.timeoutMs = 1000;
  community.discoveredAt = at(1748779200 + i, 123456000);
  community.readCommunity = "public";
  d.agents.push_back(community);
  if (i % 2 == 0) {
    Agent user;
    user.type = AgentType::User;
    user.id = "22222222-0000-4000-8000-" + std::string(12 - n.size(), '0') + n;
    user.endpoint.address = community.endpoint.address;
    user.version = 3;
    user.retries = 2;
    user.securityName = "monitor";
    user.securityLevel = 3;
    user.authProtocol = "SHA";
    user.authPassphrase = "auth-passphrase-" + n;
    user.privProtocol = "AES128";
    user.privPassphrase = "priv-passphrase-" + n;
    user.engineId = "80:00:1f:88:80:6a:3b:2c:1d:0e:5f:4a:3b";
    d.agents.push_back(user);
  }
  d.primaryAgent = d.agents.back();
  return d;
}

}  // namespace

class InventoryJsonTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(InventoryJsonTest);
  CPPUNIT_TEST(testJavaSampleFields);
  CPPUNIT_TEST(testJavaSampleWrittenBackByteForByte);
  CPPUNIT_TEST(testEmptyInventoryText);
  CPPUNIT_TEST(testOneDevicePrettyText);
  CPPUNIT_TEST(testCompactTextAndSingleObjects);
  CPPUNIT_TEST(testDuplicateIdenticalTypeAccepted);
  CPPUNIT_TEST(testConflictingTypeRejected);
  CPPUNIT_TEST(testUnknownOrMissingTypeRejected);
  CPPUNIT_TEST(testExplicitNullsAndMissingPrimitives);
  CPPUNIT_TEST(testLenientFile);
  CPPUNIT_TEST(testMissingDevicesRejected);
  CPPUNIT_TEST(testNumbersMustBeIntegers);
  CPPUNIT_TEST(testInstantFractionDigits);
  CPPUNIT_TEST(testInstantOffsets);
  CPPUNIT_TEST(testInstantYearsAndRanges);
  CPPUNIT_TEST(testInvalidInstantNamesPath);
  CPPUNIT_TEST(testLongSysDescr);
  CPPUNIT_TEST(testUtf8AndEscapes);
  CPPUNIT_TEST(testInvalidUtf8);
  CPPUNIT_TEST(testWriterEscaping);
  CPPUNIT_TEST(testMaskCredentials);
  CPPUNIT_TEST(testMalformedInputs);
  CPPUNIT_TEST(testErrorNamesPath);
  CPPUNIT_TEST(testDepthLimit);
  CPPUNIT_TEST(testReaderReportsDuplicateKeys);
  CPPUNIT_TEST(testLargeInventoryRoundTrip);
  CPPUNIT_TEST(testResolvePrimaryAgent);
  CPPUNIT_TEST(testAgentTypeName);
  CPPUNIT_TEST(testNewUuid);
  CPPUNIT_TEST(testNowInstant);
  CPPUNIT_TEST(testStrictNamesUnknownKeys);
  CPPUNIT_TEST(testStrictRefusesContradictoryCredentials);
  CPPUNIT_TEST(testStrictAcceptsJavaFiles);
  CPPUNIT_TEST(testProvenanceRoundTripsAndIsWrittenOnlyWhenThere);
  CPPUNIT_TEST(testModulesAndProfileRoundTripAndAreWrittenOnlyWhenThere);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testJavaSampleFields() {
    const Inventory inv = inventoryFromJson(readData("java-sample.json"));
    CPPUNIT_ASSERT_EQUAL(size_t{2}, inv.devices.size());
    CPPUNIT_ASSERT_EQUAL(size_t{2}, inv.discoverySeeds.size());

    const Device& router = inv.devices[0];
    CPPUNIT_ASSERT(router.id == "6f1c2b9e-6a55-4c0e-9d7a-3f1b2c3d4e5f");
    CPPUNIT_ASSERT(router.sysName == "router1");
    CPPUNIT_ASSERT(router.sysDescr == "Linux router1 6.1.0");
    CPPUNIT_ASSERT(router.sysContact == "noc@example.com");
    CPPUNIT_ASSERT(router.sysLocation == "Rack 4");
    CPPUNIT_ASSERT(router.discoveredAt == at(1748779200, 123456000));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, router.agents.size());
    const Agent& community = router.agents[0];
    CPPUNIT_ASSERT(community.type == AgentType::Community);
    CPPUNIT_ASSERT(community.id == "0b6f7d1e-2a3b-4c5d-8e9f-0a1b2c3d4e5f");
    CPPUNIT_ASSERT_EQUAL(std::string("192.168.1.1"), community.endpoint.address);
    CPPUNIT_ASSERT_EQUAL(161, community.endpoint.port);
    CPPUNIT_ASSERT_EQUAL(1, community.version);
    CPPUNIT_ASSERT_EQUAL(int64_t{1000}, community.timeoutMs);
    CPPUNIT_ASSERT_EQUAL(1, community.retries);
    CPPUNIT_ASSERT(community.discoveredAt == at(1748779200, 100000000));
    CPPUNIT_ASSERT(community.readCommunity == "public");
    CPPUNIT_ASSERT(!community.writeCommunity);
    CPPUNIT_ASSERT(!community.securityName && !community.engineId);
    CPPUNIT_ASSERT(router.primaryAgent.has_value());
    CPPUNIT_ASSERT(*router.primaryAgent == community);

    const Device& sw = inv.devices[1];
    CPPUNIT_ASSERT(sw.sysName == "switch7.example.com");
    CPPUNIT_ASSERT(!sw.sysContact && !sw.sysLocation && !sw.primaryAgent);
    CPPUNIT_ASSERT(sw.discoveredAt == at(1748853015));
    CPPUNIT_ASSERT_EQUAL(size_t{2}, sw.agents.size());
    const Agent& user = sw.agents[0];
    CPPUNIT_ASSERT(user.type == AgentType::User);
    CPPUNIT_ASSERT(user.id == "7e6d5c4b-3a29-4817-9605-f4e3d2c1b0a9");
    CPPUNIT_ASSERT_EQUAL(std::string("fe80:0:0:0:0:0:0:1"), user.endpoint.address);
    CPPUNIT_ASSERT_EQUAL(1161, user.endpoint.port);
    CPPUNIT_ASSERT_EQUAL(3, user.version);
    CPPUNIT_ASSERT_EQUAL(int64_t{2500}, user.timeoutMs);
    CPPUNIT_ASSERT_EQUAL(3, user.retries);
    CPPUNIT_ASSERT(user.discoveredAt == at(1748853015, 1));
    CPPUNIT_ASSERT(user.securityName == "monitor");
    CPPUNIT_ASSERT_EQUAL(3, user.securityLevel);
    CPPUNIT_ASSERT(user.authProtocol == "SHA");
    CPPUNIT_ASSERT(user.authPassphrase == "auth-secret-1");
    CPPUNIT_ASSERT(user.privProtocol == "AES128");
    CPPUNIT_ASSERT(user.privPassphrase == "priv-secret-1");
    CPPUNIT_ASSERT(user.engineId == "80:00:1f:88:80:6a:3b:2c:1d:0e:5f:4a:3b");
    CPPUNIT_ASSERT(!user.readCommunity && !user.writeCommunity);
    const Agent& second = sw.agents[1];
    CPPUNIT_ASSERT(second.type == AgentType::Community);
    CPPUNIT_ASSERT_EQUAL(0, second.version);
    CPPUNIT_ASSERT(!second.discoveredAt);
    CPPUNIT_ASSERT(second.writeCommunity == "private");

    const DiscoverySeed& s0 = inv.discoverySeeds[0];
    CPPUNIT_ASSERT(s0.id == "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d");
    CPPUNIT_ASSERT(s0.potentialTargets == std::vector<std::string>({"192.168.1.1", "192.168.1.2"}));
    CPPUNIT_ASSERT_EQUAL(161, s0.port);
    CPPUNIT_ASSERT(s0.version == "v2c");
    CPPUNIT_ASSERT(s0.agentType == "snmp-community");
    CPPUNIT_ASSERT(s0.readCommunity == "public");
    CPPUNIT_ASSERT(!s0.securityName && !s0.authProtocol && !s0.authPassphrase);
    CPPUNIT_ASSERT(!s0.privProtocol && !s0.privPassphrase);
    CPPUNIT_ASSERT_EQUAL(0, s0.securityLevel);
    const DiscoverySeed& s1 = inv.discoverySeeds[1];
    CPPUNIT_ASSERT(s1.potentialTargets.empty());
    CPPUNIT_ASSERT_EQUAL(1161, s1.port);
    CPPUNIT_ASSERT(s1.version == "v3");
    CPPUNIT_ASSERT(s1.agentType == "snmp-user");
    CPPUNIT_ASSERT(!s1.readCommunity);
    CPPUNIT_ASSERT(s1.securityName == "monitor");
    CPPUNIT_ASSERT_EQUAL(2, s1.securityLevel);
    CPPUNIT_ASSERT(s1.authProtocol == "SHA256");
    CPPUNIT_ASSERT(s1.authPassphrase == "seed-auth");
  }

  void testJavaSampleWrittenBackByteForByte() {
    for (const char* name : {"java-sample.json", "empty.json", "utf8-long.json"}) {
      const std::string file = readData(name);
      const Inventory inv = inventoryFromJson(file);
      JsonWriteOptions jackson;
      jackson.style = JsonStyle::Pretty;
      jackson.typeTwice = true;
      if (name != std::string("utf8-long.json")) {  // that one has \u escapes Jackson would not
        CPPUNIT_ASSERT_EQUAL_MESSAGE(name, file, inventoryToJson(inv, jackson));
      }
      // Every style reads back to the same model.
      CPPUNIT_ASSERT(inventoryFromJson(inventoryToJson(inv)) == inv);
      CPPUNIT_ASSERT(inventoryFromJson(inventoryToJson(inv, {JsonStyle::Pretty})) == inv);
    }
  }

  void testEmptyInventoryText() {
    CPPUNIT_ASSERT_EQUAL(kEmptyPretty, inventoryToJson(Inventory{}, {JsonStyle::Pretty}));
    CPPUNIT_ASSERT_EQUAL(kEmptyPretty, readData("empty.json"));
    CPPUNIT_ASSERT_EQUAL(std::string(R"({"devices":[],"discoverySeeds":[]})"),
                         inventoryToJson(Inventory{}));
    CPPUNIT_ASSERT(inventoryFromJson(kEmptyPretty) == Inventory{});
    CPPUNIT_ASSERT(inventoryFromJson(R"({"devices":[]})") == Inventory{});
  }

  void testOneDevicePrettyText() {
    Device d;
    d.id = "d1";
    d.sysName = "r1";
    d.discoveredAt = at(0);
    Agent a;
    a.id = "a1";
    a.endpoint = {"192.0.2.1", 161};
    a.version = 1;
    a.readCommunity = "public";
    d.agents.push_back(a);
    d.primaryAgent = a;
    DiscoverySeed s;
    s.id = "s1";
    s.potentialTargets = {"192.0.2.1", "192.0.2.2"};
    s.port = 161;
    s.version = "v2c";
    Inventory inv;
    inv.devices.push_back(d);
    inv.discoverySeeds.push_back(s);

    const std::string agentText = R"({
      "type" : "snmp-community",
      "id" : "a1",
      "endpoint" : {
        "address" : "192.0.2.1",
        "port" : 161
      },
      "version" : 1,
      "timeout" : 1500,
      "retries" : 1,
      "discoveredAt" : null,
      "readCommunity" : "public",
      "writeCommunity" : null,
      "type" : "snmp-community"
    })";
    const std::string expected = R"({
  "devices" : [ {
    "id" : "d1",
    "sysName" : "r1",
    "sysDescr" : null,
    "sysContact" : null,
    "sysLocation" : null,
    "discoveredAt" : "1970-01-01T00:00:00Z",
    "agents" : [ )" + agentText + R"( ],
    "primaryAgent" : )" + agentText +
                                 R"(
  } ],
  "discoverySeeds" : [ {
    "id" : "s1",
    "potentialTargets" : [ "192.0.2.1", "192.0.2.2" ],
    "port" : 161,
    "version" : "v2c",
    "agentType" : null,
    "readCommunity" : null,
    "securityName" : null,
    "securityLevel" : 0,
    "authProtocol" : null,
    "authPassphrase" : null,
    "privProtocol" : null,
    "privPassphrase" : null
  } ]
})";
    JsonWriteOptions jackson;
    jackson.style = JsonStyle::Pretty;
    jackson.typeTwice = true;
    CPPUNIT_ASSERT_EQUAL(expected, inventoryToJson(inv, jackson));
    CPPUNIT_ASSERT(inventoryFromJson(expected) == inv);
  }

  void testCompactTextAndSingleObjects() {
    DiscoverySeed s;
    s.potentialTargets = {"a"};
    CPPUNIT_ASSERT_EQUAL(
        std::string(R"({"id":null,"potentialTargets":["a"],"port":0,"version":null,)"
                    R"("agentType":null,"readCommunity":null,"securityName":null,)"
                    R"("securityLevel":0,"authProtocol":null,"authPassphrase":null,)"
                    R"("privProtocol":null,"privPassphrase":null})"),
        seedToJson(s));

    Device d;
    Agent u;
    u.type = AgentType::User;
    u.endpoint = {"h", 162};
    u.version = 3;
    u.securityLevel = 1;
    u.engineId = "80:00";
    d.agents.push_back(u);
    CPPUNIT_ASSERT_EQUAL(
        std::string(R"({"id":null,"sysName":null,"sysDescr":null,"sysContact":null,)"
                    R"("sysLocation":null,"discoveredAt":null,"agents":[{"type":"snmp-user",)"
                    R"("id":null,"endpoint":{"address":"h","port":162},"version":3,)"
                    R"("timeout":1500,"retries":1,"discoveredAt":null,"securityName":null,)"
                    R"("securityLevel":1,"authProtocol":null,"authPassphrase":null,)"
                    R"("privProtocol":null,"privPassphrase":null,"engineId":"80:00"}],)"
                    R"("primaryAgent":null})"),
        deviceToJson(d));
    // A standalone pretty object starts at indent level one, as Jackson's does.
    CPPUNIT_ASSERT(deviceToJson(d, {JsonStyle::Pretty}).starts_with("{\n  \"id\" : null,\n"));
    CPPUNIT_ASSERT(
        deviceToJson(d, {JsonStyle::Pretty}).ends_with("\n  \"primaryAgent\" : null\n}"));
  }

  void testDuplicateIdenticalTypeAccepted() {
    const Inventory inv = inventoryFromJson(withAgent(R"("type":"snmp-user",)" + kEndpoint +
                                                      R"(,"type":"snmp-user","type":"snmp-user")"));
    CPPUNIT_ASSERT(inv.devices[0].agents[0].type == AgentType::User);
  }

  void testConflictingTypeRejected() {
    const std::string error =
        parseError(withAgent(R"("type":"snmp-community",)" + kEndpoint + R"(,"type":"snmp-user")"));
    CPPUNIT_ASSERT_EQUAL(
        std::string(
            R"(devices[0].agents[0].type: conflicting values "snmp-community" and "snmp-user")"),
        error);
  }

  void testUnknownOrMissingTypeRejected() {
    CPPUNIT_ASSERT_EQUAL(
        std::string(R"(devices[0].agents[0].type: required ("snmp-community" or "snmp-user"))"),
        parseError(withAgent(kEndpoint)));
    const std::string unknown = parseError(withAgent(R"("type":"snmp-v9",)" + kEndpoint));
    CPPUNIT_ASSERT_MESSAGE(unknown, unknown.starts_with("devices[0].agents[0].type: unknown agent "
                                                        "type \"snmp-v9\""));
    const std::string null = parseError(withAgent(R"("type":null,)" + kEndpoint));
    CPPUNIT_ASSERT_MESSAGE(null, null.starts_with("devices[0].agents[0].type: expected"));
    const std::string number = parseError(withAgent(R"("type":1,)" + kEndpoint));
    CPPUNIT_ASSERT_MESSAGE(number, number.starts_with("devices[0].agents[0].type: expected"));
    const std::string primary = parseError(R"({"devices":[{"primaryAgent":{)" + kEndpoint + "}}]}");
    CPPUNIT_ASSERT_MESSAGE(primary, primary.starts_with("devices[0].primaryAgent.type: required"));
    const std::string noEndpoint = parseError(withAgent(R"("type":"snmp-user")"));
    CPPUNIT_ASSERT_EQUAL(std::string("devices[0].agents[0].endpoint: required"), noEndpoint);
    const std::string noAddress =
        parseError(withAgent(R"("type":"snmp-user","endpoint":{"port":1})"));
    CPPUNIT_ASSERT_EQUAL(std::string("devices[0].agents[0].endpoint.address: required"), noAddress);
  }

  void testExplicitNullsAndMissingPrimitives() {
    const Inventory nulls = inventoryFromJson(R"({"devices":[{"id":null,"sysName":null,
        "sysDescr":null,"sysContact":null,"sysLocation":null,"discoveredAt":null,"agents":null,
        "primaryAgent":{"type":"snmp-user","id":null,"endpoint":{"address":"h","port":null},
        "version":null,"timeout":null,"retries":null,"discoveredAt":null,"securityName":null,
        "securityLevel":null,"authProtocol":null,"authPassphrase":null,"privProtocol":null,
        "privPassphrase":null,"engineId":null}}],
        "discoverySeeds":[{"id":null,"potentialTargets":null,"port":null,"version":null,
        "agentType":null,"readCommunity":null,"securityName":null,"securityLevel":null,
        "authProtocol":null,"authPassphrase":null,"privProtocol":null,"privPassphrase":null}]})");
    const Inventory missing = inventoryFromJson(
        R"({"devices":[{"primaryAgent":{"type":"snmp-user","endpoint":{"address":"h"}}}],
            "discoverySeeds":[{}]})");
    for (const Inventory* inv : {&nulls, &missing}) {
      const Device& d = inv->devices.at(0);
      CPPUNIT_ASSERT(!d.id && !d.sysName && !d.sysDescr && !d.sysContact && !d.sysLocation);
      CPPUNIT_ASSERT(!d.discoveredAt && d.agents.empty());
      const Agent& a = d.primaryAgent.value();
      CPPUNIT_ASSERT(a.type == AgentType::User);
      CPPUNIT_ASSERT(!a.id && !a.discoveredAt && !a.securityName && !a.engineId);
      CPPUNIT_ASSERT(!a.authProtocol && !a.authPassphrase && !a.privProtocol && !a.privPassphrase);
      CPPUNIT_ASSERT_EQUAL(161, a.endpoint.port);
      CPPUNIT_ASSERT_EQUAL(0, a.version);  // SNMPv1, as Java defaults it
      CPPUNIT_ASSERT_EQUAL(int64_t{1500}, a.timeoutMs);
      CPPUNIT_ASSERT_EQUAL(1, a.retries);
      CPPUNIT_ASSERT_EQUAL(0, a.securityLevel);
      const DiscoverySeed& s = inv->discoverySeeds.at(0);
      CPPUNIT_ASSERT(s == DiscoverySeed{});
      CPPUNIT_ASSERT_EQUAL(0, s.port);
    }
    CPPUNIT_ASSERT(nulls == missing);
    // No "discoverySeeds" at all, or null: none.
    CPPUNIT_ASSERT(
        inventoryFromJson(R"({"devices":[],"discoverySeeds":null})").discoverySeeds.empty());
  }

  void testLenientFile() {
    const Inventory inv = inventoryFromJson(readData("lenient.json"));
    CPPUNIT_ASSERT_EQUAL(size_t{2}, inv.devices.size());
    const Device& d0 = inv.devices[0];
    CPPUNIT_ASSERT(!d0.sysName && !d0.primaryAgent);
    CPPUNIT_ASSERT(d0.discoveredAt == at(1748779200 + 5400, 500000000));  // -01:30
    CPPUNIT_ASSERT_EQUAL(size_t{2}, d0.agents.size());
    // An escaped key ("\u0074ype") and a repeated "type"; a community field is dropped.
    const Agent& user = d0.agents[0];
    CPPUNIT_ASSERT(user.type == AgentType::User);
    CPPUNIT_ASSERT(user.securityName == "ops");
    CPPUNIT_ASSERT(!user.readCommunity);
    CPPUNIT_ASSERT_EQUAL(0, user.version);
    CPPUNIT_ASSERT_EQUAL(int64_t{1500}, user.timeoutMs);
    CPPUNIT_ASSERT_EQUAL(1, user.retries);
    CPPUNIT_ASSERT_EQUAL(161, user.endpoint.port);
    // "type" after fields of both groups: the user field is dropped.
    const Agent& community = d0.agents[1];
    CPPUNIT_ASSERT(community.type == AgentType::Community);
    CPPUNIT_ASSERT(community.readCommunity == "early");
    CPPUNIT_ASSERT(!community.securityName);
    CPPUNIT_ASSERT(community.discoveredAt == at(1748779200));  // 14:00+02:00 = 12:00Z
    const Device& d1 = inv.devices[1];
    CPPUNIT_ASSERT(d1.id == "dev-2");
    CPPUNIT_ASSERT(d1.agents.empty());
    CPPUNIT_ASSERT(d1.discoveredAt == at(1748779200, 123456700));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, inv.discoverySeeds.size());
    CPPUNIT_ASSERT(inv.discoverySeeds[0].potentialTargets.empty());
    CPPUNIT_ASSERT_EQUAL(3, inv.discoverySeeds[0].securityLevel);
    CPPUNIT_ASSERT_EQUAL(0, inv.discoverySeeds[0].port);
    CPPUNIT_ASSERT(inventoryFromJson(inventoryToJson(inv)) == inv);
  }

  void testMissingDevicesRejected() {
    CPPUNIT_ASSERT_EQUAL(std::string("devices: required"), parseError("{}"));
    CPPUNIT_ASSERT_EQUAL(std::string("devices: required"), parseError(R"({"discoverySeeds":[]})"));
    CPPUNIT_ASSERT_EQUAL(std::string("devices: expected an array"),
                         parseError(R"({"devices":null})"));
    CPPUNIT_ASSERT_EQUAL(std::string("devices[1]: expected an object"),
                         parseError(R"({"devices":[{},null]})"));
    CPPUNIT_ASSERT_EQUAL(std::string("expected an object"), parseError("[]"));
  }

  void testNumbersMustBeIntegers() {
    const std::string agent = R"("type":"snmp-community","endpoint":{"address":"h","port":)";
    CPPUNIT_ASSERT_EQUAL(std::string("devices[0].agents[0].endpoint.port: expected an integer"),
                         parseError(withAgent(agent + R"("161"})")));
    CPPUNIT_ASSERT_EQUAL(std::string("devices[0].agents[0].endpoint.port: expected an integer"),
                         parseError(withAgent(agent + "161.0}")));
    CPPUNIT_ASSERT_EQUAL(std::string("devices[0].agents[0].endpoint.port: expected an integer"),
                         parseError(withAgent(agent + "1e2}")));
    CPPUNIT_ASSERT_EQUAL(std::string("devices[0].agents[0].endpoint.port: integer out of range"),
                         parseError(withAgent(agent + "2147483648}")));
    CPPUNIT_ASSERT_EQUAL(std::string("devices[0].agents[0].timeout: integer out of range"),
                         parseError(withAgent(R"("type":"snmp-user",)" + kEndpoint +
                                              R"(,"timeout":9223372036854775808)")));
    CPPUNIT_ASSERT_EQUAL(std::string("discoverySeeds[0].securityLevel: expected an integer"),
                         parseError(R"({"devices":[],"discoverySeeds":[{"securityLevel":true}]})"));
    const Inventory extremes = inventoryFromJson(
        withAgent(R"("type":"snmp-user",)" + kEndpoint +
                  R"(,"timeout":-9223372036854775808,"retries":-2147483648,"version":2147483647)"));
    const Agent& a = extremes.devices[0].agents[0];
    CPPUNIT_ASSERT_EQUAL(INT64_MIN, a.timeoutMs);
    CPPUNIT_ASSERT_EQUAL(INT32_MIN, a.retries);
    CPPUNIT_ASSERT_EQUAL(INT32_MAX, a.version);
    CPPUNIT_ASSERT(inventoryFromJson(inventoryToJson(extremes)) == extremes);
  }

  void testInstantFractionDigits() {
    const int32_t expected[] = {0,         100000000, 120000000, 123000000, 123400000,
                                123450000, 123456000, 123456700, 123456780, 123456789};
    std::string text = "2025-06-01T12:00:00";
    for (int digits = 0; digits <= 9; ++digits) {
      const std::string input = text + "Z";
      const Instant parsed = parseInstant(input);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(input, int64_t{1748779200}, parsed.epochSeconds);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(input, expected[digits], parsed.nanos);
      text += digits == 0 ? ".1" : std::string(1, static_cast<char>('1' + digits));
    }
    // Java prints 0, 3, 6 or 9 digits.
    CPPUNIT_ASSERT_EQUAL(std::string("2025-06-01T12:00:00Z"), formatInstant(at(1748779200)));
    CPPUNIT_ASSERT_EQUAL(std::string("2025-06-01T12:00:00.100Z"),
                         formatInstant(at(1748779200, 100000000)));
    CPPUNIT_ASSERT_EQUAL(std::string("2025-06-01T12:00:00.123456Z"),
                         formatInstant(at(1748779200, 123456000)));
    CPPUNIT_ASSERT_EQUAL(std::string("2025-06-01T12:00:00.000001Z"),
                         formatInstant(at(1748779200, 1000)));
    CPPUNIT_ASSERT_EQUAL(std::string("2025-06-01T12:00:00.000000001Z"),
                         formatInstant(at(1748779200, 1)));
    CPPUNIT_ASSERT_EQUAL(std::string("2025-06-01T12:00:00.123456789Z"),
                         formatInstant(at(1748779200, 123456789)));
    CPPUNIT_ASSERT_EQUAL(std::string("1970-01-01T00:00:00Z"), formatInstant(Instant{}));
    CPPUNIT_ASSERT_EQUAL(std::string("1969-12-31T23:59:59.999Z"), formatInstant(at(-1, 999000000)));
    CPPUNIT_ASSERT_THROW(parseInstant("2025-06-01T12:00:00.1234567890Z"), DataException);
  }

  void testInstantOffsets() {
    const Instant noon = at(1748779200);
    CPPUNIT_ASSERT(parseInstant("2025-06-01T14:00:00+02:00") == noon);
    CPPUNIT_ASSERT(parseInstant("2025-06-01T10:30:00-01:30") == noon);
    CPPUNIT_ASSERT(parseInstant("2025-06-01T12:00:00+00:00") == noon);
    CPPUNIT_ASSERT(parseInstant("2025-06-01T12:00:00-00:00") == noon);
    CPPUNIT_ASSERT(parseInstant("2025-06-01t12:00:00z") == noon);
    CPPUNIT_ASSERT(parseInstant("2025-06-01T12:00:30+00:00:30") == noon);
    // Across midnight, a month and a year end.
    CPPUNIT_ASSERT(parseInstant("2025-01-01T01:00:00.5+02:00") ==
                   parseInstant("2024-12-31T23:00:00.500Z"));
    CPPUNIT_ASSERT(parseInstant("2025-06-01T00:00:00-18:00") == at(1748779200 + 6 * 3600));
    CPPUNIT_ASSERT(parseInstant("2025-06-01T00:00:00+18:00") == at(1748779200 - 30 * 3600));
    for (const char* bad :
         {"2025-06-01T12:00:00+19:00", "2025-06-01T12:00:00+02", "2025-06-01T12:00:00+0200",
          "2025-06-01T12:00:00+02:60", "2025-06-01T12:00:00", "2025-06-01T12:00:00 Z",
          "2025-06-01T12:00:00Z ", "2025-06-01 12:00:00Z"}) {
      bool threw = false;
      try {
        parseInstant(bad);
      } catch (const DataException& e) {
        threw = true;
        CPPUNIT_ASSERT_MESSAGE(e.message(), e.message().starts_with("invalid instant \""));
      }
      CPPUNIT_ASSERT_MESSAGE(bad, threw);
    }
  }

  void testInstantYearsAndRanges() {
    CPPUNIT_ASSERT(parseInstant("2024-02-29T00:00:00Z") == at(1709164800));
    CPPUNIT_ASSERT(parseInstant("2000-02-29T23:59:59Z") == at(951868799));
    CPPUNIT_ASSERT(parseInstant("0001-01-01T00:00:00Z") == at(-62135596800));
    CPPUNIT_ASSERT(parseInstant("9999-12-31T23:59:59.999999999Z") == at(253402300799, 999999999));
    CPPUNIT_ASSERT_EQUAL(std::string("0001-01-01T00:00:00Z"), formatInstant(at(-62135596800)));
    // Java's forms outside 0000..9999: a sign, more digits for big years.
    CPPUNIT_ASSERT_EQUAL(std::string("+10000-01-01T00:00:00Z"), formatInstant(at(253402300800)));
    CPPUNIT_ASSERT(parseInstant("+10000-01-01T00:00:00Z") == at(253402300800));
    CPPUNIT_ASSERT_EQUAL(std::string("-0001-12-31T23:59:59Z"), formatInstant(at(-62167219201)));
    CPPUNIT_ASSERT(parseInstant("-0001-12-31T23:59:59Z") == at(-62167219201));
    CPPUNIT_ASSERT_EQUAL(std::string("0000-01-01T00:00:00Z"), formatInstant(at(-62167219200)));
    // Java's Instant.MIN and Instant.MAX are the limits, whatever the offset.
    const std::string max = "+1000000000-12-31T23:59:59.999999999Z";
    CPPUNIT_ASSERT(parseInstant(max) == at(31556889864403199, 999999999));
    CPPUNIT_ASSERT_EQUAL(max, formatInstant(parseInstant(max)));
    const std::string min = "-1000000000-01-01T00:00:00Z";
    CPPUNIT_ASSERT(parseInstant(min) == at(-31557014167219200));
    CPPUNIT_ASSERT_EQUAL(min, formatInstant(parseInstant(min)));
    CPPUNIT_ASSERT_THROW(parseInstant("+1000000000-12-31T23:59:59-00:01"), DataException);
    CPPUNIT_ASSERT_THROW(parseInstant("-1000000000-01-01T00:00:00+00:01"), DataException);
    CPPUNIT_ASSERT_THROW(parseInstant("+1000000001-01-01T00:00:00Z"), DataException);
    CPPUNIT_ASSERT_THROW(parseInstant("+10000000000-01-01T00:00:00Z"), DataException);
    for (const char* bad :
         {"2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2025-13-01T00:00:00Z",
          "2025-00-01T00:00:00Z", "2025-04-31T00:00:00Z", "2025-06-01T24:00:00Z",
          "2025-06-01T12:60:00Z", "2025-06-01T12:00:60Z", "2025-06-01T12:00Z",
          "2025-06-01T12:00:00.Z", "25-06-01T12:00:00Z", "+2025-06-01T12:00:00Z",
          "20250-06-01T12:00:00Z", "-0000-06-01T12:00:00Z", "2025-6-01T12:00:00Z", "", "Z"}) {
      bool threw = false;
      try {
        parseInstant(bad);
      } catch (const DataException&) {
        threw = true;
      }
      CPPUNIT_ASSERT_MESSAGE(bad, threw);
    }
    // Instants over some 60,000 years (both of Java's signed year forms) survive format and
    // parse.
    for (int64_t s = -1'000'000'000'000; s < 1'000'000'000'000; s += 9'999'991) {
      const Instant i = at(s, static_cast<int32_t>((s % 1000 + 1000) % 1000) * 1000);
      CPPUNIT_ASSERT_EQUAL(formatInstant(i), formatInstant(parseInstant(formatInstant(i))));
      CPPUNIT_ASSERT(parseInstant(formatInstant(i)) == i);
    }
  }

  void testInvalidInstantNamesPath() {
    CPPUNIT_ASSERT_EQUAL(
        std::string(R"(devices[0].discoveredAt: invalid instant "2025-06-01": expected 'T')"),
        parseError(R"({"devices":[{"discoveredAt":"2025-06-01"}]})"));
    CPPUNIT_ASSERT_EQUAL(
        std::string("devices[0].agents[0].discoveredAt: expected an ISO-8601 instant string"),
        parseError(
            withAgent(R"("type":"snmp-user",)" + kEndpoint + R"(,"discoveredAt":1748779200)")));
    // Jackson reads an empty string as null.
    CPPUNIT_ASSERT(
        !inventoryFromJson(R"({"devices":[{"discoveredAt":""}]})").devices[0].discoveredAt);
  }

  void testLongSysDescr() {
    Inventory inv;
    Device d;
    std::string descr;
    for (int i = 0; descr.size() < 1000; ++i) {
      descr += "line " + std::to_string(i) + " of a very long sysDescr\r\n";
    }
    descr.resize(1000);
    d.sysDescr = descr;
    inv.devices.push_back(d);
    const Inventory back = inventoryFromJson(inventoryToJson(inv, {JsonStyle::Pretty}));
    CPPUNIT_ASSERT_EQUAL(size_t{1000}, back.devices[0].sysDescr->size());
    CPPUNIT_ASSERT(back == inv);

    const Inventory file = inventoryFromJson(readData("utf8-long.json"));
    const std::string& fileDescr = file.devices.at(0).sysDescr.value();
    CPPUNIT_ASSERT(fileDescr.size() > 255);
    CPPUNIT_ASSERT(contains(fileDescr, "(fc3)\r\nTechnical Support"));
    CPPUNIT_ASSERT(contains(fileDescr, "mcpre\tStandort: Z\xC3\xBCrich \xE2\x98\x83"));
  }

  void testUtf8AndEscapes() {
    const Inventory file = inventoryFromJson(readData("utf8-long.json"));
    const Device& d = file.devices.at(0);
    CPPUNIT_ASSERT(d.sysLocation == "Z\xC3\xBCrich \xE2\x98\x83");  // Zürich ☃ raw
    CPPUNIT_ASSERT(d.sysName == "core-\xF0\x9F\x98\x80-sw1");       // U+1F600 from a pair
    CPPUNIT_ASSERT(d.sysContact == "J\xC3\xBCrg / NOC \"Nord\"");   // \u00fc, \/ and \"
    CPPUNIT_ASSERT(d.agents.at(0).readCommunity == "gemeinschaft-\xC3\xA4");
    CPPUNIT_ASSERT(d.discoveredAt == at(1738367999, 999999999));
    // Written back as raw UTF-8, '/' unescaped.
    const std::string compact = deviceToJson(d);
    CPPUNIT_ASSERT(contains(compact, "\"sysLocation\":\"Z\xC3\xBCrich \xE2\x98\x83\""));
    CPPUNIT_ASSERT(contains(compact, "\"sysName\":\"core-\xF0\x9F\x98\x80-sw1\""));
    CPPUNIT_ASSERT(contains(compact, R"("sysContact":"Jürg / NOC \"Nord\"")"));
    // Escapes of every kind, in keys too.
    const Inventory esc = inventoryFromJson(
        R"({"devices":[{"sys\u004eame":"\"\\\/\b\f\n\r\t\u0000\u00e9\u20AC\uD834\uDD1E"}]})");
    CPPUNIT_ASSERT(esc.devices[0].sysName ==
                   std::string("\"\\/\b\f\n\r\t\0\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E", 18));
    CPPUNIT_ASSERT(inventoryFromJson(inventoryToJson(esc)) == esc);
  }

  void testInvalidUtf8() {
    const auto sysName = [](const std::string& raw) {
      return parseError(R"({"devices":[{"sysName":")" + raw + R"("}]})");
    };
    for (const std::string& raw : {std::string("\xC3"), std::string("\xC0\xAF"),  // overlong
                                   std::string("\xED\xA0\x80"),                   // surrogate
                                   std::string("\xF4\x90\x80\x80"),               // > U+10FFFF
                                   std::string("\xFF"), std::string("\x80") + "a"}) {
      const std::string error = sysName(raw);
      CPPUNIT_ASSERT_MESSAGE(error,
                             error.starts_with("devices[0].sysName: syntax error at byte 24"));
      CPPUNIT_ASSERT_MESSAGE(error, contains(error, "invalid UTF-8"));
    }
    CPPUNIT_ASSERT(contains(sysName("\\uD800"), "high surrogate without a low surrogate"));
    CPPUNIT_ASSERT(contains(sysName("\\uD800\\u0041"), "high surrogate without a low surrogate"));
    CPPUNIT_ASSERT(contains(sysName("\\uDC00"), "unpaired low surrogate"));
    // The writer never produces what the reader refuses: bad bytes become U+FFFD.
    Device d;
    d.sysDescr = std::string("Latin-1 \xE9t\xE9 \xC3");
    const std::string json = deviceToJson(d);
    CPPUNIT_ASSERT(contains(json, "\"Latin-1 \xEF\xBF\xBDt\xEF\xBF\xBD \xEF\xBF\xBD\""));
    Inventory inv;
    inv.devices.push_back(d);
    CPPUNIT_ASSERT(inventoryFromJson(inventoryToJson(inv)).devices[0].sysDescr ==
                   "Latin-1 \xEF\xBF\xBDt\xEF\xBF\xBD \xEF\xBF\xBD");
  }

  void testWriterEscaping() {
    std::string out;
    detail::appendJsonString(out, std::string("a\"b\\c/d\b\f\n\r\t\x01\x1f\x7f\0e", 17));
    CPPUNIT_ASSERT_EQUAL(
        std::string(R"("a\"b\\c/d\b\f\n\r\t\u0001\u001F)") + "\x7f" + R"(\u0000e")", out);
  }

  void testMaskCredentials() {
    Inventory inv = inventoryFromJson(readData("java-sample.json"));
    JsonWriteOptions masked;
    masked.maskCredentials = true;
    const std::string text = inventoryToJson(inv, masked);
    for (const char* secret :
         {"public", "private", "auth-secret-1", "priv-secret-1", "seed-auth"}) {
      CPPUNIT_ASSERT_MESSAGE(secret, !contains(text, std::string("\"") + secret + "\""));
    }
    const Inventory back = inventoryFromJson(text);
    const std::string kSecret(kMaskedSecret);
    CPPUNIT_ASSERT(back.devices[0].agents[0].readCommunity == kSecret);
    CPPUNIT_ASSERT(!back.devices[0].agents[0].writeCommunity);  // null stays null
    CPPUNIT_ASSERT(back.devices[0].primaryAgent->readCommunity == kSecret);
    const Agent& user = back.devices[1].agents[0];
    CPPUNIT_ASSERT(user.authPassphrase == kSecret && user.privPassphrase == kSecret);
    CPPUNIT_ASSERT(user.securityName == "monitor" && user.authProtocol == "SHA");
    CPPUNIT_ASSERT(user.engineId == inv.devices[1].agents[0].engineId);
    CPPUNIT_ASSERT(back.devices[1].agents[1].writeCommunity == kSecret);
    CPPUNIT_ASSERT(back.discoverySeeds[0].readCommunity == kSecret);
    CPPUNIT_ASSERT(back.discoverySeeds[1].authPassphrase == kSecret);
    CPPUNIT_ASSERT(!back.discoverySeeds[1].privPassphrase);
    CPPUNIT_ASSERT(back.discoverySeeds[1].securityName == "monitor");
    // Masking changes nothing else.
    for (Device& d : inv.devices) {
      for (Agent& a : d.agents) {
        for (auto* field :
             {&a.readCommunity, &a.writeCommunity, &a.authPassphrase, &a.privPassphrase}) {
          if (*field) {
            *field = kSecret;
          }
        }
      }
      if (d.primaryAgent && d.primaryAgent->readCommunity) {
        d.primaryAgent->readCommunity = kSecret;
      }
    }
    for (DiscoverySeed& s : inv.discoverySeeds) {
      for (auto* field : {&s.readCommunity, &s.authPassphrase, &s.privPassphrase}) {
        if (*field) {
          *field = kSecret;
        }
      }
    }
    CPPUNIT_ASSERT(back == inv);
    DiscoverySeed seed;
    seed.readCommunity = "c";
    CPPUNIT_ASSERT(contains(seedToJson(seed, masked), R"("readCommunity":"<secret>")"));
  }

  void testMalformedInputs() {
    const std::string sample = readData("java-sample.json");
    struct Case {
      std::string input;
      std::string expected;  // a part of the message
    };
    const Case cases[] = {
        {"", "syntax error at byte 0: unexpected end of input"},
        {"   ", "syntax error at byte 3: unexpected end of input"},
        {sample.substr(0, sample.size() / 2),
         "devices[1].agents[0]: syntax error at byte 1597: "
         "unterminated string"},
        {sample.substr(0, sample.size() - 1), "unexpected end of input"},
        {R"({"devices":[)", "devices: syntax error at byte 12: unexpected end of input"},
        {R"({"devices":[{"sysName":"abc)",
         "devices[0].sysName: syntax error at byte 23: unterminated string"},
        {R"({"devices":[{"sysName":nul)",
         "devices[0].sysName: syntax error at byte 26: unexpected end of input"},
        {R"({"devices":[]} x)", "syntax error at byte 15: unexpected 'x' after the end"},
        {R"({"devices":[]}{})", "syntax error at byte 14: unexpected '{' after the end"},
        {R"({"devices":[]}])", "after the end of the document"},
        {R"({"devices":[{"sysName":"a\x"}]})",
         "devices[0].sysName: syntax error at byte 25: invalid escape \\x"},
        {R"({"devices":[{"sysName":"a\u12G4"}]})", "byte 25: invalid \\u escape (expected 4 hex"},
        {R"({"devices":[{"sysName":"a\u12)", "unexpected end of input in \\u escape"},
        {"{\"devices\":[{\"sysName\":\"a\tb\"}]}", "byte 25: control character in string"},
        {"{\"devices\":[{\"sysName\":\"a\nb\"}]}", "control character in string"},
        {R"({"devices":[],"x":01})", "x: syntax error at byte 18: invalid number (leading zero)"},
        {R"({"devices":[],"x":1.})", "invalid number (no digit after '.')"},
        {R"({"devices":[],"x":-})", "x: syntax error at byte 18: invalid number"},
        {R"({"devices":[],"x":1e})", "invalid number (no digit in exponent)"},
        {R"({"devices":[],"x":+1})", "unexpected '+', expected a value"},
        {R"({"devices":[],"x":.5})", "unexpected '.', expected a value"},
        {R"({"devices":[],"x":NaN})", "unexpected 'N', expected a value"},
        {R"({"devices":[],"x":tru})", "x: syntax error at byte 18"},
        {R"({"devices":[],"x":trUe})", "x: syntax error at byte 18: invalid literal"},
        {R"({"devices":[],})", "byte 14: expected a member name after ','"},
        {R"({"devices":[],"x":[1,]})", "x: syntax error at byte 21: expected a value after ','"},
        {R"({"devices":[] "x":1})", "byte 14: expected ',' or '}' after a member"},
        {R"({"devices":[{} {}]})", "devices: syntax error at byte 15: expected ',' or ']'"},
        {R"({"devices" []})", "byte 11: expected ':' after a member name"},
        {R"({devices:[]})", "byte 1: expected a member name or '}'"},
        {R"({'devices':[]})", "expected a member name or '}'"},
        {R"({"devices":[]} // comment)", "after the end of the document"},
        {R"(/* c */ {"devices":[]})", "unexpected '/', expected a value"},
        {"\xEF\xBB\xBF\xEF\xBB\xBF{\"devices\":[]}", "byte 3: unexpected byte 0xef"},
        {withAgent(kEndpoint), "devices[0].agents[0].type: required"},
        {R"({"devices":[{"agents":[{"type":"snmp-community"}, {}]}]})",
         "devices[0].agents[0].endpoint: required"},
        {R"({"devices":[{"agents":{}}]})", "devices[0].agents: expected an array"},
        {R"({"devices":[{"sysName":5}]})", "devices[0].sysName: expected a string"},
        {R"({"devices":[],"discoverySeeds":[{"potentialTargets":["a",null]}]})",
         "discoverySeeds[0].potentialTargets[1]: expected a string"},
        {R"({"devices":[],"discoverySeeds":{}})", "discoverySeeds: expected an array"},
        {"\"devices\"", "expected an object"},
    };
    for (const Case& c : cases) {
      const std::string error = parseError(c.input);
      CPPUNIT_ASSERT_MESSAGE(
          "input: " + c.input.substr(0, 80) + "\nerror: " + error + "\nexpected: " + c.expected,
          contains(error, c.expected));
    }
    // One leading byte order mark is allowed (Jackson skips it).
    CPPUNIT_ASSERT(inventoryFromJson("\xEF\xBB\xBF{\"devices\":[]}") == Inventory{});
    // Every prefix of a valid file is refused, never accepted or crashed on.
    for (size_t n = 0; n < sample.size(); n += 7) {
      CPPUNIT_ASSERT(parseError(sample.substr(0, n)) != "<parsed>");
    }
  }

  void testErrorNamesPath() {
    const std::string json = R"({"devices":[{},{},{"agents":[{"type":"snmp-user",
        "endpoint":{"address":"h","port":"161"}}]}]})";
    CPPUNIT_ASSERT_EQUAL(std::string("devices[2].agents[0].endpoint.port: expected an integer"),
                         parseError(json));
    try {
      inventoryFromJson(json);
      CPPUNIT_FAIL("no exception");
    } catch (const InventoryException& e) {
      CPPUNIT_ASSERT_EQUAL(std::string("Inventory data error"), std::string(e.name()));
      CPPUNIT_ASSERT(contains(e.displayText(), "devices[2].agents[0].endpoint.port"));
    }
    // A syntax error deep in the file names the path and the byte offset.
    const std::string error = parseError(R"({"devices":[{"agents":[{"type":"snmp-user",)"
                                         R"("endpoint":{"address":"h","port":16 1}}]}]})");
    CPPUNIT_ASSERT_EQUAL(
        std::string(
            "devices[0].agents[0].endpoint: syntax error at byte 79: expected ',' or '}' after a "
            "member"),
        error);
  }

  void testDepthLimit() {
    const auto nested = [](size_t arrays) {
      return R"({"devices":[],"x":)" + std::string(arrays, '[') + std::string(arrays, ']') + "}";
    };
    // The root object is one level: 63 arrays inside it are the limit.
    CPPUNIT_ASSERT_EQUAL(std::string("<parsed>"), parseError(nested(63)));
    const std::string error = parseError(nested(64));
    CPPUNIT_ASSERT_MESSAGE(error, contains(error, "nesting deeper than 64 levels"));
    CPPUNIT_ASSERT_MESSAGE(error, error.starts_with("x[0][0]"));
    // Far beyond the limit (a stack-overflow attempt) fails the same way.
    CPPUNIT_ASSERT(contains(parseError(nested(100000)), "nesting deeper than 64 levels"));
    std::string objects = R"({"devices":[],"x":)";
    for (int i = 0; i < 100; ++i) {
      objects += R"({"a":)";
    }
    CPPUNIT_ASSERT(contains(parseError(objects), "nesting deeper than 64 levels"));
  }

  void testReaderReportsDuplicateKeys() {
    detail::JsonReader r(R"({"a":1,"a":2,"b":{"a":3}})");
    std::vector<std::string> keys;
    r.beginObject();
    std::string_view key;
    while (r.nextMember(key)) {
      keys.emplace_back(key);
      r.skipValue();
    }
    r.finish();
    CPPUNIT_ASSERT(keys == std::vector<std::string>({"a", "a", "b"}));
    // For fields other than "type", the last duplicate wins, as in Jackson.
    CPPUNIT_ASSERT(
        inventoryFromJson(R"({"devices":[{"sysName":"a","sysName":"b"}]})").devices[0].sysName ==
        "b");
  }

  void testLargeInventoryRoundTrip() {
    Inventory inv;
    for (int i = 0; i < 2000; ++i) {
      inv.devices.push_back(makeDevice(i));
    }
    DiscoverySeed seed;
    seed.id = newUuid();
    seed.potentialTargets = {"10.0.0.0", "10.0.0.1"};
    seed.port = 161;
    inv.discoverySeeds.push_back(seed);
    for (const JsonStyle style : {JsonStyle::Compact, JsonStyle::Pretty}) {
      JsonWriteOptions options;
      options.style = style;
      options.typeTwice = style == JsonStyle::Pretty;
      const std::string text = inventoryToJson(inv, options);
      const Inventory back = inventoryFromJson(text);
      CPPUNIT_ASSERT(back == inv);
      CPPUNIT_ASSERT_EQUAL(text, inventoryToJson(back, options));
    }
  }

  void testResolvePrimaryAgent() {
    Device d;
    CPPUNIT_ASSERT(resolvePrimaryAgent(d) == nullptr);
    Agent first;
    first.endpoint.address = "first";
    Agent second;
    second.endpoint.address = "second";
    d.agents = {first, second};
    CPPUNIT_ASSERT(resolvePrimaryAgent(d) == &d.agents[0]);
    d.primaryAgent = second;
    CPPUNIT_ASSERT(resolvePrimaryAgent(d) == &*d.primaryAgent);
    d.agents.clear();
    CPPUNIT_ASSERT_EQUAL(std::string("second"), resolvePrimaryAgent(d)->endpoint.address);
  }

  void testAgentTypeName() {
    CPPUNIT_ASSERT_EQUAL(std::string("snmp-community"),
                         std::string(agentTypeName(AgentType::Community)));
    CPPUNIT_ASSERT_EQUAL(std::string("snmp-user"), std::string(agentTypeName(AgentType::User)));
  }

  void testNewUuid() {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
      const std::string uuid = newUuid();
      CPPUNIT_ASSERT_EQUAL(size_t{36}, uuid.size());
      for (size_t j = 0; j < uuid.size(); ++j) {
        if (j == 8 || j == 13 || j == 18 || j == 23) {
          CPPUNIT_ASSERT_EQUAL('-', uuid[j]);
        } else {
          CPPUNIT_ASSERT_MESSAGE(
              uuid, (uuid[j] >= '0' && uuid[j] <= '9') || (uuid[j] >= 'a' && uuid[j] <= 'f'));
        }
      }
      CPPUNIT_ASSERT_EQUAL('4', uuid[14]);
      CPPUNIT_ASSERT_MESSAGE(uuid, std::string("89ab").find(uuid[19]) != std::string::npos);
      seen.insert(uuid);
    }
    CPPUNIT_ASSERT_EQUAL(size_t{1000}, seen.size());
  }

  void testNowInstant() {
    const Instant a = nowInstant();
    const Instant b = nowInstant();
    CPPUNIT_ASSERT(a.epochSeconds > 1735689600);  // after 2025-01-01
    CPPUNIT_ASSERT(a.nanos >= 0 && a.nanos < 1'000'000'000);
    // Not `a <= b`: clang-tidy 14 flags the defaulted operator<=> (modernize-use-nullptr).
    CPPUNIT_ASSERT(a.epochSeconds < b.epochSeconds ||
                   (a.epochSeconds == b.epochSeconds && a.nanos <= b.nanos));
  }

  void testStrictNamesUnknownKeys() {
    auto strictError = [](const std::string& json) -> std::string {
      try {
        inventoryFromJson(json, JsonReadOptions{true});
        return "<parsed>";
      } catch (const DataException& e) {
        return e.message();
      }
    };
    const std::string agent =
        R"({"type":"snmp-community","endpoint":{"address":"10.0.0.1","port":161},"version":1,)"
        R"("readCommunity":"public")";
    CPPUNIT_ASSERT_EQUAL(std::string(R"(devcies: unknown key "devcies" (did you mean "devices"?))"),
                         strictError(R"({"devices":[],"devcies":[]})"));
    CPPUNIT_ASSERT_EQUAL(
        std::string(R"(devices[0].sysname: unknown key "sysname" (did you mean "sysName"?))"),
        strictError(R"({"devices":[{"sysname":"r1"}]})"));
    CPPUNIT_ASSERT_EQUAL(
        std::string(R"(devices[0].agents[0].readCommunty: unknown key )"
                    R"("readCommunty" (did you mean "readCommunity"?))"),
        strictError(R"({"devices":[{"agents":[)" + agent + R"(,"readCommunty":"x"}]}]})"));
    CPPUNIT_ASSERT_EQUAL(std::string(R"(devices[0].agents[0].endpoint.host: unknown key "host")"),
                         strictError(R"({"devices":[{"agents":[{"type":"snmp-community",)"
                                     R"("endpoint":{"address":"10.0.0.1","host":"x"}}]}]})"));
    CPPUNIT_ASSERT_EQUAL(
        std::string(R"(discoverySeeds[0].potentialTarget: unknown key )"
                    R"("potentialTarget" (did you mean "potentialTargets"?))"),
        strictError(R"({"devices":[],"discoverySeeds":[{"potentialTarget":[]}]})"));
    // Files keep Jackson's leniency: the same documents parse without strict.
    CPPUNIT_ASSERT_EQUAL(std::string("<parsed>"), parseError(R"({"devices":[],"devcies":[]})"));
    CPPUNIT_ASSERT_EQUAL(std::string("<parsed>"),
                         parseError(R"({"devices":[{"agents":[)" + agent + R"(,"x":1}]}]})"));
  }

  void testStrictRefusesContradictoryCredentials() {
    auto strictError = [](const std::string& agent) -> std::string {
      try {
        inventoryFromJson(R"({"devices":[{"sysName":"r1","agents":[)" + agent + "]}]}",
                          JsonReadOptions{true});
        return "<parsed>";
      } catch (const DataException& e) {
        return e.message();
      }
    };
    const std::string endpoint = R"("endpoint":{"address":"10.0.0.1","port":161})";
    const std::string community = R"({"type":"snmp-community",)" + endpoint;
    const std::string user = R"({"type":"snmp-user",)" + endpoint +
                             R"(,"securityName":"ops","securityLevel":2,"authProtocol":"SHA",)"
                             R"("authPassphrase":"secret12")";
    CPPUNIT_ASSERT_EQUAL(std::string("<parsed>"), strictError(community + R"(,"version":1})"));
    CPPUNIT_ASSERT_EQUAL(std::string("<parsed>"), strictError(community + R"(,"version":0})"));
    CPPUNIT_ASSERT_EQUAL(std::string("<parsed>"), strictError(user + R"(,"version":3})"));
    std::string v3 = strictError(community + R"(,"version":3,"readCommunity":"p"})");
    CPPUNIT_ASSERT_MESSAGE(v3, v3.find("devices[0].agents[0].version: 3 contradicts "
                                       "\"type\":\"snmp-community\"") == 0);
    std::string v2 = strictError(user + R"(,"version":1})");
    CPPUNIT_ASSERT_MESSAGE(
        v2, v2.find("version: 1 contradicts \"type\":\"snmp-user\"") != std::string::npos);
    std::string mixed = strictError(community + R"(,"version":1,"authPassphrase":"x"})");
    CPPUNIT_ASSERT_MESSAGE(mixed, mixed.find("authPassphrase: contradicts") != std::string::npos);
    std::string mixedUser = strictError(user + R"(,"version":3,"readCommunity":"public"})");
    CPPUNIT_ASSERT_MESSAGE(mixedUser,
                           mixedUser.find("readCommunity: contradicts") != std::string::npos);
    // Nulls of the other type are what Jackson writes for seeds: not a contradiction.
    CPPUNIT_ASSERT_EQUAL(std::string("<parsed>"),
                         strictError(community + R"(,"version":1,"securityName":null})"));
    // Seeds: "v3" is snmp-user's.
    auto seedError = [](const std::string& seed) -> std::string {
      try {
        inventoryFromJson(R"({"devices":[],"discoverySeeds":[)" + seed + "]}",
                          JsonReadOptions{true});
        return "<parsed>";
      } catch (const DataException& e) {
        return e.message();
      }
    };
    CPPUNIT_ASSERT(seedError(R"({"agentType":"snmp-community","version":"v3"})")
                       .find(R"(discoverySeeds[0].version: "v3" contradicts)") == 0);
    CPPUNIT_ASSERT(seedError(R"({"agentType":"snmp-user","version":"v2c"})").find("contradicts") !=
                   std::string::npos);
    CPPUNIT_ASSERT_EQUAL(std::string("<parsed>"),
                         seedError(R"({"agentType":"snmp-user","version":"v3"})"));
    // Lenient (files): Java wrote community agents with version 3; they still load.
    CPPUNIT_ASSERT_EQUAL(std::string("<parsed>"),
                         parseError(R"({"devices":[{"agents":[)" + community +
                                    R"(,"version":3}]}],"discoverySeeds":[{"agentType":)"
                                    R"("snmp-community","version":"v3"}]})"));
  }

  void testStrictAcceptsJavaFiles() {
    // What Java PromSNMP writes (GET /promsnmp/inventory, its file) imports through the strict
    // reader too: POST /promsnmp/inventory takes a Java export as it is.
    for (const char* name : {"java-sample.json", "utf8-long.json", "empty.json"}) {
      const std::string text = readData(name);
      CPPUNIT_ASSERT_NO_THROW_MESSAGE(name, inventoryFromJson(text, JsonReadOptions{true}));
      CPPUNIT_ASSERT(inventoryFromJson(text, JsonReadOptions{true}) == inventoryFromJson(text));
    }
    std::ifstream in(std::string(PROMSNMP_TEST_DATA) + "/java/inventory-java.json");
    const std::string java((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CPPUNIT_ASSERT(!java.empty());
    CPPUNIT_ASSERT_NO_THROW(inventoryFromJson(java, JsonReadOptions{true}));
    // And what we write reads back strictly.
    const Inventory inv = inventoryFromJson(java);
    CPPUNIT_ASSERT_NO_THROW(inventoryFromJson(
        inventoryToJson(inv, {JsonStyle::Pretty, false, true}), JsonReadOptions{true}));
  }

  void testProvenanceRoundTripsAndIsWrittenOnlyWhenThere() {
    const std::string text =
        R"({"devices":[{"sysName":"core","sysLocation":"rack 7",)"
        R"("operatorSet":["sysLocation","sysName","sysLocation"],)"
        R"("discovered":{"sysName":"zeus","sysLocation":"SF","at":"2026-01-02T03:04:05Z"}},)"
        R"({"sysName":"plain"}]})";
    Inventory inv = inventoryFromJson(text);
    const Device& core = inv.devices[0];
    // Canonical order, duplicates dropped.
    CPPUNIT_ASSERT(core.operatorSet == std::vector<std::string>({"sysName", "sysLocation"}));
    CPPUNIT_ASSERT(core.discovered);
    CPPUNIT_ASSERT_EQUAL(std::string("zeus"), *core.discovered->sysName);
    CPPUNIT_ASSERT(!core.discovered->sysDescr);
    CPPUNIT_ASSERT(core.discovered->at == parseInstant("2026-01-02T03:04:05Z"));
    CPPUNIT_ASSERT(inventoryFromJson(inventoryToJson(inv)) == inv);
    // What GET /promsnmp/inventory writes posts back through the strict reader.
    CPPUNIT_ASSERT(inventoryFromJson(inventoryToJson(inv), JsonReadOptions{true}) == inv);
    const std::string plain = deviceToJson(inv.devices[1]);
    CPPUNIT_ASSERT(plain.find("operatorSet") == std::string::npos);
    CPPUNIT_ASSERT(plain.find("\"discovered\"") == std::string::npos);
    CPPUNIT_ASSERT_THROW(inventoryFromJson(R"({"devices":[{"operatorSet":["ifName"]}]})"),
                         DataException);
    // "modules" (modules and auth) can be the operator's, and sorts after the system fields.
    const Inventory owned = inventoryFromJson(
        R"({"devices":[{"modules":["system"],"operatorSet":["modules","sysName","modules"]}]})");
    CPPUNIT_ASSERT(owned.devices[0].operatorSet ==
                   std::vector<std::string>({"sysName", "modules"}));
    CPPUNIT_ASSERT(owned.devices[0].operatorOwns("modules"));
    CPPUNIT_ASSERT(inventoryFromJson(inventoryToJson(owned), JsonReadOptions{true}) == owned);
    try {
      inventoryFromJson(R"({"devices":[{"operatorSet":["auth"]}]})");
      CPPUNIT_FAIL("\"auth\" is owned through \"modules\", not by itself");
    } catch (const DataException& e) {
      CPPUNIT_ASSERT(e.message().find("\"modules\"") != std::string::npos);
    }
  }

  void testModulesAndProfileRoundTripAndAreWrittenOnlyWhenThere() {
    const std::string text =
        R"({"devices":[{"sysName":"edge","sysObjectID":"1.3.6.1.4.1.9.1.516",)"
        R"("profile":{"name":"cisco-ios","vendor":"Cisco","os":"IOS",)"
        R"("reason":"sysObjectID 1.3.6.1.4.1.9.1.516 under 1.3.6.1.4.1.9.1",)"
        R"("at":"2026-12-06T10:00:00Z"},)"
        R"("modules":["system","if_mib","system","cisco_process"],"auth":"v3_ops"},)"
        R"({"sysName":"plain"},{"sysName":"none","modules":[]}]})";
    Inventory inv = inventoryFromJson(text, JsonReadOptions{true});
    const Device& edge = inv.devices[0];
    CPPUNIT_ASSERT_EQUAL(std::string("1.3.6.1.4.1.9.1.516"), *edge.sysObjectId);
    // In the order given, each once.
    CPPUNIT_ASSERT(edge.modules == std::vector<std::string>({"system", "if_mib", "cisco_process"}));
    CPPUNIT_ASSERT_EQUAL(std::string("v3_ops"), *edge.auth);
    CPPUNIT_ASSERT(edge.profile);
    CPPUNIT_ASSERT_EQUAL(std::string("cisco-ios"), edge.profile->name);
    CPPUNIT_ASSERT_EQUAL(std::string("IOS"), *edge.profile->os);
    CPPUNIT_ASSERT(edge.profile->at == parseInstant("2026-12-06T10:00:00Z"));
    // An empty list stays an empty list (not "no modules said").
    CPPUNIT_ASSERT(inv.devices[2].modules && inv.devices[2].modules->empty());
    CPPUNIT_ASSERT(inventoryFromJson(inventoryToJson(inv), JsonReadOptions{true}) == inv);
    const std::string plain = deviceToJson(inv.devices[1]);
    for (const char* key : {"sysObjectID", "profile", "modules", "auth"}) {
      CPPUNIT_ASSERT(plain.find(std::string("\"") + key + "\"") == std::string::npos);
    }
    CPPUNIT_ASSERT_THROW(inventoryFromJson(R"({"devices":[{"modules":["if_mib",""]}]})"),
                         DataException);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(InventoryJsonTest);
