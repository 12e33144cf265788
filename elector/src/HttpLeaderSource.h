#pragma once

#include <chrono>
#include <string>

#include <Poco/URI.h>

#include "LeaderSource.h"

namespace elector {

/// LeaderSource over HTTP/1.1 with POCO Net (the only file that talks to the sidecar). One
/// short-lived connection per fetch: the sidecar is on localhost, and a fresh connection means a
/// hung earlier exchange can never answer a later request.
///
/// Not thread-safe (one caller: the daemon loop).
class HttpLeaderSource : public LeaderSource {
 public:
  /// `url`: http://host[:port][/path] (only http; the sidecar serves plain HTTP on localhost).
  /// `timeout` bounds connect, send and each receive. Throws Poco::SyntaxException or
  /// Poco::InvalidArgumentException for a URL it cannot use.
  HttpLeaderSource(const std::string& url, std::chrono::milliseconds timeout);

  LeaderAnswer fetch() override;

 private:
  Poco::URI uri_;
  std::chrono::milliseconds timeout_;
};

}  // namespace elector
