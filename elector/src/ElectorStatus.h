#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "LatencyWindow.h"
#include "LeadershipServer.h"
#include "common/Clock.h"

namespace elector {

using common::Clock;

/// What does not change while the elector runs: shown at the top of its page.
struct StatusIdentity {
  std::string id;
  std::string backend;  ///< redis | kubernetes | file | static
  /// Where the backend is: "host:port" (redis), the URL (kubernetes), the lock file (file),
  /// "" (static).
  std::string address;
  std::string socketPath;
  std::chrono::milliseconds leaseTtl{0};
};

/// The in-memory state behind the elector's page (`/`) and `/health`: the daemon's loop writes
/// after each step, the HTTP threads take a snapshot. No call waits for the backend; the
/// socket clients are read from the LeadershipServer (its mutex only). Thread-safe.
///
/// The role shown is one of: "leader" (announced leader); "follower" (another replica holds the
/// lease, or the static role says so); "backend unreachable" (not leader, and the backend's
/// latest calls got no clear answer); "candidate" (not leader, backend answering, nobody known
/// to hold the lease: campaigning, waiting for a collector or checking the id).
class ElectorStatus {
 public:
  static constexpr std::size_t kLatencies = 20;    ///< round trips in the median
  static constexpr std::size_t kTransitions = 10;  ///< role changes kept

  struct Transition {
    Clock::TimePoint at{};
    std::string from;  ///< "" for the first role
    std::string to;
    std::string reason;
  };

  /// A consistent copy of the state at `now`; times are monotonic (Clock::steadyNow), `wallNow`
  /// is the wall clock at the same instant, for showing them.
  struct Snapshot {
    StatusIdentity identity;
    Clock::TimePoint now{};
    std::chrono::system_clock::time_point wallNow{};
    std::string role;
    bool leader = false;
    /// The token (or, static and kubernetes, the name) announced as holder; "" when unknown.
    std::string holder;
    /// The holder's replica id: the token without its random suffix (redis, file), else the
    /// holder itself; "" when unknown.
    std::string holderId;
    std::uint64_t epoch = 0;
    /// Lease time left at `now` while leader (redis, file, kubernetes); nullopt otherwise.
    std::optional<std::chrono::milliseconds> leaseRemaining;
    std::optional<Clock::TimePoint> lastAttempt;  ///< latest backend round trip sent
    std::optional<Clock::TimePoint> lastAnswer;   ///< latest one clearly answered
    /// Failing since (nullopt: answering); `error` the latest failure (kept after recovery,
    /// with `errorAt`, so the page can say what happened last).
    std::optional<Clock::TimePoint> failingSince;
    std::string error;
    std::optional<Clock::TimePoint> errorAt;
    std::optional<std::chrono::microseconds> latencyLast;
    std::optional<std::chrono::microseconds> latencyMedian;
    std::size_t latencySamples = 0;
    std::vector<LeadershipServer::ClientInfo> clients;
    std::vector<Transition> transitions;  ///< newest first
    /// UP: the elector can do its job (static role, or a backend that answers). DOWN: the
    /// backend's latest calls got no clear answer (`failingSince`, `error` say since when and
    /// why).
    bool up = true;
  };

  /// `clients` is called on every snapshot (LeadershipServer::clients); may be empty.
  /// `clock` must outlive this object.
  ElectorStatus(StatusIdentity identity, const Clock& clock,
                std::function<std::vector<LeadershipServer::ClientInfo>()> clients);

  /// The backend's state: failing since `since` (nullopt: answering), `error` the latest
  /// failure's message.
  void setBackend(std::optional<Clock::TimePoint> since, const std::string& error);
  /// One step that made backend calls: sent at `sentAt`, took `took`, and whether the backend
  /// answered clearly (`answeredAt` its send time, nullopt when it did not).
  void noteRoundTrip(Clock::TimePoint sentAt, std::chrono::microseconds took,
                     std::optional<Clock::TimePoint> answeredAt);
  /// The role just announced, with `reason` (a lower-case word, e.g. the election's reason) and,
  /// for a leader, the monotonic end of its lease. A change of the shown role is kept in the
  /// transitions ring. Call after setBackend() for the same step.
  void setRole(bool leader, std::uint64_t epoch, const std::string& holder,
               std::optional<Clock::TimePoint> leaseExpiresAt, const std::string& reason);

  Snapshot snapshot() const;

  /// A holder token's replica id: "<id>:<hex>" gives "<id>" (the id may itself hold ':'); a
  /// name without a hexadecimal suffix is returned whole. Pure.
  static std::string holderId(const std::string& holder);

 private:
  std::string shownRoleLocked() const;

  const StatusIdentity identity_;
  const Clock& clock_;
  const std::function<std::vector<LeadershipServer::ClientInfo>()> clients_;

  mutable std::mutex mutex_;  // everything below
  bool leader_ = false;
  std::uint64_t epoch_ = 0;
  std::string holder_;
  std::optional<Clock::TimePoint> leaseExpiresAt_;
  std::string role_;
  std::optional<Clock::TimePoint> lastAttempt_;
  std::optional<Clock::TimePoint> lastAnswer_;
  std::optional<Clock::TimePoint> failingSince_;
  std::string error_;
  std::optional<Clock::TimePoint> errorAt_;
  LatencyWindow latencies_{kLatencies};
  std::deque<Transition> transitions_;
};

}  // namespace elector
