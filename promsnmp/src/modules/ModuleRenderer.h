#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "modules/Module.h"
#include "modules/PduTable.h"

namespace promsnmp {

// Turns the varbinds of one module poll into exactly the series snmp_exporter would expose for
// that module (collector/collector.go at upstream HEAD: buildMetricTree, pduToSamples,
// indexesToLabels, …; see the .cpp for where 0.21 differs). ModuleFamilies collects the series of
// all modules of one scrape and writes them as Prometheus text the way client_golang does.

/// One series: its labels and value.
struct ModuleSample {
  /// Any order when added; sorted by name once in a ModuleFamilies.
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};

/// The series of one metric family. snmp_exporter writes only gauges and counters
/// (prometheus.GaugeValue and CounterValue; never untyped).
struct ModuleFamily {
  std::string name;
  std::string help;
  enum class Kind { Gauge, Counter } kind = Kind::Gauge;
  std::vector<ModuleSample> samples;
};

/// The families of one scrape, from one or more modules. Where client_golang would fail the
/// whole scrape, this keeps what it can and counts the problem:
/// - a name added again with another HELP or type joins the first family (its HELP and type
///   stay) and counts a conflict per sample (client_golang: "has help … but should have …");
/// - a (name, label set) added again keeps the first sample and counts a duplicate
///   (client_golang: "was collected before with the same name and label values");
/// - a sample with a label name twice is dropped and counted invalid (client_golang: "duplicate
///   label names").
/// Not thread-safe; build on one thread, then read from any number.
class ModuleFamilies {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;

  /// A family resolved once for many add() calls (what renderModule uses).
  struct Handle {
    size_t index = 0;
    bool conflict = false;  // the family exists with another HELP or type
  };

  /// The family `name`, created with `help` and `kind` if it is new.
  Handle family(std::string_view name, std::string_view help, ModuleFamily::Kind kind);
  /// Adds one sample to the family of `handle`.
  void add(Handle handle, Labels labels, double value);
  /// family() then add().
  void add(std::string_view name, std::string_view help, ModuleFamily::Kind kind, Labels labels,
           double value);

  /// Samples kept (duplicates and invalid ones are not).
  size_t series() const { return series_; }
  size_t duplicates() const { return duplicates_; }
  size_t conflicts() const { return conflicts_; }
  /// Samples dropped because client_golang would refuse them (see the class comment; also what
  /// renderModule counts where snmp_exporter returns an invalid metric, e.g. a Bits value that
  /// is not an OCTET STRING).
  size_t invalid() const { return invalid_; }
  void countInvalid(size_t n = 1) { invalid_ += n; }

  /// The families in the order they were first added, each sample's labels sorted by name,
  /// samples in the order added. A family may be empty (resolved but never added to).
  const std::vector<ModuleFamily>& families() const { return families_; }

  /// Appends Prometheus text 0.0.4 as client_golang writes it: families sorted by name, each
  /// with `# HELP` and `# TYPE`, samples sorted by their label values in label-name order (fewer
  /// labels first), empty families left out. Label values are escaped (and made valid UTF-8),
  /// values written by appendDouble (the shortest round-trip form: "123456789012" where Go
  /// writes "1.23456789012e+11"; the same number). Thread-safe for concurrent readers.
  void appendText(std::string& out) const;

 private:
  // Per family: the samples' label hashes and an open-addressing table of sample indexes, to
  // find duplicates without a node allocation per sample.
  struct Dedupe {
    std::vector<uint64_t> hashes;
    std::vector<uint32_t> table;  // sample index + 1, 0 = empty; size a power of two
  };
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  bool insertUnique(size_t family, uint64_t hash, const Labels& labels);

  std::vector<ModuleFamily> families_;
  std::vector<Dedupe> dedupe_;
  std::unordered_map<std::string, size_t, NameHash, std::equal_to<>> index_;
  size_t series_ = 0;
  size_t duplicates_ = 0;
  size_t conflicts_ = 0;
  size_t invalid_ = 0;
};

struct RenderOptions {
  /// snmp_exporter's --snmp.wrap-large-counters (default on): Counter64 values modulo 2^53, so
  /// that a double holds them exactly.
  bool wrapLargeCounters = true;
};

/// Appends the series of `module` found in `pdus` to `out`: snmp_exporter's collect() for one
/// module after its walk, without the snmp_scrape_* series (addScrapeMeta). `pdus` may hold the
/// varbinds of other modules too: each varbind is matched to the metric with the shortest OID
/// that is a prefix of its own (snmp_exporter's metric tree), varbinds under no metric are
/// ignored, and lookups read any varbind of `pdus`. A metric or label name that Prometheus text
/// cannot hold is written as snmp_exporter writes it (each such character as '_'); one that
/// snmp_exporter refuses (not UTF-8, a label name starting "__") drops the samples that carry
/// it, counted as invalid.
///
/// The module's metric tree and per-metric plans are compiled on the first call and kept with
/// the Module (Module::derived), so the Module must not change afterwards. Thread-safe: any
/// number of threads may render the same Module, each into its own `out`.
void renderModule(const Module& module, const PduTable& pdus, ModuleFamilies& out,
                  const RenderOptions& options = {});

/// What snmp_exporter reports about one module's walk (collector.go collect()).
struct ModuleScrapeStats {
  double walkSeconds = 0;
  double durationSeconds = 0;
  uint64_t packetsSent = 0;
  uint64_t packetsRetried = 0;
  uint64_t pdusReturned = 0;
};

/// Adds snmp_exporter's per-module meta series, each a gauge labelled {module="<module>"} with
/// upstream's HELP: snmp_scrape_walk_duration_seconds, snmp_scrape_duration_seconds,
/// snmp_scrape_packets_sent, snmp_scrape_packets_retried, snmp_scrape_pdus_returned.
void addScrapeMeta(ModuleFamilies& out, const std::string& module, const ModuleScrapeStats& stats);

}  // namespace promsnmp
