#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <Poco/Logger.h>

#include "common/Clock.h"

namespace common {

/// Bounds the log lines of one kind of event (a device's state change, a failed login): at most
/// `perKey` lines per key in a window of `keyWindow` that starts at the key's first event, and at
/// most `perSite` lines over all keys per `siteWindow`. Events beyond are counted, not logged;
/// closedWindows() hands the counts over once their window has ended, for one summary line each.
/// Summaries take the site's budget too, so the whole stays within perSite lines plus one
/// site summary per siteWindow, however many keys misbehave. Keys are forgotten when their window
/// ends (closedWindows); beyond `maxKeys` keys, a new key is held to the site cap alone.
/// Thread-safe.
class LogLimiter {
 public:
  struct Options {
    size_t perKey = 6;  // three down/up cycles of a device
    std::chrono::milliseconds keyWindow{std::chrono::minutes(10)};
    size_t perSite = 60;
    std::chrono::milliseconds siteWindow{std::chrono::minutes(1)};
    size_t maxKeys = 100000;
  };

  /// Events not logged in a window that has ended: `key` "" is the site-wide cap's.
  struct Suppressed {
    std::string key;
    uint64_t count = 0;
    bool operator==(const Suppressed&) const = default;
  };

  LogLimiter(common::Clock& clock, Options options);

  /// Counts one event of `key` now; true when it may be logged.
  bool admit(const std::string& key);

  /// The counts of windows that ended with events not logged, each once: a key's (its summary
  /// takes one line of the site's budget; without one left, its count goes to the site's) and
  /// then the site's. Forgets the keys whose window ended. Call it before logging anything new
  /// (admit() does not) and from time to time.
  std::vector<Suppressed> closedWindows();

  /// closedWindows() with the site's count logged here, one warning on `log` for every user of
  /// a limiter: `msg="<what> not logged: site-wide cap" suppressed=N window_seconds=60 cap=60`;
  /// returns the keys' counts.
  std::vector<Suppressed> closedKeyWindows(Poco::Logger& log, const std::string& what);

  const Options& options() const { return options_; }

 private:
  struct Window {
    std::chrono::steady_clock::time_point start;
    size_t logged = 0;
    uint64_t suppressed = 0;
  };

  // mutex_ held: whether the site window has a line left (starting a new window if due).
  bool siteHasRoom(std::chrono::steady_clock::time_point now);

  common::Clock& clock_;
  const Options options_;
  std::mutex mutex_;
  std::unordered_map<std::string, Window> keys_;
  Window site_;
  bool siteOpen_ = false;
  uint64_t siteSuppressedClosed_ = 0;  // of site windows that ended, not yet handed over
};

}  // namespace common
