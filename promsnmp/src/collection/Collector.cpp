#include "collection/Collector.h"

#include <algorithm>
#include <future>
#include <tuple>
#include <unordered_set>

#if defined(__GLIBC__)
#include <malloc.h>  // malloc_trim
#endif

#include "common/Logging.h"
#include "common/Text.h"
#include "modules/ModulePoller.h"
#include "modules/ModuleRegistry.h"

namespace promsnmp {

using common::Clock;
using common::escapeInvalidUtf8;
using common::logEvent;
using common::logger;

namespace {

double secondsBetween(std::chrono::steady_clock::time_point from,
                      std::chrono::steady_clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

/// The state shared by a blocking poll and its completion callback, which may outlive the
/// waiter: a poll that overruns the scrape budget still lands in the cache.
struct PendingPoll {
  std::mutex mutex;
  std::condition_variable done;
  bool finished = false;
  bool abandoned = false;
  PollOutcome outcome;
};

/// Whether `view` still polls `target`'s device through the same agent.
bool backs(const InventoryView& view, const SnmpTarget& target) {
  const inventoryfs::Device* device = view.find(target.name);
  std::optional<SnmpTarget> now = device ? view.targetFor(*device) : std::nullopt;
  return now && now->name == target.name && now->sessionKey() == target.sessionKey();
}

/// What a device's own module set is polled with: its key (modules, auth, context, target
/// name) and the agent (address, credentials, timeout and retries).
std::string deviceSetSignature(const ModuleScrapeSpec& spec) {
  return spec.key + '\x1f' + spec.target.address + ':' + std::to_string(spec.target.port) + '\x1f' +
         spec.target.sessionKey() + '\x1f' + std::to_string(spec.target.timeoutMs) + '\x1f' +
         std::to_string(spec.target.retries);
}

/// Whether a device's module list names a module or an auth no module file defines.
bool hasProblem(const DeviceModules& resolved) {
  return !resolved.unknown.empty() || resolved.unknownAuth;
}

/// What is wrong with a device's module list (hasProblem), for the log and the health details:
/// "unknown modules: a,b", "unknown auth 'x'", or both joined by "; ".
std::string problemOf(const DeviceModules& resolved) {
  std::string problem;
  if (!resolved.unknown.empty()) {
    problem = "unknown modules: ";
    for (size_t i = 0; i < resolved.unknown.size(); ++i) {
      problem += (i == 0 ? "" : ",") + resolved.unknown[i];
    }
  }
  if (resolved.unknownAuth) {
    problem += (problem.empty() ? "" : "; ") + resolved.error;
  }
  return problem;
}

}  // namespace

Collector::Collector(InventoryState& inventory, DevicePoller& poller, SelfMetrics& metrics,
                     Clock& clock, Options options)
    : inventory_(inventory),
      poller_(poller),
      metrics_(metrics),
      clock_(clock),
      options_(options),
      cache_(clock, MetricsCache::Options{options.cacheTtl, options.cacheEntries}),
      transitions_(clock, logger("promsnmp.collector")),
      polls_(metrics.counter("promsnmp_snmp_polls_total",
                             "SNMP polls of devices by trigger and result.",
                             {"trigger", "result"})),
      cacheGets_(metrics.counter("cache_gets_total", "Cache lookups of device metrics.",
                                 {"cache", "result"})),
      unknownTargets_(metrics.counter("promsnmp_scrape_unknown_target_total",
                                      "Scrapes of a target that is not in the inventory.")),
      pollDuration_(metrics.histogram("promsnmp_snmp_query_duration_seconds",
                                      "Duration of SNMP polls of one device.", {})),
      varbinds_(metrics.counter("promsnmp_snmp_varbinds_received_total",
                                "Variable bindings received from devices in polls.")),
      targetPolls_(metrics.counter("promsnmp_target_polls_total",
                                   "Polls of each device by this replica (with sharding behind "
                                   "HAProxy, one replica polls a device).",
                                   {"target"})),
      cycles_(metrics.counter("promsnmp_collection_cycles_total",
                              "Background collection cycles completed (each polls every due "
                              "device once).")),
      overruns_(metrics.counter("promsnmp_collection_overruns_total",
                                "Collection cycles that took longer than the collection interval: "
                                "devices were polled late.")),
      cycleDuration_(metrics.gauge("promsnmp_collection_cycle_duration_seconds",
                                   "Duration of the last background collection cycle, from its "
                                   "start to its last poll's end.")),
      deviceModuleProblems_(metrics.gauge(
          "promsnmp_device_module_problems",
          "Devices whose inventory entry names a module or an auth that no module file defines "
          "(their other modules are polled; see the health details), at the last cycle.")) {
  inventory_.addListener([this](const std::shared_ptr<const InventoryView>& before,
                                const std::shared_ptr<const InventoryView>& after) {
    onInventoryChange(before, after);
  });
  Gauge& entries =
      metrics.gauge("promsnmp_cache_entries", "Devices with metrics in the cache.").get();
  Gauge& inFlight = metrics.gauge("promsnmp_polls_in_flight", "Background polls running.").get();
  metrics
      .gauge("promsnmp_collection_interval_seconds",
             "The collection interval (COLLECTION_INTERVAL): a cycle should take less.")
      .get()
      .set(std::chrono::duration<double>(options_.interval).count());
  Counter& takeovers =
      metrics
          .counter("promsnmp_cache_takeover_polls_total",
                   "Scrapes polled live although the cache held fresh data: the first scrape of a "
                   "device here, or the first after a hole in its scrapes (another replica may "
                   "have served newer counters meanwhile).")
          .get();
  metrics_.onCollect([this, &entries, &inFlight, &takeovers] {
    std::lock_guard<std::mutex> lock(mutex_);  // hooks of concurrent renders: one mirror at a time
    const MetricsCache::Stats stats = cache_.stats();
    entries.set(static_cast<double>(stats.size));
    takeovers.inc(std::max(0.0, static_cast<double>(stats.takeovers) - takeovers.value()));
    inFlight.set(static_cast<double>(inFlight_));
  });
}

Collector::~Collector() { stop(); }

PollOutcome Collector::outcomeOf(std::shared_ptr<PollResult> result) {
  PollOutcome outcome;
  if (result->up()) {
    UtilizationUpdate update = utilization_.observe(result->target, *result);
    // Rendered on first scrape, on the HTTP thread (see DeviceBody).
    outcome.body = std::make_shared<const DeviceBody>(result, result->target, std::move(update));
  }
  pollDuration_.get().observe(result->durationSeconds);
  targetPolls_.labels({result->target}).inc();
  varbinds_.get().inc(static_cast<double>(result->varbinds));
  outcome.result = std::move(result);
  return outcome;
}

PollOutcome Collector::pollBlocking(const std::string& key, const PollStarter& start,
                                    std::function<void()> after, std::chrono::milliseconds budget) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) {
      return PollOutcome{};  // shutting down: the cache serves what it has
    }
    ++pending_;
  }
  auto pending = std::make_shared<PendingPoll>();
  start([this, pending, key, after = std::move(after)](PollOutcome outcome) {
    {
      std::lock_guard<std::mutex> lock(pending->mutex);
      if (pending->abandoned) {
        cache_.put(key, std::move(outcome));  // late, but newer than what is there
      } else {
        pending->outcome = std::move(outcome);
      }
      pending->finished = true;
      pending->done.notify_all();
    }
    // Abandoned, the result is stored above; else the scrape stores it and checks.
    after();
    callbackDone(false);
  });
  std::unique_lock<std::mutex> lock(pending->mutex);
  if (!pending->done.wait_for(lock, budget, [&] { return pending->finished; })) {
    pending->abandoned = true;
    return PollOutcome{};
  }
  return std::move(pending->outcome);
}

Collector::PollStarter Collector::devicePoll(const SnmpTarget& target,
                                             std::shared_ptr<const CacheEntry> previous,
                                             const char* trigger) {
  return [this, target, previous = std::move(previous), trigger](OutcomeCallback done) {
    poller_.poll(target, previous ? previous->lastGood : nullptr,
                 [this, trigger, done = std::move(done)](std::shared_ptr<PollResult> result) {
                   PollOutcome outcome = outcomeOf(std::move(result));
                   polls_.labels({trigger, outcome.result->up() ? "success" : "failure"}).inc();
                   transitions_.record(outcome.result->target, *outcome.result);
                   done(std::move(outcome));
                 });
  };
}

Collector::PollStarter Collector::modulePoll(const ModuleScrapeSpec& spec,
                                             const std::shared_ptr<const CacheEntry>& previous,
                                             const char* trigger) {
  std::shared_ptr<const ModulePollResult> before;
  if (previous && previous->lastGood) {
    before = previous->lastGood->modules;
  }
  return [this, spec, before = std::move(before), trigger](OutcomeCallback done) {
    modulePoller_->poll(
        spec.target, spec.modules, before,
        [this, spec, trigger, done = std::move(done)](std::shared_ptr<ModulePollResult> polled) {
          auto result = std::make_shared<PollResult>();
          result->target = spec.target.name;
          result->startedAt = polled->startedAt;
          result->durationSeconds = polled->durationSeconds;
          result->requests = polled->requests;
          result->varbinds = polled->varbinds;
          if (!polled->anyUp()) {
            const ModuleOutcome& first = polled->outcomes.front();
            result->error = first.error == PollError::None ? PollError::Internal : first.error;
            result->errorDetail = first.module + ": " + first.errorDetail;
          }
          // Kept until the next poll (which reads its label columns and row counts) and
          // rendered from on first scrape: packed, it takes about 30 KB for 2,000 varbinds
          // instead of 500.
          polled->pack();
          std::shared_ptr<const ModulePollResult> kept = std::move(polled);
          result->modules = kept;
          PollOutcome outcome;
          if (result->up()) {
            // Rendered on first scrape, on the HTTP thread (see DeviceBody).
            outcome.body = std::make_shared<const DeviceBody>(
                [kept, unknown = spec.unknownModules] {
                  RenderedDevice rendered;
                  rendered.classic = renderModuleBody(*kept, unknown);
                  return rendered;
                },
                0);
          }
          pollDuration_.get().observe(result->durationSeconds);
          varbinds_.get().inc(static_cast<double>(result->varbinds));
          polls_.labels({trigger, result->up() ? "success" : "failure"}).inc();
          transitions_.record(spec.key, *result);
          outcome.result = std::move(result);
          done(std::move(outcome));
        });
  };
}

std::chrono::milliseconds Collector::budgetFor(std::optional<double> scrapeTimeoutSeconds) const {
  auto budget = options_.defaultScrapeBudget;
  if (scrapeTimeoutSeconds && *scrapeTimeoutSeconds > 0) {
    // The header is the client's: clamped to an hour (inf or 1e300 would overflow the cast, and
    // 1e10 s the wait's conversion to nanoseconds). NaN fails the test above.
    constexpr double kMaxSeconds = 3600;
    auto fromHeader = std::chrono::milliseconds(
        static_cast<int64_t>(std::min(*scrapeTimeoutSeconds, kMaxSeconds) * 1000));
    budget = std::max(std::chrono::milliseconds(100), fromHeader - options_.scrapeTimeoutMargin);
  }
  return budget;
}

ScrapeReply Collector::replyFrom(const CacheLookup& lookup, const std::string& name,
                                 std::chrono::steady_clock::time_point started,
                                 const std::string& accept, bool gzip,
                                 const ModuleScrapeSpec* spec) {
  const bool modules = spec != nullptr;
  ScrapeReply reply;
  ExpositionFormat format = negotiate(accept);
  bool hit = lookup.source == CacheLookup::Source::Hit;
  cacheGets_.labels({"metrics", hit ? "hit" : "miss"}).inc();
  TargetStatus status =
      lookup.status(name, secondsBetween(started, std::chrono::steady_clock::now()));
  status.modules = modules;
  if (const inventoryfs::Device* device = inventory_.current()->find(name)) {
    status.device = deviceInfoOf(*device);
  }
  // Once the newest poll failed, the last good counters are not served again under a fresh
  // timestamp (graphs would show a flat rate instead of a gap); the status families say why.
  const DeviceBody* body = lookup.body.get();
  std::unique_ptr<const DeviceBody> failedModules;
  if (lookup.entry && lookup.entry->last && !lookup.entry->last->up()) {
    body = nullptr;
    status.dataAgeSeconds.reset();
    status.interfaces = 0;
    // A module poll whose modules all failed still reports each of them, as when only some
    // fail: promsnmp_module_up 0 and the attempt's snmp_scrape_* series (no module series).
    if (modules && lookup.entry->last->modules) {
      RenderedDevice rendered;
      rendered.classic = renderModuleBody(*lookup.entry->last->modules, spec->unknownModules);
      failedModules = std::make_unique<const DeviceBody>(std::move(rendered));
      body = failedModules.get();
    }
  }
  reply.contentType = std::string(contentType(format));
  if (gzip && format == ExpositionFormat::PrometheusText) {
    reply.contentEncoding = "gzip";
    reply.body = gzipScrape(body, status);
  } else {
    appendScrape(reply.body, format, body != nullptr ? &body->text() : nullptr, status);
  }
  reply.cacheHit = hit;
  return reply;
}

ScrapeReply Collector::scrape(const std::string& target, const std::string& accept,
                              std::optional<double> scrapeTimeoutSeconds, bool gzip) {
  auto started = std::chrono::steady_clock::now();
  ScrapeReply reply;
  auto view = inventory_.current();
  const inventoryfs::Device* device = view->find(target);
  std::optional<SnmpTarget> snmpTarget;
  if (device != nullptr) {
    snmpTarget = view->targetFor(*device);
  }
  if (snmpTarget && hasModules(*device)) {
    return scrapeDeviceModules(*view, *device, started, accept, scrapeTimeoutSeconds, gzip);
  }
  if (!snmpTarget) {
    unknownTargets_.get().inc();
    reply.status = 404;
    reply.contentType = "text/plain; charset=utf-8";
    reply.body = device == nullptr
                     ? "unknown target '" + escapeInvalidUtf8(target) +
                           "': no device with this sysName or agent address in inventory "
                           "version " +
                           std::to_string(view->version) + "\n"
                     : "target '" + target + "' has no SNMP agent in the inventory\n";
    return reply;
  }
  auto budget = budgetFor(scrapeTimeoutSeconds);
  const std::string& name = snmpTarget->name;
  const SnmpTarget polled = *snmpTarget;
  CacheLookup lookup =
      cache_.get(name, budget, [&](const std::shared_ptr<const CacheEntry>& previous) {
        return pollBlocking(
            name, devicePoll(polled, previous, "scrape"),
            [this, polled] { dropStateNotIn(*inventory_.current(), polled); }, budget);
      });
  if (lookup.source != CacheLookup::Source::Hit) {
    dropStateNotIn(*inventory_.current(), polled);  // it may have left while polled
  }
  return replyFrom(lookup, name, started, accept, gzip, nullptr);
}

std::shared_ptr<const ModuleSet> Collector::moduleSetInForce() const {
  return modules_ != nullptr ? modules_->current() : nullptr;
}

std::optional<DeviceModules> Collector::deviceModules(const InventoryView& view,
                                                      const inventoryfs::Device& device) const {
  return resolveDeviceModules(device, view, moduleSetInForce().get());
}

ScrapeReply Collector::scrapeDeviceModules(const InventoryView& view,
                                           const inventoryfs::Device& device,
                                           std::chrono::steady_clock::time_point started,
                                           const std::string& accept,
                                           std::optional<double> scrapeTimeoutSeconds, bool gzip) {
  std::optional<DeviceModules> resolved = deviceModules(view, device);
  poco_assert(resolved);  // the caller checked that it has modules and an agent
  const std::string name = view.targetFor(device)->name;
  noteDeviceSet(name, resolved->spec ? &*resolved->spec : nullptr);
  if (resolved->spec) {
    return serveModules(std::move(*resolved->spec), started, accept, scrapeTimeoutSeconds, gzip);
  }
  // Nothing to poll (no module defined, or an unknown auth): each module is reported down and
  // the target has no poll; the health details and the log say why.
  ScrapeReply reply;
  cacheGets_.labels({"metrics", "miss"}).inc();
  TargetStatus status;
  status.target = name;
  status.modules = true;
  status.live = true;
  status.scrapeDurationSeconds = secondsBetween(started, std::chrono::steady_clock::now());
  RenderedDevice rendered;
  rendered.classic = renderUnpolledModules(resolved->modules);
  ExpositionFormat format = negotiate(accept);
  reply.contentType = std::string(contentType(format));
  if (gzip && format == ExpositionFormat::PrometheusText) {
    reply.contentEncoding = "gzip";
    DeviceBody body(std::move(rendered));
    reply.body = gzipScrape(&body, status);
  } else {
    appendScrape(reply.body, format, &rendered, status);
  }
  return reply;
}

void Collector::noteDeviceSet(const std::string& name, const ModuleScrapeSpec* spec) {
  const std::string signature = spec != nullptr ? deviceSetSignature(*spec) : "";
  std::string old;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = deviceSets_.find(name);
    if (it != deviceSets_.end() && it->second.signature == signature) {
      return;
    }
    if (it != deviceSets_.end()) {
      old = it->second.key;
      moduleSets_.erase(old);
      polledDeviceSets_.erase(
          std::remove_if(polledDeviceSets_.begin(), polledDeviceSets_.end(),
                         [&old](const ModuleScrapeSpec& polled) { return polled.key == old; }),
          polledDeviceSets_.end());
    }
    if (spec == nullptr) {
      if (it != deviceSets_.end()) {
        deviceSets_.erase(it);
      }
    } else {
      deviceSets_[name] = DeviceSet{spec->key, signature};
    }
  }
  if (!old.empty()) {
    cache_.erase(old);
  }
}

void Collector::dropDeviceSetNotIn(const InventoryView& view, const std::string& name,
                                   const std::string& key, const std::string& signature) {
  const inventoryfs::Device* device = view.find(name);
  std::optional<DeviceModules> now = device ? deviceModules(view, *device) : std::nullopt;
  if (!now || !now->spec || deviceSetSignature(*now->spec) != signature) {
    cache_.erase(key);
  }
}

std::map<std::string, std::string> Collector::deviceModuleProblems() const {
  auto view = inventory_.current();
  std::map<std::string, std::string> problems;
  for (const inventoryfs::Device& device : view->inventory.devices) {
    if (!hasModules(device)) {
      continue;
    }
    std::optional<DeviceModules> resolved = deviceModules(*view, device);
    if (resolved && hasProblem(*resolved)) {
      problems[view->targetFor(device)->name] = problemOf(*resolved);
    }
  }
  return problems;
}

void Collector::reportModuleProblems(std::map<std::string, std::string> problems) {
  deviceModuleProblems_.get().set(static_cast<double>(problems.size()));
  if (problems == loggedProblems_) {
    return;
  }
  Poco::Logger& log = logger("promsnmp.collector");
  for (const auto& [name, problem] : problems) {
    auto it = loggedProblems_.find(name);
    if (it == loggedProblems_.end() || it->second != problem) {
      logEvent(log, Poco::Message::PRIO_WARNING,
               "device names modules no module file defines; its other modules are polled",
               {{"target", name}, {"problem", problem}});
    }
  }
  for (const auto& [name, problem] : loggedProblems_) {
    if (problems.count(name) == 0) {
      logEvent(log, Poco::Message::PRIO_INFORMATION, "device modules are all defined again",
               {{"target", name}});
    }
  }
  loggedProblems_ = std::move(problems);
}

void Collector::enableModules(ModuleRegistry& registry, ModulePoller& poller,
                              bool allowUnlistedTargets) {
  modules_ = &registry;
  modulePoller_ = &poller;
  allowUnlistedTargets_ = allowUnlistedTargets;
}

size_t Collector::moduleSets() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return moduleSets_.size();
}

std::vector<ModuleSetState> Collector::moduleSetStates() const {
  std::vector<ModuleScrapeSpec> specs;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [key, spec] : moduleSets_) {
      specs.push_back(spec);
    }
    for (const ModuleScrapeSpec& spec : polledDeviceSets_) {
      if (moduleSets_.count(spec.key) == 0) {
        specs.push_back(spec);
      }
    }
  }
  auto now = clock_.steadyNow();
  std::vector<ModuleSetState> states;
  for (const ModuleScrapeSpec& spec : specs) {
    ModuleSetState state;
    state.target = spec.target.name;
    for (const auto& module : spec.modules) {
      state.modules += (state.modules.empty() ? "" : ",") + module->name;
    }
    state.auth = spec.authName;
    if (auto entry = cache_.peek(spec.key); entry && entry->last) {
      state.polled = true;
      state.up = entry->last->up();
      state.ageSeconds = secondsBetween(entry->storedAt, now);
      state.durationSeconds = entry->last->durationSeconds;
      if (!state.up) {
        state.error = entry->last->errorDetail;
      } else if (entry->last->modules) {
        for (const ModuleOutcome& outcome : entry->last->modules->outcomes) {
          if (!outcome.up()) {
            state.error += (state.error.empty() ? "" : "; ") + outcome.module + ": " +
                           pollErrorName(outcome.error) + " " + outcome.errorDetail;
          }
        }
      }
    }
    states.push_back(std::move(state));
  }
  std::sort(states.begin(), states.end(), [](const ModuleSetState& a, const ModuleSetState& b) {
    return std::tie(a.target, a.modules, a.auth) < std::tie(b.target, b.modules, b.auth);
  });
  return states;
}

ScrapeReply Collector::scrapeModules(const ModuleScrapeRequest& request, const std::string& accept,
                                     std::optional<double> scrapeTimeoutSeconds, bool gzip) {
  auto started = std::chrono::steady_clock::now();
  ScrapeReply reply;
  reply.contentType = "text/plain; charset=utf-8";
  if (modules_ == nullptr || modulePoller_ == nullptr) {
    reply.status = 404;
    reply.body = "modules are not enabled (snmp.module_files)\n";
    return reply;
  }
  auto view = inventory_.current();
  ModuleResolution resolved =
      resolveModuleScrape(request, *view, *modules_->current(), allowUnlistedTargets_);
  if (!resolved.spec) {
    if (resolved.status == 404) {
      unknownTargets_.get().inc();
    }
    reply.status = resolved.status;
    reply.body = escapeInvalidUtf8(resolved.error) + "\n";
    return reply;
  }
  return serveModules(std::move(*resolved.spec), started, accept, scrapeTimeoutSeconds, gzip);
}

ScrapeReply Collector::serveModules(ModuleScrapeSpec resolvedSpec,
                                    std::chrono::steady_clock::time_point started,
                                    const std::string& accept,
                                    std::optional<double> scrapeTimeoutSeconds, bool gzip) {
  const ModuleScrapeSpec spec = std::move(resolvedSpec);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Once per (device, module set): a cached scrape must not copy the spec every time. A
    // reload's new module definitions are taken by dueModuleSets; a changed agent drops it.
    moduleSets_.try_emplace(spec.key, spec);
  }
  auto budget = budgetFor(scrapeTimeoutSeconds);
  const std::string key = spec.key;
  CacheLookup lookup =
      cache_.get(key, budget, [&](const std::shared_ptr<const CacheEntry>& previous) {
        return pollBlocking(
            key, modulePoll(spec, previous, "scrape"),
            [this, key] { dropModuleSetsNotIn(*inventory_.current(), &key); }, budget);
      });
  if (lookup.source != CacheLookup::Source::Hit) {
    dropModuleSetsNotIn(*inventory_.current(), &key);  // its device may have left meanwhile
  }
  return replyFrom(lookup, spec.target.name, started, accept, gzip, &spec);
}

void Collector::dropModuleSetsNotIn(const InventoryView& view, const std::string* onlyKey) {
  // The device must still exist at the same agent; with the inventory's credentials, with the
  // same ones (a changed community must not keep polling with the old one).
  auto backed = [&view](const ModuleScrapeSpec& spec) {
    if (spec.device.empty()) {
      return true;  // an unlisted target: no inventory device backs it
    }
    const inventoryfs::Device* device = view.find(spec.device);
    std::optional<SnmpTarget> now = device ? view.targetFor(*device) : std::nullopt;
    return now && now->name == spec.device && now->address == spec.target.address &&
           now->port == spec.target.port &&
           (!spec.authName.empty() ||
            (now->sessionKey() == spec.target.sessionKey() &&
             now->timeoutMs == spec.target.timeoutMs && now->retries == spec.target.retries));
  };
  std::vector<std::string> gone;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (onlyKey != nullptr) {
      // After one poll: that set only (a scan of every set per poll is quadratic per cycle).
      auto it = moduleSets_.find(*onlyKey);
      if (it != moduleSets_.end() && !backed(it->second)) {
        gone.push_back(it->first);
        moduleSets_.erase(it);
      }
    } else {
      for (auto it = moduleSets_.begin(); it != moduleSets_.end();) {
        if (backed(it->second)) {
          ++it;
        } else {
          gone.push_back(it->first);
          it = moduleSets_.erase(it);
        }
      }
    }
  }
  for (const std::string& key : gone) {
    cache_.erase(key);
  }
}

std::vector<ModuleScrapeSpec> Collector::dueModuleSets(const std::vector<std::string>& requested) {
  if (modules_ == nullptr) {
    return {};
  }
  std::unordered_set<std::string> recent(requested.begin(), requested.end());
  auto set = modules_->current();
  std::vector<ModuleScrapeSpec> due;
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = moduleSets_.begin(); it != moduleSets_.end();) {
    ModuleScrapeSpec& spec = it->second;
    bool keep = recent.count(it->first) > 0;
    // A reload may have changed or removed a module: poll with the definitions in force.
    for (auto& module : spec.modules) {
      if (!keep) {
        break;
      }
      auto now = set->module(module->name);
      keep = now != nullptr;
      if (keep) {
        module = std::move(now);
      }
    }
    if (keep) {
      due.push_back(spec);
      ++it;
    } else {
      it = moduleSets_.erase(it);  // not scraped for a cache TTL: its entry expires by itself
    }
  }
  return due;
}

void Collector::evictCache() { cache_.evictAll(); }

std::vector<TargetState> Collector::targetStates() const {
  auto view = inventory_.current();
  auto now = clock_.steadyNow();
  std::unordered_map<std::string, std::string> ownSets;  // a device with modules: its set's key
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [name, set] : deviceSets_) {
      ownSets.emplace(name, set.key);
    }
  }
  std::vector<TargetState> states;
  for (const inventoryfs::Device& device : view->inventory.devices) {
    std::optional<SnmpTarget> polled = view->targetFor(device);
    if (!polled) {
      continue;
    }
    const SnmpTarget& target = *polled;
    TargetState state;
    state.name = target.name;
    state.address = target.address + ":" + std::to_string(target.port);
    std::string key = target.name;
    if (hasModules(device)) {
      auto own = ownSets.find(target.name);
      key = own != ownSets.end() ? own->second : "";  // "": not polled (yet)
    }
    if (auto entry = key.empty() ? nullptr : cache_.peek(key); entry && entry->last) {
      state.polled = true;
      state.up = entry->last->up();
      state.error = state.up ? ""
                             : std::string(pollErrorName(entry->last->error)) + ": " +
                                   entry->last->errorDetail;
      state.ageSeconds = secondsBetween(entry->storedAt, now);
      state.durationSeconds = entry->last->durationSeconds;
      state.interfaces = entry->lastGood ? entry->lastGood->interfaces.size() : 0;
      state.dataAgeSeconds = entry->lastGood ? secondsBetween(entry->goodAt, now) : -1;
      state.polls = entry->polls;
      for (uint64_t n : entry->errors) {
        state.failures += n;
      }
      const uint64_t shown = std::min<uint64_t>(entry->polls, 32);
      for (uint64_t i = shown; i-- > 0;) {
        state.recent += ((entry->recentUp >> i) & 1U) != 0 ? '+' : '-';
      }
    }
    states.push_back(std::move(state));
  }
  return states;
}

void Collector::onInventoryChange(const std::shared_ptr<const InventoryView>& before,
                                  const std::shared_ptr<const InventoryView>& after) {
  // Cached results stay valid for every device whose agent did not change. Per-target state of
  // a device that left goes, so that devices coming and going do not grow /metrics and memory
  // without bound.
  if (!before) {
    return;
  }
  for (const SnmpTarget& old : before->targets()) {
    dropStateNotIn(*after, old);
  }
  dropModuleSetsNotIn(*after, nullptr);
  // A device's own module set whose modules, auth or agent changed (or that left) goes with its
  // cache entry; the new one is polled from the next cycle.
  std::vector<std::string> named;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& entry : deviceSets_) {
      named.push_back(entry.first);
    }
  }
  for (const std::string& name : named) {
    const inventoryfs::Device* device = after->find(name);
    std::optional<SnmpTarget> target = device ? after->targetFor(*device) : std::nullopt;
    std::optional<DeviceModules> now =
        target && target->name == name ? deviceModules(*after, *device) : std::nullopt;
    noteDeviceSet(name, now && now->spec ? &*now->spec : nullptr);
  }
}

void Collector::dropStateNotIn(const InventoryView& view, const SnmpTarget& polled) {
  // The listener runs after the new view is current, and a callback calls this after storing
  // its result: either the listener runs after that store (and drops it) or this sees the new
  // view.
  const inventoryfs::Device* device = view.find(polled.name);
  std::optional<SnmpTarget> now = device ? view.targetFor(*device) : std::nullopt;
  const bool gone = !now || now->name != polled.name;
  const bool agentChanged = gone || now->sessionKey() != polled.sessionKey();
  // A device that gained modules is served and polled with them: its interface entry goes.
  if (agentChanged || now->timeoutMs != polled.timeoutMs || now->retries != polled.retries ||
      hasModules(*device)) {
    cache_.erase(polled.name);
  }
  if (gone) {
    targetPolls_.remove({polled.name});
    utilization_.forget(polled.name);
  }
  if (agentChanged) {
    poller_.forget(polled.sessionKey());
  }
}

void Collector::startBackgroundPoll(const std::string& key,
                                    const std::function<PollStarter()>& start,
                                    std::function<void()> after) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) {
      return;
    }
    ++inFlight_;
    ++pending_;
  }
  if (!cache_.beginPoll(key)) {
    callbackDone(true);  // a scrape's poll of this target is running; its result serves both
    return;
  }
  start()([this, key, after = std::move(after)](PollOutcome outcome) {
    cache_.finishPoll(key, std::move(outcome));
    after();
    callbackDone(true);
  });
}

void Collector::callbackDone(bool background) {
  // Notified under the lock: once it is released, stop() may return and this object go.
  std::lock_guard<std::mutex> lock(mutex_);
  if (background) {
    --inFlight_;
  }
  --pending_;
  wake_.notify_all();
}

void Collector::collectOnce() {
  auto view = inventory_.current();
  // One scan of the cache per cycle serves both the devices (mode scraped) and the module sets.
  const std::vector<std::string> requested = cache_.recentlyRequested(options_.cacheTtl);
  std::vector<SnmpTarget> due;
  // Devices with modules: polled with them (mode all), never with the interface set.
  std::vector<ModuleScrapeSpec> deviceSets;
  std::unordered_set<std::string> deviceKeys;
  std::map<std::string, std::string> problems;  // deviceModuleProblems, for this cycle's view
  // Each device with modules is resolved once a cycle, for its poll and for its problems (a
  // second pass through deviceModuleProblems cost as much as the first at 10,000 devices), all
  // against the same module set.
  const std::shared_ptr<const ModuleSet> moduleSet = moduleSetInForce();
  if (options_.mode == Mode::All) {
    for (const inventoryfs::Device& device : view->inventory.devices) {
      std::optional<SnmpTarget> target = view->targetFor(device);
      if (!target) {
        continue;
      }
      if (!hasModules(device)) {
        due.push_back(std::move(*target));
        continue;
      }
      std::optional<DeviceModules> resolved = resolveDeviceModules(device, *view, moduleSet.get());
      if (hasProblem(*resolved)) {
        problems[target->name] = problemOf(*resolved);
      }
      noteDeviceSet(target->name, resolved->spec ? &*resolved->spec : nullptr);
      if (resolved->spec) {
        deviceKeys.insert(resolved->spec->key);
        deviceSets.push_back(std::move(*resolved->spec));
      }
    }
  } else {
    for (const std::string& name : requested) {
      if (const inventoryfs::Device* device = view->find(name); device && !hasModules(*device)) {
        if (auto target = view->targetFor(*device)) {
          due.push_back(std::move(*target));
        }
      }
    }
    problems = deviceModuleProblems();
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    polledDeviceSets_ = deviceSets;
  }
  reportModuleProblems(std::move(problems));
  auto now = clock_.steadyNow();
  // A key a scrape polled since the last cycle ended, within half an interval, is not polled
  // again. A poll of the last cycle itself counts only after an overrun (when this cycle starts
  // at once and would poll the last one's tail twice): otherwise a long cycle (the first, which
  // walks the labels too) would leave its tail unpolled for 1.5 intervals.
  auto polledRecently = [&](const std::string& key) {
    auto entry = cache_.peek(key);
    return entry && entry->last && now - entry->storedAt < options_.interval / 2 &&
           (entry->storedAt > lastCycleEnd_ || lastCycleOverran_);
  };
  // Waits for a poll slot; false when stopping.
  auto waitForSlot = [this] {
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait(lock, [this] { return stopping_ || inFlight_ < options_.maxConcurrentPolls; });
    return !stopping_;
  };
  for (const SnmpTarget& target : due) {
    if (polledRecently(target.name)) {
      continue;
    }
    if (!waitForSlot()) {
      return;
    }
    // A device that left (or whose agent changed) since the cycle began, or while this waited
    // for a slot, is not polled.
    if (auto current = inventory_.current(); current != view && !backs(*current, target)) {
      continue;
    }
    startBackgroundPoll(
        target.name,
        [this, &target] { return devicePoll(target, cache_.peek(target.name), "interval"); },
        [this, target] { dropStateNotIn(*inventory_.current(), target); });
  }
  // The devices' own sets first, then the scraped ones that are no device's own.
  const size_t ownSets = deviceSets.size();
  for (ModuleScrapeSpec& spec : dueModuleSets(requested)) {
    if (deviceKeys.count(spec.key) == 0) {
      deviceSets.push_back(std::move(spec));
    }
  }
  for (size_t i = 0; i < deviceSets.size(); ++i) {
    const ModuleScrapeSpec& spec = deviceSets[i];
    if (polledRecently(spec.key)) {
      continue;
    }
    if (!waitForSlot()) {
      return;
    }
    const std::string key = spec.key;
    std::function<void()> after;
    if (i < ownSets) {
      after = [this, view, moduleSet, name = spec.device, key,
               signature = deviceSetSignature(spec)] {
        // Neither the inventory nor the module files changed since the cycle resolved the
        // device: it resolves to this set again (resolveDeviceModules is pure), nothing to drop.
        std::shared_ptr<const InventoryView> current = inventory_.current();
        if (current != view || moduleSetInForce() != moduleSet) {
          dropDeviceSetNotIn(*current, name, key, signature);
        }
      };
    } else {
      after = [this, key] { dropModuleSetsNotIn(*inventory_.current(), &key); };
    }
    startBackgroundPoll(
        key, [this, &spec] { return modulePoll(spec, cache_.peek(spec.key), "interval"); },
        std::move(after));
  }
  std::unique_lock<std::mutex> lock(mutex_);
  wake_.wait(lock, [this] { return stopping_ || inFlight_ == 0; });
  if (stopping_) {
    return;  // stop() cancels what still runs
  }
  lastCycleEnd_ = clock_.steadyNow();
  cache_.purgeExpired();
}

void Collector::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable()) {
    return;
  }
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void Collector::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
  // No poll starts any more. Cancel those in flight and wait for their callbacks. A poll that
  // registered just before stopping_ may send its first request after a cancellation was
  // processed: cancel again until none is left (each round ends every request then pending).
  constexpr auto kCancelRound = std::chrono::milliseconds(100);
  std::unique_lock<std::mutex> lock(mutex_);
  while (pending_ > 0) {
    lock.unlock();
    poller_.cancelAll();
    if (modulePoller_ != nullptr) {
      modulePoller_->cancelAll();
    }
    lock.lock();
    wake_.wait_for(lock, kCancelRound, [this] { return pending_ == 0; });
  }
}

void Collector::run() {
  Poco::Logger& log = logger("promsnmp.collector");
  auto next = std::chrono::steady_clock::now();
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (wake_.wait_until(lock, next, [this] { return stopping_; })) {
        return;
      }
    }
    auto started = std::chrono::steady_clock::now();
    try {
      collectOnce();
    } catch (const std::exception& e) {
      logEvent(log, Poco::Message::PRIO_ERROR, "collection cycle failed", {{"error", e.what()}});
    }
#if defined(__GLIBC__)
    // glibc keeps what was freed mapped, fragmented between the entries kept: a cycle's polls
    // (each builds about 1 MB of varbinds before packing them) and the scrapes rendered on the
    // HTTP threads' arenas left 220 MB of free pages at 1,000 module sets, four times what the
    // cache holds. Handed back once per cycle (a walk of the free lists, a few ms).
    malloc_trim(0);
#endif
    next += options_.interval;
    auto now = std::chrono::steady_clock::now();
    cycles_.get().inc();
    cycleDuration_.get().set(secondsBetween(started, now));
    lastCycleOverran_ = next < now;
    if (next < now) {
      overruns_.get().inc();
      // The cycle overran its interval: say so once per overrun, and start the next one now.
      logEvent(log, Poco::Message::PRIO_WARNING, "collection cycle overran its interval",
               {{"seconds", secondsBetween(started, now)},
                {"interval_seconds", std::chrono::duration<double>(options_.interval).count()}});
      next = now;
    }
  }
}

}  // namespace promsnmp
