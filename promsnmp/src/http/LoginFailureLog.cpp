#include "http/LoginFailureLog.h"

#include <iterator>
#include <utility>

#include "common/Logging.h"

namespace promsnmp {

namespace {

using common::logEvent;

constexpr size_t kMaxUserBytes = 64;

int64_t millisOf(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

double secondsOf(std::chrono::milliseconds d) { return static_cast<double>(d.count()) / 1000; }

}  // namespace

common::LogLimiter::Options LoginFailureLog::defaultLimits() {
  common::LogLimiter::Options limits;
  limits.perKey = 1;
  limits.keyWindow = std::chrono::minutes(10);
  limits.perSite = 60;
  limits.siteWindow = std::chrono::minutes(1);
  return limits;
}

LoginFailureLog::LoginFailureLog(common::Clock& clock, Poco::Logger& log, TrustedProxies proxies,
                                 common::LogLimiter::Options limits)
    : clock_(clock), log_(log), proxies_(std::move(proxies)), limiter_(clock, limits) {}

void LoginFailureLog::record(const std::string& user, const std::string& reason,
                             const Poco::Net::IPAddress& peer, const std::string& forwardedFor) {
  const ClientSource source = proxies_.clientOf(peer, forwardedFor);
  const std::string name = user.substr(0, kMaxUserBytes);
  std::string key = name;
  key += '\0';
  key += source.address;
  std::lock_guard<std::mutex> lock(mutex_);
  if (millisOf(clock_.steadyNow()) - flushedAtMs_.load(std::memory_order_relaxed) >= 1000) {
    flushLocked();
  }
  if (!limiter_.admit(key)) {
    if (pending_.size() < limiter_.options().maxKeys) {
      pending_.emplace(std::move(key), Pending{name, source.address, clock_.steadyNow()});
    }
    return;
  }
  if (source.proxy.empty()) {
    logEvent(log_, Poco::Message::PRIO_WARNING, "login failed",
             {{"user", name}, {"source", source.address}, {"reason", reason}});
  } else {
    logEvent(
        log_, Poco::Message::PRIO_WARNING, "login failed",
        {{"user", name}, {"source", source.address}, {"proxy", source.proxy}, {"reason", reason}});
  }
}

void LoginFailureLog::tick() {
  const int64_t now = millisOf(clock_.steadyNow());
  if (now - flushedAtMs_.load(std::memory_order_relaxed) < 1000) {
    return;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  flushLocked();
}

void LoginFailureLog::flushLocked() {
  const auto now = clock_.steadyNow();
  flushedAtMs_.store(millisOf(now), std::memory_order_relaxed);
  const common::LogLimiter::Options& limits = limiter_.options();
  for (const common::LogLimiter::Suppressed& closed :
       limiter_.closedKeyWindows(log_, "failed logins")) {
    auto it = pending_.find(closed.key);
    if (it == pending_.end()) {
      continue;
    }
    logEvent(log_, Poco::Message::PRIO_WARNING, "failed logins not logged",
             {{"user", it->second.user},
              {"source", it->second.source},
              {"suppressed", closed.count},
              {"window_seconds", secondsOf(limits.keyWindow)}});
    pending_.erase(it);
  }
  for (auto it = pending_.begin(); it != pending_.end();) {
    it = now - it->second.since >= 2 * limits.keyWindow ? pending_.erase(it) : std::next(it);
  }
}

}  // namespace promsnmp
