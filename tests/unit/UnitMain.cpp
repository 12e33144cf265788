// CppUnit runner shared by the unit, integration and fault test executables.
// Usage: <runner> [SuiteName...]   (no argument: every registered suite)
// Exit: 0 all passed, 1 a failure, 2 unknown suite, 77 every test of the run skipped (Skip.h).
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <cppunit/BriefTestProgressListener.h>
#include <cppunit/CompilerOutputter.h>
#include <cppunit/TestResult.h>
#include <cppunit/TestResultCollector.h>
#include <cppunit/TestRunner.h>
#include <cppunit/extensions/TestFactoryRegistry.h>

#include "Skip.h"

namespace {

std::vector<std::string>& skipped() {
  static std::vector<std::string> reasons;
  return reasons;
}

}  // namespace

void testing::skip(const std::string& reason) {
  skipped().push_back(reason);
  std::fprintf(stderr, "\n  SKIP: %s\n", reason.c_str());
}

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
  for (const std::string& reason : skipped()) {
    std::cerr << "SKIPPED: " << reason << "\n";
  }
  if (!result.wasSuccessful()) {
    return 1;
  }
  const int run = result.runTests();
  return run > 0 && static_cast<int>(skipped().size()) == run ? 77 : 0;
}
