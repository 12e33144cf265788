// The text helpers: UTF-8 validation (overlongs, surrogates, truncated sequences, code points
// above U+10FFFF), replacing and escaping invalid UTF-8, and the quoting rules logs and
// messages share.
#include "common/Text.h"

#include <string>

#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace common;

namespace {

const std::string r = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace

class TextTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(TextTest);
  CPPUNIT_TEST(testUtf8Sequence);
  CPPUNIT_TEST(testValidUtf8);
  CPPUNIT_TEST(testInvalidUtf8Replaced);
  CPPUNIT_TEST(testInvalidUtf8Escaped);
  CPPUNIT_TEST(testAppendEscaped);
  CPPUNIT_TEST(testQuoted);
  CPPUNIT_TEST(testHtmlEscape);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testUtf8Sequence() {
    bool valid = false;
    CPPUNIT_ASSERT_EQUAL(size_t{1}, utf8Sequence("a", 0, valid));
    CPPUNIT_ASSERT(valid);
    CPPUNIT_ASSERT_EQUAL(size_t{2}, utf8Sequence("\xC3\xBC", 0, valid));
    CPPUNIT_ASSERT(valid);
    CPPUNIT_ASSERT_EQUAL(size_t{4}, utf8Sequence("x\xF0\x9F\x98\x80", 1, valid));
    CPPUNIT_ASSERT(valid);
    // The maximal ill-formed subpart: the lead and the continuation bytes that still fit it.
    CPPUNIT_ASSERT_EQUAL(size_t{2}, utf8Sequence("\xE2\x82x", 0, valid));
    CPPUNIT_ASSERT(!valid);
    CPPUNIT_ASSERT_EQUAL(size_t{2}, utf8Sequence("\xE2\x82", 0, valid));  // cut at the end
    CPPUNIT_ASSERT(!valid);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, utf8Sequence("\xED\xA0\x80", 0, valid));  // surrogate
    CPPUNIT_ASSERT(!valid);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, utf8Sequence("\xC0\xAF", 0, valid));  // overlong
    CPPUNIT_ASSERT(!valid);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, utf8Sequence("\x80", 0, valid));  // stray continuation
    CPPUNIT_ASSERT(!valid);
  }

  void testValidUtf8() {
    CPPUNIT_ASSERT(isValidUtf8(""));
    CPPUNIT_ASSERT(isValidUtf8("Z\xC3\xBCrich \xF0\x9F\x98\x80 \xEF\xBF\xBF"));
    CPPUNIT_ASSERT(isValidUtf8(std::string("a\0b", 3)));
    CPPUNIT_ASSERT(isValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
    CPPUNIT_ASSERT(!isValidUtf8("caf\xE9"));
    CPPUNIT_ASSERT(!isValidUtf8("\xF4\x90\x80\x80"));  // > U+10FFFF
    CPPUNIT_ASSERT(!isValidUtf8("\xED\xA0\x80"));      // surrogate
    CPPUNIT_ASSERT(!isValidUtf8("\xE0\x80\xAF"));      // overlong
    CPPUNIT_ASSERT(!isValidUtf8("ok\xC3"));            // truncated
  }

  // Moved from ExpositionTest with sanitizeUtf8.
  void testInvalidUtf8Replaced() {
    CPPUNIT_ASSERT_EQUAL(std::string("Z\xC3\xBCrich \xF0\x9F\x98\x80"),
                         sanitizeUtf8("Z\xC3\xBCrich \xF0\x9F\x98\x80"));
    CPPUNIT_ASSERT_EQUAL("caf" + r, sanitizeUtf8("caf\xE9"));               // Latin-1
    CPPUNIT_ASSERT_EQUAL(r + "x", sanitizeUtf8("\xE2\x82x"));               // truncated: one U+FFFD
    CPPUNIT_ASSERT_EQUAL(r + r, sanitizeUtf8("\xC0\xAF"));                  // overlong
    CPPUNIT_ASSERT_EQUAL(r + r + r, sanitizeUtf8("\xED\xA0\x80"));          // surrogate
    CPPUNIT_ASSERT_EQUAL(r + r + r + r, sanitizeUtf8("\xF4\x90\x80\x80"));  // > U+10FFFF
    CPPUNIT_ASSERT_EQUAL(r, sanitizeUtf8("\xFF"));
    CPPUNIT_ASSERT_EQUAL(std::string("a\0b", 3), sanitizeUtf8(std::string("a\0b", 3)));
  }

  // Moved from ExpositionTest with escapeInvalidUtf8.
  void testInvalidUtf8Escaped() {
    // Messages quoting a client's bytes: valid UTF-8 kept, each invalid byte shown as \xHH text.
    CPPUNIT_ASSERT_EQUAL(std::string("unexpected byte '\\xFF'"),
                         escapeInvalidUtf8("unexpected byte '\xFF'"));
    CPPUNIT_ASSERT_EQUAL(std::string("Z\xC3\xBCrich caf\\xE9"),
                         escapeInvalidUtf8("Z\xC3\xBCrich caf\xE9"));
    CPPUNIT_ASSERT_EQUAL(std::string("\\xE2\\x82x"), escapeInvalidUtf8("\xE2\x82x"));  // truncated
    CPPUNIT_ASSERT_EQUAL(std::string("\\xED\\xA0\\x80"), escapeInvalidUtf8("\xED\xA0\x80"));
    CPPUNIT_ASSERT_EQUAL(std::string("plain"), escapeInvalidUtf8("plain"));
  }

  void testAppendEscaped() {
    std::string logfmt;
    appendEscaped(logfmt, "q\"b\\n\nr\rt\tc\x01 del\x7f \xC3\xA9", false);
    CPPUNIT_ASSERT_EQUAL(std::string("q\\\"b\\\\n\\nr\\rt\\tc\\u0001 del\\u007f \xC3\xA9"), logfmt);
    std::string json;
    appendEscaped(json, "c\x1f del\x7f", true);
    CPPUNIT_ASSERT_EQUAL(std::string("c\\u001f del\x7f"), json);  // DEL needs no escape in JSON
    // Logs replace each byte of invalid UTF-8, so a reader can count what was dropped.
    std::string bad;
    appendEscaped(bad,
                  "a\xE2\x82"
                  "b\xFF",
                  false);
    CPPUNIT_ASSERT_EQUAL("a" + r + r + "b" + r, bad);
  }

  void testQuoted() {
    CPPUNIT_ASSERT_EQUAL(std::string("\"\""), quoted(""));
    CPPUNIT_ASSERT_EQUAL(std::string("\"say \\\"hi\\\"\\n\""), quoted("say \"hi\"\n"));
  }

  void testHtmlEscape() {
    CPPUNIT_ASSERT_EQUAL(std::string("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"),
                         htmlEscape("<script>alert('x')</script>"));
    CPPUNIT_ASSERT_EQUAL(std::string("a &amp;amp; &quot;b&quot;"), htmlEscape("a &amp; \"b\""));
    const std::string controls = std::string("tab\tline\n\x01") + "end\x7f";
    CPPUNIT_ASSERT_EQUAL(std::string("tab\tline\n") + r + "end" + r, htmlEscape(controls));
    CPPUNIT_ASSERT_EQUAL("caf" + r + " \xC3\xA9", htmlEscape("caf\xE9 \xC3\xA9"));
    CPPUNIT_ASSERT_EQUAL(std::string(""), htmlEscape(""));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(TextTest);
