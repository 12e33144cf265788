// NFS-only cases of the fault catalog (election-and-shared-file.md §7.2 "NFS mode", §7.3): the
// share exported by the kernel NFS server on 127.0.0.1 and mounted twice (vers=3 with `nolock`,
// as the seed compose file does, and vers=4.1), a leader on one mount, a follower on the other,
// the fault injected on the server's directory:
//   F-11/F-13 over NFS: a truncated, then a bit-flipped v<N+1> appears behind the clients'
//   attribute caches; both keep the last good version (I8, I9, I10) and the leader refuses to
//   write (its link would otherwise race the reader's stale view).
//   F-18 over NFS: the mount point with nothing mounted is empty; nothing is written (I14).
// Needs root, an NFS-capable kernel (nfsd and the nfs client in /proc/filesystems), exportfs and
// mount.nfs. Without them every test skips (exit 77, CTest "Skipped").
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include <cppunit/extensions/HelperMacros.h>

#include "FaultHelpers.h"

using namespace faults;

namespace {

/// Why NFS tests cannot run here, or "" if they can.
std::string nfsUnavailable() {
  if (::geteuid() != 0) {
    return "not root";
  }
  std::string fs = readBytes("/proc/filesystems");
  if (!contains(fs, "\tnfs\n") && !contains(fs, "\tnfs4\n")) {
    return "no NFS client in this kernel (/proc/filesystems)";
  }
  if (!contains(fs, "\tnfsd\n")) {
    return "no NFS server (nfsd) in this kernel";
  }
  for (const char* tool : {"/usr/sbin/exportfs", "/sbin/mount.nfs", "/usr/sbin/rpc.nfsd"}) {
    if (::access(tool, X_OK) != 0) {
      return std::string(tool) + " missing (apt-get install nfs-kernel-server)";
    }
  }
  return "";
}

int sh(const std::string& command) {
  return testing::runProcess({"/bin/sh", "-c", command}, {}, 60).code;
}

/// The exported directory and two client mounts of it, all undone by the destructor.
class LoopbackNfs {
 public:
  explicit LoopbackNfs(const std::string& root)
      : exported_(root + "/export"), mountV3_(root + "/mnt-v3"), mountV41_(root + "/mnt-v41") {
    for (const std::string& d : {exported_, mountV3_, mountV41_}) {
      ::mkdir(d.c_str(), 0755);
    }
    sh("mountpoint -q /proc/fs/nfsd || mount -t nfsd nfsd /proc/fs/nfsd");
    sh("pgrep -x rpcbind >/dev/null || rpcbind");
    sh("pgrep -x nfsd >/dev/null || rpc.nfsd 4");
    sh("pgrep -x rpc.mountd >/dev/null || rpc.mountd");
    if (sh("exportfs -o rw,sync,no_root_squash,no_subtree_check,fsid=" +
           std::to_string(::getpid()) + " 127.0.0.1:" + exported_) != 0) {
      throw std::runtime_error("exportfs failed");
    }
    exported_ok_ = true;
    if (sh("mount -t nfs -o vers=3,nolock,actimeo=1,lookupcache=positive 127.0.0.1:" + exported_ +
           " " + mountV3_) != 0 ||
        sh("mount -t nfs -o vers=4.1,actimeo=1 127.0.0.1:" + exported_ + " " + mountV41_) != 0) {
      throw std::runtime_error("NFS mount failed");
    }
  }
  ~LoopbackNfs() {
    sh("umount -f " + mountV41_ + " 2>/dev/null; umount -f " + mountV3_ + " 2>/dev/null");
    if (exported_ok_) {
      sh("exportfs -u 127.0.0.1:" + exported_);
    }
  }
  std::string exported() const { return exported_; }
  std::string v3() const { return mountV3_; }
  std::string v41() const { return mountV41_; }

 private:
  std::string exported_, mountV3_, mountV41_;
  bool exported_ok_ = false;
};

}  // namespace

class NfsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(NfsTest);
  CPPUNIT_TEST(testNfsF11F13CorruptNextSlotThroughTwoMounts_I8_I9_I10);
  CPPUNIT_TEST(testNfsF18EmptyMountPointWritesNothing_I14);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testNfsF11F13CorruptNextSlotThroughTwoMounts_I8_I9_I10() {
    std::string why = nfsUnavailable();
    if (!why.empty()) {
      skip("NfsTest::testNfsF11F13CorruptNextSlotThroughTwoMounts_I8_I9_I10: " + why);
      return;
    }
    Site site;
    LoopbackNfs nfs(site.root());
    Env onV3 = {{"PROM_INV_FILE", nfs.v3() + "/promsnmp-inventory.json"}};
    Env onV41 = {{"PROM_INV_FILE", nfs.v41() + "/promsnmp-inventory.json"}};
    site.cli({"init"}, onV3);
    for (int i = 1; i <= 3; ++i) {
      site.cli({"add-device", "--sys-name", "dev" + std::to_string(i), "--address",
                "127.0.0." + std::to_string(10 + i), "--community", "c"},
               onV3);
    }
    auto leader = std::make_unique<testing::Daemon>(site.daemonDir("leader"),
                                                    site.daemonEnv("leader", "", onV3));
    auto follower = std::make_unique<testing::Daemon>(
        site.daemonDir("follower"), site.daemonEnv("follower", "follower", onV41));
    Baseline good = baseline(*leader);
    CPPUNIT_ASSERT(
        testing::eventually(10, [&] { return baseline(*follower).version == good.version; }));
    // The server-side directory is what the Site's slot helpers address.
    auto slot = [&](uint64_t v) {
      char name[32];
      std::snprintf(name, sizeof name, "/v%020llu", static_cast<unsigned long long>(v));
      return nfs.exported() + name;
    };
    uint64_t n = 4;
    std::string next = site.seal(n + 1, inventoryfs::readHeader(readBytes(slot(n))).epoch,
                                 inventoryJson("next", 5));
    for (const auto& [what, bytes] : std::vector<std::pair<std::string, std::string>>{
             {"NFS F-11 truncated v<N+1>", next.substr(0, next.size() / 2)},
             {"NFS F-13 bit-flipped v<N+1>",
              next.substr(0, 100) + static_cast<char>(next[100] ^ 4) + next.substr(101)}}) {
      createFile(slot(n + 1), bytes);
      for (const testing::Daemon* d : {leader.get(), follower.get()}) {
        CPPUNIT_ASSERT_MESSAGE(what,
                               testing::eventually(10, [&] { return observe(*d).failing == "1"; }));
        Seen s = observe(*d);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " I9", good.version, s.version);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " I10", good.targets, s.targets);
      }
      CPPUNIT_ASSERT_EQUAL(503, postInventory(leader->port(), inventoryJson("x", 1)).status);
      CPPUNIT_ASSERT_EQUAL(-1, ::access(slot(n + 2).c_str(), F_OK));
      ::unlink(slot(n + 1).c_str());
      CPPUNIT_ASSERT(testing::eventually(10, [&] { return observe(*follower).failing == "0"; }));
    }
    follower.reset();
    leader.reset();
  }

  void testNfsF18EmptyMountPointWritesNothing_I14() {
    std::string why = nfsUnavailable();
    if (!why.empty()) {
      skip("NfsTest::testNfsF18EmptyMountPointWritesNothing_I14: " + why);
      return;
    }
    Site site;
    std::string mountPoint = site.root() + "/unmounted";
    ::mkdir(mountPoint.c_str(), 0755);
    LiveProcess daemon(site.daemonDir("d"),
                       site.daemonEnv("d", "", {{"PROM_INV_FILE", mountPoint + "/inv.json"}}));
    CPPUNIT_ASSERT_EQUAL(503, postInventory(daemon.port(), inventoryJson("x", 1)).status);
    CPPUNIT_ASSERT(listDir(mountPoint).empty());
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(NfsTest);
