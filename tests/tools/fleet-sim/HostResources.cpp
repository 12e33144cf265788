#include "HostResources.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <string_view>

namespace fleetsim {
namespace {

constexpr std::array<HrColumnDef, 16> kColumns = {{
    {HrGroup::MemorySize, 0, Tag::Integer},   // hrMemorySize (KBytes)
    {HrGroup::Storage, 1, Tag::Integer},      // hrStorageIndex
    {HrGroup::Storage, 2, Tag::ObjectId},     // hrStorageType (hrStorageTypes.n)
    {HrGroup::Storage, 3, Tag::OctetString},  // hrStorageDescr
    {HrGroup::Storage, 4, Tag::Integer},      // hrStorageAllocationUnits
    {HrGroup::Storage, 5, Tag::Integer},      // hrStorageSize
    {HrGroup::Storage, 6, Tag::Integer},      // hrStorageUsed
    {HrGroup::Storage, 7, Tag::Counter32},    // hrStorageAllocationFailures
    {HrGroup::Device, 1, Tag::Integer},       // hrDeviceIndex
    {HrGroup::Device, 2, Tag::ObjectId},      // hrDeviceType (hrDeviceProcessor)
    {HrGroup::Device, 3, Tag::OctetString},   // hrDeviceDescr
    {HrGroup::Device, 4, Tag::ObjectId},      // hrDeviceID (zeroDotZero: unknown product)
    {HrGroup::Device, 5, Tag::Integer},       // hrDeviceStatus
    {HrGroup::Device, 6, Tag::Counter32},     // hrDeviceErrors
    {HrGroup::Processor, 1, Tag::ObjectId},   // hrProcessorFrwID (zeroDotZero)
    {HrGroup::Processor, 2, Tag::Integer},    // hrProcessorLoad (percent over the last minute)
}};

// hrStorageTypes (1.3.6.1.2.1.25.2.1.n), complete BER (tag, length, contents) as Value wants.
enum StorageType : uint8_t { kOther = 1, kRam = 2, kVirtualMemory = 3, kFixedDisk = 4 };
constexpr std::array<std::array<uint8_t, 11>, 5> kStorageTypeBer = {{
    {},
    {0x06, 0x09, 0x2B, 0x06, 0x01, 0x02, 0x01, 0x19, 0x02, 0x01, kOther},
    {0x06, 0x09, 0x2B, 0x06, 0x01, 0x02, 0x01, 0x19, 0x02, 0x01, kRam},
    {0x06, 0x09, 0x2B, 0x06, 0x01, 0x02, 0x01, 0x19, 0x02, 0x01, kVirtualMemory},
    {0x06, 0x09, 0x2B, 0x06, 0x01, 0x02, 0x01, 0x19, 0x02, 0x01, kFixedDisk},
}};
// hrDeviceProcessor (1.3.6.1.2.1.25.3.1.3) and zeroDotZero (0.0).
constexpr uint8_t kDeviceProcessorBer[] = {0x06, 0x09, 0x2B, 0x06, 0x01, 0x02,
                                           0x01, 0x19, 0x03, 0x01, 0x03};
constexpr uint8_t kZeroDotZeroBer[] = {0x06, 0x01, 0x00};

enum class Size : uint8_t { Memory, VirtualMemory, Swap, UsedOnly, SystemDisk, DataDisk };

// The rows net-snmp's hrStorageTable has on a Linux host (memory rows 1-10, then mounts from 31),
// with the share of the row that is used: base plus or minus amplitude over time.
struct StorageRow {
  uint32_t index;
  StorageType type;
  std::string_view descr;
  int32_t units;
  Size size;
  double base;
  double amplitude;
};
constexpr std::array<StorageRow, 8> kStorage = {{
    {1, kRam, "Physical memory", 1024, Size::Memory, 0.55, 0.25},
    {3, kVirtualMemory, "Virtual memory", 1024, Size::VirtualMemory, 0.40, 0.20},
    {6, kOther, "Memory buffers", 1024, Size::Memory, 0.03, 0.02},
    {7, kOther, "Cached memory", 1024, Size::UsedOnly, 0.25, 0.10},
    {8, kOther, "Shared memory", 1024, Size::UsedOnly, 0.02, 0.01},
    {10, kVirtualMemory, "Swap space", 1024, Size::Swap, 0.10, 0.08},
    {31, kFixedDisk, "/", 4096, Size::SystemDisk, 0.45, 0.05},
    {32, kFixedDisk, "/var", 4096, Size::DataDisk, 0.60, 0.10},
}};
constexpr std::array<uint32_t, 8> kStorageRows = {1, 3, 6, 7, 8, 10, 31, 32};
// net-snmp numbers processors from 768 (hrDeviceProcessor << 8).
constexpr std::array<uint32_t, 4> kProcessorRows = {768, 769, 770, 771};
constexpr std::array<uint32_t, 1> kScalarRow = {0};
constexpr std::string_view kProcessorDescr =
    "GenuineIntel: Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz";

constexpr int64_t kKiBPerGiB = int64_t{1024} * 1024;

int64_t memoryKiB(const DeviceContext& device) {
  static constexpr int64_t kGiB[5] = {4, 8, 16, 32, 64};
  return kGiB[mix64(device.hash, 0x6D656D) % 5] * kKiBPerGiB;
}

// base + amplitude * sin(2 pi t / period + phase), the period (4-8 minutes) and phase per device
// and row: values move a little between any two polls and never leave [base - a, base + a].
double oscillation(const DeviceContext& device, uint64_t salt, double base, double amplitude) {
  uint64_t h = mix64(device.hash, salt);
  double period = 240.0 + static_cast<double>(h % 240);
  double phase = static_cast<double>((h >> 16) % 6283) / 1000.0;
  return base + amplitude * std::sin(2 * std::numbers::pi * device.seconds / period + phase);
}

const StorageRow* storageRow(uint32_t index) {
  auto it = std::find_if(kStorage.begin(), kStorage.end(),
                         [&](const StorageRow& r) { return r.index == index; });
  return it == kStorage.end() ? nullptr : &*it;
}

// hrStorageSize and hrStorageUsed of `row`, in its allocation units.
std::pair<int64_t, int64_t> storageSizeUsed(const StorageRow& row, const DeviceContext& device) {
  int64_t memory = memoryKiB(device);
  uint64_t h = mix64(device.hash, row.index);
  double used = oscillation(device, 0x100 + row.index, row.base, row.amplitude);
  int64_t size = 0;
  switch (row.size) {
    case Size::Memory:
      size = memory;
      break;
    case Size::VirtualMemory:
      size = memory + memory / 2;
      break;
    case Size::Swap:
      size = memory / 2;
      break;
    case Size::UsedOnly:
      // net-snmp reports cached and shared memory with size = used; a walk reads the two
      // columns at different instants, so the size here is the most that is ever used.
      size = static_cast<int64_t>(static_cast<double>(memory) * (row.base + row.amplitude));
      break;
    case Size::SystemDisk:
      size = static_cast<int64_t>(32 + h % 64) * kKiBPerGiB / 4;
      break;
    case Size::DataDisk:
      size = static_cast<int64_t>(100 + h % 400) * kKiBPerGiB / 4;
      break;
  }
  return {size, static_cast<int64_t>(static_cast<double>(size) * used)};
}

void setStatic(Value& out, Tag tag, const uint8_t* data, size_t size) {
  out.tag = tag;
  out.data = data;
  out.size = size;
}

void setString(Value& out, std::string_view s) {
  setStatic(out, Tag::OctetString, reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

}  // namespace

std::span<const HrColumnDef> hrColumns() { return kColumns; }

std::span<const uint32_t> hrRows(HrGroup group) {
  switch (group) {
    case HrGroup::MemorySize:
      return kScalarRow;
    case HrGroup::Storage:
      return kStorageRows;
    case HrGroup::Device:
    case HrGroup::Processor:
      return kProcessorRows;
  }
  return {};
}

std::vector<uint32_t> hrColumnOid(const HrColumnDef& column) {
  switch (column.group) {
    case HrGroup::MemorySize:
      return {1, 3, 6, 1, 2, 1, 25, 2, 2};
    case HrGroup::Storage:
      return {1, 3, 6, 1, 2, 1, 25, 2, 3, 1, column.column};
    case HrGroup::Device:
      return {1, 3, 6, 1, 2, 1, 25, 3, 2, 1, column.column};
    case HrGroup::Processor:
      return {1, 3, 6, 1, 2, 1, 25, 3, 3, 1, column.column};
  }
  return {};
}

void hrValue(unsigned columnIndex, uint32_t row, const DeviceContext& device, Value& out) {
  const HrColumnDef& def = kColumns[columnIndex];
  out.tag = def.tag;
  switch (def.group) {
    case HrGroup::MemorySize:
      out.integer = memoryKiB(device);
      return;
    case HrGroup::Storage: {
      const StorageRow* r = storageRow(row);
      if (r == nullptr) {
        out.integer = 0;
        return;
      }
      switch (def.column) {
        case 1:
          out.integer = r->index;
          break;
        case 2:
          setStatic(out, Tag::ObjectId, kStorageTypeBer[r->type].data(),
                    kStorageTypeBer[r->type].size());
          break;
        case 3:
          setString(out, r->descr);
          break;
        case 4:
          out.integer = r->units;
          break;
        case 5:
          out.integer = storageSizeUsed(*r, device).first;
          break;
        case 6:
          out.integer = storageSizeUsed(*r, device).second;
          break;
        case 7:
          out.unsigned_ = 0;
          break;
      }
      return;
    }
    case HrGroup::Device:
      switch (def.column) {
        case 1:
          out.integer = row;
          break;
        case 2:
          setStatic(out, Tag::ObjectId, kDeviceProcessorBer, sizeof(kDeviceProcessorBer));
          break;
        case 3:
          setString(out, kProcessorDescr);
          break;
        case 4:
          setStatic(out, Tag::ObjectId, kZeroDotZeroBer, sizeof(kZeroDotZeroBer));
          break;
        case 5:
          out.integer = 2;  // running
          break;
        case 6:
          out.unsigned_ = 0;
          break;
      }
      return;
    case HrGroup::Processor:
      if (def.column == 1) {
        setStatic(out, Tag::ObjectId, kZeroDotZeroBer, sizeof(kZeroDotZeroBer));
        return;
      }
      {
        uint64_t h = mix64(device.hash, 0x200 + row);
        double base = 10.0 + static_cast<double>(h % 50);
        double amplitude = 5.0 + static_cast<double>((h >> 8) % 25);
        // Plus up to 5 points of noise that changes every second, as a real load does.
        uint64_t second = static_cast<uint64_t>(device.seconds);
        double noise = static_cast<double>(mix64(h, second) % 11) - 5.0;
        double load = oscillation(device, 0x300 + row, base, amplitude) + noise;
        out.integer = std::clamp<int64_t>(std::llround(load), 0, 100);
      }
      return;
  }
}

}  // namespace fleetsim
