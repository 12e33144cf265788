#pragma once

#include "discovery/Prober.h"

namespace promsnmp {

/// The real Prober: one non-blocking UDP socket per address family for a whole sweep, a window
/// of `maxInFlight` probes, answers matched by request id and source address, and ICMP errors
/// read from the socket's error queue (IP_RECVERR), so a closed port or an unreachable host is
/// decided at once instead of after the timeout. Each probe() call owns its sockets.
class UdpProber : public Prober {
 public:
  std::vector<ProbeOutcome> probe(const std::vector<ProbeTarget>& targets,
                                  const ProbeOptions& options,
                                  const std::atomic<bool>& stop) override;
};

}  // namespace promsnmp
