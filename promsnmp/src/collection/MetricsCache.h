#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "collection/PollResult.h"
#include "common/Clock.h"
#include "exposition/Exposition.h"

namespace promsnmp {

// The cache of rendered device results, keyed by target (the device's sysName, exactly as
// requested — Java's key). A scrape is a hit when the target's last poll completed less than
// `ttl` ago (CACHE_EXP_MILLIS); otherwise exactly one caller polls (single-flight) and the other
// callers for that target wait for its result, each within its own budget. Java had no
// single-flight: N concurrent misses walked a device N times.
//
// Entries are bounded by `maxEntries` (CACHE_ENTRY_CNT), least recently used evicted first.
// An expired entry is not served as a hit, but is kept (until LRU eviction, purgeExpired(),
// erase() or evictAll()) so that a poll can reuse its labels (`previous`) and a waiter whose
// budget ran out still gets the target's status.
//
// Device data is never served older than `ttl`: a failed poll keeps the last good body, which is
// served with target_up 0 and its age until `ttl` after the good poll, then dropped.
//
// Counters never go back across replicas: behind HAProxy a device's scrapes move to another
// replica while its own restarts or answers 503, and back. A replica serving a target again
// after others served it meanwhile may hold an entry polled before what they served; served,
// it would read as a counter reset. So on the first request after a hole in a target's requests
// (a gap longer than 1.5 times the longer of the two gaps before it, plus kHoleSlack) a fresh
// entry is not a hit: the caller polls live (a *takeover*). A takeover poll that does not finish
// within the budget leaves the fresh entry served (Stale). A replica serving a target for the
// first time has no entry in collection mode `scraped`, the mode of replicas behind HAProxy.

/// What one poll contributes: its result and, when it succeeded, the rendered body.
struct PollOutcome {
  std::shared_ptr<const PollResult> result;
  std::shared_ptr<const DeviceBody> body;  // null for a failed poll
};

/// One target's state. Immutable once published: every store makes a new one.
struct CacheEntry {
  std::shared_ptr<const PollResult> last;            // the last completed poll, good or failed
  std::shared_ptr<const PollResult> lastGood;        // the last successful poll, or null
  std::shared_ptr<const DeviceBody> body;            // rendered from lastGood, or null
  std::chrono::steady_clock::time_point storedAt{};  // when `last` was stored
  std::chrono::steady_clock::time_point goodAt{};    // when `lastGood` was stored
  std::array<uint64_t, kPollErrorReasons.size()> errors{};  // failed polls by reason
  uint64_t polls = 0;                                       // polls stored, good or failed
  uint64_t recentUp = 0;  // the last min(polls, 64) outcomes, bit 0 the newest: 1 = up
};

/// The answer to get().
struct CacheLookup {
  enum class Source {
    Hit,     // a fresh entry
    Polled,  // this caller ran the poll
    Waited,  // this caller waited for another caller's poll
    Stale,   // the budget ran out (or the poll threw): whatever entry there was, maybe expired
    None,    // nothing to serve
  };

  std::shared_ptr<const CacheEntry> entry;  // null with Source::None
  std::shared_ptr<const DeviceBody> body;   // entry's body if younger than ttl, else null
  Source source = Source::None;
  std::chrono::steady_clock::time_point at{};  // when the lookup was answered (Clock time)

  /// The status tail for this response. `scrapeSeconds` is the time the request took so far.
  TargetStatus status(std::string_view target, double scrapeSeconds) const;
};

class MetricsCache {
 public:
  /// Added to a hole's threshold: scrape jitter, a slow answer and a stalled thread in a burst
  /// of requests are not holes (scrape intervals are seconds; 250 ms made a burst on a loaded
  /// machine poll twice).
  static constexpr std::chrono::milliseconds kHoleSlack{1000};

  struct Options {
    std::chrono::milliseconds ttl{300000};  // CACHE_EXP_MILLIS
    size_t maxEntries = 10000;              // CACHE_ENTRY_CNT
  };

  struct Stats {
    uint64_t hits = 0;         // fresh entry served
    uint64_t misses = 0;       // a caller ran the poll
    uint64_t waits = 0;        // a caller joined another caller's poll
    uint64_t timeouts = 0;     // a waiter's budget ran out
    uint64_t evictions = 0;    // entries removed to stay within maxEntries
    uint64_t expirations = 0;  // entries removed by purgeExpired()
    uint64_t takeovers = 0;    // fresh entries polled again: the first request after a hole
    size_t size = 0;
    size_t inFlight = 0;  // polls running under single-flight
  };

  /// Runs one blocking poll. `previous` is the target's entry even if expired (use its lastGood
  /// to reuse labels), or null. Must return a result (a failing device is a failed PollResult,
  /// not an exception); if it throws anyway, waiters get the stale entry and the exception
  /// propagates to the caller that ran it.
  using PollFn = std::function<PollOutcome(const std::shared_ptr<const CacheEntry>& previous)>;

  MetricsCache(common::Clock& clock, Options options);

  /// Serves `target`. Fresh entry: returned at once (Hit). Otherwise, if no poll of `target` is
  /// running, this caller runs `pollFn` to completion (it is not bounded by `waitBudget`; bound
  /// the poll itself) and stores the result (Polled). If a poll is running (started by get() or
  /// beginPoll()), waits up to `waitBudget` for it (Waited), or returns the entry there is
  /// (Stale) or nothing (None). The wait is measured on std::chrono::steady_clock, not the
  /// injected Clock, because it blocks a thread. Marks `target` as requested. Thread-safe.
  CacheLookup get(const std::string& target, std::chrono::milliseconds waitBudget,
                  const PollFn& pollFn);

  /// Background collection through single-flight: returns false (and the caller skips this
  /// target) if a poll of `target` is already running, else registers one and returns true; the
  /// caller must then call finishPoll() exactly once. Thread-safe.
  bool beginPoll(const std::string& target);
  /// Stores the outcome of a poll registered by beginPoll() and wakes its waiters. A null
  /// outcome.result stores nothing (waiters get the stale entry). Thread-safe.
  std::shared_ptr<const CacheEntry> finishPoll(const std::string& target, PollOutcome outcome);

  /// Stores a poll outcome for `target` outside single-flight. An outcome whose poll started
  /// before the stored one's is ignored, so a slow poll never replaces newer counters.
  /// Returns the entry now stored. Thread-safe.
  std::shared_ptr<const CacheEntry> put(const std::string& target, PollOutcome outcome);

  /// The entry of `target` whether fresh or not, or null. No statistics, no LRU touch.
  std::shared_ptr<const CacheEntry> peek(const std::string& target) const;

  /// Removes every entry (`/promsnmp/evictCache`). Running polls still store their results.
  void evictAll();
  /// Removes one entry; returns whether there was one.
  bool erase(const std::string& target);
  /// Removes entries whose last poll completed `ttl` or more ago; returns how many.
  size_t purgeExpired();

  /// Targets served by get() within `window` (for collection mode `scraped`), in no order.
  std::vector<std::string> recentlyRequested(std::chrono::milliseconds window) const;

  Stats stats() const;
  const Options& options() const { return options_; }

 private:
  struct Node {
    std::string target;
    std::shared_ptr<const CacheEntry> entry;
    std::chrono::steady_clock::time_point requestedAt{};  // last get(); {} if never
    bool requested = false;
    // The last two gaps between get()s (zero until known): the cadence a hole is judged by.
    std::chrono::steady_clock::duration lastGap{};
    std::chrono::steady_clock::duration gapBefore{};
  };
  struct Flight {
    std::condition_variable done;
    bool finished = false;
    std::shared_ptr<const CacheEntry> result;  // null: nothing new was stored
  };
  using Lru = std::list<Node>;  // most recently used first

  bool fresh(const CacheEntry& e, std::chrono::steady_clock::time_point now) const;
  /// Records a get() of `node` at `now`; returns whether it is a takeover (see above).
  static bool requestTakesOver(Node& node, std::chrono::steady_clock::time_point now);
  std::shared_ptr<const DeviceBody> servableBody(const CacheEntry& e,
                                                 std::chrono::steady_clock::time_point now) const;
  CacheLookup answer(std::shared_ptr<const CacheEntry> entry, CacheLookup::Source source,
                     std::chrono::steady_clock::time_point now) const;
  // All below: mutex_ held.
  Lru::iterator touch(const std::string& target);  // lru_.end() if absent
  std::shared_ptr<const CacheEntry> storeLocked(const std::string& target, PollOutcome outcome,
                                                std::chrono::steady_clock::time_point now);
  void finishLocked(const std::string& target, std::shared_ptr<const CacheEntry> result);

  common::Clock& clock_;
  const Options options_;
  mutable std::mutex mutex_;
  Lru lru_;
  std::unordered_map<std::string, Lru::iterator> index_;
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;
  Stats stats_;
};

}  // namespace promsnmp
