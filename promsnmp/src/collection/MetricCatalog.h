#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace promsnmp {

// What promsnmp collects per interface: one table, in emission order (Java PromSNMP's order
// first, then the columns it lacked). Names and HELP texts are PromSNMP's, which are also
// snmp_exporter's IF-MIB names. Everything that decides "which OID, which type" is here.

enum class MetricType { Counter, Gauge };

/// Which SNMP table a column lives in, and when it is collected.
enum class ColumnGroup {
  IfX,         // ifXTable (64-bit counters, speed in Mbit/s)
  If,          // ifTable, always collected
  IfFallback,  // ifTable 32-bit counters, collected only when the device has no ifXTable
};

enum class IfMetric : uint8_t {
  HCInOctets,
  HCInUcastPkts,
  HCInMulticastPkts,
  HCInBroadcastPkts,
  HCOutOctets,
  HCOutUcastPkts,
  HCOutMulticastPkts,
  HCOutBroadcastPkts,
  HighSpeed,
  Speed,
  OperStatus,
  AdminStatus,
  InErrors,
  OutErrors,
  InDiscards,
  OutDiscards,
  Mtu,
  Type,
  InOctets,
  InUcastPkts,
  OutOctets,
  OutUcastPkts,
  Count_,
};

inline constexpr size_t kIfMetricCount = static_cast<size_t>(IfMetric::Count_);

struct MetricDef {
  IfMetric id;
  std::string_view name;    // exposition name, e.g. "ifHCInOctets"
  std::string_view column;  // column OID without the index, e.g. "1.3.6.1.2.1.31.1.1.1.6"
  MetricType type;
  ColumnGroup group;
  std::string_view help;  // HELP text; the exposition appends " - <column OID>" as Java does
};

/// All interface metrics, indexed by IfMetric.
const std::array<MetricDef, kIfMetricCount>& ifMetrics();

inline const MetricDef& metricDef(IfMetric id) { return ifMetrics()[static_cast<size_t>(id)]; }

/// Label columns (index → text), refreshed only when sysUpTime or ifTableLastChange says so.
inline constexpr std::string_view kIfDescrColumn = "1.3.6.1.2.1.2.2.1.2";
inline constexpr std::string_view kIfNameColumn = "1.3.6.1.2.1.31.1.1.1.1";
inline constexpr std::string_view kIfAliasColumn = "1.3.6.1.2.1.31.1.1.1.18";

/// Scalars fetched with one GET at the start of every poll.
inline constexpr std::string_view kSysUpTime = "1.3.6.1.2.1.1.3.0";
inline constexpr std::string_view kIfTableLastChange = "1.3.6.1.2.1.31.1.5.0";
inline constexpr std::string_view kIfNumber = "1.3.6.1.2.1.2.1.0";

inline constexpr std::string_view kSysUpTimeHelp = "system uptime in hundredths of a second";

}  // namespace promsnmp
