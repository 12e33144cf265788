#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <vector>

namespace elector {

/// The durations of the latest backend round trips, for the status page: the last one and the
/// median of the last `capacity`. A fixed ring: adding to a full window forgets the oldest.
/// Not thread-safe (ElectorStatus guards it).
class LatencyWindow {
 public:
  /// `capacity` must be at least 1 (a smaller value is taken as 1).
  explicit LatencyWindow(std::size_t capacity);

  void add(std::chrono::microseconds duration);
  /// How many durations are held (at most the capacity).
  std::size_t size() const { return values_.size(); }
  /// The latest duration added; nullopt when none.
  std::optional<std::chrono::microseconds> last() const;
  /// The median of the durations held (the mean of the two middle ones for an even count);
  /// nullopt when none.
  std::optional<std::chrono::microseconds> median() const;

 private:
  std::size_t capacity_;
  std::vector<std::chrono::microseconds> values_;
  std::size_t next_ = 0;  ///< where the next value goes once the window is full
};

}  // namespace elector
