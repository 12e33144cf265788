#include "discovery/ProbePacket.h"

namespace promsnmp {

namespace {

constexpr uint8_t kInteger = 0x02;
constexpr uint8_t kOctetString = 0x04;
constexpr uint8_t kNull = 0x05;
constexpr uint8_t kObjectId = 0x06;
constexpr uint8_t kSequence = 0x30;
constexpr uint8_t kGetRequest = 0xA0;
constexpr uint8_t kGetResponse = 0xA2;

void appendLength(std::string& out, size_t length) {
  if (length < 0x80) {
    out.push_back(static_cast<char>(length));
  } else if (length <= 0xFF) {
    out.push_back(static_cast<char>(0x81));
    out.push_back(static_cast<char>(length));
  } else {
    out.push_back(static_cast<char>(0x82));
    out.push_back(static_cast<char>((length >> 8) & 0xFF));
    out.push_back(static_cast<char>(length & 0xFF));
  }
}

std::string tlv(uint8_t tag, std::string_view value) {
  std::string out;
  out.push_back(static_cast<char>(tag));
  appendLength(out, value.size());
  out.append(value);
  return out;
}

std::string integer(int64_t value) {
  // Big-endian two's complement, then drop leading octets that only repeat the sign.
  std::string bytes;
  for (int shift = 56; shift >= 0; shift -= 8) {
    bytes.push_back(static_cast<char>((static_cast<uint64_t>(value) >> shift) & 0xFF));
  }
  size_t skip = 0;
  while (skip + 1 < bytes.size()) {
    auto first = static_cast<uint8_t>(bytes[skip]);
    auto second = static_cast<uint8_t>(bytes[skip + 1]);
    if ((first == 0x00 && (second & 0x80) == 0) || (first == 0xFF && (second & 0x80) != 0)) {
      ++skip;
    } else {
      break;
    }
  }
  return tlv(kInteger, std::string_view(bytes).substr(skip));
}

/// A reader over one BER element sequence; every read checks the bounds.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  /// Reads one TLV with `tag`; its value in `value`. False on a mismatch or a bad length.
  bool read(uint8_t tag, std::string_view& value) {
    if (pos_ + 2 > data_.size() || static_cast<uint8_t>(data_[pos_]) != tag) {
      return false;
    }
    ++pos_;
    size_t length = static_cast<uint8_t>(data_[pos_++]);
    if (length & 0x80) {
      size_t octets = length & 0x7F;
      if (octets == 0 || octets > 3 || pos_ + octets > data_.size()) {
        return false;
      }
      length = 0;
      for (size_t i = 0; i < octets; ++i) {
        length = (length << 8) | static_cast<uint8_t>(data_[pos_++]);
      }
    }
    if (length > data_.size() - pos_) {
      return false;
    }
    value = data_.substr(pos_, length);
    pos_ += length;
    return true;
  }

  bool readInteger(int64_t& out) {
    std::string_view value;
    if (!read(kInteger, value) || value.empty() || value.size() > 8) {
      return false;
    }
    const auto first = static_cast<unsigned char>(value[0]);
    out = first >= 0x80 ? static_cast<int64_t>(first) - 0x100 : first;  // sign of the 1st octet
    for (size_t i = 1; i < value.size(); ++i) {
      out = static_cast<int64_t>(static_cast<uint64_t>(out) << 8) | static_cast<uint8_t>(value[i]);
    }
    return true;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace

std::string encodeProbe(int version, std::string_view community, int32_t requestId) {
  static const std::string kSysObjectId =
      tlv(kObjectId, std::string("\x2B\x06\x01\x02\x01\x01\x02\x00", 8));
  std::string varbind = tlv(kSequence, kSysObjectId + tlv(kNull, ""));
  std::string pdu = integer(requestId) + integer(0) + integer(0) + tlv(kSequence, varbind);
  return tlv(kSequence, integer(version) + tlv(kOctetString, community) + tlv(kGetRequest, pdu));
}

std::optional<ProbeAnswer> decodeProbeAnswer(std::string_view datagram) {
  Reader outer(datagram);
  std::string_view message;
  if (!outer.read(kSequence, message)) {
    return std::nullopt;
  }
  Reader fields(message);
  ProbeAnswer answer;
  int64_t version = 0;
  std::string_view community;
  std::string_view pdu;
  if (!fields.readInteger(version) || (version != 0 && version != 1) ||
      !fields.read(kOctetString, community) || !fields.read(kGetResponse, pdu)) {
    return std::nullopt;
  }
  Reader header(pdu);
  int64_t requestId = 0;
  int64_t errorStatus = 0;
  int64_t errorIndex = 0;
  if (!header.readInteger(requestId) || !header.readInteger(errorStatus) ||
      !header.readInteger(errorIndex) || requestId < INT32_MIN || requestId > INT32_MAX) {
    return std::nullopt;
  }
  answer.version = static_cast<int>(version);
  answer.community = std::string(community);
  answer.requestId = static_cast<int32_t>(requestId);
  answer.errorStatus = static_cast<int>(errorStatus);
  return answer;
}

}  // namespace promsnmp
