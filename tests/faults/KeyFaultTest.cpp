// F-16 of the fault catalog (election-and-shared-file.md §7.3):
//   F-16 | Wrong key / key rotation | Start a replica with the wrong key; rotate keys mid-run
//        | Wrong-key replica never writes (stays follower, alarms); readers accept old and new
//        | key-ids during rotation
// plus the house rule: a wrong-key file gets a clear error and never becomes an empty inventory;
// and (issue 17) the error names the key sources tried, a key file's stray whitespace is warned.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>

#include <cppunit/extensions/HelperMacros.h>

#include "FaultHelpers.h"
#include "SiteHarness.h"
#include "inventoryfs/Keyring.h"

using namespace faults;
using testing::Daemon;

namespace {

// The key id a file with `header` names when sealed with the key text `text` (for a passphrase,
// its scrypt derivation with the file's salt and cost).
std::string keyIdOf(const std::string& text, const inventoryfs::Header& header) {
  const inventoryfs::Keyring keys(inventoryfs::Keyring::deriveKey(text, "test"));
  return keys.fileKey(keys.current(), header.kdf).idHex();
}

using testing::FakeElector;

}  // namespace

class KeyFaultTest : public TimedFixture {
  CPPUNIT_TEST_SUITE(KeyFaultTest);
  CPPUNIT_TEST(testF16WrongKeyReplicaNeverWrites_I8_I10);
  CPPUNIT_TEST(testF16WrongKeyReplicaStaysFollower);
  CPPUNIT_TEST(testF16KeyRotation_I8_I9_I10);
  CPPUNIT_TEST(testKeyFileWindowsLineEndIsWarned);
  CPPUNIT_TEST_SUITE_END();

 public:
  // A replica started with the wrong PROM_ENCRYPT_KEY (and as the leader, so nothing but the
  // key stops it): it cannot open the head (I8), never writes, alarms with a key error, and
  // never presents an empty inventory as if it were one (I10). The good leader is unaffected.
  void testF16WrongKeyReplicaNeverWrites_I8_I10() {
    name_ = "testF16WrongKeyReplicaNeverWrites_I8_I10";
    Site site("the right key");
    site.init(3);
    auto good = site.start("good", "");
    Baseline before = baseline(*good);
    std::vector<std::string> files = listDir(site.share());

    LiveProcess wrong(site.daemonDir("wrong"),
                      site.daemonEnv("wrong", "leader", {{"PROM_ENCRYPT_KEY", "a wrong key"}}));
    // Alarm: metric, health detail naming the key, log.
    CPPUNIT_ASSERT(testing::eventually(5, [&] { return observe(wrong.port()).failing == "1"; }));
    Seen s = observe(wrong.port());
    CPPUNIT_ASSERT_MESSAGE(s.health, contains(s.health, "\"error\""));
    CPPUNIT_ASSERT_MESSAGE(s.health, contains(s.health, "key"));
    CPPUNIT_ASSERT_MESSAGE(wrong.log(), contains(wrong.log(), "inventory unreadable"));
    // The detail and the log name the key source tried with the id it gave (issue 17).
    const std::string tried = "tried, in order: PROM_ENCRYPT_KEY (key id ";
    CPPUNIT_ASSERT_MESSAGE(s.health, contains(s.health, tried));
    CPPUNIT_ASSERT_MESSAGE(wrong.log(), contains(wrong.log(), tried));
    CPPUNIT_ASSERT_EQUAL(503, wrong.get("/-/ready").status);

    // Never writes: POST refused, the share unchanged, also after a few polls.
    testing::HttpAnswer post = postInventory(wrong.port(), inventoryJson("wrong", 1));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(post.body, 503, post.status);
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    CPPUNIT_ASSERT(wrong.alive());
    CPPUNIT_ASSERT(listDir(site.share()) == files);
    CPPUNIT_ASSERT_EQUAL(0, site.cliResult({"verify"}).code);
    for (uint64_t v : site.slots()) {
      CPPUNIT_ASSERT_EQUAL(keyIdOf("the right key", site.header(v)), site.header(v).keyIdHex());
    }
    // The good replica still serves and writes.
    CPPUNIT_ASSERT_EQUAL(before.targets, baseline(*good).targets);
    CPPUNIT_ASSERT_EQUAL(200, postInventory(good->port(), inventoryJson("good", 2)).status);
    CPPUNIT_ASSERT(testing::eventually(5, [&] { return observe(wrong.port()).failing == "1"; }));

    // I10: nothing loaded must not look like an empty inventory to Prometheus's HTTP SD or to
    // an export: no "200 []" from /targets, no "200 {devices: []}" from /promsnmp/inventory.
    Seen w = observe(wrong.port());
    CPPUNIT_ASSERT_MESSAGE("I10: a replica that cannot read the inventory answers /targets " +
                               std::to_string(w.targetsStatus) + " " + w.targets,
                           !(w.targetsStatus == 200 && targetGroups(w.targets) == 0));
    testing::HttpAnswer inv = wrong.get("/promsnmp/inventory");
    CPPUNIT_ASSERT_MESSAGE(
        "I10: a replica that cannot read the inventory answers "
        "/promsnmp/inventory " +
            std::to_string(inv.status) + " " + inv.body,
        inv.status != 200);
  }

  // A key file saved with a Windows line end: the daemon reads the site's key (the CR LF is
  // stripped) and says so in its log and health details, naming the file, never the key.
  void testKeyFileWindowsLineEndIsWarned() {
    name_ = "testKeyFileWindowsLineEndIsWarned";
    Site site("the right key");
    site.init(1);
    const std::string keyFile = site.root() + "/key-from-windows";
    std::ofstream(keyFile, std::ios::binary) << "the right key\r\n";
    auto replica = site.start("crlf", "follower",
                              {{"PROM_ENCRYPT_KEY", ""}, {"PROM_ENCRYPT_KEY_FILE", keyFile}});
    const std::string warning =
        "PROM_ENCRYPT_KEY_FILE=" + keyFile + ": the file ends in a Windows line end (CR LF)";
    CPPUNIT_ASSERT_MESSAGE(replica->log(), contains(replica->log(), warning));
    const Seen seen = observe(*replica);
    CPPUNIT_ASSERT_EQUAL(std::string("0"), seen.failing);  // the inventory opens
    CPPUNIT_ASSERT_MESSAGE(seen.health, contains(seen.health, "\"keyWarnings\":[\"PROM_ENCRYPT"));
    CPPUNIT_ASSERT_MESSAGE(seen.health, contains(seen.health, "a Windows line end (CR LF)"));
    CPPUNIT_ASSERT(!contains(replica->log(), "the right key"));
  }

  // "Stays follower": a wrong-key replica that the elector names leader cannot fence (it cannot
  // read the head), so it must not present itself as the leader: /promsnmp/leader is what
  // HAProxy routes writes by, and a leader that can only answer 503 takes the site's writes down.
  void testF16WrongKeyReplicaStaysFollower() {
    name_ = "testF16WrongKeyReplicaStaysFollower";
    Site site("the right key");
    site.init(2);
    std::string socket = site.root() + "/elector.sock";
    FakeElector elector(socket);
    LiveProcess wrong(
        site.daemonDir("wrong"),
        site.daemonEnv("wrong", "",
                       {{"PROM_ENCRYPT_KEY", "a wrong key"}, {"PROMSNMP_ELECTOR_SOCKET", socket}}));
    elector.accept();
    elector.send(R"({"role":"leader","epoch":7,"holder":"wrong","lease_ms":10000})");
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    uint64_t n = site.newest();
    CPPUNIT_ASSERT_EQUAL(uint64_t{3}, n);  // no fence write got through
    testing::HttpAnswer leader = wrong.get("/promsnmp/leader");
    std::vector<testing::Sample> m = testing::parseSamples(wrong.get("/metrics").body);
    CPPUNIT_ASSERT_MESSAGE("a replica that cannot read the head reports itself leader: " +
                               std::to_string(leader.status) + " " + leader.body,
                           leader.status != 200);
    CPPUNIT_ASSERT_EQUAL(std::string("0"),
                         testing::sampleValue(m, "promsnmp_leader_election_is_leader"));
  }

  // Rotation: the site is under key A. A leader with PROM_ENCRYPT_KEY=B and
  // PROM_ENCRYPT_KEY_PREVIOUS=A reads A's files; its next commit is under B. A follower with
  // B+A follows (readers accept both key ids); a follower still on A only alarms and keeps the
  // last A version (I8, I9, I10). `rotate-key` in the CLI re-encrypts the newest version.
  void testF16KeyRotation_I8_I9_I10() {
    name_ = "testF16KeyRotation_I8_I9_I10";
    Site site("key A");
    site.init(2);
    uint64_t n = site.newest();
    auto oldOnly = site.start("old", "follower");
    Baseline oldGood = baseline(*oldOnly);
    Env rotated = {{"PROM_ENCRYPT_KEY", "key B"}, {"PROM_ENCRYPT_KEY_PREVIOUS", "key A"}};
    auto leader = site.start("leader", "", rotated);
    auto both = site.start("both", "follower", rotated);
    CPPUNIT_ASSERT_EQUAL(std::to_string(n), baseline(*leader).version);
    CPPUNIT_ASSERT_EQUAL(oldGood.targets, baseline(*leader).targets);
    CPPUNIT_ASSERT_EQUAL(oldGood.targets, baseline(*both).targets);

    testing::HttpAnswer post = postInventory(leader->port(), inventoryJson("rotated", 3));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(post.body, 200, post.status);
    uint64_t m = site.newest();
    CPPUNIT_ASSERT(m > n);
    for (uint64_t v = n + 1; v <= m; ++v) {
      CPPUNIT_ASSERT_EQUAL_MESSAGE("v" + std::to_string(v) + " not under the new key",
                                   keyIdOf("key B", site.header(v)), site.header(v).keyIdHex());
    }
    CPPUNIT_ASSERT(testing::eventually(5, [&] {
      return observe(*both).version == std::to_string(m) &&
             targetGroups(observe(*both).targets) == 3;
    }));
    // The replica still on A alone: alarm with the unknown key id, keep version n.
    CPPUNIT_ASSERT(testing::eventually(5, [&] { return observe(*oldOnly).failing == "1"; }));
    Seen o = observe(*oldOnly);
    CPPUNIT_ASSERT_EQUAL_MESSAGE("I9", oldGood.version, o.version);
    CPPUNIT_ASSERT_EQUAL_MESSAGE("I10", oldGood.targets, o.targets);
    CPPUNIT_ASSERT_MESSAGE(o.health, contains(o.health, keyIdOf("key B", site.header(m))) ||
                                         contains(o.health, "key"));

    // The CLI's rotation to a third key, with B as the previous key.
    Env third = {{"PROM_ENCRYPT_KEY", "key C"}, {"PROM_ENCRYPT_KEY_PREVIOUS", "key B"}};
    site.cli({"rotate-key"}, third);
    CPPUNIT_ASSERT_EQUAL(m + 1, site.newest());
    CPPUNIT_ASSERT_EQUAL(keyIdOf("key C", site.header(m + 1)), site.header(m + 1).keyIdHex());
    // Readers holding A and B but not C alarm and keep m; verify needs every key still in use.
    CPPUNIT_ASSERT(testing::eventually(5, [&] { return observe(*both).failing == "1"; }));
    CPPUNIT_ASSERT_EQUAL(std::to_string(m), observe(*both).version);
    CPPUNIT_ASSERT_EQUAL(0,
                         site.cliResult({"verify"}, {{"PROM_ENCRYPT_KEY", "key C"},
                                                     {"PROM_ENCRYPT_KEY_PREVIOUS", "key B,key A"}})
                             .code);
  }

 private:
};

CPPUNIT_TEST_SUITE_REGISTRATION(KeyFaultTest);
