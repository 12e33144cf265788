#include "common/LogLimiter.h"

#include <algorithm>

#include <cppunit/extensions/HelperMacros.h>

#include "common/FakeClock.h"

using namespace common;
using common::FakeClock;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

LogLimiter::Options limits(size_t perKey, size_t perSite, size_t maxKeys = 100) {
  LogLimiter::Options options;
  options.perKey = perKey;
  options.keyWindow = minutes(10);
  options.perSite = perSite;
  options.siteWindow = minutes(1);
  options.maxKeys = maxKeys;
  return options;
}

std::vector<LogLimiter::Suppressed> sorted(std::vector<LogLimiter::Suppressed> closed) {
  std::sort(closed.begin(), closed.end(),
            [](const auto& a, const auto& b) { return a.key < b.key; });
  return closed;
}

std::string show(const std::vector<LogLimiter::Suppressed>& closed) {
  std::string text;
  for (const auto& s : closed) {
    text += "[" + s.key + "]=" + std::to_string(s.count) + " ";
  }
  return text;
}

}  // namespace

class LogLimiterTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(LogLimiterTest);
  CPPUNIT_TEST(testPerKeyBudgetPerWindow);
  CPPUNIT_TEST(testSiteCapPerWindow);
  CPPUNIT_TEST(testSummariesTakeTheSiteBudget);
  CPPUNIT_TEST(testKeysBeyondMaxKeysHeldToTheSiteCap);
  CPPUNIT_TEST_SUITE_END();

 public:
  // A key logs perKey events in its window, the rest are counted and handed over once, after
  // the window ends; then the key starts afresh. Keys do not share budgets.
  void testPerKeyBudgetPerWindow() {
    FakeClock clock;
    LogLimiter limiter(clock, limits(3, 100));
    for (int i = 0; i < 3; ++i) {
      CPPUNIT_ASSERT(limiter.admit("a"));
      clock.advance(seconds(10));
    }
    CPPUNIT_ASSERT(!limiter.admit("a"));
    CPPUNIT_ASSERT(!limiter.admit("a"));
    CPPUNIT_ASSERT(limiter.admit("b"));
    CPPUNIT_ASSERT(limiter.closedWindows().empty());
    clock.advance(minutes(10) - seconds(31));  // a's window (from its first event) ends
    CPPUNIT_ASSERT(limiter.closedWindows().empty());
    clock.advance(seconds(1));
    const std::vector<LogLimiter::Suppressed> closed = limiter.closedWindows();
    CPPUNIT_ASSERT_EQUAL_MESSAGE(show(closed), size_t{1}, closed.size());
    CPPUNIT_ASSERT(closed[0] == (LogLimiter::Suppressed{"a", 2}));
    CPPUNIT_ASSERT(limiter.closedWindows().empty());  // handed over once
    CPPUNIT_ASSERT(limiter.admit("a"));
  }

  // However many keys, at most perSite events per site window; the rest is one count.
  void testSiteCapPerWindow() {
    FakeClock clock;
    LogLimiter limiter(clock, limits(10, 4));
    size_t admitted = 0;
    for (int key = 0; key < 6; ++key) {
      admitted += limiter.admit("k" + std::to_string(key)) ? 1 : 0;
    }
    CPPUNIT_ASSERT_EQUAL(size_t{4}, admitted);
    clock.advance(seconds(59));
    CPPUNIT_ASSERT(!limiter.admit("k0"));
    CPPUNIT_ASSERT(limiter.closedWindows().empty());
    clock.advance(seconds(1));
    const std::vector<LogLimiter::Suppressed> closed = limiter.closedWindows();
    CPPUNIT_ASSERT_EQUAL_MESSAGE(show(closed), size_t{1}, closed.size());
    CPPUNIT_ASSERT(closed[0] == (LogLimiter::Suppressed{"", 3}));
    CPPUNIT_ASSERT(limiter.admit("k5"));
  }

  // Events held back by the site cap are the site's count, not their key's. Each key's summary
  // is a line within the site's budget; one without room joins the site's count, so however many
  // keys misbehave, a site window has at most perSite lines plus the site's summary.
  void testSummariesTakeTheSiteBudget() {
    FakeClock clock;
    LogLimiter limiter(clock, limits(1, 2));
    CPPUNIT_ASSERT(limiter.admit("a"));
    CPPUNIT_ASSERT(!limiter.admit("a"));  // a's budget
    CPPUNIT_ASSERT(limiter.admit("b"));
    CPPUNIT_ASSERT(!limiter.admit("c"));  // the site's
    CPPUNIT_ASSERT(!limiter.admit("c"));  // the site's again: c has logged nothing
    clock.advance(minutes(10));
    CPPUNIT_ASSERT_EQUAL(std::string("[]=2 [a]=1 "), show(sorted(limiter.closedWindows())));

    // Three keys over budget, a site window apart; their windows end together-ish and only two
    // summaries fit the site window they are handed over in.
    LogLimiter tight(clock, limits(1, 2));
    for (const char* key : {"x", "y", "z"}) {
      CPPUNIT_ASSERT(tight.admit(key));
      CPPUNIT_ASSERT(!tight.admit(key));
      clock.advance(minutes(1));
    }
    clock.advance(minutes(9));
    std::vector<LogLimiter::Suppressed> closed = tight.closedWindows();
    CPPUNIT_ASSERT_EQUAL_MESSAGE(show(closed), size_t{2}, closed.size());
    for (const auto& summary : closed) {
      CPPUNIT_ASSERT(summary.key != "" && summary.count == 1);
    }
    CPPUNIT_ASSERT(!tight.admit("w"));  // the two summaries used the window
    clock.advance(minutes(1));
    // The third key's count and w's event.
    CPPUNIT_ASSERT_EQUAL(std::string("[]=2 "), show(tight.closedWindows()));
  }

  // Beyond maxKeys a key is not remembered (memory stays bounded): only the site cap holds it.
  void testKeysBeyondMaxKeysHeldToTheSiteCap() {
    FakeClock clock;
    LogLimiter limiter(clock, limits(1, 5, 2));
    CPPUNIT_ASSERT(limiter.admit("a"));
    CPPUNIT_ASSERT(limiter.admit("b"));
    CPPUNIT_ASSERT(!limiter.admit("a"));
    CPPUNIT_ASSERT(limiter.admit("c"));
    CPPUNIT_ASSERT(limiter.admit("c"));
    CPPUNIT_ASSERT(limiter.admit("c"));
    CPPUNIT_ASSERT(!limiter.admit("c"));  // the site's 5
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LogLimiterTest);
