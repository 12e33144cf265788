#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace promsnmp {

/// The sd_notify protocol without libsystemd: each call sends one datagram of `KEY=value` lines
/// to the Unix socket named by $NOTIFY_SOCKET (a path, or an abstract-namespace name when it
/// starts with '@'). When NOTIFY_SOCKET is unset (not under systemd `Type=notify`) every call is
/// a no-op. Send failures are reported through the return value only: systemd's advice is to
/// ignore them, and a daemon must never stop because its supervisor went away.
/// Thread-safe: each call opens, sends on and closes its own socket.
class SystemdNotifier {
 public:
  /// Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from `env` (tests pass a map) and
  /// compares WATCHDOG_PID with `pid` (0 = this process).
  explicit SystemdNotifier(const std::map<std::string, std::string>& env, long pid = 0);

  /// From the process environment.
  static SystemdNotifier fromProcessEnvironment();

  /// True when NOTIFY_SOCKET names a socket we can send to.
  bool enabled() const { return !socket_.empty(); }

  /// READY=1: listeners bound, inventory loaded (not: discovery finished).
  bool ready();
  /// STATUS=<one line> for `systemctl status`; newlines are replaced by spaces.
  bool status(const std::string& text);
  /// WATCHDOG=1: send every watchdogInterval()/2 from the main loop.
  bool watchdog();
  /// STOPPING=1 when shutdown begins.
  bool stopping();
  /// RELOADING=1 with MONOTONIC_USEC, before a reload; send ready() when it is done.
  bool reloading();
  /// Sends `state` (newline-separated assignments) as one datagram. False when disabled or the
  /// send failed.
  bool notify(const std::string& state);

  /// The watchdog timeout from WATCHDOG_USEC when it is set, positive, and WATCHDOG_PID is unset
  /// or names this process; nothing otherwise. Ping at half this interval.
  std::optional<std::chrono::microseconds> watchdogInterval() const { return watchdog_; }

 private:
  std::string socket_;  // as given in NOTIFY_SOCKET
  std::optional<std::chrono::microseconds> watchdog_;
};

}  // namespace promsnmp
