#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "inventoryfs/Inventory.h"

namespace inventoryfs {

// The JSON codec for the Java schema. Reading accepts everything Jackson wrote (duplicate
// "type" keys, explicit nulls, missing primitives, 0-9 fraction digits in instants, UTF-8);
// writing produces what Jackson reads.

enum class JsonStyle {
  Compact,  // one line, what the HTTP API returns
  Pretty,   // Jackson's default pretty printer ("key" : value, two-space indent)
};

struct JsonWriteOptions {
  JsonStyle style = JsonStyle::Compact;
  /// Replace communities and passphrases by "<secret>" (exports, masked API answers).
  bool maskCredentials = false;
  /// Write "type" a second time as the last agent property, byte-compatible with Jackson.
  bool typeTwice = false;
};

/// The text that replaces a masked credential.
inline constexpr std::string_view kMaskedSecret = "<secret>";

struct JsonReadOptions {
  /// For documents a client sends (POST /promsnmp/inventory), not files: a key the schema does
  /// not know is refused and named (Jackson ignores it, so a typo silently dropped a field), and
  /// so are contradictory credentials: an agent whose `version` its type cannot speak (3 for
  /// snmp-community, anything but 3 for snmp-user), a seed whose `version` contradicts its
  /// `agentType`, or a credential of the other agent type with a value. Files keep Jackson's
  /// leniency: Java wrote community agents with version 3 when discovery was asked for "v3".
  bool strict = false;
};

/// Parses an inventory document. Throws DataException naming the JSON path of the first
/// problem (e.g. `devices[2].agents[0].endpoint.port: expected an integer`). Thread-safe.
Inventory inventoryFromJson(std::string_view text, const JsonReadOptions& options = {});

/// The members of a discovery seed (DiscoverySeedDTO), for parsers of seed-shaped bodies.
inline constexpr std::string_view kSeedKeys[] = {
    "id",           "potentialTargets", "port",         "version",
    "agentType",    "readCommunity",    "securityName", "securityLevel",
    "authProtocol", "authPassphrase",   "privProtocol", "privPassphrase"};

/// `unknown key "<key>"`, plus ` (did you mean "<k>"?)` when one of `known` is a likely typo
/// of it (same letters ignoring case, at most a third of its length in edits, or a known key
/// that contains it: "community" → "readCommunity"). Pure.
std::string unknownKeyMessage(std::string_view key, const std::string_view* known, size_t count);
template <size_t N>
std::string unknownKeyMessage(std::string_view key, const std::string_view (&known)[N]) {
  return unknownKeyMessage(key, known, N);
}

/// Renders an inventory. Thread-safe.
std::string inventoryToJson(const Inventory& inventory, const JsonWriteOptions& options = {});

/// Renders one seed / one device (for the HTTP API). Thread-safe.
std::string seedToJson(const DiscoverySeed& seed, const JsonWriteOptions& options = {});
std::string deviceToJson(const Device& device, const JsonWriteOptions& options = {});

/// ISO-8601 as Java `Instant.toString()` writes it: 0, 3, 6 or 9 fraction digits, `Z`.
std::string formatInstant(const Instant& instant);

/// Parses `YYYY-MM-DDThh:mm:ss[.f{1,9}](Z|±hh:mm)`. Throws DataException.
Instant parseInstant(std::string_view text);

}  // namespace inventoryfs
