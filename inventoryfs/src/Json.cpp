#include "Json.h"

#include <array>
#include <charconv>
#include <cstring>

#include "inventoryfs/Exceptions.h"

namespace inventoryfs::detail {

namespace {

// Byte classes for the string scanners.
enum : uint8_t {
  kPlain = 0,      // printable ASCII other than '"' and '\\'
  kQuote = 1,      // '"'
  kBackslash = 2,  // '\\'
  kControl = 3,    // 0x00-0x1F
  kHigh = 4,       // 0x80-0xFF: part of a multi-byte UTF-8 sequence (or invalid)
};

constexpr std::array<uint8_t, 256> makeByteClasses() {
  std::array<uint8_t, 256> table{};
  for (int c = 0; c < 256; ++c) {
    if (c < 0x20) {
      table[c] = kControl;
    } else if (c == '"') {
      table[c] = kQuote;
    } else if (c == '\\') {
      table[c] = kBackslash;
    } else if (c >= 0x80) {
      table[c] = kHigh;
    } else {
      table[c] = kPlain;
    }
  }
  return table;
}

constexpr std::array<uint8_t, 256> kByteClass = makeByteClasses();

// SWAR ("SIMD within a register") test of eight bytes at a time: nonzero iff one of them is
// '"', '\\', a control character or >= 0x80, i.e. not kPlain. Strings are mostly plain ASCII,
// so scanning and escaping skip eight bytes per step. Exact as a yes/no answer; positions are
// then found byte by byte.
constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighBits = 0x8080808080808080ULL;

inline uint64_t notPlainBytes(const unsigned char* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  const uint64_t quote = w ^ (kOnes * '"');
  const uint64_t backslash = w ^ (kOnes * '\\');
  return (((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash) |
          ((w - kOnes * 0x20) & ~w) | w) &
         kHighBits;
}

/// Advances `p` over plain bytes (kPlain), stopping at the first other byte or at `end`.
inline const unsigned char* skipPlain(const unsigned char* p, const unsigned char* end) {
  while (end - p >= 8 && notPlainBytes(p) == 0) {
    p += 8;
  }
  while (p < end && kByteClass[*p] == kPlain) {
    ++p;
  }
  return p;
}

constexpr bool isWhitespace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

constexpr bool isDigit(char c) { return c >= '0' && c <= '9'; }

constexpr bool isContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

/// The length (2-4) of the well-formed UTF-8 sequence starting at `p` whose lead byte is
/// >= 0x80, or 0 if it is not well-formed (Unicode Table 3-7: no overlongs, no surrogates,
/// nothing above U+10FFFF).
size_t utf8SequenceLength(const unsigned char* p, const unsigned char* end) {
  const unsigned char lead = p[0];
  const size_t avail = static_cast<size_t>(end - p);
  if (lead >= 0xC2 && lead <= 0xDF) {
    return avail >= 2 && isContinuation(p[1]) ? 2 : 0;
  }
  if (lead >= 0xE0 && lead <= 0xEF) {
    if (avail < 3) {
      return 0;
    }
    const unsigned char lo = lead == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = lead == 0xED ? 0x9F : 0xBF;
    return p[1] >= lo && p[1] <= hi && isContinuation(p[2]) ? 3 : 0;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    if (avail < 4) {
      return 0;
    }
    const unsigned char lo = lead == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = lead == 0xF4 ? 0x8F : 0xBF;
    return p[1] >= lo && p[1] <= hi && isContinuation(p[2]) && isContinuation(p[3]) ? 4 : 0;
  }
  return 0;
}

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string describeChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7F) {
    return std::string("'") + c + "'";
  }
  static const char kHex[] = "0123456789abcdef";
  return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 0xF];
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// JsonReader

JsonReader::JsonReader(std::string_view text, size_t maxDepth) : text_(text), maxDepth_(maxDepth) {
  // Frames are never reallocated, so a key view into a frame's ownedKey stays put.
  frames_.reserve(maxDepth_ + 1);
  // RFC 8259 §8.1: a parser may ignore a byte order mark; Jackson does.
  if (text_.substr(0, 3) == "\xEF\xBB\xBF") {
    pos_ = 3;
  }
}

std::string JsonReader::path() const {
  std::string out;
  for (const Frame& f : frames_) {
    if (f.isArray) {
      if (f.index >= 0) {
        out += '[';
        out += std::to_string(f.index);
        out += ']';
      }
    } else if (!f.first) {
      std::string_view key = f.keyOwned ? std::string_view(f.ownedKey) : f.key;
      if (key.data() != nullptr) {
        if (!out.empty()) {
          out += '.';
        }
        out += key;
      }
    }
  }
  return out;
}

void JsonReader::fail(std::string_view message) const {
  std::string p = path();
  if (p.empty()) {
    throw DataException(std::string(message));
  }
  p += ": ";
  p += message;
  throw DataException(p);
}

void JsonReader::failMember(std::string_view member, std::string_view message) const {
  std::string p = path();
  if (!p.empty()) {
    p += '.';
  }
  p += member;
  p += ": ";
  p += message;
  throw DataException(p);
}

void JsonReader::syntaxError(std::string_view message, size_t at) const {
  std::string text = "syntax error at byte " + std::to_string(at) + ": ";
  text += message;
  fail(text);
}

void JsonReader::syntaxErrorHere(std::string_view message) const { syntaxError(message, pos_); }

void JsonReader::skipWhitespace() {
  // Fast exit for compact JSON, where a token follows a token.
  if (pos_ < text_.size() && static_cast<unsigned char>(text_[pos_]) > ' ') {
    return;
  }
  while (pos_ < text_.size() && isWhitespace(text_[pos_])) {
    ++pos_;
  }
}

char JsonReader::peekChar() {
  skipWhitespace();
  if (pos_ >= text_.size()) {
    syntaxErrorHere("unexpected end of input");
  }
  return text_[pos_];
}

JsonType JsonReader::peek() {
  const char c = peekChar();
  switch (c) {
    case '{':
      return JsonType::Object;
    case '[':
      return JsonType::Array;
    case '"':
      return JsonType::String;
    case 't':
    case 'f':
      return JsonType::Bool;
    case 'n':
      return JsonType::Null;
    default:
      if (c == '-' || isDigit(c)) {
        return JsonType::Number;
      }
      syntaxErrorHere("unexpected " + describeChar(c) + ", expected a value");
  }
}

void JsonReader::expectLiteral(std::string_view literal) {
  if (text_.size() - pos_ < literal.size()) {
    if (text_.substr(pos_) == literal.substr(0, text_.size() - pos_)) {
      syntaxError("unexpected end of input", text_.size());
    }
    syntaxErrorHere("invalid literal");
  }
  if (text_.compare(pos_, literal.size(), literal) != 0) {
    syntaxErrorHere("invalid literal");
  }
  pos_ += literal.size();
}

bool JsonReader::readNullIf() {
  if (peekChar() != 'n') {
    return false;
  }
  expectLiteral("null");
  return true;
}

bool JsonReader::readBool() {
  if (peek() != JsonType::Bool) {
    fail("expected a boolean");
  }
  if (text_[pos_] == 't') {
    expectLiteral("true");
    return true;
  }
  expectLiteral("false");
  return false;
}

void JsonReader::push(bool isArray) {
  if (frames_.size() >= maxDepth_) {
    syntaxErrorHere("nesting deeper than " + std::to_string(maxDepth_) + " levels");
  }
  Frame& f = frames_.emplace_back();
  f.isArray = isArray;
}

void JsonReader::beginObject() {
  if (peek() != JsonType::Object) {
    fail("expected an object");
  }
  push(false);
  ++pos_;
}

bool JsonReader::nextMember(std::string_view& key) {
  Frame& f = frames_.back();
  const bool first = f.first;
  // Until the new key is read, errors belong to the object itself.
  f.first = true;
  f.keyOwned = false;
  char c = peekChar();
  if (c == '}') {
    ++pos_;
    frames_.pop_back();
    return false;
  }
  if (!first) {
    if (c != ',') {
      syntaxErrorHere("expected ',' or '}' after a member");
    }
    ++pos_;
    c = peekChar();
    if (c != '"') {
      syntaxErrorHere("expected a member name after ','");
    }
  } else if (c != '"') {
    syntaxErrorHere("expected a member name or '}'");
  }
  std::string_view k = scanString(true);
  f.first = false;
  if (f.keyOwned) {
    key = f.ownedKey;
  } else {
    f.key = k;
    key = k;
  }
  if (peekChar() != ':') {
    syntaxErrorHere("expected ':' after a member name");
  }
  ++pos_;
  return true;
}

void JsonReader::beginArray() {
  if (peek() != JsonType::Array) {
    fail("expected an array");
  }
  push(true);
  ++pos_;
}

bool JsonReader::nextElement() {
  Frame& f = frames_.back();
  // Until the next element starts, errors belong to the array itself.
  const int64_t index = f.index;
  f.index = -1;
  char c = peekChar();
  if (c == ']') {
    ++pos_;
    frames_.pop_back();
    return false;
  }
  if (!f.first) {
    if (c != ',') {
      syntaxErrorHere("expected ',' or ']' after an element");
    }
    ++pos_;
    if (peekChar() == ']') {
      syntaxErrorHere("expected a value after ','");
    }
  }
  f.first = false;
  f.index = index + 1;
  return true;
}

std::string_view JsonReader::readString() {
  if (peek() != JsonType::String) {
    fail("expected a string");
  }
  return scanString(false);
}

std::string_view JsonReader::scanString(bool isKey) {
  // pos_ is at the opening quote.
  const size_t start = pos_ + 1;
  const auto* const begin = reinterpret_cast<const unsigned char*>(text_.data());
  const auto* const end = begin + text_.size();
  const unsigned char* p = begin + start;
  for (;;) {
    p = skipPlain(p, end);
    if (p >= end) {
      syntaxError("unterminated string", start - 1);
    }
    switch (kByteClass[*p]) {
      case kQuote: {
        const size_t stop = static_cast<size_t>(p - begin);
        pos_ = stop + 1;
        return text_.substr(start, stop - start);
      }
      case kBackslash: {
        std::string& out = isKey ? frames_.back().ownedKey : scratch_;
        out.assign(text_.data() + start, static_cast<size_t>(p - begin) - start);
        pos_ = static_cast<size_t>(p - begin);
        decodeEscapedString(start, out);
        if (isKey) {
          frames_.back().keyOwned = true;
        }
        return out;
      }
      case kControl:
        syntaxError("control character in string (must be escaped)",
                    static_cast<size_t>(p - begin));
      default: {
        const size_t n = utf8SequenceLength(p, end);
        if (n == 0) {
          syntaxError("invalid UTF-8 in string", static_cast<size_t>(p - begin));
        }
        p += n;
      }
    }
  }
}

uint32_t JsonReader::readHex4(size_t at) {
  if (text_.size() - at < 4) {
    syntaxError("unexpected end of input in \\u escape", text_.size());
  }
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i) {
    const char c = text_[at + i];
    value <<= 4;
    if (c >= '0' && c <= '9') {
      value |= static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      value |= static_cast<uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      value |= static_cast<uint32_t>(c - 'A' + 10);
    } else {
      syntaxError("invalid \\u escape (expected 4 hex digits)", at - 2);
    }
  }
  return value;
}

void JsonReader::decodeEscapedString(size_t start, std::string& out) {
  // pos_ is at the first backslash; `out` holds everything before it.
  const auto* const begin = reinterpret_cast<const unsigned char*>(text_.data());
  const auto* const end = begin + text_.size();
  while (pos_ < text_.size()) {
    const unsigned char c = begin[pos_];
    switch (kByteClass[c]) {
      case kPlain: {
        const unsigned char* stop = skipPlain(begin + pos_, end);
        out.append(text_.data() + pos_, static_cast<size_t>(stop - begin) - pos_);
        pos_ = static_cast<size_t>(stop - begin);
        break;
      }
      case kQuote:
        ++pos_;
        return;
      case kControl:
        syntaxErrorHere("control character in string (must be escaped)");
      case kHigh: {
        const size_t n = utf8SequenceLength(begin + pos_, end);
        if (n == 0) {
          syntaxErrorHere("invalid UTF-8 in string");
        }
        out.append(text_.data() + pos_, n);
        pos_ += n;
        break;
      }
      case kBackslash: {
        const size_t escapeAt = pos_;
        if (pos_ + 1 >= text_.size()) {
          syntaxError("unterminated string", start - 1);
        }
        const char e = text_[pos_ + 1];
        pos_ += 2;
        switch (e) {
          case '"':
            out.push_back('"');
            break;
          case '\\':
            out.push_back('\\');
            break;
          case '/':
            out.push_back('/');
            break;
          case 'b':
            out.push_back('\b');
            break;
          case 'f':
            out.push_back('\f');
            break;
          case 'n':
            out.push_back('\n');
            break;
          case 'r':
            out.push_back('\r');
            break;
          case 't':
            out.push_back('\t');
            break;
          case 'u': {
            uint32_t cp = readHex4(pos_);
            pos_ += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF) {
              syntaxError("invalid \\u escape: unpaired low surrogate", escapeAt);
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
              if (text_.size() - pos_ < 2 || text_[pos_] != '\\' || text_[pos_ + 1] != 'u') {
                syntaxError("invalid \\u escape: high surrogate without a low surrogate", escapeAt);
              }
              const uint32_t low = readHex4(pos_ + 2);
              if (low < 0xDC00 || low > 0xDFFF) {
                syntaxError("invalid \\u escape: high surrogate without a low surrogate", escapeAt);
              }
              pos_ += 6;
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            appendUtf8(out, cp);
            break;
          }
          default:
            syntaxError("invalid escape \\" + std::string(1, e), escapeAt);
        }
        break;
      }
    }
  }
  syntaxError("unterminated string", start - 1);
}

size_t JsonReader::scanNumber(bool& integral) {
  size_t p = pos_;
  const size_t n = text_.size();
  integral = true;
  if (p < n && text_[p] == '-') {
    ++p;
  }
  if (p >= n || !isDigit(text_[p])) {
    syntaxErrorHere("invalid number");
  }
  if (text_[p] == '0') {
    ++p;
    if (p < n && isDigit(text_[p])) {
      syntaxErrorHere("invalid number (leading zero)");
    }
  } else {
    while (p < n && isDigit(text_[p])) {
      ++p;
    }
  }
  if (p < n && text_[p] == '.') {
    integral = false;
    ++p;
    if (p >= n || !isDigit(text_[p])) {
      syntaxErrorHere("invalid number (no digit after '.')");
    }
    while (p < n && isDigit(text_[p])) {
      ++p;
    }
  }
  if (p < n && (text_[p] == 'e' || text_[p] == 'E')) {
    integral = false;
    ++p;
    if (p < n && (text_[p] == '+' || text_[p] == '-')) {
      ++p;
    }
    if (p >= n || !isDigit(text_[p])) {
      syntaxErrorHere("invalid number (no digit in exponent)");
    }
    while (p < n && isDigit(text_[p])) {
      ++p;
    }
  }
  return p;
}

int64_t JsonReader::readInt64() {
  if (peek() != JsonType::Number) {
    fail("expected an integer");
  }
  bool integral = false;
  const size_t stop = scanNumber(integral);
  if (!integral) {
    fail("expected an integer");
  }
  const bool negative = text_[pos_] == '-';
  uint64_t magnitude = 0;
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  for (size_t i = pos_ + (negative ? 1 : 0); i < stop; ++i) {
    const auto digit = static_cast<uint64_t>(text_[i] - '0');
    if (magnitude > (limit - digit) / 10) {
      fail("integer out of range");
    }
    magnitude = magnitude * 10 + digit;
  }
  pos_ = stop;
  if (negative) {
    return magnitude == (uint64_t{1} << 63) ? INT64_MIN : -static_cast<int64_t>(magnitude);
  }
  return static_cast<int64_t>(magnitude);
}

void JsonReader::skipValue() {
  switch (peek()) {
    case JsonType::Null:
      expectLiteral("null");
      break;
    case JsonType::Bool:
      readBool();
      break;
    case JsonType::Number: {
      bool integral = false;
      pos_ = scanNumber(integral);
      break;
    }
    case JsonType::String:
      scanString(false);
      break;
    case JsonType::Array:
      beginArray();
      while (nextElement()) {
        skipValue();
      }
      break;
    case JsonType::Object: {
      beginObject();
      std::string_view key;
      while (nextMember(key)) {
        skipValue();
      }
      break;
    }
  }
}

void JsonReader::finish() {
  skipWhitespace();
  if (pos_ != text_.size()) {
    syntaxErrorHere("unexpected " + describeChar(text_[pos_]) + " after the end of the document");
  }
}

// ---------------------------------------------------------------------------------------------
// JsonWriter

void appendJsonString(std::string& out, std::string_view value) {
  static const char kHex[] = "0123456789ABCDEF";  // Jackson writes upper-case \u00XX
  const auto* const begin = reinterpret_cast<const unsigned char*>(value.data());
  const auto* const end = begin + value.size();
  const unsigned char* p = begin;
  out.push_back('"');
  while (p < end) {
    const unsigned char* run = p;
    p = skipPlain(p, end);
    out.append(reinterpret_cast<const char*>(run), static_cast<size_t>(p - run));
    if (p >= end) {
      break;
    }
    const unsigned char c = *p;
    switch (kByteClass[c]) {
      case kQuote:
        out += "\\\"";
        ++p;
        break;
      case kBackslash:
        out += "\\\\";
        ++p;
        break;
      case kControl:
        switch (c) {
          case '\b':
            out += "\\b";
            break;
          case '\f':
            out += "\\f";
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
          default: {
            const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
            out.append(esc, 6);
          }
        }
        ++p;
        break;
      default: {
        const size_t n = utf8SequenceLength(p, end);
        if (n == 0) {
          out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
          ++p;
        } else {
          out.append(reinterpret_cast<const char*>(p), n);
          p += n;
        }
      }
    }
  }
  out.push_back('"');
}

JsonWriter::JsonWriter(std::string& out, bool pretty) : out_(out), pretty_(pretty) {
  levels_.reserve(8);
}

void JsonWriter::newline() {
  out_.push_back('\n');
  out_.append(2 * objectNesting_, ' ');
}

void JsonWriter::beforeValue() {
  if (levels_.empty()) {
    return;
  }
  Level& level = levels_.back();
  if (level.isObject) {
    return;  // key() wrote the separator
  }
  if (level.count > 0) {
    out_.push_back(',');
  }
  if (pretty_) {
    out_.push_back(' ');
  }
  ++level.count;
}

void JsonWriter::key(std::string_view name) {
  Level& level = levels_.back();
  if (level.count > 0) {
    out_.push_back(',');
  }
  if (pretty_) {
    newline();
  }
  ++level.count;
  appendJsonString(out_, name);
  out_ += pretty_ ? " : " : ":";
}

void JsonWriter::beginObject() {
  beforeValue();
  out_.push_back('{');
  levels_.push_back({true, 0});
  ++objectNesting_;
}

void JsonWriter::endObject() {
  const size_t count = levels_.back().count;
  levels_.pop_back();
  --objectNesting_;
  if (pretty_) {
    if (count > 0) {
      newline();
    } else {
      out_.push_back(' ');
    }
  }
  out_.push_back('}');
}

void JsonWriter::beginArray() {
  beforeValue();
  out_.push_back('[');
  levels_.push_back({false, 0});
}

void JsonWriter::endArray() {
  levels_.pop_back();
  if (pretty_) {
    out_.push_back(' ');  // "[ ]" and "[ 1, 2 ]" alike
  }
  out_.push_back(']');
}

void JsonWriter::string(std::string_view value) {
  beforeValue();
  appendJsonString(out_, value);
}

void JsonWriter::integer(int64_t value) {
  beforeValue();
  char buf[24];
  const auto result = std::to_chars(buf, buf + sizeof buf, value);
  out_.append(buf, static_cast<size_t>(result.ptr - buf));
}

void JsonWriter::boolean(bool value) {
  beforeValue();
  out_ += value ? "true" : "false";
}

void JsonWriter::null() {
  beforeValue();
  out_ += "null";
}

}  // namespace inventoryfs::detail
