#include "ElectorMetrics.h"

#include <charconv>
#include <cstdio>
#include <utility>

namespace elector {
namespace {

/// Shortest round-trip form ("0.005", "1e-05"), independent of the C locale.
std::string number(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

/// "3.2 s" for 3200 ms.
std::string seconds(std::chrono::milliseconds ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(ms.count()) / 1000.0);
  return text;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

ElectorMetrics::ElectorMetrics(std::string backend, const std::vector<std::string>& errorKinds,
                               std::function<std::size_t()> socketClients)
    : backend_(std::move(backend)), socketClients_(std::move(socketClients)) {
  for (const auto& kind : errorKinds) {
    errors_[kind] = 0;
  }
}

void ElectorMetrics::setRole(bool leader, std::uint64_t epoch, const std::string& holder) {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (leader != leader_) {
    ++transitions_;
  }
  leader_ = leader;
  epoch_ = epoch;
  holder_ = holder;
}

void ElectorMetrics::observeRenew(double seconds) {
  const std::lock_guard<std::mutex> lock(mutex_);
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++bucketCounts_[i];
    }
  }
  ++renewCount_;
  renewSum_ += seconds;
}

void ElectorMetrics::countError(const std::string& kind) {
  const std::lock_guard<std::mutex> lock(mutex_);
  ++errors_[kind];
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
  const std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  header(out, "elector_is_leader", "gauge", "1 when this replica is announced as the leader.");
  out += "elector_is_leader " + std::string(leader_ ? "1" : "0") + "\n";
  header(out, "elector_epoch", "gauge",
         "Fencing epoch of the current or last leadership (0 before any).");
  out += "elector_epoch " + std::to_string(epoch_) + "\n";
  header(out, "elector_transitions_total", "counter", "Changes of the announced role.");
  out += "elector_transitions_total " + std::to_string(transitions_) + "\n";
  header(out, "elector_renew_duration_seconds", "histogram",
         "Duration of each backend round trip (acquire, renew or poll).");
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    out += "elector_renew_duration_seconds_bucket{le=\"" + number(kBuckets[i]) + "\"} " +
           std::to_string(bucketCounts_[i]) + "\n";
  }
  out += "elector_renew_duration_seconds_bucket{le=\"+Inf\"} " + std::to_string(renewCount_) + "\n";
  out += "elector_renew_duration_seconds_sum " + number(renewSum_) + "\n";
  out += "elector_renew_duration_seconds_count " + std::to_string(renewCount_) + "\n";
  header(out, "elector_errors_total", "counter", "Backend errors by kind.");
  for (const auto& [kind, count] : errors_) {
    out += "elector_errors_total{kind=\"" + kind + "\"} " + std::to_string(count) + "\n";
  }
  header(out, "elector_socket_clients", "gauge", "Clients connected to the leadership socket.");
  out += "elector_socket_clients " + std::to_string(clients) + "\n";
  header(out, "elector_collector_connected", "gauge",
         "1 while a collector is connected to the leadership socket (redis and file backends "
         "campaign only then).");
  out += "elector_collector_connected " + std::string(clients > 0 ? "1" : "0") + "\n";
  header(out, "elector_backend_up", "gauge",
         "0 while the backend's latest calls have failed (no clear answer), else 1.");
  out += "elector_backend_up " + std::string(failingSince_ ? "0" : "1") + "\n";
  return out;
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
