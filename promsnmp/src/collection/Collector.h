#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "collection/DevicePoller.h"
#include "collection/MetricsCache.h"
#include "collection/ModuleScrape.h"
#include "collection/PollResult.h"
#include "collection/UtilizationTracker.h"
#include "common/Clock.h"
#include "exposition/Exposition.h"
#include "exposition/SelfMetrics.h"
#include "inventory/InventoryState.h"

namespace promsnmp {

class ModulePoller;
class ModuleRegistry;

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

/// A (device, module set) polled here, for the landing page.
struct ModuleSetState {
  std::string target;
  std::string modules;  // comma-separated, in name order
  std::string auth;     // "" when the inventory's credentials are used
  bool polled = false;
  bool up = false;
  std::string error;  // the poll's failure, or the failed modules
  double ageSeconds = 0;
  double durationSeconds = 0;
};

/// Ties inventory, poller, exposition and cache together: answers scrapes (cache hit, or one
/// single-flight live poll on a miss) and polls in the background every interval — every
/// inventory device (`all`) or the ones scraped here recently (`scraped`, for sharding behind
/// HAProxy). With modules enabled, a (device, module set) scraped with `module=` is cached and
/// polled in the background the same way, under its own cache key, for as long as it is scraped
/// (within the cache TTL) in either mode. Thread-safe.
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

  /// Serves snmp_exporter modules (`/snmp?target=&module=`): 400 for an unknown module or auth,
  /// 404 for a target that is not in the inventory unless unlisted targets are allowed; else the
  /// module set's series from the cache or a live poll, snmp_exporter's `snmp_scrape_*` series
  /// and the promsnmp_target_* status (see resolveModuleScrape and renderModuleBody). 404 when
  /// modules are not enabled.
  ScrapeReply scrapeModules(const ModuleScrapeRequest& request, const std::string& accept,
                            std::optional<double> scrapeTimeoutSeconds, bool gzip = false);

  /// Enables `module=` scrapes, before start(). The registry and poller must outlive this.
  void enableModules(ModuleRegistry& registry, ModulePoller& poller, bool allowUnlistedTargets);
  /// The (device, module set) pairs polled in the background now (tests, landing page).
  size_t moduleSets() const;
  /// Their states, by target and modules.
  std::vector<ModuleSetState> moduleSetStates() const;

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
  /// A poll's start: sends it and calls the callback exactly once with the outcome.
  using OutcomeCallback = std::function<void(PollOutcome)>;
  using PollStarter = std::function<void(OutcomeCallback)>;

  /// Starts `start` and waits at most `budget`; a poll still running then is handed to the cache
  /// under `key` when it finishes. `after` runs in the callback after the store. A null result
  /// means "nothing new in time".
  PollOutcome pollBlocking(const std::string& key, const PollStarter& start,
                           std::function<void()> after, std::chrono::milliseconds budget);
  /// The interface poll of `target`, continuing from `previous`.
  PollStarter devicePoll(const SnmpTarget& target, std::shared_ptr<const CacheEntry> previous,
                         const char* trigger);
  /// The module poll of `spec`, continuing from `previous`.
  PollStarter modulePoll(const ModuleScrapeSpec& spec,
                         const std::shared_ptr<const CacheEntry>& previous, const char* trigger);
  /// Renders a finished poll (utilization state is updated here, once per poll).
  PollOutcome outcomeOf(std::shared_ptr<PollResult> result);
  /// Starts a background poll if none runs under `key` and the collector is not stopping;
  /// counts it in inFlight_ and pending_.
  void startBackgroundPoll(const std::string& key, const std::function<PollStarter()>& start,
                           std::function<void()> after);
  /// The scrape timeout budget for a request.
  std::chrono::milliseconds budgetFor(std::optional<double> scrapeTimeoutSeconds) const;
  /// The answer to a scrape from a cache lookup.
  ScrapeReply replyFrom(const CacheLookup& lookup, const std::string& name,
                        std::chrono::steady_clock::time_point started, const std::string& accept,
                        bool gzip, bool modules);
  /// Drops the module sets of devices `view` no longer backs (their cache entries too), and
  /// those not scraped within the cache TTL. `spec` only, when given.
  void dropModuleSetsNotIn(const InventoryView& view, const std::string* onlyKey);
  /// The module sets due for background polling (those among `requested`, the keys scraped
  /// within the cache TTL), with their modules taken from the registry in force (a set whose
  /// module was removed by a reload goes, and so does one no longer requested).
  std::vector<ModuleScrapeSpec> dueModuleSets(const std::vector<std::string>& requested);
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
  ModuleRegistry* modules_ = nullptr;
  ModulePoller* modulePoller_ = nullptr;
  bool allowUnlistedTargets_ = false;
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
  // Module sets scraped here, by cache key (mutex_).
  std::unordered_map<std::string, ModuleScrapeSpec> moduleSets_;
  // The collector thread's (collectOnce and run): when the last cycle ended (Clock time), and
  // whether it overran its interval.
  std::chrono::steady_clock::time_point lastCycleEnd_{};
  std::atomic<bool> lastCycleOverran_{false};
  std::thread thread_;
};

}  // namespace promsnmp
