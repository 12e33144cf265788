#include "discovery/DiscoveryRequest.h"

#include <Poco/Exception.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace promsnmp;

namespace {

std::vector<std::string> fakeDns(const std::string& name) {
  if (name == "switch1.example.net") {
    return {"192.0.2.10"};
  }
  return {};
}

std::vector<inventoryfs::DiscoverySeed> parse(const std::string& body, size_t max = 65536) {
  return parseDiscoveryRequest(body, max, fakeDns);
}

std::string refusal(const std::string& body) {
  try {
    parse(body);
  } catch (const Poco::InvalidArgumentException& e) {
    return e.message();
  }
  return "(accepted)";
}

const std::string kV3 =
    R"("potentialTargets":["10.0.0.1"],"agentType":"snmp-user","version":"v3","port":161,)"
    R"("securityName":"admin","authProtocol":" sha256 ","authPassphrase":"a")";

}  // namespace

class DiscoveryRequestTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DiscoveryRequestTest);
  CPPUNIT_TEST(testJavaCommunityRequest);
  CPPUNIT_TEST(testCommunityListBecomesOneSeedEach);
  CPPUNIT_TEST(testJavaMessages);
  CPPUNIT_TEST(testV3RequestIsNormalised);
  CPPUNIT_TEST(testTargetsAreCheckedAndNamesResolved);
  CPPUNIT_TEST(testUnknownKeysAreNamed);
  CPPUNIT_TEST(testContradictoryCredentialsRefused);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testJavaCommunityRequest() {
    auto seeds = parse(R"({"potentialTargets":["10.0.0.0/30","switch1.example.net"],)"
                       R"("agentType":"snmp-community","version":"V2C","port":161,)"
                       R"("readCommunity":"public"})");
    CPPUNIT_ASSERT_EQUAL(size_t{1}, seeds.size());
    CPPUNIT_ASSERT_EQUAL(std::string("v2c"), *seeds[0].version);
    CPPUNIT_ASSERT_EQUAL(std::string("snmp-community"), *seeds[0].agentType);
    CPPUNIT_ASSERT_EQUAL(std::string("public"), *seeds[0].readCommunity);
    CPPUNIT_ASSERT_EQUAL(161, seeds[0].port);
    // Targets are saved as written (blocks and names stay blocks and names).
    CPPUNIT_ASSERT((seeds[0].potentialTargets ==
                    std::vector<std::string>{"10.0.0.0/30", "switch1.example.net"}));
    CPPUNIT_ASSERT(!seeds[0].id);
  }

  void testCommunityListBecomesOneSeedEach() {
    auto seeds = parse(R"({"potentialTargets":["10.0.0.1"],"agentType":"snmp-community",)"
                       R"("port":161,"readCommunity":["public","private2"]})");
    CPPUNIT_ASSERT_EQUAL(size_t{2}, seeds.size());
    CPPUNIT_ASSERT_EQUAL(std::string("public"), *seeds[0].readCommunity);
    CPPUNIT_ASSERT_EQUAL(std::string("private2"), *seeds[1].readCommunity);
  }

  void testJavaMessages() {
    CPPUNIT_ASSERT_EQUAL(std::string("readCommunity is required for snmp-community"),
                         refusal(R"({"potentialTargets":["10.0.0.1"],)"
                                 R"("agentType":"snmp-community","port":161})"));
    CPPUNIT_ASSERT_EQUAL(std::string("Unsupported agent type: snmp-x"),
                         refusal(R"({"potentialTargets":["10.0.0.1"],"agentType":"snmp-x",)"
                                 R"("port":161})"));
    CPPUNIT_ASSERT_EQUAL(std::string("port: must be between 1 and 65535"),
                         refusal(R"({"potentialTargets":["10.0.0.1"],)"
                                 R"("agentType":"snmp-community","readCommunity":"p"})"));
    CPPUNIT_ASSERT_EQUAL(std::string("potentialTargets: must not be empty"),
                         refusal(R"({"potentialTargets":[],"agentType":"snmp-community",)"
                                 R"("port":161,"readCommunity":"p"})"));
    CPPUNIT_ASSERT_EQUAL(std::string("agentType: must not be blank"),
                         refusal(R"({"potentialTargets":["10.0.0.1"],"port":161})"));
    CPPUNIT_ASSERT_EQUAL(
        std::string("version: must match \"v2c|v3\""),
        refusal(R"({"potentialTargets":["10.0.0.1"],"version":"v9",)"
                R"("agentType":"snmp-community","port":161,"readCommunity":"p"})"));
    CPPUNIT_ASSERT_EQUAL(std::string("Incomplete SNMPv3 configuration"),
                         refusal(R"({"potentialTargets":["10.0.0.1"],"agentType":"snmp-user",)"
                                 R"("port":161,"securityName":"u"})"));
    CPPUNIT_ASSERT_EQUAL(std::string("Unsupported authentication protocol: SHA999"),
                         refusal("{" + kV3.substr(0, kV3.find("\"authProtocol\"")) +
                                 R"("authProtocol":"sha999","authPassphrase":"a",)"
                                 R"("privProtocol":"AES","privPassphrase":"p"})"));
    CPPUNIT_ASSERT_EQUAL(std::string("Unsupported privacy protocol: ROT13"),
                         refusal("{" + kV3 + R"(,"privProtocol":"rot13","privPassphrase":"p"})"));
    CPPUNIT_ASSERT_EQUAL(std::string("Unsupported privacy protocol: null"),
                         refusal("{" + kV3 + "}"));  // Java: authPriv needs a privacy protocol
    CPPUNIT_ASSERT(refusal("not json").find("not a JSON object") != std::string::npos);
    CPPUNIT_ASSERT(refusal("[1,2]").find("not a JSON object") != std::string::npos);
  }

  void testV3RequestIsNormalised() {
    auto seeds = parse("{" + kV3 + R"(,"privProtocol":"aes256","privPassphrase":"p"})");
    CPPUNIT_ASSERT_EQUAL(size_t{1}, seeds.size());
    CPPUNIT_ASSERT_EQUAL(std::string("SHA256"), *seeds[0].authProtocol);
    CPPUNIT_ASSERT_EQUAL(std::string("AES256"), *seeds[0].privProtocol);
    CPPUNIT_ASSERT_EQUAL(3, seeds[0].securityLevel);
    CPPUNIT_ASSERT_EQUAL(std::string("v3"), *seeds[0].version);
    auto authNoPriv = parse("{" + kV3 + R"(,"securityLevel":2})");
    CPPUNIT_ASSERT_EQUAL(2, authNoPriv[0].securityLevel);
    CPPUNIT_ASSERT(!authNoPriv[0].privProtocol);
  }

  void testTargetsAreCheckedAndNamesResolved() {
    const std::string head = R"({"agentType":"snmp-community","port":161,"readCommunity":"p",)";
    CPPUNIT_ASSERT_EQUAL(std::string("No valid targets provided."),
                         refusal(head + R"("potentialTargets":["gone.example.net"]})"));
    CPPUNIT_ASSERT(refusal(head + R"("potentialTargets":["10.0.0.0/33"]})").find("10.0.0.0/33") !=
                   std::string::npos);
    CPPUNIT_ASSERT(refusal(head + R"("potentialTargets":["10.0.0.0/8"]})").find("65536") !=
                   std::string::npos);
    CPPUNIT_ASSERT_THROW(parse(head + R"("potentialTargets":["10.0.0.0/24"]})", 100),
                         Poco::InvalidArgumentException);
  }

  void testUnknownKeysAreNamed() {
    // A typo would scan nothing and answer 202: it is named, with the key it probably meant.
    CPPUNIT_ASSERT_EQUAL(
        std::string(R"(unknown key "potentialTarget" (did you mean "potentialTargets"?))"),
        refusal(R"({"potentialTarget":["10.0.0.1"],"agentType":"snmp-community",)"
                R"("port":161,"readCommunity":"p"})"));
    CPPUNIT_ASSERT_EQUAL(std::string(R"(unknown key "community" (did you mean "readCommunity"?))"),
                         refusal(R"({"potentialTargets":["10.0.0.1"],"agentType":"snmp-community",)"
                                 R"("port":161,"community":"p"})"));
    CPPUNIT_ASSERT_EQUAL(std::string(R"(unknown key "colour")"),
                         refusal("{" + kV3 + R"(,"colour":"blue"})"));
    // Every key of the seed schema is known, null or not (what GET /promsnmp/discovery shows).
    auto seeds = parse(R"({"id":null,"potentialTargets":["10.0.0.1"],"port":161,)"
                       R"("version":"v2c","agentType":"snmp-community","readCommunity":"p",)"
                       R"("securityName":null,"securityLevel":0,"authProtocol":null,)"
                       R"("authPassphrase":null,"privProtocol":null,"privPassphrase":""})");
    CPPUNIT_ASSERT_EQUAL(size_t{1}, seeds.size());
  }

  void testContradictoryCredentialsRefused() {
    const std::string community =
        R"({"potentialTargets":["10.0.0.1"],"agentType":"snmp-community","port":161,)"
        R"("readCommunity":"p",)";
    CPPUNIT_ASSERT(refusal(community + R"("version":"v3"})").find("contradicts") !=
                   std::string::npos);
    CPPUNIT_ASSERT(refusal(community + R"("version":"V3"})").find(R"(version: "v3")") !=
                   std::string::npos);
    CPPUNIT_ASSERT(refusal(community + R"("securityName":"admin"})")
                       .find(R"(securityName: contradicts agentType "snmp-community")") !=
                   std::string::npos);
    CPPUNIT_ASSERT(refusal(R"({"potentialTargets":["10.0.0.1"],"agentType":"snmp-user",)"
                           R"("version":"v2c","port":161,"securityName":"admin",)"
                           R"("authProtocol":"SHA","authPassphrase":"a","securityLevel":2})")
                       .find(R"(version: "v2c" contradicts agentType "snmp-user")") !=
                   std::string::npos);
    CPPUNIT_ASSERT(refusal("{" + kV3 + R"(,"securityLevel":2,"readCommunity":"public"})")
                       .find("readCommunity: contradicts") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(std::string("v2c"), *parse(community + R"("version":"v2c"})")[0].version);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DiscoveryRequestTest);
