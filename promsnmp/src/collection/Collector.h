#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "collection/DevicePoller.h"
#include "collection/MetricsCache.h"
#include "collection/PollResult.h"
#include "collection/UtilizationTracker.h"
#include "common/Clock.h"
#include "exposition/Exposition.h"
#include "exposition/SelfMetrics.h"
#include "inventory/InventoryState.h"

namespace promsnmp {

/// What a scrape endpoint answers.
struct ScrapeReply {
  int status = 200;
  std::string contentType;
  std::string contentEncoding;  // "gzip" or empty
  std::string body;
  bool cacheHit = false;
};

/// A target's state for the landing page and health details.
struct TargetState {
  std::string name;
  std::string address;
  bool polled = false;  // at least one poll finished
  bool up = false;
  std::string error;
  double ageSeconds = 0;
  double durationSeconds = 0;
  size_t interfaces = 0;
};

/// Ties inventory, poller, exposition and cache together: answers scrapes (cache hit, or one
/// single-flight live poll on a miss) and polls in the background every interval — every
/// inventory device (`all`) or the ones scraped here recently (`scraped`, for sharding behind
/// HAProxy). Thread-safe.
class Collector {
 public:
  enum class Mode { All, Scraped };

  struct Options {
    Mode mode = Mode::All;
    std::chrono::milliseconds interval{30000};
    std::chrono::milliseconds cacheTtl{300000};
    size_t cacheEntries = 10000;
    /// A live poll gets at most this long when the scraper gave no timeout header.
    std::chrono::milliseconds defaultScrapeBudget{10000};
    /// Subtracted from X-Prometheus-Scrape-Timeout-Seconds so the answer beats the timeout.
    std::chrono::milliseconds scrapeTimeoutMargin{500};
    /// Background polls running at once.
    size_t maxConcurrentPolls = 64;
  };

  Collector(InventoryState& inventory, DevicePoller& poller, SelfMetrics& metrics,
            common::Clock& clock, Options options);
  ~Collector();

  /// Answers /snmp?target=. `accept` is the Accept header; `scrapeTimeoutSeconds` the
  /// X-Prometheus-Scrape-Timeout-Seconds header if any; `gzip` whether the client accepts gzip
  /// (the device part is then served from gzip members cached per poll).
  ScrapeReply scrape(const std::string& target, const std::string& accept,
                     std::optional<double> scrapeTimeoutSeconds, bool gzip = false);

  void evictCache();
  std::vector<TargetState> targetStates() const;
  const Options& options() const { return options_; }

  /// Background collection. start() is idempotent.
  void start();
  /// Stops for good (until start()): no poll starts after it begins (a scrape then serves what
  /// the cache holds, without polling); the collection thread is joined; every poll still in
  /// flight — a cycle's, a scrape's, or one a scrape abandoned when its budget ran out — is
  /// cancelled through the SNMP client (DevicePoller::cancelAll), and stop() returns only once
  /// each of their callbacks has run, so no callback reaches this object afterwards. Bounded by
  /// the client's cancellation, not by the devices' timeouts. Idempotent; thread-safe; must not
  /// be called from a poll callback.
  void stop();

  /// One background cycle now (tests): polls the due targets and waits for them.
  void collectOnce();

 private:
  /// Polls `target` and waits at most `budget`; a poll still running then is handed to the
  /// cache when it finishes. A null result means "nothing new in time".
  PollOutcome pollBlocking(const SnmpTarget& target,
                           const std::shared_ptr<const CacheEntry>& previous,
                           std::chrono::milliseconds budget);
  /// Renders a finished poll (utilization state is updated here, once per poll).
  PollOutcome outcomeOf(std::shared_ptr<PollResult> result);
  /// Starts a background poll if none runs for the target and the collector is not stopping;
  /// counts it in inFlight_ and pending_.
  void startBackgroundPoll(const SnmpTarget& target);
  /// The last act of every poll callback: the callback no longer touches this object.
  void callbackDone(bool background);
  void onInventoryChange(const std::shared_ptr<const InventoryView>& before,
                         const std::shared_ptr<const InventoryView>& after);
  /// Drops what this replica keeps about `polled` (cached result, per-target series, learned
  /// poller state, utilization) that `view` no longer backs: the device left, or its agent or
  /// poll settings changed. Used by the inventory listener and by every poll's callback, after
  /// it stored its result (a poll that finishes after its device left must not leave state).
  void dropStateNotIn(const InventoryView& view, const SnmpTarget& polled);
  void run();

  InventoryState& inventory_;
  DevicePoller& poller_;
  SelfMetrics& metrics_;
  common::Clock& clock_;
  Options options_;
  MetricsCache cache_;
  UtilizationTracker utilization_;
  Family<Counter>& polls_;
  Family<Counter>& cacheGets_;
  Family<Counter>& unknownTargets_;
  Family<Histogram>& pollDuration_;
  Family<Counter>& varbinds_;
  Family<Counter>& targetPolls_;
  Family<Counter>& cycles_;
  Family<Counter>& overruns_;
  Family<Gauge>& cycleDuration_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  size_t inFlight_ = 0;  // background polls running (bounded by maxConcurrentPolls)
  size_t pending_ = 0;   // polls of any kind whose callback has not finished (stop() waits)
  // The collector thread's (collectOnce and run): when the last cycle ended (Clock time), and
  // whether it overran its interval.
  std::chrono::steady_clock::time_point lastCycleEnd_{};
  std::atomic<bool> lastCycleOverran_{false};
  std::thread thread_;
};

}  // namespace promsnmp
