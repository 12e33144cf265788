// Inventory commit and load times for inventories of 100, 1,000 and 10,000 devices, on a real
// directory (ext4 here; fsyncs included). Prints a Markdown table of medians.
//
// commit = serialise + encrypt + write temp + fsync + link + head rename + directory fsync,
//          through InventoryStore::commit (the path every writer takes), minus nothing.
// load   = open head + read + probe + decrypt + parse, through InventoryStore::load on a
//          fresh store (a reader that has not seen the version yet).
//
// Usage: inventory_bench [DIR] [RUNS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "inventoryfs/DirectorySlotStore.h"
#include "inventoryfs/Envelope.h"
#include "inventoryfs/InventoryJson.h"
#include "inventoryfs/InventoryStore.h"

using namespace inventoryfs;
using Clock = std::chrono::steady_clock;

namespace {

/// A device as discovery writes it: one v2c agent (also copied as primaryAgent), a Cisco-length
/// sysDescr, location and contact.
Device makeDevice(size_t i) {
  Device d;
  d.id = newUuid();
  d.sysName = "sw-" + std::to_string(i) + ".pop1.example.net";
  d.sysDescr =
      "Cisco IOS Software, C3750E Software (C3750E-UNIVERSALK9-M), Version 15.0(2)SE11, "
      "RELEASE SOFTWARE (fc3) Technical Support: http://www.cisco.com/techsupport";
  d.sysContact = "noc@example.net";
  d.sysLocation = "Row " + std::to_string(i % 40) + ", rack " + std::to_string(i % 17);
  d.discoveredAt = nowInstant();
  Agent a;
  a.id = newUuid();
  a.endpoint = Endpoint{"10." + std::to_string((i >> 16) & 255) + "." +
                            std::to_string((i >> 8) & 255) + "." + std::to_string(i & 255),
                        161};
  a.version = 1;
  a.timeoutMs = 1000;
  a.retries = 1;
  a.discoveredAt = d.discoveredAt;
  a.readCommunity = "public";
  d.agents.push_back(a);
  d.primaryAgent = a;
  return d;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
  std::string base = argc > 1 ? argv[1] : "/tmp";
  int runs = argc > 2 ? std::atoi(argv[2]) : 15;
  Keyring keys(Keyring::deriveKey("benchmark key", "bench"));

  std::printf(
      "| devices | file size | commit median | commit min | load median | load min | "
      "of which JSON parse | of which decrypt |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (size_t n : {100u, 1000u, 10000u}) {
    std::string dir = base + "/inventory-bench-" + std::to_string(n);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    DirectorySlotStore slots(dir + "/promsnmp-inventory.json");
    Inventory inventory;
    for (size_t i = 0; i < n; ++i) {
      inventory.devices.push_back(makeDevice(i));
    }
    InventoryStore writer(slots, keys);
    writer.init(Inventory{}, "bench");

    std::vector<double> commit;
    std::vector<double> load;
    std::vector<double> parse;
    std::vector<double> decrypt;
    size_t fileSize = 0;
    for (int r = 0; r < runs; ++r) {
      // Each run rewrites the whole inventory (one changed location), as a discovery run does.
      inventory.devices[r % n].sysLocation = "moved " + std::to_string(r);
      auto t0 = Clock::now();
      writer.commit(1, [&](Inventory& current) { current = inventory; });
      commit.push_back(ms(Clock::now() - t0));

      InventoryStore reader(slots, keys);
      auto t1 = Clock::now();
      Snapshot s = reader.load();
      load.push_back(ms(Clock::now() - t1));
      if (s.inventory.devices.size() != n) {
        std::fprintf(stderr, "load returned %zu devices, expected %zu\n",
                     s.inventory.devices.size(), n);
        return 1;
      }
      std::string bytes = *slots.readHead(512u << 20);
      fileSize = bytes.size();
      auto t2 = Clock::now();
      Opened opened = open(bytes, keys);
      decrypt.push_back(ms(Clock::now() - t2));
      auto t3 = Clock::now();
      Inventory parsed = inventoryFromJson(opened.plaintext);
      parse.push_back(ms(Clock::now() - t3));
    }
    std::printf("| %zu | %.1f MB | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.1f ms |\n",
                n, fileSize / 1e6, median(commit), *std::min_element(commit.begin(), commit.end()),
                median(load), *std::min_element(load.begin(), load.end()), median(parse),
                median(decrypt));
    std::filesystem::remove_all(dir);
  }
  return 0;
}
