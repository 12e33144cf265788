#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "discovery/Discovery.h"
#include "exposition/SelfMetrics.h"

namespace Poco {
class Logger;
}

namespace promsnmp {

class InventoryState;
class Leadership;
class LocalState;
class ModuleRegistry;
class ProfileRegistry;

/// Discovery runs on the leader: a queue of runs executed one at a time on a worker thread, the
/// cron and on-start triggers that scan the saved seeds, one inventory commit per run (through
/// Leadership, so a deposed leader's run commits nothing), and the run history (kept in memory
/// and in LocalState) behind `GET /promsnmp/discovery/runs`. Thread-safe.
class DiscoveryService {
 public:
  enum class Trigger { Api, Cron, Start };
  enum class State { Queued, Running, Succeeded, Failed, Cancelled };

  struct Options {
    DiscoveryOptions discovery;
    size_t maxQueued = 4;    // runs waiting behind the running one; more → Busy (429)
    size_t keepRuns = 100;   // history kept
    std::string cron = "-";  // Spring 6-field cron of scheduled runs ("-": none)
    std::string zone = "UTC";
    bool onStart = false;  // one run of the saved seeds when this process first leads
    /// Classification (classifyFound): the profiles and the modules in force, each taken once
    /// per run; nullptr: found devices are not classified (their sysObjectID is still stored).
    const ProfileRegistry* profiles = nullptr;
    const ModuleRegistry* modules = nullptr;
  };

  /// One run, as the history keeps it (credentials never appear here).
  struct Run {
    std::string id;
    Trigger trigger = Trigger::Api;
    State state = State::Queued;
    std::chrono::system_clock::time_point queuedAt{};
    std::chrono::system_clock::time_point startedAt{};
    std::chrono::system_clock::time_point finishedAt{};
    size_t seeds = 0;       // seeds scanned
    size_t seedsSaved = 0;  // seeds added to the inventory by this run
    ScanSummary scan;       // counts and problems; `found` is emptied once merged
    size_t found = 0;
    MergeCounts merge;
    uint64_t version = 0;  // inventory version committed by this run (0: none)
    std::string error;
  };

  /// The queue is full: the caller should retry later (HTTP 429).
  class Busy : public std::runtime_error {
   public:
    using std::runtime_error::runtime_error;
  };

  /// References outlive this object. `local` may be nullptr. Throws Poco::SyntaxException or
  /// Poco::NotFoundException for a bad cron expression or zone.
  DiscoveryService(InventoryState& inventory, Leadership& leadership, SnmpClient& snmp,
                   Prober& prober, SelfMetrics& metrics, LocalState* local, Options options);
  ~DiscoveryService();
  DiscoveryService(const DiscoveryService&) = delete;
  DiscoveryService& operator=(const DiscoveryService&) = delete;

  /// Starts the worker and the scheduler. Loads the kept history. Call once.
  void start();
  /// Stops the scheduler, cancels queued runs, asks the running one to stop, joins.
  void stop();

  /// Queues a run that scans `scan` and then adds `save` to the saved seeds, in one commit.
  /// Returns its id at once. Throws Leadership::NotLeader when this replica does not lead, Busy
  /// when the queue is full.
  std::string submit(Trigger trigger, std::vector<inventoryfs::DiscoverySeed> scan,
                     std::vector<inventoryfs::DiscoverySeed> save);

  /// The history, newest first (queued and running included).
  std::vector<Run> runs() const;
  std::optional<Run> run(const std::string& id) const;
  /// The JSON of a history row (as stored), or nullopt.
  std::optional<std::string> runJson(const std::string& id) const;
  /// `[...]` of every run, newest first.
  std::string runsJson() const;

  /// When the cron fires next (for logs and the landing page), or nullopt.
  std::optional<std::chrono::system_clock::time_point> nextScheduled() const;

  static const char* triggerName(Trigger trigger);
  static const char* stateName(State state);
  static std::string toJson(const Run& run);

 private:
  void work();
  void schedule();
  void execute(Run& run, const std::vector<inventoryfs::DiscoverySeed>& scan,
               const std::vector<inventoryfs::DiscoverySeed>& save);
  void record(const Run& run);  // into the history (memory and LocalState)
  void scheduleSavedSeeds(Trigger trigger);

  struct Pending {
    std::string id;
    std::vector<inventoryfs::DiscoverySeed> scan;
    std::vector<inventoryfs::DiscoverySeed> save;
  };

  InventoryState& inventory_;
  Leadership& leadership_;
  SnmpClient& snmp_;
  Prober& prober_;
  LocalState* local_;
  Options options_;
  Poco::Logger& log_;
  struct Schedule;  // the parsed cron and zone (CronExpression, TimeZone)
  std::unique_ptr<Schedule> schedule_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  struct Entry {
    Run run;           // for runs of earlier processes only id and state are filled
    std::string json;  // toJson(run), or the stored JSON of an earlier process's run
  };
  std::deque<Entry> history_;  // newest first
  std::atomic<bool> stop_{false};
  bool started_ = false;
  std::thread worker_;
  std::thread scheduler_;
  std::optional<std::chrono::system_clock::time_point> next_;

  Counter& attempts_;
  Counter& successes_;
  Gauge& lastSuccess_;
  Gauge& running_;
  Gauge& queued_;
  Gauge& lastDuration_;
  Family<Counter>& probes_;
  Counter& newDevices_;
  Counter& updatedDevices_;
};

}  // namespace promsnmp
