// F-17 of the fault catalog (election-and-shared-file.md §7.3):
//   F-17 | Nonce audit | After all runs, scan slots and temps | All nonces unique (I11)
// 50 commits from two kinds of writers on one share (a standalone leader daemon taking POSTs and
// the CLI as an operator), three CLI writers killed between fsync and link so their temps stay,
// then every v2 file in the directory — slots, head, temps — is parsed here (Envelope.h header:
// key id @48, nonce @56) and every (key id, nonce) pair must be distinct (I11). `verify`, which
// checks the kept slots (tags, chain, epochs, nonces: I1, I2, I8, I11), must pass too.
#include <sys/stat.h>

#include <map>
#include <set>

#include <cppunit/extensions/HelperMacros.h>

#include "FaultHelpers.h"

using namespace faults;

class NonceAuditTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(NonceAuditTest);
  CPPUNIT_TEST(testF17NoncesUniqueAcrossSlotsAndTemps_I11);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testF17NoncesUniqueAcrossSlotsAndTemps_I11() {
    auto started = std::chrono::steady_clock::now();
    Site site;
    site.init(0);
    auto leader = site.start("leader", "");
    for (int i = 0; i < 25; ++i) {
      site.cli({"add-device", "--sys-name", "cli" + std::to_string(i), "--address",
                "127.0.1." + std::to_string(i + 1), "--community", "c"});
      testing::HttpAnswer post =
          postInventory(leader->port(), inventoryJson("p" + std::to_string(i) + "-", 2));
      CPPUNIT_ASSERT_EQUAL_MESSAGE(post.body, 200, post.status);
    }
    // Writers killed after fsync, before link: their sealed temps stay on the share.
    for (int i = 0; i < 3; ++i) {
      testing::ProcessResult killed =
          site.cliResult({"add-device", "--sys-name", "killed" + std::to_string(i), "--address",
                          "127.0.2.1", "--community", "c"},
                         {{"INVENTORYFS_FAULT_POINT", "after_temp_fsync"}});
      CPPUNIT_ASSERT_EQUAL(9, killed.signal);
    }

    std::map<std::string, std::string> seenNonce;  // key id/nonce -> file
    std::set<std::pair<dev_t, ino_t>> inodes;
    size_t slots = 0, temps = 0;
    for (const std::string& name : listDir(site.share())) {
      std::string path = site.share() + "/" + name;
      struct stat st {};
      CPPUNIT_ASSERT_EQUAL(0, ::lstat(path.c_str(), &st));
      if (!S_ISREG(st.st_mode) || !inodes.insert({st.st_dev, st.st_ino}).second) {
        continue;  // the head is a hard link to the newest slot: one file, counted once
      }
      std::string bytes = readBytes(path);
      if (inventoryfs::detectFormat(bytes) != inventoryfs::EnvelopeFormat::V2) {
        continue;  // .cluster-id
      }
      inventoryfs::Header h = inventoryfs::readHeader(bytes);
      std::string pair = h.keyIdHex() + "/" + h.nonceHex();
      auto [it, fresh] = seenNonce.emplace(pair, name);
      CPPUNIT_ASSERT_MESSAGE("I11: nonce " + pair + " in both " + it->second + " and " + name,
                             fresh);
      (name.rfind(".tmp.", 0) == 0 ? temps : slots) += 1;
    }
    // 1 init + 25 CLI + 25 POSTs + the leader's fence write.
    CPPUNIT_ASSERT_MESSAGE("slots audited: " + std::to_string(slots), slots >= 51);
    CPPUNIT_ASSERT_EQUAL_MESSAGE("leftover temps audited", size_t{3}, temps);
    testing::ProcessResult verify = site.cliResult({"verify"});
    CPPUNIT_ASSERT_EQUAL_MESSAGE(verify.out + verify.err, 0, verify.code);
    std::fprintf(stderr, "\n  [faults] F-17 audited %zu slots and %zu temps, all nonces distinct\n",
                 slots, temps);
    printTiming("testF17NoncesUniqueAcrossSlotsAndTemps_I11",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(NonceAuditTest);
