#include "DeviceModel.h"

#include <cstdio>

#include "HostResources.h"
#include "IfMib.h"

namespace fleetsim {
namespace {

constexpr uint64_t kNinetyDaysTicks = 90ULL * 86400 * 100;
constexpr uint64_t kMonthTicks = 30ULL * 86400 * 100;

// Per-device drift of a recorded counter: an offset below 2^24 and up to 1,000 per second, so
// that the devices of a fleet differ and their counters move.
uint64_t counterDrift(const DeviceContext& device, size_t index) {
  uint64_t h = mix64(device.hash, index);
  return (h >> 40) + static_cast<uint64_t>(static_cast<double>(h % 1000) * device.seconds);
}

}  // namespace

uint64_t bootTicks(const Shape& shape, const DeviceContext& device) {
  uint64_t ticks = shape.upTime() + (device.staticCounters ? 0 : device.hash % kNinetyDaysTicks);
  // Leave a month before the 32-bit TimeTicks wrap, so that sysUpTime stays above
  // ifTableLastChange and ifLastChange for any realistic benchmark run.
  return ticks % (0x100000000ULL - kMonthTicks);
}

void valueOf(const Shape& shape, size_t index, const DeviceContext& device, Value& out) {
  const Entry& e = shape.entry(index);
  out.tag = e.tag;
  switch (e.source) {
    case Source::Static:
      switch (e.tag) {
        case Tag::Integer:
          out.integer = static_cast<int64_t>(e.number);
          break;
        case Tag::Counter32:
        case Tag::Counter64:
          out.unsigned_ = e.number;
          if (!device.staticCounters) {
            out.unsigned_ += counterDrift(device, index);
          }
          if (e.tag == Tag::Counter32) {
            out.unsigned_ &= 0xFFFFFFFFULL;
          }
          break;
        case Tag::Gauge32:
        case Tag::TimeTicks:
          out.unsigned_ = e.number;
          break;
        case Tag::OctetString:
        case Tag::IpAddress:
        case Tag::Opaque:
        case Tag::ObjectId: {
          auto bytes = shape.bytes(e.aux, e.auxLength);
          out.data = bytes.data();
          out.size = bytes.size();
          break;
        }
        default:
          break;
      }
      break;
    case Source::Numeric: {
      double v = shape.numeric(e.aux).evaluate(device.seconds);
      if (e.tag == Tag::Integer) {
        out.integer = static_cast<int64_t>(v);
      } else {
        out.unsigned_ = static_cast<uint64_t>(v);
        if (e.advances && !device.staticCounters) {
          out.unsigned_ += counterDrift(device, index);
        }
        if (e.tag != Tag::Counter64) {
          out.unsigned_ &= 0xFFFFFFFFULL;
        }
      }
      break;
    }
    case Source::SysUpTime:
      out.unsigned_ =
          (bootTicks(shape, device) + static_cast<uint64_t>(device.seconds * 100)) & 0xFFFFFFFFULL;
      break;
    case Source::SysName: {
      if (device.keepSysName) {
        auto bytes = shape.bytes(e.aux, e.auxLength);
        out.data = bytes.data();
        out.size = bytes.size();
        break;
      }
      char name[32];
      int n = std::snprintf(name, sizeof(name), "sim-%u-%u-%u-%u", device.address >> 24,
                            (device.address >> 16) & 0xFF, (device.address >> 8) & 0xFF,
                            device.address & 0xFF);
      out.setOwned(Tag::OctetString, std::string(name, n));
      break;
    }
    case Source::IfColumn:
      ifValue(e.column, e.aux, device, bootTicks(shape, device), out);
      break;
    case Source::IfNumber:
      out.integer = shape.interfaces();
      break;
    case Source::IfTableLastChange:
      out.unsigned_ = ifTableLastChange(bootTicks(shape, device)) & 0xFFFFFFFFULL;
      break;
    case Source::HrColumn:
      hrValue(e.column, e.aux, device, out);
      break;
  }
}

}  // namespace fleetsim
