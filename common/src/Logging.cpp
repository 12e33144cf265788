#include "common/Logging.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string_view>
#include <vector>

#include <Poco/AutoPtr.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Exception.h>
#include <Poco/FormattingChannel.h>

#include "common/Text.h"

namespace common {

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

/// go-logfmt: a value needs quotes when empty or holding a space, '=', '"', a control
/// character or invalid UTF-8.
bool needsQuotes(std::string_view value) {
  if (value.empty()) {
    return true;
  }
  for (size_t i = 0; i < value.size();) {
    const auto c = static_cast<unsigned char>(value[i]);
    bool valid = false;
    const size_t length = utf8Sequence(value, i, valid);
    if (!valid || c <= ' ' || c == '=' || c == '"' || c == 0x7f) {
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

/// True when a plain message's text already is logfmt pairs (`event=listening path=/x`, as the
/// elector's loggers write them): a lower-case key and '=' first, then nothing that would break
/// the line (control characters, invalid UTF-8).
bool isPreformatted(const Poco::Message& msg) {
  const std::string& text = msg.getText();
  size_t key = 0;
  while (key < text.size() && ((text[key] >= 'a' && text[key] <= 'z') || text[key] == '_')) {
    ++key;
  }
  if (key == 0 || key >= text.size() || text[key] != '=' || msg.has(detail::kFieldsParam)) {
    return false;
  }
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    bool valid = false;
    i += utf8Sequence(text, i, valid);
    if (!valid || c < 0x20 || c == 0x7f) {
      return false;
    }
  }
  return true;
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
  if (isPreformatted(msg)) {
    text += ' ';
    text += msg.getText();
    return;
  }
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

}  // namespace common
