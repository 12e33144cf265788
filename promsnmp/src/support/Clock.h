#pragma once

#include <chrono>

namespace promsnmp {

/// The time seam: code that decides by time takes a Clock& so tests can move time by hand
/// (FakeClock in tests/unit/promsnmp). `steadyNow` for ages and deadlines, `systemNow` for
/// timestamps shown to people. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::steady_clock::time_point steadyNow() const = 0;
  virtual std::chrono::system_clock::time_point systemNow() const = 0;
};

/// The real clocks.
class SystemClock : public Clock {
 public:
  std::chrono::steady_clock::time_point steadyNow() const override {
    return std::chrono::steady_clock::now();
  }
  std::chrono::system_clock::time_point systemNow() const override {
    return std::chrono::system_clock::now();
  }
};

}  // namespace promsnmp
