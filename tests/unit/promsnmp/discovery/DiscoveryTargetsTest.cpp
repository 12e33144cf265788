#include "discovery/DiscoveryTargets.h"

#include <Poco/Exception.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace promsnmp;

namespace {

std::vector<std::string> resolveNothing(const std::string&) { return {}; }

}  // namespace

class DiscoveryTargetsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DiscoveryTargetsTest);
  CPPUNIT_TEST(testLiteralsAreKeptAsWritten);
  CPPUNIT_TEST(testCidrBlocksExpandToEveryAddress);
  CPPUNIT_TEST(testRangesInBothForms);
  CPPUNIT_TEST(testIpv6BlocksAreBounded);
  CPPUNIT_TEST(testNamesResolveOrBecomeProblems);
  CPPUNIT_TEST(testDuplicatesAreRemovedInOrder);
  CPPUNIT_TEST(testTheAddressLimitIsEnforcedBeforeExpanding);
  CPPUNIT_TEST(testMalformedEntriesAreRefusedWithTheirText);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testLiteralsAreKeptAsWritten() {
    TargetExpansion e =
        expandTargets({"10.0.0.1", " 192.168.1.63 ", "fd00::1"}, 10, resolveNothing);
    CPPUNIT_ASSERT(
        (e.addresses == std::vector<std::string>{"10.0.0.1", "192.168.1.63", "fd00::1"}));
    CPPUNIT_ASSERT(e.problems.empty());
    // Poco::trim strips ASCII white space (" \t\n\v\f\r") in any locale, nothing else: a
    // no-break space (U+00A0) stays and makes the entry malformed.
    TargetExpansion padded = expandTargets({"\t10.0.0.2\r\n", "\v10.0.0.3\f"}, 10, resolveNothing);
    CPPUNIT_ASSERT((padded.addresses == std::vector<std::string>{"10.0.0.2", "10.0.0.3"}));
    const std::string noBreakSpace = "\xC2\xA0";
    CPPUNIT_ASSERT_THROW(expandTargets({noBreakSpace + "10.0.0.4"}, 10, resolveNothing),
                         Poco::SyntaxException);
  }

  void testCidrBlocksExpandToEveryAddress() {
    TargetExpansion e = expandTargets({"10.0.0.5/30"}, 10, resolveNothing);
    CPPUNIT_ASSERT(
        (e.addresses == std::vector<std::string>{"10.0.0.4", "10.0.0.5", "10.0.0.6", "10.0.0.7"}));
    CPPUNIT_ASSERT_EQUAL(size_t{1024}, countTargets("10.0.0.0/22"));
    CPPUNIT_ASSERT_EQUAL(size_t{65536}, countTargets("127.1.0.0/16"));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, countTargets("10.1.2.3/32"));
    TargetExpansion slash16 = expandTargets({"127.1.0.0/16"}, 65536, resolveNothing);
    CPPUNIT_ASSERT_EQUAL(size_t{65536}, slash16.addresses.size());
    CPPUNIT_ASSERT_EQUAL(std::string("127.1.0.0"), slash16.addresses.front());
    CPPUNIT_ASSERT_EQUAL(std::string("127.1.255.255"), slash16.addresses.back());
  }

  void testRangesInBothForms() {
    CPPUNIT_ASSERT((expandTargets({"10.0.0.254-10.0.1.1"}, 10, resolveNothing).addresses ==
                    std::vector<std::string>{"10.0.0.254", "10.0.0.255", "10.0.1.0", "10.0.1.1"}));
    CPPUNIT_ASSERT((expandTargets({"10.0.0.1-3"}, 10, resolveNothing).addresses ==
                    std::vector<std::string>{"10.0.0.1", "10.0.0.2", "10.0.0.3"}));
    CPPUNIT_ASSERT_THROW(countTargets("10.0.0.9-3"), Poco::SyntaxException);
    CPPUNIT_ASSERT_THROW(countTargets("10.0.0.1-300"), Poco::SyntaxException);
  }

  void testIpv6BlocksAreBounded() {
    TargetExpansion e = expandTargets({"fd00::17/126"}, 10, resolveNothing);
    CPPUNIT_ASSERT(
        (e.addresses == std::vector<std::string>{"fd00::14", "fd00::15", "fd00::16", "fd00::17"}));
    CPPUNIT_ASSERT_EQUAL(size_t{65536}, countTargets("fd00::/112"));
    CPPUNIT_ASSERT_THROW(countTargets("fd00::/64"), Poco::SyntaxException);
  }

  void testNamesResolveOrBecomeProblems() {
    auto resolve = [](const std::string& name) -> std::vector<std::string> {
      if (name == "switch1.example.net") {
        return {"192.0.2.10", "2001:db8::10"};
      }
      return {};
    };
    TargetExpansion e = expandTargets({"switch1.example.net", "gone.example.net"}, 10, resolve);
    CPPUNIT_ASSERT((e.addresses == std::vector<std::string>{"192.0.2.10"}));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, e.problems.size());
    CPPUNIT_ASSERT(e.problems[0].find("gone.example.net") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, countTargets("switch1.example.net"));
  }

  void testDuplicatesAreRemovedInOrder() {
    TargetExpansion e = expandTargets({"10.0.0.2", "10.0.0.0/30", "10.0.0.1"}, 10, resolveNothing);
    CPPUNIT_ASSERT(
        (e.addresses == std::vector<std::string>{"10.0.0.2", "10.0.0.0", "10.0.0.1", "10.0.0.3"}));
  }

  void testTheAddressLimitIsEnforcedBeforeExpanding() {
    CPPUNIT_ASSERT_THROW(expandTargets({"10.0.0.0/8"}, 65536, resolveNothing),
                         Poco::RangeException);
    CPPUNIT_ASSERT_THROW(expandTargets({"10.0.0.0/24", "10.0.1.0/24"}, 300, resolveNothing),
                         Poco::RangeException);
    CPPUNIT_ASSERT_EQUAL(
        size_t{512},
        expandTargets({"10.0.0.0/24", "10.0.1.0/24"}, 512, resolveNothing).addresses.size());
  }

  void testMalformedEntriesAreRefusedWithTheirText() {
    for (const char* bad :
         {"", "10.0.0.0/33", "10.0.0.0/x", "300.1.1.1/24", "bad host!", "a:b", "-leading.dash"}) {
      try {
        countTargets(bad);
        CPPUNIT_FAIL(std::string("accepted: ") + bad);
      } catch (const Poco::SyntaxException& e) {
        CPPUNIT_ASSERT(!e.message().empty());
      }
    }
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DiscoveryTargetsTest);
