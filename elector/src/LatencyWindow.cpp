#include "LatencyWindow.h"

#include <algorithm>

namespace elector {

LatencyWindow::LatencyWindow(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {
  values_.reserve(capacity_);
}

void LatencyWindow::add(std::chrono::microseconds duration) {
  if (values_.size() < capacity_) {
    values_.push_back(duration);
    return;
  }
  values_[next_] = duration;
  next_ = (next_ + 1) % capacity_;
}

std::optional<std::chrono::microseconds> LatencyWindow::last() const {
  if (values_.empty()) {
    return std::nullopt;
  }
  if (values_.size() < capacity_) {
    return values_.back();
  }
  return values_[(next_ + capacity_ - 1) % capacity_];
}

std::optional<std::chrono::microseconds> LatencyWindow::median() const {
  if (values_.empty()) {
    return std::nullopt;
  }
  std::vector<std::chrono::microseconds> sorted = values_;
  std::sort(sorted.begin(), sorted.end());
  const std::size_t middle = sorted.size() / 2;
  if (sorted.size() % 2 == 1) {
    return sorted[middle];
  }
  return (sorted[middle - 1] + sorted[middle]) / 2;
}

}  // namespace elector
