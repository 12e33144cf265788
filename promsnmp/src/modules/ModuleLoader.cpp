#include "modules/ModuleLoader.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <utility>

#include <re2/re2.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include "common/Text.h"
#include "config/FilePatterns.h"

namespace promsnmp {

POCO_IMPLEMENT_EXCEPTION(ModuleConfigException, Poco::DataFormatException, "Bad module file")

namespace {

// ---- The document, as yaml-cpp's events ---------------------------------------------------------
//
// yaml-cpp's YAML::Load builds a tree of reference-counted nodes: for upstream's 2 MB snmp.yml
// that is about 65 MB and a quarter of a second on top of the parse. The parser's events are
// recorded instead, flat (about 50 bytes each, 170,000 for that file), and the schema below
// reads them with a cursor: a mapping or a list is its start event, whose `end` says where it
// stops. An alias is replaced by a copy of the events of the node it refers to (as yaml.v2
// resolves it), marked with the alias's line: a problem in it is reported where it is used.

enum class Kind : uint8_t { Null, Scalar, SeqStart, SeqEnd, MapStart, MapEnd };

struct Event {
  Kind kind = Kind::Null;
  uint32_t line = 0;  // 1-based
  uint32_t end = 0;   // SeqStart, MapStart: the index of the matching end event
  std::string text;   // Scalar
};

/// A document that cannot be recorded: `line` and what.
struct RecordError {
  uint32_t line;
  std::string what;
};

constexpr uint32_t kNoEvent = std::numeric_limits<uint32_t>::max();

uint32_t lineOf(const YAML::Mark& mark) {
  return mark.is_null() ? 0 : static_cast<uint32_t>(mark.line) + 1;
}

/// Records the events of one document. Throws RecordError past `maxEvents` events or
/// `maxBytes` bytes of scalars (aliases of aliases can make a small file expand without bound,
/// in events or, with a long scalar, in bytes) or on an alias inside the node it names.
class Recorder : public YAML::EventHandler {
 public:
  Recorder(size_t expectedEvents, size_t maxEvents, size_t maxBytes)
      : maxEvents_(maxEvents), maxBytes_(maxBytes) {
    events.reserve(expectedEvents);
  }

  std::vector<Event> events;

  uint32_t documentLine = 0;  // where the document starts; 0: none

  void OnDocumentStart(const YAML::Mark& mark) override { documentLine = lineOf(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    add(Kind::Null, mark, anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    const uint32_t line = lineOf(mark);
    if (anchor >= anchors_.size() || anchors_[anchor] == kNoEvent) {
      throw RecordError{line, "an alias to an unknown anchor"};  // yaml-cpp refuses it first
    }
    const uint32_t start = anchors_[anchor];
    if (std::find(open_.begin(), open_.end(), start) != open_.end()) {
      throw RecordError{line, "an alias inside the node it refers to"};
    }
    const Kind kind = events[start].kind;
    const uint32_t last =
        kind == Kind::MapStart || kind == Kind::SeqStart ? events[start].end : start;
    const size_t count = last - start + 1;
    size_t bytes = 0;
    for (uint32_t i = start; i <= last; ++i) {
      bytes += events[i].text.size();
    }
    if (events.size() + count > maxEvents_ || bytes_ + bytes > maxBytes_) {
      throw RecordError{line, "aliases expand to too large a document"};
    }
    bytes_ += bytes;
    const auto offset = static_cast<uint32_t>(events.size() - start);
    // No reserve(size + count) here: growing to the exact size at every alias made a file of
    // many aliases load in quadratic time. `copy` is taken before push_back may reallocate.
    for (uint32_t i = start; i <= last; ++i) {
      Event copy = events[i];
      copy.line = line;
      if (copy.kind == Kind::MapStart || copy.kind == Kind::SeqStart) {
        copy.end += offset;
      }
      events.push_back(std::move(copy));
    }
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    add(Kind::Scalar, mark, anchor).text = value;
    bytes_ += value.size();
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(Kind::SeqStart, mark, anchor);
  }
  void OnSequenceEnd() override { close(Kind::SeqEnd); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(Kind::MapStart, mark, anchor);
  }
  void OnMapEnd() override { close(Kind::MapEnd); }

 private:
  Event& add(Kind kind, const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (anchor != YAML::NullAnchor) {
      if (anchors_.size() <= anchor) {
        anchors_.resize(anchor + 1, kNoEvent);
      }
      anchors_[anchor] = static_cast<uint32_t>(events.size());
    }
    if (events.size() >= maxEvents_) {
      throw RecordError{lineOf(mark), "the document is too large"};
    }
    Event& event = events.emplace_back();
    event.kind = kind;
    event.line = lineOf(mark);
    return event;
  }
  void open(Kind kind, const YAML::Mark& mark, YAML::anchor_t anchor) {
    open_.push_back(static_cast<uint32_t>(events.size()));
    add(kind, mark, anchor);
  }
  void close(Kind kind) {
    const uint32_t start = open_.back();
    open_.pop_back();
    events[start].end = static_cast<uint32_t>(events.size());
    Event& event = events.emplace_back();
    event.kind = kind;
    event.line = events[start].line;
  }

  const size_t maxEvents_;
  const size_t maxBytes_;
  size_t bytes_ = 0;               // of the scalars recorded
  std::vector<uint32_t> anchors_;  // anchor id → index of the anchored event
  std::vector<uint32_t> open_;     // the mappings and lists not closed yet
};

// ---- Where a problem is: file, line, key path ---------------------------------------------------

/// A key path such as `modules.if_mib.metrics[3].indexes[0].type`, as a chain of frames on the
/// stack: built only when a problem is reported.
struct Path {
  const Path* parent = nullptr;
  std::string_view key;
  int index = -1;  // a list position, when key is empty

  Path child(std::string_view name) const { return Path{this, name, -1}; }
  Path item(int i) const { return Path{this, {}, i}; }

  std::string str() const {
    std::string out = parent != nullptr ? parent->str() : std::string();
    if (index >= 0) {
      out += "[" + std::to_string(index) + "]";
    } else if (!key.empty()) {
      if (!out.empty()) {
        out += '.';
      }
      out += key;
    }
    return out;
  }
};

/// `text` on one line and valid UTF-8: LF, CR and tab as \n, \r and \t, other control
/// characters and each byte of invalid UTF-8 as \xNN. A file's bytes reach messages through
/// keys, quoted values and yaml-cpp's own messages (which quote the offending character); they
/// must neither split a problem over lines nor garble the log.
std::string printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : common::escapeInvalidUtf8(text)) {
    const auto b = static_cast<unsigned char>(c);
    if (b == '\n') {
      out += "\\n";
    } else if (b == '\r') {
      out += "\\r";
    } else if (b == '\t') {
      out += "\\t";
    } else if (b < 0x20 || b == 0x7f) {
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 15];
    } else {
      out += c;
    }
  }
  return out;
}

/// The problems of the files read, each "file:line: path: message".
class Problems {
 public:
  explicit Problems(std::vector<std::string>& out) : out_(out) {}

  void add(const std::string& file, uint32_t line, const Path* path, const std::string& what) {
    std::string text = file;
    if (line > 0) {
      text += ":" + std::to_string(line);
    }
    text += ": ";
    if (path != nullptr) {
      const std::string where = path->str();
      if (!where.empty()) {
        text += where + ": ";
      }
    }
    out_.push_back(printable(text + what));
    lines_.push_back(line);
  }
  size_t count() const { return out_.size(); }

  /// Orders the problems from the `first` on by line (they were found in the order of the
  /// schema, which reports a missing key after the keys below it).
  void sortByLine(size_t first) {
    std::vector<size_t> order(out_.size() - first);
    for (size_t i = 0; i < order.size(); ++i) {
      order[i] = first + i;
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return lines_[a] < lines_[b]; });
    std::vector<std::string> sorted;
    std::vector<uint32_t> lines;
    for (size_t i : order) {
      sorted.push_back(std::move(out_[i]));
      lines.push_back(lines_[i]);
    }
    std::move(sorted.begin(), sorted.end(), out_.begin() + static_cast<std::ptrdiff_t>(first));
    std::copy(lines.begin(), lines.end(), lines_.begin() + static_cast<std::ptrdiff_t>(first));
  }

 private:
  std::vector<std::string>& out_;
  std::vector<uint32_t> lines_;
};

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "\"";
}

// ---- Scalars as Go's yaml.v2 reads them ---------------------------------------------------------

/// An integer as yaml.v2 resolves one (strconv.ParseInt with base 0 after removing `_`): an
/// optional sign, then decimal, 0x hex, 0o or leading-0 octal, or 0b binary.
std::optional<int64_t> parseGoInt(std::string_view raw) {
  std::string text;
  text.reserve(raw.size());
  for (char c : raw) {
    if (c != '_') {
      text += c;
    }
  }
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  } else if (s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
    base = 8;
    s.remove_prefix(2);
  } else if (s.size() > 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
    base = 2;
    s.remove_prefix(2);
  } else if (s.size() > 1 && s[0] == '0') {
    base = 8;
    s.remove_prefix(1);
  }
  if (s.empty()) {
    return std::nullopt;
  }
  uint64_t magnitude = 0;
  const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), magnitude, base);
  if (error != std::errc() || end != s.data() + s.size()) {
    return std::nullopt;
  }
  if (negative) {
    if (magnitude > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1) {
      return std::nullopt;
    }
    return static_cast<int64_t>(0 - magnitude);
  }
  if (magnitude > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return std::nullopt;
  }
  return static_cast<int64_t>(magnitude);
}

/// A finite float: decimal or exponent notation, optional sign, `_` ignored.
std::optional<double> parseGoFloat(std::string_view raw) {
  std::string text;
  for (char c : raw) {
    if (c != '_') {
      text += c;
    }
  }
  std::string_view s = text;
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
  }
  double value = 0;
  const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || error != std::errc() || end != s.data() + s.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

/// YAML 1.1 booleans, which yaml.v2 accepts.
std::optional<bool> parseGoBool(std::string_view s) {
  static const std::set<std::string_view> kTrue = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                                   "True", "TRUE", "on",  "On",  "ON"};
  static const std::set<std::string_view> kFalse = {"n",     "N",     "no",  "No",  "NO", "false",
                                                    "False", "FALSE", "off", "Off", "OFF"};
  if (kTrue.count(s) != 0) {
    return true;
  }
  if (kFalse.count(s) != 0) {
    return false;
  }
  return std::nullopt;
}

/// Go's time.ParseDuration ("5s", "500ms", "1m30s", "1.5h", "0"), in nanoseconds.
std::optional<int64_t> parseGoDuration(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "0") {
    return 0;
  }
  if (s.empty()) {
    return std::nullopt;
  }
  static const std::pair<std::string_view, double> kUnits[] = {
      {"ns", 1},   {"us", 1e3}, {"\xC2\xB5s", 1e3}, {"\xCE\xBCs", 1e3},
      {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},        {"h", 3600e9}};
  double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    double whole = 0;
    bool digits = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      whole = whole * 10 + (s[i] - '0');
      digits = true;
      ++i;
    }
    double fraction = 0;
    if (i < s.size() && s[i] == '.') {
      ++i;
      double scale = 0.1;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        fraction += (s[i] - '0') * scale;
        scale /= 10;
        digits = true;
        ++i;
      }
    }
    if (!digits) {
      return std::nullopt;
    }
    size_t unitEnd = i;
    while (unitEnd < s.size() && s[unitEnd] != '.' && (s[unitEnd] < '0' || s[unitEnd] > '9')) {
      ++unitEnd;
    }
    const std::string_view unit = s.substr(i, unitEnd - i);
    const auto found = std::find_if(std::begin(kUnits), std::end(kUnits),
                                    [&](const auto& u) { return u.first == unit; });
    if (found == std::end(kUnits)) {
      return std::nullopt;  // a missing or unknown unit
    }
    total += (whole + fraction) * found->second;
    s.remove_prefix(unitEnd);
  }
  if (total > 9.2e18) {
    return std::nullopt;
  }
  return static_cast<int64_t>(negative ? -total : total);
}

/// Go's os.Expand, as snmp_exporter's substituteEnvVariables uses it: `${NAME}` and `$NAME`
/// (letters, digits, `_`), `$` plus one of `*#$@!?-0123456789` naming a special variable, and a
/// `$` followed by anything else kept as is. `missing` receives the first variable not set.
std::string expandVariables(
    const std::string& text,
    const std::function<std::optional<std::string>(const std::string&)>& get,
    std::string& missing) {
  auto special = [](char c) { return std::strchr("*#$@!?-0123456789", c) != nullptr && c != 0; };
  auto alphaNum = [](char c) {
    return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  };
  std::string out;
  size_t copied = 0;
  for (size_t j = 0; j < text.size(); ++j) {
    if (text[j] != '$' || j + 1 >= text.size()) {
      continue;
    }
    out.append(text, copied, j - copied);
    const std::string_view rest = std::string_view(text).substr(j + 1);
    std::string name;
    size_t width = 0;
    if (rest[0] == '{') {
      if (rest.size() > 2 && special(rest[1]) && rest[2] == '}') {
        name = rest.substr(1, 1);
        width = 3;
      } else {
        const size_t close = rest.find('}', 1);
        if (close == std::string_view::npos) {
          width = 1;  // bad syntax: "${" is dropped
        } else if (close == 1) {
          width = 2;  // bad syntax: "${}" is dropped
        } else {
          name = rest.substr(1, close - 1);
          width = close + 1;
        }
      }
    } else if (special(rest[0])) {
      name = rest.substr(0, 1);
      width = 1;
    } else {
      while (width < rest.size() && alphaNum(rest[width])) {
        ++width;
      }
      name = rest.substr(0, width);
      if (name.empty()) {
        out += '$';  // "$" followed by no name stays
      }
    }
    if (!name.empty()) {
      const std::optional<std::string> value = get(name);
      if (!value && missing.empty()) {
        missing = name;
      }
      out += value.value_or("");
    }
    j += width;
    copied = j + 1;
  }
  if (copied == 0) {
    return text;
  }
  out.append(text, std::min(copied, text.size()), std::string::npos);
  return out;
}

std::optional<std::string> processEnvironment(const std::string& name) {
  const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): read only
  return value != nullptr ? std::optional<std::string>(value) : std::nullopt;
}

// ---- The schema ---------------------------------------------------------------------------------

// config.go RenderableIndexTypes: the index types the collector can render as label values.
const std::set<ValueType> kIndexTypes = {ValueType::Integer32,
                                         ValueType::Integer,
                                         ValueType::Gauge,
                                         ValueType::Counter,
                                         ValueType::PhysAddress48,
                                         ValueType::OctetString,
                                         ValueType::DisplayString,
                                         ValueType::InetAddressIPv4,
                                         ValueType::InetAddressIPv6,
                                         ValueType::InetAddress,
                                         ValueType::InetAddressMissingSize,
                                         ValueType::LldpPortId,
                                         ValueType::EnumAsInfo};

const std::set<std::string_view> kSecurityLevels = {"noAuthNoPriv", "authNoPriv", "authPriv"};
const std::set<std::string_view> kAuthProtocols = {"MD5",    "SHA",    "SHA224",
                                                   "SHA256", "SHA384", "SHA512"};
const std::set<std::string_view> kPrivProtocols = {"DES",    "AES",     "AES192",
                                                   "AES256", "AES192C", "AES256C"};

/// Reads one document's events into a ModuleSet, reporting every problem.
class SchemaReader {
 public:
  SchemaReader(const std::string& file, std::vector<Event> events, const ModuleLoadOptions& options,
               Problems& problems)
      : file_(file), events_(std::move(events)), options_(options), problems_(problems) {}

  /// The whole document into `out`.
  void read(ModuleSet& out) {
    if (events_.empty()) {
      return;  // an empty file: no modules
    }
    const uint32_t root = 0;
    if (events_[root].kind == Kind::Null) {
      return;
    }
    const Path top;
    if (events_[root].kind != Kind::MapStart) {
      problem(events_[root].line, nullptr,
              "the top level must be a mapping (auths: and modules:, or module names), not " +
                  describe(root));
      return;
    }
    // Which format: a document with `modules` or `auths` at the top is the current one. This
    // cannot misread a file silently: the flat format's top-level keys are module names whose
    // values are mappings of walk, get, metrics, … (lists and values, and `auth`, a mapping of
    // credential keys). Were a flat file to name a module `modules` or `auths`, those keys would
    // be read as module or auth names whose values are not mappings of module or auth keys, and
    // refused with their line; snmp_exporter 0.23 and later read every file as the current
    // format and would refuse it too.
    bool current = false;
    for (uint32_t at = root + 1; at < events_[root].end; at = after(after(at))) {
      const Event& key = events_[at];
      current =
          current || (key.kind == Kind::Scalar && (key.text == "modules" || key.text == "auths"));
    }
    if (current) {
      readCurrent(root, top, out);
    } else {
      forEachEntry(root, top,
                   [&](std::string_view name, uint32_t line, uint32_t value, const Path& path) {
                     addModule(name, line, value, path, true, out);
                   });
    }
  }

 private:
  struct Entry {
    std::string_view key;
    uint32_t keyLine;
    uint32_t value;
  };

  // -- Cursor over the events

  /// The event after the node at `at`.
  uint32_t after(uint32_t at) const {
    const Kind kind = events_[at].kind;
    return kind == Kind::MapStart || kind == Kind::SeqStart ? events_[at].end + 1 : at + 1;
  }
  std::string describe(uint32_t node) const {
    switch (events_[node].kind) {
      case Kind::MapStart:
        return "a mapping";
      case Kind::SeqStart:
        return "a list";
      case Kind::Null:
        return "empty";
      default:
        return "the value " + quote(events_[node].text);
    }
  }
  /// The line of a value: its own, or its key's when it is empty (yaml-cpp marks an empty value
  /// where the next token starts).
  uint32_t lineOfValue(uint32_t node, uint32_t keyLine) const {
    return events_[node].kind == Kind::Null || events_[node].line == 0 ? keyLine
                                                                       : events_[node].line;
  }

  void problem(uint32_t line, const Path* path, const std::string& what) {
    problems_.add(file_, line, path, what);
  }

  /// Calls f(key, keyLine, value, path of the value) for each entry of the mapping at
  /// `map`, refusing keys that are not strings and keys given twice (yaml.UnmarshalStrict).
  template <class F>
  void forEachEntry(uint32_t map, const Path& path, F&& f) {
    std::vector<Entry> entries;
    const uint32_t end = events_[map].end;
    for (uint32_t at = map + 1; at < end;) {
      const uint32_t keyAt = at;
      const uint32_t valueAt = after(at);
      at = after(valueAt);
      if (events_[keyAt].kind != Kind::Scalar) {
        problem(events_[keyAt].line, &path, "a key must be a string, not " + describe(keyAt));
        continue;
      }
      entries.push_back(Entry{events_[keyAt].text, events_[keyAt].line, valueAt});
    }
    // Most mappings have a handful of keys; the big ones (modules, enum_values) a hash set.
    std::unordered_set<std::string_view> seen;
    for (size_t i = 0; i < entries.size(); ++i) {
      const Entry& entry = entries[i];
      bool duplicate = false;
      if (entries.size() <= 16) {
        for (size_t j = 0; j < i && !duplicate; ++j) {
          duplicate = entries[j].key == entry.key;
        }
      } else {
        duplicate = !seen.insert(entry.key).second;
      }
      const Path child = path.child(entry.key);
      if (duplicate) {
        problem(entry.keyLine, &child, "given twice in the same mapping");
        continue;
      }
      f(entry.key, entry.keyLine, entry.value, child);
    }
  }

  /// Calls f(item, path of the item) for each item of the list at `seq`.
  template <class F>
  void forEachItem(uint32_t seq, const Path& path, F&& f) {
    const uint32_t end = events_[seq].end;
    int index = 0;
    for (uint32_t at = seq + 1; at < end; at = after(at), ++index) {
      f(at, path.item(index));
    }
  }

  // -- Typed values. Each returns false (after reporting) when the value cannot be used. An
  // empty value reads as Go's zero value, as yaml.v2 leaves the field untouched.

  bool expect(uint32_t node, Kind kind, const Path& path, uint32_t keyLine) {
    const Kind actual = events_[node].kind;
    if (actual == kind || actual == Kind::Null) {
      return true;
    }
    problem(lineOfValue(node, keyLine), &path,
            std::string("must be ") + (kind == Kind::MapStart ? "a mapping" : "a list") + ", not " +
                describe(node));
    return false;
  }
  bool isEmpty(uint32_t node) const { return events_[node].kind == Kind::Null; }

  bool scalar(uint32_t node, const Path& path, uint32_t keyLine, const char* what) {
    if (events_[node].kind == Kind::Scalar) {
      return true;
    }
    problem(lineOfValue(node, keyLine), &path,
            std::string("must be ") + what + ", not " + describe(node));
    return false;
  }

  void readString(uint32_t node, const Path& path, uint32_t keyLine, std::string& out) {
    if (isEmpty(node)) {
      out.clear();
    } else if (scalar(node, path, keyLine, "a string")) {
      out = events_[node].text;
    }
  }

  /// A scalar read with `parse` (returning an optional), or T's zero value when empty.
  /// `what` names the kind in messages ("an integer").
  template <class T, class Parse>
  bool readParsed(uint32_t node, const Path& path, uint32_t keyLine, const char* what,
                  Parse&& parse, T& out) {
    if (isEmpty(node)) {
      out = T{};
      return true;
    }
    if (!scalar(node, path, keyLine, what)) {
      return false;
    }
    const std::optional<T> value = parse(events_[node].text);
    if (!value) {
      problem(events_[node].line, &path,
              quote(events_[node].text) + " is not " + std::string(what));
      return false;
    }
    out = *value;
    return true;
  }

  bool readInt(uint32_t node, const Path& path, uint32_t keyLine, int64_t min, int64_t max,
               int64_t& out) {
    int64_t value = 0;
    if (!readParsed(node, path, keyLine, "an integer", parseGoInt, value)) {
      return false;
    }
    if (value < min || value > max) {
      problem(events_[node].line, &path,
              std::to_string(value) + " is out of range (" + std::to_string(min) + " to " +
                  std::to_string(max) + ")");
      return false;
    }
    out = value;
    return true;
  }

  void readBool(uint32_t node, const Path& path, uint32_t keyLine, bool& out) {
    readParsed(node, path, keyLine, "true or false", parseGoBool, out);
  }

  void readDouble(uint32_t node, const Path& path, uint32_t keyLine, double& out) {
    readParsed(node, path, keyLine, "a number", parseGoFloat, out);
  }

  /// `timeout`: a Go duration, more than zero (a request that may not wait cannot succeed).
  void readTimeout(uint32_t node, const Path& path, uint32_t keyLine,
                   std::chrono::milliseconds& out) {
    if (!scalar(node, path, keyLine, "a duration such as 5s")) {
      return;
    }
    const std::optional<int64_t> ns = parseGoDuration(events_[node].text);
    if (!ns) {
      problem(events_[node].line, &path,
              quote(events_[node].text) +
                  " is not a duration (Go syntax with a unit: 5s, 500ms, 1m30s)");
      return;
    }
    if (*ns <= 0) {
      problem(events_[node].line, &path, "must be more than 0");
      return;
    }
    out = std::chrono::milliseconds((*ns + 999999) / 1000000);  // whole milliseconds, rounded up
  }

  bool readOid(uint32_t node, const Path& path, uint32_t keyLine, Oid& out) {
    if (!scalar(node, path, keyLine, "a numeric OID")) {
      return false;
    }
    const std::string& text = events_[node].text;
    try {
      out = Oid::parse(text);
      return true;
    } catch (const Poco::SyntaxException&) {
      const bool name = !text.empty() && std::any_of(text.begin(), text.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      });
      problem(events_[node].line, &path,
              quote(text) + " is not a numeric OID" +
                  (name ? " (module files hold numbers such as 1.3.6.1.2.1.2.2.1.2; "
                          "snmp_exporter's generator turns MIB names into them)"
                        : ""));
      return false;
    }
  }

  void readOidList(uint32_t node, const Path& path, uint32_t keyLine, std::vector<Oid>& out) {
    if (!expect(node, Kind::SeqStart, path, keyLine) || isEmpty(node)) {
      return;
    }
    forEachItem(node, path, [&](uint32_t item, const Path& itemPath) {
      Oid oid;
      if (readOid(item, itemPath, events_[node].line, oid)) {
        out.push_back(std::move(oid));
      }
    });
  }

  void readStringList(uint32_t node, const Path& path, uint32_t keyLine,
                      std::vector<std::string>& out) {
    if (!expect(node, Kind::SeqStart, path, keyLine) || isEmpty(node)) {
      return;
    }
    forEachItem(node, path, [&](uint32_t item, const Path& itemPath) {
      if (scalar(item, itemPath, events_[node].line, "a string")) {
        out.push_back(events_[item].text);
      }
    });
  }

  /// `enum_values`: integer → name.
  void readEnumValues(uint32_t node, const Path& path, uint32_t keyLine, EnumValues& out) {
    if (!expect(node, Kind::MapStart, path, keyLine) || isEmpty(node)) {
      return;
    }
    forEachEntry(node, path,
                 [&](std::string_view key, uint32_t line, uint32_t value, const Path& valuePath) {
                   const std::optional<int64_t> number = parseGoInt(key);
                   if (!number) {
                     problem(line, &valuePath, quote(key) + " is not an integer");
                     return;
                   }
                   std::string name;
                   readString(value, valuePath, line, name);
                   if (!out.emplace(*number, std::move(name)).second) {
                     problem(line, &valuePath,
                             "the value " + std::to_string(*number) + " is named twice");
                   }
                 });
  }

  /// A regex in Go's syntax (RE2's), anchored as `^(?:…)$` when `anchored` (config.go Regexp).
  /// An empty value is the empty pattern (snmp_exporter's own testdata has `regex:` so).
  bool readRegex(uint32_t node, const Path& path, uint32_t keyLine, bool anchored,
                 CompiledRegex& out) {
    if (!isEmpty(node) && !scalar(node, path, keyLine, "a regular expression")) {
      return false;
    }
    const std::string& pattern = events_[node].text;
    RE2::Options options;
    options.set_log_errors(false);
    auto regex = std::make_shared<const RE2>(anchored ? "^(?:" + pattern + ")$" : pattern, options);
    if (!regex->ok()) {
      // The pattern alone, so that the message speaks of what the file says.
      const RE2 alone(pattern, options);
      const RE2& failed = alone.ok() ? *regex : alone;
      std::string what = "invalid regular expression " + quote(pattern) + ": " + failed.error();
      const size_t offset =
          failed.error_arg().empty() ? std::string::npos : pattern.find(failed.error_arg());
      if (&failed == &alone && offset != std::string::npos) {
        what += " (at offset " + std::to_string(offset) + ")";
      }
      problem(events_[node].line, &path, what);
      return false;
    }
    out.pattern = pattern;
    out.regex = std::move(regex);
    return true;
  }

  /// A `type`: one of `allowed`, or a problem naming the type.
  bool readType(uint32_t node, const Path& path, uint32_t keyLine, const char* role, bool index,
                ValueType& out) {
    if (!scalar(node, path, keyLine, "a type name")) {
      return false;
    }
    const std::string& text = events_[node].text;
    const std::optional<ValueType> type = parseValueType(text);
    if (!type) {
      problem(events_[node].line, &path, "unknown type " + quote(text));
      return false;
    }
    if (index && kIndexTypes.count(*type) == 0) {
      // Index.UnmarshalYAML: only what indexOidsAsString can render.
      problem(events_[node].line, &path,
              "type " + quote(text) +
                  " cannot be an index type (Integer32, Integer, gauge, counter, PhysAddress48, "
                  "OctetString, DisplayString, InetAddressIPv4, InetAddressIPv6, InetAddress, "
                  "InetAddressMissingSize, LldpPortId or EnumAsInfo)");
      return false;
    }
    if (!index && (*type == ValueType::Integer || *type == ValueType::Integer32)) {
      // The generator writes these only for indexes; a value of them is a "gauge".
      problem(events_[node].line, &path,
              "type " + quote(text) + " is an index type; a " + role + " of it is a gauge");
      return false;
    }
    out = *type;
    return true;
  }

  // -- Auths

  /// The keys of an auth (`auths.<name>`, or a flat module's `auth:` when `withVersion` is
  /// false), checked as Auth.UnmarshalYAML checks them.
  void readAuth(uint32_t node, const Path& path, uint32_t keyLine, bool withVersion,
                ModuleAuth& auth, std::map<std::string_view, uint32_t>& lines) {
    if (!expect(node, Kind::MapStart, path, keyLine) || isEmpty(node)) {
      return;
    }
    forEachEntry(
        node, path,
        [&](std::string_view key, uint32_t line, uint32_t value, const Path& valuePath) {
          lines[key] = lineOfValue(value, line);
          std::string text;
          if (key == "community") {
            readString(value, valuePath, line, text);
            auth.community = common::Secret(text);
          } else if (key == "security_level") {
            readString(value, valuePath, line, auth.securityLevel);
          } else if (key == "username") {
            readString(value, valuePath, line, auth.username);
          } else if (key == "password") {
            readString(value, valuePath, line, text);
            auth.password = common::Secret(text);
          } else if (key == "auth_protocol") {
            readString(value, valuePath, line, auth.authProtocol);
          } else if (key == "priv_protocol") {
            readString(value, valuePath, line, auth.privProtocol);
          } else if (key == "priv_password") {
            readString(value, valuePath, line, text);
            auth.privPassword = common::Secret(text);
          } else if (key == "context_name") {
            readString(value, valuePath, line, auth.contextName);
          } else if (key == "version" && withVersion) {
            int64_t version = 0;
            if (readInt(value, valuePath, line, INT_MIN, INT_MAX, version)) {
              auth.version = static_cast<int>(version);
            }
          } else {
            problem(line, &valuePath,
                    std::string("unknown key (an auth has community, security_level, username, "
                                "password, auth_protocol, priv_protocol, priv_password, "
                                "context_name") +
                        (withVersion ? " and version)" : "; version is the module's)"));
          }
        });
  }

  /// Auth.UnmarshalYAML's checks, then the environment expanded in the secrets.
  void checkAuth(ModuleAuth& auth, const Path& path, uint32_t line,
                 const std::map<std::string_view, uint32_t>& lines) {
    auto lineOfKey = [&](std::string_view key) {
      const auto it = lines.find(key);
      return it != lines.end() ? it->second : line;
    };
    if (auth.version < 1 || auth.version > 3) {
      problem(lineOfKey("version"), &path,
              "SNMP version must be 1, 2 or 3, not " + std::to_string(auth.version));
    } else if (auth.version == 3) {
      if (kSecurityLevels.count(auth.securityLevel) == 0) {
        problem(lineOfKey("security_level"), &path,
                "security_level " + quote(auth.securityLevel) +
                    " must be authPriv, authNoPriv or noAuthNoPriv");
      }
      if (auth.securityLevel == "authPriv") {
        if (auth.privPassword.reveal().empty()) {
          problem(lineOfKey("priv_password"), &path,
                  "priv_password is missing, required for SNMPv3 with authPriv");
        }
        if (kPrivProtocols.count(auth.privProtocol) == 0) {
          problem(lineOfKey("priv_protocol"), &path,
                  "priv_protocol " + quote(auth.privProtocol) +
                      " must be DES, AES, AES192, AES256, AES192C or AES256C");
        }
      }
      if (auth.securityLevel == "authPriv" || auth.securityLevel == "authNoPriv") {
        if (auth.password.reveal().empty()) {
          problem(lineOfKey("password"), &path,
                  "password is missing, required for SNMPv3 with " + auth.securityLevel);
        }
        if (kAuthProtocols.count(auth.authProtocol) == 0) {
          problem(lineOfKey("auth_protocol"), &path,
                  "auth_protocol " + quote(auth.authProtocol) +
                      " must be MD5, SHA, SHA224, SHA256, SHA384 or SHA512");
        }
      }
      if (kSecurityLevels.count(auth.securityLevel) != 0 && auth.username.empty()) {
        problem(lineOfKey("username"), &path, "username is missing, required for SNMPv3");
      }
    }
    if (!options_.expandEnvironment) {
      return;
    }
    // After the checks, as snmp_exporter's LoadFile: they apply to the text as written.
    const auto get = options_.getenv ? options_.getenv : processEnvironment;
    auto expand = [&](std::string_view key, const std::string& text) -> std::optional<std::string> {
      std::string missing;
      std::string expanded = expandVariables(text, get, missing);
      if (!missing.empty()) {
        const Path keyPath = path.child(key);
        problem(lineOfKey(key), &keyPath,
                "environment variable " + quote(missing) +
                    " is not set (snmp.modules_expand_environment is on)");
        return std::nullopt;
      }
      return expanded;
    };
    if (auto username = expand("username", auth.username)) {
      auth.username = std::move(*username);
    }
    if (auth.password.isSet()) {
      if (auto password = expand("password", auth.password.reveal())) {
        auth.password = common::Secret(std::move(*password));
      }
    }
    if (auth.privPassword.isSet()) {
      if (auto password = expand("priv_password", auth.privPassword.reveal())) {
        auth.privPassword = common::Secret(std::move(*password));
      }
    }
  }

  // -- Modules

  void readCurrent(uint32_t root, const Path& top, ModuleSet& out) {
    forEachEntry(
        root, top, [&](std::string_view key, uint32_t line, uint32_t value, const Path& path) {
          if (key == "auths") {
            if (!expect(value, Kind::MapStart, path, line) || isEmpty(value)) {
              return;
            }
            forEachEntry(
                value, path,
                [&](std::string_view name, uint32_t nameLine, uint32_t node, const Path& authPath) {
                  ModuleAuth auth;
                  auth.name = name;
                  auth.position = SourcePosition{file_, static_cast<int>(nameLine)};
                  std::map<std::string_view, uint32_t> lines;
                  const size_t before = problems_.count();
                  readAuth(node, authPath, nameLine, true, auth, lines);
                  checkAuth(auth, authPath, nameLine, lines);
                  if (name.empty()) {
                    problem(nameLine, &authPath, "an auth needs a name");
                  }
                  if (problems_.count() == before) {
                    out.auths.emplace(auth.name, std::move(auth));
                  }
                });
          } else if (key == "modules") {
            if (!expect(value, Kind::MapStart, path, line) || isEmpty(value)) {
              return;
            }
            forEachEntry(value, path,
                         [&](std::string_view name, uint32_t nameLine, uint32_t node,
                             const Path& modulePath) {
                           addModule(name, nameLine, node, modulePath, false, out);
                         });
          } else if (key == "version") {
            int64_t version = 0;  // Config.Version: read, never used by snmp_exporter
            readInt(value, path, line, INT_MIN, INT_MAX, version);
          } else {
            problem(line, &path, "unknown top-level key (the file has auths, modules and version)");
          }
        });
  }

  void addModule(std::string_view name, uint32_t line, uint32_t node, const Path& path, bool flat,
                 ModuleSet& out) {
    const size_t before = problems_.count();
    auto module = std::make_shared<Module>();
    module->name = name;
    module->position = SourcePosition{file_, static_cast<int>(line)};
    if (name.empty()) {
      problem(line, &path, "a module needs a name");
    }
    if (events_[node].kind != Kind::MapStart) {
      problem(lineOfValue(node, line), &path, "a module must be a mapping, not " + describe(node));
      return;
    }
    readModule(node, path, flat, *module);
    if (problems_.count() == before) {
      out.modules.emplace(module->name, std::move(module));
    }
  }

  void readModule(uint32_t node, const Path& path, bool flat, Module& module) {
    ModuleAuth auth;  // the flat format's embedded auth: DefaultAuth unless the module says
    auth.name = module.name;
    auth.position = module.position;
    std::map<std::string_view, uint32_t> authLines;
    WalkParams& params = module.walkParams;
    forEachEntry(
        node, path,
        [&](std::string_view key, uint32_t line, uint32_t value, const Path& valuePath) {
          int64_t number = 0;
          if (key == "walk") {
            readOidList(value, valuePath, line, module.walk);
          } else if (key == "get") {
            readOidList(value, valuePath, line, module.get);
          } else if (key == "metrics") {
            if (expect(value, Kind::SeqStart, valuePath, line) && !isEmpty(value)) {
              module.metrics.reserve((events_[value].end - value) / 16);
              forEachItem(value, valuePath, [&](uint32_t item, const Path& itemPath) {
                readMetric(item, itemPath, events_[value].line, module.metrics);
              });
            }
          } else if (key == "max_repetitions") {
            if (readInt(value, valuePath, line, 0, UINT32_MAX, number)) {
              params.maxRepetitions = static_cast<uint32_t>(number);
            }
          } else if (key == "retries") {
            if (readInt(value, valuePath, line, 0, INT_MAX, number)) {
              params.retries = static_cast<int>(number);
            }
          } else if (key == "timeout") {
            readTimeout(value, valuePath, line, params.timeout);
          } else if (key == "use_unconnected_udp_socket") {
            readBool(value, valuePath, line, params.useUnconnectedUdpSocket);
          } else if (key == "allow_nonincreasing_oids") {
            readBool(value, valuePath, line, params.allowNonincreasingOids);
          } else if (key == "filters") {
            if (expect(value, Kind::SeqStart, valuePath, line) && !isEmpty(value)) {
              forEachItem(value, valuePath, [&](uint32_t item, const Path& itemPath) {
                readFilter(item, itemPath, events_[value].line, module.filters);
              });
            }
          } else if (flat && key == "version") {
            authLines["version"] = lineOfValue(value, line);
            if (readInt(value, valuePath, line, INT_MIN, INT_MAX, number)) {
              auth.version = static_cast<int>(number);
            }
          } else if (flat && key == "auth") {
            readAuth(value, valuePath, line, false, auth, authLines);
          } else if (key == "version" || key == "auth") {
            problem(line, &valuePath,
                    "unknown key: in this format (top-level auths: and modules:) the version and "
                    "credentials are an auth under auths:, chosen by the scrape's auth= parameter");
          } else {
            problem(line, &valuePath,
                    "unknown key (a module has walk, get, metrics, max_repetitions, retries, "
                    "timeout, use_unconnected_udp_socket, allow_nonincreasing_oids and filters" +
                        std::string(flat ? ", and in this format version and auth)" : ")"));
          }
        });
    if (flat) {
      checkAuth(auth, path, static_cast<uint32_t>(module.position.line), authLines);
      module.embeddedAuth = std::move(auth);
    }
  }

  void readFilter(uint32_t node, const Path& path, uint32_t line, std::vector<DynamicFilter>& out) {
    if (!expect(node, Kind::MapStart, path, line) || isEmpty(node)) {
      problemIfEmpty(node, path, line, "a filter");
      return;
    }
    DynamicFilter filter;
    bool hasOid = false;
    forEachEntry(
        node, path,
        [&](std::string_view key, uint32_t keyLine, uint32_t value, const Path& valuePath) {
          if (key == "oid") {
            hasOid = true;
            readOid(value, valuePath, keyLine, filter.oid);
          } else if (key == "targets") {
            readOidList(value, valuePath, keyLine, filter.targets);
          } else if (key == "values") {
            if (expect(value, Kind::SeqStart, valuePath, keyLine) && !isEmpty(value)) {
              forEachItem(value, valuePath, [&](uint32_t item, const Path& itemPath) {
                CompiledRegex regex;
                if (readRegex(item, itemPath, events_[value].line, false, regex)) {
                  filter.values.push_back(std::move(regex));
                }
              });
            }
          } else {
            problem(keyLine, &valuePath, "unknown key (a filter has oid, targets and values)");
          }
        });
    if (!hasOid) {
      problem(events_[node].line, &path, "missing key \"oid\"");
    }
    out.push_back(std::move(filter));
  }

  void problemIfEmpty(uint32_t node, const Path& path, uint32_t line, const char* what) {
    if (isEmpty(node)) {
      problem(line, &path, std::string(what) + " cannot be empty");
    }
  }

  void readMetric(uint32_t node, const Path& path, uint32_t line, std::vector<ModuleMetric>& out) {
    if (!expect(node, Kind::MapStart, path, line) || isEmpty(node)) {
      problemIfEmpty(node, path, line, "a metric");
      return;
    }
    ModuleMetric metric;
    bool hasName = false;
    bool hasOid = false;
    bool hasType = false;
    std::vector<std::string> dropped;  // drop_source_indexes
    forEachEntry(
        node, path,
        [&](std::string_view key, uint32_t keyLine, uint32_t value, const Path& valuePath) {
          if (key == "name") {
            hasName = true;
            readString(value, valuePath, keyLine, metric.name);
          } else if (key == "oid") {
            hasOid = true;
            readOid(value, valuePath, keyLine, metric.oid);
          } else if (key == "type") {
            hasType = true;
            readType(value, valuePath, keyLine, "metric", false, metric.type);
          } else if (key == "help") {
            readString(value, valuePath, keyLine, metric.help);
          } else if (key == "indexes") {
            if (expect(value, Kind::SeqStart, valuePath, keyLine) && !isEmpty(value)) {
              forEachItem(value, valuePath, [&](uint32_t item, const Path& itemPath) {
                readIndex(item, itemPath, events_[value].line, metric.indexes);
              });
            }
          } else if (key == "lookups") {
            if (expect(value, Kind::SeqStart, valuePath, keyLine) && !isEmpty(value)) {
              forEachItem(value, valuePath, [&](uint32_t item, const Path& itemPath) {
                readLookup(item, itemPath, events_[value].line, metric.lookups, dropped);
              });
            }
          } else if (key == "regex_extracts") {
            readRegexExtracts(value, valuePath, keyLine, metric.regexExtracts);
          } else if (key == "enum_values") {
            readEnumValues(value, valuePath, keyLine, metric.enumValues);
          } else if (key == "scale") {
            readDouble(value, valuePath, keyLine, metric.scale);
          } else if (key == "offset") {
            readDouble(value, valuePath, keyLine, metric.offset);
          } else if (key == "datetime_pattern") {
            readString(value, valuePath, keyLine, metric.datetimePattern);
          } else if (key == "display_hint") {
            readString(value, valuePath, keyLine, metric.displayHint);
          } else {
            problem(
                keyLine, &valuePath,
                "unknown key (a metric has name, oid, type, help, indexes, lookups, "
                "regex_extracts, enum_values, scale, offset, datetime_pattern and display_hint)");
          }
        });
    for (const auto& [present, key] : {std::pair{hasName && !metric.name.empty(), "name"},
                                       std::pair{hasOid, "oid"}, std::pair{hasType, "type"}}) {
      if (!present) {
        problem(events_[node].line, &path, std::string("missing key \"") + key + "\"");
      }
    }
    // The generator's drop_source_indexes: one label-less lookup per source index, after the
    // metric's other lookups (generator/tree.go), which the collector reads as "delete".
    for (std::string& label : dropped) {
      MetricLookup drop;
      drop.labelname = std::move(label);
      metric.lookups.push_back(std::move(drop));
    }
    out.push_back(std::move(metric));
  }

  void readIndex(uint32_t node, const Path& path, uint32_t line, std::vector<MetricIndex>& out) {
    if (!expect(node, Kind::MapStart, path, line) || isEmpty(node)) {
      problemIfEmpty(node, path, line, "an index");
      return;
    }
    MetricIndex index;
    bool hasType = false;
    forEachEntry(
        node, path,
        [&](std::string_view key, uint32_t keyLine, uint32_t value, const Path& valuePath) {
          int64_t number = 0;
          if (key == "labelname") {
            readString(value, valuePath, keyLine, index.labelname);
          } else if (key == "type") {
            hasType = true;
            readType(value, valuePath, keyLine, "index", true, index.type);
          } else if (key == "fixed_size") {
            if (readInt(value, valuePath, keyLine, 0, INT_MAX, number)) {
              index.fixedSize = static_cast<int>(number);
            }
          } else if (key == "implied") {
            readBool(value, valuePath, keyLine, index.implied);
          } else if (key == "enum_values") {
            readEnumValues(value, valuePath, keyLine, index.enumValues);
          } else {
            problem(keyLine, &valuePath,
                    "unknown key (an index has labelname, type, fixed_size, implied and "
                    "enum_values)");
          }
        });
    if (index.labelname.empty()) {
      problem(events_[node].line, &path, "missing key \"labelname\"");
    }
    if (!hasType) {
      problem(events_[node].line, &path, "missing key \"type\"");
    }
    out.push_back(std::move(index));
  }

  void readLookup(uint32_t node, const Path& path, uint32_t line, std::vector<MetricLookup>& out,
                  std::vector<std::string>& dropped) {
    if (!expect(node, Kind::MapStart, path, line) || isEmpty(node)) {
      problemIfEmpty(node, path, line, "a lookup");
      return;
    }
    MetricLookup lookup;
    bool hasOid = false;
    bool drop = false;
    forEachEntry(
        node, path,
        [&](std::string_view key, uint32_t keyLine, uint32_t value, const Path& valuePath) {
          if (key == "labels") {
            readStringList(value, valuePath, keyLine, lookup.labels);
          } else if (key == "labelname") {
            readString(value, valuePath, keyLine, lookup.labelname);
          } else if (key == "oid") {
            hasOid = true;
            readOid(value, valuePath, keyLine, lookup.oid);
          } else if (key == "type") {
            ValueType type = ValueType::Gauge;
            if (readType(value, valuePath, keyLine, "lookup", false, type)) {
              lookup.type = type;
            }
          } else if (key == "display_hint") {
            readString(value, valuePath, keyLine, lookup.displayHint);
          } else if (key == "enum_values") {
            readEnumValues(value, valuePath, keyLine, lookup.enumValues);
          } else if (key == "drop_source_indexes") {
            // A generator.yml key (generator/tree.go turns it into label-less lookups). Accepted
            // here too, meaning the same: drop the source index labels after the lookups.
            readBool(value, valuePath, keyLine, drop);
          } else {
            problem(keyLine, &valuePath,
                    "unknown key (a lookup has labels, labelname, oid, type, display_hint, "
                    "enum_values and drop_source_indexes)");
          }
        });
    if (lookup.labelname.empty()) {
      problem(events_[node].line, &path, "missing key \"labelname\"");
    }
    if (!lookup.labels.empty() && !hasOid) {
      problem(events_[node].line, &path, "missing key \"oid\" (the lookup has labels)");
    }
    if (drop) {
      dropped.insert(dropped.end(), lookup.labels.begin(), lookup.labels.end());
    }
    out.push_back(std::move(lookup));
  }

  void readRegexExtracts(uint32_t node, const Path& path, uint32_t line,
                         std::map<std::string, std::vector<RegexExtract>>& out) {
    if (!expect(node, Kind::MapStart, path, line) || isEmpty(node)) {
      return;
    }
    forEachEntry(
        node, path,
        [&](std::string_view suffix, uint32_t suffixLine, uint32_t list, const Path& listPath) {
          std::vector<RegexExtract>& extracts = out[std::string(suffix)];
          if (!expect(list, Kind::SeqStart, listPath, suffixLine) || isEmpty(list)) {
            return;
          }
          forEachItem(list, listPath, [&](uint32_t item, const Path& itemPath) {
            if (!expect(item, Kind::MapStart, itemPath, events_[list].line) || isEmpty(item)) {
              problemIfEmpty(item, itemPath, events_[list].line, "a regex extract");
              return;
            }
            RegexExtract extract;  // value "$1" unless given (DefaultRegexpExtract)
            bool hasRegex = false;
            forEachEntry(
                item, itemPath,
                [&](std::string_view key, uint32_t keyLine, uint32_t value, const Path& valuePath) {
                  if (key == "regex") {
                    hasRegex = true;
                    readRegex(value, valuePath, keyLine, true, extract.regex);
                  } else if (key == "value") {
                    readString(value, valuePath, keyLine, extract.value);
                  } else {
                    problem(keyLine, &valuePath,
                            "unknown key (a regex extract has regex and value)");
                  }
                });
            if (!hasRegex) {
              problem(events_[item].line, &itemPath, "missing key \"regex\"");
            }
            extracts.push_back(std::move(extract));
          });
        });
  }

  const std::string& file_;
  const std::vector<Event> events_;
  const ModuleLoadOptions& options_;
  Problems& problems_;
};

/// Parses `text` into `part` (a fresh set), reporting every problem.
void parseInto(const std::string& text, const std::string& file, ModuleSet& part,
               const ModuleLoadOptions& options, Problems& problems) {
  std::istringstream stream(text);
  // About one event per 12 bytes in generated files; aliases may add up to 6 times that, and
  // up to 4 times the file plus 16 MiB in scalars.
  const size_t maxEvents = text.size() / 2 + 100000;
  const size_t maxBytes = text.size() * 4 + (size_t{16} << 20);
  Recorder recorder(text.size() / 12 + 16, maxEvents, maxBytes);
  try {
    YAML::Parser parser(stream);
    parser.HandleNextDocument(recorder);
    // A second document is refused rather than ignored (yaml.v2 reads only the first). Asked
    // for once: yaml-cpp 0.7 can return empty documents forever after a stray ','.
    Recorder second(0, maxEvents, maxBytes);
    if (parser.HandleNextDocument(second)) {
      problems.add(file, second.documentLine, nullptr,
                   "a second YAML document: a module file holds one");
    }
  } catch (const YAML::Exception& e) {
    problems.add(file, lineOf(e.mark), nullptr, "YAML: " + e.msg);
    return;
  } catch (const RecordError& e) {
    problems.add(file, e.line, nullptr, e.what);
    return;
  }
  const size_t first = problems.count();
  SchemaReader(file, std::move(recorder.events), options, problems).read(part);
  problems.sortByLine(first);
}

/// Moves `part` (read from `file`) into `into`; a name `into` already has is a problem.
void merge(ModuleSet& part, const std::string& file, ModuleSet& into, Problems& problems) {
  for (auto& [name, module] : part.modules) {
    const auto [it, added] = into.modules.emplace(name, module);
    if (!added) {
      problems.add(file, static_cast<uint32_t>(module->position.line), nullptr,
                   "module " + quote(name) + " is already defined at " +
                       it->second->position.str() + " (a name is defined once over all files)");
    }
  }
  for (auto& [name, auth] : part.auths) {
    const auto [it, added] = into.auths.emplace(name, auth);
    if (!added) {
      problems.add(file, static_cast<uint32_t>(auth.position.line), nullptr,
                   "auth " + quote(name) + " is already defined at " + it->second.position.str() +
                       " (a name is defined once over all files)");
    }
  }
  into.files.push_back(file);
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) {
    out += (out.empty() ? "" : "\n") + line;
  }
  return out;
}

/// The files a pattern names: itself, or a glob's matches in byte order (Go's filepath.Glob).
std::vector<std::string> expand(const std::string& pattern, std::string& error) {
  if (!isGlob(pattern)) {
    struct stat info {};
    if (::stat(pattern.c_str(), &info) != 0) {
      error = "cannot read: " + std::generic_category().message(errno);
      return {};
    }
    return {pattern};
  }
  // A glob that matches nothing is not an error (an empty modules.d/ must not stop a start);
  // loadModuleFiles warns. A literal path that is missing is one (a typo would drop modules).
  std::optional<std::vector<std::string>> files = expandGlob(pattern);
  if (!files) {
    error = "cannot expand this pattern";
    return {};
  }
  return std::move(*files);
}

bool readFile(const std::string& path, std::string& text, std::string& error) {
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) {
    error = "cannot read: is a directory";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read: " + std::generic_category().message(errno);
    return false;
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) {
    error = "cannot read";
    return false;
  }
  text = content.str();
  return true;
}

}  // namespace

ModuleSet loadModuleFiles(const std::vector<std::string>& patterns,
                          const ModuleLoadOptions& options) {
  ModuleSet set;
  std::vector<std::string> lines;
  Problems problems(lines);
  std::set<std::string> seen;
  for (const std::string& pattern : patterns) {
    std::string error;
    const std::vector<std::string> files = expand(pattern, error);
    if (!error.empty()) {
      problems.add(pattern, 0, nullptr, error);
      continue;
    }
    if (files.empty()) {
      set.warnings.push_back(pattern + ": no file matches this pattern");
    }
    for (const std::string& file : files) {
      if (!seen.insert(std::filesystem::path(file).lexically_normal().string()).second) {
        continue;  // named by two patterns: read once
      }
      std::string text;
      if (!readFile(file, text, error)) {
        problems.add(file, 0, nullptr, error);
        continue;
      }
      ModuleSet part;
      parseInto(text, file, part, options, problems);
      merge(part, file, set, problems);
    }
  }
  if (!lines.empty()) {
    throw ModuleConfigException(joined(lines));
  }
  return set;
}

void parseModuleText(const std::string& text, const std::string& fileName, ModuleSet& into,
                     const ModuleLoadOptions& options) {
  std::vector<std::string> lines;
  Problems problems(lines);
  ModuleSet part;
  parseInto(text, fileName, part, options, problems);
  if (lines.empty()) {
    ModuleSet merged = into;
    merge(part, fileName, merged, problems);
    if (lines.empty()) {
      into = std::move(merged);
    }
  }
  if (!lines.empty()) {
    throw ModuleConfigException(joined(lines));
  }
}

std::string describeModuleFiles(const ModuleSet& set) {
  auto counted = [](size_t n, const char* noun) {
    return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
  };
  std::string out;
  for (const std::string& file : set.files) {
    size_t modules = 0;
    size_t auths = 0;
    for (const auto& [name, module] : set.modules) {
      modules += module->position.file == file ? 1 : 0;
    }
    for (const auto& [name, auth] : set.auths) {
      auths += auth.position.file == file ? 1 : 0;
    }
    out += file + ": " + counted(modules, "module") + ", " + counted(auths, "auth") + "\n";
  }
  return out;
}

}  // namespace promsnmp
