#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "LeaseStore.h"
#include "common/Clock.h"

namespace elector {

using common::Clock;

/// Settings of one election. Durations are milliseconds; zero means "derive the default".
struct ElectionConfig {
  /// The lease key in the store.
  std::string key = "promsnmp:leader";
  /// Shown to others as the prefix of this node's token ("<nodeId>:<random hex>").
  std::string nodeId = "node";
  /// Lease time-to-live sent with every acquire and renew.
  std::chrono::milliseconds ttl{10000};
  /// Renew period; 0 → ttl / 3.
  std::chrono::milliseconds renewInterval{0};
  /// Leadership ends at t0 + ttl − margin, t0 taken before the last confirmed acquire or renew
  /// was sent. Covers the round trip and clock-rate drift between this host and the store.
  std::chrono::milliseconds margin{1000};
  /// Candidates retry every retryInterval ± jitter × retryInterval.
  std::chrono::milliseconds retryInterval{1000};
  double jitter = 0.2;
  /// After losing leadership, no acquisition attempt for this long; 0 → ttl (flapping guard).
  std::chrono::milliseconds flapBackoff{0};
  /// A leader whose collector has been away for this long gives the lease up; 0 → ttl.
  std::chrono::milliseconds collectorGrace{0};
};

enum class Role { Follower, Leader };

/// Why the decision is what it is; also the index of the event counters.
enum class Reason {
  Started,
  Acquired,
  HeldByOther,
  AcquireUnknown,
  Renewed,
  RenewUnknown,
  ResolvedHeld,
  ResolvedLost,
  ResolveUnknown,
  Lost,
  DeadlinePassed,
  BackoffOver,
  Released,
  Stopped,
  StoreException,
  /// No collector connected: a leader gave the lease up after the grace, a follower waits.
  NoCollector,
  /// A follower without a collector could not read the holder.
  ObserveUnknown,
  kCount
};

/// Stable lower-case name of a reason, for logs and metric labels.
const char* reasonName(Reason reason);

/// What the node should believe now.
struct Decision {
  Role role = Role::Follower;
  /// Fencing token of the current (or last) leadership; 0 before any.
  std::int64_t epoch = 0;
  /// The token believed to hold the lease (our own when leader); empty when unknown, which
  /// includes a follower whose store has not answered for longer than the ttl.
  std::string holder;
  /// Monotonic end of leadership (t0 + ttl − margin); meaningful when role == Leader.
  Clock::TimePoint leaseExpiresAt{};
  Reason reason = Reason::Started;
  /// When the caller should call step() next (never later than leaseExpiresAt while leader).
  Clock::TimePoint wakeAt{};
};

/// The leader-election state machine. It owns no thread, does not sleep and does no I/O of its
/// own: the caller's loop calls step() at (or after) `wakeAt`, and the store calls happen inside
/// step(). Time comes only from the injected Clock; t0 of every acquire/renew is read right before
/// the call, and the returned role is evaluated after the calls, so a slow store shortens
/// leadership rather than stretching it (fail closed, I5). An Unknown outcome is resolved only by
/// `holder() == token`, never assumed (I6).
///
/// Not thread-safe: one caller thread drives it.
class Election {
 public:
  /// `random01` returns uniform numbers in [0, 1) (jitter); `newToken` returns a fresh unique
  /// token. Both default to std::random_device-seeded generators.
  Election(LeaseStore& store, const Clock& clock, ElectionConfig config,
           std::function<double()> random01 = {}, std::function<std::string()> newToken = {});

  Election(const Election&) = delete;
  Election& operator=(const Election&) = delete;

  /// Does whatever is due (acquire, renew, resolve, give up) and returns the decision. Never
  /// throws for store trouble.
  Decision step();

  /// The decision as of the clock's now, with no store call: a leader past its deadline is
  /// reported as follower even if step() has not run yet.
  Decision current() const;

  /// Gives up the lease (compare-token release) if we may hold it; afterwards step() does nothing.
  void stop();

  /// Tells the election whether a collector is connected and ready to act on leadership:
  /// nullopt when one is, else the monotonic time since which none has been. Without a
  /// collector a follower does not campaign (it only reads the holder), and a leader gives the
  /// lease up (compare-token release) once none has been connected for `collectorGrace`, so
  /// another replica with a live collector can lead. Until the first call a collector is
  /// assumed present. A collector coming back makes a waiting candidate try at once.
  void setCollector(std::optional<Clock::TimePoint> absentSince);

  /// Since when store calls have failed (no clear answer) without a clear answer since;
  /// nullopt while the store answers. `lastStoreError()` is the latest failure's message.
  std::optional<Clock::TimePoint> storeFailingSince() const { return storeFailingSince_; }
  const std::string& lastStoreError() const { return lastStoreError_; }
  /// Store calls made so far (a step that made none leaves it unchanged), and the monotonic
  /// time the latest clearly answered call was sent (nullopt before any): for the status page.
  std::uint64_t storeCalls() const { return storeCalls_; }
  std::optional<Clock::TimePoint> lastAnswerAt() const { return lastAnswerAt_; }

  /// Event counts since construction, and the number of role changes (for metrics).
  std::uint64_t count(Reason reason) const { return counts_.at(static_cast<std::size_t>(reason)); }
  std::uint64_t transitions() const { return transitions_; }

  const ElectionConfig& config() const { return config_; }

 private:
  enum class State { Candidate, Leader, Resolving, Backoff, Stopped };

  bool actOnce(Clock::TimePoint now);
  void attemptAcquire(Clock::TimePoint now);
  void resolvePendingAcquire(Clock::TimePoint now);
  void renewLease(Clock::TimePoint now);
  void resolveRenew(Clock::TimePoint now);
  void becomeLeader(Clock::TimePoint t0, std::int64_t epoch, Reason reason);
  void loseLeadership(Clock::TimePoint now, Reason reason, bool mayHoldKey);
  void observeHolder(Clock::TimePoint now);
  void scheduleRetry(Clock::TimePoint now);
  void note(Reason reason);
  /// Records whether a store call sent at `t0` was answered clearly (Ok or NotHeld).
  void noteStore(const LeaseResult& result, Clock::TimePoint t0);
  bool collectorAway(Clock::TimePoint now) const;
  LeaseResult guarded(const std::function<LeaseResult()>& call);
  bool leaderAt(Clock::TimePoint now) const;
  /// True when the lease left at `now` exceeds what any renew grants (ttl − margin): the
  /// steady clock went backwards, and the deadline no longer bounds the lease.
  bool clockWentBack(Clock::TimePoint now) const;
  Clock::TimePoint wakeAt() const;

  LeaseStore& store_;
  const Clock& clock_;
  ElectionConfig config_;
  std::function<double()> random01_;
  std::function<std::string()> newToken_;

  State state_ = State::Candidate;
  Role lastRole_ = Role::Follower;
  Reason reason_ = Reason::Started;
  std::string token_;
  std::string holder_;
  std::int64_t epoch_ = 0;
  bool acquirePending_ = false;  // an Unknown acquire not resolved yet
  Clock::TimePoint acquireT0_{};
  Clock::TimePoint deadline_{};
  Clock::TimePoint nextAction_{};
  std::optional<Clock::TimePoint> collectorAbsentSince_;  // nullopt: a collector is connected
  std::optional<Clock::TimePoint> lastAnswerAt_;          // t0 of the last clear store answer
  std::optional<Clock::TimePoint> storeFailingSince_;
  std::string lastStoreError_;
  std::array<std::uint64_t, static_cast<std::size_t>(Reason::kCount)> counts_{};
  std::uint64_t transitions_ = 0;
  std::uint64_t storeCalls_ = 0;
};

}  // namespace elector
