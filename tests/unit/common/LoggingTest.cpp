// Tests of the log line formats (logfmt and JSON quoting and escaping, invalid UTF-8, level
// names), of logEvent's level filtering and field typing, and of setupLogging's arguments.
#include "common/Logging.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/Exception.h>
#include <Poco/FormattingChannel.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Timestamp.h>
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace common;

namespace {

// 2026-11-22T10:00:00.123Z
const Poco::Timestamp kTime(Poco::Timestamp::TimeVal(1795341600123000));

/// A message as logEvent builds it, with a fixed time.
Poco::Message message(Poco::Message::Priority priority, const std::string& text,
                      std::initializer_list<LogField> fields = {}) {
  std::vector<Poco::Message> captured;
  class Capture : public Poco::Channel {
   public:
    explicit Capture(std::vector<Poco::Message>& out) : out_(out) {}
    void log(const Poco::Message& msg) override { out_.push_back(msg); }

   private:
    std::vector<Poco::Message>& out_;
  };
  Poco::Logger& logger = Poco::Logger::get("promsnmp.test");
  Poco::AutoPtr<Poco::Channel> capture(new Capture(captured));
  logger.setChannel(capture);
  logger.setLevel(Poco::Message::PRIO_TRACE);
  logEvent(logger, priority, text, fields);
  logger.setChannel(nullptr);
  CPPUNIT_ASSERT_EQUAL(size_t{1}, captured.size());
  captured[0].setTime(kTime);
  return captured[0];
}

std::string logfmt(const Poco::Message& msg) {
  std::string text;
  LogfmtFormatter().format(msg, text);
  return text;
}

std::string json(const Poco::Message& msg) {
  std::string text;
  JsonFormatter().format(msg, text);
  return text;
}

/// Collects the formatted lines a logger writes.
class LineCapture : public Poco::Channel {
 public:
  void log(const Poco::Message& msg) override { lines.push_back(msg.getText()); }
  std::vector<std::string> lines;
};

}  // namespace

class LoggingTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(LoggingTest);
  CPPUNIT_TEST(testLogfmtLine);
  CPPUNIT_TEST(testLogfmtQuoting);
  CPPUNIT_TEST(testLogfmtEscaping);
  CPPUNIT_TEST(testLogfmtKeysSanitized);
  CPPUNIT_TEST(testInvalidUtf8Replaced);
  CPPUNIT_TEST(testJsonLine);
  CPPUNIT_TEST(testJsonEscapingParses);
  CPPUNIT_TEST(testJsonNumbersAndBooleans);
  CPPUNIT_TEST(testLevelNames);
  CPPUNIT_TEST(testPlainPocoMessages);
  CPPUNIT_TEST(testLogEventFiltersByLevel);
  CPPUNIT_TEST(testParseLogLevel);
  CPPUNIT_TEST(testSetupLoggingRejectsBadArguments);
  CPPUNIT_TEST(testSetupLoggingAppliesLevelToAllLoggers);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testLogfmtLine() {
    CPPUNIT_ASSERT_EQUAL(std::string("ts=2026-11-22T10:00:00.123Z level=info logger=promsnmp.test "
                                     "msg=\"poll failed\" target=r1 reason=timeout"),
                         logfmt(message(Poco::Message::PRIO_INFORMATION, "poll failed",
                                        {{"target", "r1"}, {"reason", "timeout"}})));
  }

  void testLogfmtQuoting() {
    const std::string line = logfmt(message(Poco::Message::PRIO_INFORMATION, "started",
                                            {{"empty", ""},
                                             {"space", "a b"},
                                             {"equals", "a=b"},
                                             {"quote", "say \"hi\""},
                                             {"unicode", "Zürich"},
                                             {"path", "/app/data/x.json"},
                                             {"count", 3}}));
    CPPUNIT_ASSERT_EQUAL(std::string("ts=2026-11-22T10:00:00.123Z level=info "
                                     "logger=promsnmp.test msg=started empty=\"\" space=\"a b\" "
                                     "equals=\"a=b\" quote=\"say \\\"hi\\\"\" unicode=Zürich "
                                     "path=/app/data/x.json count=3"),
                         line);
  }

  void testLogfmtEscaping() {
    const std::string line = logfmt(message(Poco::Message::PRIO_WARNING, "line1\nline2",
                                            {{"v", std::string("tab\there\\ \r\x01\x7f")}}));
    CPPUNIT_ASSERT_EQUAL(std::string("ts=2026-11-22T10:00:00.123Z level=warn "
                                     "logger=promsnmp.test msg=\"line1\\nline2\" "
                                     "v=\"tab\\there\\\\ \\r\\u0001\\u007f\""),
                         line);
    // One event, one line.
    CPPUNIT_ASSERT_EQUAL(std::string::npos, line.find('\n'));
  }

  void testLogfmtKeysSanitized() {
    const std::string line =
        logfmt(message(Poco::Message::PRIO_INFORMATION, "m", {{"bad key=\"x\"", "v"}, {"", "w"}}));
    CPPUNIT_ASSERT(line.find(" bad_key__x_=v _=w") != std::string::npos);
  }

  void testInvalidUtf8Replaced() {
    const std::string bad = std::string("a\xff") + "b\xc3" + "\xe2\x82" + "\xed\xa0\x80" +
                            "\xc0\xaf";  // stray, truncated, surrogate, overlong
    const std::string line = logfmt(message(Poco::Message::PRIO_INFORMATION, "m", {{"v", bad}}));
    const std::string replacement = "\xef\xbf\xbd";
    CPPUNIT_ASSERT(line.find("v=\"a" + replacement + "b" + replacement) != std::string::npos);
    CPPUNIT_ASSERT(line.find('\xff') == std::string::npos);
    const std::string object = json(message(Poco::Message::PRIO_INFORMATION, "m", {{"v", bad}}));
    Poco::JSON::Parser parser;
    const auto parsed = parser.parse(object).extract<Poco::JSON::Object::Ptr>();
    CPPUNIT_ASSERT_EQUAL(std::string("a") + replacement + "b",
                         parsed->getValue<std::string>("v").substr(0, 5));
  }

  void testJsonLine() {
    CPPUNIT_ASSERT_EQUAL(
        std::string("{\"ts\":\"2026-11-22T10:00:00.123Z\",\"level\":\"info\","
                    "\"logger\":\"promsnmp.test\",\"msg\":\"poll failed\",\"target\":\"r1\","
                    "\"reason\":\"timeout\"}"),
        json(message(Poco::Message::PRIO_INFORMATION, "poll failed",
                     {{"target", "r1"}, {"reason", "timeout"}})));
  }

  void testJsonEscapingParses() {
    const std::string tricky = "q\"b\\s/n\nr\rt\tc\x01\x1f del\x7f é ✓";
    const std::string object =
        json(message(Poco::Message::PRIO_ERROR, tricky, {{"v", tricky}, {"k\"ey", "x"}}));
    CPPUNIT_ASSERT_EQUAL(std::string::npos, object.find('\n'));
    CPPUNIT_ASSERT(object.find("\\u0001") != std::string::npos);
    Poco::JSON::Parser parser;
    const auto parsed = parser.parse(object).extract<Poco::JSON::Object::Ptr>();
    CPPUNIT_ASSERT_EQUAL(tricky, parsed->getValue<std::string>("msg"));
    CPPUNIT_ASSERT_EQUAL(tricky, parsed->getValue<std::string>("v"));
    CPPUNIT_ASSERT_EQUAL(std::string("x"), parsed->getValue<std::string>("k\"ey"));
    CPPUNIT_ASSERT_EQUAL(std::string("error"), parsed->getValue<std::string>("level"));
  }

  void testJsonNumbersAndBooleans() {
    const std::string object = json(message(Poco::Message::PRIO_INFORMATION, "m",
                                            {{"devices", 42},
                                             {"seconds", 0.25},
                                             {"big", std::numeric_limits<uint64_t>::max()},
                                             {"negative", -3},
                                             {"leader", true},
                                             {"nan", std::numeric_limits<double>::quiet_NaN()},
                                             {"text", "42"}}));
    CPPUNIT_ASSERT(object.find("\"devices\":42,\"seconds\":0.25,\"big\":18446744073709551615,"
                               "\"negative\":-3,\"leader\":true,\"nan\":\"") != std::string::npos);
    CPPUNIT_ASSERT(object.find("\"text\":\"42\"") != std::string::npos);
    Poco::JSON::Parser parser;
    CPPUNIT_ASSERT_NO_THROW(parser.parse(object));
    // logfmt shows them bare.
    CPPUNIT_ASSERT(
        logfmt(message(Poco::Message::PRIO_INFORMATION, "m", {{"devices", 42}, {"leader", false}}))
            .find("devices=42 leader=false") != std::string::npos);
  }

  void testLevelNames() {
    const std::pair<Poco::Message::Priority, const char*> cases[] = {
        {Poco::Message::PRIO_FATAL, "error"}, {Poco::Message::PRIO_CRITICAL, "error"},
        {Poco::Message::PRIO_ERROR, "error"}, {Poco::Message::PRIO_WARNING, "warn"},
        {Poco::Message::PRIO_NOTICE, "info"}, {Poco::Message::PRIO_INFORMATION, "info"},
        {Poco::Message::PRIO_DEBUG, "debug"}, {Poco::Message::PRIO_TRACE, "debug"},
    };
    for (const auto& [priority, name] : cases) {
      CPPUNIT_ASSERT(logfmt(message(priority, "m")).find(std::string(" level=") + name + " ") !=
                     std::string::npos);
    }
  }

  void testPlainPocoMessages() {
    Poco::Message msg("promsnmp.http", "Listening on address", Poco::Message::PRIO_INFORMATION);
    msg.setTime(kTime);
    CPPUNIT_ASSERT_EQUAL(std::string("ts=2026-11-22T10:00:00.123Z level=info logger=promsnmp.http "
                                     "msg=\"Listening on address\""),
                         logfmt(msg));
    // Parameters other than logEvent's are not shown, and a corrupt field blob is harmless.
    msg.set(detail::kFieldsParam, "9:short");
    CPPUNIT_ASSERT(logfmt(msg).find("short") == std::string::npos);
  }

  void testLogEventFiltersByLevel() {
    Poco::AutoPtr<LineCapture> capture(new LineCapture);
    Poco::AutoPtr<Poco::Formatter> formatter(new LogfmtFormatter);
    Poco::AutoPtr<Poco::Channel> channel(new Poco::FormattingChannel(formatter, capture));
    Poco::Logger& log = Poco::Logger::get("promsnmp.test.filter");
    log.setChannel(channel);
    log.setLevel(Poco::Message::PRIO_INFORMATION);
    logEvent(log, Poco::Message::PRIO_DEBUG, "hidden", {{"k", "v"}});
    logEvent(log, Poco::Message::PRIO_INFORMATION, "shown", {{"k", "v"}});
    logEvent(log, Poco::Message::PRIO_ERROR, "also shown");
    log.setChannel(nullptr);
    CPPUNIT_ASSERT_EQUAL(size_t{2}, capture->lines.size());
    CPPUNIT_ASSERT(capture->lines[0].find("msg=shown k=v") != std::string::npos);
    CPPUNIT_ASSERT(capture->lines[0].find("logger=promsnmp.test.filter") != std::string::npos);
    CPPUNIT_ASSERT(capture->lines[1].find("level=error") != std::string::npos);
  }

  void testParseLogLevel() {
    CPPUNIT_ASSERT_EQUAL(Poco::Message::PRIO_DEBUG, parseLogLevel("debug"));
    CPPUNIT_ASSERT_EQUAL(Poco::Message::PRIO_INFORMATION, parseLogLevel("info"));
    CPPUNIT_ASSERT_EQUAL(Poco::Message::PRIO_WARNING, parseLogLevel("warn"));
    CPPUNIT_ASSERT_EQUAL(Poco::Message::PRIO_ERROR, parseLogLevel("error"));
    CPPUNIT_ASSERT_THROW(parseLogLevel("verbose"), Poco::InvalidArgumentException);
  }

  void testSetupLoggingRejectsBadArguments() {
    CPPUNIT_ASSERT_THROW(setupLogging("loud", "logfmt"), Poco::InvalidArgumentException);
    CPPUNIT_ASSERT_THROW(setupLogging("info", "xml"), Poco::InvalidArgumentException);
  }

  void testSetupLoggingAppliesLevelToAllLoggers() {
    // setupLogging is global: put the root's channel and level back for the suites after this.
    const Poco::Channel::Ptr savedChannel = Poco::Logger::root().getChannel();
    const int savedLevel = Poco::Logger::root().getLevel();
    Poco::Logger& before = Poco::Logger::get("promsnmp.test.before");
    setupLogging("warn", "json");
    Poco::Logger& after = Poco::Logger::get("promsnmp.test.after");
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(Poco::Message::PRIO_WARNING), before.getLevel());
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(Poco::Message::PRIO_WARNING), after.getLevel());
    CPPUNIT_ASSERT(before.getChannel() == after.getChannel());
    setupLogging("error", "logfmt");
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(Poco::Message::PRIO_ERROR), after.getLevel());
    Poco::Logger::setChannel("", savedChannel);
    Poco::Logger::setLevel("", savedLevel);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LoggingTest);
