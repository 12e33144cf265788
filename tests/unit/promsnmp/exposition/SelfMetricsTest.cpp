#include "exposition/SelfMetrics.h"

#include <cmath>
#include <limits>
#include <thread>

#include <Poco/Exception.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace promsnmp;

class SelfMetricsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SelfMetricsTest);
  CPPUNIT_TEST(testCountersAndGaugesRender);
  CPPUNIT_TEST(testHistogramRender);
  CPPUNIT_TEST(testLabelValuesEscaped);
  CPPUNIT_TEST(testOrderKeptOnPrometheusCpp);
  CPPUNIT_TEST(testNaNAndInfinities);
  CPPUNIT_TEST(testNumberFormat);
  CPPUNIT_TEST(testRegistrationRules);
  CPPUNIT_TEST(testSameRegistrationReturnsSameFamily);
  CPPUNIT_TEST(testWrongLabelCountThrows);
  CPPUNIT_TEST(testConcurrentUpdates);
  CPPUNIT_TEST(testCollectHooksRunBeforeRender);
  CPPUNIT_TEST(testRemoveSeries);
  CPPUNIT_TEST(testParseProcStat);
  CPPUNIT_TEST(testParseBootTime);
  CPPUNIT_TEST(testProcessMetricsFromProc);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testCountersAndGaugesRender() {
    SelfMetrics m(false);
    auto& gets = m.counter("promsnmp_cache_gets_total", "Cache lookups by result.", {"result"});
    gets.labels({"miss"}).inc();
    gets.labels({"hit"}).inc(2);
    gets.labels({"hit"}).inc(-5);  // ignored
    m.gauge("promsnmp_cache_entries", "Entries in the metrics cache.").get().set(42);
    m.counter("promsnmp_unused_total", "Never touched but labelled.", {"x"});  // no series: absent
    CPPUNIT_ASSERT_EQUAL(std::string("# HELP promsnmp_cache_gets_total Cache lookups by result.\n"
                                     "# TYPE promsnmp_cache_gets_total counter\n"
                                     "promsnmp_cache_gets_total{result=\"hit\"} 2\n"
                                     "promsnmp_cache_gets_total{result=\"miss\"} 1\n"
                                     "# HELP promsnmp_cache_entries Entries in the metrics cache.\n"
                                     "# TYPE promsnmp_cache_entries gauge\n"
                                     "promsnmp_cache_entries 42\n"),
                         m.render());
  }

  void testHistogramRender() {
    SelfMetrics m(false);
    auto& h = m.histogram("promsnmp_snmp_poll_duration_seconds", "Poll durations.", {"version"},
                          {0.1, 1, 2.5});
    Histogram& v2 = h.labels({"v2c"});
    v2.observe(0.05);
    v2.observe(0.1);  // le is inclusive
    v2.observe(2);
    v2.observe(30);
    // prometheus-cpp's TextSerializer writes _count and _sum before the buckets.
    CPPUNIT_ASSERT_EQUAL(
        std::string("# HELP promsnmp_snmp_poll_duration_seconds Poll durations.\n"
                    "# TYPE promsnmp_snmp_poll_duration_seconds histogram\n"
                    "promsnmp_snmp_poll_duration_seconds_count{version=\"v2c\"} 4\n"
                    "promsnmp_snmp_poll_duration_seconds_sum{version=\"v2c\"} 32.15\n"
                    "promsnmp_snmp_poll_duration_seconds_bucket{version=\"v2c\",le=\"0.1\"} 2\n"
                    "promsnmp_snmp_poll_duration_seconds_bucket{version=\"v2c\",le=\"1\"} 2\n"
                    "promsnmp_snmp_poll_duration_seconds_bucket{version=\"v2c\",le=\"2.5\"} 3\n"
                    "promsnmp_snmp_poll_duration_seconds_bucket{version=\"v2c\",le=\"+Inf\"} 4\n"),
        m.render());
  }

  void testLabelValuesEscaped() {
    SelfMetrics m(false);
    m.gauge("promsnmp_target_info_value", "Help with a \\ and a\nnewline.", {"target"})
        .labels({"a\"b\\c\nd\xFF"})
        .set(1);
    CPPUNIT_ASSERT_EQUAL(
        std::string("# HELP promsnmp_target_info_value Help with a \\\\ and a\\nnewline.\n"
                    "# TYPE promsnmp_target_info_value gauge\n"
                    "promsnmp_target_info_value{target=\"a\\\"b\\\\c\\nd\xEF\xBF\xBD\"} 1\n"),
        m.render());
  }

  // prometheus-cpp keeps labels in a std::map (sorted by name) and series in an unordered_map;
  // the exposition keeps families in registration order, labels in declared order and series
  // sorted by label values.
  void testOrderKeptOnPrometheusCpp() {
    SelfMetrics m(false);
    m.gauge("promsnmp_zz", "Registered first.").get().set(1);
    auto& requests = m.counter("promsnmp_http_requests_total", "Requests.", {"handler", "code"});
    requests.labels({"snmp", "500"}).inc();
    requests.labels({"metrics", "200"}).inc();
    requests.labels({"snmp", "200"}).inc();
    m.histogram("promsnmp_aa_seconds", "Registered last.", {}, {1}).get().observe(0.5);
    CPPUNIT_ASSERT_EQUAL(
        std::string("# HELP promsnmp_zz Registered first.\n"
                    "# TYPE promsnmp_zz gauge\n"
                    "promsnmp_zz 1\n"
                    "# HELP promsnmp_http_requests_total Requests.\n"
                    "# TYPE promsnmp_http_requests_total counter\n"
                    "promsnmp_http_requests_total{handler=\"metrics\",code=\"200\"} 1\n"
                    "promsnmp_http_requests_total{handler=\"snmp\",code=\"200\"} 1\n"
                    "promsnmp_http_requests_total{handler=\"snmp\",code=\"500\"} 1\n"
                    "# HELP promsnmp_aa_seconds Registered last.\n"
                    "# TYPE promsnmp_aa_seconds histogram\n"
                    "promsnmp_aa_seconds_count 1\n"
                    "promsnmp_aa_seconds_sum 0.5\n"
                    "promsnmp_aa_seconds_bucket{le=\"1\"} 1\n"
                    "promsnmp_aa_seconds_bucket{le=\"+Inf\"} 1\n"),
        m.render());
  }

  // prometheus-cpp's Histogram counts NaN in its first bucket and its Counter adds NaN; the
  // facade keeps NaN in +Inf only and ignores it on a counter, as the hand-written registry did.
  void testNaNAndInfinities() {
    SelfMetrics m(false);
    Histogram& h = m.histogram("promsnmp_x_seconds", "h", {}, {0.1, 1}).get();
    h.observe(std::nan(""));
    h.observe(std::numeric_limits<double>::infinity());
    Histogram::Snapshot s = h.snapshot();
    CPPUNIT_ASSERT_EQUAL(size_t(3), s.cumulative.size());
    CPPUNIT_ASSERT_EQUAL(uint64_t(0), s.cumulative[0]);
    CPPUNIT_ASSERT_EQUAL(uint64_t(0), s.cumulative[1]);
    CPPUNIT_ASSERT_EQUAL(uint64_t(2), s.cumulative[2]);
    CPPUNIT_ASSERT_EQUAL(uint64_t(2), s.count);
    CPPUNIT_ASSERT(std::isnan(s.sum));
    Counter& c = m.counter("promsnmp_y_total", "h").get();
    c.inc(std::nan(""));
    c.inc(-1);
    c.inc(0.5);
    CPPUNIT_ASSERT_EQUAL(0.5, c.value());
    m.gauge("promsnmp_low", "h").get().set(-std::numeric_limits<double>::infinity());
    std::string text = m.render();
    CPPUNIT_ASSERT_MESSAGE(text, text.find("\npromsnmp_x_seconds_sum Nan\n") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(text, text.find("\npromsnmp_low -Inf\n") != std::string::npos);
  }

  // Values as TextSerializer writes them: 16 significant digits in the classic locale, so whole
  // numbers up to 10^16 in full and the 17th digit of a double rounded away.
  void testNumberFormat() {
    SelfMetrics m(false);
    m.gauge("promsnmp_epoch", "h").get().set(1748779200000);
    m.gauge("promsnmp_big", "h").get().set(1e21);
    m.gauge("promsnmp_small", "h").get().set(0.000015);
    m.gauge("promsnmp_added", "h").get().set(0.1 + 0.2);
    std::string text = m.render();
    for (const char* line : {"\npromsnmp_epoch 1748779200000\n", "\npromsnmp_big 1e+21\n",
                             "\npromsnmp_small 1.5e-05\n", "\npromsnmp_added 0.3\n"}) {
      CPPUNIT_ASSERT_MESSAGE(text, text.find(line) != std::string::npos);
    }
  }

  void testRegistrationRules() {
    SelfMetrics m(false);
    auto rejects = [&m](auto register_) {
      try {
        register_(m);
      } catch (const Poco::InvalidArgumentException&) {
        return true;
      }
      return false;
    };
    CPPUNIT_ASSERT(rejects([](SelfMetrics& r) { r.counter("promsnmp_requests", "h"); }));
    CPPUNIT_ASSERT(rejects([](SelfMetrics& r) { r.gauge("promsnmp_requests_total", "h"); }));
    CPPUNIT_ASSERT(rejects([](SelfMetrics& r) { r.gauge("promsnmpCacheSize", "h"); }));
    CPPUNIT_ASSERT(rejects([](SelfMetrics& r) { r.gauge("promsnmp:cache", "h"); }));
    CPPUNIT_ASSERT(rejects([](SelfMetrics& r) { r.gauge("9lives", "h"); }));
    CPPUNIT_ASSERT(rejects([](SelfMetrics& r) { r.gauge("promsnmp_x_count", "h"); }));
    CPPUNIT_ASSERT(rejects([](SelfMetrics& r) { r.gauge("process_foo", "h"); }));
    CPPUNIT_ASSERT(rejects([](SelfMetrics& r) { r.gauge("promsnmp_x", "h", {"targetName"}); }));
    CPPUNIT_ASSERT(rejects([](SelfMetrics& r) { r.gauge("promsnmp_x", "h", {"__meta"}); }));
    CPPUNIT_ASSERT(rejects([](SelfMetrics& r) { r.gauge("promsnmp_x", "h", {"a", "a"}); }));
    CPPUNIT_ASSERT(rejects([](SelfMetrics& r) { r.histogram("promsnmp_x_seconds", "h", {"le"}); }));
    CPPUNIT_ASSERT(rejects([](SelfMetrics& r) {
      r.histogram("promsnmp_x_seconds", "h", {}, {1, 1});
    }));
    CPPUNIT_ASSERT(!rejects([](SelfMetrics& r) { r.gauge("promsnmp_ok_bytes", "h", {"le"}); }));
    // Same name, different shape.
    CPPUNIT_ASSERT(rejects([](SelfMetrics& r) { r.gauge("promsnmp_ok_bytes", "other help"); }));
    CPPUNIT_ASSERT(rejects([](SelfMetrics& r) { r.gauge("promsnmp_ok_bytes", "h", {"x"}); }));
  }

  void testSameRegistrationReturnsSameFamily() {
    SelfMetrics m(false);
    auto& a = m.counter("promsnmp_polls_total", "Polls.", {"result"});
    auto& b = m.counter("promsnmp_polls_total", "Polls.", {"result"});
    CPPUNIT_ASSERT(&a == &b);
    CPPUNIT_ASSERT(&a.labels({"ok"}) == &b.labels({"ok"}));
  }

  void testWrongLabelCountThrows() {
    SelfMetrics m(false);
    auto& f = m.counter("promsnmp_polls_total", "Polls.", {"result", "version"});
    CPPUNIT_ASSERT_THROW(f.labels({"ok"}), Poco::InvalidArgumentException);
    CPPUNIT_ASSERT_THROW(f.get(), Poco::InvalidArgumentException);
  }

  void testConcurrentUpdates() {
    SelfMetrics m(false);
    auto& c = m.counter("promsnmp_events_total", "Events.", {"worker"});
    auto& h = m.histogram("promsnmp_event_duration_seconds", "Durations.", {});
    std::vector<std::thread> threads;
    threads.reserve(8);
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&c, &h, t] {
        Counter& mine = c.labels({t % 2 == 0 ? "even" : "odd"});
        for (int i = 0; i < 20000; ++i) {
          mine.inc();
          h.get().observe(0.5);
        }
      });
    }
    for (auto& th : threads) {
      th.join();
    }
    CPPUNIT_ASSERT_EQUAL(80000.0, c.labels({"even"}).value());
    Histogram::Snapshot s = h.get().snapshot();
    CPPUNIT_ASSERT_EQUAL(uint64_t(160000), s.count);
    CPPUNIT_ASSERT_EQUAL(80000.0, s.sum);
  }

  void testCollectHooksRunBeforeRender() {
    SelfMetrics m(false);
    Gauge& size = m.gauge("promsnmp_cache_entries", "Entries.").get();
    int calls = 0;
    m.onCollect([&] { size.set(++calls * 10); });
    CPPUNIT_ASSERT(m.render().find("promsnmp_cache_entries 10\n") != std::string::npos);
    CPPUNIT_ASSERT(m.render().find("promsnmp_cache_entries 20\n") != std::string::npos);
  }

  void testRemoveSeries() {
    SelfMetrics m(false);
    auto& polls = m.counter("promsnmp_target_polls_total", "Polls.", {"target"});
    polls.labels({"a"}).inc(3);
    polls.labels({"b"}).inc();
    CPPUNIT_ASSERT_EQUAL(size_t(2), polls.size());
    CPPUNIT_ASSERT(polls.remove({"a"}));
    CPPUNIT_ASSERT(!polls.remove({"a"}));  // already gone
    CPPUNIT_ASSERT(!polls.remove({"zzz"}));
    CPPUNIT_ASSERT_EQUAL(size_t(1), polls.size());
    std::string text = m.render();
    CPPUNIT_ASSERT(text.find("target=\"a\"") == std::string::npos);
    CPPUNIT_ASSERT(text.find("promsnmp_target_polls_total{target=\"b\"} 1\n") != std::string::npos);
    // A series that comes back starts again from zero.
    polls.labels({"a"}).inc();
    CPPUNIT_ASSERT(m.render().find("promsnmp_target_polls_total{target=\"a\"} 1\n") !=
                   std::string::npos);
    // The last series gone: the family disappears from the exposition (no orphan HELP/TYPE).
    polls.remove({"a"});
    polls.remove({"b"});
    CPPUNIT_ASSERT(m.render().find("promsnmp_target_polls_total") == std::string::npos);
    auto& durations = m.histogram("promsnmp_poll_seconds", "Durations.", {"target"});
    durations.labels({"a"}).observe(0.1);
    CPPUNIT_ASSERT(durations.remove({"a"}));
    CPPUNIT_ASSERT(m.render().find("promsnmp_poll_seconds") == std::string::npos);
  }

  void testParseProcStat() {
    // comm with a space and a parenthesis; utime 250 + stime 150 ticks; 7 threads; start 1000
    // ticks after boot; vsize 123456789; rss 2500 pages.
    const std::string stat =
        "4242 (prom snmp) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 150 0 0 20 0 7 0 1000 "
        "123456789 2500 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";
    auto s = parseProcStat(stat, 100, 4096, 1700000000);
    CPPUNIT_ASSERT(s);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(4.0, s->cpuSeconds, 1e-9);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(7.0, s->threads, 1e-9);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(1700000010.0, s->startTimeSeconds, 1e-6);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(123456789.0, s->virtualBytes, 1e-3);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(2500.0 * 4096, s->residentBytes, 1e-3);
    CPPUNIT_ASSERT(!parseProcStat("4242 (short) S 1 2 3", 100, 4096, 0));
    CPPUNIT_ASSERT(!parseProcStat("garbage", 100, 4096, 0));
  }

  void testParseBootTime() {
    auto b = parseBootTime("cpu  1 2 3\nintr 5\nbtime 1748779200\nprocesses 9\n");
    CPPUNIT_ASSERT(b);
    CPPUNIT_ASSERT_EQUAL(1748779200.0, *b);
    CPPUNIT_ASSERT(!parseBootTime("cpu 1\n"));
  }

  void testProcessMetricsFromProc() {
    SelfMetrics m(true);
    std::string out = m.render();
    for (const char* name :
         {"process_cpu_seconds_total ", "process_resident_memory_bytes ",
          "process_virtual_memory_bytes ", "process_open_fds ", "process_max_fds ",
          "process_start_time_seconds ", "process_threads "}) {
      CPPUNIT_ASSERT_MESSAGE(name, out.find(std::string("\n") + name) != std::string::npos);
    }
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SelfMetricsTest);
