#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "DeviceContext.h"
#include "Value.h"

namespace fleetsim {

/// The HOST-RESOURCES-MIB (RFC 2790) objects the simulator synthesizes with --host-resources.
enum class HrGroup : uint8_t {
  MemorySize,  // hrMemorySize.0 (1.3.6.1.2.1.25.2.2)
  Storage,     // hrStorageTable (1.3.6.1.2.1.25.2.3.1.<column>.<hrStorageIndex>)
  Device,      // hrDeviceTable (1.3.6.1.2.1.25.3.2.1.<column>.<hrDeviceIndex>), the processors
  Processor,   // hrProcessorTable (1.3.6.1.2.1.25.3.3.1.<column>.<hrDeviceIndex>)
};

/// One synthesized column (or the hrMemorySize scalar, column 0).
struct HrColumnDef {
  HrGroup group;
  uint8_t column;
  Tag tag;
};

/// Every synthesized column, in OID order.
std::span<const HrColumnDef> hrColumns();

/// The instances of `group`: net-snmp's hrStorageIndex values for the 8 storage rows (1, 3, 6,
/// 7, 8, 10, 31, 32), hrDeviceIndex 768-771 for the 4 processors, {0} for hrMemorySize.
std::span<const uint32_t> hrRows(HrGroup group);

/// The OID of `column` without the instance (hrMemorySize: 1.3.6.1.2.1.25.2.2).
std::vector<uint32_t> hrColumnOid(const HrColumnDef& column);

/// Computes column `columnIndex` (into hrColumns()) of instance `row` for `device` at
/// `device.seconds`. Sizes and the memory size differ per device; hrStorageUsed (never above
/// hrStorageSize) and hrProcessorLoad (0-100, with noise that changes every second) move with
/// time, a per-device, per-row oscillation, so that successive polls see new values. Strings and
/// OIDs point to static storage. Thread-safe.
void hrValue(unsigned columnIndex, uint32_t row, const DeviceContext& device, Value& out);

}  // namespace fleetsim
