// Tests of the paths-or-globs settings' expansion (snmp.module_files, discovery.profile_files):
// a glob's matches in byte order, none as an empty list, a path as no glob.
#include "config/FilePatterns.h"

#include <fstream>
#include <string>
#include <vector>

#include <Poco/File.h>
#include <Poco/TemporaryFile.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace promsnmp;

class FilePatternsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(FilePatternsTest);
  CPPUNIT_TEST(testGlobsAreTold);
  CPPUNIT_TEST(testMatchesInByteOrder);
  CPPUNIT_TEST(testNoMatchIsEmpty);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override { dir_.createDirectories(); }

  void testGlobsAreTold() {
    CPPUNIT_ASSERT(!isGlob("/etc/promsnmp/snmp.yml"));
    CPPUNIT_ASSERT(isGlob("/etc/promsnmp/modules.d/*.yml"));
    CPPUNIT_ASSERT(isGlob("site?.yml"));
    CPPUNIT_ASSERT(isGlob("site[12].yml"));
  }

  void testMatchesInByteOrder() {
    for (const char* name : {"b.yml", "a.yml", "B.yml", "c.txt"}) {
      std::ofstream(dir_.path() + "/" + name) << "x";
    }
    std::optional<std::vector<std::string>> files = expandGlob(dir_.path() + "/*.yml");
    CPPUNIT_ASSERT(files.has_value());
    const std::vector<std::string> expected = {dir_.path() + "/B.yml", dir_.path() + "/a.yml",
                                               dir_.path() + "/b.yml"};
    CPPUNIT_ASSERT(expected == *files);
  }

  void testNoMatchIsEmpty() {
    std::optional<std::vector<std::string>> files = expandGlob(dir_.path() + "/*.yml");
    CPPUNIT_ASSERT(files.has_value());
    CPPUNIT_ASSERT(files->empty());
  }

 private:
  Poco::TemporaryFile dir_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(FilePatternsTest);
