// Tests of the module file loader: both formats snmp_exporter has read, every key of its
// config/config.go with its defaults, every kind of error with its exact file:line and key path,
// all of them collected, globs, names defined twice over files, and environment expansion. The
// expected values follow snmp_exporter's config/config.go (HEAD) and generator/FORMAT.md, or its
// 0.21 config.go for the flat format, as each test says.
#include "modules/ModuleLoader.h"

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <Poco/TemporaryFile.h>
#include <cppunit/extensions/HelperMacros.h>
#include <re2/re2.h>

#include "common/Text.h"

using namespace promsnmp;

namespace {

/// What parseModuleText reported: the exception's message, and its lines.
struct Reported {
  std::string message;  // "" when the text loaded
  std::vector<std::string> lines;
};

/// The problems parseModuleText reports for `text` (named snmp.yml).
Reported problemsOf(const std::string& text, const ModuleLoadOptions& options = {}) {
  ModuleSet set;
  Reported reported;
  try {
    parseModuleText(text, "snmp.yml", set, options);
  } catch (const ModuleConfigException& e) {
    reported.message = e.message();
    std::istringstream in(reported.message);
    for (std::string line; std::getline(in, line);) {
      reported.lines.push_back(line);
    }
  }
  return reported;
}

ModuleSet parsed(const std::string& text, const ModuleLoadOptions& options = {}) {
  ModuleSet set;
  try {
    parseModuleText(text, "snmp.yml", set, options);
  } catch (const ModuleConfigException& e) {
    CPPUNIT_FAIL("unexpected problems:\n" + e.message());
  }
  return set;
}

bool startsWith(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

/// Asserts that `problems` has exactly `expected.size()` lines, each starting with the expected
/// "file:line: path: message" prefix in that order.
void assertProblems(const std::vector<std::string>& expected, const Reported& reported) {
  CPPUNIT_ASSERT_EQUAL_MESSAGE(reported.message, expected.size(), reported.lines.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    CPPUNIT_ASSERT_MESSAGE("expected: " + expected[i] + "\nall:\n" + reported.message,
                           startsWith(reported.lines[i], expected[i]));
  }
}

/// A temporary directory, removed with its files at the end of the scope.
class ScratchDir {
 public:
  ScratchDir() { dir_.createDirectories(); }
  std::string write(const std::string& name, const std::string& text) const {
    std::string path = dir_.path() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  std::string path() const { return dir_.path(); }

 private:
  Poco::TemporaryFile dir_;
};

const char* const kMinimalModule =
    "modules:\n"
    "  m:\n"
    "    walk: [1.3.6.1.2.1.1]\n"
    "    metrics:\n"
    "    - name: sysUpTime\n"
    "      oid: 1.3.6.1.2.1.1.3\n"
    "      type: gauge\n";

}  // namespace

class ModuleLoaderTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ModuleLoaderTest);
  CPPUNIT_TEST(testCurrentFormatEveryKey);
  CPPUNIT_TEST(testDefaults);
  CPPUNIT_TEST(testFlatFormat);
  CPPUNIT_TEST(testFormatsDoNotMix);
  CPPUNIT_TEST(testDropSourceIndexes);
  CPPUNIT_TEST(testRegexAnchoring);
  CPPUNIT_TEST(testScalarsAsYamlV2ReadsThem);
  CPPUNIT_TEST(testTimeoutIsAGoDuration);
  CPPUNIT_TEST(testErrorsNameFileLineAndKeyPath);
  CPPUNIT_TEST(testWrongYamlTypes);
  CPPUNIT_TEST(testTypesAndIndexTypes);
  CPPUNIT_TEST(testNamedOidRefused);
  CPPUNIT_TEST(testBadRegexHasItsPosition);
  CPPUNIT_TEST(testMissingKeys);
  CPPUNIT_TEST(testDuplicateKeys);
  CPPUNIT_TEST(testYamlSyntaxErrorHasItsLine);
  CPPUNIT_TEST(testProblemsAreOneLineOfValidUtf8);
  CPPUNIT_TEST(testSecondDocumentRefused);
  CPPUNIT_TEST(testEmptyFileHasNoModules);
  CPPUNIT_TEST(testAliases);
  CPPUNIT_TEST(testAliasesCannotExpandWithoutBound);
  CPPUNIT_TEST(testManyAliasesLoadInLinearTime);
  CPPUNIT_TEST(testV3AuthChecks);
  CPPUNIT_TEST(testAuthVersion);
  CPPUNIT_TEST(testEnvironmentExpansion);
  CPPUNIT_TEST(testEnvironmentExpansionMissingVariable);
  CPPUNIT_TEST(testGlobsInOrder);
  CPPUNIT_TEST(testPatternMatchingNothing);
  CPPUNIT_TEST(testDuplicateNamesAcrossFiles);
  CPPUNIT_TEST(testParseIntoSetLeavesItOnError);
  CPPUNIT_TEST(testAllProblemsOfAllFilesTogether);
  CPPUNIT_TEST(testDescribeModuleFiles);
  CPPUNIT_TEST_SUITE_END();

 public:
  // config.go (HEAD): Config{Auths, Modules, Version}, Auth, Module with WalkParams inline,
  // DynamicFilter, Metric, Index, Lookup, RegexpExtract; generator/FORMAT.md.
  void testCurrentFormatEveryKey() {
    const ModuleSet set = parsed(R"(version: 2
auths:
  public_v1:
    version: 1
    community: secret1
  v3_priv:
    version: 3
    security_level: authPriv
    username: alice
    password: authpass
    auth_protocol: SHA256
    priv_protocol: AES256C
    priv_password: privpass
    context_name: vrf-a
modules:
  if_mib:
    walk:
    - 1.3.6.1.2.1.2
    - .1.3.6.1.2.1.31.1.1
    get:
    - 1.3.6.1.2.1.1.3.0
    max_repetitions: 50
    retries: 0
    timeout: 1m30s
    use_unconnected_udp_socket: true
    allow_nonincreasing_oids: yes
    filters:
    - oid: 1.3.6.1.2.1.2.2.1.7
      targets:
      - 1.3.6.1.2.1.2.2.1.10
      values: ["1", "2"]
    metrics:
    - name: ifHCInOctets
      oid: 1.3.6.1.2.1.31.1.1.1.6
      type: counter
      help: The total number of octets received on the interface
      indexes:
      - labelname: ifIndex
        type: gauge
      lookups:
      - labels: [ifIndex]
        labelname: ifDescr
        oid: 1.3.6.1.2.1.2.2.1.2
        type: DisplayString
    - name: someTable
      oid: 1.3.6.1.4.1.9.9.1.1.1
      type: EnumAsStateSet
      help: |
        two lines
        of help
      indexes:
      - labelname: addrType
        type: gauge
      - labelname: addr
        type: InetAddress
      - labelname: name
        type: DisplayString
        fixed_size: 8
        implied: true
        enum_values: {1: one}
      lookups:
      - labels: [addrType, addr]
        labelname: peerName
        oid: 1.3.6.1.4.1.9.9.1.1.2
        type: EnumAsInfo
        display_hint: 255a
        enum_values:
          1: up
          2: down
      regex_extracts:
        Temp:
        - regex: ([0-9]+)C
        - regex: (.*)
          value: "1"
      enum_values:
        -1: unknown
        0x10: sixteen
        2: true
      scale: 0.125
      offset: -273.15
      datetime_pattern: "%Y-%m-%d"
      display_hint: 1d
)");
    CPPUNIT_ASSERT_EQUAL(size_t{2}, set.auths.size());
    const ModuleAuth& v1 = *set.auth("public_v1");
    CPPUNIT_ASSERT_EQUAL(1, v1.version);
    CPPUNIT_ASSERT_EQUAL(std::string("secret1"), v1.community.reveal());
    CPPUNIT_ASSERT_EQUAL(std::string("snmp.yml:3"), v1.position.str());
    const ModuleAuth& v3 = *set.auth("v3_priv");
    CPPUNIT_ASSERT_EQUAL(3, v3.version);
    CPPUNIT_ASSERT_EQUAL(std::string("authPriv"), v3.securityLevel);
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), v3.username);
    CPPUNIT_ASSERT_EQUAL(std::string("authpass"), v3.password.reveal());
    CPPUNIT_ASSERT_EQUAL(std::string("SHA256"), v3.authProtocol);
    CPPUNIT_ASSERT_EQUAL(std::string("AES256C"), v3.privProtocol);
    CPPUNIT_ASSERT_EQUAL(std::string("privpass"), v3.privPassword.reveal());
    CPPUNIT_ASSERT_EQUAL(std::string("vrf-a"), v3.contextName);

    CPPUNIT_ASSERT_EQUAL(size_t{1}, set.modules.size());
    const Module& m = *set.module("if_mib");
    CPPUNIT_ASSERT_EQUAL(std::string("if_mib"), m.name);
    CPPUNIT_ASSERT_EQUAL(std::string("snmp.yml:16"), m.position.str());
    CPPUNIT_ASSERT(!m.embeddedAuth);
    CPPUNIT_ASSERT_EQUAL(size_t{2}, m.walk.size());
    CPPUNIT_ASSERT_EQUAL(std::string("1.3.6.1.2.1.2"), m.walk[0].str());
    CPPUNIT_ASSERT_EQUAL(std::string("1.3.6.1.2.1.31.1.1"), m.walk[1].str());
    CPPUNIT_ASSERT_EQUAL(size_t{1}, m.get.size());
    CPPUNIT_ASSERT_EQUAL(std::string("1.3.6.1.2.1.1.3.0"), m.get[0].str());
    CPPUNIT_ASSERT_EQUAL(uint32_t{50}, m.walkParams.maxRepetitions);
    CPPUNIT_ASSERT_EQUAL(0, m.walkParams.retries);
    CPPUNIT_ASSERT_EQUAL(int64_t{90000}, int64_t{m.walkParams.timeout.count()});
    CPPUNIT_ASSERT(m.walkParams.useUnconnectedUdpSocket);
    CPPUNIT_ASSERT(m.walkParams.allowNonincreasingOids);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, m.filters.size());
    CPPUNIT_ASSERT_EQUAL(std::string("1.3.6.1.2.1.2.2.1.7"), m.filters[0].oid.str());
    CPPUNIT_ASSERT_EQUAL(size_t{1}, m.filters[0].targets.size());
    CPPUNIT_ASSERT_EQUAL(std::string("1.3.6.1.2.1.2.2.1.10"), m.filters[0].targets[0].str());
    CPPUNIT_ASSERT_EQUAL(size_t{2}, m.filters[0].values.size());
    CPPUNIT_ASSERT_EQUAL(std::string("2"), m.filters[0].values[1].pattern);

    CPPUNIT_ASSERT_EQUAL(size_t{2}, m.metrics.size());
    const ModuleMetric& octets = m.metrics[0];
    CPPUNIT_ASSERT_EQUAL(std::string("ifHCInOctets"), octets.name);
    CPPUNIT_ASSERT_EQUAL(std::string("1.3.6.1.2.1.31.1.1.1.6"), octets.oid.str());
    CPPUNIT_ASSERT(octets.type == ValueType::Counter);
    CPPUNIT_ASSERT_EQUAL(std::string("The total number of octets received on the interface"),
                         octets.help);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, octets.indexes.size());
    CPPUNIT_ASSERT_EQUAL(std::string("ifIndex"), octets.indexes[0].labelname);
    CPPUNIT_ASSERT(octets.indexes[0].type == ValueType::Gauge);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, octets.lookups.size());
    CPPUNIT_ASSERT(octets.lookups[0].labels == std::vector<std::string>{"ifIndex"});
    CPPUNIT_ASSERT_EQUAL(std::string("ifDescr"), octets.lookups[0].labelname);
    CPPUNIT_ASSERT_EQUAL(std::string("1.3.6.1.2.1.2.2.1.2"), octets.lookups[0].oid.str());
    CPPUNIT_ASSERT(octets.lookups[0].type == ValueType::DisplayString);

    const ModuleMetric& table = m.metrics[1];
    CPPUNIT_ASSERT(table.type == ValueType::EnumAsStateSet);
    CPPUNIT_ASSERT_EQUAL(std::string("two lines\nof help\n"), table.help);
    CPPUNIT_ASSERT_EQUAL(size_t{3}, table.indexes.size());
    CPPUNIT_ASSERT(table.indexes[1].type == ValueType::InetAddress);
    const MetricIndex& name = table.indexes[2];
    CPPUNIT_ASSERT(name.type == ValueType::DisplayString);
    CPPUNIT_ASSERT_EQUAL(8, name.fixedSize);
    CPPUNIT_ASSERT(name.implied);
    CPPUNIT_ASSERT(name.enumValues == (EnumValues{{1, "one"}}));
    const MetricLookup& peer = table.lookups.at(0);
    CPPUNIT_ASSERT(peer.labels == (std::vector<std::string>{"addrType", "addr"}));
    CPPUNIT_ASSERT(peer.type == ValueType::EnumAsInfo);
    CPPUNIT_ASSERT_EQUAL(std::string("255a"), peer.displayHint);
    CPPUNIT_ASSERT(peer.enumValues == (EnumValues{{1, "up"}, {2, "down"}}));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, table.regexExtracts.size());
    const std::vector<RegexExtract>& temp = table.regexExtracts.at("Temp");
    CPPUNIT_ASSERT_EQUAL(size_t{2}, temp.size());
    CPPUNIT_ASSERT_EQUAL(std::string("([0-9]+)C"), temp[0].regex.pattern);
    CPPUNIT_ASSERT_EQUAL(std::string("$1"), temp[0].value);  // DefaultRegexpExtract
    CPPUNIT_ASSERT_EQUAL(std::string("1"), temp[1].value);
    // yaml.v2 reads any scalar into a string: `2: true` names the value 2 "true".
    CPPUNIT_ASSERT(table.enumValues == (EnumValues{{-1, "unknown"}, {16, "sixteen"}, {2, "true"}}));
    CPPUNIT_ASSERT_DOUBLES_EQUAL(0.125, table.scale, 0);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(-273.15, table.offset, 1e-12);
    CPPUNIT_ASSERT_EQUAL(std::string("%Y-%m-%d"), table.datetimePattern);
    CPPUNIT_ASSERT_EQUAL(std::string("1d"), table.displayHint);
    CPPUNIT_ASSERT(set.files == std::vector<std::string>{"snmp.yml"});
  }

  // config.go: DefaultAuth (public, noAuthNoPriv, MD5, DES, version 2), DefaultWalkParams
  // (max_repetitions 25, retries 3, timeout 5s, both booleans false), DefaultRegexpExtract ($1).
  void testDefaults() {
    const ModuleSet set = parsed(std::string(kMinimalModule) +
                                 "auths:\n"
                                 "  bare:\n"
                                 "  empty_map: {}\n");
    for (const char* name : {"bare", "empty_map"}) {
      const ModuleAuth& auth = *set.auth(name);
      CPPUNIT_ASSERT_EQUAL(2, auth.version);
      CPPUNIT_ASSERT_EQUAL(std::string("public"), auth.community.reveal());
      CPPUNIT_ASSERT_EQUAL(std::string("noAuthNoPriv"), auth.securityLevel);
      CPPUNIT_ASSERT_EQUAL(std::string("MD5"), auth.authProtocol);
      CPPUNIT_ASSERT_EQUAL(std::string("DES"), auth.privProtocol);
      CPPUNIT_ASSERT(auth.username.empty() && auth.contextName.empty());
      CPPUNIT_ASSERT(!auth.password.isSet() && !auth.privPassword.isSet());
    }
    const Module& m = *set.module("m");
    CPPUNIT_ASSERT_EQUAL(uint32_t{25}, m.walkParams.maxRepetitions);
    CPPUNIT_ASSERT_EQUAL(3, m.walkParams.retries);
    CPPUNIT_ASSERT_EQUAL(int64_t{5000}, int64_t{m.walkParams.timeout.count()});
    CPPUNIT_ASSERT(!m.walkParams.useUnconnectedUdpSocket);
    CPPUNIT_ASSERT(!m.walkParams.allowNonincreasingOids);
    CPPUNIT_ASSERT(m.get.empty() && m.filters.empty());
    const ModuleMetric& metric = m.metrics.at(0);
    CPPUNIT_ASSERT(metric.help.empty() && metric.indexes.empty() && metric.lookups.empty());
    CPPUNIT_ASSERT(metric.regexExtracts.empty() && metric.enumValues.empty());
    CPPUNIT_ASSERT_DOUBLES_EQUAL(0.0, metric.scale, 0);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(0.0, metric.offset, 0);

    const ModuleSet lookups = parsed(
        "modules:\n  m:\n    metrics:\n    - name: a\n      oid: 1.1\n      type: gauge\n"
        "      regex_extracts: {X: [{regex: .*}]}\n"
        "      lookups: [{labels: [i], labelname: d, oid: 1.2}]\n");
    const ModuleMetric& a = lookups.module("m")->metrics.at(0);
    CPPUNIT_ASSERT(!a.lookups.at(0).type);
    CPPUNIT_ASSERT_EQUAL(std::string("$1"), a.regexExtracts.at("X").at(0).value);
  }

  // The flat format of 0.21 (v0.21.0 config.go): Config is map[string]*Module; WalkParams holds
  // version and auth, defaulting to version 2 and DefaultAuth.
  void testFlatFormat() {
    const ModuleSet set = parsed(R"(if_mib:
  version: 3
  max_repetitions: 10
  retries: 1
  timeout: 500ms
  auth:
    security_level: authNoPriv
    username: bob
    password: pw
    auth_protocol: SHA
    context_name: ctx
  walk: [1.3.6.1.2.1.2]
  metrics:
  - name: ifNumber
    oid: 1.3.6.1.2.1.2.1
    type: gauge
system:
  walk: [1.3.6.1.2.1.1]
old_v1:
  version: 1
  auth:
    community: private
  get: [1.3.6.1.2.1.1.5.0]
)");
    CPPUNIT_ASSERT(set.auths.empty());
    CPPUNIT_ASSERT_EQUAL(size_t{3}, set.modules.size());
    const Module& ifMib = *set.module("if_mib");
    CPPUNIT_ASSERT_EQUAL(uint32_t{10}, ifMib.walkParams.maxRepetitions);
    CPPUNIT_ASSERT_EQUAL(1, ifMib.walkParams.retries);
    CPPUNIT_ASSERT_EQUAL(int64_t{500}, int64_t{ifMib.walkParams.timeout.count()});
    CPPUNIT_ASSERT_EQUAL(std::string("ifNumber"), ifMib.metrics.at(0).name);
    CPPUNIT_ASSERT(ifMib.embeddedAuth);
    const ModuleAuth& auth = *ifMib.embeddedAuth;
    CPPUNIT_ASSERT_EQUAL(std::string("if_mib"), auth.name);
    CPPUNIT_ASSERT_EQUAL(3, auth.version);
    CPPUNIT_ASSERT_EQUAL(std::string("authNoPriv"), auth.securityLevel);
    CPPUNIT_ASSERT_EQUAL(std::string("bob"), auth.username);
    CPPUNIT_ASSERT_EQUAL(std::string("pw"), auth.password.reveal());
    CPPUNIT_ASSERT_EQUAL(std::string("SHA"), auth.authProtocol);
    CPPUNIT_ASSERT_EQUAL(std::string("DES"), auth.privProtocol);
    CPPUNIT_ASSERT_EQUAL(std::string("ctx"), auth.contextName);

    const ModuleAuth& defaults = *set.module("system")->embeddedAuth;
    CPPUNIT_ASSERT_EQUAL(2, defaults.version);
    CPPUNIT_ASSERT_EQUAL(std::string("public"), defaults.community.reveal());
    CPPUNIT_ASSERT_EQUAL(std::string("noAuthNoPriv"), defaults.securityLevel);
    CPPUNIT_ASSERT_EQUAL(std::string("snmp.yml:17"), set.module("system")->position.str());

    const ModuleAuth& v1 = *set.module("old_v1")->embeddedAuth;
    CPPUNIT_ASSERT_EQUAL(1, v1.version);
    CPPUNIT_ASSERT_EQUAL(std::string("private"), v1.community.reveal());
    CPPUNIT_ASSERT_EQUAL(std::string("1.3.6.1.2.1.1.5.0"), set.module("old_v1")->get.at(0).str());
  }

  // The current format has no per-module version or auth (0.23, auth-split-migration.md), and
  // the 0.21 auth has no version of its own (v0.21.0 config.go Auth).
  void testFormatsDoNotMix() {
    assertProblems({"snmp.yml:4: modules.m.version: unknown key: in this format",
                    "snmp.yml:5: modules.m.auth: unknown key: in this format"},
                   problemsOf("modules:\n  m:\n    walk: [1.3.6.1.2.1.1]\n    version: 2\n"
                              "    auth: {community: x}\n"));
    assertProblems({"snmp.yml:4: m.auth.version: unknown key (an auth has community"},
                   problemsOf("m:\n  walk: [1.3.6.1.2.1.1]\n  auth:\n    version: 2\n"));
    // Only auths at the top: still the current format (no modules).
    const ModuleSet onlyAuths = parsed("auths:\n  a:\n    community: c\n");
    CPPUNIT_ASSERT(onlyAuths.modules.empty());
    CPPUNIT_ASSERT_EQUAL(size_t{1}, onlyAuths.auths.size());
    // Anything else at the top of the current format is refused.
    assertProblems({"snmp.yml:2: colour: unknown top-level key"},
                   problemsOf("modules: {}\ncolour: blue\n"));
  }

  // generator/tree.go: drop_source_indexes becomes one label-less lookup per source index,
  // appended after the metric's lookups; collector.go deletes the label of such a lookup.
  void testDropSourceIndexes() {
    const ModuleSet set = parsed(R"(modules:
  m:
    metrics:
    - name: peerState
      oid: 1.3.6.1.4.1.9.9.1.1.3
      type: gauge
      indexes:
      - {labelname: addrType, type: gauge}
      - {labelname: addr, type: InetAddress}
      lookups:
      - labels: [addrType, addr]
        labelname: peerName
        oid: 1.3.6.1.4.1.9.9.1.1.2
        drop_source_indexes: true
      - labels: [addr]
        labelname: peerAs
        oid: 1.3.6.1.4.1.9.9.1.1.4
        drop_source_indexes: false
)");
    const std::vector<MetricLookup>& lookups = set.module("m")->metrics.at(0).lookups;
    CPPUNIT_ASSERT_EQUAL(size_t{4}, lookups.size());
    CPPUNIT_ASSERT_EQUAL(std::string("peerName"), lookups[0].labelname);
    CPPUNIT_ASSERT_EQUAL(std::string("peerAs"), lookups[1].labelname);
    CPPUNIT_ASSERT_EQUAL(std::string("addrType"), lookups[2].labelname);
    CPPUNIT_ASSERT(lookups[2].labels.empty());
    CPPUNIT_ASSERT_EQUAL(std::string("addr"), lookups[3].labelname);
    CPPUNIT_ASSERT(lookups[3].labels.empty());
  }

  // config.go Regexp.UnmarshalYAML compiles "^(?:" + s + ")$"; collector.go filterAllowedIndices
  // matches filter values with regexp.MatchString, unanchored.
  void testRegexAnchoring() {
    const ModuleSet set = parsed(R"(modules:
  m:
    filters:
    - oid: 1.3.6.1.2.1.2.2.1.2
      values: ["eth"]
    metrics:
    - name: temp
      oid: 1.3.6.1.4.1.1.1
      type: DisplayString
      regex_extracts:
        Celsius:
        - regex: '[0-9]+'
)");
    const Module& m = *set.module("m");
    const RE2& extract = *m.metrics.at(0).regexExtracts.at("Celsius").at(0).regex.regex;
    CPPUNIT_ASSERT(RE2::PartialMatch("42", extract));
    CPPUNIT_ASSERT(!RE2::PartialMatch("42C", extract));
    CPPUNIT_ASSERT(!RE2::PartialMatch("t42", extract));
    const RE2& filter = *m.filters.at(0).values.at(0).regex;
    CPPUNIT_ASSERT(RE2::PartialMatch("veth0", filter));
    CPPUNIT_ASSERT(!RE2::PartialMatch("lo", filter));
    // An empty regex is the empty pattern: anchored, it matches only the empty value.
    const ModuleSet empty = parsed(
        "modules:\n  m:\n    metrics:\n    - name: a\n      oid: 1.1\n      type: gauge\n"
        "      regex_extracts: {T: [{regex: }]}\n");
    const CompiledRegex& none = empty.module("m")->metrics.at(0).regexExtracts.at("T").at(0).regex;
    CPPUNIT_ASSERT(none.pattern.empty());
    CPPUNIT_ASSERT(RE2::FullMatch("", *none.regex) && !RE2::PartialMatch("x", *none.regex));
  }

  // yaml.v2 resolves integers with strconv.ParseInt(base 0) after dropping '_', booleans in
  // YAML 1.1 spellings, and an empty value as the zero value.
  void testScalarsAsYamlV2ReadsThem() {
    const ModuleSet set = parsed(R"(modules:
  m:
    max_repetitions: 0x20
    retries: 0o7
    use_unconnected_udp_socket: On
    allow_nonincreasing_oids: n
    get:
    metrics:
    - name: a
      oid: 1.1
      type: gauge
      enum_values: {1_000: thousand, 010: eight, 0b11: three, +4: four}
      scale:
)");
    const Module& m = *set.module("m");
    CPPUNIT_ASSERT_EQUAL(uint32_t{32}, m.walkParams.maxRepetitions);
    CPPUNIT_ASSERT_EQUAL(7, m.walkParams.retries);
    CPPUNIT_ASSERT(m.walkParams.useUnconnectedUdpSocket);
    CPPUNIT_ASSERT(!m.walkParams.allowNonincreasingOids);
    CPPUNIT_ASSERT(m.get.empty());
    CPPUNIT_ASSERT(m.metrics.at(0).enumValues ==
                   (EnumValues{{1000, "thousand"}, {8, "eight"}, {3, "three"}, {4, "four"}}));
    CPPUNIT_ASSERT_DOUBLES_EQUAL(0.0, m.metrics.at(0).scale, 0);
    assertProblems(
        {"snmp.yml:3: modules.m.max_repetitions: \"lots\" is not an integer",
         "snmp.yml:4: modules.m.retries: -1 is out of range (0 to 2147483647)",
         "snmp.yml:5: modules.m.use_unconnected_udp_socket: \"maybe\" is not true or false",
         "snmp.yml:6: modules.m.max_repetitions: given twice in the same mapping",
         "snmp.yml:10: modules.m.metrics[0].scale: \"1/8\" is not a number",
         "snmp.yml:11: modules.m.metrics[0].enum_values.x: \"x\" is not an integer",
         "snmp.yml:11: modules.m.metrics[0].enum_values.01: the value 1 is named twice"},
        problemsOf(R"(modules:
  m:
    max_repetitions: lots
    retries: -1
    use_unconnected_udp_socket: maybe
    max_repetitions: 4294967296
    metrics:
    - name: a
      oid: 1.1
      scale: 1/8
      enum_values: {1: a, x: b, 01: c}
      type: gauge
)"));
  }

  // config.go WalkParams.Timeout is a time.Duration: yaml.v2 reads it with time.ParseDuration.
  void testTimeoutIsAGoDuration() {
    auto timeout = [](const std::string& text) {
      return parsed("modules:\n  m:\n    timeout: " + text + "\n")
          .module("m")
          ->walkParams.timeout.count();
    };
    CPPUNIT_ASSERT_EQUAL(int64_t{5000}, int64_t{timeout("5s")});
    CPPUNIT_ASSERT_EQUAL(int64_t{500}, int64_t{timeout("500ms")});
    CPPUNIT_ASSERT_EQUAL(int64_t{90000}, int64_t{timeout("1m30s")});
    CPPUNIT_ASSERT_EQUAL(int64_t{1500}, int64_t{timeout("1.5s")});
    CPPUNIT_ASSERT_EQUAL(int64_t{5400000}, int64_t{timeout("1.5h")});
    CPPUNIT_ASSERT_EQUAL(int64_t{1}, int64_t{timeout("250us")});  // rounded up, never 0
    CPPUNIT_ASSERT_EQUAL(int64_t{2}, int64_t{timeout("1500\xC2\xB5s")});
    for (const char* bad : {"5", "5 s", "5sec", "s", "1.s5", ".s"}) {
      const auto p = problemsOf(std::string("modules:\n  m:\n    timeout: ") + bad + "\n");
      assertProblems({"snmp.yml:3: modules.m.timeout: \"" + std::string(bad) +
                      "\" is not a duration (Go syntax with a unit: 5s, 500ms, 1m30s)"},
                     p);
    }
    for (const char* bad : {"0", "0s", "-1s"}) {
      assertProblems({"snmp.yml:3: modules.m.timeout: must be more than 0"},
                     problemsOf(std::string("modules:\n  m:\n    timeout: ") + bad + "\n"));
    }
  }

  void testErrorsNameFileLineAndKeyPath() {
    assertProblems(
        {"snmp.yml:4: modules.if_mib.colour: unknown key (a module has walk, get, metrics",
         "snmp.yml:10: modules.if_mib.metrics[1].oid: \"ifDescr\" is not a numeric OID",
         "snmp.yml:15: modules.if_mib.metrics[2].indexes: must be a list, not a mapping",
         "snmp.yml:21: modules.if_mib.metrics[3].indexes[0].type: unknown type \"Foo\"",
         "snmp.yml:22: modules.if_mib.max_repetitions: \"lots\" is not an integer"},
        problemsOf(R"(modules:
  if_mib:
    walk: [1.3.6.1.2.1.2]
    colour: blue
    metrics:
    - name: a
      oid: 1.3.6.1.2.1.2.2.1.1
      type: gauge
    - name: b
      oid: ifDescr
      type: gauge
    - name: c
      oid: 1.3.6.1.2.1.2.2.1.3
      type: gauge
      indexes: {labelname: ifIndex}
    - name: d
      oid: 1.3.6.1.2.1.2.2.1.4
      type: gauge
      indexes:
      - labelname: ifIndex
        type: Foo
    max_repetitions: lots
)"));
  }

  void testWrongYamlTypes() {
    assertProblems({"snmp.yml:1: auths: must be a mapping, not a list"},
                   problemsOf("auths: [a, b]\nmodules: {}\n"));
    assertProblems({"snmp.yml:2: modules.m: a module must be a mapping, not a list"},
                   problemsOf("modules:\n  m: [1.3.6.1]\n"));
    assertProblems({"snmp.yml:3: modules.m.walk: must be a list, not the value \"1.3.6.1\""},
                   problemsOf("modules:\n  m:\n    walk: 1.3.6.1\n"));
    assertProblems({"snmp.yml:5: modules.m.metrics[0]: must be a mapping, not the value \"x\""},
                   problemsOf("modules:\n  m:\n    walk: []\n    metrics:\n    - x\n"));
    assertProblems({"snmp.yml:6: modules.m.metrics[0].help: must be a string, not a list"},
                   problemsOf("modules:\n  m:\n    metrics:\n    - name: a\n      oid: 1.1\n"
                              "      help: [a]\n      type: gauge\n"));
    assertProblems({"snmp.yml:1: the top level must be a mapping"}, problemsOf("- a\n- b\n"));
    assertProblems({"snmp.yml:3: auths.a.password: must be a string, not a mapping"},
                   problemsOf("auths:\n  a:\n    password: {x: y}\n"));
  }

  // The types of the issue and of generator/README.md; index types limited to config.go's
  // RenderableIndexTypes (Index.UnmarshalYAML, #1653).
  void testTypesAndIndexTypes() {
    for (const char* type :
         {"gauge", "counter", "OctetString", "DisplayString", "PhysAddress48", "Float", "Double",
          "InetAddressIPv4", "InetAddressIPv6", "InetAddress", "InetAddressMissingSize", "IpAddr",
          "EnumAsInfo", "EnumAsStateSet", "Bits", "DateAndTime", "ParseDateAndTime", "NTPTimeStamp",
          "LldpPortId"}) {
      const ModuleSet set = parsed(std::string("modules:\n  m:\n    metrics:\n    - name: a\n"
                                               "      oid: 1.1\n      type: ") +
                                   type + "\n");
      CPPUNIT_ASSERT_EQUAL(std::string(type),
                           std::string(valueTypeName(set.module("m")->metrics.at(0).type)));
    }
    for (const char* type : {"Integer32", "Integer", "gauge", "counter", "PhysAddress48",
                             "OctetString", "DisplayString", "InetAddressIPv4", "InetAddressIPv6",
                             "InetAddress", "InetAddressMissingSize", "LldpPortId", "EnumAsInfo"}) {
      const ModuleSet set = parsed(
          std::string("modules:\n  m:\n    metrics:\n    - name: a\n      oid: 1.1\n"
                      "      type: gauge\n      indexes:\n      - labelname: i\n        type: ") +
          type + "\n");
      CPPUNIT_ASSERT_EQUAL(
          std::string(type),
          std::string(valueTypeName(set.module("m")->metrics.at(0).indexes.at(0).type)));
    }
    const std::string head = "modules:\n  m:\n    metrics:\n    - name: a\n      oid: 1.1\n";
    for (const char* type : {"Bits", "DateAndTime", "Float", "EnumAsStateSet", "IpAddr"}) {
      assertProblems({"snmp.yml:9: modules.m.metrics[0].indexes[0].type: type \"" +
                      std::string(type) + "\" cannot be an index type"},
                     problemsOf(head +
                                "      type: gauge\n      indexes:\n      - labelname: i\n"
                                "        type: " +
                                type + "\n"));
    }
    assertProblems({"snmp.yml:6: modules.m.metrics[0].type: type \"Integer32\" is an index type"},
                   problemsOf(head + "      type: Integer32\n"));
    assertProblems({"snmp.yml:6: modules.m.metrics[0].type: unknown type \"gauge32\""},
                   problemsOf(head + "      type: gauge32\n"));
    assertProblems({"snmp.yml:8: modules.m.metrics[0].lookups[0].type: unknown type \"String\""},
                   problemsOf(head + "      type: gauge\n      lookups:\n      - {labels: [i], "
                                     "labelname: d, oid: 1.2, type: String}\n"));
  }

  // The exporter never reads MIBs (reference §1.5): module files hold numeric OIDs.
  void testNamedOidRefused() {
    const auto p = problemsOf(
        "modules:\n  m:\n    walk:\n    - 1.3.6.1.2.1.2\n    - ifXTable\n"
        "    get: [1.3.6.1.2.1.1.3.x]\n");
    assertProblems({"snmp.yml:5: modules.m.walk[1]: \"ifXTable\" is not a numeric OID (module "
                    "files hold numbers",
                    "snmp.yml:6: modules.m.get[0]: \"1.3.6.1.2.1.1.3.x\" is not a numeric OID"},
                   p);
  }

  void testBadRegexHasItsPosition() {
    const auto p = problemsOf(R"(modules:
  m:
    filters:
    - oid: 1.1
      values: ["(eth"]
    metrics:
    - name: a
      oid: 1.1
      type: gauge
      regex_extracts:
        X:
        - regex: 'ab[z-a]'
)");
    assertProblems({"snmp.yml:5: modules.m.filters[0].values[0]: invalid regular expression "
                    "\"(eth\": missing ): (eth (at offset 0)",
                    "snmp.yml:12: modules.m.metrics[0].regex_extracts.X[0].regex: invalid "
                    "regular expression \"ab[z-a]\": invalid character class range: z-a (at "
                    "offset 3)"},
                   p);
  }

  void testMissingKeys() {
    assertProblems({"snmp.yml:4: modules.m.metrics[0]: missing key \"oid\"",
                    "snmp.yml:4: modules.m.metrics[0]: missing key \"type\"",
                    "snmp.yml:6: modules.m.metrics[1]: missing key \"name\"",
                    "snmp.yml:9: modules.m.metrics[1].indexes[0]: missing key \"type\"",
                    "snmp.yml:11: modules.m.metrics[1].indexes[1]: missing key \"labelname\"",
                    "snmp.yml:13: modules.m.metrics[1].lookups[0]: missing key \"oid\" (the",
                    "snmp.yml:15: modules.m.metrics[1].lookups[1]: missing key \"labelname\"",
                    "snmp.yml:19: modules.m.metrics[1].regex_extracts.X[0]: missing key \"regex\"",
                    "snmp.yml:21: modules.m.filters[0]: missing key \"oid\""},
                   problemsOf(R"(modules:
  m:
    metrics:
    - name: a
      help: no oid, no type
    - oid: 1.1
      type: gauge
      indexes:
      - labelname: i
        fixed_size: 4
      - type: gauge
      lookups:
      - labels: [i]
        labelname: d
      - labels: []
      - labelname: ok
      regex_extracts:
        X:
        - value: "1"
    filters:
    - targets: [1.2]
)"));
    // A lookup without labels deletes its label (collector.go): no oid needed.
    const ModuleSet set = parsed(
        "modules:\n  m:\n    metrics:\n    - name: a\n      oid: 1.1\n      type: gauge\n"
        "      lookups: [{labelname: gone}]\n");
    CPPUNIT_ASSERT(set.module("m")->metrics.at(0).lookups.at(0).labels.empty());
  }

  // yaml.UnmarshalStrict refuses a key given twice in one mapping.
  void testDuplicateKeys() {
    assertProblems({"snmp.yml:4: modules.m: given twice in the same mapping",
                    "snmp.yml:8: modules.n.walk: given twice in the same mapping"},
                   problemsOf("modules:\n  m:\n    walk: [1.1]\n  m:\n    walk: [1.2]\n"
                              "  n:\n    walk: [1.1]\n    walk: [1.2]\n"));
  }

  void testYamlSyntaxErrorHasItsLine() {
    assertProblems({"snmp.yml:4: YAML: "},
                   problemsOf("modules:\n  m:\n    walk: [1.3.6.1\n    get: [1.1]\n  n: {\n"));
    assertProblems({"snmp.yml:2: YAML: "}, problemsOf("modules:\n\tm: {}\n"));
  }

  // Each problem is one line of valid UTF-8 whatever bytes the file holds (they are logged, and
  // --config.check prints them): a key or value with a line break or a control character, a raw
  // invalid byte, and yaml-cpp's own message, which quotes the character it stopped at (the
  // last input, found by fuzz_module_file, once gave "unknown escape character: " and a line
  // break).
  void testProblemsAreOneLineOfValidUtf8() {
    assertProblems({"snmp.yml:1: a\\nb\\x01\\t: unknown top-level key"},
                   problemsOf("\"a\\nb\\x01\\t\": 1\nmodules: {}\n"));
    assertProblems({"snmp.yml:3: modules.m.walk[0]: \"1.1\\r\\n2\" is not a numeric OID"},
                   problemsOf("modules:\n  m:\n    walk: [\"1.1\\r\\n2\"]\n"));
    for (const std::string& text :
         {std::string("modules:\n  m:\n    walk: [1.\xff]\n"), std::string("\xff\x00\n", 3),
          std::string("modules: {}\n\xc3: 1\n")}) {
      const Reported p = problemsOf(text);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(p.message, size_t{1}, p.lines.size());
      CPPUNIT_ASSERT_MESSAGE(p.message, startsWith(p.lines[0], "snmp.yml:"));
      CPPUNIT_ASSERT_MESSAGE(p.message, common::isValidUtf8(p.message));
      for (const char c : p.message) {
        CPPUNIT_ASSERT_MESSAGE(p.message, static_cast<unsigned char>(c) >= 0x20);
      }
    }
  }

  // yaml.v2 reads only the first document; a second one is refused rather than ignored.
  void testSecondDocumentRefused() {
    assertProblems({"snmp.yml:8: a second YAML document: a module file holds one"},
                   problemsOf(std::string(kMinimalModule) + "---\nmodules: {}\n"));
  }

  void testEmptyFileHasNoModules() {
    for (const char* text : {"", "# only a comment\n", "---\n", "~\n", "modules:\nauths:\n"}) {
      const ModuleSet set = parsed(text);
      CPPUNIT_ASSERT(set.modules.empty() && set.auths.empty());
      CPPUNIT_ASSERT_EQUAL(size_t{1}, set.files.size());
    }
  }

  // yaml.v2 resolves anchors and aliases; a hand-written 0.21 file shares credentials that way.
  void testAliases() {
    const ModuleSet set = parsed(R"(m1:
  version: 3
  auth: &creds
    security_level: authNoPriv
    username: u
    password: p
  walk: &walks [1.3.6.1.2.1.1, 1.3.6.1.2.1.2]
m2:
  version: 3
  auth: *creds
  walk: *walks
)");
    const Module& m2 = *set.module("m2");
    CPPUNIT_ASSERT_EQUAL(std::string("u"), m2.embeddedAuth->username);
    CPPUNIT_ASSERT_EQUAL(std::string("p"), m2.embeddedAuth->password.reveal());
    CPPUNIT_ASSERT_EQUAL(size_t{2}, m2.walk.size());
    // A problem in what an alias names is reported where the alias is used.
    assertProblems({"snmp.yml:1: x: unknown top-level key", "snmp.yml:2: y: unknown top-level key",
                    "snmp.yml:5: modules.m.get: must be a list, not a mapping",
                    "snmp.yml:6: modules.n.walk[0]: \"a\" is not a numeric OID"},
                   problemsOf("x: &map {a: b}\ny: &oid a\nmodules:\n  m:\n    get: *map\n"
                              "  n: {walk: [*oid]}\n"));
  }

  // A few lines of aliases of aliases expand to a document of any size: refused past a bound in
  // events (half the file plus 100,000) and in scalar bytes (4 times the file plus 16 MiB). The
  // second: 1,000 copies of a 60,000-byte scalar, 60 MB from a 60 kB file (with three more
  // levels of aliases the loader once took 4 GB).
  void testAliasesCannotExpandWithoutBound() {
    std::string events = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    std::string bytes = "a: &a \"" + std::string(60000, 'x') + "\"\n";
    for (const char* level : {"b", "c", "d", "e"}) {
      std::string copies;
      for (int i = 0; i < 10; ++i) {
        copies += std::string(i > 0 ? ", " : "") + "*" + static_cast<char>(level[0] - 1);
      }
      events += std::string(level) + ": &" + level + " [" + copies + "]\n";
      if (level[0] <= 'd') {
        bytes += std::string(level) + ": &" + level + " [" + copies + "]\n";
      }
    }
    assertProblems({"snmp.yml:5: aliases expand to too large a document"}, problemsOf(events));
    assertProblems({"snmp.yml:4: aliases expand to too large a document"}, problemsOf(bytes));
  }

  // Each alias appends to the recorded events; growing them to the exact size at each one made
  // a file of many aliases load in quadratic time (200,000 aliases of one OID, a 1.8 MB file:
  // about 40 s; now well under a second, 10 s allowed for a loaded machine under ASan).
  void testManyAliasesLoadInLinearTime() {
    std::string text = "modules:\n  m:\n    get:\n    - &o 1.3.6.1.2.1.1.3.0\n";
    for (int i = 0; i < 200000; ++i) {
      text += "    - *o\n";
    }
    const auto start = std::chrono::steady_clock::now();
    const ModuleSet set = parsed(text);
    const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start);
    CPPUNIT_ASSERT_EQUAL(size_t{200001}, set.module("m")->get.size());
    CPPUNIT_ASSERT_EQUAL(std::string("1.3.6.1.2.1.1.3.0"), set.module("m")->get.back().str());
    CPPUNIT_ASSERT_MESSAGE(std::to_string(seconds.count()) + " s", seconds.count() < 10);
  }

  // config.go Auth.UnmarshalYAML: for version 3, authPriv needs priv_password and a known
  // priv_protocol, authPriv and authNoPriv need password and a known auth_protocol, every level
  // needs username, and the level must be one of the three. Versions 1 and 2 are not checked.
  void testV3AuthChecks() {
    assertProblems({"snmp.yml:2: auths.v3: password is missing, required for SNMPv3 with "
                    "authNoPriv"},
                   problemsOf("auths:\n  v3:\n    version: 3\n    security_level: authNoPriv\n"
                              "    username: u\n"));
    assertProblems(
        {"snmp.yml:2: auths.v3: username is missing, required for SNMPv3",
         "snmp.yml:6: auths.v3: priv_password is missing, required for SNMPv3 with authPriv",
         "snmp.yml:7: auths.v3: auth_protocol \"SHA1\" must be MD5, SHA, SHA224, SHA256, SHA384 "
         "or SHA512",
         "snmp.yml:8: auths.v3: priv_protocol \"AES512\" must be DES, AES, AES192, AES256, "
         "AES192C or AES256C"},
        problemsOf("auths:\n  v3:\n    version: 3\n    security_level: authPriv\n"
                   "    password: p\n    priv_password: \"\"\n    auth_protocol: SHA1\n"
                   "    priv_protocol: AES512\n"));
    assertProblems({"snmp.yml:4: auths.v3: security_level \"authpriv\" must be authPriv, "
                    "authNoPriv or noAuthNoPriv"},
                   problemsOf("auths:\n  v3:\n    version: 3\n    security_level: authpriv\n"
                              "    username: u\n"));
    // noAuthNoPriv needs only the username; v2 is not checked at all.
    parsed(
        "auths:\n  v3:\n    version: 3\n    username: u\n"
        "  v2:\n    security_level: bogus\n    auth_protocol: bogus\n");
    // The flat format's embedded auth is checked the same way, at the module.
    assertProblems({"snmp.yml:1: m: password is missing, required for SNMPv3 with authNoPriv"},
                   problemsOf("m:\n  version: 3\n  auth:\n    security_level: authNoPriv\n"
                              "    username: u\n  walk: [1.1]\n"));
  }

  void testAuthVersion() {
    assertProblems({"snmp.yml:3: auths.a: SNMP version must be 1, 2 or 3, not 4"},
                   problemsOf("auths:\n  a:\n    version: 4\n"));
    assertProblems({"snmp.yml:2: m: SNMP version must be 1, 2 or 3, not 0"},
                   problemsOf("m:\n  version: 0\n  walk: [1.1]\n"));
  }

  // config.go LoadFile + substituteEnvVariables (os.Expand): username, password and
  // priv_password of each auth, only with --config.expand-environment-variables.
  void testEnvironmentExpansion() {
    const std::map<std::string, std::string> env = {
        {"SNMP_USER", "u1"}, {"PASS", "p@ss"}, {"PRIV", "x"}};
    ModuleLoadOptions options;
    options.expandEnvironment = true;
    options.getenv = [&env](const std::string& name) -> std::optional<std::string> {
      const auto it = env.find(name);
      return it != env.end() ? std::optional<std::string>(it->second) : std::nullopt;
    };
    const std::string text =
        "auths:\n  a:\n    version: 3\n    security_level: authPriv\n"
        "    username: ${SNMP_USER}\n    password: pre-$PASS-post\n"
        "    priv_password: ${PRIV}$\n    community: ${SNMP_USER}\n    context_name: $PASS\n";
    const ModuleSet set = parsed(text, options);  // kept: `a` points into it
    const ModuleAuth& a = *set.auth("a");
    CPPUNIT_ASSERT_EQUAL(std::string("u1"), a.username);
    CPPUNIT_ASSERT_EQUAL(std::string("pre-p@ss-post"), a.password.reveal());
    CPPUNIT_ASSERT_EQUAL(std::string("x$"), a.privPassword.reveal());  // a final $ stays
    CPPUNIT_ASSERT_EQUAL(std::string("${SNMP_USER}"), a.community.reveal());
    CPPUNIT_ASSERT_EQUAL(std::string("$PASS"), a.contextName);
    // os.Expand drops "${}" and keeps a "$" before anything that is not a name.
    const ModuleSet oddSet = parsed("auths:\n  b:\n    password: 'a${}b$%c'\n", options);
    const ModuleAuth& odd = *oddSet.auth("b");
    CPPUNIT_ASSERT_EQUAL(std::string("ab$%c"), odd.password.reveal());
    // Off (the default): the text as written.
    const ModuleSet offSet = parsed(text);
    const ModuleAuth& off = *offSet.auth("a");
    CPPUNIT_ASSERT_EQUAL(std::string("${SNMP_USER}"), off.username);
    CPPUNIT_ASSERT_EQUAL(std::string("pre-$PASS-post"), off.password.reveal());
    // The flat format's embedded auth too.
    const auto flat =
        parsed("m:\n  auth:\n    username: $SNMP_USER\n  walk: [1.1]\n", options).module("m");
    CPPUNIT_ASSERT_EQUAL(std::string("u1"), flat->embeddedAuth->username);
  }

  void testEnvironmentExpansionMissingVariable() {
    ModuleLoadOptions options;
    options.expandEnvironment = true;
    options.getenv = [](const std::string& name) -> std::optional<std::string> {
      return name == "SET" ? std::optional<std::string>("v") : std::nullopt;
    };
    const auto p = problemsOf(
        "auths:\n  a:\n    username: ${SET}\n    password: ${NOPE}x${ALSO_NOPE}\n"
        "    priv_password: $$\n",
        options);
    assertProblems({"snmp.yml:4: auths.a.password: environment variable \"NOPE\" is not set",
                    "snmp.yml:5: auths.a.priv_password: environment variable \"$\" is not set"},
                   p);
    // The value of a variable never appears in a message; nor does a password.
    CPPUNIT_ASSERT(p.message.find("${NOPE}x") == std::string::npos);
  }

  // Go's filepath.Glob: the matches of one pattern in lexical order; patterns in their order.
  void testGlobsInOrder() {
    ScratchDir dir;
    const std::string b = dir.write("20-b.yml", "modules:\n  b:\n    walk: [1.2]\n");
    const std::string a =
        dir.write("10-a.yml", "auths:\n  a: {}\nmodules:\n  a:\n    walk: [1.1]\n");
    dir.write("readme.txt", "not yaml: [");
    const std::string c = dir.write("c.yaml", "c:\n  walk: [1.3]\n");
    const ModuleSet set = loadModuleFiles({c, dir.path() + "/*.yml", a});
    CPPUNIT_ASSERT(set.files == (std::vector<std::string>{c, a, b}));  // a read once
    CPPUNIT_ASSERT_EQUAL(size_t{3}, set.modules.size());
    CPPUNIT_ASSERT_EQUAL(a + ":4", set.module("a")->position.str());
    CPPUNIT_ASSERT_EQUAL(b + ":2", set.module("b")->position.str());
    CPPUNIT_ASSERT(set.module("c")->embeddedAuth);
    CPPUNIT_ASSERT_EQUAL(a + ":2", set.auth("a")->position.str());
    const ModuleSet question = loadModuleFiles({dir.path() + "/?0-[a]*"});
    CPPUNIT_ASSERT(question.files == std::vector<std::string>{a});
  }

  void testPatternMatchingNothing() {
    ScratchDir dir;
    dir.write("a.yml", kMinimalModule);
    try {
      loadModuleFiles(
          {dir.path() + "/*.yaml", dir.path() + "/a.yml", dir.path() + "/none.yml", dir.path()});
      CPPUNIT_FAIL("loaded");
    } catch (const ModuleConfigException& e) {
      CPPUNIT_ASSERT_EQUAL(dir.path() + "/none.yml: cannot read: No such file or directory\n" +
                               dir.path() + ": cannot read: is a directory",
                           e.message());
    }
    // A glob that matches nothing only warns: an empty modules.d/ must not stop a start.
    const ModuleSet set = loadModuleFiles({dir.path() + "/*.yaml", dir.path() + "/a.yml"});
    CPPUNIT_ASSERT_EQUAL(size_t(1), set.files.size());
    CPPUNIT_ASSERT(set.warnings ==
                   std::vector<std::string>{dir.path() + "/*.yaml: no file matches this pattern"});
  }

  // snmp_exporter 0.24 (#970): a module or auth name defined in two files is an error.
  void testDuplicateNamesAcrossFiles() {
    ScratchDir dir;
    const std::string a = dir.write("a.yml", std::string(kMinimalModule) + "auths:\n  v2: {}\n");
    const std::string b = dir.write("b.yml",
                                    "auths:\n  v2:\n    community: c\n"
                                    "modules:\n  other:\n    walk: [1.1]\n  m:\n    walk: [1.2]\n");
    const std::string flat = dir.write("c.yml", "m:\n  walk: [1.3]\n");
    try {
      loadModuleFiles({a, b, flat});
      CPPUNIT_FAIL("loaded");
    } catch (const ModuleConfigException& e) {
      CPPUNIT_ASSERT_EQUAL(b + ":7: module \"m\" is already defined at " + a +
                               ":2 (a name is defined once over all files)\n" + b +
                               ":2: auth \"v2\" is already defined at " + a +
                               ":9 (a name is defined once over all files)\n" + flat +
                               ":1: module \"m\" is already defined at " + a +
                               ":2 (a name is defined once over all files)",
                           e.message());
    }
  }

  void testParseIntoSetLeavesItOnError() {
    ModuleSet set;
    parseModuleText(kMinimalModule, "first.yml", set);
    CPPUNIT_ASSERT_THROW(
        parseModuleText("modules:\n  n:\n    walk: [1.1]\n  m: {}\n", "second.yml", set),
        ModuleConfigException);
    CPPUNIT_ASSERT_THROW(parseModuleText("modules:\n  n:\n    walk: [x]\n", "third.yml", set),
                         ModuleConfigException);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, set.modules.size());
    CPPUNIT_ASSERT(set.files == std::vector<std::string>{"first.yml"});
    parseModuleText("modules:\n  n:\n    walk: [1.1]\n", "fourth.yml", set);
    CPPUNIT_ASSERT_EQUAL(size_t{2}, set.modules.size());
  }

  void testAllProblemsOfAllFilesTogether() {
    ScratchDir dir;
    const std::string a = dir.write("a.yml", "modules:\n  m:\n    walk: [1..2]\n    get: [3.-1]\n");
    const std::string b = dir.write("b.yml", "modules:\n  n:\n    retries: z\n");
    try {
      loadModuleFiles({a, b});
      CPPUNIT_FAIL("loaded");
    } catch (const ModuleConfigException& e) {
      CPPUNIT_ASSERT_EQUAL(a + ":3: modules.m.walk[0]: \"1..2\" is not a numeric OID\n" + a +
                               ":4: modules.m.get[0]: \"3.-1\" is not a numeric OID\n" + b +
                               ":3: modules.n.retries: \"z\" is not an integer",
                           e.message());
    }
  }

  void testDescribeModuleFiles() {
    ModuleSet set;
    parseModuleText(std::string(kMinimalModule) + "  n:\n    walk: [1.1]\nauths:\n  a: {}\n",
                    "one.yml", set);
    parseModuleText("x:\n  walk: [1.1]\n", "two.yml", set);
    CPPUNIT_ASSERT_EQUAL(std::string("one.yml: 2 modules, 1 auth\ntwo.yml: 1 module, 0 auths\n"),
                         describeModuleFiles(set));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ModuleLoaderTest);
