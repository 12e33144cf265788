#include "http/WebConfig.h"

#include <sstream>

#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace promsnmp;

namespace {

// bcrypt at cost 4 (fast tests) of "scrape-secret" and "admin-secret", made with libcrypt.
const char* const kScrapeHash = "$2b$04$sS/x/m8z7kypTCYIlizwjOg24empDwRA0DPXqysUlxR419Jv2kMFu";
const char* const kAdminHash = "$2b$04$Ph4B6g2MsywpczNSBZdMHeeYqPA7l6VUT9kRwoXcUbSI8bgp/etcC";

std::string basic(const std::string& user, const std::string& password) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder << user << ':' << password;
  encoder.close();
  return "Basic " + out.str();
}

std::string twoUsers() {
  return std::string("# exporter-toolkit web config\n") +
         "basic_auth_users:\n"
         "  prometheus: " +
         kScrapeHash +
         "\n"
         "  'ops': \"" +
         kAdminHash +
         "\"   # quoted keys and values\n"
         "http_server_config:\n"
         "  headers:\n"
         "    X-Frame-Options: deny\n"
         "    Content-Security-Policy: \"default-src 'none'\"\n";
}

/// The message of the DataFormatException parse() throws, or "" if it does not throw.
std::string parseError(const std::string& text) {
  try {
    WebConfig::parse(text, "web.yml");
  } catch (const Poco::DataFormatException& e) {
    return e.message();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

class WebConfigTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(WebConfigTest);
  CPPUNIT_TEST(testParsesToolkitFile);
  CPPUNIT_TEST(testRejectsWhatItCannotEnforce);
  CPPUNIT_TEST(testBcrypt);
  CPPUNIT_TEST(testScopes);
  CPPUNIT_TEST(testMalformedHeaders);
  CPPUNIT_TEST(testOpenWithoutUsers);
  CPPUNIT_TEST(testAdminUsersList);
  CPPUNIT_TEST(testYamlAsYamlDefinesIt);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testParsesToolkitFile() {
    WebConfig c = WebConfig::parse(twoUsers(), "web.yml");
    CPPUNIT_ASSERT(c.authEnabled());
    CPPUNIT_ASSERT_EQUAL(size_t(2), c.basicAuthUsers.size());
    CPPUNIT_ASSERT_EQUAL(std::string(kScrapeHash), c.basicAuthUsers["prometheus"]);
    CPPUNIT_ASSERT_EQUAL(std::string(kAdminHash), c.basicAuthUsers["ops"]);
    CPPUNIT_ASSERT_EQUAL(size_t(2), c.headers.size());
    CPPUNIT_ASSERT_EQUAL(std::string("X-Frame-Options"), c.headers[0].first);
    CPPUNIT_ASSERT_EQUAL(std::string("default-src 'none'"), c.headers[1].second);
    // An empty file and a file with only comments configure nothing (no auth).
    CPPUNIT_ASSERT(!WebConfig::parse("", "web.yml").authEnabled());
    CPPUNIT_ASSERT(!WebConfig::parse("---\n# nothing\nbasic_auth_users:\n", "w").authEnabled());
    WebConfig tls = WebConfig::parse(
        "tls_server_config:\n  cert_file: /etc/promsnmp/tls.crt\n  key_file: "
        "/etc/promsnmp/tls.key\n"
        "  min_version: TLS13\n  client_auth_type: VerifyClientCertIfGiven\n"
        "  client_ca_file: ca.pem\n",
        "web.yml");
    CPPUNIT_ASSERT(tls.tls.enabled() && !tls.authEnabled());
    CPPUNIT_ASSERT_EQUAL(std::string("/etc/promsnmp/tls.key"), tls.tls.keyFile);
    CPPUNIT_ASSERT_EQUAL(std::string("TLS13"), tls.tls.minVersion);
    CPPUNIT_ASSERT_EQUAL(std::string("VerifyClientCertIfGiven"), tls.tls.clientAuthType);
  }

  void testRejectsWhatItCannotEnforce() {
    // Each with the line number, so the operator finds it.
    CPPUNIT_ASSERT(contains(parseError("basic_auth_users:\n  bob: plaintext\n"), "web.yml:2"));
    CPPUNIT_ASSERT(contains(parseError("basic_auth_users:\n  bob: plaintext\n"), "bcrypt"));
    CPPUNIT_ASSERT(contains(parseError("tls_server_config:\n  cert_file: a.crt\n"),
                            "needs both cert_file and key_file"));
    CPPUNIT_ASSERT(contains(parseError("tls_server_config:\n  cert: |\n"), "not supported"));
    CPPUNIT_ASSERT(contains(
        parseError("tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: x\n"),
        "web.yml:4: tls_server_config: 'cipher_suites' is not supported"));
    CPPUNIT_ASSERT(contains(parseError("tls_server_config:\n  cert_file: a\n  key_file: b\n"
                                       "  client_auth_type: RequireAndVerifyClientCert\n"),
                            "needs client_ca_file"));
    CPPUNIT_ASSERT(contains(parseError("tls_server_config:\n  min_version: SSL3\n"), "TLS10"));
    CPPUNIT_ASSERT(contains(parseError("rate_limit:\n  interval: 1s\n"), "not supported"));
    CPPUNIT_ASSERT(contains(parseError("basic_auth_user:\n  bob: x\n"), "unknown key"));
    CPPUNIT_ASSERT(contains(parseError("http_server_config:\n  http3: true\n"), "unknown key"));
    CPPUNIT_ASSERT(contains(parseError("basic_auth_users:\n\tbob: x\n"), "web.yml:2: "));
    // A flow mapping is YAML: read, then held to the schema like any other.
    CPPUNIT_ASSERT(contains(parseError("basic_auth_users: {bob: x}\n"), "web.yml:1: "));
    CPPUNIT_ASSERT(contains(parseError("basic_auth_users: {bob: x}\n"), "bcrypt"));
    CPPUNIT_ASSERT(contains(parseError("basic_auth_users:\n  - bob\n"), "lists"));
    CPPUNIT_ASSERT(contains(parseError("basic_auth_users:\n  a: 1\n   b: 2\n"), "web.yml:3"));
    std::string dup =
        std::string("basic_auth_users:\n  a: ") + kScrapeHash + "\n  a: " + kAdminHash + "\n";
    CPPUNIT_ASSERT(contains(parseError(dup), "duplicate key 'a'"));
    CPPUNIT_ASSERT(contains(parseError("basic_auth_users: x\n"), "must be a mapping"));
    CPPUNIT_ASSERT(contains(parseError("a: \"open\n"), "web.yml:1: "));
    CPPUNIT_ASSERT(contains(parseError("just words\n"), "web.yml:1: the top level must be"));
    CPPUNIT_ASSERT(contains(parseError("a: 1\n---\nb: 2\n"), "one YAML document"));
  }

  void testYamlAsYamlDefinesIt() {
    // An apostrophe inside a plain scalar is not a quote: the comment after it is cut.
    WebConfig note = WebConfig::parse(
        "http_server_config:\n  headers:\n    X-Note: it's fine # comment\n", "web.yml");
    CPPUNIT_ASSERT_EQUAL(size_t(1), note.headers.size());
    CPPUNIT_ASSERT_EQUAL(std::string("it's fine"), note.headers[0].second);
    // Flow mappings are YAML too: no users (auth off), and users given inline.
    WebConfig none = WebConfig::parse("basic_auth_users: {}\n", "web.yml");
    CPPUNIT_ASSERT(!none.authEnabled());
    WebConfig flow = WebConfig::parse(
        std::string("basic_auth_users: {prometheus: '") + kScrapeHash + "'}\n", "web.yml");
    CPPUNIT_ASSERT_EQUAL(std::string(kScrapeHash), flow.basicAuthUsers["prometheus"]);
    // A '#' without a space before it is part of the value; block scalars are read.
    WebConfig hash = WebConfig::parse(
        "http_server_config:\n  headers:\n    X-A: a#b\n    X-B: >-\n      folded\n      text\n",
        "web.yml");
    CPPUNIT_ASSERT_EQUAL(std::string("a#b"), hash.headers[0].second);
    CPPUNIT_ASSERT_EQUAL(std::string("folded text"), hash.headers[1].second);
    // Schema errors still name the line, also inside a flow mapping and after a block scalar.
    CPPUNIT_ASSERT(contains(parseError("http_server_config:\n  headers:\n    X-B: |\n      x\n"
                                       "  http3: true\n"),
                            "web.yml:5: unknown key 'http3' in http_server_config"));
    CPPUNIT_ASSERT(contains(parseError("\n\nhttp_server_config: {headers: {X-A: a}, tls: 1}\n"),
                            "web.yml:3: unknown key 'tls'"));
    // A stray ',' at the top level: yaml-cpp's LoadAll() would read empty documents forever.
    CPPUNIT_ASSERT(contains(parseError(",basic_auth_users: {prometheus: x}\n"), "web.yml:1: "));
    // An alias that makes the tree cyclic is refused, not followed forever.
    CPPUNIT_ASSERT(contains(parseError("a: &x {b: *x}\n"), "nested too deeply"));
  }

  void testBcrypt() {
    CPPUNIT_ASSERT(bcryptMatches("scrape-secret", kScrapeHash));
    CPPUNIT_ASSERT(!bcryptMatches("scrape-secreT", kScrapeHash));
    CPPUNIT_ASSERT(!bcryptMatches("", kScrapeHash));
    CPPUNIT_ASSERT(!bcryptMatches(std::string("scrape-secret\0x", 15), kScrapeHash));
    CPPUNIT_ASSERT(!bcryptMatches("scrape-secret", "not a hash"));
    CPPUNIT_ASSERT(!bcryptMatches("scrape-secret", std::string(kScrapeHash).substr(0, 59) + "."));
  }

  void testScopes() {
    Authenticator auth(WebConfig::parse(twoUsers(), "web.yml"), {"ops"});
    AuthResult reader = auth.check(basic("prometheus", "scrape-secret"));
    CPPUNIT_ASSERT(reader.outcome == AuthResult::Outcome::Granted);
    CPPUNIT_ASSERT(reader.allows(Scope::Read));
    CPPUNIT_ASSERT(!reader.allows(Scope::Admin));
    CPPUNIT_ASSERT_EQUAL(std::string("prometheus"), reader.user);
    // Remembered after the first success: the same answer again.
    CPPUNIT_ASSERT(auth.check(basic("prometheus", "scrape-secret")).allows(Scope::Read));

    AuthResult admin = auth.check(basic("ops", "admin-secret"));
    CPPUNIT_ASSERT(admin.allows(Scope::Admin));

    // A remembered success is keyed by user and password: another password is checked afresh.
    CPPUNIT_ASSERT(auth.check(basic("prometheus", "wrong")).outcome ==
                   AuthResult::Outcome::Invalid);
    // One user's password does not open another's account.
    CPPUNIT_ASSERT(auth.check(basic("ops", "scrape-secret")).outcome ==
                   AuthResult::Outcome::Invalid);
    CPPUNIT_ASSERT(auth.check(basic("nobody", "scrape-secret")).outcome ==
                   AuthResult::Outcome::Invalid);
    CPPUNIT_ASSERT(!auth.check(basic("nobody", "x")).allows(Scope::Read));
    // A failure names the user the credentials claim, and why, for the failed-login log.
    const AuthResult wrong = auth.check(basic("ops", "scrape-secret"));
    CPPUNIT_ASSERT_EQUAL(std::string("ops"), wrong.user);
    CPPUNIT_ASSERT_EQUAL(std::string("wrong password"), wrong.failure);
    const AuthResult unknown = auth.check(basic("nobody", "scrape-secret"));
    CPPUNIT_ASSERT_EQUAL(std::string("nobody"), unknown.user);
    CPPUNIT_ASSERT_EQUAL(std::string("unknown user"), unknown.failure);
    const AuthResult malformed = auth.check("Basic cHJvbWV0aGV1cw==");  // no colon
    CPPUNIT_ASSERT_EQUAL(std::string(""), malformed.user);
    CPPUNIT_ASSERT_EQUAL(std::string("malformed credentials"), malformed.failure);
    CPPUNIT_ASSERT_EQUAL(std::string(""), admin.failure);
  }

  void testMalformedHeaders() {
    Authenticator auth(WebConfig::parse(twoUsers(), "web.yml"), {"ops"});
    CPPUNIT_ASSERT(auth.check("").outcome == AuthResult::Outcome::Missing);
    CPPUNIT_ASSERT(auth.check("Bearer abc").outcome == AuthResult::Outcome::Missing);
    CPPUNIT_ASSERT(auth.check("Basic").outcome == AuthResult::Outcome::Missing);
    CPPUNIT_ASSERT(auth.check("Basic !!!notbase64").outcome == AuthResult::Outcome::Invalid);
    CPPUNIT_ASSERT(auth.check("Basic cHJvbWV0aGV1cw==").outcome ==  // "prometheus", no colon
                   AuthResult::Outcome::Invalid);
    // The scheme is case-insensitive (RFC 7617).
    std::string header = basic("prometheus", "scrape-secret");
    CPPUNIT_ASSERT(auth.check("bAsIc" + header.substr(5)).allows(Scope::Read));
    CPPUNIT_ASSERT(auth.check("BASIC" + header.substr(5)).allows(Scope::Read));
    // ASCII letters only (Poco::icompare): "BASİC" with U+0130 is another scheme.
    const std::string dottedCapitalI = "\xC4\xB0";
    CPPUNIT_ASSERT(auth.check("BAS" + dottedCapitalI + "C" + header.substr(5)).outcome ==
                   AuthResult::Outcome::Missing);
    CPPUNIT_ASSERT(auth.check("Basi" + header.substr(5)).outcome == AuthResult::Outcome::Missing);
    // White space around the credentials is not part of them.
    CPPUNIT_ASSERT(
        auth.check(header.substr(0, 6) + "\t " + header.substr(6) + " \t").allows(Scope::Read));
    // A colon in the password is part of the password.
    CPPUNIT_ASSERT(auth.check(basic("prometheus", "scrape-secret:x")).outcome ==
                   AuthResult::Outcome::Invalid);
  }

  void testOpenWithoutUsers() {
    Authenticator open(WebConfig{}, {});
    AuthResult r = open.check("");
    CPPUNIT_ASSERT(r.outcome == AuthResult::Outcome::Open);
    CPPUNIT_ASSERT(r.allows(Scope::Admin));
  }

  void testAdminUsersList() {
    std::set<std::string> users = WebAccess::parseUsers(" ops, ,alice ,ops");
    CPPUNIT_ASSERT_EQUAL(size_t(2), users.size());
    CPPUNIT_ASSERT(users.count("ops") == 1 && users.count("alice") == 1);
    CPPUNIT_ASSERT(WebAccess::parseUsers("").empty());
    std::set<std::string> padded = WebAccess::parseUsers("\tops\r\n,\valice\f");
    CPPUNIT_ASSERT(padded.count("ops") == 1 && padded.count("alice") == 1);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(WebConfigTest);
