#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fleetsim {

/// Command line of snmp-fleet-sim, with every default.
struct Options {
  std::vector<std::string> dataDirs;    // --data-dir: every *.snmprec[.gz] below, like snmpsimd
  std::vector<std::string> recordings;  // --recording: one file, community = its base name
  std::string listenAddress = "0.0.0.0";
  uint16_t port = 1161;
  std::vector<std::string> devices;  // --devices specs; none = answer on every address
  unsigned interfaces = 0;           // 0 = serve the recording's own ifTable/ifXTable
  double latencyMinMs = 0;
  double latencyMaxMs = 0;
  double loss = 0;
  uint64_t seed = 1;
  size_t maxVarbinds = 64;
  size_t maxSize = 65507;
  bool keepSysName = false;
  bool staticCounters = false;
  bool hostResources = false;  // --host-resources: synthesized HOST-RESOURCES-MIB tables
  double statsInterval = 10;
  bool help = false;
};

/// Parses argv. Throws Poco::InvalidArgumentException with a message naming the option.
Options parseOptions(int argc, char** argv);

/// The --help text.
std::string usage();

}  // namespace fleetsim
