// Tests of CronExpression: Spring Framework 6 syntax (every element, macros, errors) and next
// fire times, in UTC and in real zones across DST changes. Expected instants in zones were
// computed with `TZ=<zone> date -d '<local time>'` on Debian 12 (tzdata 2025b) and hard-coded.
#include "discovery/CronExpression.h"

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include <Poco/Exception.h>
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include "discovery/TimeZone.h"

using namespace promsnmp;
using namespace std::chrono;

namespace {

using TimePoint = CronExpression::TimePoint;

/// Parses "2026-03-07T07:00:00Z" (UTC, optional fraction of up to 9 digits).
TimePoint utc(const std::string& text) {
  int y = 0;
  unsigned mo = 0, d = 0;
  int h = 0, mi = 0, s = 0;
  CPPUNIT_ASSERT(std::sscanf(text.c_str(), "%d-%u-%uT%d:%d:%d", &y, &mo, &d, &h, &mi, &s) == 6);
  TimePoint t = sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
  std::size_t dot = text.find('.');
  if (dot != std::string::npos) {
    std::string digits = text.substr(dot + 1, text.size() - dot - 2);
    digits.resize(9, '0');
    t += duration_cast<TimePoint::duration>(nanoseconds{std::stoll(digits)});
  }
  return t;
}

std::string format(std::optional<TimePoint> t) {
  if (!t) {
    return "none";
  }
  auto secs = floor<seconds>(*t);
  auto dayPoint = floor<days>(secs);
  year_month_day ymd{dayPoint};
  hh_mm_ss<seconds> hms{secs - dayPoint};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::string next(const std::string& expression, const std::string& after,
                 const TimeZone& zone = TimeZone::utc(),
                 CronExpression::DstGap gap = CronExpression::DstGap::Skip) {
  return format(CronExpression::parse(expression).next(utc(after), zone, gap));
}

std::string syntaxError(const std::string& expression) {
  try {
    CronExpression::parse(expression);
  } catch (const Poco::SyntaxException& e) {
    return e.displayText();
  }
  CPPUNIT_FAIL("no SyntaxException for \"" + expression + "\"");
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

class CronExpressionTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(CronExpressionTest);
  CPPUNIT_TEST(testNextIsStrictlyAfter);
  CPPUNIT_TEST(testListsRangesAndSteps);
  CPPUNIT_TEST(testMonthNames);
  CPPUNIT_TEST(testDayNamesAndSunday);
  CPPUNIT_TEST(testQuestionMarkAndBothDayFieldsMustMatch);
  CPPUNIT_TEST(testLastDayOfMonth);
  CPPUNIT_TEST(testWeekdayNearest);
  CPPUNIT_TEST(testLastAndNthDayOfWeek);
  CPPUNIT_TEST(testQuartzElementsInLists);
  CPPUNIT_TEST(testLeapYearFebruary29);
  CPPUNIT_TEST(testNeverFiringReturnsNothing);
  CPPUNIT_TEST(testMacros);
  CPPUNIT_TEST(testWhitespaceAndCase);
  CPPUNIT_TEST(testSyntaxErrorsNameFieldAndText);
  CPPUNIT_TEST(testDefaultScheduleNewYorkSpringForward);
  CPPUNIT_TEST(testDefaultScheduleNewYorkFallBack);
  CPPUNIT_TEST(testOverlapFiresOnceAtFirstOccurrence);
  CPPUNIT_TEST(testSpringDaylightSavingCases);
  CPPUNIT_TEST(testNonHourOffsetZones);
  CPPUNIT_TEST(testFarFutureUsesFooterRule);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testNextIsStrictlyAfter() {
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-01T00:00:05Z"),
                         next("*/5 * * * * *", "2026-01-01T00:00:03Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-01T00:00:10Z"),
                         next("*/5 * * * * *", "2026-01-01T00:00:05Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-01T00:00:05Z"),
                         next("*/5 * * * * *", "2026-01-01T00:00:04.999Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-01T00:00:10Z"),
                         next("*/5 * * * * *", "2026-01-01T00:00:05.000001Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-01T00:00:01Z"),
                         next("* * * * * *", "2026-01-01T00:00:00Z"));
    // rolls over minute, hour, day, month and year together
    CPPUNIT_ASSERT_EQUAL(std::string("2027-01-01T00:00:00Z"),
                         next("0 0 0 * * *", "2026-12-31T23:59:59Z"));
  }

  void testListsRangesAndSteps() {
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-01T19:00:00Z"),
                         next("0 0 6,19 * * *", "2026-01-01T07:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-02T06:00:00Z"),
                         next("0 0 6,19 * * *", "2026-01-01T19:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-02T08:00:00Z"),
                         next("0 0 8-10 * * *", "2026-01-01T10:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-01T09:00:00Z"),
                         next("0 0 8-10 * * *", "2026-01-01T08:00:00Z"));
    // 1-30/2 on seconds: 1, 3, ..., 29
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-01T00:00:29Z"),
                         next("1-30/2 * * * * *", "2026-01-01T00:00:27Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-01T00:01:01Z"),
                         next("1-30/2 * * * * *", "2026-01-01T00:00:29Z"));
    // 5/10 means 5, 15, ..., 55
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-01T00:00:15Z"),
                         next("5/10 * * * * *", "2026-01-01T00:00:05Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-01T00:01:05Z"),
                         next("5/10 * * * * *", "2026-01-01T00:00:55Z"));
    // minutes 10, 17, 24 of each hour
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-01T01:10:00Z"),
                         next("0 10-30/7 * * * *", "2026-01-01T00:24:00Z"));
    // 0 0/30 8-10: 8:00, 8:30, ..., 10:30
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-01T10:30:00Z"),
                         next("0 0/30 8-10 * * *", "2026-01-01T10:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-02T08:00:00Z"),
                         next("0 0/30 8-10 * * *", "2026-01-01T10:30:00Z"));
    // a mixed list; a single value equal to both ends of a range
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-01T00:00:40Z"),
                         next("3,7-9,40-40 * * * * *", "2026-01-01T00:00:09Z"));
    // Java's Integer.parseInt accepts a leading '+'
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-01T00:00:05Z"),
                         next("+5 * * * * *", "2026-01-01T00:00:00Z"));
  }

  void testMonthNames() {
    CPPUNIT_ASSERT_EQUAL(std::string("2026-07-01T00:00:00Z"),
                         next("0 0 0 1 jan,Jul *", "2026-01-01T00:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-11-01T00:00:00Z"),
                         next("0 0 0 1 NOV-DEC *", "2026-01-01T00:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-03-01T00:00:00Z"),
                         next("0 0 0 1 */2 *", "2026-01-01T00:00:00Z"));  // 1, 3, 5, ...
  }

  void testDayNamesAndSunday() {
    // 2026-01-02 is a Friday, 2026-01-04 a Sunday
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-05T09:00:00Z"),
                         next("0 0 9 * * MON-FRI", "2026-01-02T09:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-05T09:00:00Z"),
                         next("0 0 9 * * mon-fri", "2026-01-02T09:00:00Z"));
    for (const char* sunday : {"0", "7", "SUN", "sun", "0,7"}) {
      CPPUNIT_ASSERT_EQUAL_MESSAGE(
          sunday, std::string("2026-01-04T00:00:00Z"),
          next(std::string("0 0 0 * * ") + sunday, "2026-01-01T00:00:00Z"));
    }
    // SUN-FRI is 0-5, so from Friday the next is Sunday (Saturday excluded)
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-04T00:00:00Z"),
                         next("0 0 0 ? * SUN-FRI", "2026-01-02T00:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-03T00:00:00Z"),
                         next("0 0 0 ? * SAT", "2026-01-02T00:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-03T00:00:00Z"),
                         next("0 0 0 ? * 6-7", "2026-01-02T00:00:00Z"));
  }

  void testQuestionMarkAndBothDayFieldsMustMatch() {
    CPPUNIT_ASSERT_EQUAL(std::string("2026-12-25T00:00:00Z"),
                         next("0 0 0 25 12 ?", "2026-01-01T00:00:00Z"));
    // Spring ANDs day-of-month and day-of-week: Friday the 13th (Feb and Mar 2026)
    CPPUNIT_ASSERT_EQUAL(std::string("2026-02-13T00:00:00Z"),
                         next("0 0 0 13 * FRI", "2026-01-01T00:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-03-13T00:00:00Z"),
                         next("0 0 0 13 * FRI", "2026-02-13T00:00:00Z"));
  }

  void testLastDayOfMonth() {
    CPPUNIT_ASSERT_EQUAL(std::string("2026-02-28T00:00:00Z"),
                         next("0 0 0 L * *", "2026-02-01T00:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2028-02-29T00:00:00Z"),
                         next("0 0 0 L * *", "2028-02-01T00:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-04-30T00:00:00Z"),
                         next("0 0 0 L * *", "2026-03-31T00:00:00Z"));
    // every hour on the last day
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-31T02:00:00Z"),
                         next("0 0 * L * *", "2026-01-31T01:00:00Z"));
    // L-3: third-to-last day
    CPPUNIT_ASSERT_EQUAL(std::string("2026-02-25T00:00:00Z"),
                         next("0 0 0 L-3 * *", "2026-02-01T00:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-28T00:00:00Z"),
                         next("0 0 0 L-3 * *", "2026-01-01T00:00:00Z"));
    // L-30 exists only in 31-day months (on the 1st)
    CPPUNIT_ASSERT_EQUAL(std::string("2026-03-01T00:00:00Z"),
                         next("0 0 0 L-30 * *", "2026-01-01T00:00:00Z"));
    // LW: last weekday; 2026-01-31 is a Saturday, 2026-05-31 a Sunday
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-30T00:00:00Z"),
                         next("0 0 0 LW * *", "2026-01-01T00:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-05-29T00:00:00Z"),
                         next("0 0 0 LW * *", "2026-05-01T00:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-03-31T00:00:00Z"),
                         next("0 0 0 LW * *", "2026-03-01T00:00:00Z"));  // a Tuesday
  }

  void testWeekdayNearest() {
    // 15W: 2026-02-15 is a Sunday -> Monday 16th; 2026-08-15 a Saturday -> Friday 14th
    CPPUNIT_ASSERT_EQUAL(std::string("2026-02-16T00:00:00Z"),
                         next("0 0 0 15W * *", "2026-02-01T00:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-08-14T00:00:00Z"),
                         next("0 0 0 15W * *", "2026-08-01T00:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-15T00:00:00Z"),
                         next("0 0 0 15W * *", "2026-01-01T00:00:00Z"));  // a Thursday
    // 1W: 2026-08-01 is a Saturday -> Monday 3rd (never back into July)
    CPPUNIT_ASSERT_EQUAL(std::string("2026-08-03T00:00:00Z"),
                         next("0 0 0 1W * *", "2026-07-31T00:00:00Z"));
    // 31W: 2026-05-31 is a Sunday and June has 30 days -> next is Friday 2026-07-31
    CPPUNIT_ASSERT_EQUAL(std::string("2026-07-31T00:00:00Z"),
                         next("0 0 0 31W * *", "2026-05-01T00:00:00Z"));
  }

  void testLastAndNthDayOfWeek() {
    // last Friday / Thursday of January 2026
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-30T00:00:00Z"),
                         next("0 0 0 * * 5L", "2026-01-01T00:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-29T00:00:00Z"),
                         next("0 0 0 * * THUL", "2026-01-01T00:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-25T00:00:00Z"),
                         next("0 0 0 * * 0L", "2026-01-01T00:00:00Z"));  // last Sunday
    // first Monday, second Friday
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-05T00:00:00Z"),
                         next("0 0 0 ? * MON#1", "2026-01-01T00:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-09T00:00:00Z"),
                         next("0 0 0 ? * 5#2", "2026-01-01T00:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-02-13T00:00:00Z"),
                         next("0 0 0 ? * fri#2", "2026-01-09T00:00:00Z"));
    // fifth Wednesday: none in Jan-Mar 2026, then 2026-04-29
    CPPUNIT_ASSERT_EQUAL(std::string("2026-04-29T00:00:00Z"),
                         next("0 0 0 ? * 3#5", "2026-01-01T00:00:00Z"));
  }

  void testQuartzElementsInLists() {
    // 2019-12-31 Tue, 2020-01-01 Wed, 2020-01-15 Wed, 2020-01-31 Fri (Spring's own example)
    const std::string cron = "0 0 0 1W,15,LW * ?";
    CPPUNIT_ASSERT_EQUAL(std::string("2019-12-31T00:00:00Z"), next(cron, "2019-12-30T00:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2020-01-01T00:00:00Z"), next(cron, "2019-12-31T00:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2020-01-15T00:00:00Z"), next(cron, "2020-01-01T00:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2020-01-31T00:00:00Z"), next(cron, "2020-01-15T00:00:00Z"));
    const std::string thursdays = "0 0 0 ? * THU#1,THU#3,THU#5";
    CPPUNIT_ASSERT_EQUAL(std::string("2020-01-02T00:00:00Z"),
                         next(thursdays, "2019-12-31T00:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2020-01-16T00:00:00Z"),
                         next(thursdays, "2020-01-02T00:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2020-01-30T00:00:00Z"),
                         next(thursdays, "2020-01-16T00:00:00Z"));
    // plain and Quartz elements mixed in day-of-week: Mondays and the last Friday
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-30T00:00:00Z"),
                         next("0 0 0 ? * MON,FRIL", "2026-01-26T00:00:00Z"));
  }

  void testLeapYearFebruary29() {
    CPPUNIT_ASSERT_EQUAL(std::string("2028-02-29T00:00:00Z"),
                         next("0 0 0 29 2 *", "2026-03-01T00:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2032-02-29T00:00:00Z"),
                         next("0 0 0 29 2 *", "2028-02-29T00:00:00Z"));
    // 2100 is no leap year: eight years between fires, still within the search horizon
    CPPUNIT_ASSERT_EQUAL(std::string("2104-02-29T00:00:00Z"),
                         next("0 0 0 29 FEB *", "2096-02-29T00:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2028-02-29T12:00:00Z"),
                         next("0 0 12 L 2 *", "2027-03-01T00:00:00Z"));
  }

  void testNeverFiringReturnsNothing() {
    CPPUNIT_ASSERT_EQUAL(std::string("none"), next("0 0 0 30 2 *", "2026-01-01T00:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("none"), next("0 0 0 31 4,6,9,11 *", "2026-01-01T00:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("none"), next("0 0 0 ? * MON#6", "2026-01-01T00:00:00Z"));
    // Friday the 31st of February
    CPPUNIT_ASSERT_EQUAL(std::string("none"), next("0 0 0 31 2 FRI", "2026-01-01T00:00:00Z"));
  }

  void testMacros() {
    const std::string after = "2026-01-02T10:20:30Z";  // a Friday
    CPPUNIT_ASSERT_EQUAL(std::string("2027-01-01T00:00:00Z"), next("@yearly", after));
    CPPUNIT_ASSERT_EQUAL(std::string("2027-01-01T00:00:00Z"), next("@annually", after));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-02-01T00:00:00Z"), next("@monthly", after));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-04T00:00:00Z"), next("@weekly", after));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-03T00:00:00Z"), next("@daily", after));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-03T00:00:00Z"), next("@midnight", after));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-02T11:00:00Z"), next("@hourly", after));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-02T11:00:00Z"), next("  @HOURLY\t", after));
    CPPUNIT_ASSERT_EQUAL(std::string("@Daily"), CronExpression::parse("@Daily").expression());
    // Macro names compare in ASCII case only, whatever the locale: "@DAİLY" (U+0130) is none.
    CPPUNIT_ASSERT_THROW(CronExpression::parse("@DA\xC4\xB0LY"), Poco::SyntaxException);
  }

  void testWhitespaceAndCase() {
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-01T02:00:00Z"),
                         next("  0   0  2 * *   *  ", "2026-01-01T00:00:00Z"));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-01-01T02:00:00Z"),
                         next("\t0 0 2 * * *\n", "2026-01-01T00:00:00Z"));
  }

  void testSyntaxErrorsNameFieldAndText() {
    struct Case {
      const char* expression;
      const char* expected;
    };
    const Case cases[] = {
        {"", "empty cron expression"},
        {"   ", "found 0"},
        {"0 0 * * *", "found 5"},
        {"0 0 0 * * * 2026", "found 7"},
        {"@reboot", "found 1"},
        {"60 * * * * *", "second field '60': value 60 out of range 0-59"},
        {"0 60 * * * *", "minute field '60': value 60 out of range 0-59"},
        {"0 0 24 * * *", "hour field '24'"},
        {"0 0 0 0 * *", "day-of-month field '0'"},
        {"0 0 0 32 * *", "day-of-month field '32'"},
        {"0 0 0 * 13 *", "month field '13'"},
        {"0 0 0 * 0 *", "month field '0'"},
        {"0 0 0 * * 8", "day-of-week field '8': value 8 out of range 0-7"},
        {"0 0 0 * FOO *", "month field 'FOO'"},
        {"0 0 0 * * MONDAY", "day-of-week field 'MONDAY'"},
        {"0 0 5-1 * * *", "hour field '5-1'"},
        {"*/0 * * * * *", "second field '*/0': step"},
        {"*/-1 * * * * *", "second field '*/-1': step"},
        {"*/x * * * * *", "second field '*/x'"},
        {"1,,2 * * * * *", "second field '1,,2'"},
        {"1, * * * * *", "second field '1,'"},
        {"a * * * * *", "second field 'a'"},
        {"-5 * * * * *", "second field '-5'"},
        {"? * * * * *", "second field '?'"},
        {"0 0 0 L-0 * *", "day-of-month field 'L-0': offset"},
        {"0 0 0 L3 * *", "day-of-month field 'L3': offset"},
        {"0 0 0 5L * *", "day-of-month field '5L': unrecognized characters before 'L'"},
        {"0 0 0 W * *", "day-of-month field 'W': no day-of-month before 'W'"},
        {"0 0 0 15W3 * *", "day-of-month field '15W3': unrecognized characters after 'W'"},
        {"0 0 0 32W * *", "day-of-month field '32W'"},
        {"0 0 0 l * *", "day-of-month field 'l'"},
        {"0 0 0 * * L", "day-of-week field 'L': no day-of-week before 'L'"},
        {"0 0 0 * * 8L", "day-of-week field '8L'"},
        {"0 0 0 * * 5L3", "day-of-week field '5L3': unrecognized characters after 'L'"},
        {"0 0 0 * * #2", "day-of-week field '#2': no day-of-week before '#'"},
        {"0 0 0 * * 1#", "day-of-week field '1#': no ordinal after '#'"},
        {"0 0 0 * * 1#0", "day-of-week field '1#0': ordinal"},
        {"0 0 0 * * 1-5#2", "day-of-week field '1-5#2'"},
        {"99999999999 * * * * *", "number too large"},
    };
    for (const Case& c : cases) {
      std::string text = syntaxError(c.expression);
      CPPUNIT_ASSERT_MESSAGE(std::string(c.expression) + " -> " + text, contains(text, c.expected));
    }
    // the message quotes the whole expression too
    CPPUNIT_ASSERT(contains(syntaxError("0 60 * * * *"), "\"0 60 * * * *\""));
  }

  void testDefaultScheduleNewYorkSpringForward() {
    // The Java default "0 0 2 * * *"; on 2026-03-08 New York jumps from 02:00 EST to 03:00 EDT.
    TimeZone ny = TimeZone::load("America/New_York");
    const std::string cron = "0 0 2 * * *";
    // 2026-03-07 02:00 EST = 07:00Z
    CPPUNIT_ASSERT_EQUAL(std::string("2026-03-07T07:00:00Z"),
                         next(cron, "2026-03-06T12:00:00Z", ny));
    // Spring skips the day whose 02:00 does not exist: next is 2026-03-09 02:00 EDT = 06:00Z
    CPPUNIT_ASSERT_EQUAL(std::string("2026-03-09T06:00:00Z"),
                         next(cron, "2026-03-07T07:00:00Z", ny));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-03-09T06:00:00Z"),
                         next(cron, "2026-03-08T06:59:59Z", ny));
    // FireAtEnd: once at the end of the gap, 03:00 EDT = 07:00Z, then the normal schedule
    const auto atEnd = CronExpression::DstGap::FireAtEnd;
    CPPUNIT_ASSERT_EQUAL(std::string("2026-03-08T07:00:00Z"),
                         next(cron, "2026-03-07T07:00:00Z", ny, atEnd));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-03-09T06:00:00Z"),
                         next(cron, "2026-03-08T07:00:00Z", ny, atEnd));
    // every 20 minutes through the gap: 01:40 EST, then 03:00 EDT
    CPPUNIT_ASSERT_EQUAL(std::string("2026-03-08T07:00:00Z"),
                         next("0 */20 * * * *", "2026-03-08T06:40:00Z", ny));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-03-08T07:00:00Z"),
                         next("0 */20 * * * *", "2026-03-08T06:40:00Z", ny, atEnd));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-03-08T07:20:00Z"),
                         next("0 */20 * * * *", "2026-03-08T07:00:00Z", ny, atEnd));
  }

  void testDefaultScheduleNewYorkFallBack() {
    // On 2026-11-01 New York goes from 02:00 EDT back to 01:00 EST; 02:00 happens once.
    TimeZone ny = TimeZone::load("America/New_York");
    const std::string cron = "0 0 2 * * *";
    // 2026-10-31 02:00 EDT = 06:00Z
    CPPUNIT_ASSERT_EQUAL(std::string("2026-10-31T06:00:00Z"),
                         next(cron, "2026-10-30T12:00:00Z", ny));
    // 2026-11-01 02:00 EST = 07:00Z (25 hours later)
    CPPUNIT_ASSERT_EQUAL(std::string("2026-11-01T07:00:00Z"),
                         next(cron, "2026-10-31T06:00:00Z", ny));
    // 2026-11-02 02:00 EST = 07:00Z
    CPPUNIT_ASSERT_EQUAL(std::string("2026-11-02T07:00:00Z"),
                         next(cron, "2026-11-01T07:00:00Z", ny));
  }

  void testOverlapFiresOnceAtFirstOccurrence() {
    TimeZone ny = TimeZone::load("America/New_York");
    // 01:30 on 2026-11-01 happens at 05:30Z (EDT) and 06:30Z (EST): fires at the first only
    CPPUNIT_ASSERT_EQUAL(std::string("2026-11-01T05:30:00Z"),
                         next("0 30 1 * * *", "2026-10-31T12:00:00Z", ny));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-11-02T06:30:00Z"),
                         next("0 30 1 * * *", "2026-11-01T05:30:00Z", ny));
    // asked during the repeated hour, before the second 01:30: it already fired
    CPPUNIT_ASSERT_EQUAL(std::string("2026-11-02T06:30:00Z"),
                         next("0 30 1 * * *", "2026-11-01T06:00:00Z", ny));
    // hourly: 01:00 EDT (05:00Z), then 02:00 EST (07:00Z); 01:00 EST is not repeated
    CPPUNIT_ASSERT_EQUAL(std::string("2026-11-01T05:00:00Z"),
                         next("0 0 * * * *", "2026-11-01T04:00:00Z", ny));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-11-01T07:00:00Z"),
                         next("0 0 * * * *", "2026-11-01T05:00:00Z", ny));
    // every 20 minutes, asked during the second pass of the hour: continues after it
    CPPUNIT_ASSERT_EQUAL(std::string("2026-11-01T07:00:00Z"),
                         next("0 */20 * * * *", "2026-11-01T06:10:00Z", ny));
  }

  void testSpringDaylightSavingCases() {
    // The cases of Spring's CronExpressionTests#daylightSaving, as UTC instants.
    TimeZone amsterdam = TimeZone::load("Europe/Amsterdam");
    // 2021-03-27T09:00+01:00 -> 2021-03-28T09:00+02:00
    CPPUNIT_ASSERT_EQUAL(std::string("2021-03-28T07:00:00Z"),
                         next("0 0 9 * * *", "2021-03-27T08:00:00Z", amsterdam));
    // 2021-10-30T09:00+02:00 -> 2021-10-31T09:00+01:00
    CPPUNIT_ASSERT_EQUAL(std::string("2021-10-31T08:00:00Z"),
                         next("0 0 9 * * *", "2021-10-30T07:00:00Z", amsterdam));
    // 2013-03-31T01:09+01:00 -> 2013-04-01T02:10+02:00: the time in the gap is skipped
    CPPUNIT_ASSERT_EQUAL(std::string("2013-04-01T00:10:00Z"),
                         next("0 10 2 * * *", "2013-03-31T00:09:00Z", amsterdam));
    // 2021-03-28T01:00+01:00 -> 2021-03-29T00:05+02:00
    CPPUNIT_ASSERT_EQUAL(std::string("2021-03-28T22:05:00Z"),
                         next("0 5 0 * * *", "2021-03-28T00:00:00Z", amsterdam));
  }

  void testNonHourOffsetZones() {
    // Asia/Kolkata, +05:30: 2026-06-01 02:00 IST = 2026-05-31T20:30Z
    TimeZone kolkata = TimeZone::load("Asia/Kolkata");
    CPPUNIT_ASSERT_EQUAL(std::string("2026-05-31T20:30:00Z"),
                         next("0 0 2 * * *", "2026-05-31T00:00:00Z", kolkata));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-05-31T18:30:00Z"),
                         next("0 0 0 1 * *", "2026-05-15T00:00:00Z", kolkata));

    // Lord Howe: 2026-10-04 02:00 +10:30 -> 02:30 +11 (30-minute gap)
    TimeZone lordHowe = TimeZone::load("Australia/Lord_Howe");
    // 02:15 does not exist on 2026-10-04: skipped, next is 2026-10-05 02:15 +11 = 15:15Z Oct 4
    CPPUNIT_ASSERT_EQUAL(std::string("2026-10-04T15:15:00Z"),
                         next("0 15 2 * * *", "2026-10-03T00:00:00Z", lordHowe));
    CPPUNIT_ASSERT_EQUAL(
        std::string("2026-10-03T15:30:00Z"),
        next("0 15 2 * * *", "2026-10-03T00:00:00Z", lordHowe, CronExpression::DstGap::FireAtEnd));
    // 02:30 exists: it is the first instant after the gap
    CPPUNIT_ASSERT_EQUAL(std::string("2026-10-03T15:30:00Z"),
                         next("0 30 2 * * *", "2026-10-03T00:00:00Z", lordHowe));
    // 2026-04-05 01:30-02:00 is repeated: 01:45 fires once, at +11 (14:45Z)
    CPPUNIT_ASSERT_EQUAL(std::string("2026-04-04T14:45:00Z"),
                         next("0 45 1 * * *", "2026-04-04T00:00:00Z", lordHowe));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-04-05T15:15:00Z"),
                         next("0 45 1 * * *", "2026-04-04T14:45:00Z", lordHowe));
  }

  void testFarFutureUsesFooterRule() {
    // 2040-03-11: New York springs forward (from the TZif footer rule, past 2037)
    TimeZone ny = TimeZone::load("America/New_York");
    CPPUNIT_ASSERT_EQUAL(std::string("2040-03-12T06:00:00Z"),
                         next("0 0 2 * * *", "2040-03-10T07:00:00Z", ny));
    CPPUNIT_ASSERT_EQUAL(std::string("2040-11-04T07:00:00Z"),
                         next("0 0 2 * * *", "2040-11-03T06:00:00Z", ny));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CronExpressionTest);
