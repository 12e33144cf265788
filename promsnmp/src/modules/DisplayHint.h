#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace promsnmp {

/// Formats the octets `data` with an RFC 2579 §3.1 octet-format DISPLAY-HINT ("1d.1d.1d.1d",
/// "1x:", "255a", "*1d./1d", …), as snmp_exporter's applyDisplayHint (collector/display_hint.go)
/// does: each specification is an optional `*` (the next octet is a repeat count), a decimal
/// octet count, a format (d decimal, o octal, x upper-case hex, a and t octets as they are), an
/// optional separator and, after `*`, an optional terminator; the last specification repeats
/// until the data is used up, and a separator is left out at the end of the data.
///
/// Returns nullopt, so that the caller falls back to its default formatting, for an empty hint
/// or empty data, a malformed hint, a `d` or `o` chunk longer than 8 octets, or a last
/// specification that would repeat without consuming data. The result is not made valid UTF-8
/// (`a` and `t` copy octets). Pure, thread-safe.
std::optional<std::string> applyDisplayHint(std::string_view hint, std::string_view data);

}  // namespace promsnmp
