// The Go conversions whose results show in snmp_exporter's output. Expected values follow the
// Go standard library's documented behaviour (strings.ToValidUTF8, strconv.ParseFloat,
// strconv.FormatFloat, regexp.Expand).
#include "modules/GoText.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <cppunit/extensions/HelperMacros.h>
#include <re2/re2.h>

#include "common/Text.h"

using promsnmp::appendGoExpand;
using promsnmp::appendGoFixedFloat;
using promsnmp::goValidUtf8;
using promsnmp::parseGoFloat;

namespace {

std::string fixed(double v, bool isFloat32) {
  std::string out;
  appendGoFixedFloat(out, v, isFloat32);
  return out;
}

std::string expand(const std::string& tmpl, const std::string& pattern, const std::string& text) {
  re2::RE2 re("^(?:" + pattern + ")$");
  const int n = 1 + re.NumberOfCapturingGroups();
  std::vector<re2::StringPiece> groups(static_cast<size_t>(n));
  CPPUNIT_ASSERT(re.Match(text, 0, text.size(), re2::RE2::UNANCHORED, groups.data(), n));
  std::vector<std::string_view> views;
  views.reserve(groups.size());
  for (const auto& g : groups) {
    views.emplace_back(g.data(), g.size());
  }
  std::string out;
  appendGoExpand(out, tmpl, re, views);
  return out;
}

const std::string kFffd = "\xEF\xBF\xBD";

}  // namespace

class GoTextTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(GoTextTest);
  CPPUNIT_TEST(testValidUtf8ReplacesEachRunOnce);
  CPPUNIT_TEST(testParseFloatAcceptsGoSyntaxOnly);
  CPPUNIT_TEST(testParseFloatRange);
  CPPUNIT_TEST(testFixedFloatIsShortestWithoutExponent);
  CPPUNIT_TEST(testExpandReferences);
  CPPUNIT_TEST_SUITE_END();

 public:
  // strings.ToValidUTF8: a run of invalid bytes becomes one U+FFFD (collector_test.go
  // TestPduValueAsString's "sane" + 0xFD 0xBE 0xD6 case gives "sane�").
  void testValidUtf8ReplacesEachRunOnce() {
    CPPUNIT_ASSERT_EQUAL("sane" + kFffd, goValidUtf8("sane\xFD\xBE\xD6"));
    CPPUNIT_ASSERT_EQUAL(kFffd + "A" + kFffd, goValidUtf8("\xFF\xFE"
                                                          "A\xFF"));
    // The project's sanitizer replaces each maximal subpart: two here, where Go writes one.
    CPPUNIT_ASSERT_EQUAL(kFffd + kFffd + "A", common::sanitizeUtf8("\xFF\xFE"
                                                                   "A"));
    CPPUNIT_ASSERT_EQUAL(std::string("caf\xC3\xA9 \xE2\x82\xAC"),
                         goValidUtf8("caf\xC3\xA9 \xE2\x82\xAC"));
    CPPUNIT_ASSERT_EQUAL("x" + kFffd, goValidUtf8("x\xE2\x82"));  // truncated sequence
    CPPUNIT_ASSERT_EQUAL(kFffd, goValidUtf8("\xED\xA0\x80"));     // a surrogate
  }

  // strconv.ParseFloat(s, 64): Go float literal syntax, whole string, no spaces.
  void testParseFloatAcceptsGoSyntaxOnly() {
    CPPUNIT_ASSERT_EQUAL(4.42, *parseGoFloat("4.42"));
    CPPUNIT_ASSERT_EQUAL(3.0, *parseGoFloat("+3"));
    CPPUNIT_ASSERT_EQUAL(-0.5, *parseGoFloat("-.5"));
    CPPUNIT_ASSERT_EQUAL(5.0, *parseGoFloat("5."));
    CPPUNIT_ASSERT_EQUAL(1200.0, *parseGoFloat("1.2e3"));
    CPPUNIT_ASSERT_EQUAL(1000.0, *parseGoFloat("1_000"));
    CPPUNIT_ASSERT_EQUAL(0.25, *parseGoFloat("0x1p-2"));
    CPPUNIT_ASSERT_EQUAL(3.0, *parseGoFloat("0x1.8p1"));
    CPPUNIT_ASSERT_EQUAL(1.0, *parseGoFloat("0x_1p0"));
    CPPUNIT_ASSERT(std::isinf(*parseGoFloat("+Inf")) && *parseGoFloat("+Inf") > 0);
    CPPUNIT_ASSERT(std::isinf(*parseGoFloat("-infinity")) && *parseGoFloat("-infinity") < 0);
    CPPUNIT_ASSERT(std::isnan(*parseGoFloat("NaN")));
    for (const char* bad : {"", " 1", "1 ", ".", "1e", "1e+", "1.2.3", "0x10", "0x", "_1", "1_",
                            "1__0", "+nan", "infin", "1,5", "abc", "--1", "0x1.8"}) {
      CPPUNIT_ASSERT_MESSAGE(bad, !parseGoFloat(bad).has_value());
    }
  }

  // Overflow is ErrRange (an error); underflow is a silent zero.
  void testParseFloatRange() {
    CPPUNIT_ASSERT(!parseGoFloat("1e400").has_value());
    CPPUNIT_ASSERT(!parseGoFloat("-1e309").has_value());
    CPPUNIT_ASSERT(!parseGoFloat("0x1p2000").has_value());
    CPPUNIT_ASSERT_EQUAL(0.0, *parseGoFloat("1e-400"));
    CPPUNIT_ASSERT(std::signbit(*parseGoFloat("-1e-400")));
    CPPUNIT_ASSERT_EQUAL(0.0, *parseGoFloat("0.0000000000000000000000000000000000000000000000000000"
                                            "0000000000000000000000000000000000000000000000000000"
                                            "0000000000000000000000000000000000000000000000000000"
                                            "0000000000000000000000000000000000000000000000000000"
                                            "0000000000000000000000000000000000000000000000000000"
                                            "0000000000000000000000000000000000000000000000000000"
                                            "0000000000000000000000000000001"));
    CPPUNIT_ASSERT_EQUAL(std::numeric_limits<double>::max(),
                         *parseGoFloat("1.7976931348623157e308"));
  }

  // strconv.FormatFloat(v, 'f', -1, 32|64): shortest digits for the float size, no exponent
  // (collector_test.go: float32 10.1 and float64 10.1 both give "10.1").
  void testFixedFloatIsShortestWithoutExponent() {
    CPPUNIT_ASSERT_EQUAL(std::string("10.1"), fixed(10.1F, true));
    CPPUNIT_ASSERT_EQUAL(std::string("10.1"), fixed(10.1, false));
    CPPUNIT_ASSERT_EQUAL(std::string("0.15"), fixed(0.15F, true));
    CPPUNIT_ASSERT_EQUAL(std::string("0.15000000596046448"), fixed(0.15F, false));
    CPPUNIT_ASSERT_EQUAL(std::string("123456790"), fixed(123456789.0F, true));
    CPPUNIT_ASSERT_EQUAL(std::string("1000000000000000000000"), fixed(1e21, false));
    CPPUNIT_ASSERT_EQUAL(std::string("0.00000015"), fixed(1.5e-7, false));
    CPPUNIT_ASSERT_EQUAL(std::string("-2.5"), fixed(-2.5, false));
    CPPUNIT_ASSERT_EQUAL(std::string("-0"), fixed(-0.0, false));
    CPPUNIT_ASSERT_EQUAL(std::string("0"), fixed(0.0, true));
    CPPUNIT_ASSERT_EQUAL(std::string("NaN"), fixed(std::nan(""), false));
    CPPUNIT_ASSERT_EQUAL(std::string("+Inf"), fixed(std::numeric_limits<double>::infinity(), true));
  }

  // regexp.Expand: $n, ${n}, $name, ${name}, $$; the longest name; malformed $ kept.
  void testExpandReferences() {
    const std::string pattern = R"(v(\d+)\.(\d+)(x)?)";
    CPPUNIT_ASSERT_EQUAL(std::string("12"), expand("$1", pattern, "v12.5"));
    CPPUNIT_ASSERT_EQUAL(std::string("12.5"), expand("$1.$2", pattern, "v12.5"));
    CPPUNIT_ASSERT_EQUAL(std::string("12x"), expand("${1}x", pattern, "v12.5"));
    CPPUNIT_ASSERT_EQUAL(std::string(""), expand("$1x", pattern, "v12.5"));  // the name "1x"
    CPPUNIT_ASSERT_EQUAL(std::string(""), expand("$3", pattern, "v12.5"));   // unmatched group
    CPPUNIT_ASSERT_EQUAL(std::string(""), expand("$9", pattern, "v12.5"));   // no such group
    CPPUNIT_ASSERT_EQUAL(std::string(""), expand("$01", pattern, "v12.5"));  // leading zero
    CPPUNIT_ASSERT_EQUAL(std::string("$5"), expand("$$5", pattern, "v12.5"));
    CPPUNIT_ASSERT_EQUAL(std::string("a$"), expand("a$", pattern, "v12.5"));
    CPPUNIT_ASSERT_EQUAL(std::string("${1"), expand("${1", pattern, "v12.5"));
    CPPUNIT_ASSERT_EQUAL(std::string("$-"), expand("$-", pattern, "v12.5"));
    CPPUNIT_ASSERT_EQUAL(std::string("41"), expand("${deg}", R"(T=(?P<deg>\d+)C)", "T=41C"));
    CPPUNIT_ASSERT_EQUAL(std::string("41"), expand("$deg", R"(T=(?P<deg>\d+)C)", "T=41C"));
    CPPUNIT_ASSERT_EQUAL(std::string("5"), expand("5", ".*", "anything"));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(GoTextTest);
