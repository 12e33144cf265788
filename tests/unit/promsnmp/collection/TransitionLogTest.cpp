#include "collection/TransitionLog.h"

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

const char* const kArea = "promsnmp.test.transitions";

PollResult up(const std::string& target) {
  PollResult result;
  result.target = target;
  return result;
}

PollResult down(const std::string& target, PollError error = PollError::Timeout,
                const std::string& detail = "no answer after 2 retries") {
  PollResult result;
  result.target = target;
  result.error = error;
  result.errorDetail = detail;
  return result;
}

TransitionLog::Options limits(size_t perDevice, size_t perSite) {
  TransitionLog::Options options;
  options.limits.perKey = perDevice;
  options.limits.keyWindow = minutes(10);
  options.limits.perSite = perSite;
  options.limits.siteWindow = minutes(1);
  options.forgetAfter = minutes(60);
  return options;
}

}  // namespace

class TransitionLogTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(TransitionLogTest);
  CPPUNIT_TEST(testOneLinePerTransition);
  CPPUNIT_TEST(testFirstPollFailingIsLogged);
  CPPUNIT_TEST(testFlappingDeviceIsSummarised);
  CPPUNIT_TEST(testSiteWideCap);
  CPPUNIT_TEST(testModuleSetNamesItsKey);
  CPPUNIT_TEST(testForgetsDevicesNotPolled);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    log_ = std::make_unique<LogLines>(kArea);
    transitions_ = std::make_unique<TransitionLog>(clock_, Poco::Logger::get(kArea), limits(4, 60));
  }

  void tearDown() override {
    transitions_.reset();
    log_.reset();
  }

  // Up, then down for three polls, then up: two lines, the second with the time it was down.
  void testOneLinePerTransition() {
    transitions_->record("r1", up("r1"));
    transitions_->record("r1", up("r1"));
    CPPUNIT_ASSERT(log_->lines().empty());
    for (int i = 0; i < 3; ++i) {
      clock_.advance(seconds(30));
      transitions_->record("r1", down("r1"));
    }
    clock_.advance(seconds(30));
    transitions_->record("r1", up("r1"));
    transitions_->record("r1", up("r1"));
    const std::vector<std::string> lines = log_->lines();
    CPPUNIT_ASSERT_EQUAL(size_t{2}, lines.size());
    CPPUNIT_ASSERT_EQUAL(std::string("level=warn logger=promsnmp.test.transitions "
                                     "msg=\"device is down\" target=r1 reason=timeout "
                                     "detail=\"no answer after 2 retries\" previous=up"),
                         LogLines::withoutTime(lines[0]));
    // Down from the first failed poll to the good one: 90 s.
    CPPUNIT_ASSERT_EQUAL(std::string("level=info logger=promsnmp.test.transitions "
                                     "msg=\"device is up again\" target=r1 down_seconds=90"),
                         LogLines::withoutTime(lines[1]));
  }

  // A device that fails from its first poll is worth one line; one that starts up is not.
  void testFirstPollFailingIsLogged() {
    transitions_->record("r2", down("r2", PollError::Authentication, "unknown user name"));
    transitions_->record("r2", down("r2", PollError::Authentication, "unknown user name"));
    transitions_->record("r3", up("r3"));
    const std::vector<std::string> lines = log_->lines();
    CPPUNIT_ASSERT_EQUAL(size_t{1}, lines.size());
    CPPUNIT_ASSERT_EQUAL(std::string("level=warn logger=promsnmp.test.transitions "
                                     "msg=\"device is down\" target=r2 reason=authentication "
                                     "detail=\"unknown user name\" previous=none"),
                         LogLines::withoutTime(lines[0]));
  }

  // 10 down/up cycles in 10 minutes: the device's first 4 transitions are logged, then one
  // summary with the other 16 and the state the device ended in; another device is unaffected.
  void testFlappingDeviceIsSummarised() {
    for (int i = 0; i < 10; ++i) {
      transitions_->record("flappy", down("flappy"));
      clock_.advance(seconds(20));
      transitions_->record("flappy", up("flappy"));
      clock_.advance(seconds(20));
    }
    transitions_->record("flappy", down("flappy"));  // the 21st: also held back
    transitions_->record("steady", down("steady"));
    CPPUNIT_ASSERT_EQUAL(size_t{4}, log_->matching("target=flappy").size());
    CPPUNIT_ASSERT_EQUAL(size_t{1}, log_->matching("target=steady").size());
    clock_.advance(minutes(10) - seconds(400));  // the window (from the first line) ends
    transitions_->record("flappy", down("flappy"));
    const std::vector<std::string> summary = log_->matching("not logged");
    CPPUNIT_ASSERT_EQUAL(size_t{1}, summary.size());
    CPPUNIT_ASSERT_EQUAL(std::string("level=warn logger=promsnmp.test.transitions "
                                     "msg=\"device state changes not logged\" target=flappy "
                                     "suppressed=17 window_seconds=600 state=down "
                                     "reason=timeout"),
                         LogLines::withoutTime(summary[0]));
    CPPUNIT_ASSERT_EQUAL(size_t{5}, log_->matching("target=flappy").size());
  }

  // 80 devices going down at once: 60 lines in the minute, then one site summary.
  void testSiteWideCap() {
    for (int i = 0; i < 80; ++i) {
      const std::string name = "d" + std::to_string(i);
      transitions_->record(name, down(name));
    }
    CPPUNIT_ASSERT_EQUAL(size_t{60}, log_->lines().size());
    clock_.advance(minutes(1));
    transitions_->flush();
    const std::vector<std::string> lines = log_->lines();
    CPPUNIT_ASSERT_EQUAL(size_t{61}, lines.size());
    CPPUNIT_ASSERT_EQUAL(std::string("level=warn logger=promsnmp.test.transitions "
                                     "msg=\"device state changes not logged: site-wide cap\" "
                                     "suppressed=20 window_seconds=60 cap=60"),
                         LogLines::withoutTime(lines[60]));
  }

  // An ad-hoc module scrape is its own state, named by its cache key.
  void testModuleSetNamesItsKey() {
    transitions_->record("r1", up("r1"));
    transitions_->record("target=r1&module=ucd",
                         down("r1", PollError::AgentError, "ucd: noSuchName"));
    const std::vector<std::string> lines = log_->lines();
    CPPUNIT_ASSERT_EQUAL(size_t{1}, lines.size());
    CPPUNIT_ASSERT_EQUAL(std::string("level=warn logger=promsnmp.test.transitions "
                                     "msg=\"device is down\" target=r1 "
                                     "set=\"target=r1&module=ucd\" reason=agent_error "
                                     "detail=\"ucd: noSuchName\" previous=none"),
                         LogLines::withoutTime(lines[0]));
  }

  // A device not polled for forgetAfter (it left the inventory, or another replica polls it) is
  // forgotten: coming back down, it is a first poll again.
  void testForgetsDevicesNotPolled() {
    transitions_->record("gone", down("gone"));
    clock_.advance(minutes(61));
    transitions_->flush();
    transitions_->record("gone", down("gone"));
    CPPUNIT_ASSERT_EQUAL(size_t{2}, log_->matching("previous=none").size());
  }

 private:
  FakeClock clock_;
  std::unique_ptr<LogLines> log_;
  std::unique_ptr<TransitionLog> transitions_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(TransitionLogTest);
