// CppUnit runner shared by the unit and integration test executables.
// Usage: <runner> [SuiteName...]   (no argument: every registered suite)
#include <cppunit/BriefTestProgressListener.h>
#include <cppunit/CompilerOutputter.h>
#include <cppunit/TestResult.h>
#include <cppunit/TestResultCollector.h>
#include <cppunit/TestRunner.h>
#include <cppunit/extensions/TestFactoryRegistry.h>

#include <iostream>

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
  return result.wasSuccessful() ? 0 : 1;
}
