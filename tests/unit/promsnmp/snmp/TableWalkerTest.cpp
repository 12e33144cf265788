#include "snmp/TableWalker.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <cppunit/extensions/HelperMacros.h>

#include "snmp/FakeSnmpClient.h"

using promsnmp::Oid;
using promsnmp::SnmpRequest;
using promsnmp::SnmpResponse;
using promsnmp::SnmpTarget;
using promsnmp::TableWalker;

namespace {

const std::string kA = "1.3.6.1.4.1.99.1.1.1";
const std::string kB = "1.3.6.1.4.1.99.1.1.2";
const std::string kC = "1.3.6.1.4.1.99.1.1.3";
const std::string kD = "1.3.6.1.4.1.99.1.1.4";

SnmpTarget target(int version = 1) {
  SnmpTarget t = fakeTarget("dev", version);
  t.timeoutMs = 1000;
  return t;
}

void fill(FakeSnmpClient& fake, const std::string& column, const std::vector<uint32_t>& rows,
          uint64_t base) {
  for (uint32_t r : rows) {
    fake.setCounter64(column + "." + std::to_string(r), base + r);
  }
}

std::vector<uint32_t> range(uint32_t from, uint32_t to) {
  std::vector<uint32_t> out;
  for (uint32_t i = from; i <= to; ++i) {
    out.push_back(i);
  }
  return out;
}

/// The rows of a column as ifIndex → counter value; the column must ascend, each row once.
std::map<uint32_t, uint64_t> rowsOf(const TableWalker::Column& column) {
  std::map<uint32_t, uint64_t> out;
  for (const auto& [index, value] : column) {
    CPPUNIT_ASSERT_EQUAL(size_t(1), index.size());
    CPPUNIT_ASSERT_MESSAGE("rows out of order", out.empty() || out.rbegin()->first < index[0]);
    out[index[0]] = value.unsignedValue;
  }
  return out;
}

std::map<uint32_t, uint64_t> expectedRows(const std::vector<uint32_t>& rows, uint64_t base) {
  std::map<uint32_t, uint64_t> out;
  for (uint32_t r : rows) {
    out[r] = base + r;
  }
  return out;
}

TableWalker::Result walkNow(FakeSnmpClient& fake, const SnmpTarget& t,
                            const std::vector<std::string>& columns,
                            TableWalker::Options options = {}) {
  std::optional<TableWalker::Result> out;
  int calls = 0;
  std::vector<Oid> oids;
  oids.reserve(columns.size());
  for (const std::string& c : columns) {
    oids.push_back(Oid::parse(c));
  }
  TableWalker::walk(fake, t, oids, options, [&](TableWalker::Result r) {
    ++calls;
    out = std::move(r);
  });
  CPPUNIT_ASSERT_EQUAL(1, calls);  // the fake answers synchronously: done already ran, once
  return *out;
}

/// Noise around the table so that walks must notice where their columns end.
void surround(FakeSnmpClient& fake) {
  fake.setInteger("1.3.6.1.4.1.99.1.0", 7);
  fake.setInteger("1.3.6.1.4.1.99.2.0", 8);
}

/// A table of the first `columns` of kA..kD, rows 1..`rows` (column k's values 100·k + row),
/// with noise around it.
void table(FakeSnmpClient& fake, size_t columns, uint32_t rows) {
  surround(fake);
  const std::string* names[] = {&kA, &kB, &kC, &kD};
  for (size_t k = 0; k < columns; ++k) {
    fill(fake, *names[k], range(1, rows), 100 * (k + 1));
  }
}

}  // namespace

class TableWalkerTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(TableWalkerTest);
  CPPUNIT_TEST(testRaggedColumns);
  CPPUNIT_TEST(testFullOidsKeepTheWholeOid);
  CPPUNIT_TEST(testColumnsEndAtDifferentRowsWithSmallRepetitions);
  CPPUNIT_TEST(testColumnAtEndOfMib);
  CPPUNIT_TEST(testTruncatedResponses);
  CPPUNIT_TEST(testMaxColumnsPerRequest);
  CPPUNIT_TEST(testTooBigHalvesRepetitions);
  CPPUNIT_TEST(testTooBigSplitsColumns);
  CPPUNIT_TEST(testTooBigForOneValueGivesUp);
  CPPUNIT_TEST(testNonIncreasingOidStopsColumn);
  CPPUNIT_TEST(testAllowNonincreasingGoesOn);
  CPPUNIT_TEST(testAllowNonincreasingStopsAtLoop);
  CPPUNIT_TEST(testIsolatedErrorFailsOnlyItsColumn);
  CPPUNIT_TEST(testIsolatedErrorWithoutIndexAsksAlone);
  CPPUNIT_TEST(testIsolatedTimeoutFailsItsColumns);
  CPPUNIT_TEST(testIsolatedSecondTimeoutFailsWalk);
  CPPUNIT_TEST(testRequestLog);
  CPPUNIT_TEST(testV1UsesGetNext);
  CPPUNIT_TEST(testRequestLimit);
  CPPUNIT_TEST(testGrowsRepetitionsWhenFastAndComplete);
  CPPUNIT_TEST(testSlowResponsesDoNotGrow);
  CPPUNIT_TEST(testShortColumnsDoNotGrow);
  CPPUNIT_TEST(testExpectedRowsLimitsRepetitions);
  CPPUNIT_TEST(testTimeoutFailsWalk);
  CPPUNIT_TEST(testNoColumns);
  CPPUNIT_TEST(testRequestsAndVarbindsCounted);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testRaggedColumns() {
    FakeSnmpClient fake;
    surround(fake);
    fill(fake, kA, {1, 2, 3, 5, 8}, 100);
    fill(fake, kB, {2, 3}, 200);
    // kC: no rows at all
    fill(fake, kD, range(1, 20), 400);
    TableWalker::Result r = walkNow(fake, target(), {kA, kB, kC, kD});
    CPPUNIT_ASSERT(r.status == SnmpResponse::Status::Ok);
    CPPUNIT_ASSERT(!r.truncated);
    CPPUNIT_ASSERT_EQUAL(size_t(4), r.columns.size());
    CPPUNIT_ASSERT(rowsOf(r.columns[0]) == expectedRows({1, 2, 3, 5, 8}, 100));
    CPPUNIT_ASSERT(rowsOf(r.columns[1]) == expectedRows({2, 3}, 200));
    CPPUNIT_ASSERT(r.columns[2].empty());
    CPPUNIT_ASSERT(rowsOf(r.columns[3]) == expectedRows(range(1, 20), 400));
    for (const SnmpRequest& req : fake.requests()) {
      CPPUNIT_ASSERT(req.type == SnmpRequest::Type::GetBulk);
      CPPUNIT_ASSERT_EQUAL(0, req.nonRepeaters);
    }
  }

  void testFullOidsKeepTheWholeOid() {
    // The same ragged walk with fullOids: the same rows, each as its column's OID + index.
    FakeSnmpClient fake;
    surround(fake);
    fill(fake, kA, {1, 2, 3, 5, 8}, 100);
    fill(fake, kB, {2, 3}, 200);
    fill(fake, kD, range(1, 60), 400);  // more rows than one request: the next starts at the last
    TableWalker::Options options;
    options.fullOids = true;
    TableWalker::Result r = walkNow(fake, target(), {kA, kB, kC, kD}, options);
    CPPUNIT_ASSERT(r.status == SnmpResponse::Status::Ok);
    CPPUNIT_ASSERT(!r.truncated);
    CPPUNIT_ASSERT(fake.requests().size() > 1);
    CPPUNIT_ASSERT_EQUAL(size_t(4), r.columns.size());
    const std::vector<std::pair<std::string, std::vector<uint32_t>>> expected = {
        {kA, {1, 2, 3, 5, 8}}, {kB, {2, 3}}, {kC, {}}, {kD, range(1, 60)}};
    for (size_t c = 0; c < expected.size(); ++c) {
      const auto& [column, rows] = expected[c];
      CPPUNIT_ASSERT_EQUAL(rows.size(), r.columns[c].size());
      for (size_t i = 0; i < rows.size(); ++i) {
        CPPUNIT_ASSERT_EQUAL(column + "." + std::to_string(rows[i]), r.columns[c][i].first.str());
        CPPUNIT_ASSERT_EQUAL(uint64_t(100 * (c + 1) + rows[i]),
                             r.columns[c][i].second.unsignedValue);
      }
    }
  }

  void testColumnsEndAtDifferentRowsWithSmallRepetitions() {
    FakeSnmpClient fake;
    surround(fake);
    fill(fake, kA, range(1, 7), 100);
    fill(fake, kB, range(3, 4), 200);
    fill(fake, kC, {9, 10, 11, 1000}, 300);
    TableWalker::Options o;
    o.initialMaxRepetitions = 2;
    o.maxMaxRepetitions = 2;
    TableWalker::Result r = walkNow(fake, target(), {kA, kB, kC}, o);
    CPPUNIT_ASSERT(r.status == SnmpResponse::Status::Ok);
    CPPUNIT_ASSERT(rowsOf(r.columns[0]) == expectedRows(range(1, 7), 100));
    CPPUNIT_ASSERT(rowsOf(r.columns[1]) == expectedRows(range(3, 4), 200));
    CPPUNIT_ASSERT(rowsOf(r.columns[2]) == expectedRows({9, 10, 11, 1000}, 300));
    // A column that ended is not asked again: the last requests carry only column A.
    CPPUNIT_ASSERT_EQUAL(size_t(1), fake.requests().back().oids.size());
    CPPUNIT_ASSERT(fake.requests().back().oids[0].startsWith(Oid::parse(kA)));
  }

  void testColumnAtEndOfMib() {
    FakeSnmpClient fake;
    fill(fake, kA, {1, 2}, 100);
    fill(fake, kD, {1, 2, 3}, 400);  // the last objects of the MIB
    TableWalker::Result r = walkNow(fake, target(), {kA, kD, kD + ".9"});
    CPPUNIT_ASSERT(r.status == SnmpResponse::Status::Ok);
    CPPUNIT_ASSERT(rowsOf(r.columns[0]) == expectedRows({1, 2}, 100));
    CPPUNIT_ASSERT(rowsOf(r.columns[1]) == expectedRows({1, 2, 3}, 400));
    CPPUNIT_ASSERT(r.columns[2].empty());
  }

  void testTruncatedResponses() {
    FakeSnmpClient fake;
    surround(fake);
    fake.setMaxVarbinds(5);
    for (const std::string& c : {kA, kB, kC, kD}) {
      fill(fake, c, range(1, 20), 1000);
    }
    TableWalker::Result r = walkNow(fake, target(), {kA, kB, kC, kD});
    CPPUNIT_ASSERT(r.status == SnmpResponse::Status::Ok);
    for (size_t i = 0; i < 4; ++i) {
      CPPUNIT_ASSERT(rowsOf(r.columns[i]) == expectedRows(range(1, 20), 1000));
    }
    // 80 values at 5 per response, plus the ends of the columns.
    CPPUNIT_ASSERT(r.requests >= 16);
    CPPUNIT_ASSERT(r.requests <= 20);
  }

  void testMaxColumnsPerRequest() {
    FakeSnmpClient fake;
    surround(fake);
    std::vector<std::string> columns;
    for (int c = 1; c <= 5; ++c) {
      std::string col = "1.3.6.1.4.1.99.1.1." + std::to_string(c);
      fill(fake, col, range(1, 4), 10ULL * c);
      columns.push_back(col);
    }
    TableWalker::Options o;
    o.maxColumnsPerRequest = 2;
    TableWalker::Result r = walkNow(fake, target(), columns, o);
    for (const SnmpRequest& req : fake.requests()) {
      CPPUNIT_ASSERT(req.oids.size() <= 2);
    }
    for (int c = 1; c <= 5; ++c) {
      CPPUNIT_ASSERT(rowsOf(r.columns[c - 1]) == expectedRows(range(1, 4), 10ULL * c));
    }
  }

  void testTooBigHalvesRepetitions() {
    FakeSnmpClient fake;
    surround(fake);
    fake.setTooBigAbove(10);
    for (const std::string& c : {kA, kB, kC}) {
      fill(fake, c, range(1, 30), 5);
    }
    TableWalker::Result r = walkNow(fake, target(), {kA, kB, kC});
    CPPUNIT_ASSERT(r.status == SnmpResponse::Status::Ok);
    CPPUNIT_ASSERT(!r.truncated);
    for (size_t i = 0; i < 3; ++i) {
      CPPUNIT_ASSERT(rowsOf(r.columns[i]) == expectedRows(range(1, 30), 5));
    }
    CPPUNIT_ASSERT(r.maxRepetitions <= 3);  // 3 columns x 3 = 9 varbinds fit
    CPPUNIT_ASSERT(r.requests < 60);
  }

  void testTooBigSplitsColumns() {
    FakeSnmpClient fake;
    surround(fake);
    fake.setTooBigAbove(1);
    for (const std::string& c : {kA, kB, kC, kD}) {
      fill(fake, c, range(1, 3), 5);
    }
    TableWalker::Result r = walkNow(fake, target(), {kA, kB, kC, kD});
    CPPUNIT_ASSERT(r.status == SnmpResponse::Status::Ok);
    for (size_t i = 0; i < 4; ++i) {
      CPPUNIT_ASSERT(rowsOf(r.columns[i]) == expectedRows(range(1, 3), 5));
    }
    CPPUNIT_ASSERT_EQUAL(1, r.maxRepetitions);
    CPPUNIT_ASSERT_EQUAL(size_t(1), fake.requests().back().oids.size());
  }

  void testTooBigForOneValueGivesUp() {
    FakeSnmpClient fake;
    fill(fake, kA, range(1, 3), 5);
    fake.setTooBigAbove(0);  // not even one varbind fits
    TableWalker::Result r = walkNow(fake, target(), {kA, kB});
    CPPUNIT_ASSERT(r.status == SnmpResponse::Status::Ok);
    CPPUNIT_ASSERT(r.truncated);
    CPPUNIT_ASSERT(r.columns[0].empty());
    CPPUNIT_ASSERT(r.message.find("tooBig") != std::string::npos);
    // 25 -> 12 -> 6 -> 3 -> 1 repetitions, then one column per request, then give up.
    CPPUNIT_ASSERT(r.requests <= 10);
  }

  void testNonIncreasingOidStopsColumn() {
    FakeSnmpClient fake;
    surround(fake);
    fill(fake, kA, range(1, 5), 100);
    fill(fake, kB, range(1, 5), 200);
    fake.setNextOverride(kA + ".3", kA + ".2");  // the agent loops: after .3 comes .2 again
    TableWalker::Options o;
    o.initialMaxRepetitions = 2;
    TableWalker::Result r = walkNow(fake, target(), {kA, kB}, o);
    CPPUNIT_ASSERT(r.status == SnmpResponse::Status::Ok);
    CPPUNIT_ASSERT(r.truncated);
    CPPUNIT_ASSERT(r.message.find("non-increasing") != std::string::npos);
    CPPUNIT_ASSERT(rowsOf(r.columns[0]) == expectedRows({1, 2, 3}, 100));
    CPPUNIT_ASSERT(rowsOf(r.columns[1]) == expectedRows(range(1, 5), 200));
    CPPUNIT_ASSERT(r.requests < 10);
  }

  /// An agent that returns a column out of order: 1, 2, 5, 3, 4 (snmp_exporter
  /// `allow_nonincreasing_oids`, gosnmp AppOpts "c": the walk goes on from each returned OID).
  void outOfOrder(FakeSnmpClient& fake) {
    surround(fake);
    fill(fake, kA, range(1, 5), 100);
    fill(fake, kB, range(1, 3), 200);
    fake.setNextOverride(kA + ".2", kA + ".5");
    fake.setNextOverride(kA + ".5", kA + ".3");
    fake.setNextOverride(kA + ".4", kB + ".1");
  }

  void testAllowNonincreasingGoesOn() {
    TableWalker::Options o;
    o.initialMaxRepetitions = 2;
    {
      FakeSnmpClient fake;
      outOfOrder(fake);
      TableWalker::Result r = walkNow(fake, target(), {kA, kB}, o);
      CPPUNIT_ASSERT(r.truncated);  // by default the column ends at .3 after .5
      CPPUNIT_ASSERT_EQUAL(size_t(3), r.columns[0].size());
    }
    o.allowNonincreasingOids = true;
    FakeSnmpClient fake;
    outOfOrder(fake);
    TableWalker::Result r = walkNow(fake, target(), {kA, kB}, o);
    CPPUNIT_ASSERT(r.status == SnmpResponse::Status::Ok);
    CPPUNIT_ASSERT(!r.truncated);
    std::vector<uint32_t> order;
    for (const auto& [index, value] : r.columns[0]) {
      order.push_back(index[0]);
      CPPUNIT_ASSERT_EQUAL(uint64_t(100 + index[0]), value.unsignedValue);
    }
    CPPUNIT_ASSERT(order == std::vector<uint32_t>({1, 2, 5, 3, 4}));  // the agent's order
    CPPUNIT_ASSERT(rowsOf(r.columns[1]) == expectedRows(range(1, 3), 200));
  }

  void testAllowNonincreasingStopsAtLoop() {
    FakeSnmpClient fake;
    surround(fake);
    fill(fake, kA, range(1, 5), 100);
    fake.setNextOverride(kA + ".3", kA + ".2");  // .2 .3 .2 .3 ... forever
    TableWalker::Options o;
    o.initialMaxRepetitions = 2;
    o.allowNonincreasingOids = true;
    TableWalker::Result r = walkNow(fake, target(), {kA}, o);
    CPPUNIT_ASSERT(r.truncated);
    CPPUNIT_ASSERT(r.message.find("twice") != std::string::npos);
    CPPUNIT_ASSERT(rowsOf(r.columns[0]) == expectedRows({1, 2, 3}, 100));
    CPPUNIT_ASSERT(r.requests <= 3);
  }

  void testIsolatedErrorFailsOnlyItsColumn() {
    FakeSnmpClient fake;
    table(fake, 3, 5);
    fake.setErrorOid(kB, promsnmp::kErrGenErr);
    TableWalker::Options o;
    o.isolateFailures = true;
    TableWalker::Result r = walkNow(fake, target(), {kA, kB, kC}, o);
    CPPUNIT_ASSERT(r.status == SnmpResponse::Status::Ok);
    CPPUNIT_ASSERT_EQUAL(size_t(3), r.columnFailures.size());
    CPPUNIT_ASSERT(!r.columnFailures[0].failed());
    CPPUNIT_ASSERT(r.columnFailures[1].status == SnmpResponse::Status::ErrorStatus);
    CPPUNIT_ASSERT_EQUAL(promsnmp::kErrGenErr, r.columnFailures[1].errorStatus);
    CPPUNIT_ASSERT(!r.columnFailures[2].failed());
    CPPUNIT_ASSERT(rowsOf(r.columns[0]) == expectedRows(range(1, 5), 100));
    CPPUNIT_ASSERT(rowsOf(r.columns[2]) == expectedRows(range(1, 5), 300));

    // Without isolation the first error fails the walk.
    FakeSnmpClient plain;
    fill(plain, kA, range(1, 5), 100);
    plain.setErrorOid(kB, promsnmp::kErrGenErr);
    TableWalker::Result p = walkNow(plain, target(), {kA, kB});
    CPPUNIT_ASSERT(p.status == SnmpResponse::Status::ErrorStatus);
    CPPUNIT_ASSERT(p.columnFailures.empty());
  }

  void testIsolatedErrorWithoutIndexAsksAlone() {
    FakeSnmpClient fake;
    table(fake, 3, 5);
    fake.setErrorOid(kB, promsnmp::kErrGenErr, false);  // error-index 0: which one?
    TableWalker::Options o;
    o.isolateFailures = true;
    TableWalker::Result r = walkNow(fake, target(), {kA, kB, kC}, o);
    CPPUNIT_ASSERT(!r.columnFailures[0].failed());
    CPPUNIT_ASSERT(r.columnFailures[1].failed());
    CPPUNIT_ASSERT(!r.columnFailures[2].failed());
    CPPUNIT_ASSERT(rowsOf(r.columns[0]) == expectedRows(range(1, 5), 100));
    CPPUNIT_ASSERT(rowsOf(r.columns[2]) == expectedRows(range(1, 5), 300));
    // 1 failed request with all three, then each alone.
    CPPUNIT_ASSERT_EQUAL(size_t(4), fake.requests().size());
    for (size_t i = 1; i < fake.requests().size(); ++i) {
      CPPUNIT_ASSERT_EQUAL(size_t(1), fake.requests()[i].oids.size());
    }
  }

  void testIsolatedTimeoutFailsItsColumns() {
    // One subtree hangs: the request holding it times out, its columns are asked again one
    // by one, and only the column that times out alone fails.
    FakeSnmpClient fake;
    table(fake, 4, 5);
    fake.setTimeoutOid(kC);
    TableWalker::Options o;
    o.isolateFailures = true;
    o.maxParallelRequests = 1;
    TableWalker::Result r = walkNow(fake, target(), {kA, kB, kC, kD}, o);
    CPPUNIT_ASSERT(r.status == SnmpResponse::Status::Ok);
    CPPUNIT_ASSERT(!r.columnFailures[0].failed());
    CPPUNIT_ASSERT(!r.columnFailures[1].failed());
    CPPUNIT_ASSERT(r.columnFailures[2].status == SnmpResponse::Status::Timeout);
    CPPUNIT_ASSERT(!r.columnFailures[3].failed());
    CPPUNIT_ASSERT(rowsOf(r.columns[1]) == expectedRows(range(1, 5), 200));
    CPPUNIT_ASSERT(rowsOf(r.columns[3]) == expectedRows(range(1, 5), 400));
    // All four, then each alone.
    CPPUNIT_ASSERT_EQUAL(size_t(5), fake.requests().size());
    CPPUNIT_ASSERT_EQUAL(uint32_t(2 + 1 + 1 + 2 + 1), r.requests);  // retries 1 per timeout
  }

  void testIsolatedSecondTimeoutFailsWalk() {
    FakeSnmpClient fake;
    table(fake, 4, 5);
    fake.setTimeoutTarget("dev");  // the whole agent is gone
    TableWalker::Options o;
    o.isolateFailures = true;
    o.maxColumnsPerRequest = 1;
    o.maxParallelRequests = 1;
    TableWalker::Result r = walkNow(fake, target(), {kA, kB, kC, kD}, o);
    CPPUNIT_ASSERT(r.status == SnmpResponse::Status::Timeout);
    CPPUNIT_ASSERT_EQUAL(size_t(2), fake.requests().size());  // not one timeout per column
    for (const TableWalker::ColumnFailure& f : r.columnFailures) {
      CPPUNIT_ASSERT(f.status == SnmpResponse::Status::Timeout);
    }
  }

  void testRequestLog() {
    FakeSnmpClient fake;
    table(fake, 3, 3);
    fill(fake, kA, range(4, 30), 100);
    TableWalker::Options o;
    o.recordRequests = true;
    o.initialMaxRepetitions = 10;
    o.maxMaxRepetitions = 10;
    o.maxColumnsPerRequest = 2;
    TableWalker::Result r = walkNow(fake, target(), {kA, kB, kC}, o);
    CPPUNIT_ASSERT_EQUAL(fake.requests().size(), r.log.size());
    uint32_t packets = 0;
    size_t withA = 0;
    for (const TableWalker::RequestRecord& rec : r.log) {
      packets += rec.packets;
      withA += std::count(rec.columns.begin(), rec.columns.end(), 0U);
    }
    CPPUNIT_ASSERT_EQUAL(r.requests, packets);
    CPPUNIT_ASSERT_EQUAL(size_t(4), withA);  // 30 rows of A at 10 per request, + 1 to see its end
  }

  void testV1UsesGetNext() {
    FakeSnmpClient fake;
    fill(fake, kA, {1, 2, 4}, 100);
    fill(fake, kB, {1}, 200);
    fill(fake, kD, {1, 2}, 400);  // the end of the MIB: noSuchName closes it
    TableWalker::Result r = walkNow(fake, target(0), {kA, kB, kC, kD});
    CPPUNIT_ASSERT(r.status == SnmpResponse::Status::Ok);
    CPPUNIT_ASSERT(rowsOf(r.columns[0]) == expectedRows({1, 2, 4}, 100));
    CPPUNIT_ASSERT(rowsOf(r.columns[1]) == expectedRows({1}, 200));
    CPPUNIT_ASSERT(r.columns[2].empty());
    CPPUNIT_ASSERT(rowsOf(r.columns[3]) == expectedRows({1, 2}, 400));
    bool multi = false;
    for (const SnmpRequest& req : fake.requests()) {
      CPPUNIT_ASSERT(req.type == SnmpRequest::Type::GetNext);
      multi |= req.oids.size() > 1;
    }
    CPPUNIT_ASSERT(multi);
  }

  void testRequestLimit() {
    FakeSnmpClient fake;
    fill(fake, kA, range(1, 100), 1);
    TableWalker::Options o;
    o.initialMaxRepetitions = 5;
    o.maxMaxRepetitions = 5;
    o.maxRequests = 3;
    TableWalker::Result r = walkNow(fake, target(), {kA}, o);
    CPPUNIT_ASSERT(r.status == SnmpResponse::Status::Ok);
    CPPUNIT_ASSERT(r.truncated);
    CPPUNIT_ASSERT_EQUAL(uint32_t(3), r.requests);
    CPPUNIT_ASSERT_EQUAL(size_t(15), r.columns[0].size());
    CPPUNIT_ASSERT(r.message.find("request limit") != std::string::npos);
  }

  void testGrowsRepetitionsWhenFastAndComplete() {
    FakeSnmpClient fake;
    surround(fake);
    fill(fake, kA, range(1, 500), 1);
    TableWalker::Options o;
    o.initialMaxRepetitions = 10;
    o.maxMaxRepetitions = 100;
    o.maxParallelRequests = 1;
    TableWalker::Result r = walkNow(fake, target(), {kA}, o);
    CPPUNIT_ASSERT(rowsOf(r.columns[0]) == expectedRows(range(1, 500), 1));
    CPPUNIT_ASSERT_EQUAL(100, r.maxRepetitions);
    CPPUNIT_ASSERT(r.requests < 15);  // 10, 15, 22, 33, 49, 73, 100, 100, ... instead of 50
  }

  void testSlowResponsesDoNotGrow() {
    FakeSnmpClient fake;
    fill(fake, kA, range(1, 100), 1);
    fake.setElapsed(std::chrono::milliseconds(400));
    TableWalker::Options o;
    o.initialMaxRepetitions = 10;
    TableWalker::Result r = walkNow(fake, target(), {kA}, o);
    CPPUNIT_ASSERT_EQUAL(size_t(100), r.columns[0].size());
    CPPUNIT_ASSERT_EQUAL(10, r.maxRepetitions);
  }

  void testShortColumnsDoNotGrow() {
    // A complete response whose columns all ended in it was padded past their ends: asking
    // for more rows next time would only pad more.
    FakeSnmpClient fake;
    table(fake, 2, 3);
    TableWalker::Options o;
    o.initialMaxRepetitions = 10;
    TableWalker::Result r = walkNow(fake, target(), {kA, kB}, o);
    CPPUNIT_ASSERT_EQUAL(size_t(1), fake.requests().size());
    CPPUNIT_ASSERT_EQUAL(size_t(3), r.columns[0].size());
    CPPUNIT_ASSERT_EQUAL(10, r.maxRepetitions);
  }

  void testExpectedRowsLimitsRepetitions() {
    FakeSnmpClient fake;
    surround(fake);
    fill(fake, kA, range(1, 5), 1);
    fill(fake, kB, range(1, 5), 2);
    TableWalker::Options o;
    o.expectedRows = 5;
    TableWalker::Result r = walkNow(fake, target(), {kA, kB}, o);
    CPPUNIT_ASSERT_EQUAL(size_t(1), fake.requests().size());
    CPPUNIT_ASSERT_EQUAL(6, fake.requests()[0].maxRepetitions);  // 5 rows + 1 to see the end
    CPPUNIT_ASSERT_EQUAL(size_t(5), r.columns[0].size());
    CPPUNIT_ASSERT_EQUAL(size_t(5), r.columns[1].size());

    // More rows than expected: the walk still reads them all.
    FakeSnmpClient more;
    fill(more, kA, range(1, 40), 1);
    TableWalker::Result r2 = walkNow(more, target(), {kA}, o);
    CPPUNIT_ASSERT_EQUAL(size_t(40), r2.columns[0].size());
  }

  void testTimeoutFailsWalk() {
    FakeSnmpClient fake;
    fill(fake, kA, range(1, 5), 1);
    fake.setTimeoutTarget("dev");
    TableWalker::Result r = walkNow(fake, target(), {kA, kB});
    CPPUNIT_ASSERT(r.status == SnmpResponse::Status::Timeout);
    CPPUNIT_ASSERT_EQUAL(uint32_t(2), r.requests);  // one request, retries 1
    CPPUNIT_ASSERT_EQUAL(size_t(1), fake.requests().size());
  }

  void testNoColumns() {
    FakeSnmpClient fake;
    TableWalker::Result r = walkNow(fake, target(), {});
    CPPUNIT_ASSERT(r.status == SnmpResponse::Status::Ok);
    CPPUNIT_ASSERT(fake.requests().empty());
  }

  void testRequestsAndVarbindsCounted() {
    FakeSnmpClient fake;
    surround(fake);
    fake.setMaxVarbinds(7);
    fill(fake, kA, range(1, 30), 1);
    fill(fake, kB, range(1, 10), 1);
    TableWalker::Result r = walkNow(fake, target(), {kA, kB});
    CPPUNIT_ASSERT_EQUAL(fake.packets(), r.requests);
    CPPUNIT_ASSERT_EQUAL(fake.varbindsSent(), r.varbinds);
    CPPUNIT_ASSERT_EQUAL(uint32_t(fake.requests().size()), r.requests);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(TableWalkerTest);
