#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace testing {

/// A free TCP port on 127.0.0.1 (bound, read, released; a race with other processes is
/// possible but unlikely on a test machine).
int freeTcpPort();

struct HttpAnswer {
  int status = 0;
  std::string reason;  // the status line's reason phrase ("Unauthorized")
  std::string contentType;
  std::string body;
  std::map<std::string, std::string> headers;  // as received (names as the server spelt them)
};

/// GET (or another method) on 127.0.0.1:port with a timeout; status 0 when nothing answered.
HttpAnswer httpRequest(int port, const std::string& method, const std::string& pathAndQuery,
                       const std::map<std::string, std::string>& headers = {},
                       const std::string& body = {}, int timeoutMs = 10000);

/// One metric sample parsed from text exposition: name, labels, value text.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string value;
};

/// Parses sample lines of Prometheus text exposition (comments skipped; escapes undone).
std::vector<Sample> parseSamples(const std::string& text);

/// The value of the first sample named `name` whose labels include `labels`, or "" if none.
std::string sampleValue(const std::vector<Sample>& samples, const std::string& name,
                        const std::map<std::string, std::string>& labels = {});

/// Polls `condition` every 50 ms until it holds or `timeout` has passed; returns whether it
/// held (one last evaluation at the deadline).
template <typename Condition>
bool eventually(std::chrono::milliseconds timeout, Condition condition) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

/// The same with a timeout of `seconds` seconds.
template <typename Condition>
bool eventually(int seconds, Condition condition) {
  return eventually(std::chrono::milliseconds(std::chrono::seconds(seconds)), condition);
}

/// The promsnmp daemon as a child process on 127.0.0.1, stopped (SIGTERM, then SIGKILL) by the
/// destructor. Logs go to `<dir>/promsnmp.log`. The destructor also audits the daemon's log and
/// every answer received from its port for its secrets (keys, passwords, communities,
/// passphrases); a test binary that saw a leak lists them and exits 1 (DaemonHelpers.cpp).
class Daemon {
 public:
  /// Starts build/bin/promsnmp with `env` added to the environment and `args`, listening on a
  /// free port; waits at most `readyTimeoutMs` for /-/ready to answer 200 (throws otherwise),
  /// or for `ready(port)` to hold when given (an HTTPS server, say).
  Daemon(const std::string& dir, const std::map<std::string, std::string>& env,
         const std::vector<std::string>& args = {}, int readyTimeoutMs = 20000,
         const std::function<bool(int)>& ready = {});
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  /// True while the process runs (one that exited is reaped).
  bool alive();
  HttpAnswer get(const std::string& pathAndQuery,
                 const std::map<std::string, std::string>& headers = {}) const;
  /// Sends `signal`; for SIGTERM waits for the exit and returns the exit code (-1 if killed).
  int signal(int signal, int waitMs = 15000);
  std::string log() const;

 private:
  std::string dir_;
  std::map<std::string, std::string> env_;
  int port_ = 0;
  pid_t pid_ = -1;
};

/// Returns and forgets the secret leaks the audit has recorded so far (for its positive control).
std::vector<std::string> takeLeaks();

/// bcrypt (cost 4) of "scrape-secret" and "admin-secret": the users of the tests' web configs.
inline constexpr const char* kReadUserHash =
    "$2b$04$sS/x/m8z7kypTCYIlizwjOg24empDwRA0DPXqysUlxR419Jv2kMFu";
inline constexpr const char* kAdminUserHash =
    "$2b$04$Ph4B6g2MsywpczNSBZdMHeeYqPA7l6VUT9kRwoXcUbSI8bgp/etcC";

/// The Authorization header of HTTP basic auth for `user` and `password`.
std::string basicAuth(const std::string& user, const std::string& password);

/// Runs the inventory CLI with the given environment; throws with its stderr if it fails.
std::string inventoryCli(const std::map<std::string, std::string>& env,
                         const std::vector<std::string>& args);

}  // namespace testing
