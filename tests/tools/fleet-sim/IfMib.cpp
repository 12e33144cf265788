#include "IfMib.h"

#include <array>
#include <string>

namespace fleetsim {
namespace {

constexpr std::array<IfColumnDef, 41> kColumns = {{
    {false, 1, Tag::Integer},      // ifIndex
    {false, 2, Tag::OctetString},  // ifDescr
    {false, 3, Tag::Integer},      // ifType
    {false, 4, Tag::Integer},      // ifMtu
    {false, 5, Tag::Gauge32},      // ifSpeed
    {false, 6, Tag::OctetString},  // ifPhysAddress
    {false, 7, Tag::Integer},      // ifAdminStatus
    {false, 8, Tag::Integer},      // ifOperStatus
    {false, 9, Tag::TimeTicks},    // ifLastChange
    {false, 10, Tag::Counter32},   // ifInOctets
    {false, 11, Tag::Counter32},   // ifInUcastPkts
    {false, 12, Tag::Counter32},   // ifInNUcastPkts
    {false, 13, Tag::Counter32},   // ifInDiscards
    {false, 14, Tag::Counter32},   // ifInErrors
    {false, 15, Tag::Counter32},   // ifInUnknownProtos
    {false, 16, Tag::Counter32},   // ifOutOctets
    {false, 17, Tag::Counter32},   // ifOutUcastPkts
    {false, 18, Tag::Counter32},   // ifOutNUcastPkts
    {false, 19, Tag::Counter32},   // ifOutDiscards
    {false, 20, Tag::Counter32},   // ifOutErrors
    {false, 21, Tag::Gauge32},     // ifOutQLen
    {false, 22, Tag::ObjectId},    // ifSpecific
    {true, 1, Tag::OctetString},   // ifName
    {true, 2, Tag::Counter32},     // ifInMulticastPkts
    {true, 3, Tag::Counter32},     // ifInBroadcastPkts
    {true, 4, Tag::Counter32},     // ifOutMulticastPkts
    {true, 5, Tag::Counter32},     // ifOutBroadcastPkts
    {true, 6, Tag::Counter64},     // ifHCInOctets
    {true, 7, Tag::Counter64},     // ifHCInUcastPkts
    {true, 8, Tag::Counter64},     // ifHCInMulticastPkts
    {true, 9, Tag::Counter64},     // ifHCInBroadcastPkts
    {true, 10, Tag::Counter64},    // ifHCOutOctets
    {true, 11, Tag::Counter64},    // ifHCOutUcastPkts
    {true, 12, Tag::Counter64},    // ifHCOutMulticastPkts
    {true, 13, Tag::Counter64},    // ifHCOutBroadcastPkts
    {true, 14, Tag::Integer},      // ifLinkUpDownTrapEnable
    {true, 15, Tag::Gauge32},      // ifHighSpeed
    {true, 16, Tag::Integer},      // ifPromiscuousMode
    {true, 17, Tag::Integer},      // ifConnectorPresent
    {true, 18, Tag::OctetString},  // ifAlias
    {true, 19, Tag::TimeTicks},    // ifCounterDiscontinuityTime
}};

// BER of OBJECT IDENTIFIER 0.0 (ifSpecific's "no specific MIB").
constexpr uint8_t kZeroDotZero[] = {0x06, 0x01, 0x00};

enum class Direction { In, Out };
enum class Kind { Octets, Ucast, Multicast, Broadcast, Errors, Discards, Unknown };

struct Interface {
  uint64_t hash;
  bool operUp;
  bool adminUp;
  uint32_t speedMbps;
};

Interface describe(const DeviceContext& device, uint32_t ifIndex) {
  Interface i;
  i.hash = mix64(device.hash, ifIndex);
  i.operUp = ifIndex % 10 != 0;
  i.adminUp = ifIndex % 20 != 0;
  static constexpr uint32_t kSpeeds[10] = {1000, 1000,  1000,  1000,  1000,
                                           1000, 10000, 10000, 10000, 100};
  i.speedMbps = kSpeeds[i.hash % 10];
  return i;
}

// A counter of one kind and direction: a per-interface base plus a per-interface rate times
// the seconds since start; rates derive from the link speed and a utilisation of 0.1-20%.
uint64_t counter(const Interface& i, Direction dir, Kind kind, double seconds) {
  uint64_t h = mix64(i.hash, static_cast<uint64_t>(dir) * 16 + static_cast<uint64_t>(kind));
  double utilisation =
      static_cast<double>(mix64(i.hash, dir == Direction::In ? 1 : 2) % 200 + 1) / 1000.0;
  double octetsPerSecond = i.operUp ? i.speedMbps * 125000.0 * utilisation : 0.0;
  double packetSize = 300.0 + static_cast<double>(i.hash >> 40) / (1ULL << 24) * 1100.0;
  double ucastPerSecond = octetsPerSecond / packetSize;
  double rate = 0;
  uint64_t base = 0;
  switch (kind) {
    case Kind::Octets:
      rate = octetsPerSecond;
      base = h % (1ULL << 40);
      break;
    case Kind::Ucast:
      rate = ucastPerSecond;
      base = h % (1ULL << 32);
      break;
    case Kind::Multicast:
      rate = ucastPerSecond / 50;
      base = h % (1ULL << 26);
      break;
    case Kind::Broadcast:
      rate = ucastPerSecond / 200;
      base = h % (1ULL << 24);
      break;
    case Kind::Errors:
      rate = (h >> 60) == 0 ? ucastPerSecond * 1e-5 : 0;  // one interface in 16 has errors
      base = h % 1000;
      break;
    case Kind::Discards:
      rate = (h >> 61) == 0 ? ucastPerSecond * 1e-4 : 0;
      base = h % 5000;
      break;
    case Kind::Unknown:
      base = h % 100;
      break;
  }
  return base + static_cast<uint64_t>(rate * seconds);
}

void setString(Value& out, std::string s) { out.setOwned(Tag::OctetString, std::move(s)); }

std::string portName(const Interface& i, uint32_t ifIndex, bool longForm) {
  switch (i.speedMbps) {
    case 10000:
      return (longForm ? "TenGigabitEthernet1/0/" : "Te1/0/") + std::to_string(ifIndex);
    case 100:
      return (longForm ? "FastEthernet0/" : "Fa0/") + std::to_string(ifIndex);
    default:
      return (longForm ? "GigabitEthernet1/0/" : "Gi1/0/") + std::to_string(ifIndex);
  }
}

}  // namespace

std::span<const IfColumnDef> ifColumns() { return kColumns; }

uint64_t ifTableLastChange(uint64_t bootTicks) { return bootTicks / 2; }

void ifValue(unsigned columnIndex, uint32_t ifIndex, const DeviceContext& device,
             uint64_t bootTicks, Value& out) {
  const IfColumnDef& def = kColumns[columnIndex];
  Interface i = describe(device, ifIndex);
  double t = device.seconds;
  out.tag = def.tag;
  auto c32 = [&](Direction d, Kind k) { out.unsigned_ = counter(i, d, k, t) & 0xFFFFFFFFULL; };
  auto c64 = [&](Direction d, Kind k) { out.unsigned_ = counter(i, d, k, t); };
  using D = Direction;
  using K = Kind;
  if (!def.ifX) {
    switch (def.column) {
      case 1:
        out.integer = ifIndex;
        break;
      case 2:
        setString(out, portName(i, ifIndex, true));
        break;
      case 3:
        out.integer = 6;
        break;  // ethernetCsmacd
      case 4:
        out.integer = 1500;
        break;
      case 5:
        out.unsigned_ = std::min<uint64_t>(i.speedMbps * 1000000ULL, 0xFFFFFFFFULL);
        break;
      case 6: {
        std::string mac = {'\x02',
                           static_cast<char>(device.address >> 16),
                           static_cast<char>(device.address >> 8),
                           static_cast<char>(device.address),
                           static_cast<char>(ifIndex >> 8),
                           static_cast<char>(ifIndex)};
        setString(out, std::move(mac));
        break;
      }
      case 7:
        out.integer = i.adminUp ? 1 : 2;
        break;
      case 8:
        out.integer = i.operUp ? 1 : 2;
        break;
      case 9: {
        uint64_t last = ifTableLastChange(bootTicks);
        out.unsigned_ = i.operUp ? last - (i.hash >> 8) % (last / 2 + 1) : last;
        break;
      }
      case 10:
        c32(D::In, K::Octets);
        break;
      case 11:
        c32(D::In, K::Ucast);
        break;
      case 12:
        out.unsigned_ = (counter(i, D::In, K::Multicast, t) + counter(i, D::In, K::Broadcast, t)) &
                        0xFFFFFFFFULL;
        break;
      case 13:
        c32(D::In, K::Discards);
        break;
      case 14:
        c32(D::In, K::Errors);
        break;
      case 15:
        c32(D::In, K::Unknown);
        break;
      case 16:
        c32(D::Out, K::Octets);
        break;
      case 17:
        c32(D::Out, K::Ucast);
        break;
      case 18:
        out.unsigned_ =
            (counter(i, D::Out, K::Multicast, t) + counter(i, D::Out, K::Broadcast, t)) &
            0xFFFFFFFFULL;
        break;
      case 19:
        c32(D::Out, K::Discards);
        break;
      case 20:
        c32(D::Out, K::Errors);
        break;
      case 21:
        out.unsigned_ = 0;
        break;
      case 22:
        out.data = kZeroDotZero;
        out.size = sizeof(kZeroDotZero);
        break;
    }
    return;
  }
  switch (def.column) {
    case 1:
      setString(out, portName(i, ifIndex, false));
      break;
    case 2:
      c32(D::In, K::Multicast);
      break;
    case 3:
      c32(D::In, K::Broadcast);
      break;
    case 4:
      c32(D::Out, K::Multicast);
      break;
    case 5:
      c32(D::Out, K::Broadcast);
      break;
    case 6:
      c64(D::In, K::Octets);
      break;
    case 7:
      c64(D::In, K::Ucast);
      break;
    case 8:
      c64(D::In, K::Multicast);
      break;
    case 9:
      c64(D::In, K::Broadcast);
      break;
    case 10:
      c64(D::Out, K::Octets);
      break;
    case 11:
      c64(D::Out, K::Ucast);
      break;
    case 12:
      c64(D::Out, K::Multicast);
      break;
    case 13:
      c64(D::Out, K::Broadcast);
      break;
    case 14:
      out.integer = 1;
      break;  // enabled
    case 15:
      out.unsigned_ = i.speedMbps;
      break;
    case 16:
      out.integer = 2;
      break;  // false
    case 17:
      out.integer = 1;
      break;  // true
    case 18:
      setString(out, ifIndex % 3 == 0 ? std::string() : "link " + std::to_string(ifIndex));
      break;
    case 19:
      out.unsigned_ = 0;
      break;
  }
}

}  // namespace fleetsim
