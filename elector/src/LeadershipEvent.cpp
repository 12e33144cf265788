#include "elector/LeadershipEvent.h"

#include <cstdio>

#include <Poco/Exception.h>

#include "common/Text.h"

namespace elector {

namespace {

void appendUtf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

/// A recursive-descent reader for exactly one flat JSON object of strings and unsigned integers;
/// every method returns false and sets error_ on the first problem.
class LineParser {
 public:
  explicit LineParser(std::string_view text) : text_(text) {}

  std::optional<LeadershipEvent> parse() {
    LeadershipEvent event;
    bool haveRole = false, haveEpoch = false, haveHolder = false, haveLease = false;
    skipSpace();
    if (!expect('{')) {
      return std::nullopt;
    }
    skipSpace();
    if (peek() == '}') {
      return fail("missing key role");
    }
    for (;;) {
      std::string key;
      skipSpace();
      if (!parseString(key)) {
        return std::nullopt;
      }
      skipSpace();
      if (!expect(':')) {
        return std::nullopt;
      }
      skipSpace();
      if (key == "role") {
        if (haveRole) {
          return fail("duplicate key role");
        }
        haveRole = true;
        std::string role;
        if (peek() != '"') {
          return fail("role is not a string");
        }
        if (!parseString(role)) {
          return std::nullopt;
        }
        if (role == "leader") {
          event.role = LeadershipRole::Leader;
        } else if (role == "follower") {
          event.role = LeadershipRole::Follower;
        } else {
          return fail("role is neither leader nor follower");
        }
      } else if (key == "epoch") {
        if (haveEpoch) {
          return fail("duplicate key epoch");
        }
        haveEpoch = true;
        if (!parseUnsigned("epoch", event.epoch)) {
          return std::nullopt;
        }
      } else if (key == "holder") {
        if (haveHolder) {
          return fail("duplicate key holder");
        }
        haveHolder = true;
        if (peek() != '"') {
          return fail("holder is not a string");
        }
        if (!parseString(event.holder)) {
          return std::nullopt;
        }
        if (event.holder.size() > kMaxHolderBytes) {
          return fail("holder longer than " + std::to_string(kMaxHolderBytes) + " bytes");
        }
      } else if (key == "lease_ms") {
        if (haveLease) {
          return fail("duplicate key lease_ms");
        }
        haveLease = true;
        std::uint64_t lease = 0;
        if (!parseUnsigned("lease_ms", lease)) {
          return std::nullopt;
        }
        if (lease < kMinLeaseMs || lease > kMaxLeaseMs) {
          return fail("lease_ms out of range " + std::to_string(kMinLeaseMs) + ".." +
                      std::to_string(kMaxLeaseMs));
        }
        event.leaseMs = static_cast<std::uint32_t>(lease);
      } else {
        return fail("unknown key");
      }
      skipSpace();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (!expect('}')) {
        return std::nullopt;
      }
      break;
    }
    skipSpace();
    if (pos_ != text_.size()) {
      return fail("trailing characters after the object");
    }
    if (!haveRole) {
      return fail("missing key role");
    }
    if (!haveEpoch) {
      return fail("missing key epoch");
    }
    if (!haveHolder) {
      return fail("missing key holder");
    }
    if (!haveLease) {
      return fail("missing key lease_ms");
    }
    return event;
  }

  const std::string& error() const { return error_; }

 private:
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  void skipSpace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  std::nullopt_t fail(std::string message) {
    if (error_.empty()) {
      error_ = std::move(message) + " at byte " + std::to_string(pos_);
    }
    return std::nullopt;
  }

  bool expect(char c) {
    if (peek() != c || pos_ >= text_.size()) {
      fail(std::string("expected '") + c + "'");
      return false;
    }
    ++pos_;
    return true;
  }

  bool parseHex4(std::uint32_t& value) {
    if (pos_ + 4 > text_.size()) {
      fail("truncated \\u escape");
      return false;
    }
    value = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text_[pos_++];
      value <<= 4;
      if (c >= '0' && c <= '9') {
        value |= static_cast<std::uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        value |= static_cast<std::uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        value |= static_cast<std::uint32_t>(c - 'A' + 10);
      } else {
        fail("bad \\u escape");
        return false;
      }
    }
    return true;
  }

  bool parseString(std::string& out) {
    if (!expect('"')) {
      return false;
    }
    out.clear();
    while (pos_ < text_.size()) {
      const unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) {
        fail("control character in string");
        return false;
      }
      if (c == '\\') {
        ++pos_;
        if (pos_ >= text_.size()) {
          break;
        }
        const char e = text_[pos_++];
        switch (e) {
          case '"':
            out += '"';
            break;
          case '\\':
            out += '\\';
            break;
          case '/':
            out += '/';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            std::uint32_t cp = 0;
            if (!parseHex4(cp)) {
              return false;
            }
            if (cp >= 0xDC00 && cp <= 0xDFFF) {
              fail("lone low surrogate");
              return false;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
              std::uint32_t low = 0;
              if (text_.substr(pos_, 2) != "\\u") {
                fail("lone high surrogate");
                return false;
              }
              pos_ += 2;
              if (!parseHex4(low)) {
                return false;
              }
              if (low < 0xDC00 || low > 0xDFFF) {
                fail("lone high surrogate");
                return false;
              }
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            appendUtf8(out, cp);
            break;
          }
          default:
            fail("bad escape");
            return false;
        }
        continue;
      }
      bool valid = false;
      const std::size_t n = common::utf8Sequence(text_, pos_, valid);
      if (!valid) {
        fail("invalid UTF-8");
        return false;
      }
      out.append(text_.substr(pos_, n));
      pos_ += n;
    }
    fail("unterminated string");
    return false;
  }

  bool parseUnsigned(const char* name, std::uint64_t& value) {
    const std::size_t start = pos_;
    value = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      const auto digit = static_cast<std::uint64_t>(text_[pos_] - '0');
      if (value > (UINT64_MAX - digit) / 10) {
        fail(std::string(name) + " does not fit in 64 bits");
        return false;
      }
      value = value * 10 + digit;
      ++pos_;
    }
    if (pos_ == start) {
      fail(std::string(name) + " is not an unsigned integer");
      return false;
    }
    if (pos_ - start > 1 && text_[start] == '0') {
      fail(std::string(name) + " has a leading zero");
      return false;
    }
    const char next = peek();
    if (next == '.' || next == 'e' || next == 'E') {
      fail(std::string(name) + " is not an integer");
      return false;
    }
    return true;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::string error_;
};

}  // namespace

std::string encode(const LeadershipEvent& event) {
  if (event.holder.size() > kMaxHolderBytes) {
    throw Poco::InvalidArgumentException("leadership event holder too long");
  }
  if (!common::isValidUtf8(event.holder)) {
    throw Poco::InvalidArgumentException("leadership event holder is not UTF-8");
  }
  if (event.leaseMs < kMinLeaseMs || event.leaseMs > kMaxLeaseMs) {
    throw Poco::InvalidArgumentException("leadership event lease_ms out of range");
  }
  std::string line = "{\"role\":\"";
  line += event.role == LeadershipRole::Leader ? "leader" : "follower";
  line += "\",\"epoch\":";
  line += std::to_string(event.epoch);
  line += ",\"holder\":\"";
  for (const char ch : event.holder) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      line += '\\';
      line += ch;
    } else if (c < 0x20 || c == 0x7F) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
      line += buffer;
    } else {
      line += ch;
    }
  }
  line += "\",\"lease_ms\":";
  line += std::to_string(event.leaseMs);
  line += '}';
  if (line.size() > kMaxLineBytes) {
    throw Poco::InvalidArgumentException("leadership event line too long once escaped");
  }
  line += '\n';
  return line;
}

std::optional<LeadershipEvent> decode(std::string_view line, std::string* error) {
  if (!line.empty() && line.back() == '\n') {
    line.remove_suffix(1);
  }
  if (line.size() > kMaxLineBytes) {
    if (error != nullptr) {
      *error = "line longer than " + std::to_string(kMaxLineBytes) + " bytes";
    }
    return std::nullopt;
  }
  LineParser parser(line);
  auto event = parser.parse();
  if (!event && error != nullptr) {
    *error = parser.error();
  }
  return event;
}

}  // namespace elector
