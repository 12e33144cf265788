// LatencyWindow: the last round trip and the median of the last N (odd and even counts), a full
// ring forgetting its oldest entries, and the empty window.
#include "LatencyWindow.h"

#include <chrono>
#include <optional>

#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

using elector::LatencyWindow;
using std::chrono::microseconds;

namespace {

/// The value in microseconds, or -1 when there is none.
long us(const std::optional<microseconds>& value) {
  return value ? static_cast<long>(value->count()) : -1L;
}

}  // namespace

class LatencyWindowTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(LatencyWindowTest);
  CPPUNIT_TEST(testEmpty);
  CPPUNIT_TEST(testMedianOddAndEven);
  CPPUNIT_TEST(testFullWindowForgetsOldest);
  CPPUNIT_TEST(testCapacityAtLeastOne);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testEmpty() {
    const LatencyWindow window(20);
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, window.size());
    CPPUNIT_ASSERT(!window.last().has_value());
    CPPUNIT_ASSERT(!window.median().has_value());
  }

  void testMedianOddAndEven() {
    LatencyWindow window(20);
    window.add(microseconds(900));
    window.add(microseconds(100));
    window.add(microseconds(300));
    CPPUNIT_ASSERT_EQUAL(300L, us(window.last()));
    CPPUNIT_ASSERT_EQUAL(300L, us(window.median()));  // 100 300 900
    window.add(microseconds(500));
    // 100 300 500 900: the mean of the two middle ones; one slow trip does not move it.
    CPPUNIT_ASSERT_EQUAL(400L, us(window.median()));
    CPPUNIT_ASSERT_EQUAL(500L, us(window.last()));
    CPPUNIT_ASSERT_EQUAL(std::size_t{4}, window.size());
  }

  void testFullWindowForgetsOldest() {
    LatencyWindow window(3);
    for (const int us : {1000, 2000, 3000}) {
      window.add(microseconds(us));
    }
    CPPUNIT_ASSERT_EQUAL(2000L, us(window.median()));
    // Three fast trips push the slow ones out: the median is of these three only.
    window.add(microseconds(10));
    CPPUNIT_ASSERT_EQUAL(10L, us(window.last()));
    CPPUNIT_ASSERT_EQUAL(2000L, us(window.median()));  // 10 2000 3000
    window.add(microseconds(20));
    CPPUNIT_ASSERT_EQUAL(20L, us(window.median()));  // 10 20 3000
    window.add(microseconds(30));
    CPPUNIT_ASSERT_EQUAL(20L, us(window.median()));  // 10 20 30
    CPPUNIT_ASSERT_EQUAL(30L, us(window.last()));
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, window.size());
    // Around the ring a second time: last() follows the write position.
    window.add(microseconds(40));
    CPPUNIT_ASSERT_EQUAL(40L, us(window.last()));
    CPPUNIT_ASSERT_EQUAL(30L, us(window.median()));  // 20 30 40
  }

  void testCapacityAtLeastOne() {
    LatencyWindow window(0);
    window.add(microseconds(5));
    window.add(microseconds(7));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, window.size());
    CPPUNIT_ASSERT_EQUAL(7L, us(window.last()));
    CPPUNIT_ASSERT_EQUAL(7L, us(window.median()));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LatencyWindowTest);
