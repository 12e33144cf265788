#include "discovery/DiscoveryService.h"

#include <sstream>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>

#include "common/Logging.h"
#include "discovery/CronExpression.h"
#include "discovery/ProfileRegistry.h"
#include "discovery/TimeZone.h"
#include "inventory/InventoryState.h"
#include "inventory/LocalState.h"
#include "inventoryfs/Exceptions.h"
#include "inventoryfs/InventoryJson.h"
#include "leadership/Leadership.h"
#include "modules/ModuleRegistry.h"

namespace promsnmp {

using common::logEvent;
using common::logger;

namespace {

using SystemClock = std::chrono::system_clock;

int64_t millisOf(SystemClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string isoOf(SystemClock::time_point t) {
  if (t.time_since_epoch().count() == 0) {
    return "";
  }
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  inventoryfs::Instant instant{ns / 1000000000, static_cast<int32_t>(ns % 1000000000)};
  instant.nanos -= instant.nanos % 1000000;  // milliseconds are enough for a run record
  return inventoryfs::formatInstant(instant);
}

double secondsBetween(SystemClock::time_point from, SystemClock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

struct DiscoveryService::Schedule {
  std::optional<CronExpression> cron;
  std::optional<TimeZone> zone;
};

const char* DiscoveryService::triggerName(Trigger trigger) {
  switch (trigger) {
    case Trigger::Api:
      return "api";
    case Trigger::Cron:
      return "cron";
    case Trigger::Start:
      return "start";
  }
  return "api";
}

const char* DiscoveryService::stateName(State state) {
  switch (state) {
    case State::Queued:
      return "queued";
    case State::Running:
      return "running";
    case State::Succeeded:
      return "succeeded";
    case State::Failed:
      return "failed";
    case State::Cancelled:
      return "cancelled";
  }
  return "failed";
}

std::string DiscoveryService::toJson(const Run& run) {
  Poco::JSON::Object object(Poco::JSON_PRESERVE_KEY_ORDER);
  object.set("id", run.id);
  object.set("trigger", triggerName(run.trigger));
  object.set("state", stateName(run.state));
  object.set("queuedAt", isoOf(run.queuedAt));
  object.set("startedAt", isoOf(run.startedAt));
  object.set("finishedAt", isoOf(run.finishedAt));
  bool finished = run.finishedAt.time_since_epoch().count() != 0;
  bool started = run.startedAt.time_since_epoch().count() != 0;
  object.set("durationSeconds",
             started ? secondsBetween(run.startedAt, finished ? run.finishedAt : SystemClock::now())
                     : 0.0);
  object.set("seeds", run.seeds);
  object.set("seedsSaved", run.seedsSaved);
  object.set("targetsScanned", run.scan.addresses);
  object.set("found", run.found);
  object.set("new", run.merge.newDevices);
  object.set("newAgents", run.merge.newAgents);
  object.set("updated", run.merge.updatedDevices);
  object.set("unchanged", run.merge.unchanged);
  object.set("timeouts", run.scan.timeouts);
  object.set("unreachable", run.scan.unreachable);
  object.set("errors", run.scan.errors);
  object.set("inventoryVersion", run.version);
  object.set("error", run.error);
  Poco::JSON::Array problems;
  for (const std::string& p : run.scan.problems) {
    problems.add(p);
  }
  object.set("problems", problems);
  // What the merge did device by device: the operator's fields it kept although the agent said
  // otherwise, and the devices it created (each list bounded, the counts are not).
  auto orNull = [](const std::optional<std::string>& value) {
    return value ? Poco::Dynamic::Var(*value) : Poco::Dynamic::Var();
  };
  object.set("keptFields", run.merge.keptFields);
  Poco::JSON::Array kept;
  for (const KeptField& k : run.merge.kept) {
    Poco::JSON::Object row(Poco::JSON_PRESERVE_KEY_ORDER);
    row.set("deviceId", k.deviceId);
    row.set("device", k.device);
    row.set("field", k.field);
    row.set("operatorValue", orNull(k.operatorValue));
    row.set("agentValue", orNull(k.agentValue));
    kept.add(row);
  }
  object.set("kept", kept);
  Poco::JSON::Array created;
  for (const CreatedDevice& c : run.merge.created) {
    Poco::JSON::Object row(Poco::JSON_PRESERVE_KEY_ORDER);
    row.set("deviceId", c.deviceId);
    row.set("sysName", orNull(c.sysName));
    row.set("endpoint", c.endpoint);
    created.add(row);
  }
  object.set("created", created);
  // Each found device's profile and why (classified by this run, or as it was).
  object.set("classified", run.merge.classified);
  Poco::JSON::Array profiles;
  for (const DeviceClass& c : run.merge.profiles) {
    Poco::JSON::Object row(Poco::JSON_PRESERVE_KEY_ORDER);
    row.set("deviceId", c.deviceId);
    row.set("sysName", orNull(c.sysName));
    row.set("endpoint", c.endpoint);
    row.set("sysObjectID", orNull(c.sysObjectId));
    row.set("profile", c.profile.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(c.profile));
    row.set("reason", c.reason);
    row.set("classified", c.classified);
    Poco::JSON::Array modules;
    for (const std::string& m : c.modules) {
      modules.add(m);
    }
    row.set("modules", modules);
    row.set("modulesSetByOperator", c.modulesKept);
    Poco::JSON::Array notes;
    for (const std::string& n : c.notes) {
      notes.add(n);
    }
    row.set("notes", notes);
    profiles.add(row);
  }
  object.set("profiles", profiles);
  std::ostringstream out;
  object.stringify(out);
  return out.str();
}

DiscoveryService::DiscoveryService(InventoryState& inventory, Leadership& leadership,
                                   SnmpClient& snmp, Prober& prober, SelfMetrics& metrics,
                                   LocalState* local, Options options)
    : inventory_(inventory),
      leadership_(leadership),
      snmp_(snmp),
      prober_(prober),
      local_(local),
      options_(std::move(options)),
      log_(logger("promsnmp.discovery")),
      schedule_(std::make_unique<Schedule>()),
      attempts_(
          metrics.counter("promsnmp_discovery_attempts_total", "Discovery runs started.").get()),
      successes_(metrics
                     .counter("promsnmp_discovery_success_total",
                              "Discovery runs that finished and committed their result.")
                     .get()),
      lastSuccess_(metrics
                       .gauge("promsnmp_last_discovery_timestamp_seconds",
                              "When the last successful discovery run finished (Unix time).")
                       .get()),
      running_(
          metrics.gauge("promsnmp_discovery_running", "1 while a discovery run executes.").get()),
      queued_(metrics.gauge("promsnmp_discovery_queued", "Discovery runs waiting to start.").get()),
      lastDuration_(metrics
                        .gauge("promsnmp_discovery_last_duration_seconds",
                               "Wall time of the last finished discovery run.")
                        .get()),
      probes_(metrics.counter("promsnmp_discovery_probes_total",
                              "Discovery probes by outcome (answered, timeout, unreachable, "
                              "error).",
                              {"result"})),
      newDevices_(metrics
                      .counter("promsnmp_discovery_new_devices_total",
                               "Devices added to the inventory by discovery.")
                      .get()),
      updatedDevices_(metrics
                          .counter("promsnmp_discovery_updated_devices_total",
                                   "Devices whose system group discovery updated.")
                          .get()) {
  if (options_.cron != "-" && !options_.cron.empty()) {
    schedule_->cron = CronExpression::parse(options_.cron);
    schedule_->zone = TimeZone::load(options_.zone);
  }
}

DiscoveryService::~DiscoveryService() { stop(); }

void DiscoveryService::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (started_) {
    return;
  }
  started_ = true;
  if (local_ != nullptr) {
    try {
      for (const LocalState::RunRecord& kept : local_->loadRuns()) {
        Entry entry;
        entry.run.id = kept.id;
        entry.run.state = kept.state == "succeeded"   ? State::Succeeded
                          : kept.state == "cancelled" ? State::Cancelled
                                                      : State::Failed;
        entry.json = kept.json;
        history_.push_back(std::move(entry));
      }
    } catch (const Poco::Exception& e) {
      logEvent(log_, Poco::Message::PRIO_WARNING, "discovery history not readable",
               {{"error", e.displayText()}});
    }
  }
  worker_ = std::thread([this] { work(); });
  scheduler_ = std::thread([this] { schedule(); });
}

void DiscoveryService::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!started_ || stop_.exchange(true)) {
      return;
    }
    for (const Pending& pending : queue_) {
      for (Entry& entry : history_) {
        if (entry.run.id == pending.id) {
          entry.run.state = State::Cancelled;
          entry.run.error = "the process stopped before the run started";
          entry.run.finishedAt = SystemClock::now();
          entry.json = toJson(entry.run);
        }
      }
    }
    queue_.clear();
    wake_.notify_all();
  }
  if (worker_.joinable()) {
    worker_.join();
  }
  if (scheduler_.joinable()) {
    scheduler_.join();
  }
}

std::string DiscoveryService::submit(Trigger trigger, std::vector<inventoryfs::DiscoverySeed> scan,
                                     std::vector<inventoryfs::DiscoverySeed> save) {
  if (!leadership_.isLeader()) {
    throw Leadership::NotLeader("this replica does not lead (" + leadership_.describe() +
                                "); discovery runs on the leader");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (queue_.size() >= options_.maxQueued) {
    throw Busy(std::to_string(queue_.size()) +
               " discovery runs are already waiting; try again when one has finished");
  }
  Entry entry;
  entry.run.id = inventoryfs::newUuid();
  entry.run.trigger = trigger;
  entry.run.queuedAt = SystemClock::now();
  entry.run.seeds = scan.size();
  entry.json = toJson(entry.run);
  history_.push_front(entry);
  while (history_.size() > options_.keepRuns) {
    history_.pop_back();
  }
  queue_.push_back({entry.run.id, std::move(scan), std::move(save)});
  queued_.set(static_cast<double>(queue_.size()));
  wake_.notify_all();
  logEvent(log_, Poco::Message::PRIO_INFORMATION, "discovery queued",
           {{"run", entry.run.id},
            {"trigger", triggerName(trigger)},
            {"seeds", std::to_string(entry.run.seeds)}});
  return entry.run.id;
}

void DiscoveryService::work() {
  for (;;) {
    Pending pending;
    Run run;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_.load() || !queue_.empty(); });
      if (stop_.load()) {
        return;
      }
      pending = std::move(queue_.front());
      queue_.pop_front();
      queued_.set(static_cast<double>(queue_.size()));
      for (Entry& entry : history_) {
        if (entry.run.id == pending.id) {
          run = entry.run;
        }
      }
    }
    run.id = pending.id;
    run.state = State::Running;
    run.startedAt = SystemClock::now();
    record(run);
    running_.set(1);
    attempts_.inc();
    execute(run, pending.scan, pending.save);
    running_.set(0);
    run.finishedAt = SystemClock::now();
    lastDuration_.set(secondsBetween(run.startedAt, run.finishedAt));
    if (run.state == State::Succeeded) {
      successes_.inc();
      lastSuccess_.set(static_cast<double>(millisOf(run.finishedAt)) / 1000.0);
    }
    record(run);
    logEvent(log_,
             run.state == State::Succeeded ? Poco::Message::PRIO_INFORMATION
                                           : Poco::Message::PRIO_WARNING,
             "discovery finished",
             {{"run", run.id},
              {"state", stateName(run.state)},
              {"scanned", std::to_string(run.scan.addresses)},
              {"found", std::to_string(run.found)},
              {"new", std::to_string(run.merge.newDevices)},
              {"updated", std::to_string(run.merge.updatedDevices)},
              {"kept_fields", std::to_string(run.merge.keptFields)},
              {"classified", std::to_string(run.merge.classified)},
              {"timeouts", std::to_string(run.scan.timeouts)},
              {"unreachable", std::to_string(run.scan.unreachable)},
              {"errors", std::to_string(run.scan.errors)},
              {"version", std::to_string(run.version)},
              {"seconds", std::to_string(secondsBetween(run.startedAt, run.finishedAt))},
              {"error", run.error.empty() ? "-" : run.error}});
  }
}

void DiscoveryService::execute(Run& run, const std::vector<inventoryfs::DiscoverySeed>& scan,
                               const std::vector<inventoryfs::DiscoverySeed>& save) {
  if (!leadership_.isLeader()) {
    run.state = State::Failed;
    run.error = "not the leader when the run started (" + leadership_.describe() + ")";
    return;
  }
  logEvent(log_, Poco::Message::PRIO_INFORMATION, "discovery started",
           {{"run", run.id}, {"seeds", std::to_string(scan.size())}});
  auto progress = [&](const ScanSummary& soFar, size_t seedsDone) {
    Run partial = run;
    partial.scan.addresses = soFar.addresses;
    partial.scan.answered = soFar.answered;
    partial.scan.timeouts = soFar.timeouts;
    partial.scan.unreachable = soFar.unreachable;
    partial.scan.errors = soFar.errors;
    partial.found = soFar.found.size();
    record(partial);
    logEvent(log_, Poco::Message::PRIO_INFORMATION, "discovery progress",
             {{"run", run.id},
              {"seeds_done", std::to_string(seedsDone) + "/" + std::to_string(scan.size())},
              {"scanned", std::to_string(soFar.addresses)},
              {"found", std::to_string(soFar.found.size())},
              {"timeouts", std::to_string(soFar.timeouts)},
              {"unreachable", std::to_string(soFar.unreachable)},
              {"errors", std::to_string(soFar.errors)}});
  };
  run.scan =
      scanSeeds(scan, snmp_, prober_, options_.discovery, stop_, resolveWithSystem, progress);
  run.found = run.scan.found.size();
  probes_.labels({"answered"}).inc(static_cast<double>(run.scan.answered));
  probes_.labels({"timeout"}).inc(static_cast<double>(run.scan.timeouts));
  probes_.labels({"unreachable"}).inc(static_cast<double>(run.scan.unreachable));
  probes_.labels({"error"}).inc(static_cast<double>(run.scan.errors));
  if (stop_.load()) {
    run.state = State::Cancelled;
    run.error = "the process is stopping";
    return;
  }

  // One commit for the run; skipped when it would change nothing.
  const inventoryfs::Instant now = inventoryfs::nowInstant();
  std::vector<FoundAgent> found = std::move(run.scan.found);
  run.scan.found.clear();
  if (options_.profiles != nullptr) {
    // Before the commit: the optional modules' probes are I/O, the merge is not.
    std::shared_ptr<const ModuleSet> modules = options_.modules != nullptr
                                                   ? options_.modules->current()
                                                   : std::make_shared<const ModuleSet>();
    classifyFound(found, inventory_.current()->inventory, *options_.profiles->current(), *modules,
                  snmp_, options_.discovery, stop_, now);
  }
  MergeCounts counts;
  size_t seedsSaved = 0;
  auto change = [&](inventoryfs::Inventory& inventory) {
    counts = mergeFound(found, inventory, now);
    seedsSaved = 0;
    for (const inventoryfs::DiscoverySeed& seed : save) {
      seedsSaved += addSeed(seed, inventory) ? 1 : 0;
    }
  };
  inventoryfs::Inventory preview = inventory_.current()->inventory;
  change(preview);
  if (preview == inventory_.current()->inventory) {
    run.merge = counts;
    run.seedsSaved = 0;
    run.version = 0;
    run.state = State::Succeeded;
    return;
  }
  try {
    inventoryfs::CommitResult result = leadership_.commit(change);
    run.version = result.version;
    run.merge = counts;
    run.seedsSaved = seedsSaved;
    run.state = State::Succeeded;
    newDevices_.inc(static_cast<double>(counts.newDevices));
    updatedDevices_.inc(static_cast<double>(counts.updatedDevices));
    inventory_.refresh();
  } catch (const Leadership::NotLeader& e) {
    run.state = State::Failed;
    run.error = std::string("not committed: ") + e.what();
  } catch (const inventoryfs::FencedException& e) {
    run.state = State::Failed;
    run.error = "not committed, stepped down: " + e.displayText();
  } catch (const Poco::Exception& e) {
    run.state = State::Failed;
    run.error = "not committed: " + e.displayText();
  }
}

void DiscoveryService::record(const Run& run) {
  std::string json = toJson(run);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (Entry& entry : history_) {
      if (entry.run.id == run.id) {
        entry.run = run;
        entry.json = json;
      }
    }
  }
  if (local_ != nullptr && run.state != State::Running && run.state != State::Queued) {
    try {
      local_->saveRun(
          {run.id, millisOf(run.startedAt), millisOf(run.finishedAt), stateName(run.state), json},
          options_.keepRuns);
    } catch (const Poco::Exception& e) {
      logEvent(log_, Poco::Message::PRIO_WARNING, "discovery history not saved",
               {{"run", run.id}, {"error", e.displayText()}});
    }
  }
}

void DiscoveryService::scheduleSavedSeeds(Trigger trigger) {
  if (!leadership_.isLeader()) {
    logEvent(log_, Poco::Message::PRIO_DEBUG, "scheduled discovery skipped: not the leader",
             {{"trigger", triggerName(trigger)}});
    return;
  }
  std::vector<inventoryfs::DiscoverySeed> seeds = inventory_.current()->inventory.discoverySeeds;
  if (seeds.empty()) {
    logEvent(log_, Poco::Message::PRIO_INFORMATION, "scheduled discovery skipped: no saved seeds",
             {{"trigger", triggerName(trigger)}});
    return;
  }
  try {
    submit(trigger, std::move(seeds), {});
  } catch (const std::exception& e) {
    logEvent(log_, Poco::Message::PRIO_WARNING, "scheduled discovery not queued",
             {{"trigger", triggerName(trigger)}, {"error", e.what()}});
  }
}

void DiscoveryService::schedule() {
  bool startPending = options_.onStart;
  std::optional<SystemClock::time_point> next;
  if (schedule_->cron) {
    next = schedule_->cron->next(SystemClock::now(), *schedule_->zone);
  }
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      next_ = next;
      // Wake at the cron time, and at least every second to notice leadership for on-start.
      auto until = SystemClock::now() + std::chrono::seconds(1);
      if (next && *next < until) {
        until = *next;
      }
      wake_.wait_until(lock, until, [&] { return stop_.load(); });
      if (stop_.load()) {
        return;
      }
    }
    if (startPending && leadership_.isLeader()) {
      startPending = false;
      scheduleSavedSeeds(Trigger::Start);
    }
    if (next && SystemClock::now() >= *next) {
      scheduleSavedSeeds(Trigger::Cron);
      next = schedule_->cron->next(SystemClock::now(), *schedule_->zone);
    }
  }
}

std::vector<DiscoveryService::Run> DiscoveryService::runs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Run> out;
  for (const Entry& entry : history_) {
    out.push_back(entry.run);
  }
  return out;
}

std::optional<DiscoveryService::Run> DiscoveryService::run(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const Entry& entry : history_) {
    if (entry.run.id == id) {
      return entry.run;
    }
  }
  return std::nullopt;
}

std::optional<std::string> DiscoveryService::runJson(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const Entry& entry : history_) {
    if (entry.run.id == id) {
      return entry.run.state == State::Running ? toJson(entry.run) : entry.json;
    }
  }
  return std::nullopt;
}

std::string DiscoveryService::runsJson() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out = "[";
  for (const Entry& entry : history_) {
    out += out.size() > 1 ? "," : "";
    out += entry.run.state == State::Running ? toJson(entry.run) : entry.json;
  }
  return out + "]";
}

std::optional<SystemClock::time_point> DiscoveryService::nextScheduled() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return next_;
}

}  // namespace promsnmp
