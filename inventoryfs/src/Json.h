#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace inventoryfs::detail {

// A small strict JSON (RFC 8259) pull reader and a streaming writer. They exist because an
// inventory of 10,000 devices (~12 MB) must load in a few tens of milliseconds: the reader
// decodes straight into the caller's structures (no DOM, no Poco::Dynamic::Var), returns strings
// as views into the input when they hold no escapes, and keeps only a small stack of frames for
// the JSON path that error messages name.

enum class JsonType { Null, Bool, Number, String, Array, Object };

/// Reads one JSON document from `text`, value by value, as directed by the caller:
///
///   reader.beginObject();
///   std::string_view key;
///   while (reader.nextMember(key)) {
///     if (key == "port") port = reader.readInt64(); else reader.skipValue();
///   }
///   reader.finish();
///
/// Strict: UTF-8 is validated, control characters in strings, lone surrogates, leading zeros,
/// trailing commas, comments and trailing garbage are rejected; nesting is limited to
/// `maxDepth` arrays/objects. Duplicate keys are reported to the caller as they come (it
/// decides what they mean). Every error throws DataException whose message starts with the
/// JSON path of the value being read (`devices[2].agents[0].endpoint.port: expected an
/// integer`) and, for syntax errors, names the byte offset. Not thread-safe (one reader per
/// document); `text` must outlive the reader.
class JsonReader {
 public:
  static constexpr size_t kDefaultMaxDepth = 64;

  explicit JsonReader(std::string_view text, size_t maxDepth = kDefaultMaxDepth);

  /// The type of the next value, after skipping whitespace. Throws on end of input or a
  /// character that cannot start a value.
  JsonType peek();

  /// Consumes a `null` and returns true if the next value is null; otherwise consumes nothing.
  bool readNullIf();

  /// Expects `{` and enters the object.
  void beginObject();
  /// Advances to the next member of the current object: returns true and sets `key` (valid
  /// until the next read), or returns false after consuming `}`. The member's value must be
  /// read or skipped before the next call.
  bool nextMember(std::string_view& key);

  /// Expects `[` and enters the array.
  void beginArray();
  /// Returns true if another element follows (read or skip it next), false after `]`.
  bool nextElement();

  /// A string value, unescaped (valid until the next read).
  std::string_view readString();
  /// An integral number (no fraction or exponent) that fits in int64.
  int64_t readInt64();
  bool readBool();
  /// Validates and skips one value of any type.
  void skipValue();

  /// Requires that only whitespace remains.
  void finish();

  /// Throws DataException "<path>: <message>" for the value being read.
  [[noreturn]] void fail(std::string_view message) const;
  /// Throws DataException "<path>.<member>: <message>" (a member missing from the object just
  /// read, or from the one being read).
  [[noreturn]] void failMember(std::string_view member, std::string_view message) const;

  /// The JSON path of the value being read ("" at the root), e.g. `devices[2].agents[0]`.
  std::string path() const;

  /// Byte offset of the next unread character.
  size_t offset() const { return pos_; }

 private:
  struct Frame {
    bool isArray = false;
    bool first = true;
    int64_t index = -1;    // arrays: current element
    std::string_view key;  // objects: current member, unless keyOwned
    std::string ownedKey;  // a key that needed unescaping
    bool keyOwned = false;
  };

  [[noreturn]] void syntaxError(std::string_view message, size_t at) const;
  [[noreturn]] void syntaxErrorHere(std::string_view message) const;
  void skipWhitespace();
  char peekChar();  // after whitespace; throws at end of input
  void push(bool isArray);
  void expectLiteral(std::string_view literal);
  std::string_view scanString(bool isKey);
  void decodeEscapedString(size_t start, std::string& out);
  uint32_t readHex4(size_t at);
  size_t scanNumber(bool& integral);
  void skipValueAt(size_t depth);

  std::string_view text_;
  size_t pos_ = 0;
  size_t maxDepth_;
  std::vector<Frame> frames_;
  std::string scratch_;
};

/// Writes JSON into a string, either compact (no whitespace at all) or exactly as Jackson's
/// DefaultPrettyPrinter does: objects break lines with a two-space indent per object level and
/// separate keys with " : "; arrays stay on the line (`[ 1, 2 ]`, `[ {` ... `}, {` ... `} ]`);
/// empty containers are `[ ]` and `{ }`. Strings are escaped per RFC 8259 the way Jackson does
/// (`\"`, `\\`, `\b\f\n\r\t`, other controls as `\u00XX`, everything else as is); invalid UTF-8
/// in a string is replaced by U+FFFD so that the output is always readable JSON. The caller
/// pairs begin/end calls and gives keys only inside objects. Not thread-safe.
class JsonWriter {
 public:
  JsonWriter(std::string& out, bool pretty);

  void beginObject();
  void endObject();
  void beginArray();
  void endArray();
  void key(std::string_view name);

  void string(std::string_view value);
  void integer(int64_t value);
  void boolean(bool value);
  void null();

 private:
  struct Level {
    bool isObject = false;
    size_t count = 0;
  };
  void beforeValue();
  void newline();

  std::string& out_;
  bool pretty_;
  size_t objectNesting_ = 0;
  std::vector<Level> levels_;
};

/// Appends `value` as a quoted JSON string (see JsonWriter).
void appendJsonString(std::string& out, std::string_view value);

}  // namespace inventoryfs::detail
