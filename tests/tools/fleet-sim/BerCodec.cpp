#include "BerCodec.h"

#include <cstring>

#include <Poco/Exception.h>

// net-snmp-config.h must come first: the other net-snmp headers depend on its macros.
// clang-format off
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/library/asn1.h>
#include <net-snmp/library/snmp.h>
#include <net-snmp/types.h>
// clang-format on

namespace fleetsim {
namespace {

constexpr u_char kSequence = ASN_SEQUENCE | ASN_CONSTRUCTOR;
// Upper bound of everything in a response but the varbinds and the community: message
// header (4), version (3), community header (3), PDU header (4), request-id (6), error-status
// (3), error-index (6), varbind list header (4).
constexpr size_t kHeaderOverhead = 33;

}  // namespace

bool parseRequest(const uint8_t* data, size_t length, Request& out) {
  // net-snmp's parsers take non-const pointers but do not write through them.
  u_char* p = const_cast<u_char*>(data);
  size_t left = length;
  u_char type = 0;
  p = asn_parse_sequence(p, &left, &type, kSequence, "message");
  if (p == nullptr) {
    return false;
  }
  long version = -1;
  p = asn_parse_int(p, &left, &type, &version, sizeof(version));
  if (p == nullptr || (version != SNMP_VERSION_1 && version != SNMP_VERSION_2c)) {
    return false;
  }
  out.version = version;
  size_t communityLength = out.communityBuffer.size();
  p = asn_parse_string(p, &left, &type, reinterpret_cast<u_char*>(out.communityBuffer.data()),
                       &communityLength);
  if (p == nullptr || type != ASN_OCTET_STR) {
    return false;
  }
  out.community = std::string_view(out.communityBuffer.data(), communityLength);
  size_t pduLength = left;
  p = asn_parse_header(p, &pduLength, &type);
  if (p == nullptr) {
    return false;
  }
  out.type = static_cast<PduType>(type);
  if (type != SNMP_MSG_GET && type != SNMP_MSG_GETNEXT && type != SNMP_MSG_SET &&
      !(type == SNMP_MSG_GETBULK && version == SNMP_VERSION_2c)) {
    return false;
  }
  left = pduLength;
  long fields[3];
  for (long& field : fields) {
    p = asn_parse_int(p, &left, &type, &field, sizeof(field));
    if (p == nullptr) {
      return false;
    }
  }
  out.requestId = fields[0];
  out.nonRepeaters = fields[1];
  out.maxRepetitions = fields[2];
  p = asn_parse_sequence(p, &left, &type, kSequence, "varbinds");
  if (p == nullptr) {
    return false;
  }
  out.oidCount = 0;
  oid name[MAX_OID_LEN];
  while (left > 0) {
    size_t nameLength = MAX_OID_LEN;
    u_char valueType = 0;
    size_t valueLength = 0;
    u_char* value = nullptr;
    p = snmp_parse_var_op(p, name, &nameLength, &valueType, &valueLength, &value, &left);
    if (p == nullptr) {
      return false;
    }
    if (out.oidCount == out.oids.size()) {
      out.oids.emplace_back();
    }
    RequestOid& target = out.oids[out.oidCount++];
    target.length = nameLength;
    for (size_t i = 0; i < nameLength; ++i) {
      target.arcs[i] = static_cast<uint32_t>(name[i]);
    }
  }
  return true;
}

std::string encodeOid(std::span<const uint32_t> arcs) {
  oid name[MAX_OID_LEN];
  if (arcs.size() > MAX_OID_LEN) {
    throw Poco::InvalidArgumentException("OID longer than 128 arcs");
  }
  for (size_t i = 0; i < arcs.size(); ++i) {
    name[i] = arcs[i];
  }
  u_char buffer[MAX_OID_LEN * 5 + 8];
  size_t left = sizeof(buffer);
  u_char* end = asn_build_objid(buffer, &left, ASN_OBJECT_ID, name, arcs.size());
  if (end == nullptr) {
    throw Poco::InvalidArgumentException("asn_build_objid refused an OID");
  }
  return std::string(reinterpret_cast<char*>(buffer), end - buffer);
}

ResponseWriter::ResponseWriter() : body_(1 << 17), scratch_(1 << 16), header_(512) {}

void ResponseWriter::reset() {
  bodySize_ = 0;
  marks_.clear();
}

bool ResponseWriter::appendValue(const Value& value) {
  size_t needed = value.size + 16;
  if (scratch_.size() < needed) {
    scratch_.resize(needed);
  }
  u_char* p = scratch_.data();
  size_t left = scratch_.size();
  u_char type = static_cast<u_char>(value.tag);
  switch (value.tag) {
    case Tag::Integer: {
      long v = value.integer;
      p = asn_build_int(p, &left, type, &v, sizeof(v));
      break;
    }
    case Tag::Counter32:
    case Tag::Gauge32:
    case Tag::TimeTicks: {
      u_long v = value.unsigned_ & 0xFFFFFFFFUL;
      p = asn_build_unsigned_int(p, &left, type, &v, sizeof(v));
      break;
    }
    case Tag::Counter64: {
      counter64 v;
      v.high = value.unsigned_ >> 32;
      v.low = value.unsigned_ & 0xFFFFFFFFUL;
      p = asn_build_unsigned_int64(p, &left, type, &v, sizeof(v));
      break;
    }
    case Tag::OctetString:
    case Tag::IpAddress:
    case Tag::Opaque:
      p = asn_build_string(p, &left, type, value.data, value.size);
      break;
    case Tag::ObjectId:  // kept pre-encoded
      std::memcpy(p, value.data, value.size);
      p += value.size;
      break;
    case Tag::Null:
    case Tag::NoSuchObject:
    case Tag::NoSuchInstance:
    case Tag::EndOfMibView:
      p = asn_build_null(p, &left, type);
      break;
  }
  if (p == nullptr) {
    return false;
  }
  valueSize_ = p - scratch_.data();
  return true;
}

bool ResponseWriter::appendVarbind(std::span<const uint8_t> encodedOid, const Value& value) {
  if (!appendValue(value)) {
    return false;
  }
  size_t contentLength = encodedOid.size() + valueSize_;
  size_t needed = bodySize_ + contentLength + 8;
  if (body_.size() < needed) {
    body_.resize(needed * 2);
  }
  u_char* start = body_.data() + bodySize_;
  size_t left = body_.size() - bodySize_;
  u_char* p = asn_build_header(start, &left, kSequence, contentLength);
  if (p == nullptr) {
    return false;
  }
  std::memcpy(p, encodedOid.data(), encodedOid.size());
  p += encodedOid.size();
  std::memcpy(p, scratch_.data(), valueSize_);
  p += valueSize_;
  marks_.push_back(bodySize_);
  bodySize_ = p - body_.data();
  return true;
}

bool ResponseWriter::add(std::span<const uint8_t> encodedOid, const Value& value) {
  return appendVarbind(encodedOid, value);
}

bool ResponseWriter::add(std::span<const uint32_t> oid, const Value& value) {
  std::string encoded = encodeOid(oid);
  return appendVarbind({reinterpret_cast<const uint8_t*>(encoded.data()), encoded.size()}, value);
}

void ResponseWriter::truncate(size_t count) {
  if (count < marks_.size()) {
    bodySize_ = marks_[count];
    marks_.resize(count);
  }
}

size_t ResponseWriter::messageSize(size_t communityLength) const {
  return kHeaderOverhead + communityLength + bodySize_;
}

void ResponseWriter::finish(const Request& request, long errorStatus, long errorIndex) {
  // Each piece is built forward with net-snmp's encoders into its own spot of a small buffer,
  // then the pieces are laid out in message order at the end of header_ so that header() and
  // varbinds() can go out in one sendmsg without copying the body.
  u_char fields[32];
  size_t left = sizeof(fields);
  u_char* p = fields;
  long values[3] = {request.requestId, errorStatus, errorIndex};
  for (long& v : values) {
    p = asn_build_int(p, &left, ASN_INTEGER, &v, sizeof(v));
  }
  p = asn_build_header(p, &left, kSequence, bodySize_);
  size_t fieldsSize = p - fields;
  size_t pduContent = fieldsSize + bodySize_;

  u_char pduHeader[8];
  left = sizeof(pduHeader);
  size_t pduHeaderSize =
      asn_build_header(pduHeader, &left, SNMP_MSG_RESPONSE, pduContent) - pduHeader;

  u_char prefix[300];
  left = sizeof(prefix);
  long version = request.version;
  p = asn_build_int(prefix, &left, ASN_INTEGER, &version, sizeof(version));
  p = asn_build_string(p, &left, ASN_OCTET_STR,
                       reinterpret_cast<const u_char*>(request.community.data()),
                       request.community.size());
  size_t prefixSize = p - prefix;

  u_char messageHeader[8];
  left = sizeof(messageHeader);
  size_t messageHeaderSize =
      asn_build_header(messageHeader, &left, kSequence, prefixSize + pduHeaderSize + pduContent) -
      messageHeader;

  headerSize_ = messageHeaderSize + prefixSize + pduHeaderSize + fieldsSize;
  headerStart_ = 0;
  u_char* out = header_.data();
  std::memcpy(out, messageHeader, messageHeaderSize);
  out += messageHeaderSize;
  std::memcpy(out, prefix, prefixSize);
  out += prefixSize;
  std::memcpy(out, pduHeader, pduHeaderSize);
  out += pduHeaderSize;
  std::memcpy(out, fields, fieldsSize);
}

}  // namespace fleetsim
