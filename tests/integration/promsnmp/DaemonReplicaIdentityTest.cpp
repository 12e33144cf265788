// The local replica (state.dir) belongs to one inventory, by its identity: the real daemon,
// restarted with the same state directory on another share, or on its share wiped and
// initialised again, serves that share (and can write to it), moving the old copy aside rather
// than deleting it; a rollback of the same inventory is still refused (I9).
#include <signal.h>

#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <cppunit/extensions/HelperMacros.h>

#include "DaemonHelpers.h"
#include "ProcessHelpers.h"

using namespace testing;

namespace {

const std::vector<std::string> kShareA = {"a-one", "a-two", "a-three", "a-four"};
const std::vector<std::string> kShareB = {"b-one"};

// The device names /targets lists.
std::set<std::string> targetNames(const Daemon& daemon) {
  const std::string body = daemon.get("/targets").body;
  static const std::regex kTarget("\"targets\":\\[\"([^\"]+)\"\\]");
  std::set<std::string> names;
  for (auto it = std::sregex_iterator(body.begin(), body.end(), kTarget);
       it != std::sregex_iterator(); ++it) {
    names.insert((*it)[1]);
  }
  return names;
}

std::string joined(const std::set<std::string>& names) {
  std::string text;
  for (const std::string& name : names) {
    text += (text.empty() ? "" : ",") + name;
  }
  return text;
}

// A body for POST /promsnmp/inventory: the given devices (a replace that removes none of them).
std::string inventoryBody(const std::vector<std::string>& names) {
  std::string body = R"({"devices":[)";
  for (size_t i = 0; i < names.size(); ++i) {
    body += (i == 0 ? "" : ",") + std::string(R"({"sysName":")") + names[i] +
            R"(","agents":[{"type":"snmp-community","endpoint":{"address":"127.0.0.)" +
            std::to_string(i + 1) + R"(","port":1161},"version":1,"readCommunity":"c"}]})";
  }
  return body + "]}";
}

}  // namespace

class DaemonReplicaIdentityTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DaemonReplicaIdentityTest);
  CPPUNIT_TEST(testNewShareWithSameStateDirIsServed);
  CPPUNIT_TEST(testShareInitialisedAgainAtSamePathIsServed);
  CPPUNIT_TEST(testRollbackOfSameInventoryStillRefused);
  CPPUNIT_TEST(testShareInitialisedAgainWhileRunningIsFollowed);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    dir_ = std::make_unique<TempDir>();
    stateDir_ = dir_->path() + "/state";
  }

  void tearDown() override {
    daemon_.reset();
    dir_.reset();
  }

  // The user's report: a replica served share A (4 devices), was stopped, and started again with
  // PROM_INV_FILE on a new share B (1 device) and the same state directory.
  void testNewShareWithSameStateDirIsServed() {
    const std::string shareA = dir_->path() + "/shareA/promsnmp-inventory.json";
    const std::string shareB = dir_->path() + "/shareB/promsnmp-inventory.json";
    makeShare(shareA, kShareA);
    const std::string idA = serveAndStop(shareA, kShareA);
    makeShare(shareB, kShareB);
    checkServesNewInventory(shareB, idA);
  }

  // The same with share A wiped and initialised again at the same path.
  void testShareInitialisedAgainAtSamePathIsServed() {
    const std::string share = dir_->path() + "/share/promsnmp-inventory.json";
    makeShare(share, kShareA);
    const std::string idA = serveAndStop(share, kShareA);
    std::filesystem::remove_all(dir_->path() + "/share");
    makeShare(share, kShareB);
    checkServesNewInventory(share, idA);
  }

  // An older copy of the same inventory (an operator restores a backup: v2 over the head, the
  // newer versions gone) is still a rollback: the replica keeps serving what it accepted, says
  // why, and refuses writes.
  void testRollbackOfSameInventoryStillRefused() {
    const std::string share = dir_->path() + "/share/promsnmp-inventory.json";
    makeShare(share, kShareA);
    serveAndStop(share, kShareA);
    const std::string slots = dir_->path() + "/share/";
    std::filesystem::copy_file(slots + "v00000000000000000002", share,
                               std::filesystem::copy_options::overwrite_existing);
    for (const auto& entry : std::filesystem::directory_iterator(slots)) {
      const std::string name = entry.path().filename().string();
      if (name.size() == 21 && name[0] == 'v' && name > "v00000000000000000002") {
        std::filesystem::remove(entry.path());
      }
    }
    start(share, "rollback");
    const HttpAnswer health = daemon_->get("/actuator/health");
    CPPUNIT_ASSERT_MESSAGE(health.body,
                           health.body.find("keeping the accepted version") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(joined({kShareA.begin(), kShareA.end()}), joined(targetNames(*daemon_)));
    CPPUNIT_ASSERT_EQUAL(503, httpRequest(daemon_->port(), "POST", "/promsnmp/inventory", {},
                                          inventoryBody({"a-one", "a-two", "a-three", "a-four"}))
                                  .status);
    CPPUNIT_ASSERT(discardedFiles().empty());
  }

  // The same while the replica runs: the watcher follows the new inventory (its version 1 is
  // below the one delivered last), and the old copy goes aside.
  void testShareInitialisedAgainWhileRunningIsFollowed() {
    const std::string share = dir_->path() + "/share/promsnmp-inventory.json";
    makeShare(share, kShareA);
    start(share, "running");
    CPPUNIT_ASSERT(eventually(10, [&] { return targetNames(*daemon_).size() == kShareA.size(); }));
    const std::string idA = inventoryIdOf(share);
    std::filesystem::remove_all(dir_->path() + "/share");
    makeShare(share, kShareB);
    CPPUNIT_ASSERT_MESSAGE(joined(targetNames(*daemon_)), eventually(10, [&] {
                             return joined(targetNames(*daemon_)) == "b-one";
                           }));
    CPPUNIT_ASSERT(eventually(5, [&] { return discardedFiles().size() == 1; }));
    CPPUNIT_ASSERT(discardedFiles()[0].rfind("promsnmp-state.sqlite." + idA + ".", 0) == 0);
    const HttpAnswer write = httpRequest(daemon_->port(), "POST", "/promsnmp/inventory", {},
                                         inventoryBody({"b-one", "b-two"}));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(write.body, 200, write.status);
  }

 private:
  std::map<std::string, std::string> envFor(const std::string& share) const {
    return {{"PROM_INV_FILE", share},
            {"PROM_ENCRYPT_KEY", "replica identity test key"},
            {"PROMSNMP_STATE_DIR", stateDir_},
            {"PROMSNMP_INVENTORY_POLL_INTERVAL_MS", "200"},
            {"COLLECTION_INTERVAL", "3600000"}};
  }

  void makeShare(const std::string& share, const std::vector<std::string>& names) {
    const auto env = envFor(share);
    inventoryCli(env, {"init"});
    int host = 1;
    for (const std::string& name : names) {
      inventoryCli(
          env, {"add-device", "--sys-name", name, "--address", "127.0.0." + std::to_string(host++),
                "--port", "1161", "--community", "c"});
    }
  }

  // The identity the CLI reports for the newest version of `share` ("" if none).
  std::string inventoryIdOf(const std::string& share) const {
    const std::string history = inventoryCli(envFor(share), {"--json", "history"});
    static const std::regex kId("\"inventoryId\":\"([0-9a-f]{32})\"");
    std::string id;
    for (auto it = std::sregex_iterator(history.begin(), history.end(), kId);
         it != std::sregex_iterator(); ++it) {
      id = (*it)[1];
    }
    return id;
  }

  void start(const std::string& share, const std::string& run) {
    daemon_.reset();
    const std::string logs = dir_->path() + "/" + run;
    std::filesystem::create_directories(logs);
    daemon_ = std::make_unique<Daemon>(logs, envFor(share));
  }

  // Serves `share` until /targets lists `names`, stops; returns the share's identity.
  std::string serveAndStop(const std::string& share, const std::vector<std::string>& names) {
    start(share, "first");
    const std::string expected = joined({names.begin(), names.end()});
    CPPUNIT_ASSERT_MESSAGE(joined(targetNames(*daemon_)), eventually(10, [&] {
                             return joined(targetNames(*daemon_)) == expected;
                           }));
    CPPUNIT_ASSERT_EQUAL(0, daemon_->signal(SIGTERM));
    daemon_.reset();
    return inventoryIdOf(share);
  }

  std::vector<std::string> discardedFiles() const {
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::directory_iterator(stateDir_)) {
      const std::string name = entry.path().filename().string();
      if (name.size() > 10 && name.compare(name.size() - 10, 10, ".discarded") == 0) {
        found.push_back(name);
      }
    }
    return found;
  }

  // Started on `share` (inventory B) with the state directory of inventory `idA`: B is served
  // and writable, A's copy is aside, and the log says so.
  void checkServesNewInventory(const std::string& share, const std::string& idA) {
    start(share, "second");
    // What the user saw: A's four devices and "Inventory rollback detected".
    CPPUNIT_ASSERT_EQUAL(std::string("b-one"), joined(targetNames(*daemon_)));
    const HttpAnswer health = daemon_->get("/actuator/health");
    CPPUNIT_ASSERT_MESSAGE(health.body, health.body.find("rollback") == std::string::npos);
    const std::string idB = inventoryIdOf(share);
    CPPUNIT_ASSERT(!idA.empty() && !idB.empty() && idA != idB);
    CPPUNIT_ASSERT_MESSAGE(
        health.body, health.body.find("\"inventoryId\":\"" + idB + "\"") != std::string::npos);
    // Writes work (standalone leader): B's device kept, one added.
    const HttpAnswer write = httpRequest(daemon_->port(), "POST", "/promsnmp/inventory", {},
                                         inventoryBody({"b-one", "b-two"}));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(write.body, 200, write.status);
    CPPUNIT_ASSERT(eventually(10, [&] { return joined(targetNames(*daemon_)) == "b-one,b-two"; }));
    CPPUNIT_ASSERT_EQUAL(idB, inventoryIdOf(share));  // the write kept B's identity
    // A's copy is kept aside, named after A, never deleted; the log says so at error level.
    const std::vector<std::string> aside = discardedFiles();
    CPPUNIT_ASSERT_EQUAL(size_t{1}, aside.size());
    CPPUNIT_ASSERT_MESSAGE(aside[0], aside[0].rfind("promsnmp-state.sqlite." + idA + ".", 0) == 0);
    CPPUNIT_ASSERT(std::filesystem::file_size(stateDir_ + "/" + aside[0]) > 0);
    const std::string log = daemon_->log();
    CPPUNIT_ASSERT_MESSAGE(log, log.find("discarded_inventory_id=" + idA) != std::string::npos);
  }

  std::unique_ptr<TempDir> dir_;
  std::string stateDir_;
  std::unique_ptr<Daemon> daemon_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(DaemonReplicaIdentityTest);
