#include "collection/TransitionLog.h"

#include <cmath>

#include "common/Logging.h"

namespace promsnmp {

namespace {

using common::logEvent;

double secondsOf(std::chrono::steady_clock::duration d) {
  return std::round(std::chrono::duration<double>(d).count() * 10) / 10;
}

}  // namespace

TransitionLog::TransitionLog(common::Clock& clock, Poco::Logger& log, Options options)
    : clock_(clock), log_(log), options_(options), limiter_(clock, options.limits) {}

void TransitionLog::record(const std::string& key, const PollResult& result) {
  const auto now = clock_.steadyNow();
  std::lock_guard<std::mutex> lock(mutex_);
  if (now - flushedAt_ >= std::chrono::seconds(1)) {
    flushLocked(now);
  }
  auto it = states_.find(key);
  const bool first = it == states_.end();
  if (first) {
    it = states_.emplace(key, State{true, now, now, result.target, ""}).first;
  }
  State& state = it->second;
  state.recorded = now;
  const std::string set = key == result.target ? "" : key;
  if (!result.up() && (first || state.up)) {
    state.up = false;
    state.since = now;
    state.reason = pollErrorName(result.error);
    if (!limiter_.admit(key)) {
      return;
    }
    const char* previous = first ? "none" : "up";
    if (set.empty()) {
      logEvent(log_, Poco::Message::PRIO_WARNING, "device is down",
               {{"target", result.target},
                {"reason", state.reason},
                {"detail", result.errorDetail},
                {"previous", previous}});
    } else {
      logEvent(log_, Poco::Message::PRIO_WARNING, "device is down",
               {{"target", result.target},
                {"set", set},
                {"reason", state.reason},
                {"detail", result.errorDetail},
                {"previous", previous}});
    }
  } else if (result.up() && !state.up) {
    const double downSeconds = secondsOf(now - state.since);
    state.up = true;
    state.since = now;
    state.reason.clear();
    if (!limiter_.admit(key)) {
      return;
    }
    if (set.empty()) {
      logEvent(log_, Poco::Message::PRIO_INFORMATION, "device is up again",
               {{"target", result.target}, {"down_seconds", downSeconds}});
    } else {
      logEvent(log_, Poco::Message::PRIO_INFORMATION, "device is up again",
               {{"target", result.target}, {"set", set}, {"down_seconds", downSeconds}});
    }
  }
}

void TransitionLog::flush() {
  const auto now = clock_.steadyNow();
  std::lock_guard<std::mutex> lock(mutex_);
  flushLocked(now);
}

void TransitionLog::flushLocked(std::chrono::steady_clock::time_point now) {
  flushedAt_ = now;
  const common::LogLimiter::Options& limits = limiter_.options();
  for (const common::LogLimiter::Suppressed& closed :
       limiter_.closedKeyWindows(log_, "device state changes")) {
    auto it = states_.find(closed.key);
    if (it == states_.end()) {
      continue;
    }
    // The state it ended in; the set (an ad-hoc module scrape's key) is in `target` then.
    const State& state = it->second;
    const std::string target = closed.key == state.target ? state.target : closed.key;
    if (state.up) {
      logEvent(log_, Poco::Message::PRIO_WARNING, "device state changes not logged",
               {{"target", target},
                {"suppressed", closed.count},
                {"window_seconds", secondsOf(limits.keyWindow)},
                {"state", "up"}});
    } else {
      logEvent(log_, Poco::Message::PRIO_WARNING, "device state changes not logged",
               {{"target", target},
                {"suppressed", closed.count},
                {"window_seconds", secondsOf(limits.keyWindow)},
                {"state", "down"},
                {"reason", state.reason}});
    }
  }
  for (auto it = states_.begin(); it != states_.end();) {
    it = now - it->second.recorded >= options_.forgetAfter ? states_.erase(it) : std::next(it);
  }
}

}  // namespace promsnmp
