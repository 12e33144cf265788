#pragma once

#include <array>
#include <bitset>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "collection/MetricCatalog.h"
#include "snmp/SnmpClient.h"

namespace promsnmp {

struct ModulePollResult;

/// Why a poll did not produce data. A failing device is data, not an exception: the reason
/// becomes a label of promsnmp_target_poll_errors_total and a field of the landing page.
enum class PollError {
  None,
  Timeout,         // no answer within timeout × (retries + 1)
  Authentication,  // v3 auth/priv failure, unknown user, wrong engine
  Transport,       // cannot resolve, send or receive (e.g. ICMP unreachable)
  AgentError,      // an error-status the poll cannot work around
  Unsupported,     // no IF-MIB at all / nothing answered
  Internal,        // a bug: an exception inside promsnmp
};

/// Short lowercase name of a PollError ("timeout", "authentication", ...).
const char* pollErrorName(PollError error);

/// The PollError of a failed request (None for Ok; tooBig and error-status are AgentError).
PollError pollErrorFor(SnmpResponse::Status status);

/// One interface (one ifIndex) of one poll.
struct InterfaceRow {
  uint32_t ifIndex = 0;
  std::string ifDescr;  // raw octets from the agent; the exposition escapes and fixes UTF-8
  std::string ifName;
  std::string ifAlias;
  std::array<uint64_t, kIfMetricCount> values{};
  std::bitset<kIfMetricCount> present;  // values[i] is valid only if present[i]

  void set(IfMetric m, uint64_t v) {
    values[static_cast<size_t>(m)] = v;
    present.set(static_cast<size_t>(m));
  }
  std::optional<uint64_t> get(IfMetric m) const {
    size_t i = static_cast<size_t>(m);
    return present.test(i) ? std::optional<uint64_t>(values[i]) : std::nullopt;
  }
};

/// The outcome of polling one target once. Immutable once published (shared_ptr<const>).
struct PollResult {
  std::string target;  // the device's sysName
  PollError error = PollError::None;
  std::string errorDetail;  // human text for logs and the landing page; never a secret

  std::optional<uint64_t> sysUpTime;          // TimeTicks
  std::optional<uint64_t> ifTableLastChange;  // TimeTicks, if the agent has it
  bool hasIfXTable = false;
  std::vector<InterfaceRow> interfaces;  // ascending ifIndex

  /// True when the label columns were walked in this poll (not reused from the previous one).
  bool labelsRefreshed = false;

  std::chrono::system_clock::time_point startedAt{};
  double durationSeconds = 0;
  uint32_t requests = 0;  // PDUs sent, retries included
  uint32_t varbinds = 0;  // varbinds received

  /// A poll of snmp_exporter modules (`/snmp?module=`): what it read, per module; the IF-MIB
  /// fields above are then empty. Null for PromSNMP's own interface poll.
  std::shared_ptr<const ModulePollResult> modules;

  bool up() const { return error == PollError::None; }
};

}  // namespace promsnmp
