#include "PromtoolFindings.h"

#include <fstream>
#include <sstream>

#include "ProcessHelpers.h"

namespace testing {

std::string promtoolFindings(const std::string& body, const std::set<std::string>& counters,
                             const std::string& dir) {
  const std::string file = dir + "/answer.prom";
  std::ofstream(file) << body;
  ProcessResult lint =
      runProcess({"/bin/sh", "-c", "promtool check metrics < '" + file + "'"}, {}, 60);
  if (lint.code != 0 && lint.code != 3) {
    const std::string output = lint.out + lint.err;
    return "promtool exit " + std::to_string(lint.code) + ": " +
           (output.size() <= 500 ? output : "..." + output.substr(output.size() - 500));
  }
  std::string findings;
  std::istringstream lines(lint.out + lint.err);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) {
      continue;
    }
    const std::string metric = line.substr(0, line.find(' '));
    const std::string problem = line.size() > metric.size() ? line.substr(metric.size() + 1) : "";
    const bool own = metric.rfind("promsnmp_", 0) == 0 || metric.rfind("snmp_scrape_", 0) == 0;
    const bool camel =
        problem == "metric names should be written in 'snake_case' not 'camelCase'" ||
        problem == "label names should be written in 'snake_case' not 'camelCase'";
    const bool total =
        problem == "counter metrics should have \"_total\" suffix" && counters.count(metric) != 0;
    if (own || !(camel || total)) {
      findings += "    promtool: " + line + "\n";
    }
  }
  return findings;
}

std::set<std::string> counterFamilies(const SeriesSet& set) {
  std::set<std::string> counters;
  for (const auto& [family, type] : set.types) {
    if (type == "counter") {
      counters.insert(family);
    }
  }
  return counters;
}

}  // namespace testing
