// Multi-process race on one directory (election-and-shared-file.md §5.1, F-10, I7):
// three processes commit 300 changes each. Through the slot protocol nothing is lost and the
// version chain is complete; the naive check-then-rename strategy, run the same way, loses
// updates, which proves the test can fail.
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include <Poco/Exception.h>
#include <cppunit/extensions/HelperMacros.h>

#include "NaiveRenameWriter.h"
#include "ProcessHelpers.h"
#include "inventoryfs/DirectorySlotStore.h"
#include "inventoryfs/Envelope.h"
#include "inventoryfs/InventoryJson.h"
#include "inventoryfs/InventoryStore.h"

using namespace inventoryfs;

namespace {

constexpr int kWriters = 3;
constexpr int kChangesPerWriter = 300;
// A raw key (64 hex digits): this suite runs 900 CLI processes, and a passphrase would cost each
// one an scrypt derivation; races, not keys, are under test here.
const std::string kKey = "5ace7e575ace7e575ace7e575ace7e575ace7e575ace7e575ace7e575ace7e57";

/// Forks `kWriters` children running `body(writerIndex)`; each child's return value is its
/// exit code. Returns the number of children that failed.
template <typename Body>
int forkWriters(Body body) {
  std::vector<pid_t> children;
  for (int w = 0; w < kWriters; ++w) {
    pid_t pid = ::fork();
    if (pid == 0) {
      int code = 1;
      try {
        code = body(w);
      } catch (const Poco::Exception& e) {
        std::cerr << "writer " << w << ": " << e.displayText() << "\n";
      } catch (const std::exception& e) {
        std::cerr << "writer " << w << ": " << e.what() << "\n";
      }
      ::_exit(code);
    }
    children.push_back(pid);
  }
  int failed = 0;
  for (pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      ++failed;
    }
  }
  return failed;
}

Device marker(int writer, int n) {
  Device d;
  d.sysName = "w" + std::to_string(writer) + "-" + std::to_string(n);
  Agent a;
  a.version = 1;
  a.endpoint = Endpoint{"127.0.0." + std::to_string(writer + 1), 1024 + n};
  a.readCommunity = "public";
  d.agents.push_back(a);
  d.primaryAgent = a;
  return d;
}

int readCount(const std::string& path) {
  std::ifstream in(path);
  int n = 0;
  in >> n;
  return n;
}

}  // namespace

class SlotRaceTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SlotRaceTest);
  CPPUNIT_TEST(testThreeCliWritersLoseNothing);
  CPPUNIT_TEST(testNaiveCheckThenRenameLosesUpdates);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testThreeCliWritersLoseNothing() {
    testing::TempDir dir;
    std::string head = dir.path() + "/site/promsnmp-inventory.json";
    std::map<std::string, std::string> env = {
        {"PROM_INV_FILE", head}, {"PROM_ENCRYPT_KEY", kKey}, {"PROM_INV_KEEP", "5000"}};
    auto init = testing::runProcess({PROMSNMP_INVENTORY_CLI, "init"}, env);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(init.err, 0, init.code);

    int failed = forkWriters([&](int w) {
      int conflicts = 0;
      for (int n = 0; n < kChangesPerWriter; ++n) {
        Device d = marker(w, n);
        auto r = testing::runProcess(
            {PROMSNMP_INVENTORY_CLI, "--json", "add-device", "--sys-name", *d.sysName, "--address",
             d.agents[0].endpoint.address, "--port", std::to_string(d.agents[0].endpoint.port),
             "--community", "public"},
            env);
        if (r.code != 0) {
          std::cerr << "add-device " << *d.sysName << " exited " << r.code << " signal " << r.signal
                    << ": " << r.err << "\n";
          return 1;
        }
        auto at = r.out.find("\"attempts\":");
        conflicts += std::atoi(r.out.c_str() + at + 11) - 1;
      }
      std::ofstream(dir.path() + "/conflicts." + std::to_string(w)) << conflicts;
      return 0;
    });
    CPPUNIT_ASSERT_EQUAL(0, failed);

    auto verify = testing::runProcess({PROMSNMP_INVENTORY_CLI, "verify"}, env);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(verify.err, 0, verify.code);
    auto show = testing::runProcess(
        {PROMSNMP_INVENTORY_CLI, "show", "--json", "--include-credentials"}, env);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(show.err, 0, show.code);
    Inventory final = inventoryFromJson(show.out);
    std::set<std::string> names;
    for (const Device& d : final.devices) {
      names.insert(*d.sysName);
    }
    CPPUNIT_ASSERT_EQUAL(size_t(kWriters * kChangesPerWriter), final.devices.size());
    CPPUNIT_ASSERT_EQUAL(size_t(kWriters * kChangesPerWriter), names.size());

    // Gap-free chain: init is v1, each change one version, every one of them kept and valid.
    DirectorySlotStore slots(head);
    Keyring keys(Keyring::deriveKey(kKey, "test"));
    InventoryStore store(slots, keys);
    std::vector<std::string> chainErrors;
    std::vector<VersionReport> reports = store.verify(&chainErrors);
    CPPUNIT_ASSERT(chainErrors.empty());
    CPPUNIT_ASSERT_EQUAL(size_t(1 + kWriters * kChangesPerWriter), reports.size());
    CPPUNIT_ASSERT_EQUAL(uint64_t(1 + kWriters * kChangesPerWriter), reports.back().version);
    int conflicts = 0;
    for (int w = 0; w < kWriters; ++w) {
      conflicts += readCount(dir.path() + "/conflicts." + std::to_string(w));
    }
    std::cerr << "\n[slot CAS] " << kWriters * kChangesPerWriter << " changes, "
              << final.devices.size() << " kept, " << conflicts << " lost races retried\n";
  }

  void testNaiveCheckThenRenameLosesUpdates() {
    testing::TempDir dir;
    std::string head = dir.path() + "/promsnmp-inventory.json";
    Keyring keys(Keyring::deriveKey(kKey, "test"));
    Header header;
    header.version = 1;
    std::ofstream(head, std::ios::binary) << sealV2(header, inventoryToJson(Inventory{}), keys);

    int failed = forkWriters([&](int w) {
      int conflicts = 0;
      for (int n = 0; n < kChangesPerWriter; ++n) {
        conflicts += testing::naiveCommit(
            head, keys, [&](Inventory& inventory) { inventory.devices.push_back(marker(w, n)); });
      }
      std::ofstream(dir.path() + "/conflicts." + std::to_string(w)) << conflicts;
      return 0;
    });
    CPPUNIT_ASSERT_EQUAL(0, failed);

    std::ifstream in(head, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    Inventory final = inventoryFromJson(open(bytes.str(), keys).plaintext);
    int lost = kWriters * kChangesPerWriter - static_cast<int>(final.devices.size());
    int conflicts = 0;
    for (int w = 0; w < kWriters; ++w) {
      conflicts += readCount(dir.path() + "/conflicts." + std::to_string(w));
    }
    std::cerr << "\n[naive check-then-rename] " << kWriters * kChangesPerWriter << " changes, "
              << final.devices.size() << " kept, " << lost << " lost, " << conflicts
              << " conflicts detected\n";
    // Every writer believed each of its renames succeeded, yet updates are gone.
    CPPUNIT_ASSERT(lost > 0);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SlotRaceTest);
