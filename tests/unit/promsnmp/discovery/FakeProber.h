#pragma once

#include <map>
#include <string>
#include <vector>

#include "discovery/Prober.h"

/// A Prober with scripted outcomes per address (Timeout for any other), recording every sweep.
/// Not thread-safe (tests are single-threaded).
class FakeProber : public promsnmp::Prober {
 public:
  void setOutcome(const std::string& address, promsnmp::ProbeResult result) {
    outcomes_[address] = result;
  }
  std::vector<promsnmp::ProbeOutcome> probe(const std::vector<promsnmp::ProbeTarget>& targets,
                                            const promsnmp::ProbeOptions& options,
                                            const std::atomic<bool>& stop) override;

  /// Every target of every sweep, in order.
  const std::vector<promsnmp::ProbeTarget>& probed() const { return probed_; }
  size_t sweeps() const { return sweeps_; }

 private:
  std::map<std::string, promsnmp::ProbeResult> outcomes_;
  std::vector<promsnmp::ProbeTarget> probed_;
  size_t sweeps_ = 0;
};
