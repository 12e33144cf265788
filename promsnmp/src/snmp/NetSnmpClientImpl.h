#pragma once

// Private to the NetSnmpClient*.cpp files, the only ones that include it: with them, the only
// code that sees net-snmp. NetSnmpClient.h keeps net-snmp out of every other file.

#include <poll.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/Logging.h"  // here, before net-snmp's macros, for the files that log
#include "snmp/NetSnmpClient.h"
#include "snmp/SnmpClient.h"
#include "snmp/SnmpTarget.h"

// net-snmp last: its headers define many macros. net-snmp-config.h must precede the others,
// hence no sorting here.
// clang-format off
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/keytools.h>
#include <net-snmp/library/large_fd_set.h>
#include <net-snmp/library/snmpusm.h>
#include <net-snmp/library/transform_oids.h>
// clang-format on

namespace promsnmp {

// The NetSnmpClient*.cpp files that log (this header is theirs only).
using common::logEvent;
using common::logger;

/// Everything behind NetSnmpClient. send, cancelAll, stats, the constructor and the destructor
/// are thread-safe; every other member runs on the I/O thread only. By file:
/// - NetSnmpClientLoop.cpp: the caller's side (send, cancelAll, stats) and the I/O thread (the
///   poll loop on the session sockets and an eventfd, dispatch under the in-flight caps);
/// - NetSnmpClientSessions.cpp: the session table (open, close, LRU eviction, idle sweep, the
///   in-flight accounting of each session);
/// - NetSnmpClientUsm.cpp: SNMPv3 users (protocol names, keys from passphrases, the user in
///   net-snmp's global USM table once the engine ID is known);
/// - NetSnmpClientPdu.cpp: one request on the wire (the PDU sent, the net-snmp callback that
///   reads the answer back into an SnmpResponse);
/// - NetSnmpClientCompletion.cpp: what happens to answered requests (retries, engine-ID
///   discovery outcome, callbacks) and failing everything (cancelAll, shutdown);
/// - NetSnmpClient.cpp: library initialisation and the public class.
class NetSnmpClient::Impl {
 public:
  explicit Impl(Options options);
  ~Impl();

  void send(const SnmpTarget& target, const SnmpRequest& request, Done done);
  void cancelAll();
  Stats stats() const;

 private:
  using SteadyClock = std::chrono::steady_clock;
  using Status = SnmpResponse::Status;

  // ---- requests and sessions (touched only on the I/O thread once accepted) -----------------

  struct Session;

  struct Request {
    SnmpTarget target;
    SnmpRequest request;
    SnmpClient::Done done;
    Session* session = nullptr;
    bool probe = false;  // an SNMPv3 engine-ID discovery, not a user request
    uint32_t packets = 0;
    bool sent = false;
    SteadyClock::time_point firstSent{};

    // The outcome, written by the net-snmp callback.
    bool answered = false;
    SnmpResponse response;
    int lastReport = 0;  // SNMPERR_* of the last SNMPv3 report seen for this request
    Request* nextCompleted = nullptr;
    Request** completedHead = nullptr;  // the client's list of answered requests
  };

  struct Session {
    std::string key;
    void* handle = nullptr;  // net-snmp single session
    int fd = -1;
    enum class State { Closed, Discovering, Ready };
    State state = State::Closed;
    bool reopen = false;  // close once idle: the credentials or the engine need a fresh start
    size_t inFlight = 0;
    std::deque<std::unique_ptr<Request>> queued;
    std::vector<std::unique_ptr<Request>> active;  // in flight, probe included
    bool inReady = false;
    SteadyClock::time_point lastUsed = SteadyClock::now();
    uint32_t carryPackets = 0;  // engine-ID probe packets, charged to the next request
    std::optional<SteadyClock::time_point> carryStart;
    // SNMPv3: the USM user this session installed (to notice when another session replaced it).
    const void* user = nullptr;
    std::string authKey;
    std::string privKey;
  };

  // ---- the loop (NetSnmpClientLoop.cpp) ------------------------------------------------------

  void run();
  /// Fills `fds` with the wake-up eventfd and the socket of each session in flight (`polled`:
  /// their sessions, in the same order) and returns poll's timeout in ms: the earliest net-snmp
  /// retransmission deadline, at most 1 s while sessions exist (the idle sweep), 0 when answers
  /// wait already, -1 (no limit) otherwise.
  int preparePoll(std::vector<pollfd>& fds, std::vector<Session*>& polled);
  void wake();
  void acceptIncoming();
  /// Starts queued requests while there is room: round robin over the sessions with work.
  void dispatch();
  bool stoppingNow();
  bool takeCancelRequest();
  /// On the I/O thread, after the loop: closes everything and fails what is pending, including
  /// what the failure callbacks send.
  void shutdown();

  // ---- sessions (NetSnmpClientSessions.cpp; the per-request accounting inline here) ---------

  void markReady(Session& s) {
    if (!s.inReady && !s.queued.empty()) {
      s.inReady = true;
      ready_.push_back(&s);
    }
  }

  void activate(Session& s, std::unique_ptr<Request> r) {
    s.active.push_back(std::move(r));
    if (s.inFlight++ == 0) {
      busy_.insert(&s);
    }
    ++inFlight_;
    ++inFlightGauge_;
  }

  std::unique_ptr<Request> release(Session& s, Request* r);
  /// Opens the session for its first queued request's target. On failure, fails the queued
  /// requests and returns false. For SNMPv3 starts engine-ID discovery (state Discovering).
  bool open(Session& s);
  void startProbe(Session& s, const SnmpTarget& t);
  void closeSession(Session& s);
  /// Keeps the number of open sessions under the bound: closes the least recently used ones
  /// that have nothing in flight.
  void evictIfFull();
  /// Closes sessions unused for sessionIdleTimeout and forgets empty ones.
  void sweep(SteadyClock::time_point now);

  // ---- SNMPv3 users (NetSnmpClientUsm.cpp) --------------------------------------------------

  /// Fills the SNMPv3 security level, protocols and keys (derived from the passphrases) of `in`
  /// for `t`. Returns why it cannot, or "" on success.
  static std::string setUpSecurity(netsnmp_session& in, const SnmpTarget& t);
  /// Installs this session's user (keys localised to the discovered engine) in net-snmp's
  /// global USM table, replacing a user of the same name and engine that another session put
  /// there.
  bool installUser(Session& s);
  /// Before each SNMPv3 send: installUser again unless this session's user and keys are the
  /// ones in the table.
  bool ensureUser(Session& s);

  // ---- requests on the wire (NetSnmpClientPdu.cpp) -------------------------------------------

  /// Sends one packet of `r` on `s`. A failure to send answers `r` (Transport/Authentication).
  void transmit(Session& s, Request& r);
  static void answer(Request& r, Status status, std::string message);
  static void markAnswered(Request* r);
  /// The net-snmp callback. Runs inside snmp_sess_read2/snmp_sess_timeout/snmp_sess_close on
  /// the I/O thread. Copies the outcome into the Request and nothing else: user code runs later,
  /// from the loop, never inside net-snmp. No exception leaves this function.
  static int onNetSnmpEvent(int op, netsnmp_session* session, int reqid, netsnmp_pdu* pdu,
                            void* magic) noexcept;

  // ---- completion (NetSnmpClientCompletion.cpp) ----------------------------------------------

  /// Takes the answered requests: retries timeouts that have retries left, advances engine-ID
  /// discovery, and moves the finished requests to `finished`.
  void processCompleted(std::vector<std::unique_ptr<Request>>& finished);
  void count(Status status);
  void probeDone(Session& s, Request* probe, std::vector<std::unique_ptr<Request>>& finished);
  /// Fails every queued request of `s` with `failure`; the first carries the probe's packets.
  void failQueued(Session& s, const SnmpResponse& failure,
                  std::vector<std::unique_ptr<Request>>& finished);
  /// Calls the user callbacks, outside net-snmp and without locks. A callback that throws is
  /// logged and ignored: the contract says done must not throw.
  void deliver(std::vector<std::unique_ptr<Request>>& finished);
  /// On the I/O thread: closes every session and fails every request in flight or queued with
  /// Transport (`why`), including what the failure callbacks send (up to 1000 rounds).
  void failEverything(const char* why);

  // ---- state -----------------------------------------------------------------------------------

  Options options_;
  int wakeFd_ = -1;
  std::thread thread_;

  std::mutex mutex_;
  std::vector<std::unique_ptr<Request>> incoming_;  // guarded by mutex_
  bool stopping_ = false;                           // guarded by mutex_
  bool stopped_ = false;                            // guarded by mutex_
  bool cancelRequested_ = false;                    // guarded by mutex_

  // I/O thread only.
  std::unordered_map<std::string, std::unique_ptr<Session>> sessions_;
  std::unordered_set<Session*> open_;  // sessions_ with a net-snmp handle
  std::deque<Session*> ready_;
  std::unordered_set<Session*> busy_;
  size_t inFlight_ = 0;
  Request* completedHead_ = nullptr;
  netsnmp_large_fd_set readSet_;

  std::atomic<uint64_t> packetsSent_{0};
  std::atomic<uint64_t> timeouts_{0};
  std::atomic<uint64_t> authFailures_{0};
  std::atomic<uint64_t> discoveries_{0};
  std::atomic<uint64_t> openSessions_{0};
  std::atomic<uint64_t> inFlightGauge_{0};
  std::atomic<uint64_t> queuedGauge_{0};
};

}  // namespace promsnmp
