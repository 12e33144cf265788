// Module file load (issue 14): what loadModuleFiles costs on a file of the size and shape of
// snmp_exporter's generated snmp.yml (about 2 MB, 63,000 lines, 46-53 modules). The file is
// generated here, deterministic, in the current format: 2 auths, 50 modules of 100 metrics
// each; the metrics are scalars and table columns with one to three indexes (gauge, Integer32,
// OctetString with fixed_size, InetAddress), a third of the columns with lookups (DisplayString
// by ifIndex, some with drop_source_indexes), enum_values on the states and EnumAsInfo metrics,
// help texts of one or two lines, a few regex_extracts, scale and offset; walk and get lists.
//
// Figures (one process):
//   load          loadModuleFiles on the file: read, parse, check, build the ModuleSet; the
//                 median (and min, max) of RUNS loads, each after the previous set is freed;
//   heap          bytes of heap the loaded ModuleSet keeps (glibc mallinfo2, after minus before);
//   peak RSS      the process's peak RSS (VmHWM) during the first load, minus its RSS before:
//                 the transient cost of parsing, events and all;
//   YAML only     yaml-cpp's event parser on the same text with a handler that does nothing:
//                 the floor under any loader built on yaml-cpp;
//   YAML::Load    yaml-cpp's node tree of the text (what the loader does not build), its time
//                 and the heap it holds, for comparison.
//
// Usage: modules_load_bench DIR [RUNS] [FILE]
//   DIR   a directory for the generated file
//   FILE  load this file instead of generating one (e.g. upstream's snmp.yml, by hand)
// Prints a Markdown table on stdout.
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>

#include "modules/ModuleLoader.h"

namespace {

/// A deterministic generator (xorshift), so every run writes the same file.
class Random {
 public:
  uint32_t next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    return state_;
  }
  uint32_t below(uint32_t n) { return next() % n; }

 private:
  uint32_t state_ = 2463534242U;
};

const char* const kWords[] = {"The",     "number",  "of",      "octets",  "received",   "on",
                              "this",    "entry",   "status",  "value",   "current",    "table",
                              "index",   "device",  "sensor",  "power",   "supply",     "interface",
                              "counter", "errors",  "packets", "since",   "agent",      "last",
                              "reset",   "default", "memory",  "storage", "temperature"};

std::string sentence(Random& random, int words) {
  std::string out;
  for (int i = 0; i < words; ++i) {
    out += (i == 0 ? "" : " ");
    out += kWords[random.below(sizeof kWords / sizeof kWords[0])];
  }
  return out;
}

/// The synthetic snmp.yml.
std::string generate() {
  Random random;
  std::ostringstream out;
  out << "# Synthetic module file of the size and shape of snmp_exporter's generated snmp.yml.\n"
         "auths:\n"
         "  public_v1:\n    community: public\n    security_level: noAuthNoPriv\n"
         "    auth_protocol: MD5\n    priv_protocol: DES\n    version: 1\n"
         "  public_v2:\n    community: public\n    security_level: noAuthNoPriv\n"
         "    auth_protocol: MD5\n    priv_protocol: DES\n    version: 2\n"
         "modules:\n";
  for (int m = 0; m < 50; ++m) {
    const std::string base = "1.3.6.1.4.1." + std::to_string(2000 + m * 37);
    out << "  vendor_" << m << ":\n    walk:\n";
    for (int w = 0; w < 8; ++w) {
      out << "    - " << base << ".1." << w + 1 << "\n";
    }
    out << "    get:\n    - 1.3.6.1.2.1.1.3.0\n    - " << base << ".2.1.0\n";
    if (m % 10 == 0) {
      out << "    max_repetitions: 50\n    retries: 2\n    timeout: 10s\n";
    }
    out << "    metrics:\n";
    for (int k = 0; k < 100; ++k) {
      const int table = k / 12 + 1;
      const bool scalar = k % 12 == 0;
      const std::string oid = base + ".1." + std::to_string(table) + (scalar ? ".0." : ".1.1.") +
                              std::to_string(k % 12 + 1);
      const std::string name = "vendor" + std::to_string(m) + "Entry" + std::to_string(k);
      const uint32_t kind = random.below(10);
      const char* type = kind < 5   ? "gauge"
                         : kind < 7 ? "counter"
                         : kind < 9 ? "DisplayString"
                                    : "EnumAsInfo";
      out << "    - name: " << name << "\n      oid: " << oid << "\n      type: " << type
          << "\n      help: " << sentence(random, 8 + static_cast<int>(random.below(8)));
      if (random.below(2) == 0) {
        out << "\n        " << sentence(random, 10) << " - " << oid;
      }
      out << "\n";
      if (!scalar) {
        out << "      indexes:\n      - labelname: "
            << "vendor" << m << "Index" << table << "\n        type: gauge\n";
        if (table % 3 == 0) {
          out << "      - labelname: vendor" << m << "Name\n        type: OctetString\n"
              << "        fixed_size: 8\n";
        }
        if (table % 4 == 0) {
          out << "      - labelname: vendor" << m << "AddrType\n        type: gauge\n"
              << "      - labelname: vendor" << m << "Addr\n        type: InetAddress\n";
        }
        if (k % 3 == 0) {
          out << "      lookups:\n      - labels:\n        - vendor" << m << "Index" << table
              << "\n        labelname: vendor" << m << "Descr\n        oid: " << base << ".1."
              << table << ".1.1.2\n        type: DisplayString\n";
          if (k % 9 == 0) {
            out << "        drop_source_indexes: true\n";
          }
        }
      }
      if (kind == 9 || k % 7 == 0) {
        out << "      enum_values:\n";
        for (int e = 1; e <= 6; ++e) {
          out << "        " << e << ": state" << e << "\n";
        }
      }
      if (k % 40 == 5) {
        out << "      regex_extracts:\n        Temp:\n        - value: $1\n"
            << "          regex: ^([0-9]+)C$\n";
      }
      if (k % 30 == 7) {
        out << "      scale: 0.1\n      offset: -273.15\n";
      }
    }
  }
  return out.str();
}

long statusKb(const char* field) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field, 0) == 0) {
      return std::stol(line.substr(std::string(field).size()));
    }
  }
  return 0;
}

size_t heapInUse() { return mallinfo2().uordblks; }

/// Counts yaml-cpp's events (and keeps nothing): the parse alone.
class EventCount : public YAML::EventHandler {
 public:
  size_t nodes = 0;
  size_t scalarBytes = 0;

  void OnDocumentStart(const YAML::Mark&) override { nodes = scalarBytes = 0; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override { ++nodes; }
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { ++nodes; }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string& value) override {
    ++nodes;
    scalarBytes += value.size();
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    ++nodes;
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    ++nodes;
  }
  void OnMapEnd() override {}
};

/// `runs` timings of `f`, in milliseconds, sorted.
template <class F>
std::vector<double> timed(int runs, F&& f) {
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    f();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  return ms;
}

double mib(double bytes) { return bytes / (1024.0 * 1024.0); }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: modules_load_bench DIR [RUNS] [FILE]\n";
    return 64;
  }
  const std::string dir = argv[1];
  const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 21;
  std::string file = argc > 3 ? argv[3] : "";
  if (file.empty()) {
    file = dir + "/snmp.yml";
    std::ofstream(file) << generate();
  }
  std::ifstream in(file, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  const size_t lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));

  // The first load, in a process that has not loaded yet: peak RSS and retained heap.
  std::ofstream("/proc/self/clear_refs") << "5";  // resets VmHWM to the current RSS
  const long rssBefore = statusKb("VmRSS:");
  const size_t heapBefore = heapInUse();
  size_t modules = 0;
  size_t auths = 0;
  size_t metrics = 0;
  size_t retained = 0;
  long peakKb = 0;
  {
    promsnmp::ModuleSet set = promsnmp::loadModuleFiles({file});
    retained = heapInUse() - heapBefore;
    peakKb = statusKb("VmHWM:") - rssBefore;
    modules = set.modules.size();
    auths = set.auths.size();
    for (const auto& [name, module] : set.modules) {
      metrics += module->metrics.size();
    }
  }
  peakKb = std::max(0L, peakKb);

  const std::vector<double> ms = timed(runs, [&] { promsnmp::loadModuleFiles({file}); });
  const int fewer = std::max(3, runs / 3);
  EventCount counted;
  const std::vector<double> yamlOnly = timed(fewer, [&] {
    std::istringstream stream(text);
    YAML::Parser parser(stream);
    parser.HandleNextDocument(counted);
  });
  size_t treeHeap = 0;
  const std::vector<double> tree = timed(fewer, [&] {
    const size_t before = heapInUse();
    const YAML::Node node = YAML::Load(text);
    treeHeap = heapInUse() - before;
  });

  std::printf("| figure | value |\n|---|---:|\n");
  std::printf("| file | %.2f MB, %zu lines, %zu modules, %zu auths, %zu metrics |\n",
              text.size() / 1e6, lines, modules, auths, metrics);
  std::printf("| load, median of %d | %.1f ms |\n", runs, ms[ms.size() / 2]);
  std::printf("| load, min – max | %.1f – %.1f ms |\n", ms.front(), ms.back());
  std::printf("| heap kept by the loaded ModuleSet | %.1f MiB |\n",
              mib(static_cast<double>(retained)));
  std::printf("| peak RSS during the first load, above the RSS before it | %.1f MiB |\n",
              peakKb / 1024.0);
  std::printf("| yaml-cpp event parse alone (%zu nodes), median of %d | %.1f ms |\n", counted.nodes,
              fewer, yamlOnly[yamlOnly.size() / 2]);
  std::printf("| yaml-cpp YAML::Load tree (not used), median of %d | %.1f ms, %.1f MiB of heap |\n",
              fewer, tree[tree.size() / 2], mib(static_cast<double>(treeHeap)));
  return 0;
}
