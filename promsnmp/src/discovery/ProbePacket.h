#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace promsnmp {

// The one datagram of a discovery sweep: an SNMPv1/v2c GET of sysObjectID.0, and the few fields
// of its answer a sweep needs (who answered which request). Sweeps send tens of thousands of
// these from one socket, which net-snmp's session-per-peer API cannot do cheaply; every other
// SNMP exchange (the system group of the agents that answered, all polling) goes through
// net-snmp. Encoding is BER as RFC 3416 / X.690 define it; decoding reads only the message
// header and never trusts a length beyond the datagram.

/// The GetRequest for sysObjectID.0. `version` is 0 (v1) or 1 (v2c); `requestId` 0..2^31-1.
/// Thread-safe (pure).
std::string encodeProbe(int version, std::string_view community, int32_t requestId);

/// What a sweep reads from an answer.
struct ProbeAnswer {
  int version = 0;
  std::string community;
  int32_t requestId = 0;
  int errorStatus = 0;
};

/// Decodes a GetResponse (PDU tag 0xA2) of SNMPv1/v2c. Returns nullopt for anything else:
/// malformed BER, another PDU type, a length past the end. Never throws. Thread-safe (pure).
std::optional<ProbeAnswer> decodeProbeAnswer(std::string_view datagram);

}  // namespace promsnmp
