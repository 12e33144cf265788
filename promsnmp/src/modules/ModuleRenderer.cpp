#include "modules/ModuleRenderer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <span>

#include <re2/re2.h>

#include "common/Text.h"
#include "exposition/Exposition.h"
#include "modules/DisplayHint.h"
#include "modules/GoText.h"
#include "modules/TimeFormat.h"

// Semantics: snmp_exporter's collector/collector.go at upstream HEAD (1d54f35), function by
// function; the comments name the Go function each piece follows. Where Debian's 0.21 (our
// side-by-side oracle) differs, HEAD is followed because each difference is a bug fix or a
// feature 0.21 lacks:
// - 0.21 writes label values as they are; invalid UTF-8 fails the whole scrape there. HEAD makes
//   value strings (0.24, #968) and index labels (#1646, unreleased) valid UTF-8.
// - 0.21 writes a TimeTicks value used as a label as "%!s(uint32=…)" (gosnmp decodes TimeTicks
//   to uint32, which its pduValueAsString lacked; fixed in 0.30).
// - 0.21 has no type mapping for InetAddress/LldpPortId lookups (0.23, #908), no display_hint,
//   enum_values on lookups or EnumAsInfo-index guard (all unreleased after 0.30.1), no
//   ParseDateAndTime or NTPTimeStamp (0.27), no scale/offset (0.25), and treats a Bits-typed
//   lookup as an unknown type (panic) where HEAD uses OctetString (0.23, #870).
// - HEAD (#1580, unreleased) applies scale and offset to regex_extracts values too; 0.25–0.30.1
//   did not.
// - 0.21 fails the scrape on a metric or label name that is not a legacy Prometheus name; HEAD
//   writes it with '_' for each character such a name cannot hold (see "Names" below).
// The meta series carry {module=…} since 0.24; 0.21 has them without labels.

namespace promsnmp {

namespace {

using OidSpan = std::span<const uint32_t>;
using Labels = ModuleFamilies::Labels;

constexpr uint64_t kFloat64Mantissa = uint64_t{1} << 53;
constexpr int64_t kNtpEpochOffset = 2208988800;  // 1900-01-01 to 1970-01-01 in seconds
// Go's splitOid pads a short index with zeros up to the length the index says. A length longer
// than what is left and than any OID can be is padded to this many sub-identifiers only (Go
// would try to allocate what it says).
constexpr size_t kMaxPadding = 128;

// ---- Values (getPduValue, pduValueAsString and gosnmp's decoding) ----

struct OpaqueNumber {
  double value;
  bool isFloat32;
};

uint64_t bigEndian(std::string_view bytes) {
  uint64_t x = 0;
  for (const char c : bytes) {
    x = (x << 8) | static_cast<unsigned char>(c);
  }
  return x;
}

// gosnmp's OpaqueFloat/OpaqueDouble. SnmpValue keeps an Opaque as SnmpType::Other with its
// octets: either the BER form (9F 78 04 + 4 octets, 9F 79 08 + 8 octets, big-endian) or, for
// net-snmp's decoded ASN_OPAQUE_FLOAT/DOUBLE that NetSnmpClient passes on, the float or double
// itself in host order (4 or 8 octets). Any other Opaque is octets, as in gosnmp.
std::optional<OpaqueNumber> opaqueNumber(const SnmpValue& v) {
  if (v.type != SnmpType::Other) {
    return std::nullopt;
  }
  const std::string& b = v.bytes;
  auto byte = [&](size_t i) { return static_cast<unsigned char>(b[i]); };
  if (b.size() == 7 && byte(0) == 0x9f && byte(1) == 0x78 && byte(2) == 4) {
    const auto bits = static_cast<uint32_t>(bigEndian(std::string_view(b).substr(3)));
    float f = 0;
    std::memcpy(&f, &bits, sizeof f);
    return OpaqueNumber{f, true};
  }
  if (b.size() == 11 && byte(0) == 0x9f && byte(1) == 0x79 && byte(2) == 8) {
    const uint64_t bits = bigEndian(std::string_view(b).substr(3));
    double d = 0;
    std::memcpy(&d, &bits, sizeof d);
    return OpaqueNumber{d, false};
  }
  if (b.size() == sizeof(float)) {
    float f = 0;
    std::memcpy(&f, b.data(), sizeof f);
    return OpaqueNumber{f, true};
  }
  if (b.size() == sizeof(double)) {
    double d = 0;
    std::memcpy(&d, b.data(), sizeof d);
    return OpaqueNumber{d, false};
  }
  return std::nullopt;
}

// The octets of a value that gosnmp hands over as []byte (OCTET STRING, an Opaque that is not a
// number, anything it does not know), or null.
const std::string* octets(const SnmpValue& v) {
  if (v.type == SnmpType::OctetString) {
    return &v.bytes;
  }
  if (v.type == SnmpType::Other && !opaqueNumber(v)) {
    return &v.bytes;
  }
  return nullptr;
}

// getPduValue.
double pduValue(const SnmpValue& v, bool wrapLargeCounters) {
  switch (v.type) {
    case SnmpType::Counter64:
      return wrapLargeCounters ? static_cast<double>(v.unsignedValue % kFloat64Mantissa)
                               : static_cast<double>(v.unsignedValue);
    case SnmpType::Integer:
      return static_cast<double>(v.integer);
    case SnmpType::Counter32:
    case SnmpType::Gauge32:
    case SnmpType::TimeTicks:
      return static_cast<double>(v.unsignedValue);
    case SnmpType::Other:
      if (auto n = opaqueNumber(v)) {
        return n->value;
      }
      return 0;
    default:
      return 0;  // strings, OIDs, addresses, null: gosnmp.ToBigInt gives 0
  }
}

// gosnmp.ToBigInt(value).Int64(): integers as they are (a Counter64 above 2^63 wraps), anything
// else 0.
int64_t integerValue(const SnmpValue& v) {
  switch (v.type) {
    case SnmpType::Integer:
      return v.integer;
    case SnmpType::Counter32:
    case SnmpType::Gauge32:
    case SnmpType::TimeTicks:
    case SnmpType::Counter64:
      return static_cast<int64_t>(v.unsignedValue);
    default:
      return 0;
  }
}

// Go's int(float64) on amd64: truncation; NaN and out-of-range values give the minimum.
int64_t goInt(double v) {
  if (!(v > -9223372036854775808.0 && v < 9223372036854775808.0)) {
    return std::numeric_limits<int64_t>::min();
  }
  return static_cast<int64_t>(v);
}

void appendSigned(std::string& out, int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void appendHex2(std::string& out, uint64_t v) {  // Go's %02X
  static constexpr char kHex[] = "0123456789ABCDEF";
  char buf[16];
  int n = 0;
  do {
    buf[n++] = kHex[v & 15];
    v >>= 4;
  } while (v != 0);
  if (n < 2) {
    buf[n++] = '0';
  }
  while (n > 0) {
    out += buf[--n];
  }
}

void appendHexOctets(std::string& out, std::string_view bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
}

// gosnmp's IpAddress value: net.IP's String() of 4 or 16 octets (RFC 5952 for IPv6, an
// IPv4-mapped address as a dotted quad); nil (empty) for anything else.
void appendIpAddress(std::string& out, std::string_view b) {
  auto byte = [&](size_t i) { return static_cast<unsigned>(static_cast<unsigned char>(b[i])); };
  auto dotted = [&](size_t from) {
    for (size_t i = 0; i < 4; ++i) {
      if (i > 0) {
        out += '.';
      }
      appendSigned(out, byte(from + i));
    }
  };
  if (b.size() == 4) {
    dotted(0);
    return;
  }
  if (b.size() != 16) {
    return;
  }
  bool mapped = byte(10) == 0xff && byte(11) == 0xff;
  for (size_t i = 0; i < 10 && mapped; ++i) {
    mapped = byte(i) == 0;
  }
  if (mapped) {
    dotted(12);
    return;
  }
  int bestStart = -1;
  int bestEnd = -1;
  for (int i = 0; i < 16; i += 2) {
    int j = i;
    while (j < 16 && byte(static_cast<size_t>(j)) == 0 && byte(static_cast<size_t>(j) + 1) == 0) {
      j += 2;
    }
    if (j > i && j - i > bestEnd - bestStart) {
      bestStart = i;
      bestEnd = j;
      i = j;
    }
  }
  if (bestEnd - bestStart <= 2) {
    bestStart = bestEnd = -1;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 16; i += 2) {
    if (i == bestStart) {
      out += "::";
      i = bestEnd;
      if (i >= 16) {
        break;
      }
    } else if (i > 0) {
      out += ':';
    }
    unsigned group = (byte(static_cast<size_t>(i)) << 8) | byte(static_cast<size_t>(i) + 1);
    char buf[4];
    int n = 0;
    do {
      buf[n++] = kHex[group & 15];
      group >>= 4;
    } while (group != 0);
    while (n > 0) {
      out += buf[--n];
    }
  }
}

// ---- Index decoding (indexOidsAsString, splitOid) ----

bool isCombined(ValueType t) {
  return t == ValueType::InetAddress || t == ValueType::InetAddressMissingSize ||
         t == ValueType::LldpPortId;
}

// combinedTypeMapping: the type that the previous object's value `sub` selects.
std::optional<ValueType> combinedTarget(ValueType t, int64_t sub) {
  if (t == ValueType::LldpPortId) {
    switch (sub) {
      case 1:
      case 2:
      case 5:
      case 7:
        return ValueType::DisplayString;
      case 3:
        return ValueType::PhysAddress48;
      default:
        return std::nullopt;
    }
  }
  switch (sub) {
    case 1:
      return ValueType::InetAddressIPv4;
    case 2:
      return ValueType::InetAddressIPv6;
    default:
      return std::nullopt;
  }
}

// splitOid's zero padding.
uint32_t at(OidSpan s, size_t i) { return i < s.size() ? s[i] : 0; }
OidSpan dropFront(OidSpan s, size_t n) { return s.subspan(std::min(n, s.size())); }

// indexOidsAsString: decodes one index of type `type` from the front of `rest` into `text` (not
// yet valid UTF-8: a DisplayString is raw octets), appends the sub-identifiers it used
// (zero-padded, as splitOid pads them) to `used` if given, and advances `rest`. False for a type
// that cannot be an index (upstream panics; config.RenderableIndexTypes refuses it at load).
bool decodeIndex(OidSpan& rest, ValueType type, uint64_t fixedSize, bool implied,
                 const EnumValues* enums, std::string& text, Oid::Ids* used) {
  auto use = [&](uint32_t v) {
    if (used != nullptr) {
      used->push_back(v);
    }
  };
  if (isCombined(type)) {
    const OidSpan all = rest;
    const size_t head = type == ValueType::InetAddressMissingSize ? 1 : 2;
    if (auto target = combinedTarget(type, at(all, 0))) {
      use(at(all, 0));
      if (head == 2) {
        use(at(all, 1));
      }
      rest = dropFront(all, head);
      return decodeIndex(rest, *target, 0, false, enums, text, used);
    }
    if (type == ValueType::InetAddressMissingSize) {
      return decodeIndex(rest, ValueType::OctetString, 0, true, enums, text, used);
    }
    return decodeIndex(rest, ValueType::OctetString, uint64_t{at(all, 1)} + 2, false, enums, text,
                       used);
  }
  switch (type) {
    case ValueType::Integer:
    case ValueType::Integer32:
    case ValueType::Gauge:
    case ValueType::Counter:
      appendSigned(text, at(rest, 0));
      use(at(rest, 0));
      rest = dropFront(rest, 1);
      return true;
    case ValueType::PhysAddress48:
      for (size_t k = 0; k < 6; ++k) {
        if (k > 0) {
          text += ':';
        }
        appendHex2(text, at(rest, k));
        use(at(rest, k));
      }
      rest = dropFront(rest, 6);
      return true;
    case ValueType::OctetString:
    case ValueType::DisplayString: {
      uint64_t length = implied ? rest.size() : fixedSize;
      if (length == 0) {
        length = at(rest, 0);
        use(at(rest, 0));
        rest = dropFront(rest, 1);
      }
      if (length > rest.size()) {
        length = std::min<uint64_t>(length, std::max(rest.size(), kMaxPadding));
      }
      if (type == ValueType::OctetString && length > 0) {
        text += "0x";
      }
      for (size_t k = 0; k < length; ++k) {
        const auto octet = static_cast<unsigned char>(at(rest, k) & 0xff);  // Go's byte()
        if (type == ValueType::OctetString) {
          appendHex2(text, octet);
        } else {
          text += static_cast<char>(octet);
        }
        use(at(rest, k));
      }
      rest = dropFront(rest, static_cast<size_t>(length));
      return true;
    }
    case ValueType::InetAddressIPv4:
      for (size_t k = 0; k < 4; ++k) {
        if (k > 0) {
          text += '.';
        }
        appendSigned(text, at(rest, k));
        use(at(rest, k));
      }
      rest = dropFront(rest, 4);
      return true;
    case ValueType::InetAddressIPv6:
      for (size_t k = 0; k < 16; ++k) {
        if (k > 0 && k % 2 == 0) {
          text += ':';
        }
        appendHex2(text, at(rest, k));
        use(at(rest, k));
      }
      rest = dropFront(rest, 16);
      return true;
    case ValueType::EnumAsInfo: {
      const uint32_t v = at(rest, 0);
      const std::string* name = nullptr;
      if (enums != nullptr) {
        const auto it = enums->find(v);
        name = it != enums->end() ? &it->second : nullptr;
      }
      if (name != nullptr) {
        text += *name;
      } else {
        appendSigned(text, v);
      }
      use(v);
      rest = dropFront(rest, 1);
      return true;
    }
    default:
      return false;
  }
}

// pduValueAsString, made valid UTF-8 as HEAD does. `type` empty is Go's "" (a lookup without
// `type`). Appends to `out`.
void appendValueText(std::string& out, const SnmpValue& v, std::optional<ValueType> type,
                     std::string_view hint) {
  switch (v.type) {
    case SnmpType::Integer:
      appendSigned(out, v.integer);
      return;
    case SnmpType::Counter32:
    case SnmpType::Counter64:
    case SnmpType::Gauge32:
    case SnmpType::TimeTicks:
      appendUnsigned(out, v.unsignedValue);
      return;
    case SnmpType::IpAddress:
      appendIpAddress(out, v.bytes);
      return;
    case SnmpType::ObjectId:
      out += v.oid.str();
      return;
    case SnmpType::OctetString:
    case SnmpType::Other:
      break;
    default:
      return;  // null and exceptions: Go's nil
  }
  if (auto n = opaqueNumber(v)) {
    appendGoFixedFloat(out, n->value, n->isFloat32);
    return;
  }
  const std::string& bytes = v.bytes;
  if (!hint.empty() && (!type || *type == ValueType::OctetString)) {
    if (auto formatted = applyDisplayHint(hint, bytes)) {
      appendGoValidUtf8(out, *formatted);
      return;
    }
  }
  const ValueType t = !type || *type == ValueType::Bits ? ValueType::OctetString : *type;
  // The string types read the octets directly; Go's route (the octets as index sub-identifiers,
  // with the length in front for these two) gives the same text.
  if (t == ValueType::DisplayString) {
    appendGoValidUtf8(out, bytes);
    return;
  }
  if (t == ValueType::OctetString) {
    if (!bytes.empty()) {
      out += "0x";
      appendHexOctets(out, bytes);
    }
    return;
  }
  Oid::Ids parts;
  parts.reserve(bytes.size());
  for (const char c : bytes) {
    parts.push_back(static_cast<unsigned char>(c));
  }
  std::string text;
  OidSpan rest(parts.data(), parts.size());
  if (!decodeIndex(rest, t, 0, false, nullptr, text, nullptr)) {
    // Upstream panics ("Unknown index type"). An IpAddr as a dotted quad, anything else as hex.
    text.clear();
    rest = OidSpan(parts.data(), parts.size());
    decodeIndex(rest, t == ValueType::IpAddr ? ValueType::InetAddressIPv4 : ValueType::OctetString,
                0, true, nullptr, text, nullptr);
  }
  appendGoValidUtf8(out, text);
}

// ---- Time types ----

// parseDateAndTime: RFC 2579 DateAndTime, 8 octets (UTC) or 11 (with "+hh mm"); time.Date's
// roll-over for out-of-range fields; the deci-seconds only count when 10 or more.
std::optional<double> dateAndTime(const SnmpValue& v) {
  const std::string* b = octets(v);
  if (b == nullptr || (b->size() != 8 && b->size() != 11)) {
    return std::nullopt;
  }
  auto byte = [&](size_t i) { return static_cast<int64_t>(static_cast<unsigned char>((*b)[i])); };
  int64_t offset = 0;
  if (b->size() == 11) {
    // Go formats "%s%02d%02d" of the three octets and parses it as "-0700".
    const int64_t sign = byte(8) == '+' ? 1 : (byte(8) == '-' ? -1 : 0);
    if (sign == 0 || byte(9) > 24 || byte(10) > 60) {
      return std::nullopt;
    }
    offset = sign * (byte(9) * 3600 + byte(10) * 60);
  }
  const int64_t year = (byte(0) << 8) | byte(1);
  return static_cast<double>(
      civilToUnix(year, byte(2), byte(3), byte(4), byte(5), byte(6) + byte(7) / 10, offset));
}

// parseNtpTimestamp: seconds since 1900 in the first 4 of at least 8 octets.
std::optional<double> ntpTimeStamp(const SnmpValue& v) {
  const std::string* b = octets(v);
  if (b == nullptr || b->size() < 8) {
    return std::nullopt;
  }
  const auto seconds = static_cast<int64_t>(bigEndian(std::string_view(*b).substr(0, 4)));
  return static_cast<double>(seconds - kNtpEpochOffset);
}

// ---- The compiled module ----

// How pduToSamples treats a metric type.
enum class Shape : uint8_t {
  Number,  // counter, gauge, Float, Double
  DateAndTime,
  ParseDateAndTime,
  NtpTimeStamp,
  EnumAsInfo,
  EnumAsStateSet,
  Bits,
  Text,  // anything else: the value as a label on a gauge of 1
};

Shape shapeOf(ValueType t) {
  switch (t) {
    case ValueType::Counter:
    case ValueType::Gauge:
    case ValueType::Float:
    case ValueType::Double:
      return Shape::Number;
    case ValueType::DateAndTime:
      return Shape::DateAndTime;
    case ValueType::ParseDateAndTime:
      return Shape::ParseDateAndTime;
    case ValueType::NtpTimeStamp:
      return Shape::NtpTimeStamp;
    case ValueType::EnumAsInfo:
      return Shape::EnumAsInfo;
    case ValueType::EnumAsStateSet:
      return Shape::EnumAsStateSet;
    case ValueType::Bits:
      return Shape::Bits;
    default:
      return Shape::Text;
  }
}

bool isRenderableIndex(ValueType t) {
  switch (t) {
    case ValueType::Integer:
    case ValueType::Integer32:
    case ValueType::Gauge:
    case ValueType::Counter:
    case ValueType::PhysAddress48:
    case ValueType::OctetString:
    case ValueType::DisplayString:
    case ValueType::InetAddressIPv4:
    case ValueType::InetAddressIPv6:
    case ValueType::InetAddress:
    case ValueType::InetAddressMissingSize:
    case ValueType::LldpPortId:
    case ValueType::EnumAsInfo:
      return true;
    default:
      return false;
  }
}

// ---- Names ----
//
// snmp_exporter at HEAD (client_golang 1.23, prometheus/common 0.70) takes any non-empty valid
// UTF-8 metric or label name, except label names starting with "__" (NewDesc's checkLabelName):
// a refused name makes pduToSamples' NewConstMetric fail, and the scrape with it. Its text/plain
// exposition writes a name that is not a legacy one with each character (code point) a legacy
// name cannot hold as '_' (expfmt with model.NameEscapingScheme, UnderscoreEscaping:
// model.EscapeName). One deviation: ':' becomes '_' in label names too (EscapeName keeps it, a
// legacy metric name character, but text 0.0.4 parsers refuse it in a label name). 0.21 refused
// every name that is not a legacy one.

bool refusedName(std::string_view name, bool label) {
  return name.empty() || !common::isValidUtf8(name) || (label && name.substr(0, 2) == "__");
}

// `name` as the exposition writes it; `name` must not be refused.
std::string exposedName(std::string_view name, bool label) {
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size();) {
    bool valid = false;
    const size_t n = common::utf8Sequence(name, i, valid);
    const char c = name[i];
    const bool legacy = n == 1 && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                                   (c == ':' && !label) || (c >= '0' && c <= '9' && i > 0));
    out += legacy ? c : '_';
    i += n;
  }
  return out;
}

using Slot = uint16_t;  // a label name of one metric, numbered

struct CompiledIndex {
  Slot slot;
  ValueType type;
  uint64_t fixedSize;
  bool implied;
  const EnumValues* enums;
};

// What a lookup reads and how it writes the value; lookups that agree on all of it (if_mib's
// three lookups on each of its metrics) share one, and so one cache of rows per render.
struct LookupSource {
  const Oid* oid;
  std::optional<ValueType> type;
  std::optional<Oid> previous;  // a combined type's selector column
  std::string_view hint;
  const EnumValues* enums;  // EnumAsInfo with enum_values

  bool sameAs(const LookupSource& o) const {
    return *oid == *o.oid && type == o.type && hint == o.hint &&
           (enums == o.enums || (enums != nullptr && o.enums != nullptr && *enums == *o.enums));
  }
};

struct CompiledLookup {
  Slot slot;
  bool drop;  // `labels` empty: the label is removed
  std::vector<Slot> sources;
  size_t source;  // index into CompiledModule::lookupSources
};

struct CompiledFamily {
  std::string name;  // as written (exposedName)
  std::string help;
  ModuleFamily::Kind kind = ModuleFamily::Kind::Gauge;
  bool refused = false;  // a name client_golang refuses: its samples are counted invalid
};

CompiledFamily makeFamily(std::string name, std::string help, ModuleFamily::Kind kind) {
  CompiledFamily f;
  f.refused = refusedName(name, false);
  f.name = f.refused ? std::move(name) : exposedName(name, false);
  f.help = std::move(help);
  f.kind = kind;
  return f;
}

struct CompiledExtract {
  size_t family;  // index into CompiledModule::families
  const std::vector<RegexExtract>* extracts;
};

struct CompiledMetric {
  const ModuleMetric* metric = nullptr;
  Shape shape = Shape::Number;
  bool renderable = true;
  std::vector<CompiledIndex> indexes;
  std::vector<CompiledLookup> lookups;
  std::vector<std::string_view> slotNames;  // as in the module (lookups name labels by them)
  std::vector<std::string> labelNames;      // per slot, as written (exposedName)
  std::vector<uint8_t> labelRefused;        // per slot: a label name client_golang refuses
  std::vector<Slot> sortedSlots;            // by labelNames
  Slot nameSlot = 0;
  std::optional<Oid> previous;  // a combined value type's selector column
  size_t family = 0;            // the main family, index into CompiledModule::families
  std::vector<CompiledExtract> extracts;
};

struct CompiledModule {
  std::vector<CompiledMetric> metrics;  // the metrics that can match a varbind, by OID
  std::vector<CompiledFamily> families;
  std::vector<LookupSource> lookupSources;
  size_t maxSlots = 0;
};

Slot slotFor(std::vector<std::string_view>& names, std::string_view name) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) {
      return static_cast<Slot>(i);
    }
  }
  names.push_back(name);
  return static_cast<Slot>(names.size() - 1);
}

size_t lookupSourceFor(std::vector<LookupSource>& sources, const LookupSource& source) {
  for (size_t i = 0; i < sources.size(); ++i) {
    if (sources[i].sameAs(source)) {
      return i;
    }
  }
  sources.push_back(source);
  return sources.size() - 1;
}

CompiledMetric compileMetric(const ModuleMetric& m, std::vector<CompiledFamily>& families,
                             std::vector<LookupSource>& lookupSources) {
  CompiledMetric c;
  c.metric = &m;
  c.shape = shapeOf(m.type);
  for (const MetricIndex& index : m.indexes) {
    c.renderable = c.renderable && isRenderableIndex(index.type);
    c.indexes.push_back(CompiledIndex{slotFor(c.slotNames, index.labelname), index.type,
                                      static_cast<uint64_t>(std::max(index.fixedSize, 0)),
                                      index.implied, &index.enumValues});
  }
  for (const MetricLookup& lookup : m.lookups) {
    CompiledLookup l{};
    l.slot = slotFor(c.slotNames, lookup.labelname);
    l.drop = lookup.labels.empty();
    for (const std::string& label : lookup.labels) {
      l.sources.push_back(slotFor(c.slotNames, label));
    }
    LookupSource source{&lookup.oid, lookup.type, std::nullopt, lookup.displayHint, nullptr};
    if (lookup.type && isCombined(*lookup.type)) {
      source.previous = previousOid(lookup.oid);
    }
    if (lookup.type == ValueType::EnumAsInfo && !lookup.enumValues.empty()) {
      source.enums = &lookup.enumValues;
    }
    l.source = lookupSourceFor(lookupSources, source);
    c.lookups.push_back(std::move(l));
  }
  c.nameSlot = slotFor(c.slotNames, m.name);
  c.sortedSlots.resize(c.slotNames.size());
  for (size_t i = 0; i < c.sortedSlots.size(); ++i) {
    c.sortedSlots[i] = static_cast<Slot>(i);
    const bool refused = refusedName(c.slotNames[i], true);
    c.labelRefused.push_back(refused ? 1 : 0);
    c.labelNames.push_back(refused ? std::string() : exposedName(c.slotNames[i], true));
  }
  std::sort(c.sortedSlots.begin(), c.sortedSlots.end(),
            [&](Slot a, Slot b) { return c.labelNames[a] < c.labelNames[b]; });
  if (isCombined(m.type)) {
    c.previous = previousOid(m.oid);
  }

  std::string name = m.name;
  std::string help = m.help;
  ModuleFamily::Kind kind = ModuleFamily::Kind::Gauge;
  switch (c.shape) {
    case Shape::Number:
      if (m.type == ValueType::Counter) {
        kind = ModuleFamily::Kind::Counter;
      }
      break;
    case Shape::EnumAsInfo:
      name += "_info";
      help += " (EnumAsInfo)";
      break;
    case Shape::EnumAsStateSet:
      help += " (EnumAsStateSet)";
      break;
    case Shape::Bits:
      help += " (Bits)";
      break;
    default:
      break;
  }
  c.family = families.size();
  families.push_back(makeFamily(std::move(name), std::move(help), kind));
  if (c.shape == Shape::Text) {
    for (const auto& [suffix, extracts] : m.regexExtracts) {
      c.extracts.push_back(CompiledExtract{families.size(), &extracts});
      families.push_back(
          makeFamily(m.name + suffix, m.help + " (regex extracted)", ModuleFamily::Kind::Gauge));
    }
  }
  return c;
}

// buildMetricTree: a varbind belongs to the metric with the shortest OID that is a prefix of
// its own (the tree walk stops at the first node with a metric); of metrics with equal OIDs the
// last one wins. So only metrics without another metric's OID as a proper prefix can match, and
// each of those takes exactly the varbinds of its subtree.
std::shared_ptr<const CompiledModule> compileModule(const Module& module) {
  auto compiled = std::make_shared<CompiledModule>();
  std::map<Oid, const ModuleMetric*> byOid;
  for (const ModuleMetric& m : module.metrics) {
    if (!m.oid.empty()) {
      byOid[m.oid] = &m;
    }
  }
  for (const auto& [oid, metric] : byOid) {
    bool shadowed = false;
    for (size_t n = 1; n < oid.size() && !shadowed; ++n) {
      Oid::Ids prefix(oid.ids().begin(), oid.ids().begin() + static_cast<std::ptrdiff_t>(n));
      shadowed = byOid.count(Oid(std::move(prefix))) != 0;
    }
    if (!shadowed) {
      compiled->metrics.push_back(
          compileMetric(*metric, compiled->families, compiled->lookupSources));
      compiled->maxSlots = std::max(compiled->maxSlots, compiled->metrics.back().slotNames.size());
    }
  }
  return compiled;
}

std::shared_ptr<const CompiledModule> compiledFor(const Module& module) {
  return std::static_pointer_cast<const CompiledModule>(
      module.derived.get([&module] { return compileModule(module); }));
}

// ---- Rendering ----

// The varbind of `column` (a subtree, every OID `prefix` sub-identifiers and more) whose OID
// continues with exactly `suffix`.
const VarBind* findIn(std::span<const VarBind> column, size_t prefix, OidSpan suffix) {
  auto rest = [prefix](const VarBind& vb) {
    return OidSpan(vb.oid.ids().data() + prefix, vb.oid.size() - prefix);
  };
  const auto it =
      std::lower_bound(column.begin(), column.end(), suffix, [&](const VarBind& vb, OidSpan k) {
        const OidSpan r = rest(vb);
        return std::lexicographical_compare(r.begin(), r.end(), k.begin(), k.end());
      });
  if (it == column.end()) {
    return nullptr;
  }
  const OidSpan r = rest(*it);
  return std::equal(r.begin(), r.end(), suffix.begin(), suffix.end()) ? &*it : nullptr;
}

// A lookup's answer for one row: its label value and, when found, the number that keys a
// chained lookup.
struct LookupResult {
  bool found = false;
  std::string value;
  bool matchable = false;
  uint32_t chain = 0;
};

struct BytesHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Per render and lookup source: the columns it reads and the rows already looked up, keyed by
// the raw sub-identifiers of the row.
struct LookupState {
  bool columnsKnown = false;
  std::span<const VarBind> column;
  std::span<const VarBind> previousColumn;
  std::unordered_map<std::string, LookupResult, BytesHash, std::equal_to<>> rows;
};

// One label of the metric being rendered: indexesToLabels' `labels` and `labelOids` entries.
struct LabelSlot {
  bool present = false;  // in `labels`
  std::string value;
  bool hasOids = false;   // in `labelOids`
  bool matchable = true;  // the sub-identifiers fit an OID (a looked-up value may be negative)
  Oid::Ids oids;
};

class Renderer {
 public:
  Renderer(const CompiledModule& compiled, const PduTable& pdus, ModuleFamilies& out,
           const RenderOptions& options)
      : compiled_(compiled),
        pdus_(pdus),
        out_(out),
        options_(options),
        slots_(compiled.maxSlots),
        handles_(compiled.families.size()),
        lookups_(compiled.lookupSources.size()) {}

  void run() {
    for (const CompiledMetric& cm : compiled_.metrics) {
      const size_t prefix = cm.metric->oid.size();
      for (const VarBind& pdu : pdus_.subtree(cm.metric->oid)) {
        const OidSpan index(pdu.oid.ids().data() + prefix, pdu.oid.size() - prefix);
        render(cm, index, pdu.value);
      }
    }
  }

 private:
  ModuleFamilies::Handle handle(size_t family) {
    auto& h = handles_[family];
    if (!h) {
      const CompiledFamily& f = compiled_.families[family];
      h = out_.family(f.name, f.help, f.kind);
    }
    return *h;
  }

  // The labels present, sorted by name; false when one has a name client_golang refuses.
  bool labels(const CompiledMetric& cm, Labels& result) const {
    result.reserve(cm.sortedSlots.size());
    for (const Slot s : cm.sortedSlots) {
      if (slots_[s].present) {
        if (cm.labelRefused[s] != 0) {
          return false;
        }
        result.emplace_back(cm.labelNames[s], slots_[s].value);
      }
    }
    return true;
  }

  void emit(const CompiledMetric& cm, size_t family, double value) {
    Labels result;
    if (compiled_.families[family].refused || !labels(cm, result)) {
      out_.countInvalid();  // upstream: NewConstMetric fails, and the scrape with it
      return;
    }
    out_.add(handle(family), std::move(result), value);
  }

  // The sub-identifiers of `sources` one after the other in key_ (the row a lookup reads); false
  // when one has none, as then upstream's OID string has an empty part and matches nothing.
  bool buildKey(const std::vector<Slot>& sources) {
    key_.clear();
    for (const Slot s : sources) {
      const LabelSlot& slot = slots_[s];
      if (!slot.hasOids || !slot.matchable || slot.oids.empty()) {
        return false;
      }
      key_.insert(key_.end(), slot.oids.begin(), slot.oids.end());
    }
    return true;
  }

  // The lookup of the row in key_ for `source`, as indexesToLabels does it.
  LookupResult lookUp(const LookupSource& source, LookupState& state) {
    if (!state.columnsKnown) {
      state.column = pdus_.subtree(*source.oid);
      if (source.previous) {
        state.previousColumn = pdus_.subtree(*source.previous);
      }
      state.columnsKnown = true;
    }
    LookupResult r;
    const OidSpan row(key_.data(), key_.size());
    const VarBind* found = findIn(state.column, source.oid->size(), row);
    if (found == nullptr) {
      return r;
    }
    r.found = true;
    std::optional<ValueType> type = source.type;
    if (source.previous) {
      if (const VarBind* selector = findIn(state.previousColumn, source.previous->size(), row)) {
        if (auto t = combinedTarget(*type,
                                    goInt(pduValue(selector->value, options_.wrapLargeCounters)))) {
          type = t;
        }
      }
    }
    const int64_t number = integerValue(found->value);
    if (source.enums != nullptr) {
      const auto it = source.enums->find(number);
      if (it != source.enums->end()) {
        r.value = it->second;
      } else {
        appendSigned(r.value, number);
      }
    } else {
      appendValueText(r.value, found->value, type, source.hint);
    }
    r.matchable = number >= 0 && number <= std::numeric_limits<uint32_t>::max();
    r.chain = static_cast<uint32_t>(number);
    return r;
  }

  // indexesToLabels.
  void indexesToLabels(const CompiledMetric& cm, OidSpan index) {
    for (size_t i = 0; i < cm.slotNames.size(); ++i) {
      LabelSlot& s = slots_[i];
      s.present = false;
      s.hasOids = false;
      s.matchable = true;
      s.value.clear();
      s.oids.clear();
    }
    OidSpan rest = index;
    for (const CompiledIndex& idx : cm.indexes) {
      LabelSlot& s = slots_[idx.slot];
      text_.clear();
      s.oids.clear();
      decodeIndex(rest, idx.type, idx.fixedSize, idx.implied, idx.enums, text_, &s.oids);
      s.value.clear();
      appendGoValidUtf8(s.value, text_);
      s.present = true;
      s.hasOids = true;
      s.matchable = true;
    }
    for (const CompiledLookup& lk : cm.lookups) {
      LabelSlot& target = slots_[lk.slot];
      if (lk.drop) {
        target.present = false;
        continue;
      }
      target.present = true;
      target.value.clear();
      if (!buildKey(lk.sources)) {
        continue;  // an empty label; labelOids unchanged
      }
      LookupState& state = lookups_[lk.source];
      const std::string_view rowKey(reinterpret_cast<const char*>(key_.data()),
                                    key_.size() * sizeof(uint32_t));
      auto it = state.rows.find(rowKey);
      if (it == state.rows.end()) {
        it = state.rows
                 .emplace(std::string(rowKey), lookUp(compiled_.lookupSources[lk.source], state))
                 .first;
      }
      const LookupResult& r = it->second;
      if (!r.found) {
        continue;
      }
      target.value = r.value;
      target.hasOids = true;
      target.matchable = r.matchable;
      target.oids.assign(1, r.chain);
    }
  }

  // pduToSamples.
  void render(const CompiledMetric& cm, OidSpan index, const SnmpValue& value) {
    if (!cm.renderable) {
      out_.countInvalid();
      return;
    }
    const ModuleMetric& m = *cm.metric;
    indexesToLabels(cm, index);
    LabelSlot& own = slots_[cm.nameSlot];
    double v = pduValue(value, options_.wrapLargeCounters);
    switch (cm.shape) {
      case Shape::Number:
        break;
      case Shape::DateAndTime:
      case Shape::NtpTimeStamp: {
        const auto t = cm.shape == Shape::DateAndTime ? dateAndTime(value) : ntpTimeStamp(value);
        if (!t) {
          return;  // upstream logs at debug level and writes nothing
        }
        v = *t;
        break;
      }
      case Shape::ParseDateAndTime: {
        text_.clear();
        appendValueText(text_, value, ValueType::DisplayString, {});
        const auto t = parseTimeFormat(text_, m.datetimePattern);
        if (!t) {
          return;
        }
        v = static_cast<double>(*t);
        break;
      }
      case Shape::EnumAsInfo: {
        if (own.present) {
          return;  // the name is already a label (an EnumAsInfo index): nothing to add
        }
        setOwn(own, m.enumValues, goInt(v));
        emit(cm, cm.family, 1);
        return;
      }
      case Shape::EnumAsStateSet: {
        if (own.present) {
          out_.countInvalid();  // upstream: duplicate label names, the scrape fails
          return;
        }
        const int64_t current = goInt(v);
        setOwn(own, m.enumValues, current);
        emit(cm, cm.family, 1);
        for (const auto& [k, name] : m.enumValues) {
          if (k != current) {
            own.value = name;
            emit(cm, cm.family, 0);
          }
        }
        return;
      }
      case Shape::Bits: {
        const std::string* bytes = octets(value);
        if (bytes == nullptr || own.present) {
          out_.countInvalid();  // "BITS type was not a BISTRING on the wire." / duplicate label
          return;
        }
        own.present = true;
        for (const auto& [k, name] : m.enumValues) {
          bool set = false;
          if (k >= 0 && static_cast<uint64_t>(k) < bytes->size() * 8) {
            set = (static_cast<unsigned char>((*bytes)[static_cast<size_t>(k / 8)]) &
                   (0x80U >> (k % 8))) != 0;
          }
          own.value = name;
          emit(cm, cm.family, set ? 1 : 0);
        }
        return;
      }
      case Shape::Text: {
        std::optional<ValueType> type = m.type;
        if (isCombined(m.type)) {
          type = ValueType::OctetString;
          if (cm.previous && !index.empty()) {
            if (const VarBind* selector =
                    findIn(pdus_.subtree(*cm.previous), cm.previous->size(), index)) {
              if (auto t = combinedTarget(
                      m.type, goInt(pduValue(selector->value, options_.wrapLargeCounters)))) {
                type = t;
              }
            }
          }
        }
        if (!cm.extracts.empty()) {
          text_.clear();
          appendValueText(text_, value, type, m.displayHint);
          regexExtracts(cm, text_);
          return;
        }
        if (!own.present) {
          own.present = true;
          own.value.clear();
          appendValueText(own.value, value, type, m.displayHint);
        }
        v = 1;
        break;
      }
    }
    emit(cm, cm.family, scaled(m, v));
  }

  static double scaled(const ModuleMetric& m, double v) {
    if (m.scale != 0) {
      v *= m.scale;
    }
    return v + m.offset;
  }

  // enumAsInfo/enumAsStateSet's state: the enum's name, else the number.
  static void setOwn(LabelSlot& own, const EnumValues& enums, int64_t v) {
    own.present = true;
    own.value.clear();
    const auto it = enums.find(v);
    if (it != enums.end()) {
      own.value = it->second;
    } else {
      appendSigned(own.value, v);
    }
  }

  // applyRegexExtracts: per suffix, the first regex that matches the whole value gives
  // `value` with $-references expanded; a result that is not a number is skipped.
  void regexExtracts(const CompiledMetric& cm, const std::string& text) {
    for (const CompiledExtract& e : cm.extracts) {
      for (const RegexExtract& x : *e.extracts) {
        const re2::RE2* re = x.regex.regex.get();
        if (re == nullptr) {
          continue;
        }
        const int n = 1 + re->NumberOfCapturingGroups();
        groups_.assign(static_cast<size_t>(n), re2::StringPiece());
        if (!re->Match(text, 0, text.size(), re2::RE2::UNANCHORED, groups_.data(), n)) {
          continue;
        }
        views_.clear();
        for (const re2::StringPiece& g : groups_) {
          views_.emplace_back(g.data(), g.size());
        }
        expanded_.clear();
        appendGoExpand(expanded_, x.value, *re, views_);
        const auto number = parseGoFloat(expanded_);
        if (!number) {
          continue;
        }
        emit(cm, e.family, scaled(*cm.metric, *number));
        break;
      }
    }
  }

  const CompiledModule& compiled_;
  const PduTable& pdus_;
  ModuleFamilies& out_;
  const RenderOptions& options_;
  std::vector<LabelSlot> slots_;
  std::vector<std::optional<ModuleFamilies::Handle>> handles_;
  std::vector<LookupState> lookups_;
  Oid::Ids key_;
  std::string text_;
  std::string expanded_;
  std::vector<re2::StringPiece> groups_;
  std::vector<std::string_view> views_;
};

// ---- ModuleFamilies helpers ----

// The hash of a label set within one family: the values and how many there are (the names
// rarely tell samples of one family apart; equality still compares them).
uint64_t hashLabels(const Labels& labels) {
  const std::hash<std::string_view> h;
  uint64_t x = labels.size();
  for (const auto& label : labels) {
    x = (x ^ h(label.second)) * 0x9E3779B97F4A7C15ULL;
    x ^= x >> 29;
  }
  return x;
}

// client_golang's metricSorter: fewer labels first, then label values in label-name order;
// label names and the order added only break remaining ties.
bool sampleLess(const ModuleSample& a, const ModuleSample& b) {
  if (a.labels.size() != b.labels.size()) {
    return a.labels.size() < b.labels.size();
  }
  for (size_t i = 0; i < a.labels.size(); ++i) {
    if (a.labels[i].second != b.labels[i].second) {
      return a.labels[i].second < b.labels[i].second;
    }
  }
  for (size_t i = 0; i < a.labels.size(); ++i) {
    if (a.labels[i].first != b.labels[i].first) {
      return a.labels[i].first < b.labels[i].first;
    }
  }
  return false;
}

}  // namespace

// ---- ModuleFamilies ----

ModuleFamilies::Handle ModuleFamilies::family(std::string_view name, std::string_view help,
                                              ModuleFamily::Kind kind) {
  const auto it = index_.find(name);
  if (it != index_.end()) {
    const ModuleFamily& f = families_[it->second];
    return Handle{it->second, f.help != help || f.kind != kind};
  }
  const size_t index = families_.size();
  families_.push_back(ModuleFamily{std::string(name), std::string(help), kind, {}});
  dedupe_.emplace_back();
  index_.emplace(std::string(name), index);
  return Handle{index, false};
}

bool ModuleFamilies::insertUnique(size_t family, uint64_t hash, const Labels& labels) {
  Dedupe& d = dedupe_[family];
  const std::vector<ModuleSample>& samples = families_[family].samples;
  if (d.table.size() < 2 * (samples.size() + 1)) {
    size_t size = std::max<size_t>(16, d.table.size() * 2);
    while (size < 2 * (samples.size() + 1)) {
      size *= 2;
    }
    d.table.assign(size, 0);
    for (size_t i = 0; i < d.hashes.size(); ++i) {
      size_t pos = d.hashes[i] & (size - 1);
      while (d.table[pos] != 0) {
        pos = (pos + 1) & (size - 1);
      }
      d.table[pos] = static_cast<uint32_t>(i + 1);
    }
  }
  const size_t mask = d.table.size() - 1;
  size_t pos = hash & mask;
  while (d.table[pos] != 0) {
    const size_t i = d.table[pos] - 1;
    if (d.hashes[i] == hash && samples[i].labels == labels) {
      return false;
    }
    pos = (pos + 1) & mask;
  }
  d.table[pos] = static_cast<uint32_t>(samples.size() + 1);
  d.hashes.push_back(hash);
  return true;
}

void ModuleFamilies::add(Handle handle, Labels labels, double value) {
  // Insertion sort: the renderer's labels arrive sorted, a caller's are short.
  for (size_t i = 1; i < labels.size(); ++i) {
    for (size_t j = i; j > 0 && labels[j].first < labels[j - 1].first; --j) {
      std::swap(labels[j], labels[j - 1]);
    }
  }
  for (size_t i = 1; i < labels.size(); ++i) {
    if (labels[i].first == labels[i - 1].first) {
      ++invalid_;
      return;
    }
  }
  if (handle.conflict) {
    ++conflicts_;
  }
  ModuleFamily& f = families_[handle.index];
  if (!insertUnique(handle.index, hashLabels(labels), labels)) {
    ++duplicates_;
    return;
  }
  f.samples.push_back(ModuleSample{std::move(labels), value});
  ++series_;
}

void ModuleFamilies::add(std::string_view name, std::string_view help, ModuleFamily::Kind kind,
                         Labels labels, double value) {
  add(family(name, help, kind), std::move(labels), value);
}

void ModuleFamilies::appendText(std::string& out) const {
  std::vector<size_t> order(families_.size());
  for (size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return families_[a].name < families_[b].name; });
  std::vector<uint32_t> samples;
  for (const size_t fi : order) {
    const ModuleFamily& f = families_[fi];
    if (f.samples.empty()) {
      continue;
    }
    appendHelpType(out, f.name, f.help,
                   f.kind == ModuleFamily::Kind::Counter ? "counter" : "gauge");
    samples.resize(f.samples.size());
    for (size_t i = 0; i < samples.size(); ++i) {
      samples[i] = static_cast<uint32_t>(i);
    }
    std::stable_sort(samples.begin(), samples.end(), [&](uint32_t a, uint32_t b) {
      return sampleLess(f.samples[a], f.samples[b]);
    });
    for (const uint32_t si : samples) {
      const ModuleSample& s = f.samples[si];
      out += f.name;
      if (!s.labels.empty()) {
        out += '{';
        for (size_t i = 0; i < s.labels.size(); ++i) {
          if (i > 0) {
            out += ',';
          }
          out += s.labels[i].first;
          out += "=\"";
          appendLabelValue(out, s.labels[i].second);
          out += '"';
        }
        out += '}';
      }
      out += ' ';
      appendDouble(out, s.value);
      out += '\n';
    }
  }
}

// ---- Entry points ----

void renderModule(const Module& module, const PduTable& pdus, ModuleFamilies& out,
                  const RenderOptions& options) {
  const std::shared_ptr<const CompiledModule> compiled = compiledFor(module);
  Renderer(*compiled, pdus, out, options).run();
}

void addScrapeMeta(ModuleFamilies& out, const std::string& module, const ModuleScrapeStats& stats) {
  auto add = [&](std::string_view name, std::string_view help, double value) {
    out.add(name, help, ModuleFamily::Kind::Gauge, {{"module", module}}, value);
  };
  add("snmp_scrape_walk_duration_seconds", "Time SNMP walk/bulkwalk took.", stats.walkSeconds);
  add("snmp_scrape_packets_sent", "Packets sent for get, bulkget, and walk; including retries.",
      static_cast<double>(stats.packetsSent));
  add("snmp_scrape_packets_retried", "Packets retried for get, bulkget, and walk.",
      static_cast<double>(stats.packetsRetried));
  add("snmp_scrape_pdus_returned", "PDUs returned from get, bulkget, and walk.",
      static_cast<double>(stats.pdusReturned));
  add("snmp_scrape_duration_seconds", "Total SNMP time scrape took (walk and processing).",
      stats.durationSeconds);
}

}  // namespace promsnmp
