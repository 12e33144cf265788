#pragma once

#include <initializer_list>
#include <string>
#include <type_traits>

#include <Poco/Channel.h>
#include <Poco/Formatter.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>

namespace common {

// Logging, for both daemons: one Poco::Logger per area ("promsnmp.poller", "elector.redis", ...),
// every line to stderr (journald and Docker collect it), one line per event:
//
//   logfmt: ts=2026-11-22T10:00:00.123Z level=info logger=promsnmp.poller msg="poll failed"
//           target=r1 reason=timeout
//   json:   {"ts":"2026-11-22T10:00:00.123Z","level":"info","logger":"promsnmp.poller",
//            "msg":"poll failed","target":"r1","reason":"timeout"}
//
// Levels as Prometheus tools spell them: debug (POCO debug, trace), info (information,
// notice), warn (warning), error (error, critical, fatal).
//
// The collector logs with logEvent (a prose message plus fields). The elector's loggers write
// the pairs themselves (`logger.information("event=listening path=...")`): a message without
// logEvent fields whose text already is `key=value ...` is kept as the line's pairs in logfmt,
// and is the "msg" string in JSON.
//
// SECRETS: nothing here knows what is secret. Never pass a community string, passphrase, key or
// a whole SnmpTarget/Config to a log call; log names and addresses, and Secret::display() if a
// setting must be mentioned.

/// One key=value pair of a log event. Numbers and booleans stay unquoted in JSON.
struct LogField {
  LogField(std::string k, std::string v) : key(std::move(k)), value(std::move(v)) {}
  LogField(std::string k, const char* v) : key(std::move(k)), value(v != nullptr ? v : "") {}
  LogField(std::string k, bool v) : key(std::move(k)), value(v ? "true" : "false"), raw(true) {}
  template <typename T>
  requires(std::is_arithmetic_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char>)
      LogField(std::string k, T v)
      : key(std::move(k)), value(formatNumber(v)), raw(true) {}

  std::string key;
  std::string value;
  bool raw = false;  // a JSON number/boolean literal

 private:
  static std::string formatNumber(double v);
  static std::string formatNumber(long double v) { return formatNumber(static_cast<double>(v)); }
  static std::string formatNumber(float v) { return formatNumber(static_cast<double>(v)); }
  template <typename T>
  requires std::is_integral_v<T>
  static std::string formatNumber(T v) { return std::to_string(v); }
};

/// Logs `msg` with `fields` at `priority` if the logger's level lets it through; fields are
/// formatted only then. Thread-safe (as Poco::Logger is).
///   logEvent(log, Poco::Message::PRIO_WARNING, "poll failed", {{"target", t}, {"retries", 2}});
void logEvent(Poco::Logger& logger, Poco::Message::Priority priority, const std::string& msg,
              std::initializer_list<LogField> fields = {});

/// The logger of one area, e.g. logger("promsnmp.poller").
Poco::Logger& logger(const std::string& area);

/// Maps "debug" | "info" | "warn" | "error" to a POCO priority; throws
/// Poco::InvalidArgumentException on anything else.
Poco::Message::Priority parseLogLevel(const std::string& level);

/// Points every logger (existing and future) at stderr with the given line format ("logfmt" or
/// "json") and level. May be called again (e.g. on reload). Throws
/// Poco::InvalidArgumentException on an unknown level or format. Not thread-safe against
/// concurrent setupLogging calls; logging from other threads meanwhile is fine.
void setupLogging(const std::string& level, const std::string& format);

/// `key=value ...` lines (go-logfmt rules: values with spaces, '=', '"' or control characters
/// are quoted and escaped; invalid UTF-8 becomes U+FFFD). A message text that already is
/// `key=value ...` pairs (see above) follows `logger=` as it is. Thread-safe.
class LogfmtFormatter : public Poco::Formatter {
 public:
  void format(const Poco::Message& msg, std::string& text) override;
};

/// One JSON object per line; all values strings except numeric/boolean fields. Thread-safe.
class JsonFormatter : public Poco::Formatter {
 public:
  void format(const Poco::Message& msg, std::string& text) override;
};

/// Writes each message's text plus '\n' to a file descriptor (stderr by default) with one
/// write(2), so lines from different threads never interleave. Thread-safe.
class FdLineChannel : public Poco::Channel {
 public:
  explicit FdLineChannel(int fd = 2) : fd_(fd) {}
  void log(const Poco::Message& msg) override;

 private:
  int fd_;
};

namespace detail {
/// The Message parameter that carries logEvent's fields (encoded; see Logging.cpp).
inline constexpr const char* kFieldsParam = "promsnmp.fields";
}  // namespace detail

}  // namespace common
