#pragma once

#include <cstdint>
#include <string>

namespace fleetsim {

/// ASN.1 / SNMP application tags as they appear in a response varbind.
enum class Tag : uint8_t {
  Integer = 0x02,
  OctetString = 0x04,
  Null = 0x05,
  ObjectId = 0x06,
  IpAddress = 0x40,
  Counter32 = 0x41,
  Gauge32 = 0x42,
  TimeTicks = 0x43,
  Opaque = 0x44,
  Counter64 = 0x46,
  NoSuchObject = 0x80,
  NoSuchInstance = 0x81,
  EndOfMibView = 0x82,
};

/// One value computed for one device at one instant. Strings (OctetString, IpAddress, Opaque)
/// point into `bytes`, or into the table's pool via `data`/`size` to avoid a copy per request;
/// ObjectId values are kept as their complete pre-encoded BER (tag, length and contents).
struct Value {
  Tag tag = Tag::Null;
  int64_t integer = 0;     // Integer
  uint64_t unsigned_ = 0;  // Counter32, Gauge32, TimeTicks, Counter64
  const uint8_t* data = nullptr;
  size_t size = 0;
  std::string bytes;  // owned string storage when the value is computed (sysName, ifDescr)

  void setOwned(Tag t, std::string s) {
    tag = t;
    bytes = std::move(s);
    data = reinterpret_cast<const uint8_t*>(bytes.data());
    size = bytes.size();
  }
};

}  // namespace fleetsim
