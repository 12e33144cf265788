#include "common/LogLimiter.h"

#include "common/Logging.h"

namespace common {

LogLimiter::LogLimiter(common::Clock& clock, Options options) : clock_(clock), options_(options) {}

bool LogLimiter::siteHasRoom(std::chrono::steady_clock::time_point now) {
  if (!siteOpen_ || now - site_.start >= options_.siteWindow) {
    siteSuppressedClosed_ += site_.suppressed;
    site_ = Window{now, 0, 0};
    siteOpen_ = true;
  }
  return site_.logged < options_.perSite;
}

bool LogLimiter::admit(const std::string& key) {
  const auto now = clock_.steadyNow();
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = keys_.find(key);
  if (it != keys_.end() && now - it->second.start >= options_.keyWindow) {
    // Ended but not yet handed over: the new event opens the next window after the summary.
    if (it->second.suppressed == 0) {
      it->second = Window{now, 0, 0};
    }
  }
  if (it == keys_.end() && keys_.size() < options_.maxKeys) {
    it = keys_.emplace(key, Window{now, 0, 0}).first;
  }
  if (it != keys_.end() &&
      (it->second.logged >= options_.perKey || now - it->second.start >= options_.keyWindow)) {
    ++it->second.suppressed;
    return false;
  }
  if (!siteHasRoom(now)) {
    ++site_.suppressed;
    return false;
  }
  ++site_.logged;
  if (it != keys_.end()) {
    ++it->second.logged;
  }
  return true;
}

std::vector<LogLimiter::Suppressed> LogLimiter::closedWindows() {
  const auto now = clock_.steadyNow();
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Suppressed> closed;
  for (auto it = keys_.begin(); it != keys_.end();) {
    if (now - it->second.start < options_.keyWindow) {
      ++it;
      continue;
    }
    if (it->second.suppressed > 0) {
      if (siteHasRoom(now)) {
        ++site_.logged;
        closed.push_back({it->first, it->second.suppressed});
      } else {
        site_.suppressed += it->second.suppressed;
      }
    }
    it = keys_.erase(it);
  }
  if (siteOpen_ && now - site_.start >= options_.siteWindow) {
    siteSuppressedClosed_ += site_.suppressed;
    site_ = Window{now, 0, 0};
    siteOpen_ = false;
  }
  if (siteSuppressedClosed_ > 0) {
    closed.push_back({"", siteSuppressedClosed_});
    siteSuppressedClosed_ = 0;
  }
  return closed;
}

std::vector<LogLimiter::Suppressed> LogLimiter::closedKeyWindows(Poco::Logger& log,
                                                                 const std::string& what) {
  std::vector<Suppressed> closed = closedWindows();
  if (!closed.empty() && closed.back().key.empty()) {
    common::logEvent(
        log, Poco::Message::PRIO_WARNING, what + " not logged: site-wide cap",
        {{"suppressed", closed.back().count},
         {"window_seconds", std::chrono::duration<double>(options_.siteWindow).count()},
         {"cap", options_.perSite}});
    closed.pop_back();
  }
  return closed;
}

}  // namespace common
