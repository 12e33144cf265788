#include "modules/PduTable.h"

#include <cppunit/extensions/HelperMacros.h>

using promsnmp::Oid;
using promsnmp::PackedPduTable;
using promsnmp::PduTable;
using promsnmp::SnmpType;
using promsnmp::SnmpValue;
using promsnmp::VarBind;

namespace {

VarBind vb(const char* oid, int64_t v) { return {Oid::parse(oid), SnmpValue::makeInteger(v)}; }

}  // namespace

class PduTableTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(PduTableTest);
  CPPUNIT_TEST(testSortsKeepsFirstOfEqualOidsAndDropsExceptions);
  CPPUNIT_TEST(testOrdersRunsOverlappingOrNot);
  CPPUNIT_TEST(testSubtreeIsThePrefixAndItsExtensionsOnly);
  CPPUNIT_TEST(testPackedUnpacksToTheSameTable);
  CPPUNIT_TEST(testPackedEmptyTable);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testSortsKeepsFirstOfEqualOidsAndDropsExceptions() {
    PduTable t({vb("1.3.6.1.2", 2),
                vb("1.3.6.1.10", 10),
                vb("1.3.6.1.2", 99),
                {Oid::parse("1.3.6.1.3"), SnmpValue::makeException(SnmpType::NoSuchInstance)},
                vb("1.3.6.1.1", 1)});
    CPPUNIT_ASSERT_EQUAL(size_t(3), t.size());
    CPPUNIT_ASSERT_EQUAL(std::string("1.3.6.1.1"), t.all()[0].oid.str());
    CPPUNIT_ASSERT_EQUAL(std::string("1.3.6.1.2"), t.all()[1].oid.str());
    CPPUNIT_ASSERT_EQUAL(std::string("1.3.6.1.10"), t.all()[2].oid.str());
    CPPUNIT_ASSERT_EQUAL(int64_t(2), t.find(Oid::parse("1.3.6.1.2"))->value.integer);
    CPPUNIT_ASSERT(t.find(Oid::parse("1.3.6.1.3")) == nullptr);
    CPPUNIT_ASSERT(t.find(Oid::parse("1.3.6.1.11")) == nullptr);
  }

  // Ascending runs as a poll files them (columns out of order, label rows last): disjoint runs,
  // runs that interleave, a run inside another's range, and an OID in two runs (the first kept).
  void testOrdersRunsOverlappingOrNot() {
    auto oids = [](const PduTable& t) {
      std::string out;
      for (const VarBind& v : t.all()) {
        out += (out.empty() ? "" : " ") + v.oid.str() + "=" + std::to_string(v.value.integer);
      }
      return out;
    };
    PduTable disjoint({vb("1.5.1", 51), vb("1.5.2", 52), vb("1.2.1", 21), vb("1.2.9", 29),
                       vb("1.9.1", 91), vb("1.3", 3)});
    CPPUNIT_ASSERT_EQUAL(std::string("1.2.1=21 1.2.9=29 1.3=3 1.5.1=51 1.5.2=52 1.9.1=91"),
                         oids(disjoint));
    PduTable interleaved({vb("1.2.1", 1), vb("1.2.3", 3), vb("1.2.5", 5), vb("1.2.2", 2),
                          vb("1.2.4", 4), vb("1.2.6", 6)});
    CPPUNIT_ASSERT_EQUAL(std::string("1.2.1=1 1.2.2=2 1.2.3=3 1.2.4=4 1.2.5=5 1.2.6=6"),
                         oids(interleaved));
    PduTable inside({vb("1.1", 1), vb("1.9", 9), vb("1.4", 4), vb("1.5", 5)});
    CPPUNIT_ASSERT_EQUAL(std::string("1.1=1 1.4=4 1.5=5 1.9=9"), oids(inside));
    PduTable threeRuns({vb("1.2.5", 5), vb("1.2.1", 1), vb("1.2.4", 4), vb("1.2.2", 2),
                        vb("1.2.3", 3), vb("1.2.6", 6)});
    CPPUNIT_ASSERT_EQUAL(std::string("1.2.1=1 1.2.2=2 1.2.3=3 1.2.4=4 1.2.5=5 1.2.6=6"),
                         oids(threeRuns));
    PduTable fourRuns({vb("1.2.5", 5), vb("1.2.1", 1), vb("1.2.4", 4), vb("1.2.2", 2),
                       vb("1.2.3", 3), vb("1.2.0", 0), vb("1.2.6", 6)});
    CPPUNIT_ASSERT_EQUAL(std::string("1.2.0=0 1.2.1=1 1.2.2=2 1.2.3=3 1.2.4=4 1.2.5=5 1.2.6=6"),
                         oids(fourRuns));
    PduTable twice({vb("1.3", 30), vb("1.4", 40), vb("1.1", 10), vb("1.3", 99)});
    CPPUNIT_ASSERT_EQUAL(std::string("1.1=10 1.3=30 1.4=40"), oids(twice));
  }

  void testSubtreeIsThePrefixAndItsExtensionsOnly() {
    PduTable t({vb("1.3.6.1.2.1", 1), vb("1.3.6.1.2", 0), vb("1.3.6.1.2.1.5", 2),
                vb("1.3.6.1.20", 3), vb("1.3.6.1.3", 4)});
    auto s = t.subtree(Oid::parse("1.3.6.1.2"));
    CPPUNIT_ASSERT_EQUAL(size_t(3), s.size());
    CPPUNIT_ASSERT_EQUAL(std::string("1.3.6.1.2.1.5"), s.back().oid.str());
    CPPUNIT_ASSERT(t.subtree(Oid::parse("1.3.6.1.4")).empty());
    CPPUNIT_ASSERT_EQUAL(size_t(1), t.subtree(Oid::parse("1.3.6.1.20")).size());
  }

  // Every value type and field, OIDs sharing prefixes of every length (none, some, all but the
  // last id, a prefix of the next), ids past 2^28 and past the 16 kept inline.
  void testPackedUnpacksToTheSameTable() {
    std::vector<VarBind> in = {
        vb("1.3.6.1.2.1.2.2.1.1.1", 1),
        vb("1.3.6.1.2.1.2.2.1.1.2", -1),
        vb("1.3.6.1.2.1.2.2.1.1.3", INT64_MIN),
        vb("1.3.6.1.2.1.2.2.1.1.4", INT64_MAX),
        vb("1.3.6.1.2.1.2.2.1.1.4.0", 0),
        {Oid::parse("1.3.6.1.2.1.31.1.1.1.6.1"),
         SnmpValue::makeUnsigned(SnmpType::Counter64, UINT64_MAX)},
        {Oid::parse("1.3.6.1.2.1.31.1.1.1.6.2"), SnmpValue::makeUnsigned(SnmpType::Counter32, 0)},
        {Oid::parse("1.3.6.1.2.1.1.3.0"), SnmpValue::makeUnsigned(SnmpType::TimeTicks, 4294967295)},
        {Oid::parse("1.3.6.1.2.1.1.1.0"),
         SnmpValue::makeOctetString(std::string("a long description \0 with a NUL\0", 32))},
        {Oid::parse("1.3.6.1.2.1.1.5.0"), SnmpValue::makeOctetString("")},
        {Oid::parse("1.3.6.1.2.1.1.2.0"), SnmpValue::makeObjectId(Oid::parse("1.3.6.1.4.1.9.1.1"))},
        {Oid::parse("1.3.6.1.2.1.4.20.1.1.10.0.0.1"),
         SnmpValue{SnmpType::IpAddress, 0, 0, std::string("\x0a\0\0\x01", 4), Oid()}},
        {Oid::parse("1.3.6.1.4.1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.4294967295"),
         SnmpValue{SnmpType::Other, 7, 8, "x", Oid::parse("1.2")}},
        {Oid::parse("1.3.6.1.4.1.268435456.1"), SnmpValue()},
    };
    PduTable table(in);
    PackedPduTable packed(table);
    CPPUNIT_ASSERT_EQUAL(table.size(), packed.size());
    CPPUNIT_ASSERT(packed.bytes() < table.size() * sizeof(VarBind) / 4);
    PduTable back = packed.unpack();
    CPPUNIT_ASSERT_EQUAL(table.size(), back.size());
    for (size_t i = 0; i < table.size(); ++i) {
      CPPUNIT_ASSERT_EQUAL(table.all()[i].oid.str(), back.all()[i].oid.str());
      CPPUNIT_ASSERT(table.all()[i] == back.all()[i]);
    }
    CPPUNIT_ASSERT_EQUAL(INT64_MIN, back.find(Oid::parse("1.3.6.1.2.1.2.2.1.1.3"))->value.integer);
  }

  void testPackedEmptyTable() {
    PackedPduTable packed{PduTable()};
    CPPUNIT_ASSERT_EQUAL(size_t(0), packed.size());
    CPPUNIT_ASSERT(packed.unpack().empty());
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PduTableTest);
