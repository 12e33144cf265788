#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "ElectorMetrics.h"
#include "ElectorStatus.h"
#include "common/Clock.h"

namespace Poco::Net {
class HTTPServer;
}

namespace elector {

using common::Clock;

/// The elector's own HTTP port (POCO HTTPServer):
/// - `GET /`: the elector's page (HTML, StatusPage.h).
/// - `GET /health`: pretty JSON, or `key: value` lines with `?format=text` or
///   `Accept: text/plain`; 200 while UP, 503 while DOWN (ElectorStatus::Snapshot::up).
/// - `GET /metrics`: the Prometheus text format.
/// - `GET /healthz`: 200 with
///   `{"status":"ok","role":…,"backend":…,"holder":…,"epoch":…,"failing_ms":…}`, plus
///   "collector" and "detail" when there is something to say; 503 with status "failing" and the
///   reason in "detail" once the backend has failed for longer than the lease.
///
/// HEAD is answered like GET without a body, other methods get 405, other paths 404. No request
/// is logged (STYLE.md: never log per request at information).
///
/// Thread-safe: requests run on POCO's threads and only read `metrics` and `status` (memory:
/// a request never waits for the backend).
class StatusServer {
 public:
  /// `address`: "host:port" or "[v6]:port" (port 0 picks a free one). `metrics`, `status` and
  /// `clock` must outlive the server.
  StatusServer(std::string address, const ElectorMetrics& metrics, const ElectorStatus& status,
               const Clock& clock, std::chrono::milliseconds lease);
  ~StatusServer();
  StatusServer(const StatusServer&) = delete;
  StatusServer& operator=(const StatusServer&) = delete;

  /// Binds and starts serving. Throws Poco::Net::NetException (or another Poco::Exception) when
  /// the address cannot be bound.
  void start();
  /// Stops accepting and waits for requests in progress. Idempotent.
  void stop();
  /// The bound port (after start()).
  int port() const { return port_; }

 private:
  const std::string address_;
  const ElectorMetrics& metrics_;
  const ElectorStatus& status_;
  const Clock& clock_;
  const std::chrono::milliseconds lease_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  int port_ = 0;
};

}  // namespace elector
