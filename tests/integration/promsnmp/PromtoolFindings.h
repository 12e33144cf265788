#pragma once

#include <set>
#include <string>

#include "SeriesDiff.h"

namespace testing {

// `promtool check metrics` on the answer of a module scrape, for the integration tests of
// snmp_exporter's modules (ModulesPeerTest, DaemonModulesTest).

/// promtool's findings on `body` that an snmp_exporter-compatible answer should not have: a
/// parse error, or any lint note other than the camelCase of the MIB names and the missing
/// `_total` of the module's counters (kept on purpose, as PromtoolLintTest allows for the
/// IF-MIB names); none at all on promsnmp's own series (promsnmp_*, snmp_scrape_*). `counters`
/// are the families typed counter by the reference answer. The body is written to
/// `dir`/answer.prom. Empty when clean.
std::string promtoolFindings(const std::string& body, const std::set<std::string>& counters,
                             const std::string& dir);

/// The families of `set` whose `# TYPE` is counter.
std::set<std::string> counterFamilies(const SeriesSet& set);

}  // namespace testing
