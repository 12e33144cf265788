#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

// The baseline of bench/selfmetrics_bench.cpp: promsnmp's self-metrics registry as it was
// written by hand before issue 13 moved it onto prometheus-cpp (promsnmp/src/exposition/
// SelfMetrics.* at that time), reduced to what the benchmark measures: series lookup, updates
// and render. Name checks and the process_* families are left out (neither is on a measured
// path). Kept so that every `make bench` compares both in the same run.
namespace handwritten {

class Counter {
 public:
  void inc(double v = 1.0) {
    if (v > 0) {
      value_.fetch_add(v, std::memory_order_relaxed);
    }
  }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  /// Cumulative counts per bound, then +Inf.
  std::vector<uint64_t> cumulative() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // not cumulative; last = +Inf
  std::atomic<double> sum_{0};
};

template <typename T>
class Family {
 public:
  T& labels(std::initializer_list<std::string_view> values);
  T& get() { return labels({}); }
  bool remove(const std::vector<std::string>& values);
  /// Calls `f(labelValues, series)` for each series in label order, under the family's lock;
  /// returns whether there was any.
  template <typename F>
  bool forEach(F f) const {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [values, series] : series_) {
      f(values, *series);
    }
    return !series_.empty();
  }
  const std::vector<double>& bounds() const { return bounds_; }
  Family(std::vector<std::string> labelNames, std::vector<double> bounds)
      : labelNames_(std::move(labelNames)), bounds_(std::move(bounds)) {}

 private:
  std::vector<std::string> labelNames_;
  std::vector<double> bounds_;  // histograms only
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> series_;
};

class Registry {
 public:
  Registry();
  ~Registry();
  Family<Counter>& counter(const std::string& name, const std::string& help,
                           const std::vector<std::string>& labelNames = {});
  Family<Gauge>& gauge(const std::string& name, const std::string& help,
                       const std::vector<std::string>& labelNames = {});
  Family<Histogram>& histogram(const std::string& name, const std::string& help,
                               const std::vector<std::string>& labelNames,
                               const std::vector<double>& bounds);
  void onCollect(std::function<void()> hook);
  std::string render() const;

 private:
  struct Entry;
  Entry& add(const std::string& name, const std::string& help,
             const std::vector<std::string>& labelNames);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Entry>> families_;
  std::vector<std::function<void()>> hooks_;
};

}  // namespace handwritten
