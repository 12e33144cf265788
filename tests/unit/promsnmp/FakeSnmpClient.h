#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "SnmpClient.h"

/// An SnmpClient serving an in-memory MIB, for hermetic tests. Answers GET, GETNEXT and
/// GETBULK as an agent would (RFC 3416; SNMPv1 targets get noSuchName errors and no GETBULK).
///
/// Callbacks run on the caller's thread: send() queues, and the outermost send() drains the
/// queue before it returns, so requests issued from inside a callback are answered after it
/// returns (no recursion), and a whole poll completes inside the first send().
/// Not thread-safe (tests are single-threaded).
class FakeSnmpClient : public promsnmp::SnmpClient {
 public:
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
  /// Requests to targets with this name fail with Authentication.
  void setAuthFailTarget(const std::string& name) { authFailTargets_.insert(name); }
  /// A broken agent: GETNEXT/GETBULK from `from` answers `to` (e.g. an OID that is not greater).
  void setNextOverride(const std::string& from, const std::string& to);
  /// Reported `elapsed` of every response.
  void setElapsed(std::chrono::microseconds e) { elapsed_ = e; }

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
  std::chrono::microseconds elapsed_{100};

  std::vector<promsnmp::SnmpRequest> requests_;
  uint32_t packets_ = 0;
  uint32_t varbinds_ = 0;

  std::deque<std::function<void()>> pending_;
  bool draining_ = false;
};
