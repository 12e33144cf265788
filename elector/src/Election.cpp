#include "Election.h"

#include <algorithm>
#include <memory>
#include <random>
#include <sstream>
#include <utility>

#include <Poco/Exception.h>
#include <Poco/Logger.h>

namespace elector {

namespace {

Poco::Logger& logger() { return Poco::Logger::get("elector.election"); }

// One generator shared by the default jitter and token sources of an Election.
std::shared_ptr<std::mt19937_64> seededGenerator() {
  std::random_device device;
  std::seed_seq seed{device(), device(), device(), device(),
                     device(), device(), device(), device()};
  return std::make_shared<std::mt19937_64>(seed);
}

}  // namespace

const char* reasonName(Reason reason) {
  switch (reason) {
    case Reason::Started:
      return "started";
    case Reason::Acquired:
      return "acquired";
    case Reason::HeldByOther:
      return "held_by_other";
    case Reason::AcquireUnknown:
      return "acquire_unknown";
    case Reason::Renewed:
      return "renewed";
    case Reason::RenewUnknown:
      return "renew_unknown";
    case Reason::ResolvedHeld:
      return "resolved_held";
    case Reason::ResolvedLost:
      return "resolved_lost";
    case Reason::ResolveUnknown:
      return "resolve_unknown";
    case Reason::Lost:
      return "lost";
    case Reason::DeadlinePassed:
      return "deadline_passed";
    case Reason::BackoffOver:
      return "backoff_over";
    case Reason::Released:
      return "released";
    case Reason::Stopped:
      return "stopped";
    case Reason::StoreException:
      return "store_exception";
    case Reason::NoCollector:
      return "no_collector";
    case Reason::ObserveUnknown:
      return "observe_unknown";
    case Reason::kCount:
      break;
  }
  return "unknown";
}

Election::Election(LeaseStore& store, const Clock& clock, ElectionConfig config,
                   std::function<double()> random01, std::function<std::string()> newToken)
    : store_(store),
      clock_(clock),
      config_(std::move(config)),
      random01_(std::move(random01)),
      newToken_(std::move(newToken)) {
  using std::chrono::milliseconds;
  if (config_.renewInterval == milliseconds::zero()) {
    config_.renewInterval = config_.ttl / 3;
  }
  if (config_.flapBackoff == milliseconds::zero()) {
    config_.flapBackoff = config_.ttl;
  }
  if (config_.collectorGrace == milliseconds::zero()) {
    config_.collectorGrace = config_.ttl;
  }
  if (config_.collectorGrace < milliseconds::zero()) {
    throw Poco::InvalidArgumentException("election: collector grace must be >= 0");
  }
  if (config_.ttl <= config_.margin || config_.margin < milliseconds::zero()) {
    throw Poco::InvalidArgumentException("election: ttl must be greater than margin (>= 0)");
  }
  if (config_.renewInterval <= milliseconds::zero() ||
      config_.renewInterval >= config_.ttl - config_.margin) {
    throw Poco::InvalidArgumentException("election: renew interval must be in (0, ttl - margin)");
  }
  if (config_.retryInterval <= milliseconds::zero() || config_.jitter < 0.0 ||
      config_.jitter >= 1.0) {
    throw Poco::InvalidArgumentException("election: retry interval > 0 and jitter in [0, 1)");
  }
  if (!random01_ || !newToken_) {
    auto generator = seededGenerator();
    if (!random01_) {
      random01_ = [generator] {
        return std::uniform_real_distribution<double>(0.0, 1.0)(*generator);
      };
    }
    if (!newToken_) {
      const std::string prefix = config_.nodeId;
      newToken_ = [generator, prefix] {
        // 20 random bytes as hex, after the node id, as the Redis lock doc suggests.
        std::ostringstream out;
        out << prefix << ':' << std::hex;
        for (int i = 0; i < 5; ++i) {
          out << static_cast<std::uint32_t>((*generator)() & 0xffffffffU);
        }
        return out.str();
      };
    }
  }
  nextAction_ = clock_.steadyNow();
  note(Reason::Started);
}

Decision Election::step() {
  if (state_ != State::Stopped) {
    // Each round does at most one store call; a few rounds let "renew → unknown → resolve" finish
    // in one step while a stuck store still returns control to the caller.
    for (int round = 0; round < 4; ++round) {
      if (!actOnce(clock_.steadyNow())) {
        break;
      }
    }
  }
  Decision decision = current();
  if (decision.role != lastRole_) {
    lastRole_ = decision.role;
    ++transitions_;
    logger().information("event=leadership_change role=%s epoch=%?d reason=%s",
                         std::string(decision.role == Role::Leader ? "leader" : "follower"),
                         decision.epoch, std::string(reasonName(decision.reason)));
  }
  return decision;
}

bool Election::actOnce(Clock::TimePoint now) {
  if ((state_ == State::Leader || state_ == State::Resolving) && now >= deadline_) {
    loseLeadership(now, Reason::DeadlinePassed, true);
    return false;
  }
  if ((state_ == State::Leader || state_ == State::Resolving) && clockWentBack(now)) {
    // The renew is scheduled by the same clock, so it would not come before the old deadline
    // either: without this the leader would claim the lease for as long as the clock went
    // back, long after the store expired it (F-22).
    logger().warning("event=clock_went_back key=%s lease_left_ms=%?d max_ms=%?d", config_.key,
                     std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - now).count(),
                     (config_.ttl - config_.margin).count());
    loseLeadership(now, Reason::DeadlinePassed, true);
    return false;
  }
  if ((state_ == State::Leader || state_ == State::Resolving) && collectorAway(now)) {
    // Leading is worth nothing without a collector to write: give the lease to a replica that
    // has one instead of renewing it for nobody.
    logger().warning(
        "event=collector_gone key=%s epoch=%?d away_ms=%?d", config_.key, epoch_,
        std::chrono::duration_cast<std::chrono::milliseconds>(now - *collectorAbsentSince_)
            .count());
    loseLeadership(now, Reason::NoCollector, true);
    return false;
  }
  if (now < nextAction_) {
    return false;
  }
  switch (state_) {
    case State::Candidate:
      if (acquirePending_) {
        resolvePendingAcquire(now);
      } else if (collectorAbsentSince_) {
        observeHolder(now);  // no collector: do not campaign, only keep the holder known
      } else {
        attemptAcquire(now);
      }
      return true;
    case State::Leader:
      renewLease(now);
      return true;
    case State::Resolving:
      resolveRenew(now);
      return true;
    case State::Backoff:
      state_ = State::Candidate;
      note(Reason::BackoffOver);
      return true;
    case State::Stopped:
      return false;
  }
  return false;
}

void Election::attemptAcquire(Clock::TimePoint now) {
  token_ = newToken_();
  acquireT0_ = now;  // before sending: the lease cannot have started earlier
  const LeaseResult result =
      guarded([this] { return store_.tryAcquire(config_.key, token_, config_.ttl); });
  switch (result.outcome) {
    case LeaseResult::Ok:
      becomeLeader(acquireT0_, result.epoch, Reason::Acquired);
      return;
    case LeaseResult::NotHeld:
      holder_ = result.holder.value_or("");
      note(Reason::HeldByOther);
      scheduleRetry(now);
      return;
    case LeaseResult::Unknown:
      // The SET may have run: the key may be ours. Not leader until holder() says so (I6).
      acquirePending_ = true;
      note(Reason::AcquireUnknown);
      logger().warning("event=acquire_unknown key=%s error=\"%s\"", config_.key, result.error);
      scheduleRetry(now);
      return;
  }
}

void Election::resolvePendingAcquire(Clock::TimePoint now) {
  const LeaseResult result = guarded([this] { return store_.holder(config_.key); });
  if (result.outcome != LeaseResult::Ok) {
    note(Reason::ResolveUnknown);
    scheduleRetry(now);
    return;
  }
  acquirePending_ = false;
  if (result.holder && *result.holder == token_) {
    // Our SET ran, and since the key still holds our unique token no acquisition came after it,
    // so the counter read in the same step is our epoch. The lease is confirmed only from the
    // acquire's t0; renew at once to extend it.
    becomeLeader(acquireT0_, result.epoch, Reason::ResolvedHeld);
    nextAction_ = now;
    return;
  }
  holder_ = result.holder.value_or("");
  note(Reason::ResolvedLost);
  if (result.holder) {
    scheduleRetry(now);
  } else {
    nextAction_ = now;
  }
}

void Election::observeHolder(Clock::TimePoint now) {
  const LeaseResult result = guarded([this] { return store_.holder(config_.key); });
  if (result.outcome == LeaseResult::Ok) {
    holder_ = result.holder.value_or("");
    reason_ = Reason::NoCollector;  // not counted: this is the waiting, not an event
  } else {
    note(Reason::ObserveUnknown);
  }
  scheduleRetry(now);
}

void Election::renewLease(Clock::TimePoint now) {
  const Clock::TimePoint t0 = now;
  const LeaseResult result =
      guarded([this] { return store_.renew(config_.key, token_, config_.ttl); });
  switch (result.outcome) {
    case LeaseResult::Ok:
      deadline_ = t0 + config_.ttl - config_.margin;
      nextAction_ = t0 + config_.renewInterval;
      note(Reason::Renewed);
      return;
    case LeaseResult::NotHeld:
      holder_.clear();
      loseLeadership(now, Reason::Lost, false);
      return;
    case LeaseResult::Unknown:
      // Still leader until the deadline of the last confirmed renew, no longer (I5).
      state_ = State::Resolving;
      note(Reason::RenewUnknown);
      logger().warning("event=renew_unknown key=%s error=\"%s\"", config_.key, result.error);
      nextAction_ = now;
      return;
  }
}

void Election::resolveRenew(Clock::TimePoint now) {
  const LeaseResult result = guarded([this] { return store_.holder(config_.key); });
  if (result.outcome != LeaseResult::Ok) {
    note(Reason::ResolveUnknown);
    nextAction_ = std::min(now + config_.retryInterval, deadline_);
    return;
  }
  if (result.holder && *result.holder == token_) {
    // Still ours, but whether the TTL was extended is unknown: keep the old deadline and renew.
    state_ = State::Leader;
    note(Reason::ResolvedHeld);
    nextAction_ = now;
    return;
  }
  holder_ = result.holder.value_or("");
  loseLeadership(now, Reason::ResolvedLost, false);
}

void Election::becomeLeader(Clock::TimePoint t0, std::int64_t epoch, Reason reason) {
  state_ = State::Leader;
  epoch_ = epoch;
  holder_ = token_;
  deadline_ = t0 + config_.ttl - config_.margin;
  nextAction_ = t0 + config_.renewInterval;
  note(reason);
}

void Election::loseLeadership(Clock::TimePoint now, Reason reason, bool mayHoldKey) {
  note(reason);
  if (mayHoldKey) {
    // Best effort: frees the key for the others now instead of at expiry. Compare-token, so it
    // cannot delete someone else's lease.
    const LeaseResult result = guarded([this] { return store_.release(config_.key, token_); });
    if (result.outcome == LeaseResult::Ok) {
      note(Reason::Released);
    }
    holder_.clear();
  }
  logger().warning("event=leadership_lost key=%s epoch=%?d reason=%s", config_.key, epoch_,
                   std::string(reasonName(reason)));
  reason_ = reason;
  state_ = State::Backoff;
  deadline_ = {};
  nextAction_ = now + config_.flapBackoff;
}

void Election::stop() {
  if (state_ == State::Stopped) {
    return;
  }
  if (state_ == State::Leader || state_ == State::Resolving || acquirePending_) {
    const LeaseResult result = guarded([this] { return store_.release(config_.key, token_); });
    if (result.outcome == LeaseResult::Ok) {
      note(Reason::Released);
    }
  }
  acquirePending_ = false;
  state_ = State::Stopped;
  deadline_ = {};
  note(Reason::Stopped);
  if (lastRole_ == Role::Leader) {
    lastRole_ = Role::Follower;
    ++transitions_;
    logger().information("event=leadership_change role=follower epoch=%?d reason=stopped", epoch_);
  }
}

void Election::setCollector(std::optional<Clock::TimePoint> absentSince) {
  const bool wasAway = collectorAbsentSince_.has_value();
  collectorAbsentSince_ = absentSince;
  if (wasAway == absentSince.has_value()) {
    return;
  }
  if (absentSince) {
    logger().information("event=collector_absent key=%s grace_ms=%?d", config_.key,
                         config_.collectorGrace.count());
    return;
  }
  logger().information("event=collector_present key=%s", config_.key);
  if (state_ == State::Candidate && !acquirePending_) {
    nextAction_ = std::min(nextAction_, clock_.steadyNow());  // campaign at once
  }
}

Decision Election::current() const {
  const Clock::TimePoint now = clock_.steadyNow();
  Decision decision;
  const bool leader = leaderAt(now);
  decision.role = leader ? Role::Leader : Role::Follower;
  decision.epoch = epoch_;
  decision.holder = leader ? token_ : holder_;
  if (!leader && storeFailingSince_ && (!lastAnswerAt_ || now - *lastAnswerAt_ > config_.ttl)) {
    // Any lease the store last showed has expired by now unless renewed where we cannot see:
    // naming its holder would be a guess.
    decision.holder.clear();
  }
  decision.leaseExpiresAt = leader ? deadline_ : Clock::TimePoint{};
  decision.reason = reason_;
  if (!leader && (state_ == State::Leader || state_ == State::Resolving)) {
    decision.reason = Reason::DeadlinePassed;  // step() has not run since the deadline
  }
  decision.wakeAt = wakeAt();
  return decision;
}

void Election::scheduleRetry(Clock::TimePoint now) {
  const double factor = 1.0 + config_.jitter * (2.0 * random01_() - 1.0);
  const auto delay = std::chrono::duration_cast<Clock::TimePoint::duration>(
      std::chrono::duration<double, std::milli>(static_cast<double>(config_.retryInterval.count()) *
                                                factor));
  nextAction_ = now + delay;
}

void Election::note(Reason reason) {
  ++counts_.at(static_cast<std::size_t>(reason));
  reason_ = reason;
}

LeaseResult Election::guarded(const std::function<LeaseResult()>& call) {
  const Clock::TimePoint t0 = clock_.steadyNow();
  ++storeCalls_;
  LeaseResult result;
  try {
    result = call();
  } catch (const std::exception& e) {
    // The store broke its contract; an exception is an ambiguous outcome like any other.
    note(Reason::StoreException);
    result = LeaseResult{};
    result.error = e.what();
  }
  noteStore(result, t0);
  return result;
}

void Election::noteStore(const LeaseResult& result, Clock::TimePoint t0) {
  if (result.outcome == LeaseResult::Ok || result.outcome == LeaseResult::NotHeld) {
    lastAnswerAt_ = t0;
    storeFailingSince_.reset();
    return;
  }
  if (!storeFailingSince_) {
    storeFailingSince_ = t0;
  }
  lastStoreError_ = result.error.empty() ? "no answer" : result.error;
}

bool Election::collectorAway(Clock::TimePoint now) const {
  return collectorAbsentSince_ && now - *collectorAbsentSince_ >= config_.collectorGrace;
}

bool Election::leaderAt(Clock::TimePoint now) const {
  return (state_ == State::Leader || state_ == State::Resolving) && now < deadline_ &&
         !clockWentBack(now);
}

bool Election::clockWentBack(Clock::TimePoint now) const {
  // deadline_ = t0 + ttl − margin with t0 ≤ now on a monotonic clock: more lease left than
  // that means the clock moved backwards (libfaketime, a time namespace, a broken clock source).
  return deadline_ - now > config_.ttl - config_.margin;
}

Clock::TimePoint Election::wakeAt() const {
  if (state_ == State::Stopped) {
    return Clock::TimePoint::max();
  }
  if (state_ == State::Leader || state_ == State::Resolving) {
    const Clock::TimePoint wake = std::min(nextAction_, deadline_);
    return collectorAbsentSince_ ? std::min(wake, *collectorAbsentSince_ + config_.collectorGrace)
                                 : wake;
  }
  return nextAction_;
}

}  // namespace elector
