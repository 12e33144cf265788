#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace promsnmp {

// The sweep seam of discovery: "does an SNMPv1/v2c agent answer at this address with this
// community?", asked of many addresses at once. The real one is UdpProber (one socket, many
// probes in flight); unit tests use FakeProber.

struct ProbeTarget {
  std::string address;  // IP literal
  uint16_t port = 161;
  int version = 1;  // 0 = v1, 1 = v2c
  std::string community;
};

enum class ProbeResult {
  Answered,     // an SNMP response with our request id came back from the address
  Timeout,      // nothing after the retries
  Unreachable,  // ICMP unreachable (closed port, no route): known at once, no waiting
  Error,        // the probe could not be sent (see message)
};

/// Lowercase name for logs, metrics and run summaries ("answered", "timeout", ...).
const char* probeResultName(ProbeResult result);

struct ProbeOutcome {
  ProbeResult result = ProbeResult::Timeout;
  std::string message;               // for Error and Unreachable; never a secret
  std::chrono::microseconds rtt{0};  // Answered: from the last send to the answer
};

struct ProbeOptions {
  size_t maxInFlight = 256;                 // probes outstanding at once
  std::chrono::milliseconds timeout{1000};  // per attempt
  int retries = 1;                          // attempts after the first
};

class Prober {
 public:
  virtual ~Prober() = default;

  /// Probes every target; returns one outcome per target, in order. Blocks until all are
  /// decided or `stop` becomes true (the rest are then Error "stopped"). Thread-safe: concurrent
  /// calls are independent.
  virtual std::vector<ProbeOutcome> probe(const std::vector<ProbeTarget>& targets,
                                          const ProbeOptions& options,
                                          const std::atomic<bool>& stop) = 0;
};

}  // namespace promsnmp
