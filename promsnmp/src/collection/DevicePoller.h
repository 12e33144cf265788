#pragma once

#include <functional>
#include <memory>

#include "collection/PollResult.h"
#include "snmp/SnmpTarget.h"

namespace promsnmp {

class LearnedRepetitions;
class SnmpClient;

/// Polls one device's IF-MIB: a GET of sysUpTime, ifTableLastChange and ifNumber, then
/// multi-column GETBULK walks of the value columns (ifXTable + ifTable, or the 32-bit ifTable
/// counters when the device has no ifXTable), plus the label columns when `previous` is absent
/// or sysUpTime went backwards or ifTableLastChange moved. Adaptive max-repetitions, tooBig
/// handling, timeouts and retries per target. Non-blocking: work runs on the SnmpClient's I/O
/// thread.
///
/// The interfaces of a result are the ifIndexes seen in ifDescr (when walked) or in any value
/// column, ascending; Java PromSNMP used ifDescr alone and so dropped rows without one. Labels
/// are reused from `previous` by ifIndex; an ifIndex it does not know triggers a label walk.
/// A failed poll has no interfaces (partial counters would look like resets).
class DevicePoller {
 public:
  struct Options {
    int initialMaxRepetitions = 25;
    int maxMaxRepetitions = 100;
    int maxColumnsPerRequest = 12;  // varbinds per GETBULK request
  };

  explicit DevicePoller(SnmpClient& client);
  DevicePoller(SnmpClient& client, Options options);

  using Done = std::function<void(std::shared_ptr<PollResult>)>;

  /// Starts a poll of `target`; `done` is called exactly once with the result (success or a
  /// PollError), on the client's thread; it must not block. `previous` is the last good result
  /// of this target (labels are reused from it when still valid), or nullptr. Thread-safe.
  void poll(const SnmpTarget& target, std::shared_ptr<const PollResult> previous, Done done);

  /// Forgets what was learned about the agent of `sessionKey` (SnmpTarget::sessionKey()): its
  /// max-repetitions. For a device that left the inventory, so churn does not grow the poller.
  /// A poll of it in flight may learn it again; forget it again after that poll. Thread-safe.
  void forget(const std::string& sessionKey);
  /// The number of agents with learned state (tests). Thread-safe.
  size_t learnedAgents() const;
  /// Cancels every request of the SNMP client (SnmpClient::cancelAll), so each poll in flight
  /// soon calls its `done` with a Transport failure. Affects every user of that client; for
  /// shutdown. Does not wait. Thread-safe.
  void cancelAll();

 private:
  SnmpClient& client_;
  Options options_;
  // The max-repetitions each target adapted to, kept between polls. Shared with the polls in
  // flight, so destroying the poller while they run is safe (the client must outlive them).
  std::shared_ptr<LearnedRepetitions> learned_;
};

}  // namespace promsnmp
