#pragma once

#include <string>
#include <vector>

#include "Shape.h"
#include "SnmprecReader.h"

namespace fleetsim {

/// Turns the records of one recording into a Shape: interprets snmpsim tags and variation
/// modules, optionally replaces ifTable/ifXTable with `interfaces` synthesized rows and, with
/// `hostResources`, the recording's hrStorage and hrDevice groups (1.3.6.1.2.1.25.2 and .25.3)
/// with synthesized hrMemorySize, hrStorageTable, hrDeviceTable and hrProcessorTable
/// (HostResources.h), sorts, and pre-encodes every OID once so that requests only copy bytes.
class ShapeBuilder {
 public:
  /// Throws Poco::DataFormatException("file:line: message") for a value it cannot interpret.
  static Shape build(const std::vector<SnmprecRecord>& records, const std::string& file,
                     const std::string& community, unsigned interfaces, bool hostResources);
};

}  // namespace fleetsim
