#pragma once

// Shared pieces of the fault suites: a site (one shared inventory directory, its key, the CLI),
// daemons on it, direct access to the slot files, and what a daemon says about its inventory.
// Layout of the share (inventoryfs/include/inventoryfs/DirectorySlotStore.h): the head
// `promsnmp-inventory.json` (a hard link to the newest slot, replaced by rename), immutable
// slots `v<20 digits>`, the marker `.cluster-id`, temps `.tmp.<random>`. A v2 slot is an
// 84-byte header (Envelope.h: version @16, epoch @24, key id @48, nonce @56) then AES-256-GCM.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <cppunit/TestFixture.h>

#include "DaemonHelpers.h"
#include "ProcessHelpers.h"
#include "Skip.h"
#include "inventoryfs/Envelope.h"

namespace faults {

using Env = std::map<std::string, std::string>;

/// Marks the running test as skipped (it must return right after); see tests/unit/Skip.h.
using testing::skip;

std::string readBytes(const std::string& path);
/// Creates `path` (must not exist) with `bytes`: a new slot as a writer would leave it.
void createFile(const std::string& path, const std::string& bytes);
/// Rewrites `path` in place (same inode: the head and its slot change together).
void rewriteInPlace(const std::string& path, const std::string& bytes);
/// Replaces `path` by rename from a temp copy (a new inode; the old slot stays as it was).
void replaceByRename(const std::string& path, const std::string& bytes);
/// Entry names of a directory (without . and ..), sorted.
std::vector<std::string> listDir(const std::string& dir);

/// A device list in the Java schema, `count` devices named <prefix>1..n.
std::string inventoryJson(const std::string& prefix, int count);

/// A promsnmp process that may never become ready (no inventory): a testing::Daemon waited for
/// on /-/healthy only. Stopped (SIGTERM, then SIGKILL) and audited by the destructor.
class LiveProcess : public testing::Daemon {
 public:
  LiveProcess(const std::string& dir, const Env& env);
};

/// One site: a temp directory with the share `share/`, the head `share/promsnmp-inventory.json`,
/// a key, and daemons each with their own directory (log) and state dir.
class Site {
 public:
  explicit Site(std::string key = "fault catalog test key");

  const std::string& root() const { return dir_.path(); }
  std::string share() const { return root() + "/share"; }
  std::string head() const { return share() + "/promsnmp-inventory.json"; }
  std::string slotPath(uint64_t version) const;

  /// Environment of the CLI (and the base of every daemon's).
  Env env() const;
  /// `init` plus `devices` devices through the CLI (versions 1..devices+1).
  void init(int devices);
  /// The inventory CLI on the site with `extra` added to env(). When `extra` sets
  /// INVENTORYFS_FAULT_POINT, the CLI is its test build promsnmp-inventory-faultpoints (the
  /// release CLI has no fault points).
  std::string cli(const std::vector<std::string>& args, const Env& extra = {}) const;
  testing::ProcessResult cliResult(const std::vector<std::string>& args,
                                   const Env& extra = {}) const;

  /// The environment of daemon `name` (role "leader", "follower" or "" for standalone).
  Env daemonEnv(const std::string& name, const std::string& role, const Env& extra = {}) const;
  std::string daemonDir(const std::string& name) const;
  std::unique_ptr<testing::Daemon> start(const std::string& name, const std::string& role,
                                         const Env& extra = {}) const;

  /// Slot versions present, ascending.
  std::vector<uint64_t> slots() const;
  uint64_t newest() const;
  inventoryfs::Header header(uint64_t version) const;
  /// A v2 envelope for `version` with `epoch` sealed with `key` (default: the site's key).
  std::string seal(uint64_t version, uint64_t epoch, const std::string& json,
                   const std::string& key = "") const;

  const std::string& key() const { return key_; }

 private:
  testing::TempDir dir_;
  std::string key_;
};

/// What a daemon says about its inventory.
struct Seen {
  std::string version;  // promsnmp_inventory_version
  std::string failing;  // promsnmp_inventory_read_failing
  std::string devices;  // promsnmp_inventory_device_count
  std::string health;   // /actuator/health body
  int healthStatus = 0;
  std::string targets;  // /targets body
  int targetsStatus = 0;
};
Seen observe(int port);
inline Seen observe(const testing::Daemon& d) { return observe(d.port()); }

/// Number of target groups in a /targets body.
size_t targetGroups(const std::string& body);
bool contains(const std::string& text, const std::string& part);

/// POST /promsnmp/inventory?force=true: a plain replace, whatever it removes.
testing::HttpAnswer postInventory(int port, const std::string& json);

/// Prints one line of timing for the report.
void printTiming(const std::string& test, double seconds);

/// The base of the fault suites' fixtures: times each test and prints its name (`name_`, set by
/// the test) and runtime when it ends. Fixtures that override setUp/tearDown call these, first
/// and last.
class TimedFixture : public CppUnit::TestFixture {
 public:
  void setUp() override { started_ = std::chrono::steady_clock::now(); }
  void tearDown() override {
    printTiming(name_,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
  }

 protected:
  std::string name_;
  std::chrono::steady_clock::time_point started_;
};

/// What every daemon must keep showing while a fault is injected: the last good version and
/// its (non-empty) targets.
struct Baseline {
  std::string version;
  std::string targets;
};
Baseline baseline(const testing::Daemon& d);

/// The common expectation of F-11, F-13 and F-28 for a bad file `what` in the newest place:
/// every daemon keeps serving `good` (version and /targets unchanged, non-empty: I9, I10),
/// alarms (promsnmp_inventory_read_failing 1, an "error" in the health detail, a log line), the
/// health stays UP (degraded, not down), and the leader refuses to commit (POST answers 503 and
/// no slot above `newestSlot` appears). `readers` are checked for the alarm; `leader` also for the
/// refused write.
void expectKeptAndAlarmed(const std::string& what, const Site& site, const testing::Daemon& leader,
                          const std::vector<const testing::Daemon*>& readers, const Baseline& good,
                          uint64_t newestSlot);

/// After the bad file is gone: every daemon clears the alarm and still serves `good`.
void expectRecovered(const std::string& what, const std::vector<const testing::Daemon*>& daemons,
                     const Baseline& good);

/// A site with `devices` devices (versions 1..devices+1), a standalone leader and a
/// PROMSNMP_ROLE=follower daemon on it, both at the newest version; the baseline they serve;
/// a seeded PRNG (the seed is printed with the timing).
class TwoDaemonFixture : public TimedFixture {
 public:
  void setUp() override;
  void tearDown() override;

 protected:
  virtual int devices() const { return 3; }
  /// A valid v<N+1> to damage: sealed with the site's key and v<N>'s epoch, 5 devices.
  std::string validNext(const std::string& prefix = "next");
  /// Puts `bytes` at v<N+1> (as a writer's slot would appear), checks expectKeptAndAlarmed for
  /// both daemons, removes it and checks expectRecovered.
  void injectNext(const std::string& what, const std::string& bytes);
  std::vector<const testing::Daemon*> both() const { return {leader_.get(), follower_.get()}; }

  std::unique_ptr<Site> site_;
  std::unique_ptr<testing::Daemon> leader_;
  std::unique_ptr<testing::Daemon> follower_;
  Baseline good_;
  unsigned seed_ = 0;
  std::mt19937 rng_;
};

}  // namespace faults
