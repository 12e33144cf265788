#pragma once

#include <chrono>
#include <deque>
#include <string>

#include "LeaderSource.h"
#include "common/FakeClock.h"

namespace elector {

/// A LeaderSource that returns scripted answers and moves a FakeClock by each answer's delay,
/// so a "slow" sidecar costs no real time. When the script runs out it repeats the last answer.
/// Not thread-safe.
class FakeLeaderSource : public LeaderSource {
 public:
  explicit FakeLeaderSource(common::FakeClock& clock) : clock_(clock) {}

  /// Queues a 200 answer with `body`, arriving after `delay`.
  void answer(const std::string& body, std::chrono::milliseconds delay = {}, int status = 200);
  /// Queues a failure without an HTTP answer (refused, or timed out when `timedOut`).
  void fail(const std::string& error, bool timedOut = false, std::chrono::milliseconds delay = {});
  /// Queues an answer naming `pod` as leader.
  void name(const std::string& pod) { answer("{\"name\":\"" + pod + "\"}"); }

  LeaderAnswer fetch() override;

  int calls() const { return calls_; }

 private:
  struct Scripted {
    LeaderAnswer answer;
    std::chrono::milliseconds delay;
  };

  common::FakeClock& clock_;
  std::deque<Scripted> script_;
  Scripted last_{};
  int calls_ = 0;
};

}  // namespace elector
