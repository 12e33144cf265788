#pragma once

#include <string>

namespace elector {

/// What one request to the leader-elector sidecar returned, before any interpretation. The
/// source only transports; KubernetesElection decides what the answer means, so the decision is
/// tested on data with FakeLeaderSource.
struct LeaderAnswer {
  /// False when no HTTP response arrived (refused, reset, timeout); then `error` says why.
  bool received = false;
  /// True when the failure was the request timeout (a slow or hung sidecar).
  bool timedOut = false;
  int status = 0;
  std::string body;
  std::string error;
};

/// The I/O seam of the kubernetes backend: one GET of the leader-elector sidecar's endpoint,
/// which answers `{"name":"<pod>"}` (HttpLeaderSource; FakeLeaderSource in tests).
///
/// Error contract: implementations do not throw for anything the network or the sidecar can
/// cause; they return `received == false` with `error` set. A throw is still treated as a failed
/// answer by KubernetesElection. Implementations need not be thread-safe.
class LeaderSource {
 public:
  virtual ~LeaderSource() = default;

  /// Asks once and returns within about the source's request timeout.
  virtual LeaderAnswer fetch() = 0;
};

}  // namespace elector
