#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

#include <Poco/Logger.h>

#include "collection/PollResult.h"
#include "common/Clock.h"
#include "common/LogLimiter.h"

namespace promsnmp {

/// The log of devices' poll states: one line when a device goes down (its first failed poll
/// after a good one, or its first poll failing), with the reason, and one when it is up again,
/// with how long it was down; nothing for the polls in between. A flapping device is held to
/// LogLimiter's per-device budget and the whole to its site cap; what was not logged comes back
/// as one summary line per device (with the state it is in now) and one for the site:
///
///   level=warn msg="device is down" target=r1 reason=timeout detail="..." previous=up
///   level=info msg="device is up again" target=r1 down_seconds=754.2
///   level=warn msg="device state changes not logged" target=r1 suppressed=12
///     window_seconds=600 state=down reason=timeout
///   level=warn msg="device state changes not logged: site-wide cap" suppressed=340
///     window_seconds=60 cap=60
///
/// A device is a cache key: its name, or for an ad-hoc module scrape `target=...&module=...`
/// (then field `set`, and the summary's `target` is that key). States not recorded for
/// `forgetAfter` are dropped (the device left).
/// Thread-safe.
class TransitionLog {
 public:
  struct Options {
    common::LogLimiter::Options limits;
    std::chrono::milliseconds forgetAfter{std::chrono::hours(1)};
  };

  TransitionLog(common::Clock& clock, Poco::Logger& log, Options options);
  TransitionLog(common::Clock& clock, Poco::Logger& log) : TransitionLog(clock, log, Options{}) {}

  /// Records one finished poll of `key` (result.target is the device's name).
  void record(const std::string& key, const PollResult& result);

  /// Logs the summaries of limiter windows that have ended and forgets old states; record()
  /// calls it (at most once a second).
  void flush();

 private:
  struct State {
    bool up = true;
    std::chrono::steady_clock::time_point since;     // of the current state
    std::chrono::steady_clock::time_point recorded;  // the last poll
    std::string target;
    std::string reason;  // when down
  };

  void flushLocked(std::chrono::steady_clock::time_point now);  // mutex_ held

  common::Clock& clock_;
  Poco::Logger& log_;
  const Options options_;
  common::LogLimiter limiter_;
  std::mutex mutex_;
  std::unordered_map<std::string, State> states_;
  std::chrono::steady_clock::time_point flushedAt_{};
};

}  // namespace promsnmp
