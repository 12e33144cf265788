#include "collection/UtilizationTracker.h"

#include <algorithm>

namespace promsnmp {

namespace {

// Link speed in bit/s, or 0 when unknown.
double speedBitsPerSecond(const InterfaceRow& row) {
  if (auto high = row.get(IfMetric::HighSpeed); high && *high > 0) {
    return static_cast<double>(*high) * 1e6;
  }
  if (auto speed = row.get(IfMetric::Speed); speed && *speed > 0) {
    return static_cast<double>(*speed);
  }
  return 0;
}

}  // namespace

UtilizationTracker::OctetCounter UtilizationTracker::readCounter(const InterfaceRow& row,
                                                                 bool inbound) {
  if (auto v = row.get(inbound ? IfMetric::HCInOctets : IfMetric::HCOutOctets)) {
    return {*v, true, true};
  }
  if (auto v = row.get(inbound ? IfMetric::InOctets : IfMetric::OutOctets)) {
    return {*v, true, false};
  }
  return {};
}

UtilizationUpdate UtilizationTracker::observe(std::string_view target, const PollResult& poll) {
  UtilizationUpdate update;
  if (!poll.up()) {
    return update;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = targets_.find(target);
  if (it == targets_.end()) {
    it = targets_.emplace(std::string(target), TargetState{}).first;
  }
  TargetState& state = it->second;

  const double dt = std::chrono::duration<double>(poll.startedAt - state.previousAt).count();
  // A reboot resets every counter; a counter that grew past its old value since would otherwise
  // look like traffic.
  const bool rebooted =
      poll.sysUpTime && state.previousUpTime && *poll.sysUpTime < *state.previousUpTime;

  std::vector<const InterfaceRow*> rows;
  rows.reserve(poll.interfaces.size());
  for (const InterfaceRow& row : poll.interfaces) {
    rows.push_back(&row);
  }
  std::stable_sort(rows.begin(), rows.end(), [](const InterfaceRow* a, const InterfaceRow* b) {
    return a->ifIndex < b->ifIndex;
  });

  std::vector<uint32_t> seen;  // ascending, unique
  seen.reserve(rows.size());
  for (const InterfaceRow* row : rows) {
    if (!seen.empty() && seen.back() == row->ifIndex) {
      continue;  // a duplicate row: the first one counts
    }
    seen.push_back(row->ifIndex);

    InterfaceState& ifs = state.interfaces[row->ifIndex];
    const OctetCounter in = readCounter(*row, true);
    const OctetCounter out = readCounter(*row, false);

    if (ifs.hasPrevious && dt > 0 && !rebooted) {
      const double speed = speedBitsPerSecond(*row);
      bool decreased = false;
      bool any = false;
      double best = 0;
      for (auto [prev, cur] : {std::pair{ifs.in, in}, std::pair{ifs.out, out}}) {
        if (!prev.present || !cur.present || prev.highCapacity != cur.highCapacity) {
          continue;
        }
        if (cur.value < prev.value) {
          decreased = true;
          break;
        }
        const double bits = static_cast<double>(cur.value - prev.value) * 8.0;
        best = any ? std::max(best, bits) : bits;
        any = true;
      }
      // An interface that is not up carries no traffic to measure: Java observed a 0 % for each
      // of them every poll, which on a switch with most ports down was most of the scrape's
      // bytes and no information. Its counters are still tracked for when it comes up.
      std::optional<uint64_t> oper = row->get(IfMetric::OperStatus);
      const bool notUp = oper && *oper != 1;
      if (any && !decreased && speed > 0 && !notUp) {
        const double percent = best / dt / speed * 100.0;
        update.samples.push_back({row->ifIndex, percent});
        NativeHistogram& h = ifs.native;
        if (h.count == 0) {
          h.ifIndex = row->ifIndex;
          h.created = poll.startedAt;
        }
        for (size_t i = 0; i < kNativeBuckets.size(); ++i) {
          if (percent <= kNativeBuckets[i]) {
            ++h.cumulative[i];
          }
        }
        ++h.cumulative[kNativeBuckets.size()];
        ++h.count;
        h.sum += percent;
      }
    }
    ifs.in = in;
    ifs.out = out;
    ifs.hasPrevious = true;
    if (ifs.native.count > 0) {
      update.native.push_back(ifs.native);
    }
  }

  if (!seen.empty()) {
    // Forget interfaces that are gone, so state stays bounded by the device's current table.
    for (auto s = state.interfaces.begin(); s != state.interfaces.end();) {
      s = std::binary_search(seen.begin(), seen.end(), s->first) ? std::next(s)
                                                                 : state.interfaces.erase(s);
    }
  }
  state.previousAt = poll.startedAt;
  if (poll.sysUpTime) {
    state.previousUpTime = poll.sysUpTime;
  }
  return update;
}

void UtilizationTracker::forget(std::string_view target) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = targets_.find(target); it != targets_.end()) {
    targets_.erase(it);
  }
}

size_t UtilizationTracker::targets() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return targets_.size();
}

}  // namespace promsnmp
