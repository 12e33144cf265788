#include "Options.h"

#include <charconv>
#include <cstdlib>
#include <string_view>

#include <Poco/Exception.h>

namespace fleetsim {
namespace {

template <typename T>
T number(std::string_view option, std::string_view text) {
  T v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw Poco::InvalidArgumentException(std::string(option) + ": not a number", std::string(text));
  }
  return v;
}

}  // namespace

std::string usage() {
  return R"(usage: snmp-fleet-sim [options]

Serves snmpsim .snmprec recordings over SNMP v1/v2c (GET, GETNEXT, GETBULK) to many simulated
devices at once: one UDP socket, one epoll loop; a device is the destination address of a
request (any of 127.0.0.0/8 on loopback), the recording is chosen by the community.

recordings (at least one):
  --data-dir DIR        every *.snmprec and *.snmprec.gz below DIR; the community is the path
                        relative to DIR without the extension (as snmpsimd)
  --recording FILE      one recording; the community is its file name without the extension

addresses:
  --listen ADDR[:PORT]  address to bind (default 0.0.0.0; port 1161)
  --port PORT           UDP port (default 1161)
  --devices SPEC        addresses answered: A.B.C.D, A.B.C.D-E.F.G.H or A.B.C.D/LEN, each
                        optionally :N for N synthesized interfaces; repeatable. Default: every
                        address the socket receives on
  --interfaces N        replace the recording's ifTable/ifXTable by N synthesized interfaces
                        (default 0: keep the recording's)
  --host-resources      replace the recording's HOST-RESOURCES-MIB storage and device groups
                        (1.3.6.1.2.1.25.2 and .25.3) by synthesized ones on every device:
                        hrMemorySize, an 8-row hrStorageTable (net-snmp's memory rows, / and
                        /var) and 4 processors in hrDeviceTable and hrProcessorTable;
                        hrStorageUsed and hrProcessorLoad move over time

behaviour:
  --latency-ms X|A-B    delay every response by X ms, or uniformly A..B ms
  --loss P              drop this fraction (0..1) of requests at random
  --seed S              seed of loss, latency and per-device variation (default 1)
  --max-varbinds N      varbinds per GETBULK response (default 64, as snmpsimd)
  --max-size BYTES      largest response message (default 65507); larger: tooBig
  --keep-sysname        serve the recording's sysName instead of sim-<address>
  --static-counters     serve recorded counters and sysUpTime without per-device drift
                        (numeric variations still advance); for comparing with snmpsimd
  --stats-interval SEC  print request rates to stderr every SEC seconds (default 10, 0 = off)
  --help                this text

Exit: 0 on SIGTERM/SIGINT, 64 bad usage, 78 bad recording, 1 cannot serve.
)";
}

Options parseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    bool hasValue = false;
    if (size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      hasValue = true;
    }
    auto next = [&]() -> std::string_view {
      if (hasValue) {
        return value;
      }
      if (i + 1 >= argc) {
        throw Poco::InvalidArgumentException(std::string(arg) + " needs a value");
      }
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      o.help = true;
    } else if (arg == "--data-dir") {
      o.dataDirs.emplace_back(next());
    } else if (arg == "--recording") {
      o.recordings.emplace_back(next());
    } else if (arg == "--listen") {
      std::string_view v = next();
      if (size_t colon = v.rfind(':'); colon != std::string_view::npos) {
        o.port = number<uint16_t>(arg, v.substr(colon + 1));
        v = v.substr(0, colon);
      }
      o.listenAddress = std::string(v);
    } else if (arg == "--port") {
      o.port = number<uint16_t>(arg, next());
    } else if (arg == "--devices") {
      o.devices.emplace_back(next());
    } else if (arg == "--interfaces") {
      o.interfaces = number<unsigned>(arg, next());
      // 100,000 interfaces are a 4-million-entry shape (~300 MB); more is not a device.
      if (o.interfaces > 100000) {
        throw Poco::InvalidArgumentException("--interfaces: at most 100000");
      }
    } else if (arg == "--latency-ms") {
      std::string_view v = next();
      size_t dash = v.find('-');
      o.latencyMinMs = number<double>(arg, v.substr(0, dash));
      o.latencyMaxMs =
          dash == std::string_view::npos ? o.latencyMinMs : number<double>(arg, v.substr(dash + 1));
      if (o.latencyMinMs < 0 || o.latencyMaxMs < o.latencyMinMs) {
        throw Poco::InvalidArgumentException("--latency-ms: want X or MIN-MAX, MIN <= MAX");
      }
    } else if (arg == "--loss") {
      o.loss = number<double>(arg, next());
      if (o.loss < 0 || o.loss > 1) {
        throw Poco::InvalidArgumentException("--loss: want 0..1");
      }
    } else if (arg == "--seed") {
      o.seed = number<uint64_t>(arg, next());
    } else if (arg == "--max-varbinds") {
      o.maxVarbinds = number<size_t>(arg, next());
      if (o.maxVarbinds == 0) {
        throw Poco::InvalidArgumentException("--max-varbinds: at least 1");
      }
    } else if (arg == "--max-size") {
      o.maxSize = number<size_t>(arg, next());
      if (o.maxSize < 484 || o.maxSize > 65507) {
        throw Poco::InvalidArgumentException("--max-size: want 484..65507");
      }
    } else if (arg == "--keep-sysname") {
      o.keepSysName = true;
    } else if (arg == "--host-resources") {
      o.hostResources = true;
    } else if (arg == "--static-counters") {
      o.staticCounters = true;
    } else if (arg == "--stats-interval") {
      o.statsInterval = number<double>(arg, next());
    } else {
      throw Poco::InvalidArgumentException("unknown option", std::string(arg));
    }
  }
  if (!o.help && o.dataDirs.empty() && o.recordings.empty()) {
    throw Poco::InvalidArgumentException("no recordings: give --data-dir or --recording");
  }
  return o;
}

}  // namespace fleetsim
