#include "collection/Collector.h"

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <thread>

#include <Poco/InflatingStream.h>
#include <Poco/Logger.h>
#include <Poco/StreamChannel.h>
#include <cppunit/extensions/HelperMacros.h>

#include "common/FakeClock.h"
#include "inventoryfs/DirectorySlotStore.h"
#include "modules/ModulePoller.h"
#include "modules/ModuleRegistry.h"
#include "snmp/FakeSnmpClient.h"

using namespace promsnmp;
using common::FakeClock;

namespace {

/// The module "count" (ifNumber) of enableModules' file, also written alone by a test.
const char* const kCountModule =
    "  count:\n"
    "    get: [1.3.6.1.2.1.2.1.0]\n"
    "    metrics:\n"
    "      - name: ifNumber\n"
    "        oid: 1.3.6.1.2.1.2.1\n"
    "        type: gauge\n"
    "        help: The number of network interfaces.\n";

/// Keeps the messages a logger writes while it lives, one per line (the logger's channel and
/// level are restored).
class LogCapture {
 public:
  explicit LogCapture(const std::string& area)
      : logger_(Poco::Logger::get(area)),
        channel_(logger_.getChannel()),
        level_(logger_.getLevel()) {
    logger_.setChannel(new Poco::StreamChannel(text_));
    logger_.setLevel(Poco::Message::PRIO_INFORMATION);
  }
  ~LogCapture() {
    logger_.setChannel(channel_);
    logger_.setLevel(level_);
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    std::istringstream in(text_.str());
    for (std::string line; std::getline(in, line);) {
      out.push_back(line);
    }
    return out;
  }

 private:
  std::ostringstream text_;
  Poco::Logger& logger_;
  Poco::Channel::Ptr channel_;
  int level_;
};

inventoryfs::Device device(const std::string& name, const std::string& community) {
  inventoryfs::Device d;
  d.sysName = name;
  inventoryfs::Agent a;
  a.version = 1;
  a.endpoint = inventoryfs::Endpoint{"127.0.0.1", 161};
  a.readCommunity = community;
  d.agents.push_back(a);
  d.primaryAgent = a;
  return d;
}

/// One interface is enough: the collector's decisions do not depend on the table.
void buildAgent(FakeSnmpClient& f) {
  f.setTimeTicks("1.3.6.1.2.1.1.3.0", 5000);
  f.setInteger("1.3.6.1.2.1.2.1.0", 1);
  f.setString("1.3.6.1.2.1.2.2.1.2.1", "eth0");
  f.setInteger("1.3.6.1.2.1.2.2.1.8.1", 1);
  f.setCounter64("1.3.6.1.2.1.31.1.1.1.6.1", 12345);
}

}  // namespace

class CollectorTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(CollectorTest);
  CPPUNIT_TEST(testAllModePollsEveryDevice);
  CPPUNIT_TEST(testScrapedModePollsOnlyWhatWasScraped);
  CPPUNIT_TEST(testUnknownTargetIs404);
  CPPUNIT_TEST(testHitAfterMiss);
  CPPUNIT_TEST(testInventoryChangeKeepsUnchangedDevices);
  CPPUNIT_TEST(testFailedPollServesStatusOnly);
  CPPUNIT_TEST(testDeviceDownAndUpLoggedOncePerChange);
  CPPUNIT_TEST(testDeviceLeavingDropsItsState);
  CPPUNIT_TEST(testPollFinishingAfterItsDeviceLeftLeavesNothing);
  CPPUNIT_TEST(testStopCancelsTheCyclesPollsInFlight);
  CPPUNIT_TEST(testStopWaitsForAnAbandonedScrapePoll);
  CPPUNIT_TEST(testModuleScrapeIsCachedAndPolledInTheBackground);
  CPPUNIT_TEST(testModuleScrapeRefusals);
  CPPUNIT_TEST(testModuleSetWhoseModulesAllFailReportsEach);
  CPPUNIT_TEST(testModuleSetOfADeviceThatLeftIsDropped);
  CPPUNIT_TEST(testModuleSetNotScrapedForTheCacheLifetimeIsNoLongerPolled);
  CPPUNIT_TEST(testPlainScrapeStaysPromSnmpsWithModulesEnabled);
  CPPUNIT_TEST(testAllModePollsADevicesModulesInsteadOfItsInterfaces);
  CPPUNIT_TEST(testScrapedModePollsADevicesModulesWhenScrapedWithoutModule);
  CPPUNIT_TEST(testChangedDeviceModulesReplaceTheOldSet);
  CPPUNIT_TEST(testUnknownDeviceModuleIsReportedAndTheOthersPolled);
  CPPUNIT_TEST(testDeviceWithNoDefinedModuleOrAnUnknownAuthIsNotPolled);
  CPPUNIT_TEST(testDeviceSetChangedWhilePolledLeavesNoEntry);
  CPPUNIT_TEST(testModuleRemovedWhilePolledLeavesNoEntry);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    char pattern[] = "/tmp/promsnmp-collector.XXXXXX";
    CPPUNIT_ASSERT(::mkdtemp(pattern) != nullptr);
    dir_ = pattern;
    keys_ = std::make_unique<inventoryfs::Keyring>(
        inventoryfs::Keyring::deriveKey("collector test", "test"));
    slots_ = std::make_unique<inventoryfs::DirectorySlotStore>(dir_ + "/inventory.json");
    store_ = std::make_unique<inventoryfs::InventoryStore>(*slots_, *keys_);
    inventoryfs::Inventory initial;
    initial.devices = {device("a", "ca"), device("b", "cb")};
    store_->init(initial, "test");
    inventory_ = std::make_unique<InventoryState>(*store_, *keys_, nullptr, std::chrono::hours(1));
    CPPUNIT_ASSERT(inventory_->start());
    buildAgent(snmp_);
    poller_ = std::make_unique<DevicePoller>(snmp_);
    metrics_ = std::make_unique<SelfMetrics>(false);
  }

  void tearDown() override {
    collector_.reset();
    snmp_.drop();  // a failed test may leave requests held; their senders are gone
    inventory_.reset();
    std::filesystem::remove_all(dir_);
  }

  void testAllModePollsEveryDevice() {
    makeCollector(Collector::Mode::All);
    collector_->collectOnce();
    CPPUNIT_ASSERT_EQUAL(2, polls("interval"));
    // A cycle polls what the last cycle polled, however recently (no overrun here).
    collector_->collectOnce();
    CPPUNIT_ASSERT_EQUAL(4, polls("interval"));
    clock_.advance(std::chrono::seconds(31));
    collector_->collectOnce();
    CPPUNIT_ASSERT_EQUAL(6, polls("interval"));
    // A device a scrape polled since then, within half an interval, is not polled again.
    clock_.advance(std::chrono::minutes(6));  // both entries expire
    CPPUNIT_ASSERT_EQUAL(200, collector_->scrape("a", "*/*", std::nullopt).status);
    CPPUNIT_ASSERT_EQUAL(1, polls("scrape"));
    collector_->collectOnce();
    CPPUNIT_ASSERT_EQUAL(7, polls("interval"));  // "b" only
  }

  void testScrapedModePollsOnlyWhatWasScraped() {
    makeCollector(Collector::Mode::Scraped);
    collector_->collectOnce();
    CPPUNIT_ASSERT_EQUAL(0, polls("interval"));
    CPPUNIT_ASSERT_EQUAL(200, collector_->scrape("a", "*/*", std::nullopt).status);
    CPPUNIT_ASSERT_EQUAL(1, polls("scrape"));
    clock_.advance(std::chrono::seconds(31));
    collector_->collectOnce();
    CPPUNIT_ASSERT_EQUAL(1, polls("interval"));  // "a" only
    // Scrapes older than the cache lifetime no longer keep a device polled here.
    clock_.advance(std::chrono::minutes(6));
    collector_->collectOnce();
    CPPUNIT_ASSERT_EQUAL(1, polls("interval"));
  }

  void testUnknownTargetIs404() {
    makeCollector(Collector::Mode::All);
    ScrapeReply reply = collector_->scrape("zzz", "*/*", std::nullopt);
    CPPUNIT_ASSERT_EQUAL(404, reply.status);
    CPPUNIT_ASSERT(reply.body.find("unknown target 'zzz'") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(0, polls("scrape"));
  }

  void testHitAfterMiss() {
    makeCollector(Collector::Mode::All);
    ScrapeReply first = collector_->scrape("a", "*/*", std::nullopt);
    CPPUNIT_ASSERT(!first.cacheHit);
    CPPUNIT_ASSERT(first.body.find("ifHCInOctets{instance=\"a\"") != std::string::npos);
    ScrapeReply second = collector_->scrape("a", "*/*", std::nullopt);
    CPPUNIT_ASSERT(second.cacheHit);
    CPPUNIT_ASSERT_EQUAL(1, polls("scrape"));
    CPPUNIT_ASSERT_EQUAL(std::string("text/plain; version=0.0.4; charset=utf-8"),
                         second.contentType);
  }

  void testInventoryChangeKeepsUnchangedDevices() {
    makeCollector(Collector::Mode::All);
    collector_->scrape("a", "*/*", std::nullopt);
    collector_->scrape("b", "*/*", std::nullopt);
    store_->commitAdmin([](inventoryfs::Inventory& inventory) {
      inventory.devices[1] = device("b", "new-community");  // b's agent changed
      inventory.devices.push_back(device("c", "cc"));
    });
    inventory_->refresh();  // (or the watcher's own first poll got there first)
    CPPUNIT_ASSERT_EQUAL(uint64_t(2), inventory_->status().version);
    CPPUNIT_ASSERT(collector_->scrape("a", "*/*", std::nullopt).cacheHit);
    CPPUNIT_ASSERT(!collector_->scrape("b", "*/*", std::nullopt).cacheHit);
    CPPUNIT_ASSERT_EQUAL(200, collector_->scrape("c", "*/*", std::nullopt).status);
  }

  void testFailedPollServesStatusOnly() {
    makeCollector(Collector::Mode::All);
    collector_->scrape("a", "*/*", std::nullopt);
    snmp_.setTimeoutTarget("a");
    clock_.advance(std::chrono::minutes(6));  // past the cache lifetime: the next scrape polls
    ScrapeReply reply = collector_->scrape("a", "*/*", std::nullopt);
    CPPUNIT_ASSERT_EQUAL(200, reply.status);
    CPPUNIT_ASSERT(reply.body.find("promsnmp_target_up{target=\"a\"} 0") != std::string::npos);
    CPPUNIT_ASSERT(reply.body.find("ifHCInOctets{") == std::string::npos);
  }

  // Polls record their result in the TransitionLog: three failed cycles give one line, the good
  // one after them another (TransitionLogTest has the formats and the limits).
  void testDeviceDownAndUpLoggedOncePerChange() {
    makeCollector(Collector::Mode::All);
    LogCapture log("promsnmp.collector");
    collector_->collectOnce();
    snmp_.setTimeoutTarget("a");
    for (int cycle = 0; cycle < 3; ++cycle) {
      clock_.advance(std::chrono::seconds(31));
      collector_->collectOnce();
    }
    snmp_.clearTimeoutTarget("a");
    clock_.advance(std::chrono::seconds(31));
    collector_->collectOnce();
    collector_->collectOnce();
    const std::vector<std::string> lines = log.lines();
    CPPUNIT_ASSERT_EQUAL(size_t{2}, lines.size());
    CPPUNIT_ASSERT_EQUAL(std::string("device is down"), lines[0]);
    CPPUNIT_ASSERT_EQUAL(std::string("device is up again"), lines[1]);
  }

  void testDeviceLeavingDropsItsState() {
    makeCollector(Collector::Mode::All);
    collector_->collectOnce();
    std::string before = metrics_->render();
    CPPUNIT_ASSERT(before.find("promsnmp_target_polls_total{target=\"b\"} 1") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(size_t(2), poller_->learnedAgents());
    store_->commitAdmin([](inventoryfs::Inventory& inventory) {
      inventory.devices.pop_back();                     // b leaves
      inventory.devices[0] = device("a", "a-rotated");  // a's agent changed: relearn
    });
    inventory_->refresh();
    std::string after = metrics_->render();
    CPPUNIT_ASSERT(after.find("target=\"b\"") == std::string::npos);
    CPPUNIT_ASSERT(after.find("promsnmp_target_polls_total{target=\"a\"} 1") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(size_t(0), poller_->learnedAgents());
    collector_->collectOnce();
    CPPUNIT_ASSERT_EQUAL(size_t(1), poller_->learnedAgents());
    // Devices coming and going leave nothing behind.
    for (int round = 0; round < 3; ++round) {
      store_->commitAdmin([round](inventoryfs::Inventory& inventory) {
        for (int i = 0; i < 20; ++i) {
          const std::string name = "churn-" + std::to_string(round) + "-" + std::to_string(i);
          inventory.devices.push_back(device(name, name));  // one agent (session) each
        }
      });
      inventory_->refresh();
      collector_->collectOnce();
      CPPUNIT_ASSERT_EQUAL(size_t(21), poller_->learnedAgents());
      store_->commitAdmin([](inventoryfs::Inventory& inventory) { inventory.devices.resize(1); });
      inventory_->refresh();
      CPPUNIT_ASSERT_EQUAL(size_t(1), poller_->learnedAgents());
      CPPUNIT_ASSERT(metrics_->render().find("churn-") == std::string::npos);
    }
  }

  // The cycle's list of due devices is taken when it starts. A device that leaves while its poll
  // runs must not come back with that poll's result (the cache kept 1,000 entries per round of
  // churn), and a device that leaves before its turn is not polled at all.
  void testPollFinishingAfterItsDeviceLeftLeavesNothing() {
    makeCollector(Collector::Mode::All, 1);  // a, then b
    snmp_.setHold(true);
    collector_->start();
    CPPUNIT_ASSERT(snmp_.waitForHeld(1, std::chrono::seconds(5)));  // a's poll runs
    store_->commitAdmin([](inventoryfs::Inventory& inventory) {
      inventory.devices = {device("c", "cc")};  // a and b leave
    });
    inventory_->refresh();
    snmp_.setHold(false);
    snmp_.release();
    waitForFirstCycle();  // the next starts after 30 s
    collector_->stop();
    const std::string text = metrics_->render();
    CPPUNIT_ASSERT_MESSAGE(text,
                           text.find("promsnmp_collection_cycles_total 1\n") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL_MESSAGE("b was polled after it left", 1, polls("interval"));
    CPPUNIT_ASSERT_MESSAGE(text, text.find("target=\"a\"") == std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(text, text.find("promsnmp_cache_entries 0\n") != std::string::npos);
  }

  // Issue 12: stop() returned while polls ran (a cycle with more devices due than
  // maxConcurrentPolls returned at once), and the SNMP client, destroyed later, completed them
  // into a destroyed collector. stop() must cancel them through the client and return only
  // once every callback has run.
  void testStopCancelsTheCyclesPollsInFlight() {
    makeCollector(Collector::Mode::All, 1);  // 2 devices due, 1 poll at a time
    snmp_.setHold(true);                     // the devices do not answer (yet)
    collector_->start();
    CPPUNIT_ASSERT(snmp_.waitForHeld(1, std::chrono::seconds(5)));
    collector_->stop();
    CPPUNIT_ASSERT_EQUAL_MESSAGE("a poll was still in flight after stop()", size_t(0),
                                 snmp_.held());
    CPPUNIT_ASSERT_EQUAL(size_t(1), snmp_.cancellations());
    // Its callback ran before stop() returned (a failed poll), and no poll started after.
    CPPUNIT_ASSERT_EQUAL(1, polls("interval"));
    CPPUNIT_ASSERT(metrics_->render().find("promsnmp_polls_in_flight 0") != std::string::npos);
  }

  // A scrape whose budget runs out leaves its poll running (its result still lands in the cache);
  // that poll's callback holds the collector, so stop() must cancel and wait for it too.
  void testStopWaitsForAnAbandonedScrapePoll() {
    makeCollector(Collector::Mode::All);
    snmp_.setHold(true);
    // 0.6 s minus the 0.5 s margin: a 100 ms budget, then the scrape answers without data.
    ScrapeReply reply = collector_->scrape("a", "*/*", 0.6);
    CPPUNIT_ASSERT_EQUAL(200, reply.status);
    CPPUNIT_ASSERT(reply.body.find("promsnmp_target_up{target=\"a\"} 0") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(size_t(1), snmp_.held());  // abandoned, still running
    collector_->stop();
    CPPUNIT_ASSERT_EQUAL_MESSAGE("the abandoned scrape poll outlived stop()", size_t(0),
                                 snmp_.held());
    CPPUNIT_ASSERT_EQUAL(1, polls("scrape"));
    // Stopped: a scrape serves what the cache has and starts no poll.
    CPPUNIT_ASSERT_EQUAL(200, collector_->scrape("b", "*/*", std::nullopt).status);
    CPPUNIT_ASSERT_EQUAL(size_t(0), snmp_.held());
    CPPUNIT_ASSERT_EQUAL(1, polls("scrape"));
  }

  void testModuleScrapeIsCachedAndPolledInTheBackground() {
    makeCollector(Collector::Mode::Scraped);
    enableModules();
    ScrapeReply first = collector_->scrapeModules(moduleRequest("a", "sys"), "*/*", std::nullopt);
    CPPUNIT_ASSERT_EQUAL(200, first.status);
    CPPUNIT_ASSERT(!first.cacheHit);
    CPPUNIT_ASSERT_MESSAGE(first.body, first.body.find("\nsysUpTime 5000\n") != std::string::npos);
    CPPUNIT_ASSERT(first.body.find("snmp_scrape_packets_sent{module=\"sys\"}") !=
                   std::string::npos);
    CPPUNIT_ASSERT(first.body.find("promsnmp_module_up{module=\"sys\"} 1") != std::string::npos);
    CPPUNIT_ASSERT(first.body.find("promsnmp_target_up{target=\"a\"} 1") != std::string::npos);
    // Java's snmp_scrape_duration_seconds{source} would clash with snmp_exporter's family.
    CPPUNIT_ASSERT(first.body.find("source=\"") == std::string::npos);
    CPPUNIT_ASSERT(first.body.find("ifHCInOctets") == std::string::npos);
    CPPUNIT_ASSERT_EQUAL(1, polls("scrape"));
    // By address, the same device (the first of the two at 127.0.0.1:161): the same entry.
    ScrapeReply second =
        collector_->scrapeModules(moduleRequest("127.0.0.1", "sys"), "*/*", std::nullopt);
    CPPUNIT_ASSERT(second.cacheHit);
    CPPUNIT_ASSERT(
        !collector_->scrapeModules(moduleRequest("b", "sys"), "*/*", std::nullopt).cacheHit);
    CPPUNIT_ASSERT_EQUAL(2, polls("scrape"));
    CPPUNIT_ASSERT_EQUAL(size_t(2), collector_->moduleSets());
    std::vector<ModuleSetState> states = collector_->moduleSetStates();
    CPPUNIT_ASSERT_EQUAL(size_t(2), states.size());
    CPPUNIT_ASSERT_EQUAL(std::string("a"), states[0].target);
    CPPUNIT_ASSERT_EQUAL(std::string("sys"), states[0].modules);
    CPPUNIT_ASSERT(states[0].polled && states[0].up && states[0].error.empty());
    CPPUNIT_ASSERT_EQUAL(std::string("b"), states[1].target);
    clock_.advance(std::chrono::seconds(31));
    collector_->collectOnce();
    CPPUNIT_ASSERT_EQUAL(2, polls("interval"));  // the module sets; no plain device was scraped
  }

  void testModuleScrapeRefusals() {
    makeCollector(Collector::Mode::All);
    CPPUNIT_ASSERT_EQUAL(404,
                         collector_->scrapeModules(moduleRequest("a", "sys"), "*/*", std::nullopt)
                             .status);  // not enabled
    enableModules();
    ScrapeReply unknown =
        collector_->scrapeModules(moduleRequest("a", "nope"), "*/*", std::nullopt);
    CPPUNIT_ASSERT_EQUAL(400, unknown.status);
    CPPUNIT_ASSERT(unknown.body.find("Unknown module 'nope'") != std::string::npos);
    ScrapeReply unlisted =
        collector_->scrapeModules(moduleRequest("10.9.9.9", "sys"), "*/*", std::nullopt);
    CPPUNIT_ASSERT_EQUAL(404, unlisted.status);
    CPPUNIT_ASSERT_EQUAL(0, polls("scrape"));
    CPPUNIT_ASSERT_EQUAL(size_t(0), collector_->moduleSets());
  }

  /// Every module failing is reported per module as one failing among others is (issue 14
  /// scope 3): promsnmp_module_up 0 and the attempt's snmp_scrape_* series, no module series,
  /// from the live poll and from the cache. (snmp_exporter answers 500 there, collector.go
  /// collect(): promsnmp keeps a failing device as data.)
  void testModuleSetWhoseModulesAllFailReportsEach() {
    makeCollector(Collector::Mode::Scraped);
    enableModules();
    snmp_.setTimeoutTarget("a");
    for (bool cached : {false, true}) {
      ScrapeReply reply = collector_->scrapeModules(moduleRequest("a", "sys"), "*/*", 5.0);
      CPPUNIT_ASSERT_EQUAL(200, reply.status);
      CPPUNIT_ASSERT_EQUAL(cached, reply.cacheHit);
      CPPUNIT_ASSERT_MESSAGE(
          reply.body,
          reply.body.find("promsnmp_module_up{module=\"sys\"} 0\n") != std::string::npos);
      CPPUNIT_ASSERT_MESSAGE(
          reply.body,
          reply.body.find("snmp_scrape_packets_sent{module=\"sys\"} ") != std::string::npos);
      CPPUNIT_ASSERT(reply.body.find("promsnmp_target_up{target=\"a\"} 0\n") != std::string::npos);
      CPPUNIT_ASSERT(reply.body.find("sysUpTime") == std::string::npos);
    }
    // Gzipped (what Prometheus asks for), the same report.
    ScrapeReply gzipped = collector_->scrapeModules(moduleRequest("a", "sys"), "*/*", 5.0, true);
    CPPUNIT_ASSERT_EQUAL(std::string("gzip"), gzipped.contentEncoding);
    const std::string text = gunzip(gzipped.body);
    CPPUNIT_ASSERT_MESSAGE(
        text, text.find("promsnmp_module_up{module=\"sys\"} 0\n") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(1, polls("scrape"));
  }

  void testModuleSetOfADeviceThatLeftIsDropped() {
    makeCollector(Collector::Mode::All);
    enableModules();
    CPPUNIT_ASSERT_EQUAL(
        200, collector_->scrapeModules(moduleRequest("b", "sys"), "*/*", std::nullopt).status);
    CPPUNIT_ASSERT_EQUAL(size_t(1), collector_->moduleSets());
    store_->commitAdmin([](inventoryfs::Inventory& inventory) { inventory.devices.pop_back(); });
    inventory_->refresh();
    CPPUNIT_ASSERT_EQUAL(size_t(0), collector_->moduleSets());
    collector_->collectOnce();
    CPPUNIT_ASSERT_EQUAL(1, polls("interval"));  // "a" alone
    CPPUNIT_ASSERT(metrics_->render().find("promsnmp_cache_entries 1\n") != std::string::npos);
  }

  void testModuleSetNotScrapedForTheCacheLifetimeIsNoLongerPolled() {
    makeCollector(Collector::Mode::Scraped);
    enableModules();
    collector_->scrapeModules(moduleRequest("a", "sys"), "*/*", std::nullopt);
    clock_.advance(std::chrono::seconds(31));
    collector_->collectOnce();
    CPPUNIT_ASSERT_EQUAL(1, polls("interval"));
    clock_.advance(std::chrono::minutes(6));
    collector_->collectOnce();
    CPPUNIT_ASSERT_EQUAL(1, polls("interval"));
    CPPUNIT_ASSERT_EQUAL(size_t(0), collector_->moduleSets());
  }

  void testPlainScrapeStaysPromSnmpsWithModulesEnabled() {
    makeCollector(Collector::Mode::All);
    std::string before = collector_->scrape("a", "*/*", std::nullopt).body;
    collector_.reset();
    makeCollector(Collector::Mode::All);
    enableModules();
    clock_.advance(std::chrono::minutes(6));
    std::string after = collector_->scrape("a", "*/*", std::nullopt).body;
    // Same series apart from the timing values.
    CPPUNIT_ASSERT_EQUAL(shape(before), shape(after));
    CPPUNIT_ASSERT(after.find("snmp_scrape_duration_seconds{source=\"live\"}") !=
                   std::string::npos);
  }

  void testAllModePollsADevicesModulesInsteadOfItsInterfaces() {
    makeCollector(Collector::Mode::All);
    enableModules();
    setModules(0, std::vector<std::string>{"sys"});
    collector_->collectOnce();
    CPPUNIT_ASSERT_EQUAL(2, polls("interval"));  // "a" with "sys", "b" with the interfaces
    std::string self = metrics_->render();
    // Interface polls count per target; "a" had none, so no interface table was walked for it.
    CPPUNIT_ASSERT(self.find("promsnmp_target_polls_total{target=\"a\"}") == std::string::npos);
    CPPUNIT_ASSERT(self.find("promsnmp_target_polls_total{target=\"b\"} 1") != std::string::npos);
    std::vector<ModuleSetState> states = collector_->moduleSetStates();
    CPPUNIT_ASSERT_EQUAL(size_t(1), states.size());
    CPPUNIT_ASSERT_EQUAL(std::string("a"), states[0].target);
    CPPUNIT_ASSERT_EQUAL(std::string("sys"), states[0].modules);
    CPPUNIT_ASSERT(states[0].polled && states[0].up);
    // The landing page and health details see it polled, through its module set.
    std::vector<TargetState> targets = collector_->targetStates();
    CPPUNIT_ASSERT_EQUAL(size_t(2), targets.size());
    CPPUNIT_ASSERT_EQUAL(std::string("a"), targets[0].name);
    CPPUNIT_ASSERT(targets[0].polled && targets[0].up);
    // The plain scrape serves the background poll of its modules, as `module=sys` does.
    ScrapeReply plain = collector_->scrape("a", "*/*", std::nullopt);
    CPPUNIT_ASSERT(plain.cacheHit);
    CPPUNIT_ASSERT_MESSAGE(plain.body, plain.body.find("\nsysUpTime 5000\n") != std::string::npos);
    CPPUNIT_ASSERT(plain.body.find("promsnmp_module_up{module=\"sys\"} 1\n") != std::string::npos);
    CPPUNIT_ASSERT(plain.body.find("ifHCInOctets") == std::string::npos);
    ScrapeReply explicitly =
        collector_->scrapeModules(moduleRequest("a", "sys"), "*/*", std::nullopt);
    CPPUNIT_ASSERT(explicitly.cacheHit);
    CPPUNIT_ASSERT_EQUAL(shape(explicitly.body), shape(plain.body));
    CPPUNIT_ASSERT_EQUAL(0, polls("scrape"));
    // The next cycle polls it again, scraped or not; a plain device is unchanged.
    clock_.advance(std::chrono::seconds(31));
    collector_->collectOnce();
    CPPUNIT_ASSERT_EQUAL(4, polls("interval"));
    CPPUNIT_ASSERT(collector_->scrape("b", "*/*", std::nullopt).body.find("ifHCInOctets") !=
                   std::string::npos);
  }

  void testScrapedModePollsADevicesModulesWhenScrapedWithoutModule() {
    makeCollector(Collector::Mode::Scraped);
    enableModules();
    setModules(0, std::vector<std::string>{"sys"});
    collector_->collectOnce();
    CPPUNIT_ASSERT_EQUAL(0, polls("interval"));  // nothing scraped yet
    ScrapeReply plain = collector_->scrape("a", "*/*", std::nullopt);
    CPPUNIT_ASSERT(!plain.cacheHit);
    CPPUNIT_ASSERT(plain.body.find("\nsysUpTime 5000\n") != std::string::npos);
    CPPUNIT_ASSERT(
        collector_->scrapeModules(moduleRequest("a", "sys"), "*/*", std::nullopt).cacheHit);
    CPPUNIT_ASSERT_EQUAL(size_t(1), collector_->moduleSets());
    clock_.advance(std::chrono::seconds(31));
    collector_->collectOnce();
    CPPUNIT_ASSERT_EQUAL(1, polls("interval"));  // its modules, not its interfaces
    CPPUNIT_ASSERT(metrics_->render().find("promsnmp_target_polls_total{target=\"a\"}") ==
                   std::string::npos);
  }

  void testChangedDeviceModulesReplaceTheOldSet() {
    makeCollector(Collector::Mode::All);
    enableModules();
    collector_->collectOnce();  // interfaces of both
    setModules(0, std::vector<std::string>{"sys"});
    // Its interface entry went with the change: only "b" is cached.
    CPPUNIT_ASSERT(metrics_->render().find("promsnmp_cache_entries 1\n") != std::string::npos);
    collector_->collectOnce();
    CPPUNIT_ASSERT(collector_->scrape("a", "*/*", std::nullopt).body.find("\nsysUpTime 5000\n") !=
                   std::string::npos);
    setModules(0, std::vector<std::string>{"count"});
    // The "sys" set and its entry went at once; "count" is polled from the next cycle.
    CPPUNIT_ASSERT(metrics_->render().find("promsnmp_cache_entries 1\n") != std::string::npos);
    CPPUNIT_ASSERT(collector_->moduleSetStates().empty());
    clock_.advance(std::chrono::seconds(31));
    collector_->collectOnce();
    std::vector<ModuleSetState> states = collector_->moduleSetStates();
    CPPUNIT_ASSERT_EQUAL(size_t(1), states.size());
    CPPUNIT_ASSERT_EQUAL(std::string("count"), states[0].modules);
    ScrapeReply now = collector_->scrape("a", "*/*", std::nullopt);
    CPPUNIT_ASSERT(now.cacheHit);
    CPPUNIT_ASSERT_MESSAGE(now.body, now.body.find("\nifNumber 1\n") != std::string::npos);
    CPPUNIT_ASSERT(now.body.find("sysUpTime") == std::string::npos);
    // An auth of its own is another set too.
    setModules(0, std::vector<std::string>{"count"}, "public_v2");
    CPPUNIT_ASSERT(metrics_->render().find("promsnmp_cache_entries 1\n") != std::string::npos);
    collector_->collectOnce();
    states = collector_->moduleSetStates();
    CPPUNIT_ASSERT_EQUAL(size_t(1), states.size());
    CPPUNIT_ASSERT_EQUAL(std::string("public_v2"), states[0].auth);
    // Back to no modules (an empty list too): the interface set again, the module set gone.
    setModules(0, std::vector<std::string>{});
    CPPUNIT_ASSERT(metrics_->render().find("promsnmp_cache_entries 1\n") != std::string::npos);
    clock_.advance(std::chrono::seconds(31));
    collector_->collectOnce();
    CPPUNIT_ASSERT(collector_->moduleSetStates().empty());
    CPPUNIT_ASSERT(metrics_->render().find("promsnmp_target_polls_total{target=\"a\"} 2") !=
                   std::string::npos);
    CPPUNIT_ASSERT(collector_->scrape("a", "*/*", std::nullopt).body.find("ifHCInOctets") !=
                   std::string::npos);
  }

  void testUnknownDeviceModuleIsReportedAndTheOthersPolled() {
    makeCollector(Collector::Mode::All);
    enableModules();
    LogCapture log("promsnmp.collector");
    setModules(0, std::vector<std::string>{"sys", "nope"});
    collector_->collectOnce();
    CPPUNIT_ASSERT_EQUAL(2, polls("interval"));
    // Logged once per change: a second cycle with the same problem says nothing more.
    collector_->collectOnce();
    CPPUNIT_ASSERT_EQUAL(size_t(1), log.lines().size());
    const std::string warning = "device names modules no module file defines";
    CPPUNIT_ASSERT_EQUAL(0, log.lines()[0].compare(0, warning.size(), warning));
    setModules(0, std::vector<std::string>{"sys", "nope", "nada"});
    collector_->collectOnce();
    CPPUNIT_ASSERT_EQUAL(size_t(2), log.lines().size());
    setModules(0, std::vector<std::string>{"sys", "nope"});
    collector_->collectOnce();
    std::map<std::string, std::string> problems = collector_->deviceModuleProblems();
    CPPUNIT_ASSERT_EQUAL(size_t(1), problems.size());
    CPPUNIT_ASSERT_EQUAL(std::string("unknown modules: nope"), problems["a"]);
    CPPUNIT_ASSERT(metrics_->render().find("promsnmp_device_module_problems 1\n") !=
                   std::string::npos);
    ScrapeReply reply = collector_->scrape("a", "*/*", std::nullopt);
    CPPUNIT_ASSERT(reply.cacheHit);
    CPPUNIT_ASSERT_EQUAL(200, reply.status);
    CPPUNIT_ASSERT(reply.body.find("\nsysUpTime 5000\n") != std::string::npos);
    CPPUNIT_ASSERT(reply.body.find("promsnmp_module_up{module=\"sys\"} 1\n") != std::string::npos);
    CPPUNIT_ASSERT(reply.body.find("promsnmp_module_up{module=\"nope\"} 0\n") != std::string::npos);
    CPPUNIT_ASSERT(reply.body.find("snmp_scrape_packets_sent{module=\"nope\"}") ==
                   std::string::npos);  // nothing was sent for it
    CPPUNIT_ASSERT(reply.body.find("promsnmp_target_up{target=\"a\"} 1\n") != std::string::npos);
    // The explicit scrape of the modules it names is refused as snmp_exporter refuses it.
    ModuleScrapeRequest both = moduleRequest("a", "sys,nope");
    CPPUNIT_ASSERT_EQUAL(400, collector_->scrapeModules(both, "*/*", std::nullopt).status);
    // Once the entry is fixed the problem goes.
    setModules(0, std::vector<std::string>{"sys"});
    CPPUNIT_ASSERT(collector_->deviceModuleProblems().empty());
    collector_->collectOnce();
    CPPUNIT_ASSERT_EQUAL(size_t(4), log.lines().size());  // the third "nope" alone, then fixed
    CPPUNIT_ASSERT_EQUAL(std::string("device modules are all defined again"), log.lines()[3]);
    CPPUNIT_ASSERT(metrics_->render().find("promsnmp_device_module_problems 0\n") !=
                   std::string::npos);
  }

  void testDeviceWithNoDefinedModuleOrAnUnknownAuthIsNotPolled() {
    makeCollector(Collector::Mode::All);
    enableModules();
    setModules(0, std::vector<std::string>{"nope"});
    collector_->collectOnce();
    CPPUNIT_ASSERT_EQUAL(1, polls("interval"));  // "b" alone: no interfaces for "a" either
    ScrapeReply reply = collector_->scrape("a", "*/*", std::nullopt);
    CPPUNIT_ASSERT_EQUAL(200, reply.status);
    CPPUNIT_ASSERT(reply.body.find("promsnmp_module_up{module=\"nope\"} 0\n") != std::string::npos);
    CPPUNIT_ASSERT(reply.body.find("promsnmp_target_up{target=\"a\"} 0\n") != std::string::npos);
    CPPUNIT_ASSERT(reply.body.find("ifHCInOctets") == std::string::npos);
    CPPUNIT_ASSERT_EQUAL(0, polls("scrape"));
    // Gzipped, the same.
    ScrapeReply gzipped = collector_->scrape("a", "*/*", std::nullopt, true);
    CPPUNIT_ASSERT_EQUAL(std::string("gzip"), gzipped.contentEncoding);
    CPPUNIT_ASSERT(gunzip(gzipped.body).find("promsnmp_module_up{module=\"nope\"} 0\n") !=
                   std::string::npos);

    setModules(0, std::vector<std::string>{"sys"}, "nosuch");
    CPPUNIT_ASSERT_EQUAL(std::string("unknown auth 'nosuch'"),
                         collector_->deviceModuleProblems()["a"]);
    clock_.advance(std::chrono::seconds(31));
    collector_->collectOnce();
    CPPUNIT_ASSERT_EQUAL(2, polls("interval"));  // "b" again, nothing for "a"
    reply = collector_->scrape("a", "*/*", std::nullopt);
    CPPUNIT_ASSERT(reply.body.find("promsnmp_module_up{module=\"sys\"} 0\n") != std::string::npos);
    CPPUNIT_ASSERT(reply.body.find("sysUpTime 5000") == std::string::npos);
    CPPUNIT_ASSERT_EQUAL(0, polls("scrape"));
  }

  // A device's own set polled by a cycle while its entry changes: the poll's result must not
  // stay cached under the old set's key (nothing would serve or expire it before the TTL).
  void testDeviceSetChangedWhilePolledLeavesNoEntry() {
    const std::string text = cycleWithDeviceSetHeld([this] {
      setModules(0, std::vector<std::string>{"count"});  // another set for "a"
    });
    CPPUNIT_ASSERT_MESSAGE(text, text.find("promsnmp_cache_entries 1\n") != std::string::npos);
  }

  // The same when a reload removes its module while it is polled (the inventory unchanged).
  void testModuleRemovedWhilePolledLeavesNoEntry() {
    const std::string text = cycleWithDeviceSetHeld([this] {
      const std::string file = dir_ + "/count-only.yml";
      std::ofstream(file) << "modules:\n" << kCountModule;
      CPPUNIT_ASSERT_EQUAL(std::string(), registry_->load({file}, ModuleLoadOptions{}));
    });
    CPPUNIT_ASSERT_MESSAGE(text, text.find("promsnmp_cache_entries 1\n") != std::string::npos);
  }

 private:
  /// Runs one background cycle (mode all) in which "a" is polled with its own set {sys} and "b"
  /// with its interfaces; `change` runs while both polls are held. Returns the self metrics
  /// once the cycle ended and the collector stopped.
  std::string cycleWithDeviceSetHeld(const std::function<void()>& change) {
    makeCollector(Collector::Mode::All);
    enableModules();
    setModules(0, std::vector<std::string>{"sys"});
    snmp_.setHold(true);
    collector_->start();
    CPPUNIT_ASSERT(snmp_.waitForHeld(2, std::chrono::seconds(5)));
    change();
    snmp_.setHold(false);
    snmp_.release();
    waitForFirstCycle();
    collector_->stop();
    std::string text = metrics_->render();
    CPPUNIT_ASSERT_MESSAGE(text,
                           text.find("promsnmp_collection_cycles_total 1\n") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(2, polls("interval"));
    return text;
  }

  /// Waits (5 s at most) until the started collector's first cycle ended.
  void waitForFirstCycle() {
    for (int i = 0; i < 500 && metrics_->render().find("promsnmp_collection_cycles_total 1\n") ==
                                   std::string::npos;
         ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  /// Sets the modules (and auth) of device `index` in the inventory and reloads it.
  void setModules(size_t index, std::optional<std::vector<std::string>> modules,
                  std::optional<std::string> auth = std::nullopt) {
    store_->commitAdmin([&](inventoryfs::Inventory& inventory) {
      inventory.devices[index].modules = modules;
      inventory.devices[index].auth = auth;
    });
    inventory_->refresh();
  }

  static std::string gunzip(const std::string& body) {
    std::istringstream compressed(body);
    Poco::InflatingInputStream inflater(compressed, Poco::InflatingStreamBuf::STREAM_GZIP);
    return std::string((std::istreambuf_iterator<char>(inflater)),
                       std::istreambuf_iterator<char>());
  }

  /// Series names and labels without their values (timings differ between two answers).
  static std::string shape(const std::string& text) {
    std::string out;
    for (size_t at = 0; at < text.size();) {
      size_t end = text.find('\n', at);
      std::string line = text.substr(at, end - at);
      out += line.substr(0, line.rfind(' ')) + "\n";
      at = end == std::string::npos ? text.size() : end + 1;
    }
    return out;
  }

  void enableModules() {
    const std::string file = dir_ + "/modules.yml";
    std::ofstream(file) << "auths:\n"
                           "  public_v2:\n"
                           "    version: 2\n"
                           "modules:\n"
                           "  sys:\n"
                           "    get: [1.3.6.1.2.1.1.3.0]\n"
                           "    metrics:\n"
                           "      - name: sysUpTime\n"
                           "        oid: 1.3.6.1.2.1.1.3\n"
                           "        type: gauge\n"
                           "        help: The time since the agent started.\n"
                        << kCountModule;
    registry_ = std::make_unique<ModuleRegistry>();
    CPPUNIT_ASSERT_EQUAL(std::string(), registry_->load({file}, ModuleLoadOptions{}));
    modulePoller_ = std::make_unique<ModulePoller>(snmp_, clock_, ModulePoller::Options{});
    collector_->enableModules(*registry_, *modulePoller_, false);
  }

  static ModuleScrapeRequest moduleRequest(const std::string& target, const std::string& module) {
    ModuleScrapeRequest r;
    r.target = target;
    r.modules = {module};
    return r;
  }

  void makeCollector(Collector::Mode mode, size_t maxConcurrentPolls = 64) {
    Collector::Options options;
    options.maxConcurrentPolls = maxConcurrentPolls;
    options.mode = mode;
    options.interval = std::chrono::seconds(30);
    options.cacheTtl = std::chrono::minutes(5);
    collector_ = std::make_unique<Collector>(*inventory_, *poller_, *metrics_, clock_, options);
  }

  int polls(const std::string& trigger) {
    std::string text = metrics_->render();
    int total = 0;
    for (const char* result : {"success", "failure"}) {
      std::string key =
          "promsnmp_snmp_polls_total{trigger=\"" + trigger + "\",result=\"" + result + "\"} ";
      auto at = text.find(key);
      if (at != std::string::npos) {
        total += std::stoi(text.substr(at + key.size()));
      }
    }
    return total;
  }

  std::string dir_;
  std::unique_ptr<inventoryfs::Keyring> keys_;
  std::unique_ptr<inventoryfs::DirectorySlotStore> slots_;
  std::unique_ptr<inventoryfs::InventoryStore> store_;
  std::unique_ptr<InventoryState> inventory_;
  FakeSnmpClient snmp_;
  std::unique_ptr<DevicePoller> poller_;
  std::unique_ptr<SelfMetrics> metrics_;
  FakeClock clock_;
  std::unique_ptr<ModuleRegistry> registry_;
  std::unique_ptr<ModulePoller> modulePoller_;
  std::unique_ptr<Collector> collector_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(CollectorTest);
