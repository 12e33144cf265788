#include "collection/UtilizationTracker.h"

#include <thread>

#include <cppunit/extensions/HelperMacros.h>

using namespace promsnmp;

namespace {

using std::chrono::seconds;

std::chrono::system_clock::time_point at(int s) {
  return std::chrono::system_clock::time_point(seconds(1748779200 + s));
}

InterfaceRow hcRow(uint32_t ifIndex, uint64_t in, uint64_t out, uint64_t highSpeedMbps) {
  InterfaceRow r;
  r.ifIndex = ifIndex;
  r.ifName = "if" + std::to_string(ifIndex);
  r.set(IfMetric::HCInOctets, in);
  r.set(IfMetric::HCOutOctets, out);
  r.set(IfMetric::HighSpeed, highSpeedMbps);
  return r;
}

PollResult poll(int atSeconds, std::vector<InterfaceRow> rows, uint64_t upTime = 0) {
  PollResult p;
  p.target = "r1";
  p.startedAt = at(atSeconds);
  p.sysUpTime = upTime != 0 ? upTime : 100000 + 100 * static_cast<uint64_t>(atSeconds);
  p.interfaces = std::move(rows);
  return p;
}

// Bytes that make `percent` of `mbps` over `secs`.
uint64_t bytesFor(double percent, uint64_t mbps, int secs) {
  return static_cast<uint64_t>(percent / 100.0 * static_cast<double>(mbps) * 1e6 / 8.0 * secs);
}

}  // namespace

class UtilizationTrackerTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(UtilizationTrackerTest);
  CPPUNIT_TEST(testFirstPollOnlyStores);
  CPPUNIT_TEST(testBusierDirectionNotSum);
  CPPUNIT_TEST(testHighSpeedPreferredThenIfSpeed);
  CPPUNIT_TEST(testUnknownSpeedSkipped);
  CPPUNIT_TEST(testInterfaceNotUpHasNoSample);
  CPPUNIT_TEST(testCounterDecreaseSkipsOneRound);
  CPPUNIT_TEST(testNonPositiveIntervalSkipped);
  CPPUNIT_TEST(testRebootSkipsOneRound);
  CPPUNIT_TEST(testThirtyTwoBitFallback);
  CPPUNIT_TEST(testCounterWidthChangeSkipsDirection);
  CPPUNIT_TEST(testKeyedByIfIndexNotIfName);
  CPPUNIT_TEST(testNativeHistogramIsCumulative);
  CPPUNIT_TEST(testFailedPollChangesNothing);
  CPPUNIT_TEST(testVanishedInterfaceForgotten);
  CPPUNIT_TEST(testTargetsAreIndependentAndForgettable);
  CPPUNIT_TEST(testConcurrentTargets);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testFirstPollOnlyStores() {
    UtilizationTracker t;
    UtilizationUpdate u = t.observe("r1", poll(0, {hcRow(1, 0, 0, 1000)}));
    CPPUNIT_ASSERT(u.samples.empty());
    CPPUNIT_ASSERT(u.native.empty());
    CPPUNIT_ASSERT_EQUAL(size_t(1), t.targets());
  }

  void testBusierDirectionNotSum() {
    // 40 % in, 30 % out on a full-duplex gigabit link: 40 %, not Java's 70 %.
    UtilizationTracker t;
    t.observe("r1", poll(0, {hcRow(1, 1000, 5000, 1000)}));
    UtilizationUpdate u = t.observe(
        "r1",
        poll(30, {hcRow(1, 1000 + bytesFor(40, 1000, 30), 5000 + bytesFor(30, 1000, 30), 1000)}));
    CPPUNIT_ASSERT_EQUAL(size_t(1), u.samples.size());
    CPPUNIT_ASSERT_EQUAL(uint32_t(1), u.samples[0].ifIndex);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(40.0, u.samples[0].percent, 1e-9);
  }

  void testHighSpeedPreferredThenIfSpeed() {
    UtilizationTracker t;
    InterfaceRow a = hcRow(1, 0, 0, 10000);  // 10 Gbit/s; ifSpeed saturated at 2^32-1
    a.set(IfMetric::Speed, 4294967295u);
    InterfaceRow b = hcRow(2, 0, 0, 0);  // ifHighSpeed 0: use ifSpeed (100 Mbit/s)
    b.set(IfMetric::Speed, 100000000);
    t.observe("r1", poll(0, {a, b}));
    a.set(IfMetric::HCInOctets, bytesFor(10, 10000, 10));
    b.set(IfMetric::HCInOctets, bytesFor(10, 100, 10));
    UtilizationUpdate u = t.observe("r1", poll(10, {a, b}));
    CPPUNIT_ASSERT_EQUAL(size_t(2), u.samples.size());
    CPPUNIT_ASSERT_DOUBLES_EQUAL(10.0, u.samples[0].percent, 1e-9);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(10.0, u.samples[1].percent, 1e-9);
  }

  void testUnknownSpeedSkipped() {
    UtilizationTracker t;
    InterfaceRow r = hcRow(1, 0, 0, 0);
    InterfaceRow noSpeed;
    noSpeed.ifIndex = 2;
    noSpeed.set(IfMetric::HCInOctets, 0);
    t.observe("r1", poll(0, {r, noSpeed}));
    r.set(IfMetric::HCInOctets, 1000);
    noSpeed.set(IfMetric::HCInOctets, 1000);
    CPPUNIT_ASSERT(t.observe("r1", poll(10, {r, noSpeed})).samples.empty());
  }

  void testInterfaceNotUpHasNoSample() {
    UtilizationTracker t;
    InterfaceRow up = hcRow(1, 0, 0, 1000);
    up.set(IfMetric::OperStatus, 1);
    InterfaceRow down = hcRow(2, 0, 0, 1000);
    down.set(IfMetric::OperStatus, 2);
    t.observe("r1", poll(0, {up, down}));
    up = hcRow(1, bytesFor(10, 1000, 10), 0, 1000);
    up.set(IfMetric::OperStatus, 1);
    down = hcRow(2, 0, 0, 1000);
    down.set(IfMetric::OperStatus, 2);
    UtilizationUpdate u = t.observe("r1", poll(10, {up, down}));
    CPPUNIT_ASSERT_EQUAL(size_t(1), u.samples.size());
    CPPUNIT_ASSERT_EQUAL(uint32_t(1), u.samples[0].ifIndex);
    // Once it comes up, it is measured from its last counters.
    down = hcRow(2, bytesFor(20, 1000, 10), 0, 1000);
    down.set(IfMetric::OperStatus, 1);
    u = t.observe("r1", poll(20, {down}));
    CPPUNIT_ASSERT_EQUAL(size_t(1), u.samples.size());
    CPPUNIT_ASSERT_DOUBLES_EQUAL(20.0, u.samples[0].percent, 0.01);
  }

  void testCounterDecreaseSkipsOneRound() {
    UtilizationTracker t;
    t.observe("r1", poll(0, {hcRow(1, 5000000, 0, 1000)}));
    CPPUNIT_ASSERT(t.observe("r1", poll(10, {hcRow(1, 100, 0, 1000)})).samples.empty());
    UtilizationUpdate u =
        t.observe("r1", poll(20, {hcRow(1, 100 + bytesFor(5, 1000, 10), 0, 1000)}));
    CPPUNIT_ASSERT_EQUAL(size_t(1), u.samples.size());
    CPPUNIT_ASSERT_DOUBLES_EQUAL(5.0, u.samples[0].percent, 1e-9);
  }

  void testNonPositiveIntervalSkipped() {
    UtilizationTracker t;
    t.observe("r1", poll(10, {hcRow(1, 0, 0, 1000)}));
    CPPUNIT_ASSERT(t.observe("r1", poll(10, {hcRow(1, 1000, 0, 1000)})).samples.empty());
    CPPUNIT_ASSERT(t.observe("r1", poll(5, {hcRow(1, 2000, 0, 1000)})).samples.empty());
    CPPUNIT_ASSERT_EQUAL(size_t(1),
                         t.observe("r1", poll(15, {hcRow(1, 3000, 0, 1000)})).samples.size());
  }

  void testRebootSkipsOneRound() {
    // Counters restarted and already grew past the old values: only sysUpTime tells.
    UtilizationTracker t;
    t.observe("r1", poll(0, {hcRow(1, 1000, 0, 1000)}, 500000));
    CPPUNIT_ASSERT(t.observe("r1", poll(30, {hcRow(1, 900000, 0, 1000)}, 2000)).samples.empty());
    CPPUNIT_ASSERT_EQUAL(
        size_t(1), t.observe("r1", poll(60, {hcRow(1, 1900000, 0, 1000)}, 5000)).samples.size());
  }

  void testThirtyTwoBitFallback() {
    UtilizationTracker t;
    InterfaceRow r;
    r.ifIndex = 3;
    r.set(IfMetric::InOctets, 1000);
    r.set(IfMetric::OutOctets, 2000);
    r.set(IfMetric::Speed, 10000000);  // 10 Mbit/s
    t.observe("r1", poll(0, {r}));
    r.set(IfMetric::OutOctets, 2000 + bytesFor(25, 10, 60));
    UtilizationUpdate u = t.observe("r1", poll(60, {r}));
    CPPUNIT_ASSERT_EQUAL(size_t(1), u.samples.size());
    CPPUNIT_ASSERT_DOUBLES_EQUAL(25.0, u.samples[0].percent, 1e-9);
  }

  void testCounterWidthChangeSkipsDirection() {
    // The first poll saw only 32-bit counters, the second 64-bit ones: not comparable.
    UtilizationTracker t;
    InterfaceRow r;
    r.ifIndex = 1;
    r.set(IfMetric::InOctets, 1000);
    r.set(IfMetric::HighSpeed, 1000);
    t.observe("r1", poll(0, {r}));
    InterfaceRow hc = hcRow(1, 5000000000, 0, 1000);
    hc.present.reset(static_cast<size_t>(IfMetric::HCOutOctets));
    CPPUNIT_ASSERT(t.observe("r1", poll(10, {hc})).samples.empty());
    hc.set(IfMetric::HCInOctets, 5000000000 + bytesFor(1, 1000, 10));
    CPPUNIT_ASSERT_EQUAL(size_t(1), t.observe("r1", poll(20, {hc})).samples.size());
  }

  void testKeyedByIfIndexNotIfName() {
    // Two interfaces with the same (empty) ifName: Java shared one previous sample.
    UtilizationTracker t;
    InterfaceRow a = hcRow(1, 0, 0, 1000);
    InterfaceRow b = hcRow(2, 9000000000, 0, 1000);
    a.ifName = b.ifName = "";
    t.observe("r1", poll(0, {a, b}));
    a.set(IfMetric::HCInOctets, bytesFor(2, 1000, 10));
    b.set(IfMetric::HCInOctets, 9000000000 + bytesFor(3, 1000, 10));
    UtilizationUpdate u = t.observe("r1", poll(10, {a, b}));
    CPPUNIT_ASSERT_EQUAL(size_t(2), u.samples.size());
    CPPUNIT_ASSERT_DOUBLES_EQUAL(2.0, u.samples[0].percent, 1e-9);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(3.0, u.samples[1].percent, 1e-9);
  }

  void testNativeHistogramIsCumulative() {
    UtilizationTracker t;
    uint64_t in = 0;
    t.observe("r1", poll(0, {hcRow(1, in, 0, 1000)}));
    const double percents[] = {0.003, 0.7, 42};
    UtilizationUpdate u;
    for (int i = 0; i < 3; ++i) {
      in += bytesFor(percents[i], 1000, 10);
      u = t.observe("r1", poll(10 * (i + 1), {hcRow(1, in, 0, 1000)}));
    }
    CPPUNIT_ASSERT_EQUAL(size_t(1), u.native.size());
    const NativeHistogram& h = u.native[0];
    CPPUNIT_ASSERT_EQUAL(uint64_t(3), h.count);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(42.703, h.sum, 1e-6);
    CPPUNIT_ASSERT(h.created == at(10));
    // .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10 +Inf
    const uint64_t expected[] = {1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3};
    for (size_t i = 0; i < h.cumulative.size(); ++i) {
      CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(kNativeBucketLabels[i]), expected[i],
                                   h.cumulative[i]);
    }
    // A poll without a sample still reports the cumulative series.
    u = t.observe("r1", poll(40, {hcRow(1, 0, 0, 1000)}));
    CPPUNIT_ASSERT(u.samples.empty());
    CPPUNIT_ASSERT_EQUAL(uint64_t(3), u.native.at(0).count);
  }

  void testFailedPollChangesNothing() {
    UtilizationTracker t;
    t.observe("r1", poll(0, {hcRow(1, 0, 0, 1000)}));
    PollResult failed = poll(10, {hcRow(1, 99, 0, 1000)});
    failed.error = PollError::Timeout;
    UtilizationUpdate u = t.observe("r1", failed);
    CPPUNIT_ASSERT(u.samples.empty() && u.native.empty());
    u = t.observe("r1", poll(20, {hcRow(1, bytesFor(1, 1000, 20), 0, 1000)}));
    CPPUNIT_ASSERT_DOUBLES_EQUAL(1.0, u.samples.at(0).percent, 1e-9);
  }

  void testVanishedInterfaceForgotten() {
    UtilizationTracker t;
    t.observe("r1", poll(0, {hcRow(1, 0, 0, 1000), hcRow(2, 0, 0, 1000)}));
    t.observe("r1", poll(10, {hcRow(1, 10, 0, 1000), hcRow(2, 10, 0, 1000)}));
    t.observe("r1", poll(20, {hcRow(1, 20, 0, 1000)}));  // ifIndex 2 is gone
    UtilizationUpdate u =
        t.observe("r1", poll(30, {hcRow(1, 30, 0, 1000), hcRow(2, 9999, 0, 1000)}));
    CPPUNIT_ASSERT_EQUAL(size_t(1), u.samples.size());  // 2 starts over: no sample, no history
    CPPUNIT_ASSERT_EQUAL(uint32_t(1), u.samples[0].ifIndex);
    CPPUNIT_ASSERT_EQUAL(size_t(1), u.native.size());
  }

  void testTargetsAreIndependentAndForgettable() {
    UtilizationTracker t;
    t.observe("a", poll(0, {hcRow(1, 0, 0, 1000)}));
    t.observe("b", poll(0, {hcRow(1, 0, 0, 1000)}));
    CPPUNIT_ASSERT_EQUAL(size_t(2), t.targets());
    CPPUNIT_ASSERT_EQUAL(size_t(1),
                         t.observe("a", poll(10, {hcRow(1, 100, 0, 1000)})).samples.size());
    t.forget("b");
    CPPUNIT_ASSERT_EQUAL(size_t(1), t.targets());
    CPPUNIT_ASSERT(t.observe("b", poll(10, {hcRow(1, 100, 0, 1000)})).samples.empty());
  }

  void testConcurrentTargets() {
    UtilizationTracker t;
    std::vector<std::thread> threads;
    threads.reserve(8);
    for (int n = 0; n < 8; ++n) {
      threads.emplace_back([&t, n] {
        std::string target = "t" + std::to_string(n);
        for (int i = 0; i < 200; ++i) {
          t.observe(target, poll(i, {hcRow(1, 1000 * static_cast<uint64_t>(i), 0, 1000)}));
        }
      });
    }
    for (auto& th : threads) {
      th.join();
    }
    CPPUNIT_ASSERT_EQUAL(size_t(8), t.targets());
    UtilizationUpdate u = t.observe("t3", poll(200, {hcRow(1, 200000, 0, 1000)}));
    CPPUNIT_ASSERT_EQUAL(uint64_t(200), u.native.at(0).count);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(UtilizationTrackerTest);
