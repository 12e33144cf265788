#include "app/HealthCheck.h"

#include <cppunit/extensions/HelperMacros.h>

using namespace promsnmp;

class HealthCheckTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(HealthCheckTest);
  CPPUNIT_TEST(testReadinessUrlFromListenAddress);
  CPPUNIT_TEST(testBadCommandLineIsUsageError);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testReadinessUrlFromListenAddress() {
    CPPUNIT_ASSERT_EQUAL(std::string("http://127.0.0.1:8080/actuator/health/readiness"),
                         readinessUrlFor(":8080"));
    CPPUNIT_ASSERT_EQUAL(std::string("http://127.0.0.1:9116/actuator/health/readiness"),
                         readinessUrlFor("0.0.0.0:9116"));
    CPPUNIT_ASSERT_EQUAL(std::string("http://[::1]:8080/actuator/health/readiness"),
                         readinessUrlFor("[::]:8080"));
    CPPUNIT_ASSERT_EQUAL(std::string("http://10.1.2.3:80/actuator/health/readiness"),
                         readinessUrlFor("10.1.2.3:80"));
  }

  void testBadCommandLineIsUsageError() {
    CPPUNIT_ASSERT_EQUAL(2, runHealthCheck({"--no-such-flag"}));
    CPPUNIT_ASSERT_EQUAL(2, runHealthCheck({"--timeout=soon", "--url=http://127.0.0.1:1/"}));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HealthCheckTest);
