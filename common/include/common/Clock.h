#pragma once

#include <chrono>

namespace common {

/// The time seam: code that decides by time (the collector's cache and collector, the elector's
/// elections and leases) takes a Clock& so tests move time by hand (FakeClock in
/// tests/unit/common). `steadyNow` for ages, leases and deadlines (monotonic, never jumps),
/// `systemNow` only for timestamps shown to people. Implementations are thread-safe.
class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  virtual TimePoint steadyNow() const = 0;
  virtual std::chrono::system_clock::time_point systemNow() const = 0;
};

/// The real clocks.
class SystemClock : public Clock {
 public:
  TimePoint steadyNow() const override { return std::chrono::steady_clock::now(); }
  std::chrono::system_clock::time_point systemNow() const override {
    return std::chrono::system_clock::now();
  }
};

}  // namespace common
