// ModuleRenderer and a module scrape's body (renderModuleBody) against an agent's answers
// decoded from the fuzz input.
//
// The modules are fixed (kModules below, loaded once with parseModuleText): between them every
// metric ValueType, every index type (fixed_size, implied, InetAddress after its type,
// InetAddressMissingSize, LldpPortId, EnumAsInfo), lookups of every kind (typed, untyped,
// combined types reading the previous column, EnumAsInfo with enum_values, display_hint,
// chained, of a missing label, overwriting an index label, dropped), regex_extracts with
// $-expansion, enum_values on EnumAsInfo/EnumAsStateSet/Bits, datetime patterns, scale and
// offset, a shadowed metric, a metric whose name is also an index label, and families that two
// metrics or two modules define differently.
//
// The input is a list of varbinds: each picks a column (any metric, lookup or type column of the
// modules, or an OID of its own), an index (new, or one used before so that lookups find their
// rows) and a value of any SnmpType (numbers at their extremes, octets of any length, Opaque
// floats in both encodings, IpAddress of any length, exceptions). Byte 0 picks the path: the
// scrape's renderModuleBody over all modules (each seeing what its walks cover), or renderModule
// of every module into one ModuleFamilies with --snmp.wrap-large-counters off, twice (the
// second render must give the same text and counts).
//
// The text must be Prometheus text 0.0.4 as ModuleFamilies promises it (PrometheusTextCheck.h:
// valid UTF-8, HELP and TYPE per family, families sorted, legacy names, escapes, float values,
// no series twice), and ModuleFamilies::series() the number of samples it kept.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "FuzzInput.h"
#include "PrometheusTextCheck.h"
#include "collection/ModuleScrape.h"
#include "modules/ModuleLoader.h"
#include "modules/ModulePoller.h"
#include "modules/ModuleRenderer.h"
#include "modules/PduTable.h"

using namespace promsnmp;
using fuzz::Input;

namespace {

// 1.3.6.1.4.1.9999 is a made-up enterprise: .1 the values module's metrics, .2 its lookup
// columns, .3 the tables module's metrics, .4 its lookup columns.
const char* const kModules = R"(modules:
  values:
    walk: [1.3.6.1.4.1.9999.1, 1.3.6.1.4.1.9999.2]
    metrics:
    - name: vGauge
      oid: 1.3.6.1.4.1.9999.1.1
      type: gauge
      help: A gauge, scaled and offset
      indexes: [{labelname: vIndex, type: gauge}]
      lookups:
      - {labels: [vIndex], labelname: vDescr, oid: 1.3.6.1.4.1.9999.2.1, type: DisplayString}
      - {labels: [vIndex], labelname: vAlias, oid: 1.3.6.1.4.1.9999.2.2}
      scale: 0.125
      offset: -273.15
    - {name: vCounter, oid: 1.3.6.1.4.1.9999.1.2, type: counter, help: A counter,
       indexes: [{labelname: vIndex, type: Integer32}]}
    - {name: vFloat, oid: 1.3.6.1.4.1.9999.1.3, type: Float, help: An Opaque float}
    - {name: vDouble, oid: 1.3.6.1.4.1.9999.1.4, type: Double, scale: 1e300}
    - {name: vDateAndTime, oid: 1.3.6.1.4.1.9999.1.5, type: DateAndTime}
    - {name: vParsed, oid: 1.3.6.1.4.1.9999.1.6, type: ParseDateAndTime,
       datetime_pattern: "%Y-%m-%d %H:%M:%S"}
    - {name: vParsedZone, oid: 1.3.6.1.4.1.9999.1.7, type: ParseDateAndTime,
       datetime_pattern: "%a, %e %b %Y %T %z %p %j %s"}
    - {name: vNtp, oid: 1.3.6.1.4.1.9999.1.8, type: NTPTimeStamp}
    - name: vInfo
      oid: 1.3.6.1.4.1.9999.1.9
      type: EnumAsInfo
      enum_values: {1: up, 2: down, -1: unknown}
    - name: vState
      oid: 1.3.6.1.4.1.9999.1.10
      type: EnumAsStateSet
      help: |
        Two lines \ with a backslash
        and "quotes"
      enum_values: {1: up, 2: down, 3: "quoted \"\\\n", 4294967296: big, -9223372036854775808: min}
    - name: vBits
      oid: 1.3.6.1.4.1.9999.1.11
      type: Bits
      enum_values: {0: a, 7: h, 8: i, 15: p, 63: far, -1: negative, 9223372036854775807: max}
    - {name: vOctets, oid: 1.3.6.1.4.1.9999.1.12, type: OctetString}
    - name: vText
      oid: 1.3.6.1.4.1.9999.1.13
      type: DisplayString
      scale: 2
      regex_extracts:
        Temp:
        - regex: '([0-9.]+) ?C'
        - regex: '(?P<deci>[0-9]+)dC'
          value: '${deci}e-1'
        Status:
        - regex: '.*up.*'
          value: '1'
        - regex: '(.*)'
          value: '$1$1'
        Hex:
        - regex: '(0x[0-9a-fA-F_.]+(p-?[0-9]+)?)'
        Empty:
        - regex: ''
          value: '$9$$'
    - {name: vPhys, oid: 1.3.6.1.4.1.9999.1.14, type: PhysAddress48}
    - {name: vIpAddr, oid: 1.3.6.1.4.1.9999.1.15, type: IpAddr}
    - {name: vIPv4, oid: 1.3.6.1.4.1.9999.1.16, type: InetAddressIPv4}
    - {name: vIPv6, oid: 1.3.6.1.4.1.9999.1.17, type: InetAddressIPv6}
    - {name: vInetType, oid: 1.3.6.1.4.1.9999.1.18, type: gauge}
    - {name: vInet, oid: 1.3.6.1.4.1.9999.1.19, type: InetAddress}
    - {name: vMissingType, oid: 1.3.6.1.4.1.9999.1.20, type: gauge}
    - {name: vMissing, oid: 1.3.6.1.4.1.9999.1.21, type: InetAddressMissingSize}
    - {name: vPortIdSubtype, oid: 1.3.6.1.4.1.9999.1.22, type: gauge}
    - {name: vPortId, oid: 1.3.6.1.4.1.9999.1.23, type: LldpPortId}
    - {name: vDotted, oid: 1.3.6.1.4.1.9999.1.24, type: OctetString, display_hint: 1d.1d.1d.1d}
    - {name: vStarHint, oid: 1.3.6.1.4.1.9999.1.25, type: OctetString, display_hint: '*1x:/2d-'}
    - {name: vTextHint, oid: 1.3.6.1.4.1.9999.1.26, type: DisplayString, display_hint: 255a}
    - {name: vBadHint, oid: 1.3.6.1.4.1.9999.1.27, type: OctetString, display_hint: 9d}
    - {name: vParent, oid: 1.3.6.1.4.1.9999.1.30, type: gauge}
    - {name: vChild, oid: 1.3.6.1.4.1.9999.1.30.5, type: counter}
    - {name: vGauge, oid: 1.3.6.1.4.1.9999.1.31, type: counter, help: Another vGauge}
    - name: vSelf
      oid: 1.3.6.1.4.1.9999.1.32
      type: DisplayString
      indexes: [{labelname: vSelf, type: gauge}]
  tables:
    walk: [1.3.6.1.4.1.9999.3, 1.3.6.1.4.1.9999.4]
    metrics:
    - name: tMixed
      oid: 1.3.6.1.4.1.9999.3.1
      type: gauge
      indexes:
      - {labelname: a, type: Integer}
      - {labelname: b, type: PhysAddress48}
      - {labelname: c, type: OctetString, fixed_size: 4}
      - {labelname: d, type: DisplayString, implied: true}
    - name: tPeer
      oid: 1.3.6.1.4.1.9999.3.2
      type: gauge
      indexes:
      - {labelname: peerType, type: gauge}
      - {labelname: peerAddr, type: InetAddress}
      - {labelname: peerPort, type: gauge}
      lookups:
      - {labels: [peerType, peerAddr], labelname: peerName, oid: 1.3.6.1.4.1.9999.4.1,
         type: DisplayString, drop_source_indexes: true}
    - name: tAddrs
      oid: 1.3.6.1.4.1.9999.3.3
      type: counter
      indexes:
      - {labelname: v4, type: InetAddressIPv4}
      - {labelname: v6, type: InetAddressIPv6}
      - {labelname: mac, type: PhysAddress48}
    - name: tMissing
      oid: 1.3.6.1.4.1.9999.3.4
      type: gauge
      indexes: [{labelname: n, type: Integer32}, {labelname: addr, type: InetAddressMissingSize}]
    - name: tPort
      oid: 1.3.6.1.4.1.9999.3.5
      type: gauge
      indexes: [{labelname: local, type: gauge}, {labelname: port, type: LldpPortId}]
    - name: tStatus
      oid: 1.3.6.1.4.1.9999.3.6
      type: EnumAsStateSet
      indexes: [{labelname: tStatusIdx, type: EnumAsInfo, enum_values: {1: one, 2: two}}]
      enum_values: {1: "on", 2: "off"}
    - name: tState
      oid: 1.3.6.1.4.1.9999.3.7
      type: EnumAsInfo
      indexes: [{labelname: tState, type: EnumAsInfo, enum_values: {1: one}}]
      enum_values: {1: "on"}
    - name: tBits
      oid: 1.3.6.1.4.1.9999.3.8
      type: Bits
      indexes: [{labelname: tBits, type: gauge}]
      enum_values: {0: a}
    - name: tNamed
      oid: 1.3.6.1.4.1.9999.3.9
      type: gauge
      indexes: [{labelname: name, type: DisplayString}]
      lookups:
      - {labels: [name], labelname: id, oid: 1.3.6.1.4.1.9999.4.2, type: gauge}
      - {labels: [id], labelname: descr, oid: 1.3.6.1.4.1.9999.4.3, type: DisplayString}
      - {labels: [id], labelname: kind, oid: 1.3.6.1.4.1.9999.4.4, type: EnumAsInfo,
         enum_values: {1: eth, 2: loop}}
      - {labels: [id], labelname: addr, oid: 1.3.6.1.4.1.9999.4.6, type: InetAddress}
      - {labels: [id], labelname: hinted, oid: 1.3.6.1.4.1.9999.4.7, display_hint: 1d.1d.1d.1d}
      - {labels: [id], labelname: port, oid: 1.3.6.1.4.1.9999.4.9, type: LldpPortId}
      - {labels: [id], labelname: flags, oid: 1.3.6.1.4.1.9999.4.10, type: Bits}
      - {labels: [id, name], labelname: pair, oid: 1.3.6.1.4.1.9999.4.11, type: OctetString}
      - {labels: [missing], labelname: ghost, oid: 1.3.6.1.4.1.9999.4.12}
      - {labels: [descr], labelname: byDescr, oid: 1.3.6.1.4.1.9999.4.13, type: IpAddr}
      - {labels: [id], labelname: name, oid: 1.3.6.1.4.1.9999.4.14, type: DisplayString}
      - {labels: [], labelname: id}
    - name: tFixed
      oid: 1.3.6.1.4.1.9999.3.10
      type: OctetString
      indexes:
      - {labelname: f, type: OctetString, fixed_size: 6}
      - {labelname: g, type: DisplayString, fixed_size: 2}
      - {labelname: h, type: gauge}
      regex_extracts:
        Num: [{regex: '0x([0-9A-F]+)', value: '0x$1'}]
  overlap:
    walk: [1.3.6.1.4.1.9999.1.1, 1.3.6.1.4.1.9999.1.13]
    metrics:
    - {name: vGauge, oid: 1.3.6.1.4.1.9999.1.1, type: counter, help: vGauge in another module}
    - {name: vTextTemp, oid: 1.3.6.1.4.1.9999.1.13, type: gauge, help: An extract's family}
)";

constexpr size_t kMaxVarbinds = 1024;
constexpr size_t kMaxIndexes = 32;

[[noreturn]] void fail(const std::string& what, const std::string& text) {
  std::fprintf(stderr, "fuzz_module_render: %s\n--- text ---\n", what.c_str());
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fprintf(stderr, "--- end ---\n");
  std::abort();
}

struct Fixture {
  ModuleSet set;
  std::vector<std::shared_ptr<const Module>> modules;
  std::vector<Oid> columns;  // every metric, lookup and type column, ascending
};

void addColumn(std::set<Oid>& columns, const Oid& oid) {
  if (oid.empty()) {
    return;
  }
  columns.insert(oid);
  if (oid[oid.size() - 1] > 0) {  // the type column of a combined type
    Oid::Ids previous = oid.ids();
    --previous.back();
    columns.insert(Oid(std::move(previous)));
  }
}

const Fixture& fixture() {
  static const Fixture* f = [] {
    auto* out = new Fixture;
    try {
      parseModuleText(kModules, "fuzz_module_render", out->set);
    } catch (const ModuleConfigException& e) {
      fail("the fixed modules do not load: " + e.message(), kModules);
    }
    std::set<Oid> columns;
    for (const auto& [name, module] : out->set.modules) {
      out->modules.push_back(module);
      for (const ModuleMetric& m : module->metrics) {
        addColumn(columns, m.oid);
        for (const MetricLookup& l : m.lookups) {
          addColumn(columns, l.oid);
        }
      }
    }
    out->columns.assign(columns.begin(), columns.end());
    return out;
  }();
  return *f;
}

Oid::Ids randomIds(Input& in, size_t max) {
  Oid::Ids ids;
  const size_t n = in.byte() % max;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t b = in.byte();
    if (b < 0xF0) {
      ids.push_back(b);
    } else if (b < 0xFC) {
      ids.push_back(in.u32());
    } else {
      ids.push_back(b == 0xFF ? UINT32_MAX : 0x80000000u + (b & 3));
    }
  }
  return ids;
}

std::string bigEndian(uint64_t v, size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) {
    s[n - 1 - i] = static_cast<char>(v >> (8 * i));
  }
  return s;
}

/// A value held as octets: IpAddress, or Other (an Opaque).
SnmpValue octetsOf(SnmpType type, std::string bytes) {
  return SnmpValue{.type = type, .bytes = std::move(bytes)};
}

SnmpValue randomValue(Input& in) {
  const uint8_t t = in.byte();  // the low 5 bits pick the kind, 0x80 and 0x40 vary it
  switch (t & 0x1F) {
    case 0:
      return SnmpValue::makeInteger(static_cast<int64_t>(in.u64()));
    case 1:
      return SnmpValue::makeInteger(static_cast<int8_t>(in.byte()));
    case 2:
    case 3:
    case 4:
    case 5: {  // 32 bits, or 64 with 0x80 (more than a Counter32, Gauge32 or TimeTicks holds)
      static constexpr SnmpType kTypes[] = {SnmpType::Counter32, SnmpType::Counter64,
                                            SnmpType::Gauge32, SnmpType::TimeTicks};
      return SnmpValue::makeUnsigned(kTypes[(t & 0x1F) - 2],
                                     (t & 0x80) != 0 ? in.u64() : uint64_t{in.u32()});
    }
    case 6:
    case 7:
    case 8: {
      const size_t n = in.byte();
      return SnmpValue::makeOctetString(in.bytes(n < 250 ? n % 48 : 300 + (n - 250) * 1000));
    }
    case 9:
      return SnmpValue::makeObjectId(Oid(randomIds(in, 40)));
    case 10:
      return octetsOf(SnmpType::IpAddress, in.bytes(in.byte() % 18));
    case 11:
      return SnmpValue();  // Null
    case 12:
      return SnmpValue::makeException(static_cast<SnmpType>(
          static_cast<int>(SnmpType::NoSuchObject) + in.byte() % 3));  // dropped by PduTable
    case 13: {  // an Opaque float, BER-wrapped (9F 78 04) or as net-snmp decodes it (4 octets)
      const uint32_t bits = in.u32();
      return octetsOf(SnmpType::Other, (t & 0x80) != 0
                                           ? std::string("\x9f\x78\x04", 3) + bigEndian(bits, 4)
                                           : std::string(reinterpret_cast<const char*>(&bits), 4));
    }
    case 14: {  // an Opaque double, likewise (9F 79 08, or 8 octets)
      const uint64_t bits = in.u64();
      return octetsOf(SnmpType::Other, (t & 0x80) != 0
                                           ? std::string("\x9f\x79\x08", 3) + bigEndian(bits, 8)
                                           : std::string(reinterpret_cast<const char*>(&bits), 8));
    }
    case 15:
      return octetsOf(SnmpType::Other, in.bytes(in.byte() % 16));
    case 16: {  // a DateAndTime: year, month, day, hour, minutes, seconds, deci, [sign, h, m]
      std::string b = bigEndian(in.u16(), 2);
      for (int i = 0; i < 5; ++i) {
        b += static_cast<char>(in.byte() % 64);
      }
      b += static_cast<char>(in.byte() % 12);
      if ((t & 0x80) != 0) {
        b += (t & 0x40) != 0 ? '+' : '-';
        b += static_cast<char>(in.byte() % 26);
        b += static_cast<char>(in.byte() % 61);
      }
      return SnmpValue::makeOctetString(b);
    }
    case 17: {  // text for the datetime patterns and regex extracts
      static const char* const kTexts[] = {
          "2024-02-29 23:59:60",
          "Thu,  1 Feb 2024 13:04:05 +0100 PM 032 1706789045",
          "42.5 C",
          "215dC",
          "link up",
          "0x1p-2",
          "0x_1F.8p3",
          "1e309",
          "-0",
          "NaN",
          "inf",
          "0x1_0",
      };
      return SnmpValue::makeOctetString(kTexts[in.byte() % std::size(kTexts)]);
    }
    case 18:
      return SnmpValue::makeInteger((t & 0x80) != 0 ? INT64_MIN : INT64_MAX);
    default:
      return SnmpValue::makeUnsigned((t & 0x80) != 0 ? SnmpType::Counter64 : SnmpType::Gauge32,
                                     (t & 0x40) != 0 ? UINT64_MAX : uint64_t{1} << 53);
  }
}

std::vector<VarBind> decodeVarbinds(Input& in) {
  const Fixture& f = fixture();
  std::vector<VarBind> out;
  std::vector<Oid::Ids> indexes;  // used before, for the lookups and type columns to find
  while (!in.empty() && out.size() < kMaxVarbinds) {
    const uint8_t pick = in.byte();
    const uint8_t how = in.byte();
    Oid::Ids ids;
    if (pick < 240) {
      ids = f.columns[pick % f.columns.size()].ids();
    } else {
      ids = randomIds(in, 24);  // anywhere: under a walk, a parent of a column, outside
    }
    Oid::Ids index;
    if ((how & 0xC0) != 0 && !indexes.empty()) {
      index = indexes[how % indexes.size()];
      if ((how & 0xC0) == 0x40) {
        index.push_back(how & 7);  // a longer index
      }
    } else {
      index = randomIds(in, 40);
      if (indexes.size() < kMaxIndexes) {
        indexes.push_back(index);
      }
    }
    ids.insert(ids.end(), index.begin(), index.end());
    out.push_back({Oid(std::move(ids)), randomValue(in)});
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 16384) {
    return 0;
  }
  const Fixture& f = fixture();
  Input in(data, size);
  const uint8_t mode = in.byte();
  PduTable pdus(decodeVarbinds(in));
  std::string text;
  if ((mode & 1) == 0) {
    // The scrape's body: each module sees what its own walks cover.
    ModulePollResult result;
    result.modules = f.modules;
    for (const auto& module : f.modules) {
      ModuleOutcome outcome;
      outcome.module = module->name;
      outcome.error =
          (mode & 2) != 0 && module->name == "overlap" ? PollError::Timeout : PollError::None;
      result.outcomes.push_back(outcome);
      ModuleScope scope;
      scope.walked = module->walk;
      std::sort(scope.walked.begin(), scope.walked.end());
      result.scopes.push_back(std::move(scope));
    }
    result.pdus = std::move(pdus);
    text = renderModuleBody(result);
  } else {
    RenderOptions options;
    options.wrapLargeCounters = false;
    ModuleFamilies families;
    for (const auto& module : f.modules) {
      renderModule(*module, pdus, families, options);
    }
    families.appendText(text);
    size_t samples = 0;
    for (const ModuleFamily& family : families.families()) {
      samples += family.samples.size();
    }
    if (samples != families.series()) {
      fail("series() is not the number of samples kept", text);
    }
    // Rendering is a function of the module and the table: nothing is kept between renders but
    // the compiled module.
    ModuleFamilies again;
    for (const auto& module : f.modules) {
      renderModule(*module, pdus, again, options);
    }
    std::string second;
    again.appendText(second);
    if (second != text || again.series() != families.series() ||
        again.duplicates() != families.duplicates() || again.conflicts() != families.conflicts() ||
        again.invalid() != families.invalid()) {
      fail("a second render differs:\n" + second, text);
    }
  }
  const std::string problem = fuzz::checkPrometheusText(text);
  if (!problem.empty()) {
    fail(problem, text);
  }
  return 0;
}
