#include "KubernetesElection.h"

#include <algorithm>
#include <utility>

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

namespace elector {
namespace {

Poco::Logger& logger() { return Poco::Logger::get("elector.kubernetes"); }

}  // namespace

const char* const KubernetesElection::kFailureKinds[7] = {"connect", "timeout", "slow",   "status",
                                                          "empty",   "parse",   "no_name"};

KubernetesElection::KubernetesElection(LeaderSource& source, const Clock& clock,
                                       KubernetesConfig config)
    : source_(source), clock_(clock), config_(std::move(config)) {
  using std::chrono::milliseconds;
  if (config_.me.empty()) {
    throw Poco::InvalidArgumentException("kubernetes: this replica's name must not be empty");
  }
  if (config_.pollInterval <= milliseconds::zero() ||
      config_.requestTimeout <= milliseconds::zero() || config_.lease <= milliseconds::zero()) {
    throw Poco::InvalidArgumentException("kubernetes: durations must be positive");
  }
  nextPoll_ = clock_.steadyNow();
}

std::string KubernetesElection::classify(const LeaderAnswer& answer,
                                         std::chrono::nanoseconds elapsed,
                                         std::string& name) const {
  if (!answer.received) {
    return answer.timedOut ? "timeout" : "connect";
  }
  if (elapsed > config_.requestTimeout) {
    return "slow";  // the sidecar may have lost its lease while we waited
  }
  if (answer.status != 200) {
    return "status";
  }
  if (answer.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return "empty";
  }
  try {
    Poco::JSON::Parser parser;
    const Poco::Dynamic::Var parsed = parser.parse(answer.body);
    const Poco::JSON::Object::Ptr& object = parsed.extract<Poco::JSON::Object::Ptr>();
    if (object.isNull()) {
      return "parse";
    }
    const Poco::Dynamic::Var value = object->get("name");
    if (value.isEmpty() || !value.isString()) {
      return "no_name";
    }
    name = value.extract<std::string>();
  } catch (const Poco::Exception&) {
    return "parse";  // not JSON, or JSON but not an object
  }
  return name.empty() ? "no_name" : "";
}

Decision KubernetesElection::step() {
  const Clock::TimePoint t0 = clock_.steadyNow();
  LeaderAnswer answer;
  try {
    answer = source_.fetch();
  } catch (const std::exception& error) {
    answer = LeaderAnswer{};  // a source that broke its contract fails closed like any error
    answer.error = error.what();
  }
  const Clock::TimePoint t1 = clock_.steadyNow();
  std::string name;
  const std::string kind = classify(answer, t1 - t0, name);
  if (kind.empty()) {
    if (!failure_.empty()) {
      logger().information("event=sidecar_ok name=\"%s\"", name);
    }
    failure_.clear();
    failingSince_.reset();
    // t0, not t1: the answer describes some moment after we asked, so leadership is counted
    // from the earliest time it can refer to.
    lastGood_ = t0;
    holder_ = name;
    const bool wasNamed = named_;
    named_ = name == config_.me;
    if (named_ && !wasNamed) {
      const auto wallMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                              clock_.systemNow().time_since_epoch())
                              .count();
      epoch_ = std::max<std::int64_t>(wallMs, epoch_ + 1);
      reason_ = Reason::Acquired;
    } else if (named_) {
      reason_ = Reason::Renewed;
    } else {
      reason_ = wasNamed ? Reason::Lost : Reason::HeldByOther;
    }
  } else {
    if (kind != failure_) {
      logger().warning("event=sidecar_failed kind=%s status=%d error=\"%s\"", kind, answer.status,
                       answer.error);
    }
    failure_ = kind;
    if (!failingSince_) {
      failingSince_ = t0;
    }
    named_ = false;  // fail closed at once
    holder_.clear();
    reason_ = Reason::StoreException;
  }
  nextPoll_ = std::max(t0 + config_.pollInterval, t1);
  Decision decision = current();
  if (decision.role != lastRole_) {
    lastRole_ = decision.role;
    ++transitions_;
    logger().information("event=leadership_change role=%s epoch=%?d reason=%s",
                         std::string(decision.role == Role::Leader ? "leader" : "follower"),
                         decision.epoch, std::string(kind.empty() ? reasonName(reason_) : kind));
  }
  return decision;
}

bool KubernetesElection::leaderAt(Clock::TimePoint now) const {
  return named_ && lastGood_ && now < *lastGood_ + config_.lease;
}

Decision KubernetesElection::current() const {
  const Clock::TimePoint now = clock_.steadyNow();
  Decision decision;
  const bool leader = leaderAt(now);
  decision.role = leader ? Role::Leader : Role::Follower;
  decision.epoch = epoch_;
  decision.holder = holder_;
  decision.reason = reason_;
  if (leader) {
    decision.leaseExpiresAt = *lastGood_ + config_.lease;
    decision.wakeAt = std::min(nextPoll_, decision.leaseExpiresAt);
  } else {
    if (named_) {
      decision.reason = Reason::DeadlinePassed;  // stale: no good answer for a whole lease
    }
    decision.wakeAt = nextPoll_;
  }
  return decision;
}

std::chrono::milliseconds KubernetesElection::failingFor() const {
  if (!failingSince_) {
    return std::chrono::milliseconds::zero();
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.steadyNow() - *failingSince_);
}

}  // namespace elector
