#include "http/TrustedProxies.h"

#include <cppunit/extensions/HelperMacros.h>

using namespace promsnmp;

namespace {

Poco::Net::IPAddress ip(const std::string& text) { return Poco::Net::IPAddress(text); }

std::string show(const ClientSource& source) {
  return source.address + (source.proxy.empty() ? "" : " via " + source.proxy);
}

}  // namespace

class TrustedProxiesTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(TrustedProxiesTest);
  CPPUNIT_TEST(testParseAndContains);
  CPPUNIT_TEST(testBadEntriesAreNamed);
  CPPUNIT_TEST(testClientOfTrustedProxy);
  CPPUNIT_TEST(testUntrustedPeerIsTheClient);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testParseAndContains() {
    const TrustedProxies proxies =
        TrustedProxies::parse(" 127.0.0.1, 10.0.0.0/8,,192.168.1.0/25 , fd00::/8, 2001:db8::1");
    CPPUNIT_ASSERT(proxies.contains(ip("127.0.0.1")));
    CPPUNIT_ASSERT(!proxies.contains(ip("127.0.0.2")));
    CPPUNIT_ASSERT(proxies.contains(ip("10.255.0.1")));
    CPPUNIT_ASSERT(!proxies.contains(ip("11.0.0.1")));
    CPPUNIT_ASSERT(proxies.contains(ip("192.168.1.127")));
    CPPUNIT_ASSERT(!proxies.contains(ip("192.168.1.128")));  // /25
    CPPUNIT_ASSERT(proxies.contains(ip("fd12::3")));
    CPPUNIT_ASSERT(!proxies.contains(ip("fe80::1")));
    CPPUNIT_ASSERT(proxies.contains(ip("2001:db8::1")));
    CPPUNIT_ASSERT(!proxies.contains(ip("2001:db8::2")));
    // A dual-stack socket's IPv4 peer.
    CPPUNIT_ASSERT(proxies.contains(ip("::ffff:10.1.2.3")));
    CPPUNIT_ASSERT(TrustedProxies::parse("").empty());
    CPPUNIT_ASSERT(TrustedProxies::parse("0.0.0.0/0").contains(ip("203.0.113.7")));
  }

  void testBadEntriesAreNamed() {
    CPPUNIT_ASSERT_EQUAL(std::string(""), TrustedProxies::problem("127.0.0.1, ::1"));
    CPPUNIT_ASSERT_EQUAL(std::string("'haproxy' is not an IP address or CIDR range"),
                         TrustedProxies::problem("127.0.0.1,haproxy"));
    CPPUNIT_ASSERT_EQUAL(std::string("'10.0.0.0/33': the prefix length must be 0 to 32"),
                         TrustedProxies::problem("10.0.0.0/33"));
    CPPUNIT_ASSERT_EQUAL(std::string("'fd00::/x': the prefix length must be 0 to 128"),
                         TrustedProxies::problem("fd00::/x"));
    CPPUNIT_ASSERT_THROW(TrustedProxies::parse("1.2.3.4.5"), Poco::DataFormatException);
  }

  // HAProxy (option forwardfor) appends the address it was connected from; proxies in front of
  // it append theirs first. The client is the rightmost address that is not a trusted proxy.
  void testClientOfTrustedProxy() {
    const TrustedProxies proxies = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8");
    CPPUNIT_ASSERT_EQUAL(std::string("203.0.113.7 via 127.0.0.1"),
                         show(proxies.clientOf(ip("127.0.0.1"), "203.0.113.7")));
    // What the client wrote itself (left) is not believed past the first untrusted address.
    CPPUNIT_ASSERT_EQUAL(
        std::string("198.51.100.9 via 127.0.0.1"),
        show(proxies.clientOf(ip("127.0.0.1"), "1.1.1.1, 198.51.100.9, 10.0.0.5")));
    // Only proxies: the leftmost is the client.
    CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.9 via 127.0.0.1"),
                         show(proxies.clientOf(ip("127.0.0.1"), "10.0.0.9,10.0.0.5")));
    // No header, or one a proxy would not write: the peer.
    CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), show(proxies.clientOf(ip("127.0.0.1"), "")));
    CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"),
                         show(proxies.clientOf(ip("127.0.0.1"), "1.1.1.1, <script>")));
    CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::7 via 127.0.0.1"),
                         show(proxies.clientOf(ip("::ffff:127.0.0.1"), "2001:db8::7")));
  }

  void testUntrustedPeerIsTheClient() {
    const TrustedProxies proxies = TrustedProxies::parse("10.0.0.0/8");
    CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"),
                         show(proxies.clientOf(ip("127.0.0.1"), "203.0.113.7")));
    CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"),
                         show(TrustedProxies().clientOf(ip("127.0.0.1"), "203.0.113.7")));
    CPPUNIT_ASSERT_EQUAL(std::string("10.1.1.1"),
                         show(TrustedProxies().clientOf(ip("::ffff:10.1.1.1"), "")));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(TrustedProxiesTest);
