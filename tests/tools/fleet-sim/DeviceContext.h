#pragma once

#include <cstdint>

namespace fleetsim {

/// splitmix64 finaliser: the source of every per-device and per-interface variation, so that
/// values are reproducible from (seed, address, index) without storing anything per device.
inline uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

inline uint64_t mix64(uint64_t a, uint64_t b) { return mix64(a ^ mix64(b)); }

/// What a value computation needs to know about the device asked and the moment of asking.
struct DeviceContext {
  uint32_t address = 0;  // IPv4 address in host order
  uint64_t hash = 0;     // mix64(seed, address)
  double seconds = 0;    // since the simulator started (monotonic)
  bool keepSysName = false;
  bool staticCounters = false;  // serve recorded counters verbatim (for comparing with snmpsimd)
};

}  // namespace fleetsim
