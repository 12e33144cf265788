#include "support/Logging.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string_view>
#include <vector>

#include <Poco/AutoPtr.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Exception.h>
#include <Poco/FormattingChannel.h>

namespace promsnmp {

namespace {

// logEvent's fields travel in one Message parameter, length-prefixed so keys and values may hold
// any byte: for each field "<key length>:<key><'r' raw | 's' string><value length>:<value>".

void appendCounted(std::string& out, std::string_view text) {
  out += std::to_string(text.size());
  out += ':';
  out += text;
}

bool readCounted(std::string_view& in, std::string_view& text) {
  size_t length = 0;
  const auto [ptr, ec] = std::from_chars(in.data(), in.data() + in.size(), length);
  if (ec != std::errc() || ptr == in.data() + in.size() || *ptr != ':') {
    return false;
  }
  in.remove_prefix(static_cast<size_t>(ptr - in.data()) + 1);
  if (length > in.size()) {
    return false;
  }
  text = in.substr(0, length);
  in.remove_prefix(length);
  return true;
}

struct Field {
  std::string_view key;
  std::string_view value;
  bool raw;
};

std::vector<Field> decodeFields(const Poco::Message& msg) {
  std::vector<Field> fields;
  if (!msg.has(detail::kFieldsParam)) {
    return fields;
  }
  std::string_view in = msg.get(detail::kFieldsParam);
  while (!in.empty()) {
    Field field{};
    if (!readCounted(in, field.key) || in.empty()) {
      break;
    }
    field.raw = in.front() == 'r';
    in.remove_prefix(1);
    if (!readCounted(in, field.value)) {
      break;
    }
    fields.push_back(field);
  }
  return fields;
}

const char* levelName(Poco::Message::Priority priority) {
  switch (priority) {
    case Poco::Message::PRIO_FATAL:
    case Poco::Message::PRIO_CRITICAL:
    case Poco::Message::PRIO_ERROR:
      return "error";
    case Poco::Message::PRIO_WARNING:
      return "warn";
    case Poco::Message::PRIO_NOTICE:
    case Poco::Message::PRIO_INFORMATION:
      return "info";
    default:
      return "debug";
  }
}

std::string timestamp(const Poco::Message& msg) {
  return Poco::DateTimeFormatter::format(msg.getTime(), "%Y-%m-%dT%H:%M:%S.%iZ");
}

/// Decodes one UTF-8 sequence at `text[i]`; returns its length, or 0 if it is invalid
/// (truncated, overlong, a surrogate, beyond U+10FFFF).
size_t utf8Length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  size_t length = 0;
  uint32_t cp = 0;
  if (lead < 0x80) {
    return 1;
  } else if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
    cp = lead & 0x1f;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    cp = lead & 0x0f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    cp = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) {
    return 0;
  }
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (byte(i + k) & 0x3f);
  }
  if ((length == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
      (length == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
    return 0;
  }
  return length;
}

constexpr const char* kReplacement = "\xef\xbf\xbd";  // U+FFFD

void appendHexEscape(std::string& out, unsigned char c) {
  static const char* const kHex = "0123456789abcdef";
  out += "\\u00";
  out += kHex[c >> 4];
  out += kHex[c & 15];
}

}  // namespace

void appendEscaped(std::string& out, std::string_view text, bool json) {
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const size_t length = utf8Length(text, i);
    if (length == 0) {
      out += kReplacement;
      ++i;
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

namespace {

/// go-logfmt: a value needs quotes when empty or holding a space, '=', '"', a control
/// character or invalid UTF-8.
bool needsQuotes(std::string_view value) {
  if (value.empty()) {
    return true;
  }
  for (size_t i = 0; i < value.size();) {
    const auto c = static_cast<unsigned char>(value[i]);
    const size_t length = utf8Length(value, i);
    if (length == 0 || c <= ' ' || c == '=' || c == '"' || c == 0x7f) {
      return true;
    }
    i += length;
  }
  return false;
}

void appendLogfmtKey(std::string& out, std::string_view key) {
  if (key.empty()) {
    out += '_';
    return;
  }
  for (const char ch : key) {
    const auto c = static_cast<unsigned char>(ch);
    out += (c <= ' ' || c == '=' || c == '"' || c >= 0x7f) ? '_' : ch;
  }
}

void appendLogfmtPair(std::string& out, std::string_view key, std::string_view value) {
  if (!out.empty()) {
    out += ' ';
  }
  appendLogfmtKey(out, key);
  out += '=';
  if (needsQuotes(value)) {
    out += '"';
    appendEscaped(out, value, false);
    out += '"';
  } else {
    out.append(value);
  }
}

void appendJsonString(std::string& out, std::string_view text) {
  out += '"';
  appendEscaped(out, text, true);
  out += '"';
}

bool isJsonLiteral(std::string_view value) {
  if (value == "true" || value == "false") {
    return true;
  }
  if (value.empty() || !(value[0] == '-' || (value[0] >= '0' && value[0] <= '9'))) {
    return false;
  }
  return value.find_first_not_of("0123456789+-.eE") == std::string_view::npos;
}

void appendJsonPair(std::string& out, std::string_view key, std::string_view value, bool raw) {
  out += out.size() > 1 ? "," : "";
  appendJsonString(out, key);
  out += ':';
  if (raw && isJsonLiteral(value)) {
    out.append(value);
  } else {
    appendJsonString(out, value);
  }
}

}  // namespace

std::string LogField::formatNumber(double v) {
  char buffer[64];
  const auto [ptr, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  return std::string(buffer, ptr);
}

void LogfmtFormatter::format(const Poco::Message& msg, std::string& text) {
  text.clear();
  appendLogfmtPair(text, "ts", timestamp(msg));
  appendLogfmtPair(text, "level", levelName(msg.getPriority()));
  appendLogfmtPair(text, "logger", msg.getSource());
  appendLogfmtPair(text, "msg", msg.getText());
  for (const auto& field : decodeFields(msg)) {
    appendLogfmtPair(text, field.key, field.value);
  }
}

void JsonFormatter::format(const Poco::Message& msg, std::string& text) {
  text = "{";
  appendJsonPair(text, "ts", timestamp(msg), false);
  appendJsonPair(text, "level", levelName(msg.getPriority()), false);
  appendJsonPair(text, "logger", msg.getSource(), false);
  appendJsonPair(text, "msg", msg.getText(), false);
  for (const auto& field : decodeFields(msg)) {
    appendJsonPair(text, field.key, field.value, field.raw);
  }
  text += '}';
}

void FdLineChannel::log(const Poco::Message& msg) {
  std::string line = msg.getText();
  line += '\n';
  const char* data = line.data();
  size_t left = line.size();
  while (left > 0) {
    const ssize_t written = ::write(fd_, data, left);
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;  // nowhere left to report a failing stderr
    }
    data += written;
    left -= static_cast<size_t>(written);
  }
}

void logEvent(Poco::Logger& logger, Poco::Message::Priority priority, const std::string& msg,
              std::initializer_list<LogField> fields) {
  if (!logger.is(priority)) {
    return;
  }
  Poco::Message message(logger.name(), msg, priority);
  if (fields.size() > 0) {
    std::string encoded;
    for (const auto& field : fields) {
      appendCounted(encoded, field.key);
      encoded += field.raw ? 'r' : 's';
      appendCounted(encoded, field.value);
    }
    message.set(detail::kFieldsParam, encoded);
  }
  logger.log(message);
}

Poco::Logger& logger(const std::string& area) { return Poco::Logger::get(area); }

Poco::Message::Priority parseLogLevel(const std::string& level) {
  if (level == "debug") {
    return Poco::Message::PRIO_DEBUG;
  }
  if (level == "info") {
    return Poco::Message::PRIO_INFORMATION;
  }
  if (level == "warn") {
    return Poco::Message::PRIO_WARNING;
  }
  if (level == "error") {
    return Poco::Message::PRIO_ERROR;
  }
  throw Poco::InvalidArgumentException("log level must be debug, info, warn or error", level);
}

void setupLogging(const std::string& level, const std::string& format) {
  const Poco::Message::Priority priority = parseLogLevel(level);
  Poco::AutoPtr<Poco::Formatter> formatter;
  if (format == "logfmt") {
    formatter = new LogfmtFormatter;
  } else if (format == "json") {
    formatter = new JsonFormatter;
  } else {
    throw Poco::InvalidArgumentException("log format must be logfmt or json", format);
  }
  Poco::AutoPtr<Poco::Channel> stderrChannel(new FdLineChannel);
  Poco::AutoPtr<Poco::Channel> channel(new Poco::FormattingChannel(formatter, stderrChannel));
  Poco::Logger::root();  // make sure the root exists, so loggers created later inherit from it
  Poco::Logger::setChannel("", channel);
  Poco::Logger::setLevel("", priority);
}

}  // namespace promsnmp
