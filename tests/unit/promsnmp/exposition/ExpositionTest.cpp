#include "exposition/Exposition.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <locale>
#include <set>
#include <sstream>

#include <cppunit/extensions/HelperMacros.h>
#include <zlib.h>

#include "collection/UtilizationTracker.h"

using namespace promsnmp;

namespace {

using std::chrono::seconds;

// A router with the labels SNMP agents really return: quotes, a backslash, a newline, Latin-1
// and binary bytes, an empty ifAlias, a Counter64 above 2^63, a 32-bit-only interface and an
// interface without counters. Three polls 30 s apart, so both histograms have data.
PollResult ciscoLikePoll(int k) {
  PollResult p;
  p.target = "core-rtr-1";
  p.startedAt = std::chrono::system_clock::time_point(seconds(1748779200 + 30 * k));
  p.durationSeconds = 0.25;
  p.sysUpTime = 100000 + 3000 * k;
  p.hasIfXTable = true;

  InterfaceRow gi0;
  gi0.ifIndex = 1;
  gi0.ifDescr = "GigabitEthernet0/0";
  gi0.ifName = "Gi0/0";
  gi0.ifAlias = "uplink \"ISP-A\" \\ core";
  const uint64_t in1[] = {1000000000000, 1000375000000, 1000420000000};   // 10 %, 1.2 %
  const uint64_t out1[] = {2000000000000, 2000750000000, 2000768750000};  // 20 %, 0.5 %
  gi0.set(IfMetric::HCInOctets, in1[k]);
  gi0.set(IfMetric::HCInUcastPkts, 900000000 + 1000 * k);
  gi0.set(IfMetric::HCInMulticastPkts, 12345);
  gi0.set(IfMetric::HCInBroadcastPkts, 678);
  gi0.set(IfMetric::HCOutOctets, out1[k]);
  gi0.set(IfMetric::HCOutUcastPkts, 800000000 + 2000 * k);
  gi0.set(IfMetric::HCOutMulticastPkts, 54321);
  gi0.set(IfMetric::HCOutBroadcastPkts, 87);
  gi0.set(IfMetric::HighSpeed, 1000);
  gi0.set(IfMetric::Speed, 1000000000);
  gi0.set(IfMetric::OperStatus, 1);
  gi0.set(IfMetric::AdminStatus, 1);
  gi0.set(IfMetric::InErrors, 0);
  gi0.set(IfMetric::OutErrors, 3);
  gi0.set(IfMetric::Mtu, 1500);
  gi0.set(IfMetric::Type, 6);

  InterfaceRow gi1;
  gi1.ifIndex = 2;
  gi1.ifDescr = "GigabitEthernet0/1";
  gi1.ifName = "Gi0/1";
  gi1.ifAlias = "";
  const uint64_t in2[] = {18446744073000000000u, 18446744073030000000u, 18446744073034500000u};
  gi1.set(IfMetric::HCInOctets, in2[k]);  // above 2^63: Java printed it negative
  gi1.set(IfMetric::HCOutOctets, 0);
  gi1.set(IfMetric::HighSpeed, 1000);
  gi1.set(IfMetric::Speed, 1000000000);
  gi1.set(IfMetric::OperStatus, 1);
  gi1.set(IfMetric::AdminStatus, 1);

  InterfaceRow em0;  // no ifHighSpeed: utilization uses ifSpeed
  em0.ifIndex = 3;
  em0.ifDescr = "Embedded\nService";
  em0.ifName = "Em0";
  em0.ifAlias = "caf\xE9 \xFF Z\xC3\xBCrich \xE2\x82";
  const uint64_t out3[] = {5000000, 192500000, 642500000};  // 50 %, 120 %
  em0.set(IfMetric::HCInOctets, 42);
  em0.set(IfMetric::HCOutOctets, out3[k]);
  em0.set(IfMetric::Speed, 100000000);
  em0.set(IfMetric::OperStatus, 1);
  em0.set(IfMetric::AdminStatus, 1);

  InterfaceRow se0;  // 32-bit counters only; the second interval wraps
  se0.ifIndex = 4;
  se0.ifDescr = "Serial0/0/0";
  se0.ifName = "Se0/0/0";
  se0.ifAlias = "WAN\\backup";
  const uint64_t in4[] = {4294000000, 4294030000, 1000};  // 0.52 %, then a wrap: skipped
  se0.set(IfMetric::InOctets, in4[k]);
  se0.set(IfMetric::OutOctets, 77);
  se0.set(IfMetric::InUcastPkts, 10 + k);
  se0.set(IfMetric::OutUcastPkts, 20 + k);
  se0.set(IfMetric::Speed, 1544000);
  se0.set(IfMetric::OperStatus, 1);
  se0.set(IfMetric::AdminStatus, 1);

  InterfaceRow nu0;  // no counters at all: only gauges, no utilization
  nu0.ifIndex = 10;
  nu0.ifDescr = "Null0";
  nu0.ifName = "Nu0";
  nu0.set(IfMetric::Speed, 0);
  nu0.set(IfMetric::OperStatus, 1);
  nu0.set(IfMetric::AdminStatus, 1);
  nu0.set(IfMetric::Type, 1);

  // Out of order on purpose: the writer sorts by ifIndex.
  p.interfaces = {gi0, nu0, gi1, em0, se0};
  return p;
}

TargetStatus ciscoLikeStatus() {
  TargetStatus s;
  s.target = "core-rtr-1";
  s.live = false;
  s.scrapeDurationSeconds = 2.1e-05;
  s.polled = true;
  s.up = true;
  s.pollAgeSeconds = 12.5;
  s.pollDurationSeconds = 0.25;
  s.dataAgeSeconds = 12.5;
  s.interfaces = 5;
  s.errors[pollErrorReasonIndex(PollError::Timeout)] = 2;
  return s;
}

RenderedDevice ciscoLikeDevice() {
  UtilizationTracker tracker;
  UtilizationUpdate update;
  PollResult last;
  for (int k = 0; k < 3; ++k) {
    last = ciscoLikePoll(k);
    update = tracker.observe(last.target, last);
  }
  return renderDevice(last, "core-rtr-1", update);
}

// Decompresses every gzip member of `zipped` (as gzip -dc does; our bodies are several members).
std::string gunzip(const std::string& zipped) {
  z_stream z{};
  CPPUNIT_ASSERT_EQUAL(Z_OK, inflateInit2(&z, 16 + MAX_WBITS));
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zipped.data()));
  z.avail_in = static_cast<uInt>(zipped.size());
  std::string out;
  char buffer[65536];
  while (z.avail_in > 0) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof buffer;
    int rc = inflate(&z, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - z.avail_out);
    if (rc == Z_STREAM_END) {
      inflateReset(&z);  // the next member
    } else if (rc != Z_OK) {
      inflateEnd(&z);
      CPPUNIT_FAIL("gzip stream broken: " + std::to_string(rc));
    }
  }
  inflateEnd(&z);
  return out;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Compares with a golden file and names the first differing line. PROMSNMP_UPDATE_GOLDEN=1
// rewrites the file instead (review the diff before committing it).
void checkGolden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(PROMSNMP_TEST_DATA) + "/exposition/" + name;
  if (std::getenv("PROMSNMP_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::binary) << actual;
  }
  const std::string expected = readFile(path);
  if (expected == actual) {
    return;
  }
  std::istringstream e(expected);
  std::istringstream a(actual);
  std::string el;
  std::string al;
  for (int line = 1;; ++line) {
    bool he = static_cast<bool>(std::getline(e, el));
    bool ha = static_cast<bool>(std::getline(a, al));
    if (!he || !ha || el != al) {
      CPPUNIT_FAIL(path + ": first difference at line " + std::to_string(line) +
                   "\nexpected: " + (he ? el : "<end>") + "\nactual:   " + (ha ? al : "<end>"));
    }
  }
}

// Series identity of a sample line: everything before the value.
std::string seriesOf(const std::string& line) { return line.substr(0, line.rfind(' ')); }

class Comma : public std::numpunct<char> {
 protected:
  char do_decimal_point() const override { return ','; }
  char do_thousands_sep() const override { return '.'; }
  std::string do_grouping() const override { return "\3"; }
};

}  // namespace

class ExpositionTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ExpositionTest);
  CPPUNIT_TEST(testNegotiationPrefersPrometheusText);
  CPPUNIT_TEST(testContentTypes);
  CPPUNIT_TEST(testLabelValueEscaping);
  CPPUNIT_TEST(testInvalidUtf8Replaced);
  CPPUNIT_TEST(testDoublesAreShortestAndLocaleIndependent);
  CPPUNIT_TEST(testUnsignedNeverNegative);
  CPPUNIT_TEST(testGoldenPrometheusText);
  CPPUNIT_TEST(testGoldenOpenMetrics);
  CPPUNIT_TEST(testSeriesAreUniqueAndFamiliesContiguous);
  CPPUNIT_TEST(testMissingValuesAreOmitted);
  CPPUNIT_TEST(testDuplicateIfIndexWrittenOnce);
  CPPUNIT_TEST(testNativeHistogramScopedToTarget);
  CPPUNIT_TEST(testTailOfTargetNeverPolled);
  CPPUNIT_TEST(testScrapeWithoutBody);
  CPPUNIT_TEST(testDeviceInfo);
  CPPUNIT_TEST(testDeviceBodyGzipAndTextAgree);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testNegotiationPrefersPrometheusText() {
    using enum ExpositionFormat;
    // Prometheus 2.x and 3.x defaults rank OpenMetrics higher; text/plain is still accepted.
    CPPUNIT_ASSERT(negotiate("application/openmetrics-text;version=1.0.0,application/"
                             "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,"
                             "*/*;q=0.1") == PrometheusText);
    CPPUNIT_ASSERT(
        negotiate("application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,"
                  "application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version="
                  "1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,"
                  "*/*;q=0.1") == PrometheusText);
    CPPUNIT_ASSERT(negotiate("") == PrometheusText);
    CPPUNIT_ASSERT(negotiate("*/*") == PrometheusText);
    CPPUNIT_ASSERT(negotiate("text/*") == PrometheusText);
    CPPUNIT_ASSERT(negotiate("TEXT/Plain ; Version=0.0.4") == PrometheusText);
    // OpenMetrics only when text/plain is not acceptable.
    CPPUNIT_ASSERT(negotiate("application/openmetrics-text; version=1.0.0") == OpenMetrics);
    CPPUNIT_ASSERT(negotiate("application/openmetrics-text;version=1.0.0, text/plain;q=0") ==
                   OpenMetrics);
    CPPUNIT_ASSERT(negotiate("application/openmetrics-text, text/plain;q=0, */*;q=0.5") ==
                   OpenMetrics);  // the specific text/plain;q=0 beats */*
    CPPUNIT_ASSERT(negotiate("application/*") == OpenMetrics);
    // Type, subtype and the q parameter's name compare ASCII case-insensitively.
    CPPUNIT_ASSERT(negotiate("APPLICATION/OpenMetrics-Text;Q=1, Text/Plain ;\tQ=0") == OpenMetrics);
    // Unsatisfiable or malformed: Prometheus' fallback, never an error.
    CPPUNIT_ASSERT(negotiate("application/json") == PrometheusText);
    CPPUNIT_ASSERT(negotiate("application/openmetrics-text;q=abc") == PrometheusText);
    CPPUNIT_ASSERT(negotiate(",,;;garbage") == PrometheusText);
    CPPUNIT_ASSERT(negotiate("application/openmetrics-text;q=0") == PrometheusText);
  }

  void testContentTypes() {
    CPPUNIT_ASSERT_EQUAL(std::string("text/plain; version=0.0.4; charset=utf-8"),
                         std::string(contentType(ExpositionFormat::PrometheusText)));
    CPPUNIT_ASSERT_EQUAL(std::string("application/openmetrics-text; version=1.0.0; charset=utf-8"),
                         std::string(contentType(ExpositionFormat::OpenMetrics)));
  }

  void testLabelValueEscaping() {
    std::string out;
    appendLabelValue(out, "a\"b\\c\nd\te");
    CPPUNIT_ASSERT_EQUAL(std::string("a\\\"b\\\\c\\nd\te"), out);
    std::string help;
    appendHelpText(help, "say \"hi\" \\ now\n");
    CPPUNIT_ASSERT_EQUAL(std::string("say \"hi\" \\\\ now\\n"), help);
    help.clear();
    appendHelpText(help, "say \"hi\"", ExpositionFormat::OpenMetrics);
    CPPUNIT_ASSERT_EQUAL(std::string("say \\\"hi\\\""), help);
  }

  // common::sanitizeUtf8 and escapeInvalidUtf8 are tested in tests/unit/common/TextTest.cpp.
  void testInvalidUtf8Replaced() {
    const std::string r = "\xEF\xBF\xBD";
    std::string out;
    appendLabelValue(out, "\xFF\"");
    CPPUNIT_ASSERT_EQUAL(r + "\\\"", out);
  }

  void testDoublesAreShortestAndLocaleIndependent() {
    // A global C++ locale with a decimal comma must not leak into the output
    // (prometheus-cpp's raii_locale test idea).
    std::locale saved = std::locale::global(std::locale(std::locale::classic(), new Comma));
    const std::string a = formatDouble(0.005);
    const std::string b = formatDouble(1234567.5);
    std::locale::global(saved);
    CPPUNIT_ASSERT_EQUAL(std::string("0.005"), a);
    CPPUNIT_ASSERT_EQUAL(std::string("1234567.5"), b);
    CPPUNIT_ASSERT_EQUAL(std::string("100"), formatDouble(100));
    CPPUNIT_ASSERT_EQUAL(std::string("0.1"), formatDouble(0.1));
    CPPUNIT_ASSERT_EQUAL(std::string("2.1e-05"), formatDouble(2.1e-05));
    CPPUNIT_ASSERT_EQUAL(std::string("1e+21"), formatDouble(1e21));
    CPPUNIT_ASSERT_EQUAL(std::string("0.30000000000000004"), formatDouble(0.1 + 0.2));
    CPPUNIT_ASSERT_EQUAL(std::string("+Inf"), formatDouble(HUGE_VAL));
    CPPUNIT_ASSERT_EQUAL(std::string("-Inf"), formatDouble(-HUGE_VAL));
    CPPUNIT_ASSERT_EQUAL(std::string("NaN"), formatDouble(std::nan("")));
    CPPUNIT_ASSERT_EQUAL(0.1 + 0.2, std::strtod(formatDouble(0.1 + 0.2).c_str(), nullptr));
  }

  void testUnsignedNeverNegative() {
    std::string out;
    appendUnsigned(out, 18446744073709551615u);
    CPPUNIT_ASSERT_EQUAL(std::string("18446744073709551615"), out);
    out.clear();
    appendUnsigned(out, 0);
    CPPUNIT_ASSERT_EQUAL(std::string("0"), out);
  }

  void testGoldenPrometheusText() {
    RenderedDevice device = ciscoLikeDevice();
    std::string out;
    appendScrape(out, ExpositionFormat::PrometheusText, &device, ciscoLikeStatus());
    checkGolden("cisco-like.prom", out);
  }

  void testGoldenOpenMetrics() {
    RenderedDevice device = ciscoLikeDevice();
    std::string out;
    appendScrape(out, ExpositionFormat::OpenMetrics, &device, ciscoLikeStatus());
    checkGolden("cisco-like.openmetrics", out);
  }

  void testSeriesAreUniqueAndFamiliesContiguous() {
    // promtool does not check either; Prometheus rejects a scrape that breaks them.
    RenderedDevice device = ciscoLikeDevice();
    std::string out;
    appendScrape(out, ExpositionFormat::PrometheusText, &device, ciscoLikeStatus());
    std::istringstream in(out);
    std::string line;
    std::set<std::string> series;
    std::set<std::string> closedFamilies;
    std::string family;
    while (std::getline(in, line)) {
      CPPUNIT_ASSERT_MESSAGE("empty line", !line.empty());
      if (line.rfind("# TYPE ", 0) == 0) {
        std::string name = line.substr(7, line.find(' ', 7) - 7);
        CPPUNIT_ASSERT_MESSAGE(name + " twice", closedFamilies.insert(name).second);
        family = name;
        continue;
      }
      if (line[0] == '#') {
        continue;
      }
      CPPUNIT_ASSERT_MESSAGE(line, line.rfind(family, 0) == 0);
      CPPUNIT_ASSERT_MESSAGE("duplicate " + line, series.insert(seriesOf(line)).second);
    }
  }

  void testMissingValuesAreOmitted() {
    RenderedDevice device = ciscoLikeDevice();
    // Nu0 has no counters: no ifHCInOctets line with 0 (Java wrote one).
    CPPUNIT_ASSERT(device.classic.find("ifHCInOctets{instance=\"core-rtr-1\",ifDescr=\"Null0\"") ==
                   std::string::npos);
    CPPUNIT_ASSERT(device.classic.find("ifSpeed{instance=\"core-rtr-1\",ifDescr=\"Null0\"") !=
                   std::string::npos);
    // No interface has ifInDiscards: no block at all.
    CPPUNIT_ASSERT(device.classic.find("ifInDiscards") == std::string::npos);

    PollResult empty;
    RenderedDevice none = renderDevice(empty, "x", {});
    CPPUNIT_ASSERT(none.classic.empty());
    CPPUNIT_ASSERT(none.nativeText.empty());
  }

  void testDuplicateIfIndexWrittenOnce() {
    PollResult p;
    InterfaceRow a;
    a.ifIndex = 7;
    a.ifName = "first";
    a.set(IfMetric::Mtu, 1500);
    InterfaceRow b = a;
    b.ifName = "second";
    p.interfaces = {a, b};
    RenderedDevice d = renderDevice(p, "t", {});
    CPPUNIT_ASSERT_EQUAL(std::string::npos, d.classic.find("second"));
    CPPUNIT_ASSERT(d.classic.find("ifName=\"first\"") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(size_t(1), d.interfaces);
  }

  void testNativeHistogramScopedToTarget() {
    UtilizationTracker tracker;
    UtilizationUpdate ua;
    for (int k = 0; k < 2; ++k) {
      PollResult a = ciscoLikePoll(k);
      PollResult b = ciscoLikePoll(k);
      b.target = "other-rtr";
      ua = tracker.observe(a.target, a);
      tracker.observe(b.target, b);
    }
    RenderedDevice d = renderDevice(ciscoLikePoll(1), "core-rtr-1", ua);
    CPPUNIT_ASSERT(!d.nativeText.empty());
    CPPUNIT_ASSERT_EQUAL(std::string::npos, d.nativeText.find("other-rtr"));
    std::string om;
    appendNativeOpenMetrics(om, d);
    CPPUNIT_ASSERT_EQUAL(std::string::npos, om.find("other-rtr"));
  }

  void testDeviceBodyGzipAndTextAgree() {
    // The cache keeps a poll and renders it on demand; every form must say the same thing as the
    // eager rendering, whichever form is asked for first.
    UtilizationTracker tracker;
    UtilizationUpdate update;
    auto last = std::make_shared<PollResult>();
    for (int k = 0; k < 3; ++k) {
      *last = ciscoLikePoll(k);
      update = tracker.observe(last->target, *last);
    }
    std::string expected;
    appendScrape(expected, ExpositionFormat::PrometheusText, nullptr, ciscoLikeStatus());
    RenderedDevice eager = renderDevice(*last, "core-rtr-1", update);
    expected.clear();
    appendScrape(expected, ExpositionFormat::PrometheusText, &eager, ciscoLikeStatus());

    DeviceBody gzipFirst(last, "core-rtr-1", update);
    CPPUNIT_ASSERT_EQUAL(size_t(5), gzipFirst.interfaces());
    CPPUNIT_ASSERT_EQUAL(expected, gunzip(gzipScrape(&gzipFirst, ciscoLikeStatus())));
    std::string plain;
    appendScrape(plain, ExpositionFormat::PrometheusText, &gzipFirst.text(), ciscoLikeStatus());
    CPPUNIT_ASSERT_EQUAL(expected, plain);

    DeviceBody textFirst(last, "core-rtr-1", update);
    CPPUNIT_ASSERT_EQUAL(eager.classic, textFirst.text().classic);
    CPPUNIT_ASSERT_EQUAL(expected, gunzip(gzipScrape(&textFirst, ciscoLikeStatus())));
    // Without a device, the gzip answer is the tail alone.
    std::string tail;
    appendScrape(tail, ExpositionFormat::PrometheusText, nullptr, ciscoLikeStatus());
    CPPUNIT_ASSERT_EQUAL(tail, gunzip(gzipScrape(nullptr, ciscoLikeStatus())));
  }

  void testTailOfTargetNeverPolled() {
    TargetStatus s;
    s.target = "new\"one";
    s.live = true;
    s.scrapeDurationSeconds = 1.5;
    std::string out;
    appendStatusTail(out, ExpositionFormat::PrometheusText, s);
    CPPUNIT_ASSERT_EQUAL(
        std::string("# HELP snmp_scrape_duration_seconds Total SNMP time scrape "
                    "took (cached read).\n"
                    "# TYPE snmp_scrape_duration_seconds gauge\n"
                    "snmp_scrape_duration_seconds{source=\"live\"} 1.5\n"
                    "# HELP promsnmp_target_up Whether the last SNMP poll of the "
                    "target succeeded (1) or failed or has not completed yet (0).\n"
                    "# TYPE promsnmp_target_up gauge\n"
                    "promsnmp_target_up{target=\"new\\\"one\"} 0\n"),
        out);
  }

  void testDeviceInfo() {
    inventoryfs::Device device;
    CPPUNIT_ASSERT(!deviceInfoOf(device));  // nothing known: no series
    device.sysObjectId = "1.3.6.1.4.1.8072.3.2.10";
    std::optional<DeviceInfo> info = deviceInfoOf(device);
    CPPUNIT_ASSERT(info && info->profile.empty() && info->vendor.empty() && info->os.empty());
    CPPUNIT_ASSERT_EQUAL(std::string("1.3.6.1.4.1.8072.3.2.10"), info->sysObjectId);
    device.profile =
        inventoryfs::DeviceProfile{"lab \"x\"", "Net\\SNMP", std::nullopt, "why", std::nullopt};
    info = deviceInfoOf(device);
    CPPUNIT_ASSERT_EQUAL(std::string("lab \"x\""), info->profile);
    CPPUNIT_ASSERT_EQUAL(std::string("Net\\SNMP"), info->vendor);
    CPPUNIT_ASSERT(info->os.empty());

    // Written right after promsnmp_target_up, also before the first poll; values escaped.
    TargetStatus s;
    s.target = "srv1";
    s.modules = true;
    s.device = info;
    std::string out;
    appendStatusTail(out, ExpositionFormat::PrometheusText, s);
    const std::string expected =
        "promsnmp_target_up{target=\"srv1\"} 0\n"
        "# HELP promsnmp_device_info How discovery classified the device (its profile, vendor "
        "and os labels) and the sysObjectID its agent reported; a label not known is empty.\n"
        "# TYPE promsnmp_device_info gauge\n"
        "promsnmp_device_info{target=\"srv1\",profile=\"lab \\\"x\\\"\",vendor=\"Net\\\\SNMP\","
        "os=\"\",sysObjectID=\"1.3.6.1.4.1.8072.3.2.10\"} 1\n";
    CPPUNIT_ASSERT_MESSAGE(
        out, out.size() >= expected.size() && out.substr(out.size() - expected.size()) == expected);
    s.device.reset();
    out.clear();
    appendStatusTail(out, ExpositionFormat::PrometheusText, s);
    CPPUNIT_ASSERT(out.find("promsnmp_device_info") == std::string::npos);
  }

  void testScrapeWithoutBody() {
    TargetStatus s;
    s.target = "gone";
    std::string text;
    appendScrape(text, ExpositionFormat::PrometheusText, nullptr, s);
    CPPUNIT_ASSERT(text.rfind("# HELP snmp_scrape_duration_seconds", 0) == 0);
    CPPUNIT_ASSERT(text.find("# EOF") == std::string::npos);
    std::string om;
    appendScrape(om, ExpositionFormat::OpenMetrics, nullptr, s);
    CPPUNIT_ASSERT(om.size() > 6 && om.substr(om.size() - 6) == "# EOF\n");
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ExpositionTest);
