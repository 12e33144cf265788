// `promsnmp-inventory backup FILE` and `restore FILE` (issue 16), run as the real CLI on temp
// shares: a backup is the newest version's sealed bytes, written outside the share; a restore
// commits the backup's content as a new version through the ordinary commit path (slot claim,
// the current epoch as an admin write), refuses damaged files, other keys and other inventories,
// and never writes anything when it refuses.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <cppunit/extensions/HelperMacros.h>

#include "Json.h"
#include "ProcessHelpers.h"
#include "cli/Session.h"
#include "inventoryfs/DirectorySlotStore.h"
#include "inventoryfs/Envelope.h"
#include "inventoryfs/Exceptions.h"
#include "inventoryfs/Format2Envelope.h"
#include "inventoryfs/InventoryStore.h"

using namespace inventoryfs;

namespace {

const std::string kKey = "backup test key";

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void writeFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

/// The scalar members of a one-line JSON object (strings as they are, numbers and booleans as
/// text, null as "null"). Throws DataException when `text` is not one JSON object.
std::map<std::string, std::string> jsonMembers(const std::string& text) {
  std::map<std::string, std::string> members;
  detail::JsonReader reader(text);
  reader.beginObject();
  std::string_view key;
  while (reader.nextMember(key)) {
    std::string name(key);
    switch (reader.peek()) {
      case detail::JsonType::String:
        members[name] = std::string(reader.readString());
        break;
      case detail::JsonType::Number:
        members[name] = std::to_string(reader.readInt64());
        break;
      case detail::JsonType::Bool:
        members[name] = reader.readBool() ? "true" : "false";
        break;
      case detail::JsonType::Null:
        reader.readNullIf();
        members[name] = "null";
        break;
      default:
        reader.skipValue();
    }
  }
  reader.finish();
  return members;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// One initialised share: its head, its environment for the CLI, and readers of its versions.
class Share {
 public:
  Share(const std::string& dir, const std::string& key)
      : head_(dir + "/promsnmp-inventory.json"),
        env_{{"PROM_INV_FILE", head_}, {"PROM_ENCRYPT_KEY", key}},
        slots_(head_),
        keys_(Keyring::deriveKey(key, "test")) {
    std::filesystem::create_directories(dir);
  }

  /// Runs the CLI on this share, `extraEnv` added to its environment.
  testing::ProcessResult cli(std::vector<std::string> args,
                             const std::map<std::string, std::string>& extraEnv = {}) const {
    args.insert(args.begin(), PROMSNMP_INVENTORY_CLI);
    std::map<std::string, std::string> env = env_;
    env.insert(extraEnv.begin(), extraEnv.end());
    return testing::runProcess(args, env);
  }

  /// Runs the CLI and requires exit 0.
  testing::ProcessResult ok(const std::vector<std::string>& args) const {
    testing::ProcessResult r = cli(args);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err + r.out, 0, r.code);
    return r;
  }

  void addDevice(const std::string& name, const std::string& address) const {
    ok({"add-device", "--sys-name", name, "--address", address, "--community", "c-" + name});
  }

  uint64_t newestVersion() {
    std::vector<uint64_t> versions = slots_.listSlots();
    return versions.empty() ? 0 : versions.back();
  }

  Snapshot version(uint64_t v) {
    DirectorySlotStore slots(head_);
    return InventoryStore(slots, keys_).readVersion(v);
  }

  const std::string& head() const { return head_; }
  const std::string directory() const { return slots_.directory(); }
  std::string slotPath(uint64_t v) const { return slots_.slotPath(v); }
  const Keyring& keys() const { return keys_; }

 private:
  std::string head_;
  std::map<std::string, std::string> env_;
  DirectorySlotStore slots_;
  Keyring keys_;
};

}  // namespace

class InventoryBackupTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(InventoryBackupTest);
  CPPUNIT_TEST(testRoundTripCommitsBackupContentAsNewVersion);
  CPPUNIT_TEST(testBackupIsTheVersionFileByteForByte);
  CPPUNIT_TEST(testBackupNotReadBackIsRemoved);
  CPPUNIT_TEST(testBackupRefusesExistingFileWithoutForce);
  CPPUNIT_TEST(testBackupRefusesFileInsideShare);
  CPPUNIT_TEST(testCorruptBackupIsRefusedAndNothingWritten);
  CPPUNIT_TEST(testTruncatedBackupIsRefusedAndNothingWritten);
  CPPUNIT_TEST(testJavaOrJsonFileIsNotABackup);
  CPPUNIT_TEST(testBackupUnderAnotherKeyIsConfigurationError);
  CPPUNIT_TEST(testOtherInventoryRefusedUnlessAsked);
  CPPUNIT_TEST(testFormat2BackupRestoresWithNote);
  CPPUNIT_TEST(testRestoreRemovingMoreThanHalfNeedsForce);
  CPPUNIT_TEST(testRestoreRidesCurrentEpochUnderFencing);
  CPPUNIT_TEST(testUninitialisedShareIsRefused);
  CPPUNIT_TEST(testInitRestoresIntoEmptyShareKeepingIdentity);
  CPPUNIT_TEST(testJsonOutputParses);
  CPPUNIT_TEST(testHelpListsBoth);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    dir_ = std::make_unique<testing::TempDir>();
    share_ = std::make_unique<Share>(dir_->path() + "/share", kKey);
    share_->ok({"init", "--cluster-id", "backup-test"});  // v1
    share_->addDevice("r1", "127.0.0.1");                 // v2
    share_->addDevice("r2", "127.0.0.2");                 // v3
    backup_ = dir_->path() + "/inventory.backup";
  }

  void tearDown() override {
    share_.reset();
    dir_.reset();
  }

  void testRoundTripCommitsBackupContentAsNewVersion() {
    testing::ProcessResult b = share_->ok({"backup", backup_});
    const Snapshot v3 = share_->version(3);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(
        b.out, size_t(0),
        b.out.find("backup of version 3 (epoch 0, inventory " + v3.header.inventoryIdHex() +
                   ", 2 devices, 0 seeds) written to " + backup_ + " ("));
    share_->addDevice("r3", "127.0.0.3");                         // v4
    share_->ok({"remove-device", "--sys-name", "r1"});            // v5: r2, r3
    testing::ProcessResult r = share_->ok({"restore", backup_});  // removes 1 of 2: no --force
    CPPUNIT_ASSERT_MESSAGE(
        r.out, contains(r.out, "restored the content of " + backup_ +
                                   " (backup of version 3, epoch 0, created " +
                                   cli::isoTime(v3.header.createdAtMs) + "): version 6 (epoch 0)"));

    CPPUNIT_ASSERT_EQUAL(uint64_t(6), share_->newestVersion());
    const Snapshot v6 = share_->version(6);
    CPPUNIT_ASSERT(v6.inventory == v3.inventory);
    CPPUNIT_ASSERT_EQUAL(size_t(2), v6.inventory.devices.size());
    CPPUNIT_ASSERT(v6.header.inventoryId == v3.header.inventoryId);
    CPPUNIT_ASSERT((v6.header.flags & kFlagAdminWrite) != 0);
    CPPUNIT_ASSERT(v6.header.createdAtMs >= v3.header.createdAtMs);
    // Nothing of the old version is reused: its own nonce, a new slot; v3 stays as it was.
    CPPUNIT_ASSERT(v6.header.nonce != v3.header.nonce);
    CPPUNIT_ASSERT_EQUAL(readFile(share_->slotPath(3)), readFile(backup_));
    // A reader through the head gets the restored content.
    testing::ProcessResult shown = share_->ok({"show", "--json", "--include-credentials"});
    CPPUNIT_ASSERT(inventoryFromJson(shown.out) == v3.inventory);

    testing::ProcessResult history = share_->ok({"history"});
    CPPUNIT_ASSERT_MESSAGE(history.out, contains(history.out, "\n6 "));
    testing::ProcessResult verify = share_->ok({"verify"});
    CPPUNIT_ASSERT_MESSAGE(verify.out, contains(verify.out, "ok: 6 versions v1..v6"));
  }

  void testBackupIsTheVersionFileByteForByte() {
    share_->ok({"backup", backup_});
    const std::string bytes = readFile(backup_);
    CPPUNIT_ASSERT_EQUAL(readFile(share_->slotPath(3)), bytes);
    CPPUNIT_ASSERT_EQUAL(readFile(share_->head()), bytes);
    struct stat st {};
    CPPUNIT_ASSERT_EQUAL(0, ::stat(backup_.c_str(), &st));
    CPPUNIT_ASSERT_EQUAL(mode_t(0600), st.st_mode & 07777);
    // The header carried: version, epoch, key id, the inventory id given at init.
    const Header h = readHeader(bytes);
    CPPUNIT_ASSERT_EQUAL(uint64_t(3), h.version);
    CPPUNIT_ASSERT_EQUAL(uint64_t(0), h.epoch);
    CPPUNIT_ASSERT(h.keyId != decltype(h.keyId){});
    CPPUNIT_ASSERT(h.hasInventoryId());
    CPPUNIT_ASSERT(h.inventoryId == share_->version(1).header.inventoryId);
    // No temp file is left beside it.
    size_t entries = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_->path())) {
      (void)e;
      ++entries;
    }
    CPPUNIT_ASSERT_EQUAL(size_t(2), entries);  // share/ and the backup
  }

  // The check after writing: a backup that cannot be read back as written (here the read fails,
  // through the LD_PRELOAD fault layer) is removed, and the command fails with 65.
  void testBackupNotReadBackIsRemoved() {
    testing::ProcessResult r =
        share_->cli({"backup", backup_}, {{"LD_PRELOAD", PROMSNMP_IOFAULT_LIB},
                                          {"PROMSNMP_IO_FAULT",
                                           "call=read path=/inventory\\.backup$ "
                                           "errno=EIO"}});
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 65, r.code);
    CPPUNIT_ASSERT_MESSAGE(r.err, contains(r.err, backup_ + ": verification after writing failed"));
    CPPUNIT_ASSERT_MESSAGE(r.err, contains(r.err, "the file was removed"));
    CPPUNIT_ASSERT(!std::filesystem::exists(backup_));
    // Nor is its temp file left: only the share is in the directory.
    for (const auto& e : std::filesystem::directory_iterator(dir_->path())) {
      CPPUNIT_ASSERT_EQUAL(std::string("share"), e.path().filename().string());
    }
  }

  void testBackupRefusesExistingFileWithoutForce() {
    writeFile(backup_, "an older backup");
    testing::ProcessResult refused = share_->cli({"backup", backup_});
    CPPUNIT_ASSERT_EQUAL_MESSAGE(refused.err, 69, refused.code);
    CPPUNIT_ASSERT_MESSAGE(refused.err, contains(refused.err, "exists; --force to replace"));
    CPPUNIT_ASSERT_EQUAL(std::string("an older backup"), readFile(backup_));
    share_->ok({"backup", "--force", backup_});
    CPPUNIT_ASSERT_EQUAL(readFile(share_->slotPath(3)), readFile(backup_));
  }

  void testBackupRefusesFileInsideShare() {
    const std::string inside = share_->directory() + "/inventory.backup";
    testing::ProcessResult refused = share_->cli({"backup", inside});
    CPPUNIT_ASSERT_EQUAL_MESSAGE(refused.err, 2, refused.code);
    CPPUNIT_ASSERT_MESSAGE(refused.err, contains(refused.err, "inside the share directory"));
    CPPUNIT_ASSERT(!std::filesystem::exists(inside));
    // Below the share (and named through another path) is inside it too.
    std::filesystem::create_directories(share_->directory() + "/keep");
    const std::string below = dir_->path() + "/share/../share/keep/inventory.backup";
    CPPUNIT_ASSERT_EQUAL(2, share_->cli({"backup", below}).code);
    CPPUNIT_ASSERT(!std::filesystem::exists(below));
    CPPUNIT_ASSERT_EQUAL(2, share_->cli({"backup", share_->head()}).code);
    CPPUNIT_ASSERT_EQUAL(uint64_t(3), share_->newestVersion());
  }

  void testCorruptBackupIsRefusedAndNothingWritten() {
    share_->ok({"backup", backup_});
    const std::string good = readFile(backup_);
    // One byte flipped in the ciphertext, in the header (AAD), and in the tag.
    for (size_t at : {good.size() / 2, size_t(30), good.size() - 1}) {
      std::string bad = good;
      bad[at] = static_cast<char>(bad[at] ^ 0x01);
      writeFile(backup_, bad);
      testing::ProcessResult r = share_->cli({"restore", "--force", backup_});
      const std::string what = "byte " + std::to_string(at) + ": " + r.err;
      CPPUNIT_ASSERT_EQUAL_MESSAGE(what, 65, r.code);
      CPPUNIT_ASSERT_MESSAGE(what, contains(r.err, backup_ + ": "));
      CPPUNIT_ASSERT_MESSAGE(what, contains(r.err, "authentication failed"));
      CPPUNIT_ASSERT_EQUAL(uint64_t(3), share_->newestVersion());
    }
  }

  void testTruncatedBackupIsRefusedAndNothingWritten() {
    share_->ok({"backup", backup_});
    const std::string good = readFile(backup_);
    for (size_t keep : {good.size() - 1, size_t(100), size_t(10)}) {
      writeFile(backup_, good.substr(0, keep));
      testing::ProcessResult r = share_->cli({"restore", "--force", backup_});
      const std::string what = std::to_string(keep) + " bytes: " + r.err;
      CPPUNIT_ASSERT_EQUAL_MESSAGE(what, 65, r.code);
      CPPUNIT_ASSERT_MESSAGE(what, contains(r.err, backup_ + ": "));
      CPPUNIT_ASSERT_EQUAL(uint64_t(3), share_->newestVersion());
    }
  }

  void testJavaOrJsonFileIsNotABackup() {
    for (const std::string& file : {std::string(PROMSNMP_TEST_DATA "/inventory/java-sample.json"),
                                    std::string(PROMSNMP_TEST_DATA "/java/inventory-java.enc")}) {
      testing::ProcessResult r = share_->cli({"restore", "--force", file});
      CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 65, r.code);
      CPPUNIT_ASSERT_MESSAGE(r.err, contains(r.err,
                                             "not a promsnmp backup (an encrypted version "
                                             "file); use `import` for Java or JSON files"));
      CPPUNIT_ASSERT_EQUAL(uint64_t(3), share_->newestVersion());
    }
  }

  void testBackupUnderAnotherKeyIsConfigurationError() {
    Share other(dir_->path() + "/other", "another site's key");
    other.ok({"init"});
    other.addDevice("x1", "127.0.1.1");
    other.ok({"backup", backup_});
    testing::ProcessResult r = share_->cli({"restore", "--force", "--other-inventory", backup_});
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 78, r.code);
    CPPUNIT_ASSERT_MESSAGE(r.err, contains(r.err, "no configured"));
    CPPUNIT_ASSERT_EQUAL(uint64_t(3), share_->newestVersion());
  }

  void testOtherInventoryRefusedUnlessAsked() {
    Share other(dir_->path() + "/other", kKey);  // same key, another inventory
    other.ok({"init"});
    other.addDevice("x1", "127.0.1.1");
    other.addDevice("x2", "127.0.1.2");
    other.ok({"backup", backup_});
    const std::string otherId = other.version(3).header.inventoryIdHex();
    const std::string ownId = share_->version(3).header.inventoryIdHex();
    CPPUNIT_ASSERT(otherId != ownId);

    testing::ProcessResult refused = share_->cli({"restore", "--force", backup_});
    CPPUNIT_ASSERT_EQUAL_MESSAGE(refused.err, 65, refused.code);
    CPPUNIT_ASSERT_MESSAGE(refused.err, contains(refused.err, "backup of inventory " + otherId));
    CPPUNIT_ASSERT_MESSAGE(refused.err, contains(refused.err, "holds inventory " + ownId));
    CPPUNIT_ASSERT_EQUAL(uint64_t(3), share_->newestVersion());

    share_->ok({"restore", "--force", "--other-inventory", backup_});
    CPPUNIT_ASSERT_EQUAL(uint64_t(4), share_->newestVersion());
    const Snapshot v4 = share_->version(4);
    CPPUNIT_ASSERT_EQUAL(ownId, v4.header.inventoryIdHex());  // the share keeps its identity
    CPPUNIT_ASSERT(v4.inventory == other.version(3).inventory);
  }

  // A backup of the previous release (format 2) has no inventory id to check: it restores into
  // the share's inventory, which keeps its id, and the CLI says so.
  void testFormat2BackupRestoresWithNote() {
    Inventory old;
    Device d;
    d.sysName = "old-1";
    old.devices.push_back(d);
    Header header;
    header.version = 9;
    header.epoch = 2;
    header.createdAtMs = 1700000000000;
    writeFile(backup_, testing::format2Of(share_->keys(), header, inventoryToJson(old)));
    testing::ProcessResult r = share_->ok({"restore", "--force", backup_});
    CPPUNIT_ASSERT_MESSAGE(r.err,
                           contains(r.err, "note: " + backup_ + " has no inventory id (format 2"));
    CPPUNIT_ASSERT_MESSAGE(r.out, contains(r.out,
                                           "(backup of version 9, epoch 2, created "
                                           "2023-11-14T22:13:20Z): version 4 (epoch 0)"));
    const Snapshot v4 = share_->version(4);
    CPPUNIT_ASSERT(v4.inventory == old);
    CPPUNIT_ASSERT(v4.header.inventoryId == share_->version(3).header.inventoryId);
    CPPUNIT_ASSERT_EQUAL(uint16_t{3}, v4.header.format);
  }

  void testRestoreRemovingMoreThanHalfNeedsForce() {
    share_->ok({"backup", backup_});  // r1, r2
    share_->ok({"remove-device", "--sys-name", "r1"});
    share_->ok({"remove-device", "--sys-name", "r2"});
    share_->addDevice("n1", "127.0.0.11");
    share_->addDevice("n2", "127.0.0.12");
    share_->addDevice("n3", "127.0.0.13");  // v8: n1, n2, n3; the backup keeps none of them
    testing::ProcessResult refused = share_->cli({"restore", backup_});
    CPPUNIT_ASSERT_EQUAL_MESSAGE(refused.err, 69, refused.code);
    CPPUNIT_ASSERT_MESSAGE(refused.err, contains(refused.err, "would remove 3 of 3 devices"));
    CPPUNIT_ASSERT_MESSAGE(refused.err, contains(refused.err, "--force"));
    CPPUNIT_ASSERT_EQUAL(uint64_t(8), share_->newestVersion());

    // Two of three removed is more than half as well; one of three is not.
    share_->ok({"remove-device", "--sys-name", "n3"});
    share_->addDevice("r1", "127.0.0.1");  // v10: n1, n2, r1
    CPPUNIT_ASSERT_EQUAL(69, share_->cli({"restore", backup_}).code);
    share_->ok({"remove-device", "--sys-name", "n2"});
    share_->addDevice("r2", "127.0.0.2");  // v12: n1, r1, r2
    share_->ok({"restore", backup_});
    CPPUNIT_ASSERT_EQUAL(uint64_t(13), share_->newestVersion());
    CPPUNIT_ASSERT(share_->version(13).inventory == share_->version(3).inventory);
  }

  void testRestoreRidesCurrentEpochUnderFencing() {
    share_->ok({"backup", backup_});  // epoch 0
    DirectorySlotStore slotsOld(share_->head());
    DirectorySlotStore slotsNew(share_->head());
    InventoryStore oldLeader(slotsOld, share_->keys());
    InventoryStore newLeader(slotsNew, share_->keys());
    CPPUNIT_ASSERT_EQUAL(uint64_t(3), oldLeader.fence(3).epoch);  // v4
    CPPUNIT_ASSERT_EQUAL(uint64_t(7), newLeader.fence(7).epoch);  // v5: the old leader is fenced

    share_->ok({"restore", backup_});  // v6
    const Snapshot v6 = share_->version(6);
    // An admin write at the current epoch: not the backup's epoch 0 (epochs never decrease
    // along the chain), and not a new one (it deposes nobody).
    CPPUNIT_ASSERT_EQUAL(uint64_t(7), v6.epoch);
    CPPUNIT_ASSERT((v6.header.flags & kFlagAdminWrite) != 0);
    CPPUNIT_ASSERT(v6.inventory == share_->version(3).inventory);
    // The leader of epoch 7 writes on after it; the fenced one stays fenced.
    CPPUNIT_ASSERT_EQUAL(uint64_t(7), newLeader.commit(7, [](Inventory&) {}).epoch);
    CPPUNIT_ASSERT_THROW(oldLeader.commit(3, [](Inventory&) {}), FencedException);
    CPPUNIT_ASSERT_EQUAL(uint64_t(7), share_->newestVersion());
    share_->ok({"verify"});
  }

  void testUninitialisedShareIsRefused() {
    share_->ok({"backup", backup_});
    Share empty(dir_->path() + "/empty", kKey);  // a directory without the share marker
    testing::ProcessResult r = empty.cli({"restore", "--force", backup_});
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 69, r.code);
    CPPUNIT_ASSERT_MESSAGE(r.err, contains(r.err, "is it mounted?") && contains(r.err, "--init"));
    CPPUNIT_ASSERT(std::filesystem::is_empty(empty.directory()));
    CPPUNIT_ASSERT_EQUAL(69, empty.cli({"backup", dir_->path() + "/empty.backup"}).code);
    CPPUNIT_ASSERT(!std::filesystem::exists(dir_->path() + "/empty.backup"));
    // A share whose marker is gone (unmounted, versions left) refuses the write too.
    std::filesystem::remove(share_->directory() + "/.cluster-id");
    CPPUNIT_ASSERT_EQUAL(69, share_->cli({"restore", "--force", backup_}).code);
    CPPUNIT_ASSERT_EQUAL(uint64_t(3), share_->newestVersion());
  }

  // --init: the backup becomes the empty share's first version, with its inventory id, numbered
  // above the backup; never into a share that holds an inventory.
  void testInitRestoresIntoEmptyShareKeepingIdentity() {
    share_->ok({"backup", backup_});
    const Snapshot backedUp = share_->version(share_->newestVersion());
    Share empty(dir_->path() + "/empty", kKey);
    testing::ProcessResult r = empty.cli({"restore", "--init", backup_});
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 0, r.code);
    CPPUNIT_ASSERT(std::filesystem::exists(empty.directory() + "/.cluster-id"));
    const Snapshot restored = empty.version(empty.newestVersion());
    CPPUNIT_ASSERT_EQUAL(backedUp.version + 1, restored.version);
    CPPUNIT_ASSERT(restored.epoch > backedUp.epoch);
    CPPUNIT_ASSERT(restored.header.inventoryId == backedUp.header.inventoryId);
    CPPUNIT_ASSERT(restored.inventory == backedUp.inventory);
    empty.ok({"verify"});
    const uint64_t before = share_->newestVersion();
    r = share_->cli({"restore", "--init", backup_});
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 69, r.code);
    CPPUNIT_ASSERT_MESSAGE(r.err, contains(r.err, "only into an empty share"));
    CPPUNIT_ASSERT_EQUAL(before, share_->newestVersion());
  }

  void testJsonOutputParses() {
    testing::ProcessResult b = share_->ok({"--json", "backup", backup_});
    const std::map<std::string, std::string> backup = jsonMembers(b.out);
    const Snapshot v3 = share_->version(3);
    CPPUNIT_ASSERT_EQUAL(std::string("true"), backup.at("ok"));
    CPPUNIT_ASSERT_EQUAL(std::string("backup"), backup.at("command"));
    CPPUNIT_ASSERT_EQUAL(backup_, backup.at("file"));
    CPPUNIT_ASSERT_EQUAL(std::string("3"), backup.at("version"));
    CPPUNIT_ASSERT_EQUAL(std::string("0"), backup.at("epoch"));
    CPPUNIT_ASSERT_EQUAL(v3.header.inventoryIdHex(), backup.at("inventoryId"));
    CPPUNIT_ASSERT_EQUAL(std::string("2"), backup.at("devices"));
    CPPUNIT_ASSERT_EQUAL(std::string("0"), backup.at("seeds"));
    CPPUNIT_ASSERT_EQUAL(std::to_string(readFile(backup_).size()), backup.at("bytes"));
    CPPUNIT_ASSERT_EQUAL(size_t(64), backup.at("sha256").size());

    share_->ok({"remove-device", "--sys-name", "r2"});
    testing::ProcessResult r = share_->ok({"--json", "restore", backup_});
    const std::map<std::string, std::string> restored = jsonMembers(r.out);
    CPPUNIT_ASSERT_EQUAL(std::string("true"), restored.at("ok"));
    CPPUNIT_ASSERT_EQUAL(std::string("restore"), restored.at("command"));
    CPPUNIT_ASSERT_EQUAL(std::string("5"), restored.at("version"));
    CPPUNIT_ASSERT_EQUAL(std::string("2"), restored.at("devices"));

    testing::ProcessResult refused = share_->cli({"--json", "backup", backup_});
    CPPUNIT_ASSERT_EQUAL(69, refused.code);
    const std::map<std::string, std::string> error = jsonMembers(refused.out);
    CPPUNIT_ASSERT_EQUAL(std::string("false"), error.at("ok"));
    CPPUNIT_ASSERT_EQUAL(std::string("69"), error.at("exitCode"));
  }

  void testHelpListsBoth() {
    testing::ProcessResult help = share_->ok({"--help"});
    CPPUNIT_ASSERT_MESSAGE(help.out, contains(help.out, "  backup FILE [--force]\n"));
    CPPUNIT_ASSERT_MESSAGE(
        help.out,
        contains(help.out,
                 "  restore FILE [--force] [--other-inventory] [--init [--cluster-id ID]]\n"));
    testing::ProcessResult noFile = share_->cli({"restore"});
    CPPUNIT_ASSERT_EQUAL(2, noFile.code);
    CPPUNIT_ASSERT_EQUAL(2, share_->cli({"backup", "--other-inventory", backup_}).code);
  }

 private:
  std::unique_ptr<testing::TempDir> dir_;
  std::unique_ptr<Share> share_;
  std::string backup_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(InventoryBackupTest);
