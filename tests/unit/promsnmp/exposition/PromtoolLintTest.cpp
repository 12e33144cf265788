// Runs `promtool check metrics` (the Prometheus lint) on the golden device output and on the
// self-metrics registry. promtool 2.42 exits 0 when clean, 3 on lint findings (one
// "<metric> <problem>" line each), 1 on a parse error. Skipped, with a message, when promtool is
// not installed.

#include <iostream>
#include <set>
#include <sstream>
#include <string>

#include <cppunit/extensions/HelperMacros.h>

#include "collection/MetricCatalog.h"
#include "exposition/Exposition.h"
#include "exposition/PromtoolRunner.h"
#include "exposition/SelfMetrics.h"

using namespace promsnmp;

namespace {

bool skip(const std::string& promtool) {
  if (promtool.empty()) {
    std::cerr << "\nPromtoolLintTest: promtool not found on PATH; skipped (apt install "
                 "prometheus)\n";
    return true;
  }
  return false;
}

}  // namespace

class PromtoolLintTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(PromtoolLintTest);
  CPPUNIT_TEST(testGoldenDeviceOutput);
  CPPUNIT_TEST(testSelfMetricsAreLintClean);
  CPPUNIT_TEST(testDeviceInfoIsCleanButForItsMibLabel);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testGoldenDeviceOutput() {
    std::string promtool = findPromtool();
    if (skip(promtool)) {
      return;
    }
    LintResult r =
        runPromtool(promtool, std::string(PROMSNMP_TEST_DATA) + "/exposition/cisco-like.prom");
    CPPUNIT_ASSERT_MESSAGE("parse error:\n" + r.output, r.exitCode != 1);
    CPPUNIT_ASSERT_MESSAGE(r.output, r.output.find("error") == std::string::npos);

    // The MIB object names are kept on purpose (PromSNMP and snmp_exporter compatibility), so
    // camelCase names/labels and counters without `_total` are expected — for those names only.
    std::set<std::string> compatCounters;
    for (const MetricDef& def : ifMetrics()) {
      if (def.type == MetricType::Counter) {
        compatCounters.emplace(def.name);
      }
    }
    std::istringstream lines(r.output);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.empty()) {
        continue;
      }
      std::string metric = line.substr(0, line.find(' '));
      std::string problem = line.substr(metric.size() + 1);
      CPPUNIT_ASSERT_MESSAGE(line, metric.rfind("promsnmp_", 0) != 0);
      CPPUNIT_ASSERT_MESSAGE(line, metric.rfind("process_", 0) != 0);
      CPPUNIT_ASSERT_MESSAGE(line, metric != "snmp_scrape_duration_seconds");
      bool camel = problem == "metric names should be written in 'snake_case' not 'camelCase'" ||
                   problem == "label names should be written in 'snake_case' not 'camelCase'";
      bool total = problem == "counter metrics should have \"_total\" suffix" &&
                   compatCounters.count(metric) != 0;
      CPPUNIT_ASSERT_MESSAGE("unexpected lint finding: " + line, camel || total);
    }
  }

  // promsnmp_device_info keeps the MIB object's name sysObjectID as a label (dashboards group by
  // it): promtool's camelCase finding on that label is the only one allowed.
  void testDeviceInfoIsCleanButForItsMibLabel() {
    std::string promtool = findPromtool();
    if (skip(promtool)) {
      return;
    }
    TargetStatus s;
    s.target = "sw1";
    s.polled = true;
    s.up = true;
    s.device = DeviceInfo{"cisco-ios", "Cisco", "IOS", "1.3.6.1.4.1.9.1.516"};
    std::string text;
    appendScrape(text, ExpositionFormat::PrometheusText, nullptr, s);
    LintResult r = runPromtoolOnText(promtool, text);
    CPPUNIT_ASSERT_MESSAGE(r.output, r.exitCode == 0 || r.exitCode == 3);
    CPPUNIT_ASSERT_MESSAGE(r.output,
                           r.output.empty() || r.output ==
                                                   "promsnmp_device_info label names should be "
                                                   "written in 'snake_case' not 'camelCase'\n");
  }

  void testSelfMetricsAreLintClean() {
    std::string promtool = findPromtool();
    if (skip(promtool)) {
      return;
    }
    SelfMetrics m(true);
    m.counter("promsnmp_cache_gets_total", "Metrics cache lookups by result.", {"cache", "result"})
        .labels({"metrics", "hit"})
        .inc();
    m.gauge("promsnmp_cache_entries", "Entries in the metrics cache.").get().set(3);
    m.histogram("promsnmp_snmp_query_duration_seconds", "SNMP poll durations.", {"target"})
        .labels({"r\"1"})
        .observe(0.2);
    LintResult r = runPromtoolOnText(promtool, m.render());
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.output, 0, r.exitCode);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.output, std::string(), r.output);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PromtoolLintTest);
