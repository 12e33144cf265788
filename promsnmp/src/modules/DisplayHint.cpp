#include "modules/DisplayHint.h"

#include <charconv>
#include <cstdint>

namespace promsnmp {

namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

void appendUnsignedIn(std::string& out, uint64_t value, int base) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, base);
  out.append(buf, end);
}

}  // namespace

std::optional<std::string> applyDisplayHint(std::string_view hint, std::string_view data) {
  if (hint.empty() || data.empty()) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(data.size() * 4);
  size_t h = 0;
  size_t d = 0;
  size_t lastSpecStart = 0;
  bool lastSpecConsumes = false;
  while (d < data.size()) {
    size_t specStart = h;
    if (h >= hint.size()) {
      // Implicit repetition of the last specification, unless it would never end.
      if (!lastSpecConsumes) {
        return std::nullopt;
      }
      h = lastSpecStart;
      specStart = lastSpecStart;
    }
    const bool star = hint[h] == '*';
    if (star) {
      ++h;
    }
    if (h >= hint.size() || !isDigit(hint[h])) {
      return std::nullopt;
    }
    // The octet count, with the wrap-around of Go's int arithmetic: a count that overflows to
    // a negative number is an error, as there.
    uint64_t take = 0;
    while (h < hint.size() && isDigit(hint[h])) {
      take = take * 10 + static_cast<uint64_t>(hint[h] - '0');
      ++h;
    }
    if (static_cast<int64_t>(take) < 0) {
      return std::nullopt;
    }
    if (h >= hint.size()) {
      return std::nullopt;
    }
    const char format = hint[h];
    if (format != 'd' && format != 'x' && format != 'o' && format != 'a' && format != 't') {
      return std::nullopt;
    }
    ++h;
    char separator = 0;
    bool hasSeparator = false;
    if (h < hint.size() && !isDigit(hint[h]) && hint[h] != '*') {
      separator = hint[h];
      hasSeparator = true;
      ++h;
    }
    char terminator = 0;
    bool hasTerminator = false;
    if (star && h < hint.size() && !isDigit(hint[h]) && hint[h] != '*') {
      terminator = hint[h];
      hasTerminator = true;
      ++h;
    }
    lastSpecStart = specStart;
    lastSpecConsumes = take > 0 || star;

    uint64_t repeat = 1;
    if (star && d < data.size()) {
      repeat = static_cast<unsigned char>(data[d]);
      ++d;
    }
    for (uint64_t r = 0; r < repeat && d < data.size(); ++r) {
      const size_t end = take > data.size() - d ? data.size() : d + static_cast<size_t>(take);
      const std::string_view chunk = data.substr(d, end - d);
      switch (format) {
        case 'd':
        case 'o': {
          if (chunk.size() > 8) {
            return std::nullopt;
          }
          uint64_t value = 0;
          for (const char c : chunk) {
            value = (value << 8) | static_cast<unsigned char>(c);
          }
          appendUnsignedIn(out, value, format == 'd' ? 10 : 8);
          break;
        }
        case 'x': {
          static constexpr char kHex[] = "0123456789ABCDEF";
          for (const char c : chunk) {
            const auto b = static_cast<unsigned char>(c);
            out += kHex[b >> 4];
            out += kHex[b & 15];
          }
          break;
        }
        default:  // 'a', 't'
          out.append(chunk);
          break;
      }
      d = end;
      if (hasSeparator && d < data.size() && (!hasTerminator || r != repeat - 1)) {
        out += separator;
      }
    }
    if (hasTerminator && d < data.size()) {
      out += terminator;
    }
  }
  return out;
}

}  // namespace promsnmp
