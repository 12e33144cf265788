#include "ElectorStatus.h"

#include <algorithm>
#include <cctype>
#include <utility>

namespace elector {

ElectorStatus::ElectorStatus(StatusIdentity identity, const Clock& clock,
                             std::function<std::vector<LeadershipServer::ClientInfo>()> clients)
    : identity_(std::move(identity)), clock_(clock), clients_(std::move(clients)) {}

void ElectorStatus::setBackend(std::optional<Clock::TimePoint> since, const std::string& error) {
  const std::lock_guard<std::mutex> lock(mutex_);
  failingSince_ = since;
  if (since) {
    error_ = error.empty() ? "no answer" : error;
    errorAt_ = clock_.steadyNow();
  }
}

void ElectorStatus::noteRoundTrip(Clock::TimePoint sentAt, std::chrono::microseconds took,
                                  std::optional<Clock::TimePoint> answeredAt) {
  const std::lock_guard<std::mutex> lock(mutex_);
  lastAttempt_ = sentAt;
  if (answeredAt) {
    lastAnswer_ = answeredAt;
  }
  latencies_.add(took);
}

void ElectorStatus::setRole(bool leader, std::uint64_t epoch, const std::string& holder,
                            std::optional<Clock::TimePoint> leaseExpiresAt,
                            const std::string& reason) {
  const std::lock_guard<std::mutex> lock(mutex_);
  leader_ = leader;
  epoch_ = epoch;
  holder_ = holder;
  leaseExpiresAt_ = leader && identity_.backend != "static" ? leaseExpiresAt : std::nullopt;
  const std::string role = shownRoleLocked();
  if (role == role_) {
    return;
  }
  Transition transition;
  transition.at = clock_.steadyNow();
  transition.from = role_;
  transition.to = role;
  transition.reason = reason;
  if (role == "backend unreachable" && !error_.empty()) {
    transition.reason += ": " + error_;
  }
  transitions_.push_front(std::move(transition));
  if (transitions_.size() > kTransitions) {
    transitions_.pop_back();
  }
  role_ = role;
}

std::string ElectorStatus::shownRoleLocked() const {
  if (leader_) {
    return "leader";
  }
  if (identity_.backend == "static") {
    return "follower";
  }
  if (failingSince_) {
    return "backend unreachable";
  }
  return holder_.empty() ? "candidate" : "follower";
}

ElectorStatus::Snapshot ElectorStatus::snapshot() const {
  Snapshot snapshot;
  // Outside our lock: the server's mutex is never taken while ours is held.
  if (clients_) {
    snapshot.clients = clients_();
  }
  snapshot.identity = identity_;
  snapshot.now = clock_.steadyNow();
  snapshot.wallNow = clock_.systemNow();
  const std::lock_guard<std::mutex> lock(mutex_);
  snapshot.role = role_.empty() ? shownRoleLocked() : role_;
  snapshot.leader = leader_;
  snapshot.holder = holder_;
  // Only the redis and file backends announce tokens; the others announce the name itself.
  const bool tokens = identity_.backend == "redis" || identity_.backend == "file";
  snapshot.holderId = tokens ? holderId(holder_) : holder_;
  snapshot.epoch = epoch_;
  if (leaseExpiresAt_) {
    snapshot.leaseRemaining = std::max(
        std::chrono::milliseconds(0),
        std::chrono::duration_cast<std::chrono::milliseconds>(*leaseExpiresAt_ - snapshot.now));
  }
  snapshot.lastAttempt = lastAttempt_;
  snapshot.lastAnswer = lastAnswer_;
  snapshot.failingSince = failingSince_;
  snapshot.error = error_;
  snapshot.errorAt = errorAt_;
  snapshot.latencyLast = latencies_.last();
  snapshot.latencyMedian = latencies_.median();
  snapshot.latencySamples = latencies_.size();
  snapshot.transitions.assign(transitions_.begin(), transitions_.end());
  snapshot.up = identity_.backend == "static" || !failingSince_;
  return snapshot;
}

std::string ElectorStatus::holderId(const std::string& holder) {
  const std::size_t colon = holder.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == holder.size()) {
    return holder;
  }
  const bool hex =
      std::all_of(holder.begin() + static_cast<std::ptrdiff_t>(colon) + 1, holder.end(),
                  [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
  return hex ? holder.substr(0, colon) : holder;
}

}  // namespace elector
