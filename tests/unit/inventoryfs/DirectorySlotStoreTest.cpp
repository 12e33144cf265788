#include "inventoryfs/DirectorySlotStore.h"

#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <cppunit/extensions/HelperMacros.h>

#include "inventoryfs/Exceptions.h"

using namespace inventoryfs;

class DirectorySlotStoreTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DirectorySlotStoreTest);
  CPPUNIT_TEST(testClaimIsExclusive);
  CPPUNIT_TEST(testClaimWithoutMarkerWritesNothing);
  CPPUNIT_TEST(testPublishHeadLinksTheSlot);
  CPPUNIT_TEST(testMissingFilesAreNullNotEmpty);
  CPPUNIT_TEST(testListIgnoresTempsAndNfsFiles);
  CPPUNIT_TEST(testStaleTempsRemovedLiveOnesKept);
  CPPUNIT_TEST(testSymlinkHeadRefused);
  CPPUNIT_TEST(testReadHonoursLimit);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    char pattern[] = "/tmp/promsnmp-slots.XXXXXX";
    CPPUNIT_ASSERT(::mkdtemp(pattern) != nullptr);
    dir_ = pattern;
    store_ = std::make_unique<DirectorySlotStore>(dir_ + "/inventory.json");
  }

  void tearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void testClaimIsExclusive() {
    store_->createMarker("site");
    CPPUNIT_ASSERT(store_->claim(1, "first") == SlotStore::Claim::Claimed);
    CPPUNIT_ASSERT(store_->claim(1, "second") == SlotStore::Claim::Taken);
    CPPUNIT_ASSERT_EQUAL(std::string("first"), *store_->readSlot(1, 100));
    CPPUNIT_ASSERT_EQUAL(size_t(0), countTemps());  // losers clean up their temp
  }

  void testClaimWithoutMarkerWritesNothing() {
    CPPUNIT_ASSERT_THROW(store_->claim(1, "x"), NotMountedException);
    CPPUNIT_ASSERT(!store_->slotExists(1));
    CPPUNIT_ASSERT_EQUAL(size_t(0), countTemps());
  }

  void testPublishHeadLinksTheSlot() {
    store_->createMarker("site");
    store_->claim(1, "one");
    store_->publishHead(1);
    store_->claim(2, "two");
    store_->publishHead(2);
    CPPUNIT_ASSERT_EQUAL(std::string("two"), *store_->readHead(100));
    struct stat head {};
    struct stat slot {};
    ::stat(store_->headPath().c_str(), &head);
    ::stat(store_->slotPath(2).c_str(), &slot);
    CPPUNIT_ASSERT_EQUAL(slot.st_ino, head.st_ino);  // a link, not a copy
    store_->removeSlot(2);                           // collection never breaks the head
    CPPUNIT_ASSERT_EQUAL(std::string("two"), *store_->readHead(100));
    store_->publishHead(2);  // a collected slot is not published (no error)
    CPPUNIT_ASSERT_EQUAL(size_t(0), countTemps());
  }

  void testMissingFilesAreNullNotEmpty() {
    CPPUNIT_ASSERT(!store_->readHead(100));
    CPPUNIT_ASSERT(!store_->readSlot(7, 100));
    CPPUNIT_ASSERT(!store_->markerPresent());
    CPPUNIT_ASSERT(store_->listSlots().empty());
  }

  void testListIgnoresTempsAndNfsFiles() {
    store_->createMarker("site");
    store_->claim(3, "three");
    store_->claim(10, "ten");
    for (const char* name :
         {".nfs000000001", ".tmp.abc", "v12", "v0000000000000000000x", "inventory.json"}) {
      std::ofstream(dir_ + "/" + name) << "x";
    }
    std::vector<uint64_t> versions = store_->listSlots();
    CPPUNIT_ASSERT_EQUAL(size_t(2), versions.size());
    CPPUNIT_ASSERT_EQUAL(uint64_t(3), versions[0]);
    CPPUNIT_ASSERT_EQUAL(uint64_t(10), versions[1]);
  }

  void testStaleTempsRemovedLiveOnesKept() {
    std::ofstream(dir_ + "/.tmp.old") << "x";
    std::ofstream(dir_ + "/.tmp.live") << "x";
    std::ofstream(dir_ + "/.nfs1234") << "x";
    struct timeval old[2] = {{::time(nullptr) - 3600, 0}, {::time(nullptr) - 3600, 0}};
    ::utimes((dir_ + "/.tmp.old").c_str(), old);
    ::utimes((dir_ + "/.nfs1234").c_str(), old);
    CPPUNIT_ASSERT_EQUAL(size_t(1), store_->removeStaleTemps(600));
    CPPUNIT_ASSERT(!std::filesystem::exists(dir_ + "/.tmp.old"));
    CPPUNIT_ASSERT(std::filesystem::exists(dir_ + "/.tmp.live"));
    CPPUNIT_ASSERT(std::filesystem::exists(dir_ + "/.nfs1234"));
  }

  void testSymlinkHeadRefused() {
    std::ofstream(dir_ + "/elsewhere") << "x";
    CPPUNIT_ASSERT_EQUAL(0, ::symlink((dir_ + "/elsewhere").c_str(), store_->headPath().c_str()));
    CPPUNIT_ASSERT_THROW(store_->readHead(100), DataException);
  }

  void testReadHonoursLimit() {
    store_->createMarker("site");
    store_->claim(1, std::string(1000, 'a'));
    CPPUNIT_ASSERT_EQUAL(size_t(84), store_->readSlot(1, 84)->size());
    CPPUNIT_ASSERT_EQUAL(size_t(1000), store_->readSlot(1, 5000)->size());
  }

 private:
  size_t countTemps() {
    size_t n = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      if (entry.path().filename().string().rfind(".tmp.", 0) == 0) {
        ++n;
      }
    }
    return n;
  }

  std::string dir_;
  std::unique_ptr<DirectorySlotStore> store_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(DirectorySlotStoreTest);
