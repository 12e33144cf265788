#include "ShapeBuilder.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <numeric>

#include <Poco/Exception.h>

#include "BerCodec.h"
#include "HostResources.h"
#include "IfMib.h"

namespace fleetsim {
namespace {

constexpr std::array<uint32_t, 9> kSysUpTime = {1, 3, 6, 1, 2, 1, 1, 3, 0};
constexpr std::array<uint32_t, 9> kSysName = {1, 3, 6, 1, 2, 1, 1, 5, 0};
constexpr std::array<uint32_t, 9> kIfNumber = {1, 3, 6, 1, 2, 1, 2, 1, 0};
constexpr std::array<uint32_t, 8> kIfTable = {1, 3, 6, 1, 2, 1, 2, 2};
constexpr std::array<uint32_t, 9> kIfXTable = {1, 3, 6, 1, 2, 1, 31, 1, 1};
constexpr std::array<uint32_t, 10> kIfTableLastChange = {1, 3, 6, 1, 2, 1, 31, 1, 5, 0};
constexpr std::array<uint32_t, 10> kIfEntry = {1, 3, 6, 1, 2, 1, 2, 2, 1, 0};
constexpr std::array<uint32_t, 11> kIfXEntry = {1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 0};
constexpr std::array<uint32_t, 8> kHrStorage = {1, 3, 6, 1, 2, 1, 25, 2};
constexpr std::array<uint32_t, 8> kHrDevice = {1, 3, 6, 1, 2, 1, 25, 3};
constexpr uint64_t kDefaultUpTime = 360000;  // one hour in TimeTicks

template <size_t N>
bool equals(const std::vector<uint32_t>& oid, const std::array<uint32_t, N>& ref) {
  return oid.size() == N && std::equal(ref.begin(), ref.end(), oid.begin());
}

template <size_t N>
bool under(const std::vector<uint32_t>& oid, const std::array<uint32_t, N>& ref) {
  return oid.size() > N && std::equal(ref.begin(), ref.end(), oid.begin());
}

Tag tagOf(unsigned snmprecTag) {
  switch (snmprecTag) {
    case 2:
      return Tag::Integer;
    case 4:
      return Tag::OctetString;
    case 5:
      return Tag::Null;
    case 6:
      return Tag::ObjectId;
    case 64:
      return Tag::IpAddress;
    case 65:
      return Tag::Counter32;
    case 66:
      return Tag::Gauge32;
    case 67:
      return Tag::TimeTicks;
    case 68:
      return Tag::Opaque;
    case 70:
      return Tag::Counter64;
    case 128:
      return Tag::NoSuchObject;
    case 129:
      return Tag::NoSuchInstance;
    case 130:
      return Tag::EndOfMibView;
    default:
      throw Poco::DataFormatException("unknown tag " + std::to_string(snmprecTag));
  }
}

template <typename T>
T parseNumber(const std::string& text) {
  T v = 0;
  std::string_view s = text;
  while (!s.empty() && s.front() == ' ') {
    s.remove_prefix(1);
  }
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end == s.data()) {
    throw Poco::DataFormatException("bad number '" + text + "'");
  }
  return v;
}

// snmpsim accepts an IpAddress as a dotted quad or, like pysnmp, as its four raw octets.
std::string ipAddressBytes(const std::string& text) {
  unsigned a = 0, b = 0, c = 0, d = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a < 256 &&
      b < 256 && c < 256 && d < 256) {
    return {static_cast<char>(a), static_cast<char>(b), static_cast<char>(c), static_cast<char>(d)};
  }
  if (text.size() == 4) {
    return text;
  }
  throw Poco::DataFormatException("bad IpAddress '" + text + "'");
}

}  // namespace

Shape ShapeBuilder::build(const std::vector<SnmprecRecord>& records, const std::string& file,
                          const std::string& community, unsigned interfaces, bool hostResources) {
  Shape shape;
  shape.community_ = community;
  shape.interfaces_ = interfaces;
  shape.hostResources_ = hostResources;
  std::vector<Entry> entries;
  entries.reserve(records.size() + static_cast<size_t>(interfaces) * ifColumns().size() + 2);

  auto addOid = [&](Entry& e, std::span<const uint32_t> oid) {
    e.oidOffset = static_cast<uint32_t>(shape.arcs_.size());
    e.oidLength = static_cast<uint16_t>(oid.size());
    shape.arcs_.insert(shape.arcs_.end(), oid.begin(), oid.end());
  };
  auto addBytes = [&](std::string_view bytes) {
    uint32_t offset = static_cast<uint32_t>(shape.bytes_.size());
    shape.bytes_.insert(shape.bytes_.end(), bytes.begin(), bytes.end());
    return offset;
  };

  for (const SnmprecRecord& r : records) {
    if (interfaces > 0 && (under(r.oid, kIfTable) || under(r.oid, kIfXTable) ||
                           equals(r.oid, kIfNumber) || equals(r.oid, kIfTableLastChange))) {
      continue;
    }
    if (hostResources && (under(r.oid, kHrStorage) || under(r.oid, kHrDevice))) {
      continue;
    }
    try {
      Entry e;
      addOid(e, r.oid);
      e.tag = tagOf(r.tag);
      std::string text = r.value;
      if (!r.module.empty() && r.module == "numeric" && r.tag != 4) {
        e.source = Source::Numeric;
        e.aux = static_cast<uint32_t>(shape.numerics_.size());
        shape.numerics_.push_back(NumericVariation::parse(r.value, r.tag));
        e.advances = e.tag == Tag::Counter32 || e.tag == Tag::Counter64;
      } else {
        if (!r.module.empty()) {
          // Other modules (writecache, delay, error, ...) are served as their `value=` or the
          // type's zero: the simulator is read-only and never delays or fails on purpose.
          // An OctetString `numeric` (UCD laLoad) is served as its formatted initial value.
          if (r.module == "numeric") {
            NumericVariation n = NumericVariation::parse(r.value, 2);
            char buffer[32];
            auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), n.evaluate(0),
                                           std::chars_format::fixed, 2);
            text.assign(buffer, end);
          } else {
            text = std::string(findOption(r.value, "value"));
          }
          if (text.empty() && e.tag != Tag::OctetString && e.tag != Tag::Opaque) {
            text = e.tag == Tag::ObjectId ? "0.0" : e.tag == Tag::IpAddress ? "0.0.0.0" : "0";
          }
        }
        switch (e.tag) {
          case Tag::Integer:
            e.number = static_cast<uint64_t>(parseNumber<int64_t>(text));
            break;
          case Tag::Counter32:
          case Tag::Gauge32:
          case Tag::TimeTicks:
          case Tag::Counter64:
            e.number = parseNumber<uint64_t>(text);
            e.advances = e.tag == Tag::Counter32 || e.tag == Tag::Counter64;
            break;
          case Tag::OctetString:
          case Tag::Opaque:
          case Tag::IpAddress: {
            std::string bytes = r.encoding == 'x'   ? decodeHex(text)
                                : r.encoding == 'e' ? decodeEscaped(text)
                                                    : text;
            if (e.tag == Tag::IpAddress && r.encoding != 'x') {
              bytes = ipAddressBytes(text);
            }
            e.aux = addBytes(bytes);
            e.auxLength = static_cast<uint32_t>(bytes.size());
            break;
          }
          case Tag::ObjectId: {
            std::string encoded = encodeOid(parseOid(text));
            e.aux = addBytes(encoded);
            e.auxLength = static_cast<uint32_t>(encoded.size());
            break;
          }
          default:
            break;
        }
      }
      if (equals(r.oid, kSysUpTime) && e.tag == Tag::TimeTicks) {
        if (e.source == Source::Numeric) {
          e.number = static_cast<uint64_t>(shape.numerics_[e.aux].initial);
        }
        e.source = Source::SysUpTime;
      } else if (equals(r.oid, kSysName) && e.tag == Tag::OctetString) {
        e.source = Source::SysName;
      }
      entries.push_back(e);
    } catch (const Poco::Exception& ex) {
      throw Poco::DataFormatException(file + ":" + std::to_string(r.line) + ": " +
                                      ex.displayText());
    }
  }

  if (interfaces > 0) {
    Entry number;
    addOid(number, kIfNumber);
    number.tag = Tag::Integer;
    number.source = Source::IfNumber;
    entries.push_back(number);
    Entry lastChange;
    addOid(lastChange, kIfTableLastChange);
    lastChange.tag = Tag::TimeTicks;
    lastChange.source = Source::IfTableLastChange;
    entries.push_back(lastChange);
    std::array<uint32_t, 12> oid{};
    auto columns = ifColumns();
    for (size_t c = 0; c < columns.size(); ++c) {
      size_t prefix = columns[c].ifX ? kIfXEntry.size() : kIfEntry.size();
      if (columns[c].ifX) {
        std::copy(kIfXEntry.begin(), kIfXEntry.end(), oid.begin());
      } else {
        std::copy(kIfEntry.begin(), kIfEntry.end(), oid.begin());
      }
      oid[prefix - 1] = columns[c].column;
      for (uint32_t ifIndex = 1; ifIndex <= interfaces; ++ifIndex) {
        oid[prefix] = ifIndex;
        Entry e;
        addOid(e, std::span<const uint32_t>(oid.data(), prefix + 1));
        e.tag = columns[c].tag;
        e.source = Source::IfColumn;
        e.column = static_cast<uint8_t>(c);
        e.aux = ifIndex;
        entries.push_back(e);
      }
    }
  }

  if (hostResources) {
    auto columns = hrColumns();
    for (size_t c = 0; c < columns.size(); ++c) {
      std::vector<uint32_t> oid = hrColumnOid(columns[c]);
      oid.push_back(0);
      for (uint32_t row : hrRows(columns[c].group)) {
        oid.back() = row;
        Entry e;
        addOid(e, oid);
        e.tag = columns[c].tag;
        e.source = Source::HrColumn;
        e.column = static_cast<uint8_t>(c);
        e.aux = row;
        entries.push_back(e);
      }
    }
  }

  // Sort (stable: the first of duplicate OIDs wins, as in a file read top to bottom), then
  // drop duplicates and encode every OID once.
  const std::vector<uint32_t>& arcs = shape.arcs_;
  auto span = [&](const Entry& e) {
    return std::span<const uint32_t>(arcs.data() + e.oidOffset, e.oidLength);
  };
  std::stable_sort(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) {
    return compareOid(span(a), span(b)) < 0;
  });
  entries.erase(std::unique(entries.begin(), entries.end(),
                            [&](const Entry& a, const Entry& b) {
                              return compareOid(span(a), span(b)) == 0;
                            }),
                entries.end());
  for (Entry& e : entries) {
    std::string encoded = encodeOid(span(e));
    e.encodedOffset = addBytes(encoded);
    e.encodedLength = static_cast<uint16_t>(encoded.size());
  }
  shape.entries_ = std::move(entries);
  shape.upTime_ = kDefaultUpTime;
  if (size_t i = shape.find(kSysUpTime); i != Shape::kNone) {
    shape.upTime_ = shape.entries_[i].number;
  }
  return shape;
}

}  // namespace fleetsim
