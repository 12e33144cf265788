#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include <Poco/Logger.h>
#include <Poco/Net/IPAddress.h>

#include "common/Clock.h"
#include "common/LogLimiter.h"
#include "http/TrustedProxies.h"

namespace promsnmp {

/// The log of failed logins (HTTP basic auth credentials that do not match): one line for the
/// first failure of a (user, source) pair, with the user name (never the password) and where the
/// request came from (TrustedProxies); the pair's further failures in LogLimiter's window are
/// counted and summed up in one line when it ends; the site cap bounds the whole:
///
///   level=warn msg="login failed" user=ops source=203.0.113.7 proxy=127.0.0.1
///     reason="wrong password"
///   level=warn msg="failed logins not logged" user=ops source=203.0.113.7 suppressed=41
///     window_seconds=600
///   level=warn msg="failed logins not logged: site-wide cap" suppressed=900 window_seconds=60
///     cap=60
///
/// User names longer than 64 bytes are cut (they are the client's text). Thread-safe.
class LoginFailureLog {
 public:
  /// One failure to a (user, source) per 10 minutes, 60 lines a minute for the site.
  static common::LogLimiter::Options defaultLimits();

  LoginFailureLog(common::Clock& clock, Poco::Logger& log, TrustedProxies proxies,
                  common::LogLimiter::Options limits = defaultLimits());

  /// Records a failed login of `user` ("" when the header named none) from `peer` with the
  /// request's X-Forwarded-For ("" when absent); `reason` is "wrong password", "unknown user" or
  /// "malformed credentials".
  void record(const std::string& user, const std::string& reason, const Poco::Net::IPAddress& peer,
              const std::string& forwardedFor);

  /// Logs the summaries of windows that have ended; cheap when called more than once a second
  /// (every authenticated request may call it).
  void tick();

 private:
  void flushLocked();  // mutex_ held

  common::Clock& clock_;
  Poco::Logger& log_;
  const TrustedProxies proxies_;
  common::LogLimiter limiter_;
  std::mutex mutex_;
  struct Pending {
    std::string user;
    std::string source;
    std::chrono::steady_clock::time_point since;
  };
  // The (user, source) of each limiter key with failures not logged yet; an entry whose summary
  // went into the site's count is dropped after two windows, and there are at most maxKeys.
  std::unordered_map<std::string, Pending> pending_;
  std::atomic<int64_t> flushedAtMs_{INT64_MIN / 2};  // steady ms; "long ago" without overflow
};

}  // namespace promsnmp
