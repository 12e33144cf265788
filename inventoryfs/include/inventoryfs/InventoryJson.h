#pragma once

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

/// Parses an inventory document. Throws DataException naming the JSON path of the first
/// problem (e.g. `devices[2].agents[0].endpoint.port: expected an integer`). Thread-safe.
Inventory inventoryFromJson(std::string_view text);

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
