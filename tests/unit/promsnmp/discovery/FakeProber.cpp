#include "discovery/FakeProber.h"

std::vector<promsnmp::ProbeOutcome> FakeProber::probe(
    const std::vector<promsnmp::ProbeTarget>& targets, const promsnmp::ProbeOptions&,
    const std::atomic<bool>&) {
  ++sweeps_;
  std::vector<promsnmp::ProbeOutcome> out;
  for (const promsnmp::ProbeTarget& target : targets) {
    probed_.push_back(target);
    promsnmp::ProbeOutcome outcome;
    auto found = outcomes_.find(target.address);
    outcome.result = found == outcomes_.end() ? promsnmp::ProbeResult::Timeout : found->second;
    if (outcome.result == promsnmp::ProbeResult::Error) {
      outcome.message = "scripted error";
    }
    out.push_back(outcome);
  }
  return out;
}
