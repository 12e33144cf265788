#include "collection/MetricCatalog.h"

namespace promsnmp {

const std::array<MetricDef, kIfMetricCount>& ifMetrics() {
  using enum IfMetric;
  using enum MetricType;
  using enum ColumnGroup;
  // The first ten HELP texts are the Java PromSNMP's, word for word (promsnmp-java.md §6.1).
  static const std::array<MetricDef, kIfMetricCount> kMetrics = {{
      {HCInOctets, "ifHCInOctets", "1.3.6.1.2.1.31.1.1.1.6", Counter, IfX,
       "The total number of octets received on the interface, including framing characters"},
      {HCInUcastPkts, "ifHCInUcastPkts", "1.3.6.1.2.1.31.1.1.1.7", Counter, IfX,
       "Packets received not addressed to multicast/broadcast"},
      {HCInMulticastPkts, "ifHCInMulticastPkts", "1.3.6.1.2.1.31.1.1.1.8", Counter, IfX,
       "Multicast packets received"},
      {HCInBroadcastPkts, "ifHCInBroadcastPkts", "1.3.6.1.2.1.31.1.1.1.9", Counter, IfX,
       "Broadcast packets received"},
      {HCOutOctets, "ifHCOutOctets", "1.3.6.1.2.1.31.1.1.1.10", Counter, IfX,
       "The total number of octets transmitted including framing characters"},
      {HCOutUcastPkts, "ifHCOutUcastPkts", "1.3.6.1.2.1.31.1.1.1.11", Counter, IfX,
       "Packets sent not addressed to multicast/broadcast"},
      {HCOutMulticastPkts, "ifHCOutMulticastPkts", "1.3.6.1.2.1.31.1.1.1.12", Counter, IfX,
       "Multicast packets sent"},
      {HCOutBroadcastPkts, "ifHCOutBroadcastPkts", "1.3.6.1.2.1.31.1.1.1.13", Counter, IfX,
       "Broadcast packets sent"},
      {HighSpeed, "ifHighSpeed", "1.3.6.1.2.1.31.1.1.1.15", Gauge, IfX, "Interface speed (Mbps)"},
      {Speed, "ifSpeed", "1.3.6.1.2.1.2.2.1.5", Gauge, If, "Interface speed (bps)"},
      {OperStatus, "ifOperStatus", "1.3.6.1.2.1.2.2.1.8", Gauge, If,
       "The current operational state of the interface (1 up, 2 down, 3 testing, 4 unknown, "
       "5 dormant, 6 notPresent, 7 lowerLayerDown)"},
      {AdminStatus, "ifAdminStatus", "1.3.6.1.2.1.2.2.1.7", Gauge, If,
       "The desired state of the interface (1 up, 2 down, 3 testing)"},
      {InErrors, "ifInErrors", "1.3.6.1.2.1.2.2.1.14", Counter, If,
       "Inbound packets that contained errors preventing them from being delivered"},
      {OutErrors, "ifOutErrors", "1.3.6.1.2.1.2.2.1.20", Counter, If,
       "Outbound packets that could not be transmitted because of errors"},
      {InDiscards, "ifInDiscards", "1.3.6.1.2.1.2.2.1.13", Counter, If,
       "Inbound packets discarded even though no errors had been detected"},
      {OutDiscards, "ifOutDiscards", "1.3.6.1.2.1.2.2.1.19", Counter, If,
       "Outbound packets discarded even though no errors had been detected"},
      {Mtu, "ifMtu", "1.3.6.1.2.1.2.2.1.4", Gauge, If,
       "The size of the largest packet which can be sent/received on the interface (octets)"},
      {Type, "ifType", "1.3.6.1.2.1.2.2.1.3", Gauge, If,
       "The type of interface (IANAifType number, e.g. 6 ethernetCsmacd)"},
      {InOctets, "ifInOctets", "1.3.6.1.2.1.2.2.1.10", Counter, IfFallback,
       "The total number of octets received on the interface (32-bit; the device has no "
       "ifXTable)"},
      {InUcastPkts, "ifInUcastPkts", "1.3.6.1.2.1.2.2.1.11", Counter, IfFallback,
       "Unicast packets received (32-bit; the device has no ifXTable)"},
      {OutOctets, "ifOutOctets", "1.3.6.1.2.1.2.2.1.16", Counter, IfFallback,
       "The total number of octets transmitted (32-bit; the device has no ifXTable)"},
      {OutUcastPkts, "ifOutUcastPkts", "1.3.6.1.2.1.2.2.1.17", Counter, IfFallback,
       "Unicast packets transmitted (32-bit; the device has no ifXTable)"},
  }};
  return kMetrics;
}

}  // namespace promsnmp
