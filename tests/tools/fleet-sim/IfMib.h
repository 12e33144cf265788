#pragma once

#include <cstdint>
#include <span>

#include "DeviceContext.h"
#include "Value.h"

namespace fleetsim {

/// One synthesized IF-MIB column: ifTable (1.3.6.1.2.1.2.2.1.<column>) or ifXTable
/// (1.3.6.1.2.1.31.1.1.1.<column>).
struct IfColumnDef {
  bool ifX;
  uint8_t column;
  Tag tag;
};

/// Every column the simulator synthesizes (all of ifTable and ifXTable), in OID order.
std::span<const IfColumnDef> ifColumns();

/// Computes column `columnIndex` (into ifColumns()) of interface `ifIndex` of a device whose
/// sysUpTime was `bootTicks` when the simulator started. Traffic counters grow linearly with
/// wall time at a per-interface rate; every tenth interface is operationally down (every
/// twentieth administratively down too) and its counters stand still. Thread-safe.
void ifValue(unsigned columnIndex, uint32_t ifIndex, const DeviceContext& device,
             uint64_t bootTicks, Value& out);

/// ifTableLastChange of a device (a constant before the simulator started).
uint64_t ifTableLastChange(uint64_t bootTicks);

}  // namespace fleetsim
