// snmp-fleet-sim: see usage() in Options.cpp.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include <Poco/Exception.h>

#include "DeviceMap.h"
#include "Options.h"
#include "ShapeCatalog.h"
#include "UdpServer.h"

int main(int argc, char** argv) {
  using namespace fleetsim;
  Options options;
  DeviceMap devices;
  std::vector<unsigned> interfaceCounts;
  try {
    options = parseOptions(argc, argv);
    if (options.help) {
      std::cout << usage();
      return 0;
    }
    for (const std::string& spec : options.devices) {
      devices.add(DeviceMap::parse(spec, options.interfaces));
    }
    interfaceCounts.push_back(options.interfaces);
    for (const DeviceRange& r : devices.ranges()) {
      if (std::find(interfaceCounts.begin(), interfaceCounts.end(), r.interfaces) ==
          interfaceCounts.end()) {
        interfaceCounts.push_back(r.interfaces);
      }
    }
  } catch (const Poco::Exception& e) {
    std::fprintf(stderr, "snmp-fleet-sim: %s\n(see --help)\n", e.displayText().c_str());
    return 64;
  }
  ShapeCatalog catalog;
  try {
    catalog.load(options.dataDirs, options.recordings, interfaceCounts, options.hostResources);
  } catch (const Poco::Exception& e) {
    std::fprintf(stderr, "snmp-fleet-sim: %s\n", e.displayText().c_str());
    return 78;
  }
  try {
    UdpServer server(options, catalog, devices);
    std::string ranges;
    for (const DeviceRange& r : devices.ranges()) {
      if (!ranges.empty()) {
        ranges += ',';
      }
      ranges += formatIpv4(r.first);
      ranges += '-';
      ranges += formatIpv4(r.last);
      ranges += ':';
      ranges += std::to_string(r.interfaces);
    }
    std::fputs(catalog.describe().c_str(), stderr);
    std::fprintf(stderr,
                 "fleet-sim listening address=%s:%u devices=%s ranges=%s max_varbinds=%zu "
                 "max_size=%zu latency_ms=%g-%g loss=%g seed=%llu keep_sysname=%d "
                 "static_counters=%d host_resources=%d\n",
                 options.listenAddress.c_str(), options.port,
                 devices.ranges().empty() ? "any" : std::to_string(devices.deviceCount()).c_str(),
                 ranges.empty() ? "any" : ranges.c_str(), options.maxVarbinds, options.maxSize,
                 options.latencyMinMs, options.latencyMaxMs, options.loss,
                 static_cast<unsigned long long>(options.seed), options.keepSysName,
                 options.staticCounters, options.hostResources);
    server.run();
  } catch (const Poco::Exception& e) {
    std::fprintf(stderr, "snmp-fleet-sim: %s\n", e.displayText().c_str());
    return 1;
  }
  return 0;
}
