#include "http/LoginFailureLog.h"

#include <cppunit/extensions/HelperMacros.h>

#include "common/FakeClock.h"
#include "common/LogLines.h"

using namespace promsnmp;
using common::FakeClock;
using common::LogLines;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

const char* const kArea = "promsnmp.test.logins";

Poco::Net::IPAddress ip(const std::string& text) { return Poco::Net::IPAddress(text); }

std::string tail(const std::string& line) { return line.substr(line.find(" level=") + 1); }

}  // namespace

class LoginFailureLogTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(LoginFailureLogTest);
  CPPUNIT_TEST(testOneLinePerUserAndSourceThenSummary);
  CPPUNIT_TEST(testSourceThroughTrustedProxy);
  CPPUNIT_TEST(testSiteWideCap);
  CPPUNIT_TEST(testLongUserNamesAreCut);
  CPPUNIT_TEST_SUITE_END();

 public:
  // A password guesser: its first failure is a line, the other 49 one summary when the pair's
  // 10 minutes end; another user from the same address is another pair.
  void testOneLinePerUserAndSourceThenSummary() {
    LogLines log(kArea);
    FakeClock clock;
    LoginFailureLog logins(clock, Poco::Logger::get(kArea), TrustedProxies());
    for (int i = 0; i < 50; ++i) {
      logins.record("ops", "wrong password", ip("192.0.2.10"), "");
      clock.advance(seconds(1));
    }
    logins.record("root", "unknown user", ip("192.0.2.10"), "");
    std::vector<std::string> lines = log.lines();
    CPPUNIT_ASSERT_EQUAL(size_t{2}, lines.size());
    CPPUNIT_ASSERT_EQUAL(std::string("level=warn logger=promsnmp.test.logins msg=\"login failed\" "
                                     "user=ops source=192.0.2.10 reason=\"wrong password\""),
                         tail(lines[0]));
    CPPUNIT_ASSERT_EQUAL(std::string("level=warn logger=promsnmp.test.logins msg=\"login failed\" "
                                     "user=root source=192.0.2.10 reason=\"unknown user\""),
                         tail(lines[1]));
    clock.advance(minutes(10) - seconds(51));
    logins.tick();
    CPPUNIT_ASSERT_EQUAL(size_t{2}, log.lines().size());  // 1 s short of the window
    clock.advance(seconds(1));
    logins.tick();
    lines = log.lines();
    CPPUNIT_ASSERT_EQUAL(size_t{3}, lines.size());
    CPPUNIT_ASSERT_EQUAL(std::string("level=warn logger=promsnmp.test.logins "
                                     "msg=\"failed logins not logged\" user=ops "
                                     "source=192.0.2.10 suppressed=49 window_seconds=600"),
                         tail(lines[2]));
    // The next failure opens a new window: a line again.
    logins.record("ops", "wrong password", ip("192.0.2.10"), "");
    CPPUNIT_ASSERT_EQUAL(size_t{4}, log.lines().size());
  }

  // Behind HAProxy every request comes from the proxy: the client is its X-Forwarded-For, and
  // two clients are two pairs.
  void testSourceThroughTrustedProxy() {
    LogLines log(kArea);
    FakeClock clock;
    LoginFailureLog logins(clock, Poco::Logger::get(kArea), TrustedProxies::parse("127.0.0.1"));
    logins.record("ops", "wrong password", ip("127.0.0.1"), "203.0.113.7");
    logins.record("ops", "wrong password", ip("127.0.0.1"), "203.0.113.7");
    logins.record("ops", "wrong password", ip("127.0.0.1"), "203.0.113.8");
    // Not from the proxy: its header is the client's own text, not believed.
    logins.record("ops", "wrong password", ip("192.0.2.1"), "203.0.113.7");
    const std::vector<std::string> lines = log.lines();
    CPPUNIT_ASSERT_EQUAL(size_t{3}, lines.size());
    CPPUNIT_ASSERT_EQUAL(std::string("level=warn logger=promsnmp.test.logins msg=\"login failed\" "
                                     "user=ops source=203.0.113.7 proxy=127.0.0.1 "
                                     "reason=\"wrong password\""),
                         tail(lines[0]));
    CPPUNIT_ASSERT(tail(lines[1]).find("source=203.0.113.8 proxy=127.0.0.1") != std::string::npos);
    CPPUNIT_ASSERT(tail(lines[2]).find("source=192.0.2.1 reason=") != std::string::npos);
  }

  // Many sources at once (a distributed guesser): 60 lines a minute, then a site summary.
  void testSiteWideCap() {
    LogLines log(kArea);
    FakeClock clock;
    LoginFailureLog logins(clock, Poco::Logger::get(kArea), TrustedProxies());
    for (int i = 0; i < 100; ++i) {
      logins.record("ops", "wrong password", ip("198.51.100." + std::to_string(i)), "");
    }
    CPPUNIT_ASSERT_EQUAL(size_t{60}, log.lines().size());
    clock.advance(minutes(1));
    logins.tick();
    const std::vector<std::string> lines = log.lines();
    CPPUNIT_ASSERT_EQUAL(size_t{61}, lines.size());
    CPPUNIT_ASSERT_EQUAL(std::string("level=warn logger=promsnmp.test.logins "
                                     "msg=\"failed logins not logged: site-wide cap\" "
                                     "suppressed=40 window_seconds=60 cap=60"),
                         tail(lines[60]));
  }

  void testLongUserNamesAreCut() {
    LogLines log(kArea);
    FakeClock clock;
    LoginFailureLog logins(clock, Poco::Logger::get(kArea), TrustedProxies());
    logins.record(std::string(1000, 'u'), "unknown user", ip("192.0.2.10"), "");
    const std::vector<std::string> lines = log.lines();
    CPPUNIT_ASSERT_EQUAL(size_t{1}, lines.size());
    CPPUNIT_ASSERT(lines[0].find("user=" + std::string(64, 'u') + " ") != std::string::npos);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LoginFailureLogTest);
