#include "ElectorMetrics.h"

#include <charconv>
#include <utility>

namespace elector {
namespace {

/// Shortest round-trip form ("0.005", "1e-05"), independent of the C locale.
std::string number(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
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
  return health;
}

}  // namespace elector
