// CppUnit runner of the fault suites: tests/unit/UnitMain.cpp plus "skipped". A test that cannot
// run here (no NFS-capable kernel, not root) calls faults::skip(reason) and returns; when every
// test of the run skipped, the exit code is 77, which CTest reports as "Skipped" rather than as a
// pass. Usage: faults_promsnmp [SuiteName...]   (no argument: every suite)
#include <cppunit/BriefTestProgressListener.h>
#include <cppunit/CompilerOutputter.h>
#include <cppunit/TestResult.h>
#include <cppunit/TestResultCollector.h>
#include <cppunit/TestRunner.h>
#include <cppunit/extensions/TestFactoryRegistry.h>

#include <iostream>

#include "FaultHelpers.h"

int main(int argc, char** argv) {
  CppUnit::Test* all = CppUnit::TestFactoryRegistry::getRegistry().makeTest();
  CppUnit::TestRunner runner;
  runner.addTest(all);  // the runner owns every test; names select what runs
  for (int i = 1; i < argc; ++i) {
    try {
      all->findTest(argv[i]);
    } catch (const std::invalid_argument&) {
      std::cerr << "no test suite named " << argv[i] << "\n";
      return 2;
    }
  }
  CppUnit::TestResult controller;
  CppUnit::TestResultCollector result;
  controller.addListener(&result);
  CppUnit::BriefTestProgressListener progress;
  controller.addListener(&progress);
  if (argc < 2) {
    runner.run(controller);
  }
  for (int i = 1; i < argc; ++i) {
    runner.run(controller, argv[i]);
  }
  CppUnit::CompilerOutputter outputter(&result, std::cerr);
  outputter.write();
  const std::vector<std::string>& skipped = faults::skippedTests();
  for (const std::string& reason : skipped) {
    std::cerr << "SKIPPED: " << reason << "\n";
  }
  if (!result.wasSuccessful()) {
    return 1;
  }
  int run = result.runTests();
  return run > 0 && static_cast<int>(skipped.size()) == run ? 77 : 0;
}
