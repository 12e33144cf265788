#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "LeaseStore.h"
#include "common/Clock.h"

namespace elector {

using common::Clock;

/// Catches a second elector started with our id (fault F-25, identity collision) before it
/// campaigns: each elector holds a presence lease `<lease key>:member:<id>` with a token of its
/// own, renewed like the leadership lease. A newcomer that finds the presence lease held by
/// another token waits one TTL plus a renew interval — long enough for the lease of a killed
/// predecessor with the same id to expire — and only if the lease is still held then does it
/// report a collision. An elector that loses its presence lease at run time (Redis restarted,
/// a long pause) claims it again the same way.
///
/// Two electors with one id can never both lead (lease tokens are unique per process), but their
/// logs, holders and metrics would name one replica for two, and a sidecar-based backend would
/// believe both; so the daemon refuses to run twice under one name.
///
/// Holds no lock and does at most one store call per step; not thread-safe.
class IdentityGuard {
 public:
  enum class State { Claiming, Held, Collision };

  IdentityGuard(LeaseStore& store, const Clock& clock, std::string key, std::string token,
                std::chrono::milliseconds ttl);

  /// Claims or renews the presence lease when it is time to; returns the state after it.
  State step();
  /// Gives the presence lease back (graceful stop), so a restart under the same id need not wait.
  void release();

  State state() const { return state_; }
  /// The presence lease key (`<lease key>:member:<id>`).
  const std::string& key() const { return key_; }
  /// The token of the other elector holding our id, once one was seen.
  const std::string& otherHolder() const { return otherHolder_; }
  /// When step() has something to do next.
  Clock::TimePoint wakeAt() const { return nextAction_; }
  /// Since when the presence calls have had no clear answer (nullopt while the store answers),
  /// and the latest such call's error.
  std::optional<Clock::TimePoint> failingSince() const { return failingSince_; }
  const std::string& lastError() const { return lastError_; }

 private:
  void claim(Clock::TimePoint now);
  void renew(Clock::TimePoint now);
  void noteAnswer(const LeaseResult& result, Clock::TimePoint now);

  LeaseStore& store_;
  const Clock& clock_;
  const std::string key_;
  const std::string token_;
  const std::chrono::milliseconds ttl_;
  const std::chrono::milliseconds interval_;
  State state_ = State::Claiming;
  /// Since when claims have found the lease held by another token (valid when refused_).
  Clock::TimePoint refusedSince_{};
  bool refused_ = false;
  std::string otherHolder_;
  Clock::TimePoint nextAction_{};
  std::optional<Clock::TimePoint> failingSince_;
  std::string lastError_;
};

}  // namespace elector
