#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "snmp/SnmpClient.h"

namespace promsnmp {

/// The real SnmpClient, on net-snmp's single-session API (the NetSnmpClient*.cpp files are the
/// only ones that include net-snmp). One I/O thread polls the sockets of all sessions; requests
/// queue beyond a global and a per-target cap of requests in flight.
///
/// Sessions are persistent: one UDP socket per SnmpTarget::sessionKey(), reused by every poll
/// of that target, closed after `sessionIdleTimeout` without use or when more than
/// `maxSessions` are open (least recently used first). SNMPv3 keys are derived once per
/// session (generate_Ku, then localised to the engine), and the engine ID is discovered
/// asynchronously once per session (one round trip; the inventory's engineId is not trusted, so
/// a replaced device does not break polling) and kept with it, with engine boots/time.
/// Retries are done here, not by net-snmp, so `packetsSent` is exact.
///
/// Limits: a host name (not an IP literal) is resolved synchronously on the I/O thread when its
/// session opens. net-snmp keeps one global USM user table keyed by (engine ID, user name):
/// two targets with the same user name on the same engine but different passphrases cannot
/// both be in flight at once (the client re-installs a session's own keys before each send).
class NetSnmpClient : public SnmpClient {
 public:
  struct Options {
    size_t maxInFlight = 256;         // requests in flight over all targets
    size_t maxInFlightPerTarget = 2;  // requests in flight to one target (session)
    size_t maxSessions = 512;         // open sessions (sockets); least recently used closed
    std::chrono::seconds sessionIdleTimeout{300};
  };

  /// Counters for own metrics. Monotonic unless noted.
  struct Stats {
    uint64_t packetsSent = 0;  // request packets, retries and engine-ID probes included
    uint64_t timeouts = 0;     // requests that ended in Timeout
    uint64_t authenticationFailures = 0;
    uint64_t engineIdDiscoveries = 0;
    uint64_t openSessions = 0;  // gauge
    uint64_t inFlight = 0;      // gauge
    uint64_t queued = 0;        // gauge: accepted, waiting for a slot
  };

  /// Initialises net-snmp once per process: no MIB loading (numeric OIDs only), no config or
  /// persistent files read or written (not even /var/lib/snmp/cert_indexes), library log lines
  /// routed to the "promsnmp.snmp" logger. Sets MIBS="" in the environment: call it before
  /// starting any thread (the constructor calls it too, for tests). Later calls do nothing.
  static void initLibrary();

  /// Whether this build maps an inventory protocol name (case-insensitive; "-" and "_"
  /// ignored): MD5, SHA (SHA1), SHA224, SHA256, SHA384, SHA512; DES, AES (AES128), AES192,
  /// AES256, AES192C, AES256C (Cisco key extension). Thread-safe.
  static bool supportsAuthProtocol(const std::string& name);
  static bool supportsPrivProtocol(const std::string& name);

  /// Starts the I/O thread. Throws Poco::SystemException if it cannot create its wake-up fd.
  NetSnmpClient();
  explicit NetSnmpClient(Options options);
  /// Stops the I/O thread, closes every session and fails what is still pending with
  /// Transport ("client stopped") on the I/O thread before returning.
  ~NetSnmpClient() override;
  NetSnmpClient(const NetSnmpClient&) = delete;
  NetSnmpClient& operator=(const NetSnmpClient&) = delete;

  /// See SnmpClient::send. After the destructor began, `done` is called at once with Transport
  /// on the caller's thread.
  void send(const SnmpTarget& target, const SnmpRequest& request, Done done) override;

  /// See SnmpClient::cancelAll. The sessions are closed (a later request reopens its own, an
  /// SNMPv3 one discovers its engine again).
  void cancelAll() override;

  /// Thread-safe.
  Stats stats() const;

 private:
  class Impl;  // in NetSnmpClientImpl.h: keeps net-snmp out of this header
  std::unique_ptr<Impl> impl_;
};

}  // namespace promsnmp
