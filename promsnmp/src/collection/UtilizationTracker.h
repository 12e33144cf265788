#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collection/PollResult.h"

namespace promsnmp {

// Interface utilization, computed from two consecutive polls of the same target, and the two
// histograms PromSNMP exposes from it (promsnmp-java.md §6.2, §6.3):
//
//  - `interface_utilization`: one observation per poll, not cumulative (each poll's buckets are
//    0 or 1). Buckets in percent.
//  - `interface_utilization_native_ratio`: cumulative since the interface was first seen by this
//    process. Java's client_java histogram with default bounds (.005 … 10). The observed value is
//    the same *percentage* despite the `_ratio` name — kept as Java had it, because the shipped
//    Grafana dashboard queries these series.
//
// Differences from Java, on purpose (promsnmp-java.md §10):
//  - utilization = max(Δin, Δout)·8/Δt / speed · 100. Java summed in + out, which reports a
//    full-duplex link that is saturated in one direction at ≤ 50 % and a link carrying line rate
//    both ways at 200 %. Each direction of a full-duplex link has the full speed.
//  - state is keyed by (target, ifIndex), not "<target>:<ifName>": interfaces with equal or empty
//    ifName no longer share (and corrupt) one previous sample.

/// Upper bounds of `interface_utilization` (percent), before the implicit +Inf.
inline constexpr std::array<double, 9> kUtilizationBuckets = {1, 5, 10, 25, 50, 75, 90, 95, 100};
/// Their `le` label values, +Inf last (Java printed these integers without a decimal point).
inline constexpr std::array<std::string_view, 10> kUtilizationBucketLabels = {
    "1", "5", "10", "25", "50", "75", "90", "95", "100", "+Inf"};

/// Upper bounds of `interface_utilization_native_ratio` (client_java's defaults), before +Inf.
inline constexpr std::array<double, 11> kNativeBuckets = {.005, .01, .025, .05, .1, .25,
                                                          .5,   1,   2.5,  5,   10};
/// Their `le` label values as client_java's writer printed them, +Inf last.
inline constexpr std::array<std::string_view, 12> kNativeBucketLabels = {
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "+Inf"};

/// One interface's utilization for one poll.
struct UtilizationSample {
  uint32_t ifIndex = 0;
  double percent = 0;  // may exceed 100 (speed misreported, counters sampled unevenly)
};

/// One interface's cumulative histogram since the interface was first observed.
struct NativeHistogram {
  uint32_t ifIndex = 0;
  std::array<uint64_t, kNativeBuckets.size() + 1> cumulative{};  // per kNativeBucketLabels
  uint64_t count = 0;
  double sum = 0;
  std::chrono::system_clock::time_point created{};  // start of the poll of the first observation
};

/// What one poll contributes to the exposition; both vectors ascend by ifIndex.
struct UtilizationUpdate {
  std::vector<UtilizationSample> samples;
  std::vector<NativeHistogram> native;  // interfaces of this poll with ≥ 1 observation ever
};

/// Keeps, per (target, ifIndex), the previous octet counters and the cumulative histogram.
/// Thread-safe: one mutex; observe() is called once per poll, never on the scrape path.
class UtilizationTracker {
 public:
  /// Feeds one poll of `target`. Returns this poll's samples and the native histograms of the
  /// interfaces in `poll`. A failed poll (`!poll.up()`) changes nothing and returns nothing.
  ///
  /// The sample time is `poll.startedAt`. An interface gets no sample when it is seen for the
  /// first time, when Δt ≤ 0, when a counter decreased (wrap or reset; also when sysUpTime went
  /// backwards), when the speed is 0 or unknown, or when neither direction has octet counters in
  /// both polls. Speed is ifHighSpeed·10^6 when that is > 0, else ifSpeed. Counters are the
  /// 64-bit ifHC*Octets, or the 32-bit ifIn/OutOctets when a poll has no HC value; a direction
  /// whose counter width changed between the polls is skipped for that round.
  ///
  /// State of interfaces missing from an up poll with ≥ 1 interface is dropped.
  UtilizationUpdate observe(std::string_view target, const PollResult& poll);

  /// Drops all state of `target` (it left the inventory).
  void forget(std::string_view target);

  /// Number of targets with state.
  size_t targets() const;

 private:
  struct OctetCounter {
    uint64_t value = 0;
    bool present = false;
    bool highCapacity = false;  // ifHC*Octets (64-bit), else ifIn/OutOctets (32-bit)
  };
  struct InterfaceState {
    OctetCounter in;
    OctetCounter out;
    bool hasPrevious = false;
    NativeHistogram native;
  };
  struct TargetState {
    std::chrono::system_clock::time_point previousAt{};
    std::optional<uint64_t> previousUpTime;
    std::map<uint32_t, InterfaceState> interfaces;
  };

  static OctetCounter readCounter(const InterfaceRow& row, bool inbound);

  mutable std::mutex mutex_;
  std::map<std::string, TargetState, std::less<>> targets_;
};

}  // namespace promsnmp
