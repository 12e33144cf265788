#include "modules/PduTable.h"

#include <cppunit/extensions/HelperMacros.h>

using promsnmp::Oid;
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
  CPPUNIT_TEST(testSubtreeIsThePrefixAndItsExtensionsOnly);
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

  void testSubtreeIsThePrefixAndItsExtensionsOnly() {
    PduTable t({vb("1.3.6.1.2.1", 1), vb("1.3.6.1.2", 0), vb("1.3.6.1.2.1.5", 2),
                vb("1.3.6.1.20", 3), vb("1.3.6.1.3", 4)});
    auto s = t.subtree(Oid::parse("1.3.6.1.2"));
    CPPUNIT_ASSERT_EQUAL(size_t(3), s.size());
    CPPUNIT_ASSERT_EQUAL(std::string("1.3.6.1.2.1.5"), s.back().oid.str());
    CPPUNIT_ASSERT(t.subtree(Oid::parse("1.3.6.1.4")).empty());
    CPPUNIT_ASSERT_EQUAL(size_t(1), t.subtree(Oid::parse("1.3.6.1.20")).size());
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PduTableTest);
