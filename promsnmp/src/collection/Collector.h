#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
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
#include "collection/TransitionLog.h"
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

/// A target's state for the landing page and health details: its interface poll, or for a
/// device with modules the poll of its own module set.
struct TargetState {
  std::string name;
  std::string address;
  bool polled = false;  // at least one poll finished
  bool up = false;
  std::string error;
  double ageSeconds = 0;
  double durationSeconds = 0;
  size_t interfaces = 0;
  double dataAgeSeconds = -1;  // age of the data served (the last good poll); -1: none
  uint64_t polls = 0;          // polls here since the device's entry was made
  uint64_t failures = 0;
  std::string recent;  // the last polls, oldest first: '+' up, '-' down (at most 32)
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
/// (within the cache TTL) in either mode. A device whose inventory entry names modules is served
/// and polled with them instead of the interface set (resolveDeviceModules): its plain scrape is
/// the `module=` scrape of its modules (same cache key), and mode `all` polls it every interval.
/// Thread-safe.
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

  /// Answers /snmp?target= (a device with modules: as scrapeModules with its modules and auth;
  /// modules no file defines are reported as `promsnmp_module_up 0`). `accept` is the Accept
  /// header; `scrapeTimeoutSeconds` the X-Prometheus-Scrape-Timeout-Seconds header if any; `gzip`
  /// whether the client accepts gzip (the device part is then served from gzip members cached per
  /// poll).
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

  /// The devices whose inventory entry names modules or an auth the loaded module files do not
  /// define, by target name: what is wrong ("unknown modules: a,b", "unknown auth 'x'"), for the
  /// health details. Computed from the current inventory and module files. Thread-safe.
  std::map<std::string, std::string> deviceModuleProblems() const;

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
  /// The answer to a scrape from a cache lookup; `spec` for a module set (null: interfaces).
  ScrapeReply replyFrom(const CacheLookup& lookup, const std::string& name,
                        std::chrono::steady_clock::time_point started, const std::string& accept,
                        bool gzip, const ModuleScrapeSpec* spec);
  /// Serves a resolved module set from the cache or a live poll, registering it for background
  /// polling while it is scraped.
  ScrapeReply serveModules(ModuleScrapeSpec spec, std::chrono::steady_clock::time_point started,
                           const std::string& accept, std::optional<double> scrapeTimeoutSeconds,
                           bool gzip);
  /// The plain scrape of `device`, whose entry names modules.
  ScrapeReply scrapeDeviceModules(const InventoryView& view, const inventoryfs::Device& device,
                                  std::chrono::steady_clock::time_point started,
                                  const std::string& accept,
                                  std::optional<double> scrapeTimeoutSeconds, bool gzip);
  /// Records `spec` as the module set of device `name` (null when nothing is polled for it): the
  /// set it had before, if other (modules, auth, or the agent polled), goes (its registration
  /// and its cache entry).
  void noteDeviceSet(const std::string& name, const ModuleScrapeSpec* spec);
  /// After a poll of device `name`'s own set `signature`: its entry goes if the inventory no
  /// longer polls that set (the device changed or left while it was polled).
  void dropDeviceSetNotIn(const InventoryView& view, const std::string& name,
                          const std::string& key, const std::string& signature);
  /// Logs each change of `problems` (what deviceModuleProblems answers, one line per device)
  /// and sets its gauge. The collector thread's.
  void reportModuleProblems(std::map<std::string, std::string> problems);
  /// The module files in force (null when modules are not enabled).
  std::shared_ptr<const ModuleSet> moduleSetInForce() const;
  /// resolveDeviceModules against the module files in force (none when not enabled).
  std::optional<DeviceModules> deviceModules(const InventoryView& view,
                                             const inventoryfs::Device& device) const;
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
  /// poll settings changed (or, for the cached result, it is now polled with modules). Used by the
  /// inventory listener and by every poll's callback, after it stored its result (a poll that
  /// finishes after its device left must not leave state).
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
  TransitionLog transitions_;  // "device is down" / "up again", rate-limited
  Family<Counter>& polls_;
  Family<Counter>& cacheGets_;
  Family<Counter>& unknownTargets_;
  Family<Histogram>& pollDuration_;
  Family<Counter>& varbinds_;
  Family<Counter>& targetPolls_;
  Family<Counter>& cycles_;
  Family<Counter>& overruns_;
  Family<Gauge>& cycleDuration_;
  Family<Gauge>& deviceModuleProblems_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  size_t inFlight_ = 0;  // background polls running (bounded by maxConcurrentPolls)
  size_t pending_ = 0;   // polls of any kind whose callback has not finished (stop() waits)
  // Module sets scraped here, by cache key (mutex_).
  std::unordered_map<std::string, ModuleScrapeSpec> moduleSets_;
  // Each device's own module set, by target name: its cache key and its signature (the key and
  // the agent it is polled at, see deviceSetSignature) (mutex_). A change of its modules, auth,
  // agent or of the module files drops the old set.
  struct DeviceSet {
    std::string key;
    std::string signature;
  };
  std::unordered_map<std::string, DeviceSet> deviceSets_;
  // The device module sets mode `all` polled in the last cycle (mutex_), for the landing page.
  std::vector<ModuleScrapeSpec> polledDeviceSets_;
  // The collector thread's: the problems of devices' module lists last logged (one line per
  // change).
  std::map<std::string, std::string> loggedProblems_;
  // The collector thread's (collectOnce and run): when the last cycle ended (Clock time), and
  // whether it overran its interval.
  std::chrono::steady_clock::time_point lastCycleEnd_{};
  std::atomic<bool> lastCycleOverran_{false};
  std::thread thread_;
};

}  // namespace promsnmp
