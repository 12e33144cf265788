#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace re2 {
class RE2;
}  // namespace re2

namespace promsnmp {

// The few Go standard library text conversions whose exact results show in snmp_exporter's
// output, so ModuleRenderer produces the same label values and sample values. Each function
// names the Go function it follows. All are pure and thread-safe.

/// strings.ToValidUTF8(raw, "\uFFFD"): each *run* of bytes that are not valid UTF-8 becomes one
/// U+FFFD (common::sanitizeUtf8 replaces each maximal subpart instead: "\xFF\xFE" gives one
/// U+FFFD here, two there). Appends to `out`.
void appendGoValidUtf8(std::string& out, std::string_view raw);
std::string goValidUtf8(std::string_view raw);

/// strconv.ParseFloat(text, 64) when it succeeds: decimal or 0x-hexadecimal (with a p exponent)
/// numbers with an optional sign, "inf"/"infinity" (signed) and "nan" in any case, underscores
/// only after a 0x prefix, nothing else around. A finite number too large for a double is an
/// error (nullopt), one too small is ±0, as in Go.
std::optional<double> parseGoFloat(std::string_view text);

/// strconv.FormatFloat(v, 'f', -1, 32 or 64): the shortest digits that read back as the same
/// float (or double), written without an exponent ("0.15000000596046448", "123456790");
/// "NaN", "+Inf", "-Inf".
void appendGoFixedFloat(std::string& out, double v, bool isFloat32);

/// regexp.(*Regexp).ExpandString: appends `tmpl` with $1, ${1}, $name and ${name} replaced by the
/// submatches of `re` in `groups` (groups[0] the whole match; an unmatched or missing group is
/// empty) and $$ by $. A $ that starts no valid reference is copied as is.
void appendGoExpand(std::string& out, std::string_view tmpl, const re2::RE2& re,
                    std::span<const std::string_view> groups);

}  // namespace promsnmp
