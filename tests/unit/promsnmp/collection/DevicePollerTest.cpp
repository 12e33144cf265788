#include "collection/DevicePoller.h"

#include <memory>
#include <optional>
#include <string>

#include <cppunit/extensions/HelperMacros.h>

#include "collection/MetricCatalog.h"
#include "collection/PollResult.h"
#include "snmp/FakeSnmpClient.h"

using promsnmp::DevicePoller;
using promsnmp::IfMetric;
using promsnmp::InterfaceRow;
using promsnmp::PollError;
using promsnmp::PollResult;
using promsnmp::SnmpRequest;
using promsnmp::SnmpTarget;

namespace {

const std::string kIfEntry = "1.3.6.1.2.1.2.2.1.";
const std::string kIfXEntry = "1.3.6.1.2.1.31.1.1.1.";

SnmpTarget target(int version = 1) {
  SnmpTarget t = fakeTarget("sw1", version);
  t.retries = 2;
  return t;
}

void setScalars(FakeSnmpClient& f, uint32_t sysUpTime, std::optional<uint32_t> lastChange,
                int64_t ifNumber) {
  f.setTimeTicks("1.3.6.1.2.1.1.3.0", sysUpTime);
  if (lastChange) {
    f.setTimeTicks("1.3.6.1.2.1.31.1.5.0", *lastChange);
  } else {
    f.erase("1.3.6.1.2.1.31.1.5.0");
  }
  f.setInteger("1.3.6.1.2.1.2.1.0", ifNumber);
}

/// One interface with every ifTable column, and the ifXTable columns when `ifX`.
void addInterface(FakeSnmpClient& f, uint32_t i, const std::string& descr, bool ifX = true) {
  std::string idx = "." + std::to_string(i);
  f.setInteger(kIfEntry + "1" + idx, i);
  f.setString(kIfEntry + "2" + idx, descr);
  f.setInteger(kIfEntry + "3" + idx, 6);
  f.setInteger(kIfEntry + "4" + idx, 1500);
  f.setGauge(kIfEntry + "5" + idx, 1000000000);
  f.setInteger(kIfEntry + "7" + idx, 1);
  f.setInteger(kIfEntry + "8" + idx, i % 2 == 0 ? 2 : 1);
  f.setCounter32(kIfEntry + "10" + idx, 1000 + i);
  f.setCounter32(kIfEntry + "11" + idx, 2000 + i);
  f.setCounter32(kIfEntry + "13" + idx, 3);
  f.setCounter32(kIfEntry + "14" + idx, 4);
  f.setCounter32(kIfEntry + "16" + idx, 3000 + i);
  f.setCounter32(kIfEntry + "17" + idx, 4000 + i);
  f.setCounter32(kIfEntry + "19" + idx, 19);
  f.setCounter32(kIfEntry + "20" + idx, 20);
  if (ifX) {
    f.setString(kIfXEntry + "1" + idx, descr + "-name");
    for (int c = 6; c <= 13; ++c) {
      f.setCounter64(kIfXEntry + std::to_string(c) + idx, 10000000000ULL * c + i);
    }
    f.setGauge(kIfXEntry + "15" + idx, 1000);
    f.setString(kIfXEntry + "18" + idx, descr + "-alias");
  }
}

/// A switch with interfaces 1, 2 and 10; plus neighbours of the tables so walks must stop.
void buildSwitch(FakeSnmpClient& f, bool ifX = true) {
  f.setString("1.3.6.1.2.1.1.1.0", "a switch");
  setScalars(f, 5000, ifX ? std::optional<uint32_t>(100) : std::nullopt, 3);
  addInterface(f, 1, "eth0", ifX);
  addInterface(f, 2, "eth1", ifX);
  addInterface(f, 10, "uplink", ifX);
  f.setInteger("1.3.6.1.2.1.4.1.0", 1);  // ipForwarding, after ifTable
  if (ifX) {
    f.setInteger("1.3.6.1.2.1.31.1.2.1.3.1.0", 1);  // ifStackStatus, after ifXTable
  }
}

std::shared_ptr<PollResult> pollNow(DevicePoller& poller, const SnmpTarget& t,
                                    std::shared_ptr<const PollResult> previous = nullptr) {
  std::shared_ptr<PollResult> out;
  int calls = 0;
  poller.poll(t, std::move(previous), [&](std::shared_ptr<PollResult> r) {
    ++calls;
    out = std::move(r);
  });
  CPPUNIT_ASSERT_EQUAL(1, calls);
  CPPUNIT_ASSERT(out);
  return out;
}

const InterfaceRow& row(const PollResult& r, uint32_t ifIndex) {
  for (const InterfaceRow& i : r.interfaces) {
    if (i.ifIndex == ifIndex) {
      return i;
    }
  }
  CPPUNIT_FAIL("no interface " + std::to_string(ifIndex));
  throw 0;  // unreachable
}

uint64_t value(const PollResult& r, uint32_t ifIndex, IfMetric m) {
  std::optional<uint64_t> v = row(r, ifIndex).get(m);
  CPPUNIT_ASSERT_MESSAGE("no value", v.has_value());
  return *v;
}

size_t bulkRequests(const FakeSnmpClient& f) {
  size_t n = 0;
  for (const SnmpRequest& r : f.requests()) {
    n += r.type == SnmpRequest::Type::GetBulk ? 1 : 0;
  }
  return n;
}

}  // namespace

class DevicePollerTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DevicePollerTest);
  CPPUNIT_TEST(testFirstPollCollectsEverything);
  CPPUNIT_TEST(testNoIfXTableFallsBackTo32BitCounters);
  CPPUNIT_TEST(testPreviousWithoutIfXSkipsIfXColumns);
  CPPUNIT_TEST(testPartialIfXTableFallsBackToCounters32);
  CPPUNIT_TEST(testLabelsReusedWhenUnchanged);
  CPPUNIT_TEST(testLabelsRefreshedWhenLastChangeMoves);
  CPPUNIT_TEST(testLabelsRefreshedAfterRestart);
  CPPUNIT_TEST(testNewInterfaceRefreshesLabels);
  CPPUNIT_TEST(testFailedPreviousIsIgnored);
  CPPUNIT_TEST(testTimeoutGivesNoInterfaces);
  CPPUNIT_TEST(testAuthenticationFailure);
  CPPUNIT_TEST(testNegativeIntegerSkipped);
  CPPUNIT_TEST(testInterfacesAreUnionOfDescrAndValues);
  CPPUNIT_TEST(testRawOctetLabels);
  CPPUNIT_TEST(testV1Agent);
  CPPUNIT_TEST(testAgentLoopKeepsData);
  CPPUNIT_TEST(testTooBigAgent);
  CPPUNIT_TEST(testNoIfMib);
  CPPUNIT_TEST(testForgetDropsLearnedRepetitions);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testFirstPollCollectsEverything() {
    FakeSnmpClient fake;
    buildSwitch(fake);
    DevicePoller poller(fake);
    auto r = pollNow(poller, target());
    CPPUNIT_ASSERT(r->error == PollError::None);
    CPPUNIT_ASSERT_EQUAL(std::string("sw1"), r->target);
    CPPUNIT_ASSERT_EQUAL(uint64_t(5000), *r->sysUpTime);
    CPPUNIT_ASSERT_EQUAL(uint64_t(100), *r->ifTableLastChange);
    CPPUNIT_ASSERT(r->hasIfXTable);
    CPPUNIT_ASSERT(r->labelsRefreshed);
    CPPUNIT_ASSERT_EQUAL(size_t(3), r->interfaces.size());
    CPPUNIT_ASSERT_EQUAL(uint32_t(1), r->interfaces[0].ifIndex);
    CPPUNIT_ASSERT_EQUAL(uint32_t(2), r->interfaces[1].ifIndex);
    CPPUNIT_ASSERT_EQUAL(uint32_t(10), r->interfaces[2].ifIndex);
    const InterfaceRow& up = row(*r, 10);
    CPPUNIT_ASSERT_EQUAL(std::string("uplink"), up.ifDescr);
    CPPUNIT_ASSERT_EQUAL(std::string("uplink-name"), up.ifName);
    CPPUNIT_ASSERT_EQUAL(std::string("uplink-alias"), up.ifAlias);
    CPPUNIT_ASSERT_EQUAL(uint64_t(60000000010ULL), value(*r, 10, IfMetric::HCInOctets));
    CPPUNIT_ASSERT_EQUAL(uint64_t(130000000010ULL), value(*r, 10, IfMetric::HCOutBroadcastPkts));
    CPPUNIT_ASSERT_EQUAL(uint64_t(1000), value(*r, 10, IfMetric::HighSpeed));
    CPPUNIT_ASSERT_EQUAL(uint64_t(1000000000), value(*r, 10, IfMetric::Speed));
    CPPUNIT_ASSERT_EQUAL(uint64_t(2), value(*r, 2, IfMetric::OperStatus));
    CPPUNIT_ASSERT_EQUAL(uint64_t(1), value(*r, 2, IfMetric::AdminStatus));
    CPPUNIT_ASSERT_EQUAL(uint64_t(1500), value(*r, 1, IfMetric::Mtu));
    CPPUNIT_ASSERT_EQUAL(uint64_t(6), value(*r, 1, IfMetric::Type));
    CPPUNIT_ASSERT_EQUAL(uint64_t(4), value(*r, 1, IfMetric::InErrors));
    CPPUNIT_ASSERT_EQUAL(uint64_t(20), value(*r, 1, IfMetric::OutErrors));
    CPPUNIT_ASSERT_EQUAL(uint64_t(3), value(*r, 1, IfMetric::InDiscards));
    CPPUNIT_ASSERT_EQUAL(uint64_t(19), value(*r, 1, IfMetric::OutDiscards));
    // With an ifXTable the 32-bit octet counters are not collected.
    CPPUNIT_ASSERT(!row(*r, 1).get(IfMetric::InOctets).has_value());
    CPPUNIT_ASSERT_EQUAL(size_t(0), fake.requestsTouching(kIfEntry + "10"));
    // Requests: one GET, then GETBULKs; counted as the agent saw them.
    CPPUNIT_ASSERT(fake.requests()[0].type == SnmpRequest::Type::Get);
    CPPUNIT_ASSERT_EQUAL(fake.packets(), r->requests);
    CPPUNIT_ASSERT_EQUAL(fake.varbindsSent(), r->varbinds);
    CPPUNIT_ASSERT(r->requests >= 3);
    CPPUNIT_ASSERT(r->requests <= 5);  // 21 columns, 12 per request, ifNumber=3 → 4 rows each
    CPPUNIT_ASSERT(r->durationSeconds >= 0);
    CPPUNIT_ASSERT(r->startedAt.time_since_epoch().count() > 0);
  }

  void testNoIfXTableFallsBackTo32BitCounters() {
    FakeSnmpClient fake;
    buildSwitch(fake, false);
    DevicePoller poller(fake);
    auto r = pollNow(poller, target());
    CPPUNIT_ASSERT(r->error == PollError::None);
    CPPUNIT_ASSERT(!r->hasIfXTable);
    CPPUNIT_ASSERT(!r->ifTableLastChange.has_value());
    CPPUNIT_ASSERT_EQUAL(size_t(3), r->interfaces.size());
    CPPUNIT_ASSERT_EQUAL(uint64_t(1010), value(*r, 10, IfMetric::InOctets));
    CPPUNIT_ASSERT_EQUAL(uint64_t(2010), value(*r, 10, IfMetric::InUcastPkts));
    CPPUNIT_ASSERT_EQUAL(uint64_t(3010), value(*r, 10, IfMetric::OutOctets));
    CPPUNIT_ASSERT_EQUAL(uint64_t(4010), value(*r, 10, IfMetric::OutUcastPkts));
    CPPUNIT_ASSERT(!row(*r, 10).get(IfMetric::HCInOctets).has_value());
    CPPUNIT_ASSERT_EQUAL(std::string("uplink"), row(*r, 10).ifDescr);
    CPPUNIT_ASSERT_EQUAL(std::string(""), row(*r, 10).ifName);
    CPPUNIT_ASSERT_EQUAL(fake.packets(), r->requests);
  }

  void testPreviousWithoutIfXSkipsIfXColumns() {
    FakeSnmpClient fake;
    buildSwitch(fake, false);
    DevicePoller poller(fake);
    auto first = pollNow(poller, target());
    fake.clearLog();
    fake.setTimeTicks("1.3.6.1.2.1.1.3.0", 6000);
    auto second = pollNow(poller, target(), first);
    CPPUNIT_ASSERT(second->error == PollError::None);
    CPPUNIT_ASSERT(!second->hasIfXTable);
    CPPUNIT_ASSERT(!second->labelsRefreshed);
    CPPUNIT_ASSERT_EQUAL(size_t(0), fake.requestsTouching("1.3.6.1.2.1.31.1.1.1"));
    CPPUNIT_ASSERT_EQUAL(uint64_t(1010), value(*second, 10, IfMetric::InOctets));
    CPPUNIT_ASSERT_EQUAL(std::string("uplink"), row(*second, 10).ifDescr);
    CPPUNIT_ASSERT(second->requests < first->requests);
  }

  // Old net-snmp Linux agents (the snmpsim package's linux-full-walk recording) have ifName and
  // ifHighSpeed in ifXTable but no 64-bit counters: the 32-bit counters are exported, and the
  // ifXTable columns they do have stay, poll after poll.
  void testPartialIfXTableFallsBackToCounters32() {
    FakeSnmpClient fake;
    buildSwitch(fake, true);
    for (uint32_t i : {1u, 2u, 10u}) {
      for (int c = 6; c <= 13; ++c) {
        fake.erase(kIfXEntry + std::to_string(c) + "." + std::to_string(i));
      }
    }
    DevicePoller poller(fake);
    auto first = pollNow(poller, target());
    CPPUNIT_ASSERT(first->error == PollError::None);
    CPPUNIT_ASSERT(!first->hasIfXTable);
    CPPUNIT_ASSERT_EQUAL(uint64_t(1010), value(*first, 10, IfMetric::InOctets));
    CPPUNIT_ASSERT_EQUAL(uint64_t(1000), value(*first, 10, IfMetric::HighSpeed));
    CPPUNIT_ASSERT_EQUAL(std::string("uplink-name"), row(*first, 10).ifName);
    fake.setTimeTicks("1.3.6.1.2.1.1.3.0", 6000);
    auto second = pollNow(poller, target(), first);
    CPPUNIT_ASSERT(!second->labelsRefreshed);
    CPPUNIT_ASSERT_EQUAL(uint64_t(1010), value(*second, 10, IfMetric::InOctets));
    CPPUNIT_ASSERT_EQUAL(uint64_t(1000), value(*second, 10, IfMetric::HighSpeed));
    CPPUNIT_ASSERT_EQUAL(std::string("uplink-name"), row(*second, 10).ifName);
  }

  void testLabelsReusedWhenUnchanged() {
    FakeSnmpClient fake;
    buildSwitch(fake);
    DevicePoller poller(fake);
    auto first = pollNow(poller, target());
    fake.clearLog();
    // The agent's labels change but neither sysUpTime nor ifTableLastChange say so: the poll
    // must not look (that is the point of the cache), so it keeps the old labels.
    fake.setString(kIfEntry + "2.10", "renamed");
    fake.setString(kIfXEntry + "18.10", "new alias");
    fake.setTimeTicks("1.3.6.1.2.1.1.3.0", 9000);
    fake.setCounter64(kIfXEntry + "6.10", 7);
    auto second = pollNow(poller, target(), first);
    CPPUNIT_ASSERT(second->error == PollError::None);
    CPPUNIT_ASSERT(!second->labelsRefreshed);
    CPPUNIT_ASSERT_EQUAL(std::string("uplink"), row(*second, 10).ifDescr);
    CPPUNIT_ASSERT_EQUAL(std::string("uplink-name"), row(*second, 10).ifName);
    CPPUNIT_ASSERT_EQUAL(std::string("uplink-alias"), row(*second, 10).ifAlias);
    CPPUNIT_ASSERT_EQUAL(uint64_t(7), value(*second, 10, IfMetric::HCInOctets));
    CPPUNIT_ASSERT_EQUAL(size_t(0), fake.requestsTouching(kIfEntry + "2"));
    CPPUNIT_ASSERT_EQUAL(size_t(0), fake.requestsTouching(kIfXEntry + "18"));
    CPPUNIT_ASSERT(second->varbinds < first->varbinds);
  }

  void testLabelsRefreshedWhenLastChangeMoves() {
    FakeSnmpClient fake;
    buildSwitch(fake);
    DevicePoller poller(fake);
    auto first = pollNow(poller, target());
    fake.setString(kIfEntry + "2.10", "renamed");
    fake.setString(kIfXEntry + "18.10", "new alias");
    fake.setTimeTicks("1.3.6.1.2.1.1.3.0", 9000);
    fake.setTimeTicks("1.3.6.1.2.1.31.1.5.0", 8500);
    auto second = pollNow(poller, target(), first);
    CPPUNIT_ASSERT(second->labelsRefreshed);
    CPPUNIT_ASSERT_EQUAL(std::string("renamed"), row(*second, 10).ifDescr);
    CPPUNIT_ASSERT_EQUAL(std::string("new alias"), row(*second, 10).ifAlias);
  }

  void testLabelsRefreshedAfterRestart() {
    FakeSnmpClient fake;
    buildSwitch(fake);
    DevicePoller poller(fake);
    auto first = pollNow(poller, target());
    fake.setString(kIfEntry + "2.1", "eth0-after-reboot");
    fake.setTimeTicks("1.3.6.1.2.1.1.3.0", 300);  // went backwards: the agent restarted
    auto second = pollNow(poller, target(), first);
    CPPUNIT_ASSERT(second->labelsRefreshed);
    CPPUNIT_ASSERT_EQUAL(std::string("eth0-after-reboot"), row(*second, 1).ifDescr);
    CPPUNIT_ASSERT_EQUAL(uint64_t(300), *second->sysUpTime);
  }

  void testNewInterfaceRefreshesLabels() {
    FakeSnmpClient fake;
    buildSwitch(fake);
    DevicePoller poller(fake);
    auto first = pollNow(poller, target());
    // A new interface without ifTableLastChange moving (agents that do not maintain it).
    addInterface(fake, 11, "new0");
    fake.setString(kIfEntry + "2.1", "eth0-renamed");
    fake.setTimeTicks("1.3.6.1.2.1.1.3.0", 9000);
    auto second = pollNow(poller, target(), first);
    CPPUNIT_ASSERT(second->error == PollError::None);
    CPPUNIT_ASSERT(second->labelsRefreshed);
    CPPUNIT_ASSERT_EQUAL(size_t(4), second->interfaces.size());
    CPPUNIT_ASSERT_EQUAL(std::string("new0"), row(*second, 11).ifDescr);
    CPPUNIT_ASSERT_EQUAL(std::string("new0-alias"), row(*second, 11).ifAlias);
    CPPUNIT_ASSERT_EQUAL(std::string("eth0-renamed"), row(*second, 1).ifDescr);
    CPPUNIT_ASSERT_EQUAL(fake.packets(), first->requests + second->requests);
  }

  void testFailedPreviousIsIgnored() {
    FakeSnmpClient fake;
    buildSwitch(fake);
    DevicePoller poller(fake);
    auto failed = std::make_shared<PollResult>();
    failed->error = PollError::Timeout;
    failed->sysUpTime = 5000;
    failed->ifTableLastChange = 100;
    auto r = pollNow(poller, target(), failed);
    CPPUNIT_ASSERT(r->labelsRefreshed);
    CPPUNIT_ASSERT_EQUAL(std::string("uplink"), row(*r, 10).ifDescr);
  }

  void testTimeoutGivesNoInterfaces() {
    FakeSnmpClient fake;
    buildSwitch(fake);
    fake.setTimeoutTarget("sw1");
    DevicePoller poller(fake);
    auto r = pollNow(poller, target());
    CPPUNIT_ASSERT(r->error == PollError::Timeout);
    CPPUNIT_ASSERT(!r->up());
    CPPUNIT_ASSERT(r->interfaces.empty());
    CPPUNIT_ASSERT_EQUAL(uint32_t(3), r->requests);  // retries 2
    CPPUNIT_ASSERT(!r->errorDetail.empty());
  }

  void testAuthenticationFailure() {
    FakeSnmpClient fake;
    buildSwitch(fake);
    fake.setAuthFailTarget("sw1");
    DevicePoller poller(fake);
    auto r = pollNow(poller, target(3));
    CPPUNIT_ASSERT(r->error == PollError::Authentication);
    CPPUNIT_ASSERT(r->interfaces.empty());
  }

  void testNegativeIntegerSkipped() {
    FakeSnmpClient fake;
    buildSwitch(fake);
    fake.setInteger(kIfEntry + "3.2", -5);
    DevicePoller poller(fake);
    auto r = pollNow(poller, target());
    CPPUNIT_ASSERT(!row(*r, 2).get(IfMetric::Type).has_value());
    CPPUNIT_ASSERT_EQUAL(uint64_t(6), value(*r, 1, IfMetric::Type));
  }

  void testInterfacesAreUnionOfDescrAndValues() {
    FakeSnmpClient fake;
    buildSwitch(fake);
    fake.setCounter64(kIfXEntry + "6.20", 42);  // values, no ifDescr (Java would drop it)
    fake.setString(kIfEntry + "2.30", "descr-only");
    DevicePoller poller(fake);
    auto r = pollNow(poller, target());
    CPPUNIT_ASSERT_EQUAL(size_t(5), r->interfaces.size());
    CPPUNIT_ASSERT_EQUAL(uint64_t(42), value(*r, 20, IfMetric::HCInOctets));
    CPPUNIT_ASSERT_EQUAL(std::string(""), row(*r, 20).ifDescr);
    CPPUNIT_ASSERT_EQUAL(std::string("descr-only"), row(*r, 30).ifDescr);
    CPPUNIT_ASSERT(row(*r, 30).present.none());
    for (size_t i = 1; i < r->interfaces.size(); ++i) {
      CPPUNIT_ASSERT(r->interfaces[i - 1].ifIndex < r->interfaces[i].ifIndex);
    }
  }

  void testRawOctetLabels() {
    FakeSnmpClient fake;
    buildSwitch(fake);
    std::string raw("\xff\x00z\xc3", 4);
    fake.setString(kIfXEntry + "18.2", raw);
    DevicePoller poller(fake);
    auto r = pollNow(poller, target());
    CPPUNIT_ASSERT(raw == row(*r, 2).ifAlias);
  }

  void testV1Agent() {
    FakeSnmpClient fake;
    buildSwitch(fake);
    fake.erase("1.3.6.1.2.1.31.1.5.0");  // v1 GET fails with noSuchName for it: retried without
    DevicePoller poller(fake);
    auto r = pollNow(poller, target(0));
    CPPUNIT_ASSERT(r->error == PollError::None);
    CPPUNIT_ASSERT_EQUAL(uint64_t(5000), *r->sysUpTime);
    CPPUNIT_ASSERT(!r->ifTableLastChange.has_value());
    CPPUNIT_ASSERT_EQUAL(size_t(3), r->interfaces.size());
    CPPUNIT_ASSERT_EQUAL(uint64_t(60000000010ULL), value(*r, 10, IfMetric::HCInOctets));
    CPPUNIT_ASSERT_EQUAL(std::string("uplink-alias"), row(*r, 10).ifAlias);
    CPPUNIT_ASSERT_EQUAL(size_t(0), bulkRequests(fake));
    CPPUNIT_ASSERT_EQUAL(fake.packets(), r->requests);
  }

  void testAgentLoopKeepsData() {
    FakeSnmpClient fake;
    buildSwitch(fake);
    fake.setNextOverride(kIfXEntry + "6.2", kIfXEntry + "6.1");
    DevicePoller poller(fake);
    auto r = pollNow(poller, target());
    CPPUNIT_ASSERT(r->error == PollError::None);
    CPPUNIT_ASSERT(r->errorDetail.find("non-increasing") != std::string::npos);
    CPPUNIT_ASSERT(row(*r, 2).get(IfMetric::HCInOctets).has_value());
    CPPUNIT_ASSERT(!row(*r, 10).get(IfMetric::HCInOctets).has_value());
    CPPUNIT_ASSERT_EQUAL(uint64_t(1000), value(*r, 10, IfMetric::HighSpeed));
  }

  void testTooBigAgent() {
    FakeSnmpClient fake;
    buildSwitch(fake);
    fake.setTooBigAbove(5);
    DevicePoller poller(fake);
    auto r = pollNow(poller, target());
    CPPUNIT_ASSERT(r->error == PollError::None);
    CPPUNIT_ASSERT(r->errorDetail.empty());
    CPPUNIT_ASSERT_EQUAL(size_t(3), r->interfaces.size());
    CPPUNIT_ASSERT_EQUAL(uint64_t(60000000010ULL), value(*r, 10, IfMetric::HCInOctets));
    CPPUNIT_ASSERT_EQUAL(std::string("uplink-alias"), row(*r, 10).ifAlias);
  }

  void testNoIfMib() {
    FakeSnmpClient fake;
    fake.setString("1.3.6.1.4.1.1.1.0", "something else");
    DevicePoller poller(fake);
    auto r = pollNow(poller, target());
    CPPUNIT_ASSERT(r->error == PollError::Unsupported);
    CPPUNIT_ASSERT(r->interfaces.empty());
  }

  void testForgetDropsLearnedRepetitions() {
    FakeSnmpClient fake;
    buildSwitch(fake);
    fake.setTooBigAbove(5);
    DevicePoller poller(fake);
    auto largestAsked = [&fake] {
      int most = 0;
      for (const SnmpRequest& r : fake.requests()) {
        most = std::max(most, r.maxRepetitions);
      }
      return most;
    };
    CPPUNIT_ASSERT_EQUAL(size_t(0), poller.learnedAgents());
    pollNow(poller, target());
    const int fresh = largestAsked();  // what a poller that knows nothing asks for
    CPPUNIT_ASSERT_EQUAL(size_t(1), poller.learnedAgents());
    // The next poll starts from what the agent taught (tooBig above 5 varbinds): less.
    fake.clearLog();
    pollNow(poller, target());
    CPPUNIT_ASSERT(largestAsked() < fresh);
    // Forgotten (the device left the inventory): nothing kept, the next poll starts afresh.
    poller.forget("not-a-session");
    CPPUNIT_ASSERT_EQUAL(size_t(1), poller.learnedAgents());
    poller.forget(target().sessionKey());
    CPPUNIT_ASSERT_EQUAL(size_t(0), poller.learnedAgents());
    fake.clearLog();
    pollNow(poller, target());
    CPPUNIT_ASSERT_EQUAL(fresh, largestAsked());
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DevicePollerTest);
