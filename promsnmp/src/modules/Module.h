#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/Secret.h"
#include "snmp/SnmpClient.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace promsnmp {

// snmp_exporter's module file (`snmp.yml`) as promsnmp holds it once loaded: plain data, parsed
// and checked by ModuleLoader, walked by ModulePoller, turned into series by ModuleRenderer. The
// names and defaults are snmp_exporter's (config/config.go, generator/FORMAT.md; see
// reference/snmp-exporter.md §1.4). Everything here is immutable once loaded and shared between
// threads through shared_ptr<const …>.

/// How a value (metric `type`) or an index (`indexes[].type`) is interpreted. The spelling in the
/// file is snmp_exporter's (valueTypeName); an unknown spelling is refused at load time.
enum class ValueType : uint8_t {
  Gauge,                   // "gauge"
  Counter,                 // "counter"
  Integer,                 // "Integer" (index only)
  Integer32,               // "Integer32" (index only)
  Float,                   // "Float": an Opaque float
  Double,                  // "Double": an Opaque double
  DateAndTime,             // "DateAndTime": 8 or 11 octets → Unix seconds
  ParseDateAndTime,        // "ParseDateAndTime": a DisplayString parsed with datetime_pattern
  NtpTimeStamp,            // "NTPTimeStamp": 8 octets, seconds since 1900 → Unix seconds
  EnumAsInfo,              // "EnumAsInfo": <name>_info{<name>="<enum name>"} 1
  EnumAsStateSet,          // "EnumAsStateSet": one series per enum value, 1 for the current
  Bits,                    // "Bits": one series per named bit
  OctetString,             // "OctetString": value as a label (0x-hex), series = 1
  DisplayString,           // "DisplayString"
  PhysAddress48,           // "PhysAddress48": aa:bb:cc:dd:ee:ff
  IpAddr,                  // "IpAddr": dotted quad
  InetAddressIPv4,         // "InetAddressIPv4"
  InetAddressIPv6,         // "InetAddressIPv6"
  InetAddress,             // "InetAddress": the address family comes from the previous index
  InetAddressMissingSize,  // "InetAddressMissingSize": as InetAddress, without the length octet
  LldpPortId,              // "LldpPortId": rendered by the previous index's subtype
};

/// The file's spelling of `type` ("gauge", "DisplayString", …).
const char* valueTypeName(ValueType type);
/// Parses the file's spelling; nullopt for anything else. Case-sensitive, as snmp_exporter.
std::optional<ValueType> parseValueType(const std::string& text);

/// collector.go getPrevOid: `oid` with its last sub-identifier one less (the column before, where
/// an InetAddress index finds its address type); none for an empty OID or a last 0 (Go would
/// write -1, an OID no agent has). Thread-safe (pure).
std::optional<Oid> previousOid(const Oid& oid);

/// An enumeration: integer value → name (`enum_values`).
using EnumValues = std::map<int64_t, std::string>;

/// Where something was defined, for messages: "snmp.yml:120".
struct SourcePosition {
  std::string file;
  int line = 0;  // 1-based
  std::string str() const { return file + ":" + std::to_string(line); }
};

/// `auths.<name>` (or, in the 0.21 format, a module's `version` + `auth:`). Defaults are
/// snmp_exporter's DefaultAuth.
struct ModuleAuth {
  std::string name;
  int version = 2;  // 1, 2 or 3 as in the file (not the inventory's 0/1/3)
  common::Secret community{"public"};
  std::string securityLevel = "noAuthNoPriv";  // noAuthNoPriv, authNoPriv, authPriv
  std::string username;
  common::Secret password;
  std::string authProtocol = "MD5";  // MD5, SHA, SHA224, SHA256, SHA384, SHA512
  std::string privProtocol = "DES";  // DES, AES, AES192, AES256, AES192C, AES256C
  common::Secret privPassword;
  std::string contextName;
  SourcePosition position;  // of the auth's name (or of the module, for an embedded auth)
};

/// The walk parameters of a module (snmp_exporter's WalkParams, inline in the module).
struct WalkParams {
  uint32_t maxRepetitions = 25;
  int retries = 3;
  std::chrono::milliseconds timeout{5000};  // per request, as snmp_exporter
  bool useUnconnectedUdpSocket = false;
  bool allowNonincreasingOids = false;
};

/// A regular expression in RE2 syntax (Go's regexp), compiled once at load time; `pattern` is
/// the text as written. snmp_exporter anchors regex_extracts as `^(?:…)$` (config.go Regexp), so
/// those are compiled anchored (use RE2::FullMatch or PartialMatch alike); a dynamic filter's
/// values are not anchored (collector.go filterAllowedIndices: regexp.MatchString, a match
/// anywhere in the value), so those are compiled as written: use RE2::PartialMatch.
struct CompiledRegex {
  std::string pattern;
  std::shared_ptr<const re2::RE2> regex;  // never null once loaded
};

/// `indexes[]` of a metric.
struct MetricIndex {
  std::string labelname;
  ValueType type = ValueType::Gauge;
  int fixedSize = 0;
  bool implied = false;
  EnumValues enumValues;
};

/// `lookups[]` of a metric: the labels `labels` (index label names) select a row of `oid`,
/// whose value becomes label `labelname`. With `labels` empty, the lookup removes the label
/// `labelname` instead (collector.go: "Empty means delete the output label"): that is how the
/// generator writes its `drop_source_indexes`, as one such lookup per source index after the
/// metric's other lookups.
struct MetricLookup {
  std::vector<std::string> labels;
  std::string labelname;
  Oid oid;  // unused (may be empty) when `labels` is empty
  std::optional<ValueType> type;
  std::string displayHint;
  EnumValues enumValues;
};

/// One entry of `regex_extracts.<suffix>[]`.
struct RegexExtract {
  CompiledRegex regex;
  std::string value = "$1";
};

/// `metrics[]` of a module.
struct ModuleMetric {
  std::string name;
  Oid oid;
  ValueType type = ValueType::Gauge;
  std::string help;
  std::vector<MetricIndex> indexes;
  std::vector<MetricLookup> lookups;
  /// suffix → extracts, ordered by suffix (snmp_exporter iterates a Go map; the series are the
  /// same whatever the order).
  std::map<std::string, std::vector<RegexExtract>> regexExtracts;
  std::string datetimePattern;
  EnumValues enumValues;
  double offset = 0;
  double scale = 0;  // 0: not set (snmp_exporter's omitempty), no scaling
  std::string displayHint;
};

/// `filters[]` of a module (dynamic filters: the generator resolves static ones into `get`).
struct DynamicFilter {
  Oid oid;
  std::vector<Oid> targets;
  std::vector<CompiledRegex> values;
};

/// What a consumer derives from a Module once and keeps with it (ModuleRenderer's compiled
/// metric tree). Opaque here. A copy of a Module starts without it, since the copy may still be
/// changed; a Module must not change once something was derived from it. Thread-safe.
class ModuleDerived {
 public:
  ModuleDerived() = default;
  ModuleDerived(const ModuleDerived& /*other*/) {}
  ModuleDerived& operator=(const ModuleDerived& other);
  ~ModuleDerived() = default;

  /// The value `make` returned on the first call; the same value on every later call.
  std::shared_ptr<const void> get(const std::function<std::shared_ptr<const void>()>& make) const;

 private:
  mutable std::mutex mutex_;
  mutable std::shared_ptr<const void> value_;
};

/// `modules.<name>`.
struct Module {
  std::string name;
  std::vector<Oid> walk;
  std::vector<Oid> get;
  std::vector<ModuleMetric> metrics;
  WalkParams walkParams;
  std::vector<DynamicFilter> filters;
  /// The 0.21 (pre-0.23) format's per-module `version` + `auth:`; unset in the current format.
  std::optional<ModuleAuth> embeddedAuth;
  SourcePosition position;
  /// Filled by ModuleRenderer on first use.
  ModuleDerived derived;
};

/// Every module and auth of the configured files, merged. A name defined twice is an error at
/// load time (snmp_exporter 0.24, #970).
struct ModuleSet {
  std::map<std::string, ModuleAuth> auths;
  std::map<std::string, std::shared_ptr<const Module>> modules;
  std::vector<std::string> files;     // the files read, after glob expansion, in order
  std::vector<std::string> warnings;  // e.g. a glob that matched no file

  /// The module named `name`, or null.
  std::shared_ptr<const Module> module(const std::string& name) const;
  /// The auth named `name`, or null.
  const ModuleAuth* auth(const std::string& name) const;
  /// The names of its modules (what ProfileSet::unknownModules checks against).
  std::set<std::string> moduleNames() const;
};

}  // namespace promsnmp
