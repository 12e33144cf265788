#include "modules/GoText.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <system_error>

#include <re2/re2.h>

#include "common/Text.h"

namespace promsnmp {

namespace {

char lower(char c) { return static_cast<char>(c | 0x20); }

bool isDecimalDigit(char c) { return c >= '0' && c <= '9'; }

bool isHexDigit(char c) { return isDecimalDigit(c) || (lower(c) >= 'a' && lower(c) <= 'f'); }

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

// strconv's underscoreOK: an underscore only between two digits, or between a 0x prefix and a
// digit. `s` is the number as read (sign, prefix, mantissa, exponent).
bool underscoresOk(std::string_view s) {
  char saw = '^';  // ^ start, 0 digit or prefix, _ underscore, ! anything else
  size_t i = 0;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    s.remove_prefix(1);
  }
  bool hex = false;
  if (s.size() >= 2 && s[0] == '0' &&
      (lower(s[1]) == 'b' || lower(s[1]) == 'o' || lower(s[1]) == 'x')) {
    i = 2;
    saw = '0';
    hex = lower(s[1]) == 'x';
  }
  for (; i < s.size(); ++i) {
    if (isDecimalDigit(s[i]) || (hex && isHexDigit(s[i]))) {
      saw = '0';
      continue;
    }
    if (s[i] == '_') {
      if (saw != '0') {
        return false;
      }
      saw = '_';
      continue;
    }
    if (saw == '_') {
      return false;
    }
    saw = '!';
  }
  return saw != '_';
}

// Whether a number that std::from_chars found out of range is too large (true) or too small:
// the position of its first significant digit, moved by the exponent, is above or below the
// point. `mantissa` holds digits and at most one '.', `exponent` the exponent's value, `bits`
// 4 for hexadecimal digits (binary exponent), 0 for decimal ones.
bool tooLarge(std::string_view mantissa, int64_t exponent, int bits) {
  const size_t dot = mantissa.find('.');
  const std::string_view integer = mantissa.substr(0, dot);
  const size_t firstInteger = integer.find_first_not_of('0');
  int64_t position = 0;  // digits (hex: bits) of the first significant digit above the point
  if (firstInteger != std::string_view::npos) {
    position = static_cast<int64_t>(integer.size() - firstInteger);
  } else if (dot != std::string_view::npos) {
    const std::string_view fraction = mantissa.substr(dot + 1);
    const size_t first = fraction.find_first_not_of('0');
    position = first == std::string_view::npos ? -1 : -static_cast<int64_t>(first);
  }
  if (bits != 0) {
    position *= bits;
  }
  return position + exponent > 0;
}

}  // namespace

void appendGoValidUtf8(std::string& out, std::string_view raw) {
  size_t run = 0;  // start of the pending valid bytes
  size_t i = 0;
  bool invalid = false;  // the previous byte belonged to an invalid sequence
  while (i < raw.size()) {
    if (static_cast<unsigned char>(raw[i]) < 0x80) {
      ++i;
      invalid = false;
      continue;
    }
    bool valid = false;
    const size_t length = common::utf8Sequence(raw, i, valid);
    if (valid) {
      i += length;
      invalid = false;
      continue;
    }
    out.append(raw.data() + run, i - run);
    if (!invalid) {
      out += common::kReplacementCharacter;
      invalid = true;
    }
    i += length;
    run = i;
  }
  out.append(raw.data() + run, raw.size() - run);
}

std::string goValidUtf8(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  appendGoValidUtf8(out, raw);
  return out;
}

std::optional<double> parseGoFloat(std::string_view s) {
  if (s.empty()) {
    return std::nullopt;
  }
  // Special values (strconv's special()): a sign is allowed before "inf" only.
  {
    const bool sign = s[0] == '+' || s[0] == '-';
    const std::string_view word = s.substr(sign ? 1 : 0);
    if (equalsIgnoreCase(word, "inf") || equalsIgnoreCase(word, "infinity")) {
      return s[0] == '-' ? -std::numeric_limits<double>::infinity()
                         : std::numeric_limits<double>::infinity();
    }
    if (!sign && equalsIgnoreCase(word, "nan")) {
      return std::numeric_limits<double>::quiet_NaN();
    }
  }
  // The grammar of strconv's readFloat; the conversion itself is std::from_chars's.
  size_t i = 0;
  const bool negative = s[0] == '-';
  if (s[0] == '+' || s[0] == '-') {
    ++i;
  }
  const bool hex = i + 2 < s.size() && s[i] == '0' && lower(s[i + 1]) == 'x';
  if (hex) {
    i += 2;
  }
  std::string mantissa;
  bool underscores = false;
  bool sawDot = false;
  bool sawDigits = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '_') {
      underscores = true;
    } else if (c == '.') {
      if (sawDot) {
        break;
      }
      sawDot = true;
      mantissa += c;
    } else if (hex ? isHexDigit(c) : isDecimalDigit(c)) {
      sawDigits = true;
      mantissa += c;
    } else {
      break;
    }
  }
  if (!sawDigits) {
    return std::nullopt;
  }
  int64_t exponent = 0;
  bool sawExponent = false;
  if (i < s.size() && lower(s[i]) == (hex ? 'p' : 'e')) {
    ++i;
    int64_t sign = 1;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      sign = s[i] == '-' ? -1 : 1;
      ++i;
    }
    if (i >= s.size() || !isDecimalDigit(s[i])) {
      return std::nullopt;
    }
    for (; i < s.size() && (isDecimalDigit(s[i]) || s[i] == '_'); ++i) {
      if (s[i] == '_') {
        underscores = true;
      } else if (exponent < 100000) {
        exponent = exponent * 10 + (s[i] - '0');
      }
    }
    exponent *= sign;
    sawExponent = true;
  } else if (hex) {
    return std::nullopt;  // a hexadecimal mantissa needs a p exponent
  }
  if (underscores && !underscoresOk(s.substr(0, i))) {
    return std::nullopt;
  }
  if (i != s.size()) {
    return std::nullopt;
  }
  std::string text = mantissa;
  if (sawExponent) {
    text += hex ? 'p' : 'e';
    text += std::to_string(exponent);
  }
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value,
                                         hex ? std::chars_format::hex : std::chars_format::general);
  if (ec == std::errc::result_out_of_range) {
    if (tooLarge(mantissa, exponent, hex ? 4 : 0)) {
      return std::nullopt;  // Go: ±Inf with ErrRange
    }
    value = 0;
  } else if (ec != std::errc() || end != text.data() + text.size() || std::isinf(value)) {
    return std::nullopt;
  }
  return negative ? -value : value;
}

void appendGoFixedFloat(std::string& out, double v, bool isFloat32) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v < 0 ? "-Inf" : "+Inf";
    return;
  }
  // The shortest round-trip digits, in scientific form: [-]d[.ddd]e±XX.
  char buf[64];
  const auto result = isFloat32
                          ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(v),
                                          std::chars_format::scientific)
                          : std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(result.ptr - buf));
  if (!sci.empty() && sci[0] == '-') {
    out += '-';
    sci.remove_prefix(1);
  }
  const size_t e = sci.find('e');
  std::string digits;
  for (const char c : sci.substr(0, e)) {
    if (c != '.') {
      digits += c;
    }
  }
  int exponent = 0;
  std::string_view exponentText = sci.substr(e + 1);
  const bool negativeExponent = exponentText[0] == '-';
  exponentText.remove_prefix(1);
  std::from_chars(exponentText.data(), exponentText.data() + exponentText.size(), exponent);
  if (negativeExponent) {
    exponent = -exponent;
  }
  // digits = d1 d2 … dn, value = d1.d2…dn × 10^exponent.
  const int n = static_cast<int>(digits.size());
  if (exponent < 0) {
    out += "0.";
    out.append(static_cast<size_t>(-exponent - 1), '0');
    out += digits;
    return;
  }
  const int integerDigits = exponent + 1;
  if (n <= integerDigits) {
    out += digits;
    out.append(static_cast<size_t>(integerDigits - n), '0');
    return;
  }
  out.append(digits, 0, static_cast<size_t>(integerDigits));
  out += '.';
  out.append(digits, static_cast<size_t>(integerDigits), std::string::npos);
}

void appendGoExpand(std::string& out, std::string_view tmpl, const re2::RE2& re,
                    std::span<const std::string_view> groups) {
  auto isNameByte = [](char c) {
    // ASCII letters, digits and underscore; other bytes of UTF-8 letters count as name bytes
    // too (Go takes any Unicode letter; a group name can only be ASCII, so such a name is
    // empty either way).
    return isDecimalDigit(c) || (lower(c) >= 'a' && lower(c) <= 'z') || c == '_' ||
           static_cast<unsigned char>(c) >= 0x80;
  };
  while (!tmpl.empty()) {
    const size_t dollar = tmpl.find('$');
    if (dollar == std::string_view::npos) {
      break;
    }
    out.append(tmpl.substr(0, dollar));
    tmpl.remove_prefix(dollar + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {
      out += '$';
      tmpl.remove_prefix(1);
      continue;
    }
    // regexp's extract(): $name or ${name}, the name as long as possible.
    std::string_view rest = tmpl;
    const bool brace = !rest.empty() && rest[0] == '{';
    if (brace) {
      rest.remove_prefix(1);
    }
    size_t n = 0;
    while (n < rest.size() && isNameByte(rest[n])) {
      ++n;
    }
    if (n == 0 || (brace && (n >= rest.size() || rest[n] != '}'))) {
      out += '$';  // malformed: the $ is text
      continue;
    }
    const std::string_view name = rest.substr(0, n);
    tmpl = rest.substr(brace ? n + 1 : n);
    int number = 0;
    for (const char c : name) {
      if (!isDecimalDigit(c) || number >= 100000000) {
        number = -1;
        break;
      }
      number = number * 10 + (c - '0');
    }
    if (name[0] == '0' && name.size() > 1) {
      number = -1;  // no leading zeros
    }
    if (number < 0) {
      const auto& named = re.NamedCapturingGroups();
      const auto it = named.find(std::string(name));
      number = it == named.end() ? -1 : it->second;
    }
    if (number >= 0 && static_cast<size_t>(number) < groups.size()) {
      out.append(groups[static_cast<size_t>(number)]);
    }
  }
  out.append(tmpl);
}

}  // namespace promsnmp
