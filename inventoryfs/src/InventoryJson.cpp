#include "inventoryfs/InventoryJson.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <iterator>
#include <limits>
#include <vector>

#include "Json.h"
#include "inventoryfs/Exceptions.h"

namespace inventoryfs {

using detail::JsonReader;
using detail::JsonType;
using detail::JsonWriter;

namespace {

constexpr std::string_view kCommunityType = "snmp-community";
constexpr std::string_view kUserType = "snmp-user";

// Java import defaults for primitives that are missing or null (reference §4.2).
constexpr int kDefaultVersion = 0;  // SNMPv1 in SNMP4J numbering
constexpr int64_t kDefaultTimeoutMs = 1500;
constexpr int kDefaultRetries = 1;
constexpr int kDefaultSecurityLevel = 0;
constexpr int kDefaultSeedPort = 0;
constexpr int kDefaultAgentPort = 161;

// ---------------------------------------------------------------------------------------------
// Instants

constexpr int64_t kSecondsPerDay = 86400;
// Java's Instant.MIN (-1000000000-01-01T00:00:00Z) and Instant.MAX (1000000000-12-31T23:59:59Z).
constexpr int64_t kMinInstantSecond = -31557014167219200;
constexpr int64_t kMaxInstantSecond = 31556889864403199;

constexpr int64_t floorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-compatible low-level
// date algorithms").
constexpr int64_t daysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Civil {
  int64_t year;
  int month;
  int day;
};

constexpr Civil civilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return Civil{yoe + era * 400 + (m <= 2), m, d};
}

constexpr bool isLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

constexpr int daysInMonth(int64_t y, int m) {
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && isLeapYear(y) ? 29 : kDays[m - 1];
}

void appendPadded(std::string& out, int64_t value, int width) {
  char buf[24];
  const auto result = std::to_chars(buf, buf + sizeof buf, value);
  const auto len = static_cast<int>(result.ptr - buf);
  if (len < width) {
    out.append(static_cast<size_t>(width - len), '0');
  }
  out.append(buf, static_cast<size_t>(len));
}

void appendInstant(std::string& out, const Instant& instant) {
  // Normalise defensively: the model promises 0 <= nanos < 1e9, a caller may not.
  int64_t seconds = instant.epochSeconds;
  int64_t nanos = instant.nanos;
  if (nanos < 0 || nanos >= 1'000'000'000) {
    seconds += floorDiv(nanos, 1'000'000'000);
    nanos -= floorDiv(nanos, 1'000'000'000) * 1'000'000'000;
  }
  const int64_t days = floorDiv(seconds, kSecondsPerDay);
  const int64_t secondOfDay = seconds - days * kSecondsPerDay;
  const Civil date = civilFromDays(days);
  // Java: four digits for years 0..9999, '+' before longer years, '-' before negative ones.
  if (date.year > 9999) {
    out.push_back('+');
    appendPadded(out, date.year, 1);
  } else if (date.year < 0) {
    out.push_back('-');
    appendPadded(out, -date.year, 4);
  } else {
    appendPadded(out, date.year, 4);
  }
  out.push_back('-');
  appendPadded(out, date.month, 2);
  out.push_back('-');
  appendPadded(out, date.day, 2);
  out.push_back('T');
  appendPadded(out, secondOfDay / 3600, 2);
  out.push_back(':');
  appendPadded(out, secondOfDay / 60 % 60, 2);
  out.push_back(':');
  appendPadded(out, secondOfDay % 60, 2);
  if (nanos != 0) {
    out.push_back('.');
    if (nanos % 1'000'000 == 0) {
      appendPadded(out, nanos / 1'000'000, 3);
    } else if (nanos % 1000 == 0) {
      appendPadded(out, nanos / 1000, 6);
    } else {
      appendPadded(out, nanos, 9);
    }
  }
  out.push_back('Z');
}

/// Reads exactly `count` digits at `pos`; false if there are fewer.
bool readDigits(std::string_view text, size_t& pos, size_t count, int64_t& value) {
  if (text.size() - pos < count) {
    return false;
  }
  value = 0;
  for (size_t i = 0; i < count; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') {
      return false;
    }
    value = value * 10 + (c - '0');
  }
  pos += count;
  return true;
}

bool expectChar(std::string_view text, size_t& pos, char c) {
  if (pos < text.size() && text[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

bool expectCharIgnoreCase(std::string_view text, size_t& pos, char upper) {
  if (pos < text.size() && (text[pos] == upper || text[pos] == upper - 'A' + 'a')) {
    ++pos;
    return true;
  }
  return false;
}

/// Parses an instant as Java's `DateTimeFormatter.ISO_INSTANT` does (JDK 12+: with offsets):
/// `[+-]YYYY-MM-DDThh:mm:ss[.f{1,9}](Z|±hh:mm[:ss])`, case-insensitive `T`/`Z`; years of more
/// than four digits (up to ten) need a sign; the result must lie in Java's Instant range.
/// Returns nullptr on success, else what is wrong.
const char* tryParseInstant(std::string_view text, Instant& result) {
  size_t pos = 0;
  bool negativeYear = false;
  bool signedYear = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negativeYear = text[0] == '-';
    signedYear = true;
    pos = 1;
  }
  size_t yearDigits = 0;
  while (pos + yearDigits < text.size() && text[pos + yearDigits] >= '0' &&
         text[pos + yearDigits] <= '9') {
    ++yearDigits;
  }
  if (yearDigits < 4 || yearDigits > 10 || (!signedYear && yearDigits != 4) ||
      (signedYear && !negativeYear && yearDigits == 4)) {
    return "bad year";
  }
  int64_t year = 0;
  readDigits(text, pos, yearDigits, year);
  if (negativeYear) {
    if (year == 0) {
      return "bad year";
    }
    year = -year;
  }
  int64_t month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!expectChar(text, pos, '-') || !readDigits(text, pos, 2, month) ||
      !expectChar(text, pos, '-') || !readDigits(text, pos, 2, day)) {
    return "bad date";
  }
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, static_cast<int>(month))) {
    return "date out of range";
  }
  if (!expectCharIgnoreCase(text, pos, 'T')) {
    return "expected 'T'";
  }
  if (!readDigits(text, pos, 2, hour) || !expectChar(text, pos, ':') ||
      !readDigits(text, pos, 2, minute) || !expectChar(text, pos, ':') ||
      !readDigits(text, pos, 2, second)) {
    return "bad time (expected hh:mm:ss)";
  }
  if (hour > 23 || minute > 59 || second > 59) {
    return "time out of range";
  }
  int64_t nanos = 0;
  if (expectChar(text, pos, '.')) {
    size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (++digits > 9) {
        return "more than 9 fraction digits";
      }
      nanos = nanos * 10 + (text[pos] - '0');
      ++pos;
    }
    if (digits == 0) {
      return "no digit after '.'";
    }
    for (size_t i = digits; i < 9; ++i) {
      nanos *= 10;
    }
  }
  int64_t offsetSeconds = 0;
  if (expectCharIgnoreCase(text, pos, 'Z')) {
    // UTC
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const bool negative = text[pos] == '-';
    ++pos;
    int64_t oh = 0, om = 0, os = 0;
    if (!readDigits(text, pos, 2, oh) || !expectChar(text, pos, ':') ||
        !readDigits(text, pos, 2, om)) {
      return "bad offset (expected ±hh:mm)";
    }
    if (expectChar(text, pos, ':') && !readDigits(text, pos, 2, os)) {
      return "bad offset (expected ±hh:mm:ss)";
    }
    if (oh > 18 || om > 59 || os > 59 || (oh == 18 && (om != 0 || os != 0))) {
      return "offset out of range";
    }
    offsetSeconds = (oh * 3600 + om * 60 + os) * (negative ? -1 : 1);
  } else {
    return "expected 'Z' or an offset";
  }
  if (pos != text.size()) {
    return "unexpected characters at the end";
  }
  const int64_t days = daysFromCivil(year, static_cast<int>(month), static_cast<int>(day));
  const int64_t seconds =
      days * kSecondsPerDay + hour * 3600 + minute * 60 + second - offsetSeconds;
  if (seconds < kMinInstantSecond || seconds > kMaxInstantSecond) {
    return "outside Java's Instant range";
  }
  result.epochSeconds = seconds;
  result.nanos = static_cast<int32_t>(nanos);
  return nullptr;
}

/// `text` as a JSON string literal for messages, shortened to keep messages bounded.
std::string quoted(std::string_view text) {
  constexpr size_t kMax = 64;
  std::string out;
  if (text.size() > kMax) {
    size_t cut = kMax;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
      --cut;  // do not split a UTF-8 sequence
    }
    detail::appendJsonString(out, text.substr(0, cut));
    out += "...";
  } else {
    detail::appendJsonString(out, text);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading

void readOptionalString(JsonReader& r, std::optional<std::string>& field) {
  if (r.readNullIf()) {
    field.reset();
  } else {
    field.emplace(r.readString());
  }
}

int readInt(JsonReader& r, int defaultValue) {
  if (r.readNullIf()) {
    return defaultValue;
  }
  const int64_t value = r.readInt64();
  if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
    r.fail("integer out of range");
  }
  return static_cast<int>(value);
}

int64_t readLong(JsonReader& r, int64_t defaultValue) {
  if (r.readNullIf()) {
    return defaultValue;
  }
  return r.readInt64();
}

void readOptionalInstant(JsonReader& r, std::optional<Instant>& field) {
  if (r.readNullIf()) {
    field.reset();
    return;
  }
  if (r.peek() != JsonType::String) {
    r.fail("expected an ISO-8601 instant string");
  }
  const std::string_view text = r.readString();
  if (text.empty()) {
    field.reset();  // Jackson's InstantDeserializer maps "" to null
    return;
  }
  Instant instant;
  if (const char* why = tryParseInstant(text, instant)) {
    r.fail("invalid instant " + quoted(text) + ": " + why);
  }
  field = instant;
}

void readAgentType(JsonReader& r, std::optional<AgentType>& type) {
  constexpr std::string_view kExpected = "expected \"snmp-community\" or \"snmp-user\"";
  if (r.peek() != JsonType::String) {
    r.fail(kExpected);
  }
  const std::string_view text = r.readString();
  AgentType value;
  if (text == kCommunityType) {
    value = AgentType::Community;
  } else if (text == kUserType) {
    value = AgentType::User;
  } else {
    r.fail("unknown agent type " + quoted(text) + ", " + std::string(kExpected));
  }
  if (type && *type != value) {
    r.fail("conflicting values \"" + std::string(agentTypeName(*type)) + "\" and \"" +
           agentTypeName(value) + "\"");
  }
  type = value;
}

// The schema's members, for strict reading (JsonReadOptions) and its "did you mean".
constexpr std::string_view kInventoryKeys[] = {"devices", "discoverySeeds"};
constexpr std::string_view kDeviceKeys[] = {
    "id",           "sysName", "sysDescr",     "sysContact",  "sysLocation",
    "discoveredAt", "agents",  "primaryAgent", "operatorSet", "discovered",
    "sysObjectID",  "modules", "auth",         "profile"};
constexpr std::string_view kEndpointKeys[] = {"address", "port"};
constexpr std::string_view kAgentKeys[] = {
    "type",           "id",           "endpoint",       "version",
    "timeout",        "retries",      "discoveredAt",   "readCommunity",
    "writeCommunity", "securityName", "securityLevel",  "authProtocol",
    "authPassphrase", "privProtocol", "privPassphrase", "engineId"};

bool isCommunityKey(std::string_view key) {
  return key == "readCommunity" || key == "writeCommunity";
}

/// Skips the value of an unknown member, or refuses it when reading strictly.
template <size_t N>
void unknownMember(JsonReader& r, bool strict, std::string_view key,
                   const std::string_view (&known)[N]) {
  if (strict) {
    r.fail(unknownKeyMessage(key, known));
  }
  r.skipValue();
}

void readEndpoint(JsonReader& r, Endpoint& endpoint, bool strict) {
  endpoint = Endpoint{};
  bool haveAddress = false;
  r.beginObject();
  std::string_view key;
  while (r.nextMember(key)) {
    if (key == "address") {
      endpoint.address.assign(r.readString());
      haveAddress = true;
    } else if (key == "port") {
      endpoint.port = readInt(r, kDefaultAgentPort);
    } else {
      unknownMember(r, strict, key, kEndpointKeys);
    }
  }
  if (!haveAddress) {
    r.failMember("address", "required");
  }
}

void readAgent(JsonReader& r, Agent& agent, bool strict) {
  std::optional<AgentType> type;
  bool haveEndpoint = false;
  bool haveVersion = false;
  // The first credential of each group given a value (strict reading refuses the other type's).
  std::string communityField;
  std::string userField;
  auto note = [](std::string& first, std::string_view key, bool given) {
    if (given && first.empty()) {
      first = key;
    }
  };
  r.beginObject();
  std::string_view key;
  // Jackson writes "type" first. Should it come later, fields of either group are read and
  // those of the other group dropped at the end (Jackson ignores them as unknown properties).
  while (r.nextMember(key)) {
    if (key == "type") {
      readAgentType(r, type);
    } else if (key == "id") {
      readOptionalString(r, agent.id);
    } else if (key == "endpoint") {
      readEndpoint(r, agent.endpoint, strict);
      haveEndpoint = true;
    } else if (key == "version") {
      haveVersion = !r.readNullIf();
      agent.version = haveVersion ? readInt(r, kDefaultVersion) : kDefaultVersion;
    } else if (key == "timeout") {
      agent.timeoutMs = readLong(r, kDefaultTimeoutMs);
    } else if (key == "retries") {
      agent.retries = readInt(r, kDefaultRetries);
    } else if (key == "discoveredAt") {
      readOptionalInstant(r, agent.discoveredAt);
    } else if (!strict && type && isCommunityKey(key) != (*type == AgentType::Community) &&
               std::find(std::begin(kAgentKeys), std::end(kAgentKeys), key) !=
                   std::end(kAgentKeys)) {
      r.skipValue();  // the other type's field, whatever its value (Jackson ignores it)
    } else if (key == "readCommunity") {
      readOptionalString(r, agent.readCommunity);
      note(communityField, key, agent.readCommunity.has_value());
    } else if (key == "writeCommunity") {
      readOptionalString(r, agent.writeCommunity);
      note(communityField, key, agent.writeCommunity.has_value());
    } else if (key == "securityName") {
      readOptionalString(r, agent.securityName);
      note(userField, key, agent.securityName.has_value());
    } else if (key == "securityLevel") {
      agent.securityLevel = readInt(r, kDefaultSecurityLevel);
      note(userField, key, agent.securityLevel != kDefaultSecurityLevel);
    } else if (key == "authProtocol") {
      readOptionalString(r, agent.authProtocol);
      note(userField, key, agent.authProtocol.has_value());
    } else if (key == "authPassphrase") {
      readOptionalString(r, agent.authPassphrase);
      note(userField, key, agent.authPassphrase.has_value());
    } else if (key == "privProtocol") {
      readOptionalString(r, agent.privProtocol);
      note(userField, key, agent.privProtocol.has_value());
    } else if (key == "privPassphrase") {
      readOptionalString(r, agent.privPassphrase);
      note(userField, key, agent.privPassphrase.has_value());
    } else if (key == "engineId") {
      readOptionalString(r, agent.engineId);
      note(userField, key, agent.engineId.has_value());
    } else {
      unknownMember(r, strict, key, kAgentKeys);
    }
  }
  if (!type) {
    r.failMember("type", "required (\"snmp-community\" or \"snmp-user\")");
  }
  if (!haveEndpoint) {
    r.failMember("endpoint", "required");
  }
  agent.type = *type;
  if (strict) {
    const bool community = agent.type == AgentType::Community;
    const std::string& foreign = community ? userField : communityField;
    if (!foreign.empty()) {
      r.failMember(foreign, std::string("contradicts \"type\":\"") + agentTypeName(agent.type) +
                                "\" (" + (community ? "an SNMPv3 setting" : "a community") +
                                " given to " +
                                (community ? "a community agent" : "an SNMPv3 user agent") + ")");
    }
    if (haveVersion && community && agent.version != 0 && agent.version != 1) {
      r.failMember("version", std::to_string(agent.version) +
                                  " contradicts \"type\":\"snmp-community\" (a community "
                                  "agent speaks v1 = 0 or v2c = 1; SNMPv3 = 3 is snmp-user)");
    }
    if (haveVersion && !community && agent.version != 3) {
      r.failMember("version", std::to_string(agent.version) +
                                  " contradicts \"type\":\"snmp-user\" (an SNMPv3 user agent "
                                  "has version 3)");
    }
  }
  if (agent.type == AgentType::Community) {
    agent.securityName.reset();
    agent.securityLevel = kDefaultSecurityLevel;
    agent.authProtocol.reset();
    agent.authPassphrase.reset();
    agent.privProtocol.reset();
    agent.privPassphrase.reset();
    agent.engineId.reset();
  } else {
    agent.readCommunity.reset();
    agent.writeCommunity.reset();
  }
}

void readAgents(JsonReader& r, std::vector<Agent>& agents, bool strict) {
  agents.clear();
  if (r.readNullIf()) {
    return;
  }
  r.beginArray();
  while (r.nextElement()) {
    readAgent(r, agents.emplace_back(), strict);
  }
}

// Provenance: ours, written only when there is some, ignored by Jackson (unknown properties).
void readOperatorSet(JsonReader& r, std::optional<std::vector<std::string>>& fields) {
  if (r.readNullIf()) {
    fields.reset();
    return;
  }
  std::vector<std::string> names;
  r.beginArray();
  while (r.nextElement()) {
    const std::string_view name = r.readString();
    if (std::find(std::begin(kOperatorFields), std::end(kOperatorFields), name) ==
        std::end(kOperatorFields)) {
      r.fail("unknown field " + quoted(name) +
             ", expected \"sysName\", \"sysDescr\", \"sysContact\", \"sysLocation\" or "
             "\"modules\"");
    }
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      names.emplace_back(name);
    }
  }
  // Canonical order, so that equal sets compare equal.
  std::vector<std::string> ordered;
  for (const char* known : kOperatorFields) {
    if (std::find(names.begin(), names.end(), known) != names.end()) {
      ordered.emplace_back(known);
    }
  }
  fields = std::move(ordered);
}

void readDiscovered(JsonReader& r, std::optional<DiscoveredSystem>& discovered) {
  if (r.readNullIf()) {
    discovered.reset();
    return;
  }
  DiscoveredSystem& d = discovered.emplace();
  r.beginObject();
  std::string_view key;
  while (r.nextMember(key)) {
    if (key == "sysName") {
      readOptionalString(r, d.sysName);
    } else if (key == "sysDescr") {
      readOptionalString(r, d.sysDescr);
    } else if (key == "sysContact") {
      readOptionalString(r, d.sysContact);
    } else if (key == "sysLocation") {
      readOptionalString(r, d.sysLocation);
    } else if (key == "at") {
      readOptionalInstant(r, d.at);
    } else {
      r.skipValue();
    }
  }
}

void readProfile(JsonReader& r, std::optional<DeviceProfile>& profile) {
  if (r.readNullIf()) {
    profile.reset();
    return;
  }
  DeviceProfile& p = profile.emplace();
  r.beginObject();
  std::string_view key;
  while (r.nextMember(key)) {
    if (key == "name") {
      p.name = std::string(r.readString());
    } else if (key == "vendor") {
      readOptionalString(r, p.vendor);
    } else if (key == "os") {
      readOptionalString(r, p.os);
    } else if (key == "reason") {
      readOptionalString(r, p.reason);
    } else if (key == "at") {
      readOptionalInstant(r, p.at);
    } else {
      r.skipValue();
    }
  }
}

/// A list of names (modules): null for none; each name once, in the order given.
void readNames(JsonReader& r, std::optional<std::vector<std::string>>& names) {
  if (r.readNullIf()) {
    names.reset();
    return;
  }
  std::vector<std::string>& list = names.emplace();
  r.beginArray();
  while (r.nextElement()) {
    std::string name(r.readString());
    if (name.empty()) {
      r.fail("empty module name");
    }
    if (std::find(list.begin(), list.end(), name) == list.end()) {
      list.push_back(std::move(name));
    }
  }
}

void readDevice(JsonReader& r, Device& device, bool strict) {
  r.beginObject();
  std::string_view key;
  while (r.nextMember(key)) {
    if (key == "id") {
      readOptionalString(r, device.id);
    } else if (key == "sysName") {
      readOptionalString(r, device.sysName);
    } else if (key == "sysDescr") {
      readOptionalString(r, device.sysDescr);
    } else if (key == "sysContact") {
      readOptionalString(r, device.sysContact);
    } else if (key == "sysLocation") {
      readOptionalString(r, device.sysLocation);
    } else if (key == "discoveredAt") {
      readOptionalInstant(r, device.discoveredAt);
    } else if (key == "agents") {
      readAgents(r, device.agents, strict);
    } else if (key == "primaryAgent") {
      if (r.readNullIf()) {
        device.primaryAgent.reset();
      } else {
        readAgent(r, device.primaryAgent.emplace(), strict);
      }
    } else if (key == "operatorSet") {
      readOperatorSet(r, device.operatorSet);
    } else if (key == "discovered") {
      readDiscovered(r, device.discovered);
    } else if (key == "sysObjectID") {
      readOptionalString(r, device.sysObjectId);
    } else if (key == "modules") {
      readNames(r, device.modules);
    } else if (key == "auth") {
      readOptionalString(r, device.auth);
    } else if (key == "profile") {
      readProfile(r, device.profile);
    } else {
      unknownMember(r, strict, key, kDeviceKeys);
    }
  }
}

/// A seed's version against its agent type (strict reading): "v3" is snmp-user's only.
void checkSeedVersion(const JsonReader& r, const DiscoverySeed& seed) {
  if (!seed.version || !seed.agentType) {
    return;
  }
  std::string version = *seed.version;
  std::transform(version.begin(), version.end(), version.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (*seed.agentType == kCommunityType && version == "v3") {
    r.failMember("version", "\"" + *seed.version +
                                "\" contradicts \"agentType\":\"snmp-community\" (a community "
                                "seed scans with v1 or v2c; SNMPv3 is snmp-user)");
  }
  if (*seed.agentType == kUserType && (version == "v1" || version == "v2c")) {
    r.failMember("version", "\"" + *seed.version +
                                "\" contradicts \"agentType\":\"snmp-user\" (an SNMPv3 user "
                                "seed scans with v3)");
  }
}

void readSeed(JsonReader& r, DiscoverySeed& seed, bool strict) {
  r.beginObject();
  std::string_view key;
  while (r.nextMember(key)) {
    if (key == "id") {
      readOptionalString(r, seed.id);
    } else if (key == "potentialTargets") {
      seed.potentialTargets.clear();
      if (!r.readNullIf()) {
        r.beginArray();
        while (r.nextElement()) {
          seed.potentialTargets.emplace_back(r.readString());
        }
      }
    } else if (key == "port") {
      seed.port = readInt(r, kDefaultSeedPort);
    } else if (key == "version") {
      readOptionalString(r, seed.version);
    } else if (key == "agentType") {
      readOptionalString(r, seed.agentType);
    } else if (key == "readCommunity") {
      readOptionalString(r, seed.readCommunity);
    } else if (key == "securityName") {
      readOptionalString(r, seed.securityName);
    } else if (key == "securityLevel") {
      seed.securityLevel = readInt(r, kDefaultSecurityLevel);
    } else if (key == "authProtocol") {
      readOptionalString(r, seed.authProtocol);
    } else if (key == "authPassphrase") {
      readOptionalString(r, seed.authPassphrase);
    } else if (key == "privProtocol") {
      readOptionalString(r, seed.privProtocol);
    } else if (key == "privPassphrase") {
      readOptionalString(r, seed.privPassphrase);
    } else {
      unknownMember(r, strict, key, kSeedKeys);
    }
  }
  if (strict) {
    checkSeedVersion(r, seed);
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

class Encoder {
 public:
  Encoder(std::string& out, const JsonWriteOptions& options)
      : w_(out, options.style == JsonStyle::Pretty), options_(options) {}

  void inventory(const Inventory& inventory) {
    w_.beginObject();
    w_.key("devices");
    w_.beginArray();
    for (const Device& device : inventory.devices) {
      this->device(device);
    }
    w_.endArray();
    w_.key("discoverySeeds");
    w_.beginArray();
    for (const DiscoverySeed& seed : inventory.discoverySeeds) {
      this->seed(seed);
    }
    w_.endArray();
    w_.endObject();
  }

  void device(const Device& device) {
    w_.beginObject();
    member("id", device.id);
    member("sysName", device.sysName);
    member("sysDescr", device.sysDescr);
    member("sysContact", device.sysContact);
    member("sysLocation", device.sysLocation);
    member("discoveredAt", device.discoveredAt);
    w_.key("agents");
    w_.beginArray();
    for (const Agent& agent : device.agents) {
      this->agent(agent);
    }
    w_.endArray();
    w_.key("primaryAgent");
    if (device.primaryAgent) {
      agent(*device.primaryAgent);
    } else {
      w_.null();
    }
    if (device.operatorSet && !device.operatorSet->empty()) {
      w_.key("operatorSet");
      w_.beginArray();
      for (const std::string& field : *device.operatorSet) {
        w_.string(field);
      }
      w_.endArray();
    }
    if (device.discovered) {
      w_.key("discovered");
      w_.beginObject();
      member("sysName", device.discovered->sysName);
      member("sysDescr", device.discovered->sysDescr);
      member("sysContact", device.discovered->sysContact);
      member("sysLocation", device.discovered->sysLocation);
      member("at", device.discovered->at);
      w_.endObject();
    }
    if (device.sysObjectId) {
      member("sysObjectID", device.sysObjectId);
    }
    if (device.profile) {
      w_.key("profile");
      w_.beginObject();
      w_.key("name");
      w_.string(device.profile->name);
      member("vendor", device.profile->vendor);
      member("os", device.profile->os);
      member("reason", device.profile->reason);
      member("at", device.profile->at);
      w_.endObject();
    }
    if (device.modules) {
      w_.key("modules");
      w_.beginArray();
      for (const std::string& module : *device.modules) {
        w_.string(module);
      }
      w_.endArray();
    }
    if (device.auth) {
      member("auth", device.auth);
    }
    w_.endObject();
  }

  void agent(const Agent& agent) {
    w_.beginObject();
    w_.key("type");
    w_.string(agentTypeName(agent.type));
    member("id", agent.id);
    w_.key("endpoint");
    w_.beginObject();
    w_.key("address");
    w_.string(agent.endpoint.address);
    w_.key("port");
    w_.integer(agent.endpoint.port);
    w_.endObject();
    member("version", agent.version);
    member("timeout", agent.timeoutMs);
    member("retries", agent.retries);
    member("discoveredAt", agent.discoveredAt);
    if (agent.type == AgentType::Community) {
      secret("readCommunity", agent.readCommunity);
      secret("writeCommunity", agent.writeCommunity);
    } else {
      member("securityName", agent.securityName);
      member("securityLevel", agent.securityLevel);
      member("authProtocol", agent.authProtocol);
      secret("authPassphrase", agent.authPassphrase);
      member("privProtocol", agent.privProtocol);
      secret("privPassphrase", agent.privPassphrase);
      member("engineId", agent.engineId);
    }
    if (options_.typeTwice) {
      w_.key("type");
      w_.string(agentTypeName(agent.type));
    }
    w_.endObject();
  }

  void seed(const DiscoverySeed& seed) {
    w_.beginObject();
    member("id", seed.id);
    w_.key("potentialTargets");
    w_.beginArray();
    for (const std::string& target : seed.potentialTargets) {
      w_.string(target);
    }
    w_.endArray();
    member("port", seed.port);
    member("version", seed.version);
    member("agentType", seed.agentType);
    secret("readCommunity", seed.readCommunity);
    member("securityName", seed.securityName);
    member("securityLevel", seed.securityLevel);
    member("authProtocol", seed.authProtocol);
    secret("authPassphrase", seed.authPassphrase);
    member("privProtocol", seed.privProtocol);
    secret("privPassphrase", seed.privPassphrase);
    w_.endObject();
  }

 private:
  void member(std::string_view name, const std::optional<std::string>& value) {
    w_.key(name);
    if (value) {
      w_.string(*value);
    } else {
      w_.null();
    }
  }

  void member(std::string_view name, const std::optional<Instant>& value) {
    w_.key(name);
    if (value) {
      scratch_.clear();
      appendInstant(scratch_, *value);
      w_.string(scratch_);
    } else {
      w_.null();
    }
  }

  void member(std::string_view name, int64_t value) {
    w_.key(name);
    w_.integer(value);
  }

  void secret(std::string_view name, const std::optional<std::string>& value) {
    w_.key(name);
    if (!value) {
      w_.null();
    } else if (options_.maskCredentials) {
      w_.string(kMaskedSecret);
    } else {
      w_.string(*value);
    }
  }

  JsonWriter w_;
  const JsonWriteOptions& options_;
  std::string scratch_;
};

}  // namespace

Inventory inventoryFromJson(std::string_view text, const JsonReadOptions& options) {
  const bool strict = options.strict;
  JsonReader r(text);
  Inventory inventory;
  bool haveDevices = false;
  r.beginObject();
  std::string_view key;
  while (r.nextMember(key)) {
    if (key == "devices") {
      inventory.devices.clear();
      r.beginArray();
      while (r.nextElement()) {
        readDevice(r, inventory.devices.emplace_back(), strict);
      }
      haveDevices = true;
    } else if (key == "discoverySeeds") {
      inventory.discoverySeeds.clear();
      if (!r.readNullIf()) {
        r.beginArray();
        while (r.nextElement()) {
          readSeed(r, inventory.discoverySeeds.emplace_back(), strict);
        }
      }
    } else {
      unknownMember(r, strict, key, kInventoryKeys);
    }
  }
  r.finish();
  if (!haveDevices) {
    r.failMember("devices", "required");
  }
  return inventory;
}

std::string inventoryToJson(const Inventory& inventory, const JsonWriteOptions& options) {
  // One allocation for the usual sizes (a pretty agent is ~600 bytes, a device ~400 more).
  size_t agents = 0;
  for (const Device& device : inventory.devices) {
    agents += device.agents.size() + (device.primaryAgent ? 1 : 0);
  }
  const size_t scale = options.style == JsonStyle::Pretty ? 2 : 1;
  std::string out;
  out.reserve(64 + scale * (inventory.devices.size() * 256 + agents * 384 +
                            inventory.discoverySeeds.size() * 256));
  Encoder(out, options).inventory(inventory);
  return out;
}

std::string seedToJson(const DiscoverySeed& seed, const JsonWriteOptions& options) {
  std::string out;
  Encoder(out, options).seed(seed);
  return out;
}

std::string deviceToJson(const Device& device, const JsonWriteOptions& options) {
  std::string out;
  Encoder(out, options).device(device);
  return out;
}

std::string formatInstant(const Instant& instant) {
  std::string out;
  appendInstant(out, instant);
  return out;
}

Instant parseInstant(std::string_view text) {
  Instant instant;
  if (const char* why = tryParseInstant(text, instant)) {
    throw DataException("invalid instant " + quoted(text) + ": " + why);
  }
  return instant;
}

namespace {

/// Optimal string alignment distance (edits, adjacent swaps included), case-insensitive.
size_t editDistance(std::string_view a, std::string_view b) {
  auto lower = [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  };
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) {
    d[i][0] = i;
  }
  for (size_t j = 0; j <= b.size(); ++j) {
    d[0][j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::string unknownKeyMessage(std::string_view key, const std::string_view* known, size_t count) {
  std::string message = "unknown key " + quoted(key);
  constexpr size_t kMaxKey = 64;  // longer keys are no typo of ours (and would cost time)
  if (key.size() > kMaxKey) {
    return message;
  }
  std::string_view best;
  size_t bestDistance = std::max<size_t>(1, key.size() / 3) + 1;
  for (size_t i = 0; i < count; ++i) {
    const size_t distance = editDistance(key, known[i]);
    if (distance < bestDistance) {
      best = known[i];
      bestDistance = distance;
    }
  }
  // Else a key the typo is part of ("community" for "readCommunity").
  constexpr size_t kMinPart = 4;
  for (size_t i = 0; i < count && best.empty() && key.size() >= kMinPart; ++i) {
    for (size_t at = 0; at + key.size() <= known[i].size(); ++at) {
      if (editDistance(key, known[i].substr(at, key.size())) == 0) {
        best = known[i];
        break;
      }
    }
  }
  if (!best.empty()) {
    message += " (did you mean " + quoted(best) + "?)";
  }
  return message;
}

}  // namespace inventoryfs
