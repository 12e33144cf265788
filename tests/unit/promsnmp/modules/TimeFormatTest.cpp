// ParseDateAndTime's datetime_pattern, as snmp_exporter parses it with
// github.com/itchyny/timefmt-go Parse (collector.go parseDateAndTimeWithPattern). Expected Unix
// times computed from the civil times (UTC unless the text carries an offset).
#include "modules/TimeFormat.h"

#include <string>

#include <cppunit/extensions/HelperMacros.h>

using promsnmp::civilToUnix;
using promsnmp::parseTimeFormat;

namespace {

int64_t parsed(const char* source, const char* pattern) {
  auto r = parseTimeFormat(source, pattern);
  CPPUNIT_ASSERT_MESSAGE(std::string(source) + " with " + pattern, r.has_value());
  return *r;
}

bool refused(const char* source, const char* pattern) {
  return !parseTimeFormat(source, pattern).has_value();
}

}  // namespace

class TimeFormatTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(TimeFormatTest);
  CPPUNIT_TEST(testCivilToUnixRollsOver);
  CPPUNIT_TEST(testUpstreamPatterns);
  CPPUNIT_TEST(testNumbersAndNames);
  CPPUNIT_TEST(testCompositesAndSpaces);
  CPPUNIT_TEST(testOffsets);
  CPPUNIT_TEST(testZoneNames);
  CPPUNIT_TEST(testDayOfYearAndWeeks);
  CPPUNIT_TEST(testMismatchesAreRefused);
  CPPUNIT_TEST_SUITE_END();

 public:
  // time.Date normalises out-of-range fields.
  void testCivilToUnixRollsOver() {
    CPPUNIT_ASSERT_EQUAL(int64_t(0), civilToUnix(1970, 1, 1, 0, 0, 0));
    CPPUNIT_ASSERT_EQUAL(int64_t(946684799), civilToUnix(1999, 12, 31, 23, 59, 59));
    CPPUNIT_ASSERT_EQUAL(int64_t(946684800), civilToUnix(1999, 12, 31, 23, 59, 60));
    CPPUNIT_ASSERT_EQUAL(civilToUnix(1999, 12, 1, 0, 0, 0), civilToUnix(2000, 0, 1, 0, 0, 0));
    CPPUNIT_ASSERT_EQUAL(civilToUnix(2024, 2, 29, 0, 0, 0), civilToUnix(2024, 3, 0, 0, 0, 0));
    CPPUNIT_ASSERT_EQUAL(int64_t(-62167219200), civilToUnix(0, 1, 1, 0, 0, 0));  // year 0 (leap)
    CPPUNIT_ASSERT_EQUAL(int64_t(-7200), civilToUnix(1970, 1, 1, 0, 0, 0, 7200));
  }

  // The patterns of upstream's generator.yml and its test ("Apr 01 2025" → 1743465600).
  void testUpstreamPatterns() {
    CPPUNIT_ASSERT_EQUAL(int64_t(1743465600), parsed("Apr 01 2025", "%b %d %Y"));
    CPPUNIT_ASSERT_EQUAL(int64_t(1741093509),
                         parsed("Tue Mar 04 13:05:09 2025", "%a %b %d %H:%M:%S %Y"));
    CPPUNIT_ASSERT(refused("ABC", "%b %d %Y"));
  }

  void testNumbersAndNames() {
    CPPUNIT_ASSERT_EQUAL(int64_t(1743465600), parsed("apr 1 2025", "%b %d %Y"));     // 1 digit
    CPPUNIT_ASSERT_EQUAL(int64_t(1743465600), parsed("APRIL 01 2025", "%B %d %Y"));  // any case
    CPPUNIT_ASSERT_EQUAL(int64_t(1578182400), parsed("Jan  5 2020", "%b %e %Y"));
    CPPUNIT_ASSERT_EQUAL(int64_t(3092601600), parsed("68", "%y"));  // 00–68 → 20xx
    CPPUNIT_ASSERT_EQUAL(int64_t(-31536000), parsed("69", "%y"));   // 69–99 → 19xx
    CPPUNIT_ASSERT_EQUAL(parsed("2024", "%Y"), parsed("2024", "%C%y"));
    // Missing fields: 1900-01-01 00:00:00.
    CPPUNIT_ASSERT_EQUAL(civilToUnix(1900, 1, 1, 0, 0, 0), parsed("", ""));
    CPPUNIT_ASSERT_EQUAL(civilToUnix(1900, 1, 1, 7, 0, 0), parsed("07", "%H"));
    // %I and %p: 12 AM is 00, 12 PM is 12; %H with PM adds 12 and rolls into the next day.
    CPPUNIT_ASSERT_EQUAL(civilToUnix(2024, 5, 1, 0, 30, 0),
                         parsed("2024-05-01 12:30 am", "%Y-%m-%d %I:%M %p"));
    CPPUNIT_ASSERT_EQUAL(civilToUnix(2024, 5, 1, 13, 0, 0),
                         parsed("2024-05-01 01 PM", "%Y-%m-%d %I %p"));
    CPPUNIT_ASSERT_EQUAL(civilToUnix(2024, 5, 2, 1, 0, 0),
                         parsed("2024-05-01 13 PM", "%Y-%m-%d %H %p"));
    // A leap second rolls over: 2024-02-29T23:59:60 is 2024-03-01T00:00:00.
    CPPUNIT_ASSERT_EQUAL(civilToUnix(2024, 3, 1, 0, 0, 0),
                         parsed("2024-02-29 23:59:60", "%Y-%m-%d %H:%M:%S"));
    // Fractions never change the seconds.
    CPPUNIT_ASSERT_EQUAL(int64_t(1622534950), parsed("2021-06-01 08:09:10.25", "%F %T.%f"));
    CPPUNIT_ASSERT_EQUAL(int64_t(1700000000), parsed("1700000000", "%s"));
    CPPUNIT_ASSERT_EQUAL(int64_t(-3600), parsed("0 +0100", "%s %z"));  // %s is read as UTC
    CPPUNIT_ASSERT_EQUAL(civilToUnix(-44, 3, 15, 0, 0, 0), parsed("-0044-03-15", "%F"));
  }

  void testCompositesAndSpaces() {
    CPPUNIT_ASSERT_EQUAL(int64_t(1622534950), parsed("2021-06-01 08:09:10", "%F %T"));
    CPPUNIT_ASSERT_EQUAL(int64_t(1622534950), parsed("06/01/21 08:09:10", "%D %X"));
    CPPUNIT_ASSERT_EQUAL(int64_t(1622534950), parsed("Tue Jun  1 08:09:10 2021", "%c"));
    CPPUNIT_ASSERT_EQUAL(int64_t(1622534940), parsed("1-Jun-2021 08:09", "%v %R"));
    CPPUNIT_ASSERT_EQUAL(int64_t(1622534950), parsed("2021-06-01 08:09:10 AM", "%F %r"));
    CPPUNIT_ASSERT_EQUAL(int64_t(1622534950), parsed("Tue Jun  1 08:09:10 UTC 2021", "%+"));
    CPPUNIT_ASSERT_EQUAL(civilToUnix(2021, 6, 1, 0, 0, 0), parsed("2021 \t 06%01", "%Y%n%m%%%d"));
    CPPUNIT_ASSERT(refused("202106", "%Y%t%m"));  // %t needs white space
  }

  void testOffsets() {
    CPPUNIT_ASSERT_EQUAL(civilToUnix(2023, 12, 25, 10, 30, 0) - int64_t{3 * 3600 + 30 * 60},
                         parsed("2023-12-25 10:30 +0330", "%Y-%m-%d %H:%M %z"));
    CPPUNIT_ASSERT_EQUAL(civilToUnix(2023, 12, 25, 10, 30, 0) + int64_t{5} * 3600,
                         parsed("2023-12-25 10:30 -05", "%Y-%m-%d %H:%M %z"));
    CPPUNIT_ASSERT_EQUAL(civilToUnix(2023, 12, 25, 10, 30, 0) - 3600,
                         parsed("2023-12-25 10:30 +01:00", "%Y-%m-%d %H:%M %z"));
    CPPUNIT_ASSERT_EQUAL(civilToUnix(2023, 12, 25, 10, 30, 0),
                         parsed("2023-12-25T10:30Z", "%Y-%m-%dT%H:%M%z"));
    CPPUNIT_ASSERT_EQUAL(civilToUnix(2023, 12, 25, 10, 30, 0) + 5400,
                         parsed("2023-12-25 10:30 -01:30", "%Y-%m-%d %H:%M %:z"));
    CPPUNIT_ASSERT_EQUAL(civilToUnix(2023, 12, 25, 10, 30, 0) - 3661,
                         parsed("2023-12-25 10:30 +01:01:01", "%Y-%m-%d %H:%M %::z"));
    CPPUNIT_ASSERT_EQUAL(civilToUnix(2023, 12, 25, 10, 30, 0) - 3600,
                         parsed("2023-12-25 10:30 +01", "%Y-%m-%d %H:%M %:::z"));
    CPPUNIT_ASSERT(refused("2023-12-25 10:30 +0100", "%Y-%m-%d %H:%M %:z"));  // needs the colon
    CPPUNIT_ASSERT(refused("10:30 +01", "%H:%M %::z"));
    CPPUNIT_ASSERT(refused("10:30 +2500", "%H:%M %z"));
    CPPUNIT_ASSERT(refused("10:30 0100", "%H:%M %z"));
    CPPUNIT_ASSERT(refused("10:30 +01:", "%H:%M %z"));  // a colon needs minutes after it
  }

  // %Z: time.Parse's zone abbreviations. UTC is UTC; a name the local zone does not use (no zone
  // uses "XYZ" or "QQQT") is kept with offset 0; Go refuses names of the wrong shape.
  void testZoneNames() {
    const int64_t base = civilToUnix(2021, 6, 1, 8, 9, 10);
    CPPUNIT_ASSERT_EQUAL(base, parsed("2021-06-01 08:09:10 UTC", "%F %T %Z"));
    CPPUNIT_ASSERT_EQUAL(base, parsed("2021-06-01 08:09:10 XYZ", "%F %T %Z"));
    CPPUNIT_ASSERT_EQUAL(base, parsed("2021-06-01 08:09:10 QQQT", "%F %T %Z"));
    // After an offset, a name keeps the offset.
    CPPUNIT_ASSERT_EQUAL(base - 7200, parsed("2021-06-01 08:09:10 +0200 XYZ", "%F %T %z %Z"));
    CPPUNIT_ASSERT(refused("2021-06-01 08:09:10 AB", "%F %T %Z"));
    CPPUNIT_ASSERT(refused("2021-06-01 08:09:10 ABCD", "%F %T %Z"));    // 4 letters need a T
    CPPUNIT_ASSERT(refused("2021-06-01 08:09:10 ABCDEF", "%F %T %Z"));  // too long
    CPPUNIT_ASSERT(refused("2021-06-01 08:09:10 UTCDT", "%F %T %Z"));   // "UTC" and more
    CPPUNIT_ASSERT(refused("2021-06-01 08:09:10 GMTT", "%F %T %Z"));
  }

  void testDayOfYearAndWeeks() {
    CPPUNIT_ASSERT_EQUAL(int64_t(1709164800), parsed("2024 060", "%Y %j"));  // 29 February
    // Week 10 of 2024 counted from Sundays (the first Sunday is 7 January), a Wednesday.
    CPPUNIT_ASSERT_EQUAL(int64_t(1710288000), parsed("2024 10 Wed", "%Y %U %a"));
    // Counted from Mondays (the first Monday is 1 January): week 10's Wednesday is 6 March.
    CPPUNIT_ASSERT_EQUAL(civilToUnix(2024, 3, 6, 0, 0, 0), parsed("2024 10 3", "%Y %W %u"));
    // ISO weeks need the ISO year, and %j needs the ordinary one.
    CPPUNIT_ASSERT(refused("2024 10 3", "%Y %V %u"));
    CPPUNIT_ASSERT(refused("2024 060", "%G %j"));
  }

  void testMismatchesAreRefused() {
    CPPUNIT_ASSERT(refused("Apr 1x 2025", "%b %d %Y"));
    CPPUNIT_ASSERT(refused("Apr 01 2025 ", "%b %d %Y"));  // unparsed text
    CPPUNIT_ASSERT(refused("Apr 01", "%b %d %Y"));
    CPPUNIT_ASSERT(refused("2025-13-01", "%Y-%m-%d"));
    CPPUNIT_ASSERT(refused("2025-12-32", "%Y-%m-%d"));
    CPPUNIT_ASSERT(refused("24:00", "%H:%M"));
    CPPUNIT_ASSERT(refused("2025", "%Q"));   // unknown directive
    CPPUNIT_ASSERT(refused("2025", "%Y%"));  // stray %
    CPPUNIT_ASSERT(refused("x", "%:y"));
    CPPUNIT_ASSERT(refused("-20", "%C"));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(TimeFormatTest);
