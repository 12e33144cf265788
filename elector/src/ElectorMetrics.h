#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "common/Clock.h"

namespace elector {

using common::Clock;

/// The elector's own state for /metrics and /healthz: role, epoch, transitions, the duration of
/// each backend round trip, errors by kind and how long the backend has been failing. The daemon
/// loop writes, the HTTP threads read. The metrics live in a prometheus-cpp registry; the state
/// behind /healthz under one mutex. Thread-safe.
class ElectorMetrics {
 public:
  /// Upper bounds of the elector_renew_duration_seconds buckets (+Inf is implied).
  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1.0,  2.5,   5.0};

  /// `backend` is shown by /healthz; `errorKinds` are exported at 0 from the start (a series
  /// that appears only on the first error breaks rate()). `socketClients` is called on every
  /// render for elector_socket_clients.
  ElectorMetrics(std::string backend, const std::vector<std::string>& errorKinds,
                 std::function<std::size_t()> socketClients);

  /// Records the role now announced; a change of role counts one transition.
  void setRole(bool leader, std::uint64_t epoch, const std::string& holder);
  /// One backend round trip (acquire, renew or poll) that took `seconds`.
  void observeRenew(double seconds);
  /// One error of `kind` (a new kind gets its own series).
  void countError(const std::string& kind);
  /// Whether the latest backend round trip worked, at monotonic time `now`.
  void noteBackend(bool ok, Clock::TimePoint now);
  /// The backend's state as the election tracks it: failing since `since` (nullopt: answering),
  /// `error` the latest failure. Replaces what noteBackend() recorded.
  void setBackendFailing(std::optional<Clock::TimePoint> since, const std::string& error);
  /// Whether a collector is connected (nullopt) or since when none has been; only backends that
  /// stop campaigning without a collector (redis, file) call it, and only they show it.
  void setCollector(std::optional<Clock::TimePoint> absentSince);

  /// The metrics in the Prometheus text format 0.0.4, written by prometheus::TextSerializer
  /// (counters, then gauges, then the histogram).
  std::string render() const;

  struct Health {
    bool healthy = true;  ///< false once the backend has failed for longer than the lease
    bool leader = false;
    std::string backend;
    std::string holder;
    std::uint64_t epoch = 0;
    std::chrono::milliseconds failingFor{0};
    /// "connected" or "absent" for the redis and file backends, "" for the others.
    std::string collector;
    /// Why the status is what it is ("backend failing for 3.2 s: …", "no collector connected
    /// for 4.0 s; not campaigning"); "" when there is nothing to say.
    std::string detail;
  };
  /// The health at `now`: unhealthy when the backend has been failing for more than `lease`.
  Health health(Clock::TimePoint now, std::chrono::milliseconds lease) const;

 private:
  const std::string backend_;
  const std::function<std::size_t()> socketClients_;
  prometheus::Registry registry_;
  prometheus::Gauge& isLeader_;
  prometheus::Gauge& epochGauge_;
  prometheus::Counter& transitions_;
  prometheus::Histogram& renewDuration_;
  prometheus::Family<prometheus::Counter>& errors_;
  prometheus::Gauge& socketClientsGauge_;
  prometheus::Gauge& collectorConnected_;
  prometheus::Gauge& backendUp_;

  mutable std::mutex mutex_;  // the state below
  bool leader_ = false;
  std::uint64_t epoch_ = 0;
  std::string holder_;
  std::optional<Clock::TimePoint> failingSince_;
  std::string backendError_;
  bool collectorTracked_ = false;
  std::optional<Clock::TimePoint> collectorAbsentSince_;
};

}  // namespace elector
