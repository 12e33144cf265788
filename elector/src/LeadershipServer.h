#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "elector/LeadershipEvent.h"

namespace elector {

/// The elector's end of the leadership socket (DESIGN.md §4): a Unix stream socket on which every
/// connected client receives each published event as one JSON line. A client receives the
/// current event right after it connects. Writes never block: a client whose socket buffer
/// cannot take a whole line, or whose socket fails, is dropped (it reconnects and catches up from
/// the current event). Thread-safe; publish() may be called from any thread.
///
/// The current event is replayed to a new client aged: a leader event carries the lease time left
/// since it was published, and one whose lease has run out becomes a follower event. So a client
/// that connects while the elector is paused, or just before its next publish, never receives a
/// lease the elector no longer holds (a restarted collector must not act on a stale "leader").
class LeadershipServer {
 public:
  /// One connected client, as the status page shows it.
  struct ClientInfo {
    /// The peer's process id (SO_PEERCRED), or nullopt when the kernel did not give it.
    std::optional<int> pid;
    std::chrono::steady_clock::time_point connectedAt{};
    /// The last line sent to it (without the newline) and when; empty/nullopt before any.
    std::string lastEvent;
    std::optional<std::chrono::steady_clock::time_point> lastSentAt;
  };

  /// `path`: the socket file; `mode`: its permissions once bound (the directory decides who can
  /// reach it as well).
  explicit LeadershipServer(std::string path, unsigned mode = 0660);
  /// Stops the server if it is running.
  ~LeadershipServer();

  LeadershipServer(const LeadershipServer&) = delete;
  LeadershipServer& operator=(const LeadershipServer&) = delete;

  /// Removes a stale socket file at `path` (only a socket: any other file is left alone and is an
  /// error), binds, sets the mode, listens and starts the accept thread. Throws
  /// Poco::IOException (or Poco::InvalidArgumentException for a path too long for sun_path) on
  /// failure; throws Poco::IllegalStateException if already started.
  void start();

  /// Closes every client and the listening socket, joins the thread, removes the socket file and
  /// forgets the current event (a later start() sends nothing until the next publish()).
  /// Idempotent.
  void stop();

  /// Records `event` as the current state and sends it to every connected client without
  /// blocking; clients that cannot take it are dropped. Throws Poco::InvalidArgumentException if
  /// the event cannot be encoded (nothing is sent then).
  void publish(const LeadershipEvent& event);

  /// The number of connected clients (for metrics and tests).
  std::size_t clientCount() const;

  /// The connected clients, oldest first (for the status page). Takes only the server's mutex,
  /// never waits for I/O.
  std::vector<ClientInfo> clients() const;

  /// Since when no client has been connected (from start(), or from the last client's
  /// disconnect or drop); nullopt while at least one is. A connected client is what the elector
  /// takes for "a collector is connected and ready": the collector connects once its inventory
  /// is loading and it can act on leadership, and it never writes to the socket.
  std::optional<std::chrono::steady_clock::time_point> noClientSince() const;

  /// The number of clients dropped so far because they could not keep up or failed.
  std::uint64_t droppedCount() const;

  const std::string& path() const { return path_; }

 private:
  void run();
  void acceptClient();
  /// The current event as a client connecting now must see it (see the class comment). Caller
  /// holds mutex_.
  LeadershipEvent aged(LeadershipEvent event) const;
  struct Client {
    int fd = -1;
    ClientInfo info;
  };

  /// Sends `line` completely or returns false; never blocks. Caller holds mutex_.
  static bool sendAll(int fd, const std::string& line);
  /// sendAll(), recording the line on `client` when it went out. Caller holds mutex_.
  static bool sendTo(Client& client, const std::string& line);
  /// Removes clients_[index], counting it as dropped. Caller holds mutex_.
  void dropLocked(std::size_t index);
  /// Starts the no-client clock if the last client is gone. Caller holds mutex_.
  void noteClientGoneLocked();

  const std::string path_;
  const unsigned mode_;
  int listenFd_ = -1;
  int wakeRead_ = -1;  ///< Self-pipe: stop() writes, run() wakes from poll().
  int wakeWrite_ = -1;
  std::thread thread_;
  std::mutex lifecycleMutex_;  ///< Serializes start() and stop().
  std::atomic<bool> stopping_{false};

  mutable std::mutex mutex_;
  std::vector<Client> clients_;
  std::vector<int> pendingClose_;  ///< Shut down, closed by run() between polls.
  std::optional<LeadershipEvent> currentEvent_;
  std::chrono::steady_clock::time_point publishedAt_{};
  std::uint64_t dropped_ = 0;
  std::optional<std::chrono::steady_clock::time_point> noClientSince_;
};

}  // namespace elector
