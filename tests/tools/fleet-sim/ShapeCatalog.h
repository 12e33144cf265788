#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "Shape.h"

namespace fleetsim {

/// All shapes the simulator serves: for each interface count in use ("group"), one Shape per
/// recording, found by community. Immutable after load().
class ShapeCatalog {
 public:
  /// Reads the recordings (files and data directories, like snmpsimd: community = relative
  /// path without .snmprec/.snmprec.gz) and builds a shape per recording per interface count,
  /// with the synthesized HOST-RESOURCES-MIB tables when `hostResources`.
  /// Throws Poco::DataFormatException / Poco::FileException.
  void load(const std::vector<std::string>& dataDirs, const std::vector<std::string>& files,
            const std::vector<unsigned>& interfaceCounts, bool hostResources);

  /// The group serving `interfaces`; load() must have been given that count.
  size_t groupOf(unsigned interfaces) const;
  /// The shape of `community` in `group`, or nullptr. Thread-safe.
  const Shape* find(size_t group, std::string_view community) const;
  /// One line per shape for the start-up summary.
  std::string describe() const;

 private:
  std::vector<unsigned> interfaceCounts_;
  std::vector<std::vector<std::unique_ptr<Shape>>> groups_;
};

}  // namespace fleetsim
