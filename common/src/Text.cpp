#include "common/Text.h"

namespace common {

namespace {

/// `raw` with each maximal invalid UTF-8 subsequence replaced by what `invalid(out, bytes)`
/// appends; valid input is copied unchanged.
template <typename Invalid>
std::string mapInvalidUtf8(std::string_view raw, Invalid invalid) {
  std::string out;
  out.reserve(raw.size());
  std::size_t i = 0;
  while (i < raw.size()) {
    if (static_cast<unsigned char>(raw[i]) < 0x80) {
      out += raw[i++];
      continue;
    }
    bool valid = false;
    const std::size_t length = utf8Sequence(raw, i, valid);
    if (valid) {
      out.append(raw.data() + i, length);
    } else {
      invalid(out, raw.substr(i, length));
    }
    i += length;
  }
  return out;
}

void appendHexEscape(std::string& out, unsigned char c) {
  static const char* const kHex = "0123456789abcdef";
  out += "\\u00";
  out += kHex[c >> 4];
  out += kHex[c & 15];
}

}  // namespace

bool isValidUtf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    bool valid = false;
    i += utf8Sequence(text, i, valid);
    if (!valid) {
      return false;
    }
  }
  return true;
}

std::string sanitizeUtf8(std::string_view raw) {
  return mapInvalidUtf8(raw,
                        [](std::string& out, std::string_view) { out += kReplacementCharacter; });
}

std::string escapeInvalidUtf8(std::string_view raw) {
  return mapInvalidUtf8(raw, [](std::string& out, std::string_view bytes) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (const char c : bytes) {
      const auto byte = static_cast<unsigned char>(c);
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  });
}

void appendEscaped(std::string& out, std::string_view text, bool json) {
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    bool valid = false;
    const std::size_t length = utf8Sequence(text, i, valid);
    if (!valid) {
      // One U+FFFD per byte, so a reader can count what was dropped.
      for (std::size_t k = 0; k < length; ++k) {
        out += kReplacementCharacter;
      }
      i += length;
      continue;
    }
    if (length > 1) {
      out.append(text.substr(i, length));
      i += length;
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || (!json && c == 0x7f)) {
          appendHexEscape(out, c);
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
}

std::string quoted(std::string_view text) {
  std::string out = "\"";
  appendEscaped(out, text, false);
  out += '"';
  return out;
}

std::string htmlEscape(std::string_view text) {
  const std::string clean = sanitizeUtf8(text);
  std::string out;
  out.reserve(clean.size());
  for (const char c : clean) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
          out += kReplacementCharacter;
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace common
