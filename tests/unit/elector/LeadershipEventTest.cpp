// Tests of the leadership socket line format: encode/decode round trips and every way a line
// can be malformed (each must be rejected with a reason, never thrown).
#include "elector/LeadershipEvent.h"

#include <cstdint>
#include <string>
#include <vector>

#include <Poco/Exception.h>
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace elector;

namespace {

std::string line(const std::string& role, const std::string& epoch, const std::string& holder,
                 const std::string& lease) {
  return "{\"role\":" + role + ",\"epoch\":" + epoch + ",\"holder\":" + holder +
         ",\"lease_ms\":" + lease + "}";
}

}  // namespace

class LeadershipEventTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(LeadershipEventTest);
  CPPUNIT_TEST(testEncodeIsOneLine);
  CPPUNIT_TEST(testRoundTrip);
  CPPUNIT_TEST(testEncodeEscapesHolder);
  CPPUNIT_TEST(testEncodeRejectsUndecodableEvents);
  CPPUNIT_TEST(testDecodeAcceptsWhitespaceAndKeyOrder);
  CPPUNIT_TEST(testDecodeUnescapes);
  CPPUNIT_TEST(testDecodeBounds);
  CPPUNIT_TEST(testDecodeRejectsMalformed);
  CPPUNIT_TEST(testDecodeRejectsWhatGeneralJsonParsersAccept);
  CPPUNIT_TEST(testDecodeWithoutErrorPointer);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testEncodeIsOneLine() {
    const LeadershipEvent event{LeadershipRole::Leader, 42, "node-a", 10000};
    CPPUNIT_ASSERT_EQUAL(
        std::string(
            "{\"role\":\"leader\",\"epoch\":42,\"holder\":\"node-a\",\"lease_ms\":10000}\n"),
        encode(event));
    const LeadershipEvent follower{LeadershipRole::Follower, 0, "", 1};
    CPPUNIT_ASSERT_EQUAL(
        std::string("{\"role\":\"follower\",\"epoch\":0,\"holder\":\"\",\"lease_ms\":1}\n"),
        encode(follower));
  }

  void testRoundTrip() {
    const std::vector<LeadershipEvent> events = {
        {LeadershipRole::Leader, 1, "node-a", 10000},
        {LeadershipRole::Follower, UINT64_MAX, "", kMaxLeaseMs},
        {LeadershipRole::Leader, 0, "h\"o\\l/d\ne\tr\x01\x7F \xC3\xA9 \xF0\x9F\x98\x80",
         kMinLeaseMs},
        {LeadershipRole::Follower, 7, std::string(kMaxHolderBytes, 'x'), 3333},
    };
    for (const LeadershipEvent& event : events) {
      const std::string encoded = encode(event);
      CPPUNIT_ASSERT_EQUAL(encoded.size() - 1, encoded.find('\n'));
      std::string error;
      const auto decoded = decode(encoded, &error);
      CPPUNIT_ASSERT_MESSAGE(error, decoded.has_value());
      CPPUNIT_ASSERT(event == *decoded);
    }
  }

  void testEncodeEscapesHolder() {
    const std::string encoded = encode({LeadershipRole::Leader, 1, "a\"b\\c\nd", 1000});
    CPPUNIT_ASSERT_MESSAGE(encoded,
                           encoded.find("\"holder\":\"a\\\"b\\\\c\\u000ad\"") != std::string::npos);
  }

  void testEncodeRejectsUndecodableEvents() {
    CPPUNIT_ASSERT_THROW(
        encode({LeadershipRole::Leader, 1, std::string(kMaxHolderBytes + 1, 'x'), 1000}),
        Poco::InvalidArgumentException);
    CPPUNIT_ASSERT_THROW(encode({LeadershipRole::Leader, 1, "\xC3", 1000}),
                         Poco::InvalidArgumentException);
    CPPUNIT_ASSERT_THROW(encode({LeadershipRole::Leader, 1, "a", 0}),
                         Poco::InvalidArgumentException);
    CPPUNIT_ASSERT_THROW(encode({LeadershipRole::Leader, 1, "a", kMaxLeaseMs + 1}),
                         Poco::InvalidArgumentException);
    // 256 control characters fit the holder limit but not, escaped, the line limit.
    CPPUNIT_ASSERT_THROW(
        encode({LeadershipRole::Leader, 1, std::string(kMaxHolderBytes, '\x01'), 1000}),
        Poco::InvalidArgumentException);
  }

  void testDecodeAcceptsWhitespaceAndKeyOrder() {
    const auto event = decode(
        "  {  \"lease_ms\" : 500 ,\t\"holder\":\"b\", \"epoch\" : 9 , \"role\" : \"follower\" }  "
        "\r\n");
    CPPUNIT_ASSERT(event.has_value());
    CPPUNIT_ASSERT(LeadershipEvent({LeadershipRole::Follower, 9, "b", 500}) == *event);
  }

  void testDecodeUnescapes() {
    std::string error;
    const auto event =
        decode(line("\"leader\"", "1",
                    "\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\ud83d\\ude00\"", "1000"),
               &error);
    CPPUNIT_ASSERT_MESSAGE(error, event.has_value());
    CPPUNIT_ASSERT_EQUAL(std::string("\" \\ / \b \f \n \r \t \xC3\xA9 \xF0\x9F\x98\x80"),
                         event->holder);
  }

  void testDecodeBounds() {
    CPPUNIT_ASSERT(decode(line("\"leader\"", "18446744073709551615", "\"a\"", "1")));
    CPPUNIT_ASSERT(decode(line("\"leader\"", "0", "\"a\"", "600000")));
    CPPUNIT_ASSERT(
        decode(line("\"leader\"", "1", "\"" + std::string(kMaxHolderBytes, 'h') + "\"", "1")));
    // The holder limit counts decoded bytes: 128 two-byte characters are exactly 256.
    std::string twoByte;
    for (int i = 0; i < 128; ++i) {
      twoByte += "\\u00e9";
    }
    CPPUNIT_ASSERT(decode(line("\"leader\"", "1", "\"" + twoByte + "\"", "1")));
    CPPUNIT_ASSERT(!decode(line("\"leader\"", "1", "\"" + twoByte + "x\"", "1")));
    // Exactly kMaxLineBytes (padding with spaces) is accepted; one more is not.
    std::string base = line("\"leader\"", "1", "\"a\"", "1");
    std::string padded = std::string(kMaxLineBytes - base.size(), ' ') + base;
    CPPUNIT_ASSERT(decode(padded + "\n"));
    std::string error;
    CPPUNIT_ASSERT(!decode(" " + padded, &error));
    CPPUNIT_ASSERT_MESSAGE(error, error.find("line longer") != std::string::npos);
  }

  void testDecodeRejectsMalformed() {
    const std::string ok = "\"a\"";
    const std::vector<std::string> bad = {
        "",
        "\n",
        "not json",
        "null",
        "[]",
        "{}",
        "{",
        "{\"role\":\"leader\"",
        // Missing keys.
        "{\"epoch\":1,\"holder\":\"a\",\"lease_ms\":1}",
        "{\"role\":\"leader\",\"holder\":\"a\",\"lease_ms\":1}",
        "{\"role\":\"leader\",\"epoch\":1,\"lease_ms\":1}",
        "{\"role\":\"leader\",\"epoch\":1,\"holder\":\"a\"}",
        // Unknown, duplicate, unquoted or misspelt keys.
        line("\"leader\"", "1", ok, "1").insert(1, "\"extra\":1,"),
        line("\"leader\"", "1", ok, "1").insert(1, "\"role\":\"leader\","),
        line("\"leader\"", "1", ok, "1").insert(1, "\"epoch\":2,"),
        line("\"leader\"", "1", ok, "1").insert(1, "\"holder\":\"b\","),
        line("\"leader\"", "1", ok, "1").insert(1, "\"lease_ms\":2,"),
        "{role:\"leader\",\"epoch\":1,\"holder\":\"a\",\"lease_ms\":1}",
        "{\"Role\":\"leader\",\"epoch\":1,\"holder\":\"a\",\"lease_ms\":1}",
        // role.
        line("\"Leader\"", "1", ok, "1"),
        line("\"candidate\"", "1", ok, "1"),
        line("\"\"", "1", ok, "1"),
        line("1", "1", ok, "1"),
        line("true", "1", ok, "1"),
        line("null", "1", ok, "1"),
        // epoch.
        line("\"leader\"", "-1", ok, "1"),
        line("\"leader\"", "+1", ok, "1"),
        line("\"leader\"", "1.0", ok, "1"),
        line("\"leader\"", "1e3", ok, "1"),
        line("\"leader\"", "01", ok, "1"),
        line("\"leader\"", "\"1\"", ok, "1"),
        line("\"leader\"", "18446744073709551616", ok, "1"),
        line("\"leader\"", "99999999999999999999999", ok, "1"),
        line("\"leader\"", "null", ok, "1"),
        line("\"leader\"", "", ok, "1"),
        // lease_ms.
        line("\"leader\"", "1", ok, "0"),
        line("\"leader\"", "1", ok, "600001"),
        line("\"leader\"", "1", ok, "-5"),
        line("\"leader\"", "1", ok, "1.5"),
        line("\"leader\"", "1", ok, "\"1000\""),
        // holder.
        line("\"leader\"", "1", "null", "1"),
        line("\"leader\"", "1", "1", "1"),
        line("\"leader\"", "1", "\"" + std::string(kMaxHolderBytes + 1, 'h') + "\"", "1"),
        line("\"leader\"", "1", "\"\xC3\"", "1"),              // truncated UTF-8
        line("\"leader\"", "1", "\"\xC0\xAF\"", "1"),          // overlong
        line("\"leader\"", "1", "\"\xED\xA0\x80\"", "1"),      // encoded surrogate
        line("\"leader\"", "1", "\"\xF4\x90\x80\x80\"", "1"),  // above U+10FFFF
        line("\"leader\"", "1", "\"\xFF\"", "1"),
        line("\"leader\"", "1", "\"a\tb\"", "1"),  // raw control character
        line("\"leader\"", "1", "\"\\x\"", "1"),
        line("\"leader\"", "1", "\"\\u12\"", "1"),
        line("\"leader\"", "1", "\"\\u12g4\"", "1"),
        line("\"leader\"", "1", "\"\\ud83d\"", "1"),  // lone high surrogate
        line("\"leader\"", "1", "\"\\ud83d\\u0041\"", "1"),
        line("\"leader\"", "1", "\"\\ude00\"", "1"),  // lone low surrogate
        line("\"leader\"", "1", "\"unterminated", "1"),
        // Structure.
        line("\"leader\"", "1", ok, "1") + "x",
        line("\"leader\"", "1", ok, "1") + "{}",
        line("\"leader\"", "1", ok, "1") + "\n" + line("\"leader\"", "1", ok, "1"),
        "{\"role\":\"leader\",,\"epoch\":1,\"holder\":\"a\",\"lease_ms\":1}",
        "{\"role\":\"leader\",\"epoch\":1,\"holder\":\"a\",\"lease_ms\":1,}",
        "{\"role\" \"leader\",\"epoch\":1,\"holder\":\"a\",\"lease_ms\":1}",
        "{\"role\":\"leader\" \"epoch\":1,\"holder\":\"a\",\"lease_ms\":1}",
        line("\"leader\"", "1", ok, "1") + std::string(1, '\0'),
        "{\"role\":\"leader\",\"epoch\":1,\"holder\":\"a\",\"lease_ms\":1}\n\n",
        std::string(kMaxLineBytes + 1, ' '),
    };
    for (const std::string& text : bad) {
      std::string error;
      CPPUNIT_ASSERT_MESSAGE("accepted: " + text, !decode(text, &error).has_value());
      CPPUNIT_ASSERT_MESSAGE("no reason for: " + text, !error.empty());
    }
  }

  void testDecodeRejectsWhatGeneralJsonParsersAccept() {
    // Lines a general JSON parser takes or could take (Poco::JSON 1.11 takes a signed zero,
    // epochs from 2^64 wrapped around, a key cut at an escaped NUL, newlines as white space and
    // anything after a 0xFF byte), comments, nesting, a byte-order mark, JavaScript numbers.
    const std::string ok = "\"a\"";
    const std::string event = line("\"leader\"", "1", ok, "1");
    const std::string deep = std::string(200, '[') + std::string(200, ']');
    const std::vector<std::string> bad = {
        line("\"leader\"", "-0", ok, "1"),
        line("\"leader\"", "18446744073709551617", ok, "1"),   // Poco 1.11 reads 1
        line("\"leader\"", "184467440737095516160", ok, "1"),  // Poco 1.11 reads 0
        line("\"leader\"", "1", ok, "-0"),
        line("\"leader\"", "0.0", ok, "1"),
        line("\"leader\"", "1E3", ok, "1"),
        line("\"leader\"", "1.", ok, "1"),
        line("\"leader\"", "NaN", ok, "1"),
        line("\"leader\"", "Infinity", ok, "1"),
        line("\"leader\"", "0x10", ok, "1"),
        line("\"leader\"", "1", ok, "1e3"),
        line("\"leader\"", "1", ok, "1000.0"),
        line("\"leader\"", "[1]", ok, "1"),
        line("\"leader\"", "{\"n\":1}", ok, "1"),
        line("\"leader\"", "1", "[" + ok + "]", "1"),
        line("\"leader\"", "1", deep, "1"),
        line("\"leader\"", "true", ok, "1"),
        line("'leader'", "1", ok, "1"),
        "/* c */" + event,
        event + "/* c */",
        event + "// c",
        "{/* c */" + event.substr(1),
        "{\"role\\u0000\":\"leader\",\"epoch\":1,\"holder\":\"a\",\"lease_ms\":1}",
        "{\"role\":\"leader\",\n\"epoch\":1,\"holder\":\"a\",\"lease_ms\":1}",
        "\n" + event,
        "\xEF\xBB\xBF" + event,
        "\f" + event,
        event + "\v",
        "[" + event + "]",
        event + "\xFF",  // pdjson (Poco 1.11) reads a 0xFF byte as the end of input
        event + "\xFF\xFF\n",
    };
    for (const std::string& text : bad) {
      std::string error;
      CPPUNIT_ASSERT_MESSAGE("accepted: " + text, !decode(text, &error).has_value());
      CPPUNIT_ASSERT_MESSAGE("no reason for: " + text, !error.empty());
    }
    // What JSON allows and the protocol keeps: escapes in keys, "\r" and tabs between tokens,
    // a NUL escaped inside the holder.
    CPPUNIT_ASSERT(
        decode("{\"r\\u006fle\":\"leader\",\"epoch\":1,\"holder\":\"a\",\"lease_ms\":1}"));
    CPPUNIT_ASSERT(
        decode("\t{\"role\" :\r\"leader\",\"epoch\":1,\"holder\":\"a\",\"lease_ms\":1}\r"));
    const auto nul = decode(line("\"leader\"", "1", "\"a\\u0000b\"", "1"));
    CPPUNIT_ASSERT(nul && nul->holder == std::string("a\0b", 3));
  }

  void testDecodeWithoutErrorPointer() {
    CPPUNIT_ASSERT(!decode("garbage").has_value());
    CPPUNIT_ASSERT(decode(line("\"leader\"", "1", "\"a\"", "1")).has_value());
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LeadershipEventTest);
