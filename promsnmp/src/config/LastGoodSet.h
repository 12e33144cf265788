#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace promsnmp {

/// What a registry of files loaded at start, on SIGHUP and on POST /-/reload reports of its loads
/// (ModuleRegistry and ProfileRegistry add what the set in force holds).
struct ReloadStatus {
  std::vector<std::string> patterns;  // as configured
  std::vector<std::string> files;     // the files of the set in force
  bool lastLoadOk = true;
  std::string lastError;  // the last failed load's problems, "" once a load worked
  std::chrono::system_clock::time_point loadedAt{};  // when the set in force was loaded
  uint64_t loads = 0;
  uint64_t failures = 0;
};

/// The set in force of such a registry and the status of its loads: a load that fails keeps the
/// last good set (snmp_exporter's reload does the same) and records why. `Status` derives from
/// ReloadStatus. Thread-safe.
template <typename Set, typename Status>
class LastGoodSet {
 public:
  /// `initial` is in force until a load succeeds (never null).
  explicit LastGoodSet(std::shared_ptr<const Set> initial) : current_(std::move(initial)) {}

  /// Records a load of `patterns`. `fresh`, when the load worked, replaces the set in force, and
  /// `describe(const Set&, Status&)` sets what the status says of it (its files, its counts);
  /// null, the set in force stays and `error` (the load's problems) is recorded. Returns the
  /// status after the load.
  template <typename Describe>
  Status record(const std::vector<std::string>& patterns, std::shared_ptr<const Set> fresh,
                const std::string& error, Describe&& describe) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++status_.loads;
    status_.patterns = patterns;
    if (!fresh) {
      ++status_.failures;
      status_.lastLoadOk = false;
      status_.lastError = error;
      return status_;
    }
    describe(*fresh, status_);
    current_ = std::move(fresh);
    status_.lastLoadOk = true;
    status_.lastError.clear();
    status_.loadedAt = std::chrono::system_clock::now();
    return status_;
  }

  /// The set in force (never null).
  std::shared_ptr<const Set> current() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return current_;
  }

  Status status() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return status_;
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Set> current_;
  Status status_;
};

}  // namespace promsnmp
