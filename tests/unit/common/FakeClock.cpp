#include "common/FakeClock.h"

namespace common {

FakeClock::FakeClock()
    : steady_(std::chrono::steady_clock::time_point(std::chrono::hours(1000))),
      system_(std::chrono::system_clock::time_point(std::chrono::seconds(1748779200))) {}

std::chrono::steady_clock::time_point FakeClock::steadyNow() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return steady_;
}

std::chrono::system_clock::time_point FakeClock::systemNow() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return system_;
}

void FakeClock::advance(std::chrono::nanoseconds d) {
  std::lock_guard<std::mutex> lock(mutex_);
  steady_ += d;
  system_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
}

void FakeClock::setSystem(std::chrono::system_clock::time_point t) {
  std::lock_guard<std::mutex> lock(mutex_);
  system_ = t;
}

}  // namespace common
