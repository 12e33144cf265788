// The comparator of the side-by-side test against snmp_exporter (SeriesDiff), on hand-made
// expositions: a comparator that called different answers equal would let ModulesPeerTest pass
// on a wrong promsnmp, one that called equal answers different would make it useless. The
// escapes are those of the text exposition format (Prometheus "Exposition formats": in label
// values \\, \" and \n; in HELP \\ and \n); values are floats ("Go's ParseFloat", so "1e+06"
// and "1000000" are the same value, and NaN, +Inf, -Inf are values).
#include "SeriesDiff.h"

#include <stdexcept>
#include <string>

#include <cppunit/extensions/HelperMacros.h>

using namespace testing;

namespace {

const std::vector<std::string> kIgnored = {"snmp_scrape_", "promsnmp_"};

SeriesSet parse(const std::string& text) { return parseSeries(text, kIgnored); }

}  // namespace

class SeriesDiffTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SeriesDiffTest);
  CPPUNIT_TEST(testEscapesAreUndone);
  CPPUNIT_TEST(testValuesAreComparedAsDoubles);
  CPPUNIT_TEST(testLabelOrderDoesNotMatterButLabelsDo);
  CPPUNIT_TEST(testEmptyLabelEqualsAbsentLabel);
  CPPUNIT_TEST(testMetaSeriesAreIgnored);
  CPPUNIT_TEST(testBothSidesAreListedAndTheReportIsBounded);
  CPPUNIT_TEST(testTypeAndHelpOfSharedFamiliesAreCompared);
  CPPUNIT_TEST(testDuplicatesAreFound);
  CPPUNIT_TEST(testUnionOfSeveralAnswers);
  CPPUNIT_TEST(testBadValueIsRefused);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testEscapesAreUndone() {
    // snmp_exporter's answer for the Catalyst's sysORDescr holds newlines; Windows ifDescr ends
    // in a NUL byte, which the format does not escape.
    const std::string nul("x\0", 2);
    SeriesSet set =
        parse("sysORID{sysORDescr=\"a\\nb \\\"q\\\" c:\\\\d\",ifDescr=\"" + nul + "\"} 1\n");
    CPPUNIT_ASSERT_EQUAL(size_t(1), set.series.size());
    const Series& s = *set.series.begin();
    CPPUNIT_ASSERT_EQUAL(size_t(2), s.labels.size());
    CPPUNIT_ASSERT_EQUAL(std::string("ifDescr"), s.labels[0].first);
    CPPUNIT_ASSERT_EQUAL(nul, s.labels[0].second);
    CPPUNIT_ASSERT_EQUAL(std::string("a\nb \"q\" c:\\d"), s.labels[1].second);
    // Shown again escaped, the NUL as \x00.
    CPPUNIT_ASSERT_EQUAL(
        std::string("sysORID{ifDescr=\"x\\x00\",sysORDescr=\"a\\nb \\\"q\\\" c:\\\\d\"} 1"),
        s.str());
    // A literal backslash-n differs from a newline.
    CPPUNIT_ASSERT(!diffSeries(parse("a{l=\"x\\\\n\"} 1\n"), parse("a{l=\"x\\n\"} 1\n")).empty());
  }

  void testValuesAreComparedAsDoubles() {
    CPPUNIT_ASSERT(diffSeries(parse("a 1e+06\n"), parse("a 1000000\n")).empty());
    CPPUNIT_ASSERT(diffSeries(parse("a 3.43407084654e+11\n"), parse("a 343407084654.0\n")).empty());
    CPPUNIT_ASSERT(
        diffSeries(parse("a NaN\nb +Inf\nc -Inf\n"), parse("a NaN\nb +Inf\nc -Inf\n")).empty());
    CPPUNIT_ASSERT(diffSeries(parse("a 0\n"), parse("a -0\n")).empty());
    // 2^53 + 1 is no double: both texts denote 2^53.
    CPPUNIT_ASSERT(
        diffSeries(parse("a 9.007199254740992e+15\n"), parse("a 9007199254740993\n")).empty());
    SeriesDiff d = diffSeries(parse("a 1\n"), parse("a 1.0000001\n"));
    CPPUNIT_ASSERT_EQUAL(size_t(1), d.onlyInPeer.size());
    CPPUNIT_ASSERT_EQUAL(size_t(1), d.onlyInOurs.size());
    CPPUNIT_ASSERT(!diffSeries(parse("a +Inf\n"), parse("a -Inf\n")).empty());
    CPPUNIT_ASSERT(!diffSeries(parse("a NaN\n"), parse("a 0\n")).empty());
    // A timestamp after the value is not part of it.
    CPPUNIT_ASSERT(diffSeries(parse("a 5 1700000000000\n"), parse("a 5\n")).empty());
  }

  void testLabelOrderDoesNotMatterButLabelsDo() {
    CPPUNIT_ASSERT(
        diffSeries(parse("a{x=\"1\",y=\"2\"} 1\n"), parse("a{y=\"2\",x=\"1\"} 1\n")).empty());
    CPPUNIT_ASSERT(!diffSeries(parse("a{x=\"1\"} 1\n"), parse("a{x=\"1\",y=\"2\"} 1\n")).empty());
    CPPUNIT_ASSERT(!diffSeries(parse("a{x=\"1\"} 1\n"), parse("a{x=\"2\"} 1\n")).empty());
    CPPUNIT_ASSERT(!diffSeries(parse("a{x=\"1\"} 1\n"), parse("b{x=\"1\"} 1\n")).empty());
    // Label values are case-sensitive bytes (PhysAddress48 is upper-case hex in snmp_exporter).
    CPPUNIT_ASSERT(!diffSeries(parse("a{m=\"00:1A\"} 1\n"), parse("a{m=\"00:1a\"} 1\n")).empty());
  }

  void testEmptyLabelEqualsAbsentLabel() {
    // snmp_exporter writes ifAlias="" for a missing lookup value; to Prometheus that is the
    // series without the label (data model: an empty label value equals no label).
    CPPUNIT_ASSERT(diffSeries(parse("ifMtu{ifAlias=\"\",ifIndex=\"1\"} 1500\n"),
                              parse("ifMtu{ifIndex=\"1\"} 1500\n"))
                       .empty());
  }

  void testMetaSeriesAreIgnored() {
    SeriesSet peer = parse(
        "# HELP snmp_scrape_duration_seconds Total SNMP time scrape took.\n"
        "# TYPE snmp_scrape_duration_seconds gauge\n"
        "snmp_scrape_duration_seconds 0.2\nsnmp_scrape_pdus_returned 2092\nifMtu{ifIndex=\"1\"} "
        "1500\n");
    SeriesSet ours = parse(
        "promsnmp_target_up{target=\"t\"} 1\nsnmp_scrape_duration_seconds 0.001\n"
        "ifMtu{ifIndex=\"1\"} 1500\n");
    CPPUNIT_ASSERT_EQUAL(size_t(2), peer.ignored);
    CPPUNIT_ASSERT_EQUAL(size_t(2), ours.ignored);
    CPPUNIT_ASSERT(peer.types.empty());
    CPPUNIT_ASSERT(diffSeries(peer, ours).empty());
    // Only by prefix: a module metric that merely contains the word is compared.
    CPPUNIT_ASSERT(!diffSeries(parse(""), parse("my_promsnmp_x 1\n")).empty());
  }

  void testBothSidesAreListedAndTheReportIsBounded() {
    std::string peerText;
    for (int i = 0; i < 25; ++i) {
      peerText += "ifMtu{ifIndex=\"" + std::to_string(i) + "\"} 1500\n";
    }
    SeriesDiff d = diffSeries(parse(peerText + "ifSpeed{ifIndex=\"1\"} 10\n"),
                              parse("ifSpeed{ifIndex=\"1\"} 10\nifSpeed{ifIndex=\"2\"} 10\n"));
    CPPUNIT_ASSERT_EQUAL(size_t(25), d.onlyInPeer.size());
    CPPUNIT_ASSERT_EQUAL(size_t(1), d.onlyInOurs.size());
    CPPUNIT_ASSERT_EQUAL(std::string("ifSpeed{ifIndex=\"2\"} 10"), d.onlyInOurs[0].str());
    const std::string report = d.report("snmp_exporter", "promsnmp");
    CPPUNIT_ASSERT(report.find("only in snmp_exporter (first 20 of 25):") != std::string::npos);
    CPPUNIT_ASSERT(report.find("only in promsnmp (1):\n    ifSpeed{ifIndex=\"2\"} 10\n") !=
                   std::string::npos);
    size_t shown = 0;
    for (size_t at = report.find("    ifMtu"); at != std::string::npos;
         at = report.find("    ifMtu", at + 1)) {
      ++shown;
    }
    CPPUNIT_ASSERT_EQUAL(size_t(20), shown);
  }

  void testTypeAndHelpOfSharedFamiliesAreCompared() {
    const std::string peer =
        "# HELP ifInOctets The total number of octets received - 1.3.6.1.2.1.2.2.1.10\n"
        "# TYPE ifInOctets counter\nifInOctets{ifIndex=\"1\"} 5\n";
    CPPUNIT_ASSERT(diffSeries(parse(peer), parse(peer)).empty());
    SeriesDiff d =
        diffSeries(parse(peer), parse("# HELP ifInOctets The total number\\nof octets\n"
                                      "# TYPE ifInOctets gauge\nifInOctets{ifIndex=\"1\"} 5\n"));
    CPPUNIT_ASSERT(d.onlyInPeer.empty() && d.onlyInOurs.empty());
    CPPUNIT_ASSERT_EQUAL(size_t(2), d.familyDiffs.size());
    CPPUNIT_ASSERT_EQUAL(std::string("TYPE ifInOctets: peer \"counter\", ours \"gauge\""),
                         d.familyDiffs[0]);
    CPPUNIT_ASSERT(d.familyDiffs[1].find("ours \"The total number\\nof octets\"") !=
                   std::string::npos);
    // A family only one side has is reported by its series, not twice.
    SeriesDiff other = diffSeries(parse(peer), parse("# TYPE x gauge\nx 1\n"));
    CPPUNIT_ASSERT(other.familyDiffs.empty());
  }

  void testDuplicatesAreFound() {
    SeriesSet set = parse("a{x=\"1\"} 1\na{x=\"1\"} 2\na{x=\"2\"} 1\n");
    CPPUNIT_ASSERT_EQUAL(size_t(1), set.duplicates.size());
    SeriesDiff d = diffSeries(parse("a{x=\"1\"} 1\na{x=\"2\"} 1\n"), set);
    CPPUNIT_ASSERT_EQUAL(size_t(1), d.duplicates.size());
    CPPUNIT_ASSERT(!d.empty());
  }

  void testUnionOfSeveralAnswers() {
    // promsnmp's answer to module=system,if_mib against the peer's two single-module answers.
    SeriesSet all = parse("# TYPE sysUpTime gauge\nsysUpTime 5\n");
    mergeSeries(all, parse("# TYPE ifMtu gauge\nifMtu{ifIndex=\"1\"} 1500\n"));
    CPPUNIT_ASSERT_EQUAL(size_t(2), all.series.size());
    CPPUNIT_ASSERT_EQUAL(size_t(2), all.types.size());
    CPPUNIT_ASSERT(all.duplicates.empty());
    CPPUNIT_ASSERT(
        diffSeries(all, parse("# TYPE ifMtu gauge\nifMtu{ifIndex=\"1\"} 1500\n# TYPE sysUpTime "
                              "gauge\nsysUpTime 5\n"))
            .empty());
    mergeSeries(all, parse("sysUpTime 5\n"));
    CPPUNIT_ASSERT_EQUAL(size_t(1), all.duplicates.size());
  }

  void testBadValueIsRefused() {
    CPPUNIT_ASSERT_THROW(parse("a x\n"), std::invalid_argument);
    CPPUNIT_ASSERT_THROW(parse("a 1x\n"), std::invalid_argument);
    CPPUNIT_ASSERT_THROW(canonicalValue(""), std::invalid_argument);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SeriesDiffTest);
