#include "FaultHelpers.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "inventoryfs/Exceptions.h"
#include "inventoryfs/Keyring.h"

namespace faults {

namespace {

void writeAll(int fd, const std::string& bytes, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) {
      throw std::runtime_error("write " + path + " failed");
    }
    done += static_cast<size_t>(n);
  }
}

}  // namespace

std::string readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + path);
  }
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void createFile(const std::string& path, const std::string& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) {
    throw std::runtime_error("cannot create " + path);
  }
  writeAll(fd, bytes, path);
  ::close(fd);
}

void rewriteInPlace(const std::string& path, const std::string& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) {
    throw std::runtime_error("cannot open " + path);
  }
  writeAll(fd, bytes, path);
  ::close(fd);
}

void replaceByRename(const std::string& path, const std::string& bytes) {
  std::string temp = path + ".faults-tmp";
  ::unlink(temp.c_str());
  createFile(temp, bytes);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    throw std::runtime_error("cannot rename over " + path);
  }
}

std::vector<std::string> listDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    return names;
  }
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") {
      names.push_back(name);
    }
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

std::string inventoryJson(const std::string& prefix, int count) {
  std::string out = R"({"devices":[)";
  for (int i = 1; i <= count; ++i) {
    out += (i > 1 ? "," : "") + std::string(R"({"sysName":")") + prefix + std::to_string(i) +
           R"(","agents":[{"type":"snmp-community","endpoint":{"address":"127.0.0.)" +
           std::to_string(10 + i) +
           R"(","port":1161},"version":1,"readCommunity":"c","timeout":200,"retries":0}]})";
  }
  return out + R"(],"discoverySeeds":[]})";
}

LiveProcess::LiveProcess(const std::string& dir, const Env& env)
    : testing::Daemon(dir, env, {}, 20000, [](int port) {
        return testing::httpRequest(port, "GET", "/-/healthy", {}, {}, 1000).status == 200;
      }) {}

Site::Site(std::string key) : key_(std::move(key)) { ::mkdir(share().c_str(), 0750); }

std::string Site::slotPath(uint64_t version) const {
  char name[32];
  std::snprintf(name, sizeof name, "v%020" PRIu64, version);
  return share() + "/" + name;
}

Env Site::env() const {
  return {{"PROM_INV_FILE", head()}, {"PROM_ENCRYPT_KEY", key_}, {"PROM_INV_KEEP", "200"}};
}

void Site::init(int devices) {
  cli({"init"});
  for (int i = 1; i <= devices; ++i) {
    cli({"add-device", "--sys-name", "dev" + std::to_string(i), "--address",
         "127.0.0." + std::to_string(10 + i), "--port", "1161", "--community", "c", "--timeout",
         "200", "--retries", "0"});
  }
}

testing::ProcessResult Site::cliResult(const std::vector<std::string>& args,
                                       const Env& extra) const {
  Env e = env();
  for (const auto& [k, v] : extra) {
    e[k] = v;
  }
  // A run that asks for a fault point runs the test build of the CLI: the release one has none.
  const char* program = e.count("INVENTORYFS_FAULT_POINT") ? "/promsnmp-inventory-faultpoints"
                                                           : "/promsnmp-inventory";
  std::vector<std::string> argv = {std::string(PROMSNMP_BIN_DIR) + program};
  argv.insert(argv.end(), args.begin(), args.end());
  return testing::runProcess(argv, e, 60);
}

std::string Site::cli(const std::vector<std::string>& args, const Env& extra) const {
  testing::ProcessResult r = cliResult(args, extra);
  if (r.code != 0) {
    throw std::runtime_error("promsnmp-inventory failed (" + std::to_string(r.code) +
                             "): " + r.err);
  }
  return r.out;
}

std::string Site::daemonDir(const std::string& name) const {
  std::string dir = root() + "/" + name;
  ::mkdir(dir.c_str(), 0750);
  return dir;
}

Env Site::daemonEnv(const std::string& name, const std::string& role, const Env& extra) const {
  Env e = env();
  e["PROMSNMP_STATE_DIR"] = daemonDir(name) + "/state";
  e["PROMSNMP_INVENTORY_POLL_INTERVAL_MS"] = "200";
  e["COLLECTION_INTERVAL"] = "3600000";
  if (!role.empty()) {
    e["PROMSNMP_ROLE"] = role;
  }
  for (const auto& [k, v] : extra) {
    e[k] = v;
  }
  return e;
}

std::unique_ptr<testing::Daemon> Site::start(const std::string& name, const std::string& role,
                                             const Env& extra) const {
  return std::make_unique<testing::Daemon>(daemonDir(name), daemonEnv(name, role, extra));
}

std::vector<uint64_t> Site::slots() const {
  std::vector<uint64_t> out;
  for (const std::string& name : listDir(share())) {
    if (name.size() == 21 && name[0] == 'v' &&
        name.find_first_not_of("0123456789", 1) == std::string::npos) {
      out.push_back(std::stoull(name.substr(1)));
    }
  }
  return out;
}

uint64_t Site::newest() const {
  std::vector<uint64_t> v = slots();
  return v.empty() ? 0 : v.back();
}

inventoryfs::Header Site::header(uint64_t version) const {
  return inventoryfs::readHeader(readBytes(slotPath(version)));
}

std::string Site::seal(uint64_t version, uint64_t epoch, const std::string& json,
                       const std::string& key) const {
  inventoryfs::Keyring keys(inventoryfs::Keyring::deriveKey(key.empty() ? key_ : key, "test"));
  inventoryfs::Header h;
  // A version of this site's inventory: its identity and passphrase salt, as every writer keeps
  // them (a file without them would be another inventory, or cost an scrypt derivation).
  if (const uint64_t n = newest(); n != 0) {
    try {
      const inventoryfs::Header newestHeader = header(n);
      h.inventoryId = newestHeader.inventoryId;
      h.kdf = newestHeader.kdf;
    } catch (const inventoryfs::InventoryException&) {
      // A damaged newest slot (a test put it there): seal without them.
    }
  }
  h.version = version;
  h.epoch = epoch;
  h.writerId = inventoryfs::newWriterId();
  h.createdAtMs = 0;
  return inventoryfs::sealV2(h, json, keys);
}

Seen observe(int port) {
  Seen s;
  std::vector<testing::Sample> samples =
      testing::parseSamples(testing::httpRequest(port, "GET", "/metrics").body);
  s.version = testing::sampleValue(samples, "promsnmp_inventory_version");
  s.failing = testing::sampleValue(samples, "promsnmp_inventory_read_failing");
  s.devices = testing::sampleValue(samples, "promsnmp_inventory_device_count");
  testing::HttpAnswer health = testing::httpRequest(port, "GET", "/actuator/health");
  s.health = health.body;
  s.healthStatus = health.status;
  testing::HttpAnswer targets = testing::httpRequest(port, "GET", "/targets");
  s.targets = targets.body;
  s.targetsStatus = targets.status;
  return s;
}

size_t targetGroups(const std::string& body) {
  size_t n = 0;
  for (size_t at = body.find("\"targets\""); at != std::string::npos;
       at = body.find("\"targets\"", at + 1)) {
    ++n;
  }
  return n;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

testing::HttpAnswer postInventory(int port, const std::string& json) {
  // These tests replace whole inventories of their own making (Java's semantics); the guard
  // against a replace that removes most devices has its own test (DaemonDiscoveryTest).
  return testing::httpRequest(port, "POST", "/promsnmp/inventory?force=true", {}, json);
}

void printTiming(const std::string& test, double seconds) {
  std::fprintf(stderr, "\n  [faults] %s took %.1f s\n", test.c_str(), seconds);
}

}  // namespace faults

#include <cppunit/extensions/HelperMacros.h>

namespace faults {

Baseline baseline(const testing::Daemon& d) {
  Seen s = observe(d);
  return {s.version, s.targets};
}

void expectKeptAndAlarmed(const std::string& what, const Site& site, const testing::Daemon& leader,
                          const std::vector<const testing::Daemon*>& readers, const Baseline& good,
                          uint64_t newestSlot) {
  for (const testing::Daemon* d : readers) {
    std::string who = what + " (port " + std::to_string(d->port()) + ")";
    // The alarm: metric, health detail, log.
    bool alarmed = testing::eventually(5, [&] { return observe(*d).failing == "1"; });
    Seen s = observe(*d);
    CPPUNIT_ASSERT_MESSAGE(
        who + ": promsnmp_inventory_read_failing never became 1; health " + s.health, alarmed);
    CPPUNIT_ASSERT_MESSAGE(who + ": no error in the health detail: " + s.health,
                           contains(s.health, "\"error\""));
    CPPUNIT_ASSERT_MESSAGE(who + ": health must stay UP (degraded), got " +
                               std::to_string(s.healthStatus) + " " + s.health,
                           s.healthStatus == 200 && contains(s.health, "\"status\":\"UP\""));
    CPPUNIT_ASSERT_MESSAGE(
        who + ": no log line about the unreadable inventory",
        contains(d->log(), "inventory unreadable, keeping the last good version"));
    // I9: never another version; I10: the error is not an empty or shrunken inventory.
    CPPUNIT_ASSERT_EQUAL_MESSAGE(who + " I9: version changed", good.version, s.version);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(who + " I10: /targets changed", good.targets, s.targets);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(who + " I10: /targets status", 200, s.targetsStatus);
    CPPUNIT_ASSERT_MESSAGE(who + " I10: /targets empty", targetGroups(s.targets) > 0);
  }
  // The leader never writes over what it cannot read.
  testing::HttpAnswer post = postInventory(leader.port(), inventoryJson("overwrite", 1));
  CPPUNIT_ASSERT_EQUAL_MESSAGE(
      what + ": leader accepted a write over an unreadable newest file: " + post.body, 503,
      post.status);
  CPPUNIT_ASSERT_MESSAGE(what + ": the refusal names no reason: " + post.body,
                         contains(post.body, "\"message\""));
  CPPUNIT_ASSERT_MESSAGE(what + ": a slot above v" + std::to_string(newestSlot) + " appeared",
                         site.newest() <= newestSlot);
  Seen after = observe(leader);
  CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " I9: leader version after the refused write", good.version,
                               after.version);
  CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " I10: leader /targets after the refused write", good.targets,
                               after.targets);
}

void expectRecovered(const std::string& what, const std::vector<const testing::Daemon*>& daemons,
                     const Baseline& good) {
  for (const testing::Daemon* d : daemons) {
    bool cleared = testing::eventually(5, [&] { return observe(*d).failing == "0"; });
    Seen s = observe(*d);
    CPPUNIT_ASSERT_MESSAGE(what + ": alarm not cleared after repair: " + s.health, cleared);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(what + ": version after repair", good.version, s.version);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(what + ": /targets after repair", good.targets, s.targets);
  }
}

}  // namespace faults

namespace faults {

void TwoDaemonFixture::setUp() {
  TimedFixture::setUp();
  std::random_device rd;
  seed_ = rd();
  rng_.seed(seed_);
  site_ = std::make_unique<Site>();
  site_->init(devices());
  leader_ = site_->start("leader", "");
  follower_ = site_->start("follower", "follower");
  good_ = baseline(*leader_);
  CPPUNIT_ASSERT_EQUAL(std::to_string(site_->newest()), good_.version);
  CPPUNIT_ASSERT_EQUAL(static_cast<size_t>(devices()), targetGroups(good_.targets));
  CPPUNIT_ASSERT(
      testing::eventually(5, [&] { return baseline(*follower_).version == good_.version; }));
}

void TwoDaemonFixture::tearDown() {
  follower_.reset();
  leader_.reset();
  site_.reset();
  name_ += " (seed " + std::to_string(seed_) + ")";
  TimedFixture::tearDown();
}

std::string TwoDaemonFixture::validNext(const std::string& prefix) {
  uint64_t n = site_->newest();
  return site_->seal(n + 1, site_->header(n).epoch, inventoryJson(prefix, 5));
}

void TwoDaemonFixture::injectNext(const std::string& what, const std::string& bytes) {
  uint64_t n = site_->newest();
  createFile(site_->slotPath(n + 1), bytes);
  expectKeptAndAlarmed(what, *site_, *leader_, both(), good_, n + 1);
  ::unlink(site_->slotPath(n + 1).c_str());
  expectRecovered(what, both(), good_);
}

}  // namespace faults
