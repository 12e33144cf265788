#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>

namespace promsnmp {

// The process's own metrics, served on `/metrics` and `/actuator/prometheus` in Prometheus
// text 0.0.4. A facade over prometheus-cpp core (its metric types, data model and
// TextSerializer) with the API the daemon was written against:
//
//   auto& requests = metrics.counter("promsnmp_http_requests_total", "HTTP requests.",
//                                    {"handler", "code"});
//   Counter& ok = requests.labels({"snmp", "200"});  // look up once, keep the reference
//   ok.inc();                                         // lock-free
//
// Families are registered once (registering the same name again with the same type, help and
// labels returns the existing family; anything else throws). Series live until remove()d (a
// device that left the inventory), else as long as the registry: references stay valid until
// then, so per-target series are looked up per use, never kept. Names are checked when registered:
// valid Prometheus names, counters end in `_total`, no reserved suffixes or labels — own metrics
// are lint-clean under `promtool check metrics` by construction.
//
// Why a facade and not prometheus::Family: a series is found by its label values in declared
// order (one small vector, as the poll and scrape paths did before; Family::Add builds and hashes
// a label map per lookup, 1.5-4x slower: BENCHMARKS.md, self-metrics section), and the
// exposition keeps its order (families as registered, labels as declared, series sorted).

/// A monotonically increasing value. Thread-safe, lock-free.
class Counter {
 public:
  /// Adds `v`; negative and NaN values are ignored (a counter never goes down).
  void inc(double v = 1.0) {
    if (v > 0) {
      counter_.Increment(v);
    }
  }
  double value() const { return counter_.Value(); }
  prometheus::ClientMetric collect() const { return counter_.Collect(); }

 private:
  prometheus::Counter counter_;
};

/// A value that goes up and down. Thread-safe, lock-free.
class Gauge {
 public:
  void set(double v) { gauge_.Set(v); }
  void inc(double v = 1.0) { gauge_.Increment(v); }
  void dec(double v = 1.0) { gauge_.Decrement(v); }
  double value() const { return gauge_.Value(); }
  prometheus::ClientMetric collect() const { return gauge_.Collect(); }

 private:
  prometheus::Gauge gauge_;
};

/// A classic histogram with fixed upper bounds (`le` inclusive; NaN lands in +Inf only).
/// Thread-safe; observe() and snapshot() take a short lock, so a snapshot is consistent.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);  // ascending, finite; +Inf implied
  void observe(double v);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // per bound, then +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot snapshot() const;
  const std::vector<double>& bounds() const { return bounds_; }
  prometheus::ClientMetric collect() const { return histogram_.Collect(); }

 private:
  std::vector<double> bounds_;
  prometheus::Histogram histogram_;
};

/// Default histogram bounds for durations in seconds (client_golang's DefBuckets).
const std::vector<double>& defaultSecondsBuckets();

class SelfMetrics;

/// One metric family: its series by label values. Thread-safe.
template <typename T>
class Family : public prometheus::Collectable {
 public:
  /// The series with these label values (as many as the family has label names), created on
  /// first use. Throws Poco::InvalidArgumentException on a wrong count. Takes a mutex: look the
  /// series up once and keep the reference on hot paths.
  T& labels(std::initializer_list<std::string_view> values);
  T& labels(const std::vector<std::string>& values);
  /// The series of a family without labels.
  T& get() { return labels({}); }
  /// Removes the series with these label values (its references dangle afterwards); a later
  /// labels() starts it again from zero. Returns whether it existed. Thread-safe.
  bool remove(const std::vector<std::string>& values);
  /// The number of series (tests, and the churn bound). Thread-safe.
  size_t size() const;

  const std::string& name() const { return name_; }

  /// The family for prometheus-cpp's serializers: nothing without series, else one family
  /// whose series are sorted by label values and carry their labels in declared order, label
  /// values with invalid UTF-8 fixed and HELP escaped. Thread-safe.
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  friend class SelfMetrics;
  Family(std::string name, std::string help, std::vector<std::string> labelNames,
         std::vector<double> bounds)
      : name_(std::move(name)),
        help_(std::move(help)),
        labelNames_(std::move(labelNames)),
        bounds_(std::move(bounds)) {}
  T& find(std::vector<std::string> values);

  std::string name_;
  std::string help_;
  std::vector<std::string> labelNames_;
  std::vector<double> bounds_;  // histograms only
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> series_;
};

/// Values read from /proc for the process_* metrics.
struct ProcessStats {
  double cpuSeconds = 0;
  double residentBytes = 0;
  double virtualBytes = 0;
  double startTimeSeconds = 0;  // since the Unix epoch
  double threads = 0;
  std::optional<double> openFds;
  std::optional<double> maxFds;
};

/// Parses the text of /proc/<pid>/stat (the comm field may hold spaces and parentheses).
/// `bootTimeSeconds` is `btime` from /proc/stat. Returns nullopt on malformed input. Pure.
std::optional<ProcessStats> parseProcStat(std::string_view stat, long ticksPerSecond, long pageSize,
                                          double bootTimeSeconds);
/// Parses `btime` from the text of /proc/stat; nullopt if absent.
std::optional<double> parseBootTime(std::string_view procStat);
/// Reads this process's stats from /proc/self; nullopt when /proc is unavailable.
std::optional<ProcessStats> readProcessStats();

/// The registry. Thread-safe.
class SelfMetrics {
 public:
  /// `processMetrics`: render the process_* families from /proc/self on every render().
  explicit SelfMetrics(bool processMetrics = true);
  ~SelfMetrics();
  SelfMetrics(const SelfMetrics&) = delete;
  SelfMetrics& operator=(const SelfMetrics&) = delete;

  /// Registers (or returns the identical existing) family. Throws Poco::InvalidArgumentException
  /// when the name is not lowercase snake_case, is already registered differently, starts with
  /// the reserved `process_`, or ends in `_bucket`, `_count` or `_sum`; when a counter lacks
  /// `_total` or another type has it; when a label name is not lowercase snake_case, starts with
  /// `__`, or is `le` (histograms) or `quantile`; or when bounds are not finite and ascending.
  Family<Counter>& counter(const std::string& name, const std::string& help,
                           const std::vector<std::string>& labelNames = {});
  Family<Gauge>& gauge(const std::string& name, const std::string& help,
                       const std::vector<std::string>& labelNames = {});
  Family<Histogram>& histogram(const std::string& name, const std::string& help,
                               const std::vector<std::string>& labelNames,
                               const std::vector<double>& bounds = defaultSecondsBuckets());

  /// Adds a hook run at the start of every render(), to set gauges whose value is read rather
  /// than tracked (cache size, inventory devices). Hooks must not call render().
  void onCollect(std::function<void()> hook);

  /// The exposition, text 0.0.4 written by prometheus::TextSerializer (which writes HELP before
  /// TYPE, a histogram's _count and _sum before its buckets, and values with 16 significant
  /// digits): families in registration order (process_* last), series sorted by label values.
  /// Runs the onCollect hooks first. Thread-safe.
  std::string render() const;

 private:
  enum class Kind { Counter, Gauge, Histogram };
  struct Entry;

  Entry& registerFamily(Kind kind, const std::string& name, const std::string& help,
                        const std::vector<std::string>& labelNames,
                        const std::vector<double>& bounds);

  const bool processMetrics_;
  mutable std::mutex mutex_;  // families_ and hooks_; never held while a hook runs
  std::vector<std::unique_ptr<Entry>> families_;
  std::vector<std::function<void()>> hooks_;
};

}  // namespace promsnmp
