#include "http/LoginFailureLog.h"

#include <memory>

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

}  // namespace

class LoginFailureLogTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(LoginFailureLogTest);
  CPPUNIT_TEST(testOneLinePerUserAndSourceThenSummary);
  CPPUNIT_TEST(testSourceThroughTrustedProxy);
  CPPUNIT_TEST(testSiteWideCap);
  CPPUNIT_TEST(testLongUserNamesAreCut);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    log_ = std::make_unique<LogLines>(kArea);
    logins_ = std::make_unique<LoginFailureLog>(clock_, Poco::Logger::get(kArea), TrustedProxies());
  }

  void tearDown() override {
    logins_.reset();
    log_.reset();
  }

  // A password guesser: its first failure is a line, the other 49 one summary when the pair's
  // 10 minutes end; another user from the same address is another pair.
  void testOneLinePerUserAndSourceThenSummary() {
    for (int i = 0; i < 50; ++i) {
      logins_->record("ops", "wrong password", ip("192.0.2.10"), "");
      clock_.advance(seconds(1));
    }
    logins_->record("root", "unknown user", ip("192.0.2.10"), "");
    std::vector<std::string> lines = log_->lines();
    CPPUNIT_ASSERT_EQUAL(size_t{2}, lines.size());
    CPPUNIT_ASSERT_EQUAL(std::string("level=warn logger=promsnmp.test.logins msg=\"login failed\" "
                                     "user=ops source=192.0.2.10 reason=\"wrong password\""),
                         LogLines::withoutTime(lines[0]));
    CPPUNIT_ASSERT_EQUAL(std::string("level=warn logger=promsnmp.test.logins msg=\"login failed\" "
                                     "user=root source=192.0.2.10 reason=\"unknown user\""),
                         LogLines::withoutTime(lines[1]));
    clock_.advance(minutes(10) - seconds(51));
    logins_->tick();
    CPPUNIT_ASSERT_EQUAL(size_t{2}, log_->lines().size());  // 1 s short of the window
    clock_.advance(seconds(1));
    logins_->tick();
    lines = log_->lines();
    CPPUNIT_ASSERT_EQUAL(size_t{3}, lines.size());
    CPPUNIT_ASSERT_EQUAL(std::string("level=warn logger=promsnmp.test.logins "
                                     "msg=\"failed logins not logged\" user=ops "
                                     "source=192.0.2.10 suppressed=49 window_seconds=600"),
                         LogLines::withoutTime(lines[2]));
    // The next failure opens a new window: a line again.
    logins_->record("ops", "wrong password", ip("192.0.2.10"), "");
    CPPUNIT_ASSERT_EQUAL(size_t{4}, log_->lines().size());
  }

  // Behind HAProxy every request comes from the proxy: the client is its X-Forwarded-For, and
  // two clients are two pairs.
  void testSourceThroughTrustedProxy() {
    LoginFailureLog proxied(clock_, Poco::Logger::get(kArea), TrustedProxies::parse("127.0.0.1"));
    proxied.record("ops", "wrong password", ip("127.0.0.1"), "203.0.113.7");
    proxied.record("ops", "wrong password", ip("127.0.0.1"), "203.0.113.7");
    proxied.record("ops", "wrong password", ip("127.0.0.1"), "203.0.113.8");
    // Not from the proxy: its header is the client's own text, not believed.
    proxied.record("ops", "wrong password", ip("192.0.2.1"), "203.0.113.7");
    const std::vector<std::string> lines = log_->lines();
    CPPUNIT_ASSERT_EQUAL(size_t{3}, lines.size());
    CPPUNIT_ASSERT_EQUAL(std::string("level=warn logger=promsnmp.test.logins msg=\"login failed\" "
                                     "user=ops source=203.0.113.7 proxy=127.0.0.1 "
                                     "reason=\"wrong password\""),
                         LogLines::withoutTime(lines[0]));
    CPPUNIT_ASSERT(LogLines::withoutTime(lines[1]).find("source=203.0.113.8 proxy=127.0.0.1") !=
                   std::string::npos);
    CPPUNIT_ASSERT(LogLines::withoutTime(lines[2]).find("source=192.0.2.1 reason=") !=
                   std::string::npos);
  }

  // Many sources at once (a distributed guesser): the site cap holds them too.
  void testSiteWideCap() {
    for (int i = 0; i < 100; ++i) {
      logins_->record("ops", "wrong password", ip("198.51.100." + std::to_string(i)), "");
    }
    clock_.advance(minutes(1));
    logins_->tick();
    CPPUNIT_ASSERT_EQUAL(size_t{60}, log_->matching("msg=\"login failed\"").size());
    const std::vector<std::string> summary = log_->matching("site-wide cap");
    CPPUNIT_ASSERT_EQUAL(size_t{1}, summary.size());
    CPPUNIT_ASSERT_MESSAGE(summary[0],
                           summary[0].find("msg=\"failed logins not logged: site-wide "
                                           "cap\" suppressed=40 ") != std::string::npos);
  }

  void testLongUserNamesAreCut() {
    logins_->record(std::string(1000, 'u'), "unknown user", ip("192.0.2.10"), "");
    const std::vector<std::string> lines = log_->lines();
    CPPUNIT_ASSERT_EQUAL(size_t{1}, lines.size());
    CPPUNIT_ASSERT(lines[0].find("user=" + std::string(64, 'u') + " ") != std::string::npos);
  }

 private:
  FakeClock clock_;
  std::unique_ptr<LogLines> log_;
  std::unique_ptr<LoginFailureLog> logins_;  // no trusted proxies
};

CPPUNIT_TEST_SUITE_REGISTRATION(LoginFailureLogTest);
