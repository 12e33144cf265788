#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace testing {

// The comparison of two Prometheus text expositions as sets of series, for the side-by-side
// test against snmp_exporter (ModulesPeerTest). A series is its name, its labels sorted by
// name, and its value compared as a double; label values are compared as the bytes they stand
// for once the exposition's escapes (\\, \", \n) are undone. Labels with an empty value are
// dropped, because Prometheus treats them as absent ("Labels with an empty label value are
// considered equivalent to labels that do not exist", data model documentation).

/// One series. `value` is canonical (canonicalValue), so equal doubles compare equal.
struct Series {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;  // sorted by name, none empty
  std::string value;

  bool operator<(const Series& other) const;
  bool operator==(const Series& other) const;
  /// The series as an exposition line (label values escaped again, other control bytes as
  /// \xNN so that a diff stays readable).
  std::string str() const;
};

/// The series of one answer, with what is needed to judge it.
struct SeriesSet {
  std::set<Series> series;
  std::vector<std::string> duplicates;       // a name and labels that occurred more than once
  std::map<std::string, std::string> types;  // metric family -> `# TYPE`
  std::map<std::string, std::string> helps;  // metric family -> `# HELP`, unescaped
  std::size_t ignored = 0;                   // samples left out by prefix
};

/// The canonical text of a sample value: "NaN", "+Inf", "-Inf", or the double printed with 17
/// significant digits ("0" for -0). Throws std::invalid_argument if `text` is not a number.
std::string canonicalValue(const std::string& text);

/// Parses text exposition; samples and families whose name starts with one of `ignored` are
/// left out (counted in `ignored`). Throws std::invalid_argument on a value that is no number.
SeriesSet parseSeries(const std::string& text, const std::vector<std::string>& ignored);

/// Adds `from` to `into` (the union of several answers); a series in both is a duplicate.
void mergeSeries(SeriesSet& into, const SeriesSet& from);

/// What differs between a reference answer (the peer's) and the answer under test.
struct SeriesDiff {
  std::vector<Series> onlyInPeer;
  std::vector<Series> onlyInOurs;
  std::vector<std::string> familyDiffs;  // TYPE or HELP of a family both have, differing
  std::vector<std::string> duplicates;   // in the answer under test

  bool empty() const {
    return onlyInPeer.empty() && onlyInOurs.empty() && familyDiffs.empty() && duplicates.empty();
  }
  /// A readable account: the counts, then at most `limit` series of each side, then the
  /// family and duplicate findings (at most `limit` each).
  std::string report(const std::string& peerName, const std::string& oursName,
                     std::size_t limit = 20) const;
};

/// Compares `ours` with `peer`: the series of each that the other lacks, sorted, and for each
/// family with series in both, a differing TYPE or HELP.
SeriesDiff diffSeries(const SeriesSet& peer, const SeriesSet& ours);

}  // namespace testing
