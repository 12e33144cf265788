#include "ElectorMetrics.h"

#include <cstdio>
#include <utility>

#include <prometheus/text_serializer.h>

namespace elector {
namespace {

/// "3.2 s" for 3200 ms.
std::string seconds(std::chrono::milliseconds ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(ms.count()) / 1000.0);
  return text;
}

prometheus::Gauge& gauge(prometheus::Registry& registry, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

}  // namespace

ElectorMetrics::ElectorMetrics(std::string backend, const std::vector<std::string>& errorKinds,
                               std::function<std::size_t()> socketClients)
    : backend_(std::move(backend)),
      socketClients_(std::move(socketClients)),
      isLeader_(
          gauge(registry_, "elector_is_leader", "1 when this replica is announced as the leader.")),
      epochGauge_(gauge(registry_, "elector_epoch",
                        "Fencing epoch of the current or last leadership (0 before any).")),
      transitions_(prometheus::BuildCounter()
                       .Name("elector_transitions_total")
                       .Help("Changes of the announced role.")
                       .Register(registry_)
                       .Add({})),
      renewDuration_(
          prometheus::BuildHistogram()
              .Name("elector_renew_duration_seconds")
              .Help("Duration of each backend round trip (acquire, renew or poll).")
              .Register(registry_)
              .Add({}, prometheus::Histogram::BucketBoundaries(kBuckets.begin(), kBuckets.end()))),
      errors_(prometheus::BuildCounter()
                  .Name("elector_errors_total")
                  .Help("Backend errors by kind.")
                  .Register(registry_)),
      socketClientsGauge_(gauge(registry_, "elector_socket_clients",
                                "Clients connected to the leadership socket.")),
      collectorConnected_(gauge(registry_, "elector_collector_connected",
                                "1 while a collector is connected to the leadership socket (redis "
                                "and file backends campaign only then).")),
      backendUp_(gauge(registry_, "elector_backend_up",
                       "0 while the backend's latest calls have failed (no clear answer), else "
                       "1.")) {
  for (const auto& kind : errorKinds) {
    errors_.Add({{"kind", kind}});
  }
}

void ElectorMetrics::setRole(bool leader, std::uint64_t epoch, const std::string& holder) {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (leader != leader_) {
    transitions_.Increment();
  }
  leader_ = leader;
  epoch_ = epoch;
  holder_ = holder;
  isLeader_.Set(leader ? 1 : 0);
  epochGauge_.Set(static_cast<double>(epoch));
}

void ElectorMetrics::observeRenew(double seconds) { renewDuration_.Observe(seconds); }

void ElectorMetrics::countError(const std::string& kind) {
  errors_.Add({{"kind", kind}}).Increment();
}

void ElectorMetrics::noteBackend(bool ok, Clock::TimePoint now) {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (ok) {
    failingSince_.reset();
  } else if (!failingSince_) {
    failingSince_ = now;
  }
}

void ElectorMetrics::setBackendFailing(std::optional<Clock::TimePoint> since,
                                       const std::string& error) {
  const std::lock_guard<std::mutex> lock(mutex_);
  failingSince_ = since;
  backendError_ = since ? error : std::string();
}

void ElectorMetrics::setCollector(std::optional<Clock::TimePoint> absentSince) {
  const std::lock_guard<std::mutex> lock(mutex_);
  collectorTracked_ = true;
  collectorAbsentSince_ = absentSince;
}

std::string ElectorMetrics::render() const {
  const std::size_t clients = socketClients_ ? socketClients_() : 0;
  socketClientsGauge_.Set(static_cast<double>(clients));
  collectorConnected_.Set(clients > 0 ? 1 : 0);
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    backendUp_.Set(failingSince_ ? 0 : 1);
  }
  return prometheus::TextSerializer().Serialize(registry_.Collect());
}

ElectorMetrics::Health ElectorMetrics::health(Clock::TimePoint now,
                                              std::chrono::milliseconds lease) const {
  const std::lock_guard<std::mutex> lock(mutex_);
  Health health;
  health.leader = leader_;
  health.backend = backend_;
  health.holder = holder_;
  health.epoch = epoch_;
  if (failingSince_) {
    health.failingFor = std::chrono::duration_cast<std::chrono::milliseconds>(now - *failingSince_);
    health.healthy = health.failingFor <= lease;
  }
  if (collectorTracked_) {
    health.collector = collectorAbsentSince_ ? "absent" : "connected";
  }
  if (!health.healthy) {
    health.detail = "backend failing for " + seconds(health.failingFor) +
                    (backendError_.empty() ? std::string() : ": " + backendError_);
  } else if (collectorTracked_ && collectorAbsentSince_) {
    health.detail =
        "no collector connected for " +
        seconds(
            std::chrono::duration_cast<std::chrono::milliseconds>(now - *collectorAbsentSince_)) +
        (leader_ ? "; the lease is given up once that exceeds the grace" : "; not campaigning");
  }
  return health;
}

}  // namespace elector
