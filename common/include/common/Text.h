#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace common {

// Text helpers both daemons use: UTF-8 validation, and escaping for quoted strings in logs,
// messages and JSON. All functions are pure and thread-safe.

/// Length of the well-formed UTF-8 sequence starting at `s[i]` (`valid` = true), or of the
/// maximal ill-formed subpart there (`valid` = false: a lead byte followed by the continuation
/// bytes that still fit it, at least 1; Unicode §3.9 replaces it by one U+FFFD). Overlongs,
/// surrogates and code points above U+10FFFF are ill-formed. `i` must be < s.size().
inline std::size_t utf8Sequence(std::string_view s, std::size_t i, bool& valid) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    valid = true;
    return 1;
  }
  std::size_t need = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
  } else if (c == 0xE0) {
    need = 2;
    lo = 0xA0;  // no overlongs
  } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
    need = 2;
  } else if (c == 0xED) {
    need = 2;
    hi = 0x9F;  // no surrogates
  } else if (c == 0xF0) {
    need = 3;
    lo = 0x90;  // no overlongs
  } else if (c >= 0xF1 && c <= 0xF3) {
    need = 3;
  } else if (c == 0xF4) {
    need = 3;
    hi = 0x8F;  // nothing above U+10FFFF
  } else {
    valid = false;
    return 1;
  }
  std::size_t j = i + 1;
  for (std::size_t k = 0; k < need; ++k, ++j) {
    if (j >= s.size()) {
      valid = false;
      return j - i;
    }
    const auto d = static_cast<unsigned char>(s[j]);
    if (d < lo || d > hi) {
      valid = false;
      return j - i;
    }
    lo = 0x80;
    hi = 0xBF;
  }
  valid = true;
  return need + 1;
}

/// U+FFFD REPLACEMENT CHARACTER, in UTF-8.
inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

/// True when `text` is well-formed UTF-8 (as utf8Sequence defines it).
bool isValidUtf8(std::string_view text);

/// `raw` with each maximal invalid UTF-8 subsequence replaced by U+FFFD; valid input is
/// returned unchanged.
std::string sanitizeUtf8(std::string_view raw);

/// `raw` with each byte of an invalid UTF-8 subsequence written as the text `\xFF` (upper-case
/// hex), for messages that quote what a client sent: valid UTF-8 that still shows the byte.
std::string escapeInvalidUtf8(std::string_view raw);

/// Appends `text` escaped for a double-quoted string (logfmt and JSON share the rules): quote,
/// backslash, \n, \r and \t escaped; other control characters as \u00XX (and DEL outside
/// JSON); each byte of invalid UTF-8 as U+FFFD.
void appendEscaped(std::string& out, std::string_view text, bool json);

/// `"text"` escaped as appendEscaped(…, json = false) does, so odd values are visible in
/// messages and logs.
std::string quoted(std::string_view text);

/// `text` safe to print in HTML text and in a double- or single-quoted attribute: `&`, `<`, `>`,
/// `"` and `'` become entities, each invalid UTF-8 subsequence becomes U+FFFD, and other control
/// characters than tab and newline become U+FFFD too (a page must not carry them raw).
std::string htmlEscape(std::string_view text);

}  // namespace common
