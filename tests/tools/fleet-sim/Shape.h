#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "NumericVariation.h"
#include "Value.h"

namespace fleetsim {

/// Where the value of one table entry comes from when a device is asked for it.
enum class Source : uint8_t {
  Static,             // the recording's value (counters advance per device unless disabled)
  Numeric,            // snmpsim `numeric` variation, see NumericVariation
  SysUpTime,          // live TimeTicks since the simulator started, plus a per-device boot time
  SysName,            // `sim-<ip with dashes>` unless --keep-sysname
  IfColumn,           // synthesized IF-MIB column, computed by IfMib
  IfNumber,           // number of synthesized interfaces
  IfTableLastChange,  // per-device constant before the simulator started
  HrColumn,           // synthesized HOST-RESOURCES-MIB object, computed by HostResources
};

/// One OID of a shape. Kept small (the 5,000-interface shape has ~200,000 of them).
struct Entry {
  uint32_t oidOffset = 0;      // into Shape's arc pool
  uint32_t encodedOffset = 0;  // into Shape's byte pool: the OID's BER encoding (tag+length+value)
  uint16_t oidLength = 0;
  uint16_t encodedLength = 0;
  Tag tag = Tag::Null;
  Source source = Source::Static;
  uint8_t column = 0;      // IfColumn: index into ifColumns(); HrColumn: into hrColumns()
  bool advances = false;   // Static Counter32/Counter64: advances per device
  uint32_t aux = 0;        // Static strings: byte pool offset; Numeric: index; IfColumn: ifIndex;
                           // HrColumn: the instance (hrStorageIndex, hrDeviceIndex, 0)
  uint32_t auxLength = 0;  // Static strings: length
  uint64_t number = 0;     // Static integers (Integer stored as its two's complement)
};

/// A sorted OID table shared by every device that serves the same recording with the same
/// interface count (a "shape"); per-device values are computed from it on the fly. Immutable
/// after ShapeBuilder::build, so any number of readers may share it.
class Shape {
 public:
  static constexpr size_t kNone = static_cast<size_t>(-1);

  size_t size() const { return entries_.size(); }
  const Entry& entry(size_t i) const { return entries_[i]; }
  std::span<const uint32_t> oid(size_t i) const {
    return {arcs_.data() + entries_[i].oidOffset, entries_[i].oidLength};
  }
  std::span<const uint8_t> encodedOid(size_t i) const {
    return {bytes_.data() + entries_[i].encodedOffset, entries_[i].encodedLength};
  }
  std::span<const uint8_t> bytes(uint32_t offset, uint32_t length) const {
    return {bytes_.data() + offset, length};
  }
  const NumericVariation& numeric(size_t i) const { return numerics_[i]; }
  unsigned interfaces() const { return interfaces_; }
  bool hostResources() const { return hostResources_; }
  const std::string& community() const { return community_; }
  /// sysUpTime of the recording when the simulator started (an hour if it has none).
  uint64_t upTime() const { return upTime_; }

  /// Index of the entry equal to `oid`, or kNone. Thread-safe.
  size_t find(std::span<const uint32_t> oid) const;
  /// Index of the first entry after `oid` in lexicographic order, or size(). Thread-safe.
  size_t next(std::span<const uint32_t> oid) const;
  /// Whether some entry lies below `prefix` (the object type exists, RFC 3416 noSuchInstance).
  bool hasEntryUnder(std::span<const uint32_t> prefix) const;

 private:
  friend class ShapeBuilder;
  std::vector<Entry> entries_;
  std::vector<uint32_t> arcs_;
  std::vector<uint8_t> bytes_;
  std::vector<NumericVariation> numerics_;
  unsigned interfaces_ = 0;
  bool hostResources_ = false;
  uint64_t upTime_ = 0;
  std::string community_;
};

/// Lexicographic OID comparison (<0, 0, >0).
int compareOid(std::span<const uint32_t> a, std::span<const uint32_t> b);

}  // namespace fleetsim
