#pragma once

#include <chrono>
#include <mutex>

#include "common/Clock.h"

namespace common {

/// A Clock that moves only when a test says so. Starts at an arbitrary fixed point (steady) and
/// at 2025-06-01T12:00:00Z (system). Thread-safe.
class FakeClock : public Clock {
 public:
  FakeClock();

  std::chrono::steady_clock::time_point steadyNow() const override;
  std::chrono::system_clock::time_point systemNow() const override;

  /// Moves both clocks forward by `d`.
  void advance(std::chrono::nanoseconds d);
  /// Sets the system clock only (a wall-clock jump; steady time is unaffected).
  void setSystem(std::chrono::system_clock::time_point t);

 private:
  mutable std::mutex mutex_;
  std::chrono::steady_clock::time_point steady_;
  std::chrono::system_clock::time_point system_;
};

}  // namespace common
