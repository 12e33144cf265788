#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "snmp/SnmpClient.h"

/// A target for the fake: `version` as SnmpTarget numbers it (default v2c), named `name` (the
/// fake fails targets by name) at a documentation address, 500 ms timeout, one retry.
promsnmp::SnmpTarget fakeTarget(const std::string& name = "sw1", int version = 1);

/// An SnmpClient serving an in-memory MIB, for hermetic tests. Answers GET, GETNEXT and
/// GETBULK as an agent would (RFC 3416; SNMPv1 targets get noSuchName errors and no GETBULK).
///
/// Callbacks run on the caller's thread: send() queues, and the outermost send() drains the
/// queue before it returns, so requests issued from inside a callback are answered after it
/// returns (no recursion), and a whole poll completes inside the first send().
/// Not thread-safe (tests are single-threaded), except in hold mode (setHold): there send(),
/// held(), waitForHeld(), release() and cancelAll() may be called from any thread.
class FakeSnmpClient : public promsnmp::SnmpClient {
 public:
  /// Checks that no callback is left unanswered: a request still held when the fake goes is a
  /// callback its sender was never given (a test that forgot it, or a sender that did not
  /// cancel); the destructor reports it on stderr and aborts.
  ~FakeSnmpClient() override;

  // ---- the MIB --------------------------------------------------------------------------------
  void set(const std::string& oid, promsnmp::SnmpValue value);
  void setCounter64(const std::string& oid, uint64_t v);
  void setCounter32(const std::string& oid, uint32_t v);
  void setGauge(const std::string& oid, uint32_t v);
  void setInteger(const std::string& oid, int64_t v);
  void setTimeTicks(const std::string& oid, uint32_t v);
  void setString(const std::string& oid, const std::string& v);
  void erase(const std::string& oid);
  /// Removes every OID under `prefix`.
  void eraseSubtree(const std::string& prefix);

  // ---- behaviour ------------------------------------------------------------------------------
  /// Truncate every response to at most `n` varbinds, as snmpsimd (64) does; 0 = no limit.
  void setMaxVarbinds(size_t n) { maxVarbinds_ = n; }
  /// Answer tooBig when a response would hold more than `n` varbinds; nullopt = never.
  void setTooBigAbove(std::optional<size_t> n) { tooBigAbove_ = n; }
  /// Requests to targets with this name time out (packetsSent = retries + 1).
  void setTimeoutTarget(const std::string& name) { timeoutTargets_.insert(name); }
  /// Requests to it are answered again.
  void clearTimeoutTarget(const std::string& name) { timeoutTargets_.erase(name); }
  /// Requests to targets with this name fail with Authentication.
  void setAuthFailTarget(const std::string& name) { authFailTargets_.insert(name); }
  /// A hung subtree: a request with an OID under `prefix` times out (packetsSent = retries + 1).
  void setTimeoutOid(const std::string& prefix);
  /// A broken subtree: a request with an OID under `prefix` answers error-status `status` with
  /// the error-index of that OID (0 with `withIndex` false, as some agents do).
  void setErrorOid(const std::string& prefix, int status, bool withIndex = true);
  /// A broken agent: GETNEXT/GETBULK from `from` answers `to` (e.g. an OID that is not greater).
  void setNextOverride(const std::string& from, const std::string& to);
  /// Reported `elapsed` of every response.
  void setElapsed(std::chrono::microseconds e) { elapsed_ = e; }
  /// Hold mode: send() keeps each request and its callback, unanswered (a device that has not
  /// answered yet), until release() or cancelAll().
  void setHold(bool hold);
  /// Requests held now.
  size_t held() const;
  /// Waits (real time, at most `bound`) until at least `n` requests are held.
  bool waitForHeld(size_t n, std::chrono::milliseconds bound);
  /// Answers the held requests from the MIB, on the calling thread.
  void release();
  /// Forgets the held requests without calling them (the tear-down of a test that failed while
  /// some were held, whose senders may be gone); returns how many there were.
  size_t drop();

  // ---- what was asked -------------------------------------------------------------------------
  const std::vector<promsnmp::SnmpRequest>& requests() const { return requests_; }
  uint32_t packets() const { return packets_; }
  uint32_t varbindsSent() const { return varbinds_; }
  void clearLog() {
    requests_.clear();
    packets_ = 0;
    varbinds_ = 0;
  }
  /// Requests whose first OID starts with `prefix` (to see which columns were walked).
  size_t requestsTouching(const std::string& prefix) const;

  void send(const promsnmp::SnmpTarget& target, const promsnmp::SnmpRequest& request,
            Done done) override;
  /// Fails the held requests with Transport ("cancelled") on the calling thread; counted in
  /// cancellations().
  void cancelAll() override;
  size_t cancellations() const;

 private:
  promsnmp::SnmpResponse answer(const promsnmp::SnmpTarget& target,
                                const promsnmp::SnmpRequest& request);
  /// The next instance after `oid`, or nullopt at the end of the MIB.
  std::optional<promsnmp::VarBind> next(const promsnmp::Oid& oid) const;

  std::map<promsnmp::Oid, promsnmp::SnmpValue> mib_;
  std::map<promsnmp::Oid, promsnmp::Oid> nextOverride_;
  size_t maxVarbinds_ = 0;
  std::optional<size_t> tooBigAbove_;
  std::set<std::string> timeoutTargets_;
  std::set<std::string> authFailTargets_;
  std::vector<promsnmp::Oid> timeoutOids_;
  struct ErrorOid {
    promsnmp::Oid prefix;
    int status = 0;
    bool withIndex = true;
  };
  std::vector<ErrorOid> errorOids_;
  std::chrono::microseconds elapsed_{100};

  std::vector<promsnmp::SnmpRequest> requests_;
  uint32_t packets_ = 0;
  uint32_t varbinds_ = 0;

  std::deque<std::function<void()>> pending_;
  bool draining_ = false;

  struct Held {
    promsnmp::SnmpTarget target;
    promsnmp::SnmpRequest request;
    Done done;
  };
  mutable std::mutex holdMutex_;
  std::condition_variable holdChanged_;
  bool hold_ = false;
  std::vector<Held> held_;
  size_t cancellations_ = 0;
};
