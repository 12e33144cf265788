#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fleetsim {

/// A contiguous block of simulated devices: every IPv4 address in [first, last].
struct DeviceRange {
  uint32_t first = 0;  // host order
  uint32_t last = 0;
  unsigned interfaces = 0;  // synthesized interfaces per device, 0 = the recording's own
  size_t shapeGroup = 0;    // index of the shapes serving this range (one per recording)
};

/// Maps the destination address of a request to the device range serving it. No per-device
/// storage: 20,000 devices cost one DeviceRange per --devices option.
class DeviceMap {
 public:
  /// Parses `A.B.C.D`, `A.B.C.D-E.F.G.H` or `A.B.C.D/len`, optionally followed by
  /// `:interfaces`; `defaultInterfaces` applies otherwise. Throws
  /// Poco::InvalidArgumentException; overlapping ranges are refused by add().
  static DeviceRange parse(const std::string& spec, unsigned defaultInterfaces);

  void add(DeviceRange range);
  /// The range containing `address`, or nullptr. Thread-safe once filled.
  const DeviceRange* find(uint32_t address) const;
  const std::vector<DeviceRange>& ranges() const { return ranges_; }
  uint64_t deviceCount() const;

 private:
  std::vector<DeviceRange> ranges_;  // sorted by first
};

/// Parses dotted-quad IPv4 into host order; throws Poco::InvalidArgumentException.
uint32_t parseIpv4(const std::string& text);
std::string formatIpv4(uint32_t address);

}  // namespace fleetsim
