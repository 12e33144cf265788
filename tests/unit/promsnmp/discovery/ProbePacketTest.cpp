#include "discovery/ProbePacket.h"

#include <cppunit/extensions/HelperMacros.h>

using namespace promsnmp;

namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) {
    out.push_back(static_cast<char>(v));
  }
  return out;
}

/// A GetResponse as an agent sends it: version, community, request id, error-status, and one
/// varbind (sysObjectID.0 = 1.3.6.1.4.1.9).
std::string response(int version, const std::string& community, std::string requestId,
                     int errorStatus, uint8_t pduTag = 0xA2) {
  std::string varbind =
      bytes({0x30, 0x10, 0x06, 0x08, 0x2B, 6, 1, 2, 1, 1, 2, 0, 0x06, 0x04, 0x2B, 6, 1, 4});
  std::string varbinds = bytes({0x30, static_cast<int>(varbind.size())}) + varbind;
  std::string pdu = requestId + bytes({0x02, 0x01, errorStatus, 0x02, 0x01, 0x00}) + varbinds;
  std::string body = bytes({0x02, 0x01, version, 0x04, static_cast<int>(community.size())}) +
                     community + bytes({pduTag, static_cast<int>(pdu.size())}) + pdu;
  return bytes({0x30, static_cast<int>(body.size())}) + body;
}

}  // namespace

class ProbePacketTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ProbePacketTest);
  CPPUNIT_TEST(testEncodesTheRfc3416GetRequest);
  CPPUNIT_TEST(testEncodesRequestIdsMinimally);
  CPPUNIT_TEST(testDecodesAResponse);
  CPPUNIT_TEST(testRefusesOtherPdusAndVersions);
  CPPUNIT_TEST(testNeverReadsPastTheDatagram);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testEncodesTheRfc3416GetRequest() {
    // GetRequest v2c "public", request-id 1, sysObjectID.0 = NULL, byte for byte (X.690 BER).
    std::string expected =
        bytes({0x30, 0x26, 0x02, 0x01, 0x01, 0x04, 0x06, 'p',  'u',  'b',  'l',  'i',  'c',  0xA0,
               0x19, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x0E, 0x30, 0x0C,
               0x06, 0x08, 0x2B, 0x06, 0x01, 0x02, 0x01, 0x01, 0x02, 0x00, 0x05, 0x00});
    CPPUNIT_ASSERT(encodeProbe(1, "public", 1) == expected);
    CPPUNIT_ASSERT_EQUAL(0, static_cast<int>(encodeProbe(0, "public", 1)[4]));  // v1
  }

  void testEncodesRequestIdsMinimally() {
    auto idField = [](int32_t id) {
      std::string packet = encodeProbe(1, "", id);
      return packet.substr(9,
                           static_cast<size_t>(packet[10]) + 2);  // after 30 L 02 01 01 04 00 A0 L
    };
    CPPUNIT_ASSERT(idField(0) == bytes({0x02, 0x01, 0x00}));
    CPPUNIT_ASSERT(idField(127) == bytes({0x02, 0x01, 0x7F}));
    CPPUNIT_ASSERT(idField(128) == bytes({0x02, 0x02, 0x00, 0x80}));
    CPPUNIT_ASSERT(idField(0x7FFFFFFF) == bytes({0x02, 0x04, 0x7F, 0xFF, 0xFF, 0xFF}));
    for (int32_t id : {0, 1, 127, 128, 255, 256, 65535, 65536, 0x7FFFFFFF}) {
      // What we send decodes to the same id when echoed in a response.
      std::string packet = encodeProbe(1, "c", id);
      packet[packet.find(static_cast<char>(0xA0))] = static_cast<char>(0xA2);
      auto answer = decodeProbeAnswer(packet);
      CPPUNIT_ASSERT(answer);
      CPPUNIT_ASSERT_EQUAL(id, answer->requestId);
    }
  }

  void testDecodesAResponse() {
    auto answer = decodeProbeAnswer(response(1, "public", bytes({0x02, 0x02, 0x01, 0x00}), 0));
    CPPUNIT_ASSERT(answer);
    CPPUNIT_ASSERT_EQUAL(1, answer->version);
    CPPUNIT_ASSERT_EQUAL(std::string("public"), answer->community);
    CPPUNIT_ASSERT_EQUAL(256, answer->requestId);
    CPPUNIT_ASSERT_EQUAL(0, answer->errorStatus);
    auto v1 = decodeProbeAnswer(response(0, "x", bytes({0x02, 0x01, 0x05}), 2));
    CPPUNIT_ASSERT(v1);
    CPPUNIT_ASSERT_EQUAL(2, v1->errorStatus);  // noSuchName: still an agent that answered
  }

  void testRefusesOtherPdusAndVersions() {
    CPPUNIT_ASSERT(!decodeProbeAnswer(response(1, "c", bytes({0x02, 0x01, 0x01}), 0, 0xA0)));
    CPPUNIT_ASSERT(!decodeProbeAnswer(response(3, "c", bytes({0x02, 0x01, 0x01}), 0)));
    CPPUNIT_ASSERT(!decodeProbeAnswer(""));
    CPPUNIT_ASSERT(!decodeProbeAnswer(bytes({0x04, 0x00})));
  }

  void testNeverReadsPastTheDatagram() {
    std::string good = response(1, "public", bytes({0x02, 0x01, 0x07}), 0);
    CPPUNIT_ASSERT(decodeProbeAnswer(good));
    for (size_t n = 0; n + 1 < good.size(); ++n) {
      // Every truncation is refused (the outer length no longer fits), never read beyond.
      CPPUNIT_ASSERT(!decodeProbeAnswer(std::string_view(good.data(), n)));
    }
    std::string lying = good;
    lying[1] = 0x7F;  // an outer length past the end
    CPPUNIT_ASSERT(!decodeProbeAnswer(lying));
    std::string longForm = good;
    longForm[1] = static_cast<char>(0x84);  // 4 length octets: more than we accept
    CPPUNIT_ASSERT(!decodeProbeAnswer(longForm));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ProbePacketTest);
