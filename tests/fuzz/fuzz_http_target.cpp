// The scrape request at our boundary: what HttpApi::scrape takes from any HTTP client and hands
// to Collector::scrape. Input lines: 1 the request URI ("/snmp?target=a&x=y"), 2 the Accept
// header, 3 (if present) X-Prometheus-Scrape-Timeout-Seconds, 4 Accept-Encoding, 5 if not empty:
// empty the cache first (as /promsnmp/evictCache does), so the scrape polls live.
//
// HttpApi's own helpers (query(), hasQuery(), acceptsGzip()) are in an anonymous namespace in
// HttpApi.cpp, and HttpApi::handle needs a live Poco HTTPServerRequest, so this target does what
// they do with the same public pieces — Poco::URI, getQueryParameters(), first `target` wins,
// std::stod for the timeout header (a std::exception is the 400) — and then calls the real
// Collector::scrape and negotiate() on a collector whose inventory has a few devices (polled
// through FakeSnmpClient, synchronously; the FakeClock never moves, so after the first poll of
// a device every scrape is a cache hit).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include "collection/Collector.h"
#include "collection/DevicePoller.h"
#include "common/FakeClock.h"
#include "exposition/Exposition.h"
#include "exposition/SelfMetrics.h"
#include "inventory/InventoryState.h"
#include "inventoryfs/DirectorySlotStore.h"
#include "inventoryfs/InventoryStore.h"
#include "inventoryfs/Keyring.h"
#include "snmp/FakeSnmpClient.h"

using namespace promsnmp;
using common::FakeClock;

namespace {

void check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

inventoryfs::Device device(const std::string& name, const std::string& address) {
  inventoryfs::Device d;
  d.sysName = name;
  inventoryfs::Agent a;
  a.version = 1;
  a.endpoint = inventoryfs::Endpoint{address, 161};
  a.readCommunity = "public";
  d.agents.push_back(a);
  d.primaryAgent = a;
  return d;
}

/// Everything a Collector needs, built once per process in a temporary directory (removed at
/// exit; the objects themselves are leaked on purpose, as libFuzzer exits without unwinding).
struct Site {
  std::string dir;
  std::unique_ptr<inventoryfs::Keyring> keys;
  std::unique_ptr<inventoryfs::DirectorySlotStore> slots;
  std::unique_ptr<inventoryfs::InventoryStore> store;
  std::unique_ptr<InventoryState> inventory;
  FakeSnmpClient snmp;
  std::unique_ptr<DevicePoller> poller;
  std::unique_ptr<SelfMetrics> metrics;
  FakeClock clock;
  std::unique_ptr<Collector> collector;

  Site() {
    char pattern[] = "/tmp/promsnmp-fuzz-http.XXXXXX";
    check(::mkdtemp(pattern) != nullptr);
    dir = pattern;
    keys = std::make_unique<inventoryfs::Keyring>(
        inventoryfs::Keyring::deriveKey("fuzz http target", "fuzz"));
    slots = std::make_unique<inventoryfs::DirectorySlotStore>(dir + "/inventory.json");
    store = std::make_unique<inventoryfs::InventoryStore>(*slots, *keys);
    inventoryfs::Inventory initial;
    inventoryfs::Device bare;  // a device without agents: "has no SNMP agent"
    bare.sysName = "bare";
    initial.devices = {device("a", "127.0.0.1"), device("r\xC3\xA9seau 1&2", "::1"),
                       device("c", "router.example"), bare};
    store->init(initial, "fuzz");
    inventory = std::make_unique<InventoryState>(*store, *keys, nullptr, std::chrono::hours(1));
    check(inventory->start());
    snmp.setTimeTicks("1.3.6.1.2.1.1.3.0", 5000);
    snmp.setInteger("1.3.6.1.2.1.2.1.0", 1);
    snmp.setString("1.3.6.1.2.1.2.2.1.2.1", "eth0");
    snmp.setInteger("1.3.6.1.2.1.2.2.1.8.1", 1);
    snmp.setCounter64("1.3.6.1.2.1.31.1.1.1.6.1", 12345);
    poller = std::make_unique<DevicePoller>(snmp);
    metrics = std::make_unique<SelfMetrics>(false);
    Collector::Options options;
    options.mode = Collector::Mode::Scraped;
    options.cacheTtl = std::chrono::minutes(5);
    collector = std::make_unique<Collector>(*inventory, *poller, *metrics, clock, options);
  }
};

Site& site() {
  static Site* s = [] {
    auto* made = new Site();
    static const std::string dir = made->dir;
    std::atexit([] { std::filesystem::remove_all(dir); });
    return made;
  }();
  return *s;
}

std::string_view takeLine(std::string_view& rest, bool& present) {
  present = !rest.empty();
  size_t nl = rest.find('\n');
  std::string_view line = rest.substr(0, nl);
  rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 8192) {
    return 0;  // POCO limits a request line and each header field to 8 KB
  }
  Site& s = site();
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  bool present = false;
  const std::string uriText(takeLine(rest, present));
  const std::string accept(takeLine(rest, present));
  bool hasTimeout = false;
  const std::string timeoutText(takeLine(rest, hasTimeout));
  bool hasEncoding = false;
  const std::string encoding(takeLine(rest, hasEncoding));
  bool hasEvict = false;
  const bool evict = !takeLine(rest, hasEvict).empty();

  // negotiate() and contentType() are pure and must take any header.
  const ExpositionFormat format = negotiate(accept);
  check(!contentType(format).empty());

  // HttpApi::query(request, "target"): the first parameter of that name, URL-decoded.
  std::string target;
  bool found = false;
  try {
    Poco::URI uri(uriText);
    (void)uri.getPath();
    for (const auto& [key, value] : uri.getQueryParameters()) {
      if (key == "target" && !found) {
        target = value;
        found = true;
      }
    }
    (void)uri.toString();
  } catch (const Poco::Exception&) {
    return 0;  // HttpApi::handle answers 500 with the reason
  }
  if (target.empty()) {
    return 0;  // 400 "Required parameter 'target' is not present."
  }

  // HttpApi::scrape: std::stod of the header; a std::exception is a 400.
  std::optional<double> timeout;
  if (hasTimeout) {
    try {
      timeout = std::stod(timeoutText);
    } catch (const std::exception&) {
      return 0;
    }
  }
  const bool gzip = hasEncoding && encoding.find("gzip") != std::string::npos;

  if (evict) {
    s.collector->evictCache();
  }
  ScrapeReply reply = s.collector->scrape(target, accept.empty() ? "*/*" : accept, timeout, gzip);
  // A device answers to its sysName, its agent's address, and "address:port" ("[v6]:port").
  const bool known = target == "a" || target == "127.0.0.1" || target == "127.0.0.1:161" ||
                     target == "r\xC3\xA9seau 1&2" || target == "::1" || target == "[::1]:161" ||
                     target == "c" || target == "router.example" || target == "router.example:161";
  if (!known) {
    check(reply.status == 404 && !reply.body.empty());
    return 0;
  }
  check(reply.status == 200);
  check(reply.contentType ==
        std::string(contentType(accept.empty() ? ExpositionFormat::PrometheusText : format)));
  check(reply.contentEncoding.empty() || reply.contentEncoding == "gzip");
  check(!reply.body.empty());
  return 0;
}
