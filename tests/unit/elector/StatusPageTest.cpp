// What the elector's / and /health print: durations, latencies and times for people; the JSON
// (its key order, values and nulls); the aligned text form; and the HTML page with every printed
// value escaped, from ElectorStatus snapshots built on FakeClock.
#include "StatusPage.h"

#include <chrono>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include "ElectorStatus.h"
#include "common/FakeClock.h"

using common::FakeClock;
using elector::ElectorStatus;
using elector::formatDuration;
using elector::formatLatency;
using elector::formatWallTime;
using elector::LeadershipServer;
using elector::StatusIdentity;
using std::chrono::microseconds;
using std::chrono::milliseconds;

namespace {

const std::string kScript = "<script>alert(1)</script>";

/// A redis elector `id` that leads (epoch 7, lease 2.5 s left), with one client whose last line
/// is `lastEvent`, three round trips, and a past error.
ElectorStatus::Snapshot leaderSnapshot(FakeClock& clock, const std::string& id,
                                       const std::string& lastEvent) {
  StatusIdentity identity;
  identity.id = id;
  identity.backend = "redis";
  identity.address = "127.0.0.1:6379";
  identity.socketPath = "/run/promsnmp/elector.sock";
  identity.leaseTtl = milliseconds(3000);
  LeadershipServer::ClientInfo client;
  client.pid = 31337;
  client.connectedAt = clock.steadyNow();
  client.lastEvent = lastEvent;
  client.lastSentAt = clock.steadyNow();
  ElectorStatus status(identity, clock, [client] { return std::vector{client}; });
  status.setRole(false, 6, "", std::nullopt, "started");
  status.setBackend(clock.steadyNow(), "acquire: " + kScript);
  status.setBackend(std::nullopt, "");
  for (const int us : {400, 200, 900}) {
    status.noteRoundTrip(clock.steadyNow(), microseconds(us), clock.steadyNow());
  }
  status.setRole(true, 7, id + ":abc", clock.steadyNow() + milliseconds(2500), "acquired");
  clock.advance(milliseconds(1500));
  return status.snapshot();
}

Poco::JSON::Object::Ptr parse(const std::string& text) {
  return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

class StatusPageTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(StatusPageTest);
  CPPUNIT_TEST(testFormatDuration);
  CPPUNIT_TEST(testFormatLatency);
  CPPUNIT_TEST(testFormatWallTime);
  CPPUNIT_TEST(testHealthJson);
  CPPUNIT_TEST(testHealthJsonDown);
  CPPUNIT_TEST(testHealthText);
  CPPUNIT_TEST(testPageEscapesEveryValue);
  CPPUNIT_TEST(testPageDown);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testFormatDuration() {
    CPPUNIT_ASSERT_EQUAL(std::string("0 ms"), formatDuration(milliseconds(-5)));
    CPPUNIT_ASSERT_EQUAL(std::string("0 ms"), formatDuration(milliseconds(0)));
    CPPUNIT_ASSERT_EQUAL(std::string("999 ms"), formatDuration(milliseconds(999)));
    CPPUNIT_ASSERT_EQUAL(std::string("1.0 s"), formatDuration(milliseconds(1000)));
    CPPUNIT_ASSERT_EQUAL(std::string("4.2 s"), formatDuration(milliseconds(4249)));
    CPPUNIT_ASSERT_EQUAL(std::string("10 s"), formatDuration(milliseconds(10000)));
    CPPUNIT_ASSERT_EQUAL(std::string("59 s"), formatDuration(milliseconds(59999)));
    CPPUNIT_ASSERT_EQUAL(std::string("1 min 0 s"), formatDuration(milliseconds(60000)));
    CPPUNIT_ASSERT_EQUAL(std::string("3 min 20 s"), formatDuration(milliseconds(200000)));
    CPPUNIT_ASSERT_EQUAL(std::string("2 h 5 min"), formatDuration(milliseconds(7500000)));
    CPPUNIT_ASSERT_EQUAL(std::string("23 h 59 min"), formatDuration(milliseconds(86399999)));
    CPPUNIT_ASSERT_EQUAL(std::string("3 d 4 h"),
                         formatDuration(milliseconds((3 * 24 + 4) * 3600000LL + 59000)));
  }

  void testFormatLatency() {
    CPPUNIT_ASSERT_EQUAL(std::string("0.00 ms"), formatLatency(microseconds(-1)));
    CPPUNIT_ASSERT_EQUAL(std::string("0.42 ms"), formatLatency(microseconds(420)));
    CPPUNIT_ASSERT_EQUAL(std::string("12.3 ms"), formatLatency(microseconds(12340)));
    CPPUNIT_ASSERT_EQUAL(std::string("250 ms"), formatLatency(microseconds(250000)));
    CPPUNIT_ASSERT_EQUAL(std::string("1.25 s"), formatLatency(microseconds(1250000)));
  }

  void testFormatWallTime() {
    FakeClock clock;  // 2025-06-01T12:00:00Z
    CPPUNIT_ASSERT_EQUAL(std::string("2025-06-01T12:00:00.000Z"),
                         formatWallTime(clock.systemNow()));
    clock.advance(milliseconds(86400000 + 3723042));
    CPPUNIT_ASSERT_EQUAL(std::string("2025-06-02T13:02:03.042Z"),
                         formatWallTime(clock.systemNow()));
    CPPUNIT_ASSERT_EQUAL(std::string("1970-01-01T00:00:00.000Z"),
                         formatWallTime(std::chrono::system_clock::time_point{}));
  }

  void testHealthJson() {
    FakeClock clock;
    const std::string json = elector::renderHealthJson(leaderSnapshot(clock, "r0", "{}"));
    // Pretty-printed, keys in a fixed order, status first.
    CPPUNIT_ASSERT_MESSAGE(json,
                           json.rfind("{\n  \"status\": \"UP\",\n  \"id\": \"r0\",\n", 0) == 0);
    const std::vector<std::string> order = {
        "\"status\"",           "\"id\"",          "\"role\"",
        "\"holder\"",           "\"holderToken\"", "\"epoch\"",
        "\"leaseRemainingMs\"", "\"leaseTtlMs\"",  "\"lastAnswer\"",
        "\"lastAttempt\"",      "\"backend\"",     "\"socket\"",
        "\"transitions\""};
    std::size_t at = 0;
    for (const std::string& key : order) {
      const std::size_t next = json.find(key, at);
      CPPUNIT_ASSERT_MESSAGE(key + " out of order", next != std::string::npos);
      at = next;
    }
    const Poco::JSON::Object::Ptr body = parse(json);
    CPPUNIT_ASSERT_EQUAL(std::string("leader"), body->getValue<std::string>("role"));
    CPPUNIT_ASSERT_EQUAL(std::string("r0"), body->getValue<std::string>("holder"));
    CPPUNIT_ASSERT_EQUAL(std::string("r0:abc"), body->getValue<std::string>("holderToken"));
    CPPUNIT_ASSERT_EQUAL(7, body->getValue<int>("epoch"));
    CPPUNIT_ASSERT_EQUAL(1000, body->getValue<int>("leaseRemainingMs"));  // 2500 - 1500
    CPPUNIT_ASSERT_EQUAL(3000, body->getValue<int>("leaseTtlMs"));
    CPPUNIT_ASSERT_EQUAL(std::string("2025-06-01T12:00:00.000Z"),
                         body->getValue<std::string>("lastAnswer"));
    const auto backend = body->getObject("backend");
    CPPUNIT_ASSERT_EQUAL(std::string("redis"), backend->getValue<std::string>("kind"));
    CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1:6379"), backend->getValue<std::string>("address"));
    CPPUNIT_ASSERT_EQUAL(std::string("ok"), backend->getValue<std::string>("state"));
    CPPUNIT_ASSERT(backend->isNull("error"));
    CPPUNIT_ASSERT(backend->isNull("failingSince"));
    const auto latency = backend->getObject("latencyMs");
    CPPUNIT_ASSERT_DOUBLES_EQUAL(0.9, latency->getValue<double>("last"), 1e-9);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(0.4, latency->getValue<double>("median"), 1e-9);
    CPPUNIT_ASSERT_EQUAL(3, latency->getValue<int>("samples"));
    const auto socket = body->getObject("socket");
    CPPUNIT_ASSERT_EQUAL(std::string("/run/promsnmp/elector.sock"),
                         socket->getValue<std::string>("path"));
    CPPUNIT_ASSERT_EQUAL(1, socket->getValue<int>("clients"));
    const auto transitions = body->getArray("transitions");
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, transitions->size());
    CPPUNIT_ASSERT_EQUAL(std::string("leader"),
                         transitions->getObject(0)->getValue<std::string>("to"));
    CPPUNIT_ASSERT_EQUAL(std::string("acquired"),
                         transitions->getObject(0)->getValue<std::string>("reason"));
  }

  void testHealthJsonDown() {
    FakeClock clock;
    StatusIdentity identity;
    identity.id = "r1";
    identity.backend = "redis";
    identity.leaseTtl = milliseconds(3000);
    ElectorStatus status(identity, clock, {});
    const auto failedAt = clock.steadyNow();
    status.setBackend(failedAt, "holder: Connection refused");
    status.setRole(false, 2, "", std::nullopt, "observe_unknown");
    clock.advance(milliseconds(2000));
    const Poco::JSON::Object::Ptr body = parse(elector::renderHealthJson(status.snapshot()));
    CPPUNIT_ASSERT_EQUAL(std::string("DOWN"), body->getValue<std::string>("status"));
    CPPUNIT_ASSERT_EQUAL(std::string("backend unreachable"), body->getValue<std::string>("role"));
    CPPUNIT_ASSERT(body->isNull("leaseRemainingMs"));
    CPPUNIT_ASSERT(body->isNull("lastAnswer"));
    const auto backend = body->getObject("backend");
    CPPUNIT_ASSERT_EQUAL(std::string("error"), backend->getValue<std::string>("state"));
    CPPUNIT_ASSERT_EQUAL(std::string("holder: Connection refused"),
                         backend->getValue<std::string>("error"));
    CPPUNIT_ASSERT_EQUAL(std::string("2025-06-01T12:00:00.000Z"),
                         backend->getValue<std::string>("failingSince"));
    CPPUNIT_ASSERT(backend->getObject("latencyMs")->isNull("median"));
  }

  void testHealthText() {
    FakeClock clock;
    const std::string text =
        elector::renderHealthText(leaderSnapshot(clock, "r0\nfake: line", "{}"));
    std::istringstream lines(text);
    std::string line;
    std::size_t column = std::string::npos;
    int count = 0;
    while (std::getline(lines, line)) {
      ++count;
      const std::size_t colon = line.find(':');
      CPPUNIT_ASSERT_MESSAGE(line, colon != std::string::npos);
      // Every value starts in the same column.
      const std::size_t value = line.find_first_not_of(' ', colon + 1);
      if (column == std::string::npos) {
        column = value;
      }
      CPPUNIT_ASSERT_EQUAL_MESSAGE(text, column, value);
    }
    CPPUNIT_ASSERT_EQUAL(14, count);  // a newline in a value does not make a line of its own
    CPPUNIT_ASSERT_MESSAGE(text, text.rfind("status:         UP\n", 0) == 0);
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, "\nrole:           leader\n"));
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, "\nid:             r0 fake: line\n"));
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, "\nlease left:     1.0 s of 3.0 s\n"));
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, "\nbackend:        redis 127.0.0.1:6379\n"));
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, "\nbackend state:  ok\n"));
    CPPUNIT_ASSERT_MESSAGE(text, contains(text,
                                          "\nlatency:        last 0.90 ms, median 0.40 ms of the "
                                          "last 3\n"));
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, "\nsocket clients: 1\n"));
  }

  void testPageEscapesEveryValue() {
    FakeClock clock;
    const std::string html = elector::renderStatusPage(
        leaderSnapshot(clock, kScript, "{\"holder\":\"" + kScript + "\"}"));
    CPPUNIT_ASSERT_MESSAGE(html, !contains(html, "<script"));
    CPPUNIT_ASSERT_MESSAGE(html, contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    // The id (title, heading), the holder and its token, the client's last line and the last
    // error each carry it escaped.
    CPPUNIT_ASSERT_MESSAGE(html, contains(html, "<title>elector &lt;script&gt;"));
    CPPUNIT_ASSERT_MESSAGE(html, contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;:abc"));
    CPPUNIT_ASSERT_MESSAGE(html, contains(html, "{&quot;holder&quot;:&quot;&lt;script&gt;"));
    CPPUNIT_ASSERT_MESSAGE(html, contains(html, "acquire: &lt;script&gt;"));
    CPPUNIT_ASSERT_MESSAGE(html, contains(html, "<meta http-equiv=\"refresh\" content=\"5\">"));
    CPPUNIT_ASSERT_MESSAGE(html, contains(html, "<a href=\"/health\">"));
    CPPUNIT_ASSERT_MESSAGE(html, contains(html, "<a href=\"/metrics\">"));
    CPPUNIT_ASSERT_MESSAGE(html, contains(html, "<span class=\"up\">UP</span>"));
    CPPUNIT_ASSERT_MESSAGE(html, contains(html, "<td>31337</td>"));
    CPPUNIT_ASSERT_MESSAGE(html, contains(html, "1.0 s of 3.0 s"));
    CPPUNIT_ASSERT_MESSAGE(html, contains(html, "1 client connected"));
    CPPUNIT_ASSERT_MESSAGE(html, !contains(html, "http://") && !contains(html, "https://"));
  }

  void testPageDown() {
    FakeClock clock;
    StatusIdentity identity;
    identity.id = "r1";
    identity.backend = "redis";
    ElectorStatus status(identity, clock, {});
    status.setBackend(clock.steadyNow(), "holder: Connection refused");
    status.setRole(false, 2, "", std::nullopt, "observe_unknown");
    clock.advance(milliseconds(2000));
    const std::string html = elector::renderStatusPage(status.snapshot());
    CPPUNIT_ASSERT_MESSAGE(html, contains(html,
                                          "<span class=\"down\">DOWN</span>: error for "
                                          "2.0 s: holder: Connection refused"));
    CPPUNIT_ASSERT_MESSAGE(html, contains(html,
                                          "<span class=\"unreachable\">backend "
                                          "unreachable</span>"));
    CPPUNIT_ASSERT_MESSAGE(html, contains(html, "0 clients connected"));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StatusPageTest);
