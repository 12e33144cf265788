// ModuleRenderer against snmp_exporter's collector semantics (collector/collector.go at upstream
// HEAD). Each test names the Go function whose behaviour it checks; the modules are written here
// in C++, the expected series worked out by hand from those functions (several reproduce cases of
// collector_test.go with our own data). Series are compared as "name{label="value",...} value"
// lines, the value in its shortest round-trip form (a numeric comparison).
#include "modules/ModuleRenderer.h"

#include <cstring>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <cppunit/extensions/HelperMacros.h>
#include <re2/re2.h>

#include "exposition/Exposition.h"
#include "exposition/PromtoolRunner.h"

using namespace promsnmp;

namespace {

using Kind = ModuleFamily::Kind;
using Series = std::set<std::string>;

Oid o(const char* text) { return Oid::parse(text); }

VarBind integer(const char* oid, int64_t v) { return {o(oid), SnmpValue::makeInteger(v)}; }
VarBind number(const char* oid, SnmpType type, uint64_t v) {
  return {o(oid), SnmpValue::makeUnsigned(type, v)};
}
VarBind counter32(const char* oid, uint64_t v) { return number(oid, SnmpType::Counter32, v); }
VarBind counter64(const char* oid, uint64_t v) { return number(oid, SnmpType::Counter64, v); }
VarBind gauge32(const char* oid, uint64_t v) { return number(oid, SnmpType::Gauge32, v); }
VarBind timeticks(const char* oid, uint64_t v) { return number(oid, SnmpType::TimeTicks, v); }
VarBind text(const char* oid, std::string v) {
  return {o(oid), SnmpValue::makeOctetString(std::move(v))};
}
std::string bytes(std::initializer_list<int> octets) {
  std::string s;
  for (const int b : octets) {
    s += static_cast<char>(b);
  }
  return s;
}
VarBind octets(const char* oid, std::initializer_list<int> v) { return text(oid, bytes(v)); }
VarBind objectId(const char* oid, const char* v) { return {o(oid), SnmpValue::makeObjectId(o(v))}; }
VarBind ipAddress(const char* oid, std::initializer_list<int> v) {
  SnmpValue value;
  value.type = SnmpType::IpAddress;
  value.bytes = bytes(v);
  return {o(oid), value};
}
VarBind opaque(const char* oid, std::string raw) {
  SnmpValue value;
  value.type = SnmpType::Other;
  value.bytes = std::move(raw);
  return {o(oid), value};
}
std::string hostFloat(float f) {
  std::string s(sizeof f, '\0');
  std::memcpy(s.data(), &f, sizeof f);
  return s;
}

CompiledRegex regex(const std::string& pattern) {
  return {pattern, std::make_shared<const re2::RE2>("^(?:" + pattern + ")$")};
}

ModuleMetric metric(const char* name, const char* oid, ValueType type,
                    std::vector<MetricIndex> indexes = {}, std::vector<MetricLookup> lookups = {}) {
  ModuleMetric m;
  m.name = name;
  m.oid = o(oid);
  m.type = type;
  m.help = std::string("Help for ") + name;
  m.indexes = std::move(indexes);
  m.lookups = std::move(lookups);
  return m;
}

MetricIndex index(const char* labelname, ValueType type, int fixedSize = 0, bool implied = false) {
  MetricIndex i;
  i.labelname = labelname;
  i.type = type;
  i.fixedSize = fixedSize;
  i.implied = implied;
  return i;
}

MetricLookup lookup(std::vector<std::string> labels, const char* labelname, const char* oid,
                    std::optional<ValueType> type = ValueType::DisplayString) {
  MetricLookup l;
  l.labels = std::move(labels);
  l.labelname = labelname;
  if (*oid != '\0') {
    l.oid = o(oid);
  }
  l.type = type;
  return l;
}

MetricLookup drop(const char* labelname) {
  MetricLookup l;
  l.labelname = labelname;
  return l;
}

std::shared_ptr<Module> module(std::vector<ModuleMetric> metrics) {
  auto m = std::make_shared<Module>();
  m->name = "test";
  m->metrics = std::move(metrics);
  return m;
}

std::string line(const std::string& name, const ModuleSample& s) {
  std::string out = name;
  if (!s.labels.empty()) {
    out += '{';
    for (size_t i = 0; i < s.labels.size(); ++i) {
      out += (i > 0 ? "," : "") + s.labels[i].first + "=\"" + s.labels[i].second + '"';
    }
    out += '}';
  }
  return out + ' ' + formatDouble(s.value);
}

Series seriesOf(const ModuleFamilies& f) {
  Series out;
  for (const ModuleFamily& family : f.families()) {
    for (const ModuleSample& s : family.samples) {
      out.insert(line(family.name, s));
    }
  }
  return out;
}

Series render(const Module& m, std::vector<VarBind> varbinds, ModuleFamilies* keep = nullptr,
              RenderOptions options = {}) {
  ModuleFamilies f;
  renderModule(m, PduTable(std::move(varbinds)), f, options);
  Series s = seriesOf(f);
  if (keep != nullptr) {
    *keep = std::move(f);
  }
  return s;
}

std::string show(const Series& s) {
  std::string out;
  for (const std::string& l : s) {
    out += "  " + l + "\n";
  }
  return out;
}

void assertSeries(const Series& expected, const Series& actual) {
  CPPUNIT_ASSERT_MESSAGE("expected:\n" + show(expected) + "actual:\n" + show(actual),
                         expected == actual);
}

const ModuleFamily* familyNamed(const ModuleFamilies& f, const std::string& name) {
  for (const ModuleFamily& family : f.families()) {
    if (family.name == name) {
      return &family;
    }
  }
  return nullptr;
}

// The one series a gauge `m` with `indexes` writes for the value 1 at 1.3.6.1.4.1.99.7.<suffix>.
std::string indexed(std::vector<MetricIndex> indexes, const std::string& suffix) {
  auto m = module({metric("m", "1.3.6.1.4.1.99.7", ValueType::Gauge, std::move(indexes))});
  const std::string oid = "1.3.6.1.4.1.99.7" + (suffix.empty() ? "" : "." + suffix);
  Series s = render(*m, {integer(oid.c_str(), 1)});
  CPPUNIT_ASSERT_EQUAL_MESSAGE(suffix, size_t(1), s.size());
  return *s.begin();
}

const std::string kFffd = "\xEF\xBF\xBD";

// IF-MIB, as snmp_exporter's generator writes its if_mib module (reference/snmp-exporter.md §2).
std::shared_ptr<Module> ifMib() {
  const std::vector<MetricIndex> ifIndex = {index("ifIndex", ValueType::Gauge)};
  const std::vector<MetricLookup> names = {
      lookup({"ifIndex"}, "ifAlias", "1.3.6.1.2.1.31.1.1.1.18"),
      lookup({"ifIndex"}, "ifDescr", "1.3.6.1.2.1.2.2.1.2"),
      lookup({"ifIndex"}, "ifName", "1.3.6.1.2.1.31.1.1.1.1")};
  ModuleMetric ifType =
      metric("ifType", "1.3.6.1.2.1.2.2.1.3", ValueType::EnumAsInfo, ifIndex, names);
  ifType.enumValues = {{1, "other"}, {6, "ethernetCsmacd"}, {24, "softwareLoopback"}};
  ModuleMetric admin =
      metric("ifAdminStatus", "1.3.6.1.2.1.2.2.1.7", ValueType::Gauge, ifIndex, names);
  admin.enumValues = {{1, "up"}, {2, "down"}, {3, "testing"}};
  auto m = module({
      metric("ifNumber", "1.3.6.1.2.1.2.1", ValueType::Gauge),
      metric("ifIndex", "1.3.6.1.2.1.2.2.1.1", ValueType::Gauge, ifIndex, names),
      ifType,
      metric("ifMtu", "1.3.6.1.2.1.2.2.1.4", ValueType::Gauge, ifIndex, names),
      metric("ifPhysAddress", "1.3.6.1.2.1.2.2.1.6", ValueType::PhysAddress48, ifIndex, names),
      admin,
      metric("ifHCInOctets", "1.3.6.1.2.1.31.1.1.1.6", ValueType::Counter, ifIndex, names),
      metric("ifHighSpeed", "1.3.6.1.2.1.31.1.1.1.15", ValueType::Gauge, ifIndex, names),
  });
  m->name = "if_mib";
  return m;
}

std::vector<VarBind> ifMibWalk() {
  return {
      integer("1.3.6.1.2.1.2.1.0", 2),
      integer("1.3.6.1.2.1.2.2.1.1.1", 1),
      integer("1.3.6.1.2.1.2.2.1.1.2", 2),
      text("1.3.6.1.2.1.2.2.1.2.1", "lo"),
      text("1.3.6.1.2.1.2.2.1.2.2", "Intel Corporation 82540EM"),
      integer("1.3.6.1.2.1.2.2.1.3.1", 24),
      integer("1.3.6.1.2.1.2.2.1.3.2", 6),
      integer("1.3.6.1.2.1.2.2.1.4.1", 65536),
      integer("1.3.6.1.2.1.2.2.1.4.2", 1500),
      text("1.3.6.1.2.1.2.2.1.6.1", ""),
      octets("1.3.6.1.2.1.2.2.1.6.2", {0x08, 0x00, 0x27, 0xaa, 0xbb, 0xcc}),
      integer("1.3.6.1.2.1.2.2.1.7.1", 1),
      integer("1.3.6.1.2.1.2.2.1.7.2", 2),
      counter32("1.3.6.1.2.1.2.2.1.10.1", 5),  // ifInOctets: in the walk, not in the module
      text("1.3.6.1.2.1.31.1.1.1.1.1", "lo"),
      text("1.3.6.1.2.1.31.1.1.1.1.2", "eth0"),
      counter64("1.3.6.1.2.1.31.1.1.1.6.1", 1000),
      counter64("1.3.6.1.2.1.31.1.1.1.6.2", 123456789012),
      gauge32("1.3.6.1.2.1.31.1.1.1.15.1", 10),
      gauge32("1.3.6.1.2.1.31.1.1.1.15.2", 1000),
      text("1.3.6.1.2.1.31.1.1.1.18.2", "uplink to core"),
  };
}

}  // namespace

class ModuleRendererTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ModuleRendererTest);
  CPPUNIT_TEST(testCountersAndGauges);
  CPPUNIT_TEST(testCounter64WrapsAt2To53);
  CPPUNIT_TEST(testOpaqueFloatAndDouble);
  CPPUNIT_TEST(testScaleAndOffset);
  CPPUNIT_TEST(testStringTypesAreALabelOnAGaugeOfOne);
  CPPUNIT_TEST(testValueLabelNotAddedWhenTheNameIsAnIndex);
  CPPUNIT_TEST(testInvalidUtf8IsRepaired);
  CPPUNIT_TEST(testDisplayHint);
  CPPUNIT_TEST(testCombinedValueTypesReadThePreviousColumn);
  CPPUNIT_TEST(testDateAndTime);
  CPPUNIT_TEST(testParseDateAndTime);
  CPPUNIT_TEST(testNtpTimeStamp);
  CPPUNIT_TEST(testEnumAsInfo);
  CPPUNIT_TEST(testEnumAsInfoWhoseNameIsAnIndexWritesNothing);
  CPPUNIT_TEST(testEnumAsStateSet);
  CPPUNIT_TEST(testBits);
  CPPUNIT_TEST(testRegexExtracts);
  CPPUNIT_TEST(testIndexIntegersAndAddresses);
  CPPUNIT_TEST(testIndexStrings);
  CPPUNIT_TEST(testIndexInetAddress);
  CPPUNIT_TEST(testIndexPaddingAndSeveralIndexes);
  CPPUNIT_TEST(testNonRenderableIndexIsCounted);
  CPPUNIT_TEST(testNamesEscapedAsSnmpExporterWritesThem);
  CPPUNIT_TEST(testRefusedNamesAreCounted);
  CPPUNIT_TEST(testIfMibShape);
  CPPUNIT_TEST(testHrStorageTableWithLookup);
  CPPUNIT_TEST(testTableIndexedByInetAddress);
  CPPUNIT_TEST(testChainedLookup);
  CPPUNIT_TEST(testDropSourceIndexesAndDuplicates);
  CPPUNIT_TEST(testEnumValuesOnLookup);
  CPPUNIT_TEST(testLookupTypeFromThePreviousColumn);
  CPPUNIT_TEST(testMetricTreeShortestPrefixWins);
  CPPUNIT_TEST(testFamiliesMergeAndCountConflictsAndDuplicates);
  CPPUNIT_TEST(testTextExposition);
  CPPUNIT_TEST(testScrapeMeta);
  CPPUNIT_TEST(testConcurrentRendersOfOneModule);
  CPPUNIT_TEST(testPromtoolAcceptsTheOutput);
  CPPUNIT_TEST_SUITE_END();

 public:
  // pduToSamples: "counter" → CounterValue, "gauge" → GaugeValue; getPduValue reads every
  // integer type (collector_test.go TestPduToSample's counter and gauge cases).
  void testCountersAndGauges() {
    auto m = module({metric("sysUpTime", "1.3.6.1.2.1.1.3", ValueType::Gauge),
                     metric("ifInErrors", "1.3.6.1.2.1.2.2.1.14", ValueType::Counter,
                            {index("ifIndex", ValueType::Gauge)}),
                     metric("ifMtu", "1.3.6.1.2.1.2.2.1.4", ValueType::Gauge,
                            {index("ifIndex", ValueType::Gauge)}),
                     metric("temp", "1.3.6.1.4.1.99.1", ValueType::Gauge)});
    ModuleFamilies f;
    assertSeries(
        {"sysUpTime 12345", "ifInErrors{ifIndex=\"1\"} 7", "ifInErrors{ifIndex=\"2\"} 4294967295",
         "ifMtu{ifIndex=\"3\"} 1500", "temp -5"},
        render(*m,
               {timeticks("1.3.6.1.2.1.1.3.0", 12345), counter32("1.3.6.1.2.1.2.2.1.14.1", 7),
                counter32("1.3.6.1.2.1.2.2.1.14.2", 4294967295),
                gauge32("1.3.6.1.2.1.2.2.1.4.3", 1500), integer("1.3.6.1.4.1.99.1.0", -5)},
               &f));
    CPPUNIT_ASSERT(familyNamed(f, "ifInErrors")->kind == Kind::Counter);
    CPPUNIT_ASSERT(familyNamed(f, "sysUpTime")->kind == Kind::Gauge);
    CPPUNIT_ASSERT_EQUAL(std::string("Help for ifMtu"), familyNamed(f, "ifMtu")->help);
    CPPUNIT_ASSERT_EQUAL(size_t(5), f.series());
  }

  // getPduValue: a Counter64 is taken modulo 2^53 unless --no-snmp.wrap-large-counters
  // (collector_test.go TestGetPduLargeValue: 19007199254740992 → 992800745259008).
  void testCounter64WrapsAt2To53() {
    auto m = module({metric("c", "1.3.6.1.4.1.99.2", ValueType::Counter)});
    assertSeries({"c 992800745259008"},
                 render(*m, {counter64("1.3.6.1.4.1.99.2.0", 19007199254740992ULL)}));
    RenderOptions noWrap;
    noWrap.wrapLargeCounters = false;
    assertSeries(
        {"c " + formatDouble(19007199254740992.0)},
        render(*m, {counter64("1.3.6.1.4.1.99.2.0", 19007199254740992ULL)}, nullptr, noWrap));
    // 2^63 stays positive (TestGetPduValue).
    assertSeries({"c " + formatDouble(9223372036854775808.0)},
                 render(*m, {counter64("1.3.6.1.4.1.99.2.0", 1ULL << 63)}, nullptr, noWrap));
    assertSeries({"c 0"}, render(*m, {counter64("1.3.6.1.4.1.99.2.0", 1ULL << 63)}));
  }

  // getPduValue: OpaqueFloat and OpaqueDouble are numbers whatever the metric type; as a label
  // pduValueAsString writes them with strconv's 'f' format at their own precision.
  void testOpaqueFloatAndDouble() {
    auto m = module({metric("f", "1.3.6.1.4.1.99.3.1", ValueType::Float),
                     metric("d", "1.3.6.1.4.1.99.3.2", ValueType::Double),
                     metric("g", "1.3.6.1.4.1.99.3.3", ValueType::Gauge),
                     metric("s", "1.3.6.1.4.1.99.3.4", ValueType::DisplayString)});
    assertSeries(
        {"f 3", "d 10.1", "g " + formatDouble(static_cast<double>(0.15F)), "s{s=\"0.15\"} 1"},
        render(*m, {
                       // BER: 9F 78 04 + IEEE 754 single 3.0, big-endian.
                       opaque("1.3.6.1.4.1.99.3.1.0", bytes({0x9f, 0x78, 4, 0x40, 0x40, 0, 0})),
                       // BER: 9F 79 08 + IEEE 754 double 10.1.
                       opaque("1.3.6.1.4.1.99.3.2.0", bytes({0x9f, 0x79, 8, 0x40, 0x24, 0x33, 0x33,
                                                             0x33, 0x33, 0x33, 0x33})),
                       // net-snmp's decoded ASN_OPAQUE_FLOAT: the float in host order.
                       opaque("1.3.6.1.4.1.99.3.3.0", hostFloat(0.15F)),
                       opaque("1.3.6.1.4.1.99.3.4.0", hostFloat(0.15F)),
                   }));
  }

  // pduToSamples (scale/offset, 0.25): value × scale when scale is set, then + offset, for every
  // type that ends there, a string's gauge of 1 included (collector_test.go: 420 × 0.1 = 42,
  // 70 − 1 = 69, 2 × −1 + 2 = 0).
  void testScaleAndOffset() {
    ModuleMetric a = metric("a", "1.3.6.1.4.1.99.4.1", ValueType::Gauge);
    a.scale = 0.1;
    ModuleMetric b = metric("b", "1.3.6.1.4.1.99.4.2", ValueType::Gauge);
    b.offset = -1;
    ModuleMetric c = metric("c", "1.3.6.1.4.1.99.4.3", ValueType::Gauge);
    c.scale = -1;
    c.offset = 2;
    ModuleMetric bits = metric("octetsToBits", "1.3.6.1.4.1.99.4.4", ValueType::Counter);
    bits.scale = 8;
    ModuleMetric label = metric("label", "1.3.6.1.4.1.99.4.5", ValueType::DisplayString);
    label.scale = 2;
    label.offset = 1;
    ModuleMetric zero = metric("unscaled", "1.3.6.1.4.1.99.4.6", ValueType::Gauge);
    zero.scale = 0;  // not set: no scaling
    auto m = module({a, b, c, bits, label, zero});
    assertSeries(
        {"a 42", "b 69", "c 0", "octetsToBits 800", "label{label=\"x\"} 3", "unscaled 7"},
        render(*m, {integer("1.3.6.1.4.1.99.4.1.0", 420), integer("1.3.6.1.4.1.99.4.2.0", 70),
                    integer("1.3.6.1.4.1.99.4.3.0", 2), counter64("1.3.6.1.4.1.99.4.4.0", 100),
                    text("1.3.6.1.4.1.99.4.5.0", "x"), integer("1.3.6.1.4.1.99.4.6.0", 7)}));
  }

  // pduToSamples' default branch and pduValueAsString: the value as label <name> on a gauge of 1
  // (collector_test.go TestPduValueAsString: OIDs without the leading dot, octets in upper-case
  // 0x hex, PhysAddress48 as 6 colon-separated octets, zero-padded; TimeTicks in decimal).
  void testStringTypesAreALabelOnAGaugeOfOne() {
    auto m = module({
        metric("sysDescr", "1.3.6.1.2.1.1.1", ValueType::DisplayString),
        metric("sysObjectID", "1.3.6.1.2.1.1.2", ValueType::OctetString),
        metric("hex", "1.3.6.1.4.1.99.5.1", ValueType::OctetString),
        metric("empty", "1.3.6.1.4.1.99.5.2", ValueType::OctetString),
        metric("mac", "1.3.6.1.4.1.99.5.3", ValueType::PhysAddress48),
        metric("noMac", "1.3.6.1.4.1.99.5.4", ValueType::PhysAddress48),
        metric("ip", "1.3.6.1.4.1.99.5.5", ValueType::IpAddr),
        metric("v4", "1.3.6.1.4.1.99.5.6", ValueType::InetAddressIPv4),
        metric("v6", "1.3.6.1.4.1.99.5.7", ValueType::InetAddressIPv6),
        metric("negative", "1.3.6.1.4.1.99.5.8", ValueType::DisplayString),
        metric("ticks", "1.3.6.1.4.1.99.5.9", ValueType::DisplayString),
        metric("v6ip", "1.3.6.1.4.1.99.5.10", ValueType::IpAddr),
        metric("nothing", "1.3.6.1.4.1.99.5.11", ValueType::DisplayString),
        metric("integerType", "1.3.6.1.4.1.99.5.12", ValueType::Integer),
    });
    SnmpValue null;
    assertSeries(
        {"sysDescr{sysDescr=\"Linux box 6.1\"} 1",
         "sysObjectID{sysObjectID=\"1.3.6.1.4.1.8072.3.2.10\"} 1", "hex{hex=\"0x7F80FF00\"} 1",
         "empty{empty=\"\"} 1", "mac{mac=\"00:1A:2B:3C:4D:5E\"} 1",
         "noMac{noMac=\"00:00:00:00:00:00\"} 1", "ip{ip=\"10.0.0.1\"} 1",
         "v4{v4=\"192.168.1.2\"} 1", "v6{v6=\"0102:0304:0506:0708:090A:0B0C:0D0E:0F10\"} 1",
         "negative{negative=\"-2\"} 1", "ticks{ticks=\"4294967295\"} 1",
         "v6ip{v6ip=\"2001:db8::1\"} 1", "nothing{nothing=\"\"} 1",
         "integerType{integerType=\"17\"} 1"},
        render(*m, {text("1.3.6.1.2.1.1.1.0", "Linux box 6.1"),
                    objectId("1.3.6.1.2.1.1.2.0", "1.3.6.1.4.1.8072.3.2.10"),
                    octets("1.3.6.1.4.1.99.5.1.0", {127, 128, 255, 0}),
                    text("1.3.6.1.4.1.99.5.2.0", ""),
                    octets("1.3.6.1.4.1.99.5.3.0", {0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e}),
                    text("1.3.6.1.4.1.99.5.4.0", ""),
                    ipAddress("1.3.6.1.4.1.99.5.5.0", {10, 0, 0, 1}),
                    octets("1.3.6.1.4.1.99.5.6.0", {192, 168, 1, 2}),
                    octets("1.3.6.1.4.1.99.5.7.0",
                           {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}),
                    integer("1.3.6.1.4.1.99.5.8.0", -2),
                    timeticks("1.3.6.1.4.1.99.5.9.0", 4294967295),
                    ipAddress("1.3.6.1.4.1.99.5.10.0",
                              {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}),
                    {o("1.3.6.1.4.1.99.5.11.0"), null},
                    integer("1.3.6.1.4.1.99.5.12.0", 17)}));
  }

  // pduToSamples: "If the name is already an index, we do not need to set it again."
  void testValueLabelNotAddedWhenTheNameIsAnIndex() {
    auto m = module({metric("ifName", "1.3.6.1.4.1.99.6", ValueType::DisplayString,
                            {index("ifName", ValueType::DisplayString)})});
    assertSeries({"ifName{ifName=\"eth\"} 1"},
                 render(*m, {text("1.3.6.1.4.1.99.6.3.101.116.104", "other")}));
  }

  // HEAD makes label values valid UTF-8, a run of bad bytes → one U+FFFD: values (#968) and
  // index labels (#1646; collector_test.go: DisplayString index 2.65.255 → "A�").
  void testInvalidUtf8IsRepaired() {
    auto m = module({metric("descr", "1.3.6.1.4.1.99.8", ValueType::DisplayString,
                            {index("name", ValueType::DisplayString)})});
    assertSeries({"descr{descr=\"Gig" + kFffd + "0\",name=\"A" + kFffd + "\"} 1"},
                 render(*m, {text("1.3.6.1.4.1.99.8.2.65.255",
                                  "Gig\xFF\xFE"
                                  "0")}));
  }

  // pduValueAsString: display_hint formats octets for OctetString (and untyped lookups) only; a
  // hint that does not parse falls back to the default (collector_test.go TestPduValueAsString's
  // display hint cases).
  void testDisplayHint() {
    ModuleMetric addr = metric("addr", "1.3.6.1.4.1.99.9.1", ValueType::OctetString);
    addr.displayHint = "1d.1d.1d.1d";
    ModuleMetric name = metric("name", "1.3.6.1.4.1.99.9.2", ValueType::DisplayString);
    name.displayHint = "1x:";
    ModuleMetric bad = metric("bad", "1.3.6.1.4.1.99.9.3", ValueType::OctetString);
    bad.displayHint = "z";
    ModuleMetric utf = metric("utf", "1.3.6.1.4.1.99.9.4", ValueType::OctetString);
    utf.displayHint = "255a";
    MetricLookup mac = lookup({"idx"}, "mac", "1.3.6.1.4.1.99.9.6", std::nullopt);
    mac.displayHint = "1x:";
    auto m = module({addr, name, bad, utf,
                     metric("row", "1.3.6.1.4.1.99.9.5", ValueType::Gauge,
                            {index("idx", ValueType::Gauge)}, {mac})});
    assertSeries(
        {"addr{addr=\"192.168.1.1\"} 1", "name{name=\"AB\"} 1", "bad{bad=\"0x7F80FF00\"} 1",
         "utf{utf=\"Hi" + kFffd + "!\"} 1", "row{idx=\"4\",mac=\"00:1A:2B:3C:4D:5E\"} 9"},
        render(*m, {octets("1.3.6.1.4.1.99.9.1.0", {192, 168, 1, 1}),
                    text("1.3.6.1.4.1.99.9.2.0", "AB"),
                    octets("1.3.6.1.4.1.99.9.3.0", {127, 128, 255, 0}),
                    octets("1.3.6.1.4.1.99.9.4.0", {'H', 'i', 0x80, 0xff, '!'}),
                    integer("1.3.6.1.4.1.99.9.5.4", 9),
                    octets("1.3.6.1.4.1.99.9.6.4", {0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e})}));
  }

  // pduToSamples + combinedTypeMapping: an InetAddress(MissingSize) or LldpPortId value takes
  // its type from the column before it, same row; unknown or missing → OctetString
  // (collector_test.go TestPduToSample's InetAddress and LldpPortId cases).
  void testCombinedValueTypesReadThePreviousColumn() {
    auto m = module({
        metric("addr", "1.3.6.1.4.1.99.10.3", ValueType::InetAddress,
               {index("i", ValueType::Gauge)}),
        metric("bare", "1.3.6.1.4.1.99.10.5", ValueType::InetAddressMissingSize,
               {index("i", ValueType::Gauge)}),
        metric("port", "1.3.6.1.4.1.99.10.7", ValueType::LldpPortId,
               {index("i", ValueType::Gauge)}),
    });
    const std::string v6 = "0102:0304:0506:0708:090A:0B0C:0D0E:0F10";
    assertSeries({"addr{addr=\"10.1.2.3\",i=\"1\"} 1", "addr{addr=\"" + v6 + "\",i=\"2\"} 1",
                  "addr{addr=\"0x6E732E6578\",i=\"3\"} 1", "addr{addr=\"0x0A010203\",i=\"4\"} 1",
                  "bare{bare=\"10.9.9.9\",i=\"1\"} 1", "port{i=\"1\",port=\"04:05:06:07:08:09\"} 1",
                  "port{i=\"2\",port=\"eth0\"} 1", "port{i=\"3\",port=\"0x65746830\"} 1"},
                 render(*m, {
                                integer("1.3.6.1.4.1.99.10.2.1", 1),  // ipv4
                                octets("1.3.6.1.4.1.99.10.3.1", {10, 1, 2, 3}),
                                integer("1.3.6.1.4.1.99.10.2.2", 2),  // ipv6
                                octets("1.3.6.1.4.1.99.10.3.2",
                                       {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}),
                                integer("1.3.6.1.4.1.99.10.2.3", 16),  // dns: not mapped
                                text("1.3.6.1.4.1.99.10.3.3", "ns.ex"),
                                octets("1.3.6.1.4.1.99.10.3.4", {10, 1, 2, 3}),  // no type column
                                integer("1.3.6.1.4.1.99.10.4.1", 1),
                                octets("1.3.6.1.4.1.99.10.5.1", {10, 9, 9, 9}),
                                integer("1.3.6.1.4.1.99.10.6.1", 3),  // macAddress
                                octets("1.3.6.1.4.1.99.10.7.1", {4, 5, 6, 7, 8, 9}),
                                integer("1.3.6.1.4.1.99.10.6.2", 5),  // interfaceName
                                text("1.3.6.1.4.1.99.10.7.2", "eth0"),
                                integer("1.3.6.1.4.1.99.10.6.3", 4),  // networkAddress: not mapped
                                text("1.3.6.1.4.1.99.10.7.3", "eth0"),
                            }));
  }

  // parseDateAndTime: 8 octets are UTC, 11 carry "+hh mm"; any other length, or a value that is
  // not octets, writes nothing (collector_test.go TestParseDateAndTime: 2018-08-15 08:01:15 →
  // 1534320075, at +0200 → 1534312875).
  void testDateAndTime() {
    auto m = module(
        {metric("t", "1.3.6.1.4.1.99.11", ValueType::DateAndTime, {index("i", ValueType::Gauge)})});
    assertSeries(
        {"t{i=\"1\"} 1534320075", "t{i=\"2\"} 1534312875",
         "t{i=\"3\"} " + std::to_string(1709251199 + 5 * 3600 + 30 * 60), "t{i=\"4\"} 1534320076"},
        render(*m, {octets("1.3.6.1.4.1.99.11.1", {7, 226, 8, 15, 8, 1, 15, 0}),
                    octets("1.3.6.1.4.1.99.11.2", {7, 226, 8, 15, 8, 1, 15, 0, '+', 2, 0}),
                    // 2024-02-29 23:59:59.5 at -05:30.
                    octets("1.3.6.1.4.1.99.11.3", {7, 232, 2, 29, 23, 59, 59, 5, '-', 5, 30}),
                    // 12 deci-seconds roll into the next second, as time.Date does.
                    octets("1.3.6.1.4.1.99.11.4", {7, 226, 8, 15, 8, 1, 15, 12}),
                    octets("1.3.6.1.4.1.99.11.5", {0}),
                    octets("1.3.6.1.4.1.99.11.6", {7, 226, 8, 15, 8, 1, 15, 0, 'x', 2, 0}),
                    octets("1.3.6.1.4.1.99.11.7", {7, 226, 8, 15, 8, 1, 15, 0, '+', 25, 0}),
                    integer("1.3.6.1.4.1.99.11.8", 5)}));
  }

  // parseDateAndTimeWithPattern: the value as a DisplayString parsed with datetime_pattern
  // (collector_test.go: "Apr 01 2025" with "%b %d %Y" → 1743465600; "ABC" writes nothing).
  void testParseDateAndTime() {
    ModuleMetric t = metric("built", "1.3.6.1.4.1.99.12", ValueType::ParseDateAndTime,
                            {index("i", ValueType::Gauge)});
    t.datetimePattern = "%b %d %Y";
    auto m = module({t});
    assertSeries({"built{i=\"1\"} 1743465600"},
                 render(*m, {text("1.3.6.1.4.1.99.12.1", "Apr 01 2025"),
                             text("1.3.6.1.4.1.99.12.2", "ABC")}));
  }

  // parseNtpTimestamp: seconds since 1900 from the first 4 of at least 8 octets
  // (collector_test.go TestNtpTimestamp: EB 06 77 F6 … → 1734080886).
  void testNtpTimeStamp() {
    auto m = module({metric("ntp", "1.3.6.1.4.1.99.13", ValueType::NtpTimeStamp,
                            {index("i", ValueType::Gauge)})});
    assertSeries(
        {"ntp{i=\"1\"} 1734080886", "ntp{i=\"2\"} -2208988800"},
        render(*m, {octets("1.3.6.1.4.1.99.13.1", {235, 6, 119, 246, 48, 209, 11, 59}),
                    octets("1.3.6.1.4.1.99.13.2", {0, 0, 0, 0, 0, 0, 0, 0}),
                    octets("1.3.6.1.4.1.99.13.3", {1, 2, 3}), integer("1.3.6.1.4.1.99.13.4", 42)}));
  }

  // enumAsInfo: <name>_info{<name>="<enum name or number>"} 1, HELP + " (EnumAsInfo)".
  void testEnumAsInfo() {
    ModuleMetric t = metric("ifType", "1.3.6.1.2.1.2.2.1.3", ValueType::EnumAsInfo,
                            {index("ifIndex", ValueType::Gauge)});
    t.enumValues = {{1, "other"}, {6, "ethernetCsmacd"}};
    auto m = module({t});
    ModuleFamilies f;
    assertSeries(
        {"ifType_info{ifIndex=\"1\",ifType=\"ethernetCsmacd\"} 1",
         "ifType_info{ifIndex=\"2\",ifType=\"999\"} 1"},
        render(*m, {integer("1.3.6.1.2.1.2.2.1.3.1", 6), integer("1.3.6.1.2.1.2.2.1.3.2", 999)},
               &f));
    CPPUNIT_ASSERT_EQUAL(std::string("Help for ifType (EnumAsInfo)"),
                         familyNamed(f, "ifType_info")->help);
  }

  // enumAsInfo (HEAD, #1624): when the metric's name is already a label (an EnumAsInfo index of
  // the same name) nothing is written; 0.21 failed the scrape on the duplicate label.
  void testEnumAsInfoWhoseNameIsAnIndexWritesNothing() {
    MetricIndex state = index("state", ValueType::EnumAsInfo);
    state.enumValues = {{1, "up"}};
    ModuleMetric t = metric("state", "1.3.6.1.4.1.99.14", ValueType::EnumAsInfo, {state});
    t.enumValues = {{1, "up"}};
    auto m = module({t});
    ModuleFamilies f;
    assertSeries({}, render(*m, {integer("1.3.6.1.4.1.99.14.1", 1)}, &f));
    CPPUNIT_ASSERT_EQUAL(size_t(0), f.invalid());
  }

  // enumAsStateSet: the current state 1, every other enum value 0; an unknown value is its
  // number (collector_test.go TestPduToSample's EnumAsStateSet cases, own data).
  void testEnumAsStateSet() {
    ModuleMetric s = metric("psu", "1.3.6.1.4.1.99.15", ValueType::EnumAsStateSet,
                            {index("i", ValueType::Gauge)});
    s.enumValues = {{1, "ok"}, {2, "failed"}, {3, "absent"}};
    MetricIndex clash = index("psu2", ValueType::Gauge);
    ModuleMetric t = metric("psu2", "1.3.6.1.4.1.99.16", ValueType::EnumAsStateSet, {clash});
    t.enumValues = {{1, "ok"}};
    auto m = module({s, t});
    ModuleFamilies f;
    assertSeries({"psu{i=\"1\",psu=\"ok\"} 0", "psu{i=\"1\",psu=\"failed\"} 1",
                  "psu{i=\"1\",psu=\"absent\"} 0", "psu{i=\"2\",psu=\"ok\"} 0",
                  "psu{i=\"2\",psu=\"failed\"} 0", "psu{i=\"2\",psu=\"absent\"} 0",
                  "psu{i=\"2\",psu=\"7\"} 1"},
                 render(*m,
                        {integer("1.3.6.1.4.1.99.15.1", 2), integer("1.3.6.1.4.1.99.15.2", 7),
                         integer("1.3.6.1.4.1.99.16.1", 1)},
                        &f));
    CPPUNIT_ASSERT_EQUAL(std::string("Help for psu (EnumAsStateSet)"), familyNamed(f, "psu")->help);
    // psu2's name is also an index label: upstream's duplicate label name fails the scrape.
    CPPUNIT_ASSERT_EQUAL(size_t(1), f.invalid());
  }

  // bits: one series per enum value, 1 when its bit (most significant first) is set, 0 also
  // beyond the octets; a value that is not octets is an invalid metric upstream
  // (collector_test.go TestPduToSample's Bits case, own data).
  void testBits() {
    ModuleMetric b =
        metric("flags", "1.3.6.1.4.1.99.17", ValueType::Bits, {index("i", ValueType::Gauge)});
    b.enumValues = {{0, "a"}, {1, "b"}, {2, "c"}, {15, "last"}, {16, "beyond"}};
    auto m = module({b});
    ModuleFamilies f;
    assertSeries(
        {"flags{flags=\"a\",i=\"1\"} 1", "flags{flags=\"b\",i=\"1\"} 0",
         "flags{flags=\"c\",i=\"1\"} 1", "flags{flags=\"last\",i=\"1\"} 1",
         "flags{flags=\"beyond\",i=\"1\"} 0"},
        render(*m, {octets("1.3.6.1.4.1.99.17.1", {0xA0, 0x01}), integer("1.3.6.1.4.1.99.17.2", 3)},
               &f));
    CPPUNIT_ASSERT_EQUAL(std::string("Help for flags (Bits)"), familyNamed(f, "flags")->help);
    CPPUNIT_ASSERT_EQUAL(size_t(1), f.invalid());
  }

  // applyRegexExtracts: per suffix the first regex (anchored) that matches gives value with $n
  // expanded, parsed as a float; no match or no number → nothing for that suffix; gauges
  // <name><suffix>, HELP + " (regex extracted)", the index labels but not the value label;
  // scale/offset applied (HEAD #1580) (collector_test.go TestPduToSample's regex cases).
  void testRegexExtracts() {
    ModuleMetric s = metric("sensor", "1.3.6.1.4.1.99.18.1", ValueType::DisplayString,
                            {index("i", ValueType::Gauge)});
    s.regexExtracts["Celsius"] = {{regex(R"(Temp ([0-9.]+) C.*)"), "$1"}};
    s.regexExtracts["Rpm"] = {
        {regex("^XXX$"), "1"}, {regex(R"(.*fan ([0-9]+) rpm)"), "$1"}, {regex(".*"), "777"}};
    s.regexExtracts["Missing"] = {{regex("nomatch"), "1"}};
    s.regexExtracts["Word"] = {{regex(R"((\w+).*)"), "$1"}};
    s.regexExtracts["Empty"] = {{regex(".*"), ""}};
    ModuleMetric load = metric("load", "1.3.6.1.4.1.99.18.2", ValueType::DisplayString);
    load.scale = 0.5;
    load.offset = 1;
    load.regexExtracts[""] = {{regex("(.*)"), "$1"}};
    ModuleMetric status = metric("status", "1.3.6.1.4.1.99.18.3", ValueType::DisplayString);
    status.regexExtracts["Code"] = {{regex(".*"), "5"}};
    ModuleMetric gauge = metric("gauge", "1.3.6.1.4.1.99.18.4", ValueType::Gauge);
    gauge.regexExtracts["X"] = {{regex(".*"), "1"}};  // only string types use them
    auto m = module({s, load, status, gauge});
    ModuleFamilies f;
    assertSeries({"sensorCelsius{i=\"1\"} 41.5", "sensorRpm{i=\"1\"} 1200", "load 36",
                  "statusCode 5", "gauge 3"},
                 render(*m,
                        {text("1.3.6.1.4.1.99.18.1.1", "Temp 41.5 C fan 1200 rpm"),
                         text("1.3.6.1.4.1.99.18.2.0", "70"), integer("1.3.6.1.4.1.99.18.3.0", 2),
                         integer("1.3.6.1.4.1.99.18.4.0", 3)},
                        &f));
    CPPUNIT_ASSERT_EQUAL(std::string("Help for sensor (regex extracted)"),
                         familyNamed(f, "sensorCelsius")->help);
  }

  // indexOidsAsString: integers, PhysAddress48, IPv4/IPv6 addresses, EnumAsInfo
  // (collector_test.go TestIndexesToLabels, own data).
  void testIndexIntegersAndAddresses() {
    CPPUNIT_ASSERT_EQUAL(std::string("m{l=\"4\"} 1"), indexed({index("l", ValueType::Gauge)}, "4"));
    CPPUNIT_ASSERT_EQUAL(std::string("m{l=\"4294967295\"} 1"),
                         indexed({index("l", ValueType::Integer32)}, "4294967295"));
    CPPUNIT_ASSERT_EQUAL(std::string("m{l=\"00:11:22:33:44:55\"} 1"),
                         indexed({index("l", ValueType::PhysAddress48)}, "0.17.34.51.68.85"));
    CPPUNIT_ASSERT_EQUAL(std::string("m{l=\"10.0.0.1\"} 1"),
                         indexed({index("l", ValueType::InetAddressIPv4)}, "10.0.0.1"));
    CPPUNIT_ASSERT_EQUAL(
        std::string("m{l=\"FE80:0000:0000:0000:0000:0000:0000:0001\"} 1"),
        indexed({index("l", ValueType::InetAddressIPv6)}, "254.128.0.0.0.0.0.0.0.0.0.0.0.0.0.1"));
    MetricIndex e = index("l", ValueType::EnumAsInfo);
    e.enumValues = {{0, "foo"}, {1, "bar"}};
    CPPUNIT_ASSERT_EQUAL(std::string("m{l=\"bar\"} 1"), indexed({e}, "1"));
    CPPUNIT_ASSERT_EQUAL(std::string("m{l=\"3\"} 1"), indexed({e}, "3"));
  }

  // indexOidsAsString: OctetString and DisplayString, length first, fixed_size or implied.
  void testIndexStrings() {
    CPPUNIT_ASSERT_EQUAL(std::string("m{l=\"0x4120FF\"} 1"),
                         indexed({index("l", ValueType::OctetString)}, "3.65.32.255"));
    CPPUNIT_ASSERT_EQUAL(std::string("m{l=\"0x4120FF\"} 1"),
                         indexed({index("l", ValueType::OctetString, 3)}, "65.32.255"));
    CPPUNIT_ASSERT_EQUAL(std::string("m{l=\"0x4120FF\"} 1"),
                         indexed({index("l", ValueType::OctetString, 0, true)}, "65.32.255"));
    CPPUNIT_ASSERT_EQUAL(std::string("m{l=\"\"} 1"),
                         indexed({index("l", ValueType::OctetString)}, "0"));
    CPPUNIT_ASSERT_EQUAL(std::string("m{l=\"eth0\"} 1"),
                         indexed({index("l", ValueType::DisplayString)}, "4.101.116.104.48"));
    CPPUNIT_ASSERT_EQUAL(std::string("m{l=\"A \"} 1"),
                         indexed({index("l", ValueType::DisplayString, 2)}, "65.32"));
    CPPUNIT_ASSERT_EQUAL(std::string("m{l=\"hi\"} 1"),
                         indexed({index("l", ValueType::DisplayString, 0, true)}, "104.105"));
    // Go's byte(): a sub-identifier above 255 keeps its low 8 bits (321 → 'A').
    CPPUNIT_ASSERT_EQUAL(std::string("m{l=\"A\"} 1"),
                         indexed({index("l", ValueType::DisplayString)}, "1.321"));
    CPPUNIT_ASSERT_EQUAL(std::string("m{l=\"" + kFffd + "A\"} 1"),
                         indexed({index("l", ValueType::DisplayString)}, "2.255.65"));
  }

  // indexOidsAsString's combined types: InetAddress reads type and length, MissingSize the type
  // only; an unknown type becomes an OctetString of the whole (typed) address.
  void testIndexInetAddress() {
    const std::string v6 = "0102:0304:0506:0708:090A:0B0C:0D0E:0F10";
    const std::string v6oids = "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16";
    CPPUNIT_ASSERT_EQUAL(std::string("m{l=\"192.168.1.2\"} 1"),
                         indexed({index("l", ValueType::InetAddress)}, "1.4.192.168.1.2"));
    CPPUNIT_ASSERT_EQUAL("m{l=\"" + v6 + "\"} 1",
                         indexed({index("l", ValueType::InetAddress)}, "2.16." + v6oids));
    CPPUNIT_ASSERT_EQUAL(std::string("m{l=\"0x0305C0A8010205\"} 1"),
                         indexed({index("l", ValueType::InetAddress)}, "3.5.192.168.1.2.5"));
    CPPUNIT_ASSERT_EQUAL(
        "m{a=\"192.168.1.2\",b=\"" + v6 + "\"} 1",
        indexed({index("a", ValueType::InetAddress), index("b", ValueType::InetAddress)},
                "1.4.192.168.1.2.2.16." + v6oids));
    CPPUNIT_ASSERT_EQUAL(std::string("m{l=\"192.168.1.2\"} 1"),
                         indexed({index("l", ValueType::InetAddressMissingSize)}, "1.192.168.1.2"));
    CPPUNIT_ASSERT_EQUAL(
        std::string("m{l=\"0x03C0A8010205\"} 1"),
        indexed({index("l", ValueType::InetAddressMissingSize)}, "3.192.168.1.2.5"));
    CPPUNIT_ASSERT_EQUAL(std::string("m{l=\"01:02:03:04:05:06\"} 1"),
                         indexed({index("l", ValueType::LldpPortId)}, "3.6.1.2.3.4.5.6"));
  }

  // splitOid pads a short index with zeros ("Some routers exclude trailing 0s in responses");
  // several indexes read one after the other.
  void testIndexPaddingAndSeveralIndexes() {
    CPPUNIT_ASSERT_EQUAL(std::string("m{l=\"0\"} 1"), indexed({index("l", ValueType::Gauge)}, ""));
    CPPUNIT_ASSERT_EQUAL(std::string("m{l=\"01:02:03:00:00:00\"} 1"),
                         indexed({index("l", ValueType::PhysAddress48)}, "1.2.3"));
    CPPUNIT_ASSERT_EQUAL(std::string("m{l=\"0x4100\"} 1"),
                         indexed({index("l", ValueType::OctetString)}, "2.65"));
    CPPUNIT_ASSERT_EQUAL(
        std::string("m{a=\"5\",b=\"xy\",c=\"0\"} 1"),
        indexed({index("a", ValueType::Gauge), index("b", ValueType::DisplayString),
                 index("c", ValueType::Gauge)},
                "5.2.120.121"));
    // Extra sub-identifiers after the last index are ignored.
    CPPUNIT_ASSERT_EQUAL(std::string("m{a=\"5\"} 1"),
                         indexed({index("a", ValueType::Gauge)}, "5.6.7"));
  }

  // A type indexOidsAsString cannot decode panics upstream (#1653 refuses it at load time):
  // nothing is written and it is counted.
  void testNonRenderableIndexIsCounted() {
    auto m = module(
        {metric("m", "1.3.6.1.4.1.99.19", ValueType::Gauge, {index("l", ValueType::Float)})});
    ModuleFamilies f;
    assertSeries({}, render(*m, {integer("1.3.6.1.4.1.99.19.1", 1)}, &f));
    CPPUNIT_ASSERT_EQUAL(size_t(1), f.invalid());
  }

  // Names a module file may hold that are not Prometheus text 0.0.4 names (found by
  // fuzz_module_file, which renders whatever the loader accepts): snmp_exporter at HEAD takes
  // any valid UTF-8 name (client_golang 1.23 NewDesc with prometheus/common 0.70's
  // UTF8Validation) and its text/plain exposition writes each character (code point) a legacy
  // name cannot hold as '_' (model.EscapeName, UnderscoreEscaping; a leading digit too). Label
  // names lose ':' as well, which EscapeName keeps (a legacy metric name character) but a text
  // parser refuses in a label name.
  void testNamesEscapedAsSnmpExporterWritesThem() {
    auto m = module({
        metric("cpu-load.1min", "1.3.6.1.4.1.99.40.1", ValueType::Gauge,
               {index("if-index", ValueType::Gauge)},
               {lookup({"if-index"}, "if descr", "1.3.6.1.4.1.99.40.2")}),
        metric("sys.descr", "1.3.6.1.4.1.99.40.3", ValueType::DisplayString),
        metric("1st:ok", "1.3.6.1.4.1.99.40.4", ValueType::Counter,
               {index("x:y", ValueType::Gauge)}),
        metric("\xC3\xA9tat", "1.3.6.1.4.1.99.40.5", ValueType::EnumAsInfo),
        metric("temp", "1.3.6.1.4.1.99.40.6", ValueType::DisplayString),
    });
    m->metrics[3].enumValues = {{1, "up"}};
    m->metrics[4].regexExtracts["-celsius"] = {RegexExtract{regex("([0-9]+)C"), "$1"}};
    ModuleFamilies f;
    assertSeries(
        {"cpu_load_1min{if_descr=\"eth0\",if_index=\"1\"} 7", "sys_descr{sys_descr=\"box\"} 1",
         "_st:ok{x_y=\"2\"} 3", "_tat_info{_tat=\"up\"} 1", "temp_celsius 42"},
        render(*m,
               {integer("1.3.6.1.4.1.99.40.1.1", 7), text("1.3.6.1.4.1.99.40.2.1", "eth0"),
                text("1.3.6.1.4.1.99.40.3.0", "box"), counter32("1.3.6.1.4.1.99.40.4.2", 3),
                integer("1.3.6.1.4.1.99.40.5.0", 1), text("1.3.6.1.4.1.99.40.6.0", "42C")},
               &f));
    CPPUNIT_ASSERT_EQUAL(size_t(0), f.invalid());
    std::string text;
    f.appendText(text);
    CPPUNIT_ASSERT(text.find("# TYPE _st:ok counter\n") != std::string::npos);
  }

  // What snmp_exporter's client_golang refuses (NewDesc: a name that is not valid UTF-8, a label
  // name starting with "__", reserved) makes pduToSamples' NewConstMetric fail, and the scrape
  // with it (collector.go: NewInvalidMetric); here those samples are dropped and counted. A
  // reserved name that never becomes a label (a gauge's own name, a dropped index) is fine.
  void testRefusedNamesAreCounted() {
    auto m = module({
        metric("bad\xFFname", "1.3.6.1.4.1.99.41.1", ValueType::Gauge),
        metric("m", "1.3.6.1.4.1.99.41.2", ValueType::Gauge, {index("__secret", ValueType::Gauge)}),
        metric("__text", "1.3.6.1.4.1.99.41.3", ValueType::DisplayString),
        metric("__gauge", "1.3.6.1.4.1.99.41.4", ValueType::Gauge,
               {index("__idx", ValueType::Gauge)}, {drop("__idx")}),
        metric("ok", "1.3.6.1.4.1.99.41.5", ValueType::Gauge),
    });
    ModuleFamilies f;
    assertSeries({"__gauge 4", "ok 5"},
                 render(*m,
                        {integer("1.3.6.1.4.1.99.41.1.0", 1), integer("1.3.6.1.4.1.99.41.2.1", 2),
                         text("1.3.6.1.4.1.99.41.3.0", "x"), integer("1.3.6.1.4.1.99.41.4.1", 4),
                         integer("1.3.6.1.4.1.99.41.5.0", 5)},
                        &f));
    CPPUNIT_ASSERT_EQUAL(size_t(3), f.invalid());
  }

  // The if_mib shape: ifIndex index, ifAlias/ifDescr/ifName lookups on every series (a missing
  // one is an empty label), ifType as EnumAsInfo, ifPhysAddress as PhysAddress48 (loopback's
  // empty address zero-padded), a gauge with enum_values stays a number, Counter64 counters.
  void testIfMibShape() {
    auto m = ifMib();
    ModuleFamilies f;
    const std::string lo = "ifAlias=\"\",ifDescr=\"lo\",ifIndex=\"1\",ifName=\"lo\"";
    const std::string eth =
        "ifAlias=\"uplink to core\",ifDescr=\"Intel Corporation 82540EM\",ifIndex=\"2\","
        "ifName=\"eth0\"";
    assertSeries({"ifNumber 2", "ifIndex{" + lo + "} 1", "ifIndex{" + eth + "} 2",
                  "ifType_info{" + lo + ",ifType=\"softwareLoopback\"} 1",
                  "ifType_info{" + eth + ",ifType=\"ethernetCsmacd\"} 1", "ifMtu{" + lo + "} 65536",
                  "ifMtu{" + eth + "} 1500",
                  "ifPhysAddress{" + lo + ",ifPhysAddress=\"00:00:00:00:00:00\"} 1",
                  "ifPhysAddress{" + eth + ",ifPhysAddress=\"08:00:27:AA:BB:CC\"} 1",
                  "ifAdminStatus{" + lo + "} 1", "ifAdminStatus{" + eth + "} 2",
                  "ifHCInOctets{" + lo + "} 1000", "ifHCInOctets{" + eth + "} 123456789012",
                  "ifHighSpeed{" + lo + "} 10", "ifHighSpeed{" + eth + "} 1000"},
                 render(*m, ifMibWalk(), &f));
    CPPUNIT_ASSERT(familyNamed(f, "ifHCInOctets")->kind == Kind::Counter);
    CPPUNIT_ASSERT_EQUAL(size_t(0), f.duplicates() + f.conflicts() + f.invalid());
  }

  // An hrStorage-like table: index, a DisplayString lookup, an OBJECT IDENTIFIER value shown
  // without its leading dot (the generator types OBJID as OctetString).
  void testHrStorageTableWithLookup() {
    const std::vector<MetricIndex> idx = {index("hrStorageIndex", ValueType::Gauge)};
    const std::vector<MetricLookup> descr = {
        lookup({"hrStorageIndex"}, "hrStorageDescr", "1.3.6.1.2.1.25.2.3.1.3")};
    auto m = module({
        metric("hrStorageType", "1.3.6.1.2.1.25.2.3.1.2", ValueType::OctetString, idx, descr),
        metric("hrStorageAllocationUnits", "1.3.6.1.2.1.25.2.3.1.4", ValueType::Gauge, idx, descr),
        metric("hrStorageSize", "1.3.6.1.2.1.25.2.3.1.5", ValueType::Gauge, idx, descr),
        metric("hrStorageUsed", "1.3.6.1.2.1.25.2.3.1.6", ValueType::Gauge, idx, descr),
    });
    const std::string mem = "hrStorageDescr=\"Physical memory\",hrStorageIndex=\"1\"";
    const std::string root = "hrStorageDescr=\"/\",hrStorageIndex=\"36\"";
    assertSeries({"hrStorageType{" + mem + ",hrStorageType=\"1.3.6.1.2.1.25.2.1.2\"} 1",
                  "hrStorageType{" + root + ",hrStorageType=\"1.3.6.1.2.1.25.2.1.4\"} 1",
                  "hrStorageAllocationUnits{" + mem + "} 1024",
                  "hrStorageAllocationUnits{" + root + "} 4096",
                  "hrStorageSize{" + mem + "} 2047636", "hrStorageSize{" + root + "} 2580302",
                  "hrStorageUsed{" + mem + "} 1900000", "hrStorageUsed{" + root + "} 1e+06"},
                 render(*m, {
                                integer("1.3.6.1.2.1.25.2.3.1.1.1", 1),
                                integer("1.3.6.1.2.1.25.2.3.1.1.36", 36),
                                objectId("1.3.6.1.2.1.25.2.3.1.2.1", "1.3.6.1.2.1.25.2.1.2"),
                                objectId("1.3.6.1.2.1.25.2.3.1.2.36", "1.3.6.1.2.1.25.2.1.4"),
                                text("1.3.6.1.2.1.25.2.3.1.3.1", "Physical memory"),
                                text("1.3.6.1.2.1.25.2.3.1.3.36", "/"),
                                integer("1.3.6.1.2.1.25.2.3.1.4.1", 1024),
                                integer("1.3.6.1.2.1.25.2.3.1.4.36", 4096),
                                integer("1.3.6.1.2.1.25.2.3.1.5.1", 2047636),
                                integer("1.3.6.1.2.1.25.2.3.1.5.36", 2580302),
                                integer("1.3.6.1.2.1.25.2.3.1.6.1", 1900000),
                                integer("1.3.6.1.2.1.25.2.3.1.6.36", 1000000),
                            }));
  }

  // A table indexed by (InetAddressType, InetAddress), which the generator writes as one
  // InetAddress index (IP-MIB ipAddressTable); the decoded address's sub-identifiers (type,
  // length, octets) then key a lookup into another column of the same table.
  void testTableIndexedByInetAddress() {
    const std::vector<MetricIndex> idx = {index("ipAddressAddr", ValueType::InetAddress)};
    const std::vector<MetricLookup> ifIndex = {
        lookup({"ipAddressAddr"}, "ipAddressIfIndex", "1.3.6.1.2.1.4.34.1.3", ValueType::Gauge)};
    auto m = module({
        metric("ipAddressType", "1.3.6.1.2.1.4.34.1.4", ValueType::Gauge, idx, ifIndex),
        metric("ipAddressPrefixLength", "1.3.6.1.4.1.99.20.1", ValueType::Gauge,
               {index("ipAddressAddr", ValueType::InetAddress),
                index("prefixLength", ValueType::Gauge)}),
    });
    assertSeries(
        {"ipAddressType{ipAddressAddr=\"10.0.0.1\",ipAddressIfIndex=\"2\"} 1",
         "ipAddressType{ipAddressAddr=\"FE80:0000:0000:0000:0000:0000:0000:0001\","
         "ipAddressIfIndex=\"3\"} 1",
         "ipAddressPrefixLength{ipAddressAddr=\"10.0.0.0\",prefixLength=\"8\"} 1"},
        render(*m, {
                       integer("1.3.6.1.2.1.4.34.1.3.1.4.10.0.0.1", 2),
                       integer("1.3.6.1.2.1.4.34.1.3.2.16.254.128.0.0.0.0.0.0.0.0.0.0.0.0.0.1", 3),
                       integer("1.3.6.1.2.1.4.34.1.4.1.4.10.0.0.1", 1),
                       integer("1.3.6.1.2.1.4.34.1.4.2.16.254.128.0.0.0.0.0.0.0.0.0.0.0.0.0.1", 1),
                       integer("1.3.6.1.4.1.99.20.1.1.4.10.0.0.0.8", 1),
                   }));
  }

  // indexesToLabels: a lookup's value, as an integer, keys the next lookup (chained lookups,
  // 0.21 #757; collector_test.go's chainable_id case, own data). A value that is not an integer
  // chains as 0 (gosnmp.ToBigInt) while its label is the octets read as the lookup's type (here
  // gauge: the first octet, 'a' = 97); a negative value or a missing link matches nothing.
  void testChainedLookup() {
    auto m = module({metric("entSensorValue", "1.3.6.1.4.1.99.21.1", ValueType::Gauge,
                            {index("a", ValueType::Gauge)},
                            {lookup({"a"}, "chainable_id", "1.3.6.1.4.1.99.21.2", ValueType::Gauge),
                             lookup({"chainable_id"}, "target", "1.3.6.1.4.1.99.21.3")})});
    assertSeries({"entSensorValue{a=\"1\",chainable_id=\"42\",target=\"forty-two\"} 10",
                  "entSensorValue{a=\"2\",chainable_id=\"-1\",target=\"\"} 20",
                  "entSensorValue{a=\"3\",chainable_id=\"\",target=\"\"} 30",
                  "entSensorValue{a=\"4\",chainable_id=\"97\",target=\"zero\"} 40"},
                 render(*m, {
                                integer("1.3.6.1.4.1.99.21.1.1", 10),
                                integer("1.3.6.1.4.1.99.21.1.2", 20),
                                integer("1.3.6.1.4.1.99.21.1.3", 30),
                                integer("1.3.6.1.4.1.99.21.1.4", 40),
                                gauge32("1.3.6.1.4.1.99.21.2.1", 42),
                                integer("1.3.6.1.4.1.99.21.2.2", -1),
                                octets("1.3.6.1.4.1.99.21.2.4", {'a'}),
                                text("1.3.6.1.4.1.99.21.3.42", "forty-two"),
                                text("1.3.6.1.4.1.99.21.3.0", "zero"),
                            }));
  }

  // indexesToLabels: a lookup without `labels` (the generator's drop_source_indexes) removes
  // its label. Two rows that then look the same are duplicates: snmp_exporter fails the whole
  // scrape ("collected before with the same name and label values"); we keep the first, count
  // the rest and serve everything else.
  void testDropSourceIndexesAndDuplicates() {
    auto m = module({metric("hrDeviceStatus", "1.3.6.1.2.1.25.3.2.1.5", ValueType::Gauge,
                            {index("hrDeviceIndex", ValueType::Gauge)},
                            {lookup({"hrDeviceIndex"}, "hrDeviceDescr", "1.3.6.1.2.1.25.3.2.1.3"),
                             drop("hrDeviceIndex")}),
                     metric("other", "1.3.6.1.4.1.99.22", ValueType::Gauge)});
    ModuleFamilies f;
    assertSeries(
        {"hrDeviceStatus{hrDeviceDescr=\"eth0\"} 2", "hrDeviceStatus{hrDeviceDescr=\"CPU 0\"} 2",
         "other 5"},
        render(*m,
               {integer("1.3.6.1.2.1.25.3.2.1.5.1", 2), integer("1.3.6.1.2.1.25.3.2.1.5.2", 2),
                integer("1.3.6.1.2.1.25.3.2.1.5.3", 5), text("1.3.6.1.2.1.25.3.2.1.3.1", "eth0"),
                text("1.3.6.1.2.1.25.3.2.1.3.2", "CPU 0"),
                text("1.3.6.1.2.1.25.3.2.1.3.3", "eth0"),  // a second "eth0"
                integer("1.3.6.1.4.1.99.22.0", 5)},
               &f));
    CPPUNIT_ASSERT_EQUAL(size_t(1), f.duplicates());
    CPPUNIT_ASSERT_EQUAL(size_t(3), f.series());
  }

  // indexesToLabels (HEAD #1624, unreleased): an EnumAsInfo lookup with enum_values writes the
  // enum name (or the number); without enum_values the number as text
  // (collector_test.go's poolType cases, own data).
  void testEnumValuesOnLookup() {
    MetricLookup pool = lookup({"idx"}, "poolType", "1.3.6.1.4.1.99.23.2", ValueType::EnumAsInfo);
    pool.enumValues = {{1, "processorMemory"}, {2, "ioMemory"}};
    auto m = module({
        metric("poolFree", "1.3.6.1.4.1.99.23.1", ValueType::Gauge,
               {index("idx", ValueType::Gauge)}, {pool, drop("idx")}),
        metric("plain", "1.3.6.1.4.1.99.23.3", ValueType::Gauge, {index("idx", ValueType::Gauge)},
               {lookup({"idx"}, "kind", "1.3.6.1.4.1.99.23.2", ValueType::EnumAsInfo)}),
    });
    assertSeries(
        {"poolFree{poolType=\"ioMemory\"} 100", "poolFree{poolType=\"99\"} 200",
         "plain{idx=\"1\",kind=\"2\"} 7"},
        render(*m, {integer("1.3.6.1.4.1.99.23.1.1", 100), integer("1.3.6.1.4.1.99.23.1.2", 200),
                    integer("1.3.6.1.4.1.99.23.2.1", 2), integer("1.3.6.1.4.1.99.23.2.2", 99),
                    integer("1.3.6.1.4.1.99.23.3.1", 7)}));
  }

  // indexesToLabels (0.23 #908): an InetAddress or LldpPortId lookup takes its type from the
  // column before the looked-up one (collector_test.go's lldpLocPortId case, own data).
  void testLookupTypeFromThePreviousColumn() {
    const std::vector<MetricIndex> lldp = {index("lldpRemTimeMark", ValueType::Gauge),
                                           index("lldpRemLocalPortNum", ValueType::Gauge),
                                           index("lldpRemIndex", ValueType::Gauge)};
    auto m = module({
        metric("lldpRemSysName", "1.0.8802.1.1.2.1.4.1.1.9", ValueType::Gauge, lldp,
               {lookup({"lldpRemLocalPortNum"}, "lldpLocPortId", "1.0.8802.1.1.2.1.3.7.1.3",
                       ValueType::LldpPortId)}),
        metric("peer", "1.3.6.1.4.1.99.24.1", ValueType::Gauge, {index("i", ValueType::Gauge)},
               {lookup({"i"}, "peerAddr", "1.3.6.1.4.1.99.24.3", ValueType::InetAddress)}),
    });
    assertSeries({"lldpRemSysName{lldpLocPortId=\"04:05:06:07:08:09\",lldpRemIndex=\"1\","
                  "lldpRemLocalPortNum=\"8\",lldpRemTimeMark=\"0\"} 1",
                  "lldpRemSysName{lldpLocPortId=\"Gi0/9\",lldpRemIndex=\"1\","
                  "lldpRemLocalPortNum=\"9\",lldpRemTimeMark=\"0\"} 1",
                  "peer{i=\"1\",peerAddr=\"10.2.3.4\"} 1"},
                 render(*m, {
                                integer("1.0.8802.1.1.2.1.4.1.1.9.0.8.1", 1),
                                integer("1.0.8802.1.1.2.1.4.1.1.9.0.9.1", 1),
                                integer("1.0.8802.1.1.2.1.3.7.1.2.8", 3),  // macAddress
                                octets("1.0.8802.1.1.2.1.3.7.1.3.8", {4, 5, 6, 7, 8, 9}),
                                integer("1.0.8802.1.1.2.1.3.7.1.2.9", 5),  // interfaceName
                                text("1.0.8802.1.1.2.1.3.7.1.3.9", "Gi0/9"),
                                integer("1.3.6.1.4.1.99.24.1.1", 1),
                                integer("1.3.6.1.4.1.99.24.2.1", 1),
                                octets("1.3.6.1.4.1.99.24.3.1", {10, 2, 3, 4}),
                            }));
  }

  // buildMetricTree + collect(): a varbind goes to the metric with the shortest OID prefix of
  // its own; of two metrics with one OID the last wins; varbinds under no metric are ignored;
  // the metric's own OID is a varbind with an empty index.
  void testMetricTreeShortestPrefixWins() {
    auto m = module({metric("outer", "1.3.6.1.4.1.99.25", ValueType::Gauge,
                            {index("a", ValueType::Gauge), index("b", ValueType::Gauge)}),
                     metric("inner", "1.3.6.1.4.1.99.25.1", ValueType::Gauge),
                     metric("first", "1.3.6.1.4.1.99.26", ValueType::Gauge),
                     metric("second", "1.3.6.1.4.1.99.26", ValueType::Counter),
                     metric("bare", "1.3.6.1.4.1.99.27", ValueType::Gauge)});
    assertSeries({"outer{a=\"1\",b=\"2\"} 12", "second 3", "bare 4"},
                 render(*m, {integer("1.3.6.1.4.1.99.25.1.2", 12),
                             integer("1.3.6.1.4.1.99.26.0", 3), integer("1.3.6.1.4.1.99.27", 4),
                             integer("1.3.6.1.4.1.99.2", 9), integer("1.3.6.1.4.1.99.250.1", 9)}));
  }

  // ModuleFamilies: client_golang's registry checks, kept as counts (see the header).
  void testFamiliesMergeAndCountConflictsAndDuplicates() {
    ModuleFamilies f;
    f.add("x", "help x", Kind::Gauge, {{"b", "2"}, {"a", "1"}}, 1);
    f.add("x", "help x", Kind::Gauge, {{"a", "1"}, {"b", "2"}}, 2);      // duplicate: kept first
    f.add("x", "other help", Kind::Gauge, {{"a", "3"}, {"b", "2"}}, 3);  // conflict, merged
    f.add("x", "help x", Kind::Counter, {{"a", "4"}}, 4);                // conflict (type)
    f.add("y", "", Kind::Counter, {{"a", "1"}, {"a", "2"}}, 5);          // label name twice
    CPPUNIT_ASSERT_EQUAL(size_t(3), f.series());
    CPPUNIT_ASSERT_EQUAL(size_t(1), f.duplicates());
    CPPUNIT_ASSERT_EQUAL(size_t(2), f.conflicts());
    CPPUNIT_ASSERT_EQUAL(size_t(1), f.invalid());
    const ModuleFamily* x = familyNamed(f, "x");
    CPPUNIT_ASSERT_EQUAL(std::string("help x"), x->help);
    CPPUNIT_ASSERT(x->kind == Kind::Gauge);
    CPPUNIT_ASSERT_EQUAL(size_t(3), x->samples.size());
    CPPUNIT_ASSERT_EQUAL(std::string("a"), x->samples[0].labels[0].first);  // sorted by name
    CPPUNIT_ASSERT_EQUAL(1.0, x->samples[0].value);
    // Many samples: the duplicate table grows and still finds them.
    for (int i = 0; i < 1000; ++i) {
      f.add("z", "z", Kind::Gauge, {{"i", std::to_string(i % 500)}}, i);
    }
    CPPUNIT_ASSERT_EQUAL(size_t(501), f.duplicates());
    CPPUNIT_ASSERT_EQUAL(size_t(500), familyNamed(f, "z")->samples.size());
  }

  // client_golang's text format: families by name, HELP (escaped: \\ and \n) and TYPE, samples
  // by label values in label-name order (fewer labels first), label values escaped.
  void testTextExposition() {
    ModuleFamilies f;
    f.add("b_metric", "Help with \\ and\nnewline", Kind::Counter, {{"x", "2"}}, 2);
    f.add("b_metric", "Help with \\ and\nnewline", Kind::Counter, {{"x", "10"}}, 10);
    f.add("b_metric", "Help with \\ and\nnewline", Kind::Counter, {}, 0.5);
    f.add("a_metric", "A", Kind::Gauge, {{"z", "1"}, {"a", "q\"uo\\te\nx"}}, 1e6);
    f.add("a_metric", "A", Kind::Gauge, {{"z", "0"}, {"a", "b"}}, -1);
    f.family("c_empty", "never added to", Kind::Gauge);
    std::string out;
    f.appendText(out);
    CPPUNIT_ASSERT_EQUAL(std::string("# HELP a_metric A\n"
                                     "# TYPE a_metric gauge\n"
                                     "a_metric{a=\"b\",z=\"0\"} -1\n"
                                     "a_metric{a=\"q\\\"uo\\\\te\\nx\",z=\"1\"} 1e+06\n"
                                     "# HELP b_metric Help with \\\\ and\\nnewline\n"
                                     "# TYPE b_metric counter\n"
                                     "b_metric 0.5\n"
                                     "b_metric{x=\"10\"} 10\n"
                                     "b_metric{x=\"2\"} 2\n"),
                         out);
  }

  // collect(): the five per-module meta series with upstream's HELP texts, gauges labelled
  // {module="…"} (0.24+; 0.21 has no label).
  void testScrapeMeta() {
    ModuleFamilies f;
    ModuleScrapeStats stats;
    stats.walkSeconds = 0.25;
    stats.durationSeconds = 0.5;
    stats.packetsSent = 85;
    stats.packetsRetried = 2;
    stats.pdusReturned = 2092;
    addScrapeMeta(f, "if_mib", stats);
    addScrapeMeta(f, "system", ModuleScrapeStats{});
    assertSeries({"snmp_scrape_walk_duration_seconds{module=\"if_mib\"} 0.25",
                  "snmp_scrape_duration_seconds{module=\"if_mib\"} 0.5",
                  "snmp_scrape_packets_sent{module=\"if_mib\"} 85",
                  "snmp_scrape_packets_retried{module=\"if_mib\"} 2",
                  "snmp_scrape_pdus_returned{module=\"if_mib\"} 2092",
                  "snmp_scrape_walk_duration_seconds{module=\"system\"} 0",
                  "snmp_scrape_duration_seconds{module=\"system\"} 0",
                  "snmp_scrape_packets_sent{module=\"system\"} 0",
                  "snmp_scrape_packets_retried{module=\"system\"} 0",
                  "snmp_scrape_pdus_returned{module=\"system\"} 0"},
                 seriesOf(f));
    CPPUNIT_ASSERT_EQUAL(std::string("Time SNMP walk/bulkwalk took."),
                         familyNamed(f, "snmp_scrape_walk_duration_seconds")->help);
    CPPUNIT_ASSERT_EQUAL(std::string("Total SNMP time scrape took (walk and processing)."),
                         familyNamed(f, "snmp_scrape_duration_seconds")->help);
    CPPUNIT_ASSERT_EQUAL(std::string("Packets sent for get, bulkget, and walk; including retries."),
                         familyNamed(f, "snmp_scrape_packets_sent")->help);
    CPPUNIT_ASSERT_EQUAL(std::string("Packets retried for get, bulkget, and walk."),
                         familyNamed(f, "snmp_scrape_packets_retried")->help);
    CPPUNIT_ASSERT_EQUAL(std::string("PDUs returned from get, bulkget, and walk."),
                         familyNamed(f, "snmp_scrape_pdus_returned")->help);
    CPPUNIT_ASSERT_EQUAL(size_t(0), f.conflicts());
  }

  // The compiled module is built once and shared; renders on several threads agree.
  void testConcurrentRendersOfOneModule() {
    auto m = ifMib();
    const PduTable pdus(ifMibWalk());
    const Series expected = render(*m, ifMibWalk());
    std::vector<Series> results(4);
    std::vector<std::thread> threads;
    for (size_t t = 0; t < results.size(); ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 50; ++i) {
          ModuleFamilies f;
          renderModule(*m, pdus, f);
          results[t] = seriesOf(f);
        }
      });
    }
    for (auto& t : threads) {
      t.join();
    }
    for (const Series& s : results) {
      assertSeries(expected, s);
    }
  }

  // `promtool check metrics` parses the text of every value type. Its lint findings are only
  // the ones snmp_exporter's own output has (MIB names in camelCase, counters without _total).
  void testPromtoolAcceptsTheOutput() {
    const std::string promtool = findPromtool();
    if (promtool.empty()) {
      std::cerr << "\nModuleRendererTest: promtool not found on PATH; skipped\n";
      return;
    }
    ModuleFamilies f;
    renderModule(*ifMib(), PduTable(ifMibWalk()), f);
    ModuleMetric psu = metric("psuState", "1.3.6.1.4.1.99.30.1", ValueType::EnumAsStateSet,
                              {index("psu", ValueType::Gauge)});
    psu.enumValues = {{1, "ok"}, {2, "failed"}};
    ModuleMetric flags = metric("flags", "1.3.6.1.4.1.99.30.2", ValueType::Bits);
    flags.enumValues = {{0, "a"}, {7, "b"}};
    ModuleMetric sensor = metric("sensor", "1.3.6.1.4.1.99.30.3", ValueType::DisplayString);
    sensor.regexExtracts["Celsius"] = {{regex(R"(([0-9.]+) C)"), "$1"}};
    ModuleMetric odd = metric("descr", "1.3.6.1.4.1.99.30.4", ValueType::DisplayString);
    auto extra = module({psu, flags, sensor, odd});
    renderModule(
        *extra,
        PduTable({integer("1.3.6.1.4.1.99.30.1.1", 2), octets("1.3.6.1.4.1.99.30.2.0", {0x80}),
                  text("1.3.6.1.4.1.99.30.3.0", "41.5 C"),
                  text("1.3.6.1.4.1.99.30.4.0", "quote \" back\\slash\nline \xFF")}),
        f);
    addScrapeMeta(f, "if_mib", ModuleScrapeStats{0.1, 0.2, 3, 0, 21});
    std::string body;
    f.appendText(body);
    const LintResult lint = runPromtoolOnText(promtool, body);
    const std::string& output = lint.output;
    CPPUNIT_ASSERT_MESSAGE("promtool: parse error\n" + output + "\n" + body, lint.exitCode != 1);
    std::istringstream lines(output);
    std::string l;
    while (std::getline(lines, l)) {
      if (l.empty()) {
        continue;
      }
      const bool camel =
          l.find("should be written in 'snake_case' not 'camelCase'") != std::string::npos;
      const bool total =
          l.find("counter metrics should have \"_total\" suffix") != std::string::npos;
      CPPUNIT_ASSERT_MESSAGE("unexpected lint finding: " + l, camel || total);
    }
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ModuleRendererTest);
