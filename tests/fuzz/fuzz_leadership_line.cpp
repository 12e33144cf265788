// One line of the elector's leadership socket, as the collector reads it
// (promsnmp::parseLeadershipLine over elector::decode; DESIGN.md §4). The elector is local, but a
// line it did not mean — a bug, a truncated write, another program on the socket path — must be
// refused, never misread: leadership is fail-closed (I5).
//
// A line that parses must hold values in the protocol's ranges, and must survive
// elector::encode → parse unchanged (both ends agree by construction). A refusal must say why.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <Poco/Exception.h>

#include "elector/LeadershipEvent.h"
#include "leadership/LeadershipClient.h"

namespace {

void check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

bool validUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) {
      return false;
    }
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) {
        return false;
      }
    }
    i += n;
  }
  return true;
}

/// The length encode() gives the event's line, without its '\n' (its escaping rules).
size_t encodedLength(const promsnmp::LeadershipEvent& event) {
  size_t n = std::string(R"({"role":")").size() + (event.leader ? 6 : 8) +
             std::string(R"(","epoch":)").size() + std::to_string(event.epoch).size() +
             std::string(R"(,"holder":")").size() + std::string(R"(","lease_ms":)").size() +
             std::to_string(event.leaseMs).size() + 1;
  for (char ch : event.holder) {
    auto c = static_cast<unsigned char>(ch);
    n += c == '"' || c == '\\' ? 2 : c < 0x20 || c == 0x7F ? 6 : 1;
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  std::string error;
  std::optional<promsnmp::LeadershipEvent> event = promsnmp::parseLeadershipLine(line, &error);
  if (!event) {
    check(!error.empty());
    return 0;
  }
  check(error.empty());
  // The protocol's ranges (elector/include/elector/LeadershipEvent.h).
  check(size <= elector::kMaxLineBytes + 1);
  check(event->leaseMs >= elector::kMinLeaseMs && event->leaseMs <= elector::kMaxLeaseMs);
  check(event->holder.size() <= elector::kMaxHolderBytes);
  check(validUtf8(event->holder));
  // Whatever the collector accepts, the elector can say, and saying it again means the same.
  elector::LeadershipEvent wire;
  wire.role = event->leader ? elector::LeadershipRole::Leader : elector::LeadershipRole::Follower;
  wire.epoch = event->epoch;
  wire.holder = event->holder;
  wire.leaseMs = event->leaseMs;
  std::string encoded;
  try {
    encoded = elector::encode(wire);
  } catch (const Poco::InvalidArgumentException&) {
    // The one refusal allowed: the holder's escapes ("\u007f" for a raw DEL, which the decoder
    // takes unescaped) make the line longer than kMaxLineBytes. Anything else accepted here
    // must be sayable by the elector.
    check(encodedLength(*event) > elector::kMaxLineBytes);
    return 0;
  }
  check(encoded.size() == encodedLength(*event) + 1);
  check(!encoded.empty() && encoded.back() == '\n');
  std::optional<promsnmp::LeadershipEvent> again = promsnmp::parseLeadershipLine(encoded);
  check(again.has_value() && *again == *event);
  // The same line without (or with) its newline means the same.
  if (!line.empty() && line.back() == '\n') {
    auto bare = promsnmp::parseLeadershipLine(line.substr(0, size - 1));
    check(bare.has_value() && *bare == *event);
  }
  return 0;
}
