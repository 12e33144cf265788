// RFC 2579 §3.1 octet-format DISPLAY-HINTs as snmp_exporter applies them
// (collector/display_hint.go applyDisplayHint; cases in the spirit of display_hint_test.go, with
// our own data and expected values worked out by hand from those rules).
#include "modules/DisplayHint.h"

#include <string>

#include <cppunit/extensions/HelperMacros.h>

using promsnmp::applyDisplayHint;

namespace {

std::string bytes(std::initializer_list<int> octets) {
  std::string s;
  for (const int o : octets) {
    s += static_cast<char>(o);
  }
  return s;
}

std::string hinted(const char* hint, const std::string& data) {
  auto r = applyDisplayHint(hint, data);
  CPPUNIT_ASSERT_MESSAGE(std::string("hint ") + hint + " failed", r.has_value());
  return *r;
}

}  // namespace

class DisplayHintTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DisplayHintTest);
  CPPUNIT_TEST(testFormats);
  CPPUNIT_TEST(testImplicitRepetitionAndSeparators);
  CPPUNIT_TEST(testRepeatCountAndTerminator);
  CPPUNIT_TEST(testZeroWidthSpecifications);
  CPPUNIT_TEST(testInvalidHintsFallBack);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testFormats() {
    CPPUNIT_ASSERT_EQUAL(std::string("10.1.2.3"), hinted("1d.1d.1d.1d", bytes({10, 1, 2, 3})));
    CPPUNIT_ASSERT_EQUAL(std::string("256"), hinted("4d", bytes({0, 0, 1, 0})));
    CPPUNIT_ASSERT_EQUAL(std::string("11"), hinted("1o", bytes({9})));
    CPPUNIT_ASSERT_EQUAL(std::string("0F"), hinted("1x", bytes({15})));  // upper case, 2 digits
    CPPUNIT_ASSERT_EQUAL(std::string("FE80:0001"), hinted("2x:2x", bytes({0xfe, 0x80, 0, 1})));
    CPPUNIT_ASSERT_EQUAL(std::string("router-1"), hinted("255a", "router-1"));
    CPPUNIT_ASSERT_EQUAL(std::string("h\xC3\xA9"), hinted("10t", "h\xC3\xA9"));
    // A chunk of up to 8 octets is one big-endian number; "10d" over 8 octets takes them all.
    CPPUNIT_ASSERT_EQUAL(std::string("1"), hinted("10d", bytes({0, 0, 0, 0, 0, 0, 0, 1})));
    // 'a' copies octets as they are; making them valid UTF-8 is the caller's job.
    CPPUNIT_ASSERT_EQUAL(std::string("A\xFF"), hinted("2a", bytes({'A', 0xff})));
    // 2-octet year, then 1-octet fields (a DateAndTime shown as text).
    CPPUNIT_ASSERT_EQUAL(std::string("2024-2-29,13:5:9.0"),
                         hinted("2d-1d-1d,1d:1d:1d.1d", bytes({0x07, 0xE8, 2, 29, 13, 5, 9, 0})));
  }

  void testImplicitRepetitionAndSeparators() {
    CPPUNIT_ASSERT_EQUAL(std::string("02:AB:CD"), hinted("1x:", bytes({0x02, 0xab, 0xcd})));
    CPPUNIT_ASSERT_EQUAL(std::string("7"), hinted("1d.", bytes({7})));  // no trailing '.'
    // The last specification repeats: "1-" once, then "1." for the rest.
    CPPUNIT_ASSERT_EQUAL(std::string("1-2.3.4.5"), hinted("1d-1d.", bytes({1, 2, 3, 4, 5})));
    // Data shorter than the hint: stop where the data ends.
    CPPUNIT_ASSERT_EQUAL(std::string("10.20"), hinted("1d.1d.1d.1d", bytes({10, 20})));
    // Longer: the last spec, "1d" without separator, repeats.
    CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.0/24"),
                         hinted("1d.1d.1d.1d/1d", bytes({10, 0, 0, 0, 24})));
    CPPUNIT_ASSERT_EQUAL(std::string("1.2.3.456"),
                         hinted("1d.1d.1d.1d", bytes({1, 2, 3, 4, 5, 6})));
  }

  void testRepeatCountAndTerminator() {
    CPPUNIT_ASSERT_EQUAL(std::string("AA:BB"), hinted("*1x:", bytes({2, 0xaa, 0xbb})));
    // After the group the hint is used up, so "*1x:" starts again and reads 0xCC as its count;
    // nothing is left to format. The separator after BB was written as data followed.
    CPPUNIT_ASSERT_EQUAL(std::string("AA:BB:"), hinted("*1x:", bytes({2, 0xaa, 0xbb, 0xcc})));
    // Terminator '/' after the group instead of the last separator; then "1d" repeats.
    CPPUNIT_ASSERT_EQUAL(std::string("10.20/3040"), hinted("*1d./1d", bytes({2, 10, 20, 30, 40})));
    CPPUNIT_ASSERT_EQUAL(std::string("10.20.30/40"), hinted("*1d./1d", bytes({3, 10, 20, 30, 40})));
  }

  void testZeroWidthSpecifications() {
    // "0a" consumes nothing but writes its separator: a bracketed octet.
    CPPUNIT_ASSERT_EQUAL(std::string("[A]B"), hinted("0a[1a]1a", bytes({0x41, 0x42})));
    CPPUNIT_ASSERT_EQUAL(std::string("10-.20"), hinted("1d-0a.1d", bytes({10, 20})));
    // An octet count too large for Go's int that stays positive: the rest of the data.
    CPPUNIT_ASSERT_EQUAL(std::string("1515"), hinted("1d9223372036854775807d", bytes({1, 2, 3})));
  }

  // ok=false: the caller falls back to its default formatting.
  void testInvalidHintsFallBack() {
    const std::string data = bytes({1, 2, 3});
    CPPUNIT_ASSERT(!applyDisplayHint("", data));
    CPPUNIT_ASSERT(!applyDisplayHint("1d", ""));
    CPPUNIT_ASSERT(!applyDisplayHint("1z", data));  // unknown format
    CPPUNIT_ASSERT(!applyDisplayHint("1", data));   // no format
    CPPUNIT_ASSERT(!applyDisplayHint("d", data));   // no octet count
    CPPUNIT_ASSERT(!applyDisplayHint("0d", data));  // repeating it would never end
    CPPUNIT_ASSERT(!applyDisplayHint("0a.", data));
    CPPUNIT_ASSERT(!applyDisplayHint("9d", bytes({1, 0, 0, 0, 0, 0, 0, 0, 0})));  // > 8 octets
    CPPUNIT_ASSERT(!applyDisplayHint("9o", bytes({1, 0, 0, 0, 0, 0, 0, 0, 0})));
    // An octet count that overflows Go's int to a negative number.
    CPPUNIT_ASSERT(!applyDisplayHint("2d9999999999999999999d", bytes({0, 1, 2, 3, 4})));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DisplayHintTest);
