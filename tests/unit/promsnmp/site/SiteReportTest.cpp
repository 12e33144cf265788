// The replica report (GET /promsnmp/site/replica) survives its JSON round trip, reads what a
// replica of another version may write (unknown fields, missing fields), and refuses what is
// not a report with a reason.
#include "site/SiteReport.h"

#include <stdexcept>
#include <string>

#include <cppunit/extensions/HelperMacros.h>

using namespace promsnmp;

class SiteReportTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SiteReportTest);
  CPPUNIT_TEST(testRoundTrip);
  CPPUNIT_TEST(testOtherVersionsFields);
  CPPUNIT_TEST(testNotAReport);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testRoundTrip() {
    ReplicaReport r;
    r.replica = "promsnmp-2 \"quoted\" \xc3\xa9";
    r.writerId = "00ff";
    r.role = "leader (epoch 3, lease 3)";
    r.leading = true;
    r.elected = true;
    r.holder = "promsnmp-2:abc";
    r.health = "UP";
    r.version = 18446744073709551615ULL;  // 2^64-1 stays exact
    r.epoch = 3;
    r.inventoryDevices = 14;
    r.share = "missing";
    r.shareError = "no marker";
    r.startedAtMs = 1'700'000'000'123;
    r.nowMs = 1'700'000'100'456;
    DeviceReport d;
    d.name = "sw1";
    d.up = false;
    d.error = "timeout: 127.0.0.1";
    d.ageSeconds = 1.5;
    d.durationSeconds = 0.25;
    d.dataAgeSeconds = -1;
    d.interfaces = -1;
    d.polls = 7;
    d.failures = 2;
    d.recent = "++-+-";
    r.devices.push_back(d);
    RunReport run;
    run.id = "c0ffee";
    run.trigger = "cron";
    run.state = "succeeded";
    run.startedAtMs = 1;
    run.finishedAtMs = 2;
    run.seeds = 3;
    run.found = 4;
    run.added = 5;
    run.changed = 6;
    run.version = 7;
    r.runs.push_back(run);

    ReplicaReport back = parseReplicaReport(toJson(r));
    CPPUNIT_ASSERT_EQUAL(r.replica, back.replica);
    CPPUNIT_ASSERT_EQUAL(r.writerId, back.writerId);
    CPPUNIT_ASSERT_EQUAL(r.role, back.role);
    CPPUNIT_ASSERT(back.leading && back.elected);
    CPPUNIT_ASSERT_EQUAL(r.holder, back.holder);
    CPPUNIT_ASSERT_EQUAL(r.version, back.version);
    CPPUNIT_ASSERT_EQUAL(r.inventoryDevices, back.inventoryDevices);
    CPPUNIT_ASSERT_EQUAL(r.share, back.share);
    CPPUNIT_ASSERT_EQUAL(r.shareError, back.shareError);
    CPPUNIT_ASSERT_EQUAL(r.startedAtMs, back.startedAtMs);
    CPPUNIT_ASSERT_EQUAL(r.nowMs, back.nowMs);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, back.devices.size());
    CPPUNIT_ASSERT_EQUAL(d.error, back.devices[0].error);
    CPPUNIT_ASSERT(!back.devices[0].up);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(1.5, back.devices[0].ageSeconds, 1e-9);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(-1, back.devices[0].dataAgeSeconds, 1e-9);
    CPPUNIT_ASSERT_EQUAL(int64_t{-1}, back.devices[0].interfaces);
    CPPUNIT_ASSERT_EQUAL(uint64_t{2}, back.devices[0].failures);
    CPPUNIT_ASSERT_EQUAL(d.recent, back.devices[0].recent);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, back.runs.size());
    CPPUNIT_ASSERT_EQUAL(std::string("cron"), back.runs[0].trigger);
    CPPUNIT_ASSERT_EQUAL(uint64_t{5}, back.runs[0].added);
    CPPUNIT_ASSERT_EQUAL(uint64_t{7}, back.runs[0].version);
  }

  void testOtherVersionsFields() {
    ReplicaReport r = parseReplicaReport(
        R"({"replica":"old","newField":{"x":1},"devices":[{"name":"d","later":true}]})");
    CPPUNIT_ASSERT_EQUAL(std::string("old"), r.replica);
    CPPUNIT_ASSERT_EQUAL(uint64_t{0}, r.version);
    CPPUNIT_ASSERT(!r.elected);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, r.devices.size());
    CPPUNIT_ASSERT_EQUAL(int64_t{-1}, r.devices[0].interfaces);
    CPPUNIT_ASSERT(r.runs.empty());
  }

  void testNotAReport() {
    for (const std::string& text :
         {std::string("<html>502 Bad Gateway</html>"), std::string("[1,2]"), std::string("{}"),
          std::string(R"({"replica":"x","version":"nine"})"), std::string("")}) {
      try {
        parseReplicaReport(text);
        CPPUNIT_FAIL("accepted: " + text);
      } catch (const std::invalid_argument& e) {
        CPPUNIT_ASSERT_MESSAGE(e.what(), std::string(e.what()).find("not a replica report") == 0);
      }
    }
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SiteReportTest);
