#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "Value.h"

namespace fleetsim {

/// PDU tags of the requests the simulator answers (RFC 3416).
enum class PduType : uint8_t {
  Get = 0xA0,
  GetNext = 0xA1,
  Response = 0xA2,
  Set = 0xA3,
  GetBulk = 0xA5,
};

/// An OID as received: at most 128 arcs (net-snmp's MAX_OID_LEN).
struct RequestOid {
  std::array<uint32_t, 128> arcs;
  size_t length = 0;
  std::span<const uint32_t> span() const { return {arcs.data(), length}; }
};

/// A decoded SNMPv1/v2c request.
struct Request {
  long version = 0;  // 0 = v1, 1 = v2c
  std::array<char, 256> communityBuffer;
  std::string_view community;  // into communityBuffer
  PduType type = PduType::Get;
  long requestId = 0;
  long nonRepeaters = 0;         // GetBulk; the error-status field otherwise
  long maxRepetitions = 0;       // GetBulk; the error-index field otherwise
  std::vector<RequestOid> oids;  // reused between requests to avoid allocation
  size_t oidCount = 0;
};

/// Decodes a v1/v2c message with net-snmp's BER parsers. Returns false for anything that is
/// not a well-formed v1/v2c request (v3, traps, truncated BER); such datagrams are dropped like
/// snmpsimd drops them. Not thread-safe for the same Request.
bool parseRequest(const uint8_t* data, size_t length, Request& out);

/// BER of an OBJECT IDENTIFIER (tag, length, value). Throws Poco::InvalidArgumentException if
/// net-snmp refuses it (fewer than two arcs, first arc > 2).
std::string encodeOid(std::span<const uint32_t> oid);

/// Builds one response message: varbinds are appended one by one (so GETBULK can stop when the
/// message is full), then the header is built in front. Uses net-snmp's asn_build_* encoders.
/// Reused between requests; not thread-safe.
class ResponseWriter {
 public:
  ResponseWriter();

  void reset();
  /// Appends a varbind whose OID is already BER-encoded. Returns false (and appends nothing)
  /// if the value cannot be encoded.
  bool add(std::span<const uint8_t> encodedOid, const Value& value);
  /// Appends a varbind for an OID taken from the request.
  bool add(std::span<const uint32_t> oid, const Value& value);
  size_t varbindCount() const { return marks_.size(); }
  /// Drops varbinds from the end until `count` remain.
  void truncate(size_t count);
  /// Size the whole message would have now, for the given community.
  size_t messageSize(size_t communityLength) const;
  /// Builds the header; afterwards header() + varbinds() form the datagram.
  void finish(const Request& request, long errorStatus, long errorIndex);

  std::span<const uint8_t> header() const { return {header_.data() + headerStart_, headerSize_}; }
  std::span<const uint8_t> varbinds() const { return {body_.data(), bodySize_}; }

 private:
  bool appendValue(const Value& value);
  bool appendVarbind(std::span<const uint8_t> encodedOid, const Value& value);

  std::vector<uint8_t> body_;
  size_t bodySize_ = 0;
  std::vector<size_t> marks_;  // body size before each varbind
  std::vector<uint8_t> scratch_;
  size_t valueSize_ = 0;
  std::vector<uint8_t> header_;
  size_t headerStart_ = 0;
  size_t headerSize_ = 0;
};

}  // namespace fleetsim
