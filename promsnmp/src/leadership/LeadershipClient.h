#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>

#include "common/Clock.h"

namespace promsnmp {

/// One line of the elector's leadership socket (DESIGN.md §4):
/// `{"role":"leader"|"follower","epoch":N,"holder":"…","lease_ms":M}`.
struct LeadershipEvent {
  bool leader = false;
  std::uint64_t epoch = 0;
  std::string holder;
  std::uint32_t leaseMs = 0;

  bool operator==(const LeadershipEvent&) const = default;
};

/// Parses one socket line (with or without its '\n') with the elector's own decoder
/// (`elector::decode`, elector/include/elector/LeadershipEvent.h: exact key set, role enum,
/// epoch < 2^64, lease_ms 1..600000, holder ≤ 256 bytes of UTF-8, line ≤ 1024 bytes), so both
/// ends of the socket agree by construction. Returns nullopt and a reason in `*error` (if not
/// null) on any deviation. Thread-safe.
std::optional<LeadershipEvent> parseLeadershipLine(std::string_view line,
                                                   std::string* error = nullptr);

/// What the collector may act on right now.
struct LeadershipState {
  bool leader = false;      ///< True only before the local deadline of a leader event.
  std::uint64_t epoch = 0;  ///< Of the last event on the current connection; 0 if none.
  std::string holder;       ///< Of the last event on the current connection; "" if none.
};

/// The collector's end of the leadership socket. A reader thread connects to `path`, reads
/// events and keeps a local monotonic deadline (receipt + lease_ms − min(margin, L / 4), L the
/// longest leader lease_ms of the connection).
/// Leadership is fail-closed (invariant I5): the client is a follower on EOF, socket error, any bad
/// line, or once the deadline passes without a new event, and every fresh connection starts as a
/// follower until its first event arrives (F-26). It reconnects with exponential backoff and
/// jitter. All public methods are thread-safe.
class LeadershipClient {
 public:
  struct Options {
    /// Subtracted from every lease so the collector stops before the elector's lease can lapse.
    std::chrono::milliseconds margin{1000};
    std::chrono::milliseconds initialBackoff{100};
    std::chrono::milliseconds maxBackoff{5000};
    /// How often the reader wakes without input to notice a passed deadline for the callback
    /// (isLeader() checks the deadline itself on every call).
    std::chrono::milliseconds tick{50};
  };

  /// Called on the reader thread, without locks held, whenever the effective role changes.
  using RoleCallback = std::function<void(const LeadershipState&)>;

  LeadershipClient(std::string path, common::Clock& clock);
  LeadershipClient(std::string path, common::Clock& clock, Options options,
                   RoleCallback onChange = {});
  /// Stops the reader.
  ~LeadershipClient();

  LeadershipClient(const LeadershipClient&) = delete;
  LeadershipClient& operator=(const LeadershipClient&) = delete;

  /// Starts the reader thread. Throws Poco::IllegalStateException if already started,
  /// Poco::IOException if the wake-up pipe cannot be created.
  void start();
  /// Stops and joins the reader; the client is a follower afterwards. Idempotent.
  void stop();

  bool isLeader() const;
  std::uint64_t epoch() const;
  std::string holder() const;
  /// All three at one instant (for fencing: act as leader only with this epoch).
  LeadershipState state() const;

  /// Successful connections so far.
  std::uint64_t connectCount() const { return connects_.load(); }
  /// Lines rejected so far (each one dropped the connection).
  std::uint64_t badLineCount() const { return badLines_.load(); }

 private:
  void run();
  /// Reads events from `fd` until EOF, error, a bad line or stop(); returns whether any valid
  /// event arrived.
  bool readLoop(int fd);
  /// Parses and applies one complete line; false if it was bad.
  bool handleLine(std::string_view line);
  /// Forgets the connection's event; `reason` is logged if the role changes.
  void resetToFollower(const char* reason);
  /// Recomputes the effective role and, if it changed, logs it with `reason` and fires the
  /// callback. Reader thread only.
  void evaluate(const char* reason);
  LeadershipState stateLocked(std::chrono::steady_clock::time_point now) const;
  /// Sleeps up to `d` unless stop() wakes it; returns false if stopping.
  bool waitFor(std::chrono::milliseconds d);
  int connectSocket();

  const std::string path_;
  common::Clock& clock_;
  const Options options_;
  const RoleCallback onChange_;

  std::mutex lifecycleMutex_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  int wakeRead_ = -1;
  int wakeWrite_ = -1;
  std::mt19937 random_{std::random_device{}()};

  mutable std::mutex mutex_;
  std::optional<LeadershipEvent> event_;  ///< Last event on the current connection.
  std::chrono::steady_clock::time_point deadline_{};
  /// Longest leader lease_ms on the current connection: sets the margin.
  std::chrono::milliseconds longestLease_{0};
  bool reportedLeader_ = false;  ///< Reader thread only: last role given to the callback.

  std::atomic<std::uint64_t> connects_{0};
  std::atomic<std::uint64_t> badLines_{0};
};

}  // namespace promsnmp
