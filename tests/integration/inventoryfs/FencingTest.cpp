// Epoch fencing and reader monotonicity on a real directory (I2, I3, I9, F-14): once a writer
// with epoch E+1 has committed, every attempt of the epoch-E writer is refused, and readers
// never accept a lower (version, epoch) than they have seen, even when the directory is rolled
// back under them.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <cppunit/extensions/HelperMacros.h>

#include "ProcessHelpers.h"
#include "inventoryfs/DirectorySlotStore.h"
#include "inventoryfs/Exceptions.h"
#include "inventoryfs/InventoryStore.h"

using namespace inventoryfs;

namespace {

InventoryStore::Change add(const std::string& name) {
  return [name](Inventory& inventory) {
    Device d;
    d.sysName = name;
    inventory.devices.push_back(d);
  };
}

}  // namespace

class FencingTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(FencingTest);
  CPPUNIT_TEST(testDeposedWriterIsRefusedEveryTime);
  CPPUNIT_TEST(testReadersNeverGoBackwards);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    dir_ = std::make_unique<testing::TempDir>();
    head_ = dir_->path() + "/promsnmp-inventory.json";
    keys_ = std::make_unique<Keyring>(Keyring::deriveKey("fencing test key", "test"));
    DirectorySlotStore slots(head_);
    InventoryStore(slots, *keys_).init(Inventory{}, "fencing");
  }

  void tearDown() override { dir_.reset(); }

  void testDeposedWriterIsRefusedEveryTime() {
    DirectorySlotStore slotsA(head_);
    DirectorySlotStore slotsB(head_);
    InventoryStore oldLeader(slotsA, *keys_);
    InventoryStore newLeader(slotsB, *keys_);
    const uint64_t e = 5;
    oldLeader.fence(e);
    oldLeader.commit(e, add("before"));
    CommitResult fenced = newLeader.fence(e);  // token unknown: head epoch + 1
    CPPUNIT_ASSERT_EQUAL(e + 1, fenced.epoch);
    newLeader.commit(e + 1, add("new leader"));
    size_t slotsBefore = slotsA.listSlots().size();
    for (int i = 0; i < 100; ++i) {
      CPPUNIT_ASSERT_THROW(oldLeader.commit(e, add("zombie")), FencedException);
    }
    // A restarted old leader (fresh process state, same stale token) is refused too.
    InventoryStore restarted(slotsA, *keys_);
    CPPUNIT_ASSERT_THROW(restarted.commit(e, add("zombie")), FencedException);
    CPPUNIT_ASSERT_EQUAL(slotsBefore, slotsA.listSlots().size());
    std::vector<std::string> errors;
    newLeader.verify(&errors);
    CPPUNIT_ASSERT(errors.empty());
  }

  void testReadersNeverGoBackwards() {
    std::string log = dir_->path() + "/reader.log";
    pid_t reader = ::fork();
    if (reader == 0) {
      // A follower polling as fast as it can; it records what it accepted and what it refused.
      DirectorySlotStore slots(head_);
      InventoryStore store(slots, *keys_);
      std::ofstream out(log);
      auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      // One line per change of what it sees (flushed, so the parent can wait for it).
      std::string last;
      auto record = [&](const std::string& line) {
        if (line != last) {
          out << line << std::endl;
          last = line;
        }
      };
      while (std::chrono::steady_clock::now() < until &&
             !std::filesystem::exists(dir_->path() + "/stop")) {
        try {
          Snapshot s = store.load();
          record("ok " + std::to_string(s.version) + " " + std::to_string(s.epoch));
        } catch (const RollbackException&) {
          record("rollback");
        } catch (const InventoryException& e) {
          record("error " + e.displayText());
        }
      }
      out.flush();
      ::_exit(0);
    }
    DirectorySlotStore slots(head_);
    InventoryStore writer(slots, *keys_);
    uint64_t epoch = 1;
    for (int i = 0; i < 150; ++i) {
      if (i % 30 == 0) {
        epoch = writer.fence(epoch).epoch;
      }
      writer.commit(epoch, add("d" + std::to_string(i)));
    }
    uint64_t newest = slots.listSlots().back();
    // The reader must have accepted the newest version before the rollback, and seen the
    // rollback before it stops: waited for in its log (bounded), not assumed after a fixed sleep
    // (its first load derives the key, which takes a while on a loaded machine).
    CPPUNIT_ASSERT_MESSAGE("the reader never accepted the newest version",
                           waitForLogLine(log, "ok " + std::to_string(newest) + " "));
    // Roll the directory back: an old valid version becomes the head, newer ones vanish.
    std::filesystem::copy_file(slots.slotPath(newest - 10), head_ + ".restore");
    for (uint64_t v = newest - 9; v <= newest; ++v) {
      slots.removeSlot(v);
    }
    std::filesystem::rename(head_ + ".restore", head_);
    waitForLogLine(log, "rollback");  // asserted below, from the whole log
    std::ofstream(dir_->path() + "/stop") << "";
    int status = 0;
    ::waitpid(reader, &status, 0);

    std::ifstream in(log);
    std::string kind;
    uint64_t lastVersion = 0;
    uint64_t lastEpoch = 0;
    int accepted = 0;
    int refused = 0;
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      fields >> kind;
      if (kind == "ok") {
        uint64_t v = 0;
        uint64_t e = 0;
        fields >> v >> e;
        CPPUNIT_ASSERT_MESSAGE("reader went backwards: " + line,
                               v >= lastVersion && e >= lastEpoch);
        lastVersion = v;
        lastEpoch = e;
        ++accepted;
      } else if (kind == "rollback") {
        ++refused;
      } else {
        CPPUNIT_FAIL("reader error: " + line);
      }
    }
    CPPUNIT_ASSERT(accepted > 0);
    CPPUNIT_ASSERT_MESSAGE("the reader never saw the rollback", refused > 0);
    CPPUNIT_ASSERT_EQUAL(newest, lastVersion);
  }

 private:
  // Whether a line of the reader's log starts with `prefix` within 20 s (it flushes per line).
  static bool waitForLogLine(const std::string& log, const std::string& prefix) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < until) {
      std::ifstream in(log);
      std::string line;
      while (std::getline(in, line)) {
        if (line.rfind(prefix, 0) == 0) {
          return true;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  std::unique_ptr<testing::TempDir> dir_;
  std::string head_;
  std::unique_ptr<Keyring> keys_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(FencingTest);
