#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "Election.h"
#include "LeaderSource.h"
#include "common/Clock.h"

namespace elector {

using common::Clock;

/// Settings of the kubernetes backend.
struct KubernetesConfig {
  /// This replica's name as the sidecar reports it (POD_NAME, else --id, else the hostname).
  std::string me;
  /// How often the sidecar is asked.
  std::chrono::milliseconds pollInterval{1000};
  /// An answer that took longer than this is not trusted (the sidecar may have lost its lease
  /// while we waited).
  std::chrono::milliseconds requestTimeout{1000};
  /// Leadership lasts at most this long after the start of the last good answer naming us, and
  /// the backend counts as failing (healthz 503) once it has failed for this long.
  std::chrono::milliseconds lease{10000};
};

/// Follows the old `leader-elector` sidecar (GET → `{"name":"<pod>"}`): this replica leads iff
/// the latest answer, good and fast, names it. Fails closed: a refused or slow request, a non-200
/// status, an empty or malformed body or a missing name makes it a follower at once, and a
/// leader whose last good answer is older than the lease is a follower even before the next poll.
///
/// Epoch: the protocol has no counter, so a new leadership takes the wall-clock milliseconds
/// (Clock::systemNow) at the moment this replica saw itself named, raised to at least the
/// previous epoch + 1. With sane clocks that is larger than any earlier leader's epoch (that
/// leader became leader earlier); a clock that is behind is covered by the collector's fence,
/// which writes max(token, head epoch + 1). A count of answer changes would not do: each replica
/// counts only what it saw.
///
/// A sidecar that keeps answering our name after losing its own lease (leader-elector 0.5,
/// kubernetes-retired/contrib#690) cannot be detected from this protocol; the inventory fence
/// is what keeps two such leaders safe.
///
/// Owns no thread and does not sleep; the caller's loop calls step() at `wakeAt`. Not
/// thread-safe.
class KubernetesElection {
 public:
  /// Throws Poco::InvalidArgumentException when `config` has an empty name or a non-positive
  /// duration.
  KubernetesElection(LeaderSource& source, const Clock& clock, KubernetesConfig config);

  KubernetesElection(const KubernetesElection&) = delete;
  KubernetesElection& operator=(const KubernetesElection&) = delete;

  /// Asks the sidecar once and returns the decision. Never throws for sidecar trouble.
  Decision step();

  /// The decision as of the clock's now, without asking: a leader whose last good answer is
  /// older than the lease is reported as follower.
  Decision current() const;

  /// Why the last answer was not used: "connect", "timeout", "slow", "status", "empty",
  /// "parse", "no_name"; empty after a good answer.
  const std::string& failure() const { return failure_; }

  /// How long the sidecar has been failing (zero when the last answer was good).
  std::chrono::milliseconds failingFor() const;

  /// Number of role changes so far.
  std::uint64_t transitions() const { return transitions_; }

  /// Every failure kind failure() can return, for pre-declaring metric labels.
  static const char* const kFailureKinds[7];

 private:
  /// Classifies one answer: "" and `name` set when usable, else the failure kind.
  std::string classify(const LeaderAnswer& answer, std::chrono::nanoseconds elapsed,
                       std::string& name) const;
  bool leaderAt(Clock::TimePoint now) const;

  LeaderSource& source_;
  const Clock& clock_;
  KubernetesConfig config_;

  bool named_ = false;  ///< The last good answer named us.
  std::string holder_;  ///< Name in the last good answer; empty after a failure.
  std::int64_t epoch_ = 0;
  Reason reason_ = Reason::Started;
  std::string failure_;
  std::optional<Clock::TimePoint> lastGood_;  ///< t0 of the last good answer.
  std::optional<Clock::TimePoint> failingSince_;
  Clock::TimePoint nextPoll_{};
  Role lastRole_ = Role::Follower;
  std::uint64_t transitions_ = 0;
};

}  // namespace elector
