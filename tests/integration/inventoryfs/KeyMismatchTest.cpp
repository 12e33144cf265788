// The real CLI with a key file that does not open the inventory (issue 17): the error names every
// key source tried, in order, with the key id each gave and never the key; a key file with stray
// whitespace is warned about on stderr at load, and one ending in a Windows line end still opens
// the inventory it wrote (the CR LF is stripped) with a warning.
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <cppunit/extensions/HelperMacros.h>

#include "ProcessHelpers.h"
#include "inventoryfs/DirectorySlotStore.h"
#include "inventoryfs/Envelope.h"
#include "inventoryfs/Keyring.h"

using namespace inventoryfs;

namespace {

const std::string kSiteKey = "mismatch test site key";

void writeFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

class KeyMismatchTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(KeyMismatchTest);
  CPPUNIT_TEST(testWrongKeyFileNamesEverySourceTried);
  CPPUNIT_TEST(testWindowsLineEndOpensWithWarning);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    dir_ = std::make_unique<testing::TempDir>();
    head_ = dir_->path() + "/share/promsnmp-inventory.json";
    std::filesystem::create_directories(dir_->path() + "/share");
    goodKey_ = dir_->path() + "/good-key";
    writeFile(goodKey_, kSiteKey + "\n");
    testing::ProcessResult r = cli({"init"}, {{"PROM_ENCRYPT_KEY_FILE", goodKey_}});
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 0, r.code);
    CPPUNIT_ASSERT_MESSAGE(r.err, !contains(r.err, "warning"));
  }

  void tearDown() override { dir_.reset(); }

  // The operator's key file has a trailing space (an editor, `echo "key "`): a different key.
  void testWrongKeyFileNamesEverySourceTried() {
    const std::string wrongKey = dir_->path() + "/wrong-key";
    writeFile(wrongKey, kSiteKey + " \n");
    testing::ProcessResult r =
        cli({"show"}, {{"PROM_ENCRYPT_KEY_FILE", wrongKey}, {"PROM_ENCRYPT_KEY_PREVIOUS", "old"}});
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 78, r.code);  // a configuration error

    // The ids the message must show, computed here from the file's header and the keys.
    const Header header = readHeader(readFile(DirectorySlotStore(head_).headPath()));
    const Keyring tried(Keyring::deriveKey(kSiteKey + " ", "x"), {Keyring::deriveKey("old", "y")});
    const std::string wrongId = tried.fileKey(tried.current(), header.kdf).idHex();
    const std::string oldId = tried.fileKey(tried.previous()[0], header.kdf).idHex();
    const std::string siteId = Keyring(Keyring::deriveKey(kSiteKey, "z"))
                                   .fileKey(Keyring::deriveKey(kSiteKey, "z"), header.kdf)
                                   .idHex();
    CPPUNIT_ASSERT_EQUAL(siteId, header.keyIdHex());
    CPPUNIT_ASSERT(wrongId != siteId);

    CPPUNIT_ASSERT_MESSAGE(r.err, contains(r.err, "warning: PROM_ENCRYPT_KEY_FILE=" + wrongKey +
                                                      ": the key text ends in whitespace \" \""));
    CPPUNIT_ASSERT_MESSAGE(
        r.err, contains(r.err, "the inventory was written with a passphrase key (scrypt), key id " +
                                   siteId + ", that no configured passphrase derives"));
    CPPUNIT_ASSERT_MESSAGE(
        r.err, contains(r.err, "tried, in order: PROM_ENCRYPT_KEY_FILE=" + wrongKey + " (key id " +
                                   wrongId +
                                   " with the file's scrypt parameters; the key text ends in "
                                   "whitespace \" \"), PROM_ENCRYPT_KEY_PREVIOUS[1] (key id " +
                                   oldId + " with the file's scrypt parameters)"));
    CPPUNIT_ASSERT_MESSAGE(r.err, !contains(r.err, kSiteKey));
    CPPUNIT_ASSERT_MESSAGE(r.err, !contains(r.err, "old,"));
  }

  // The same key saved by a Windows editor: still the site's key, with a warning on stderr.
  void testWindowsLineEndOpensWithWarning() {
    const std::string crlfKey = dir_->path() + "/crlf-key";
    writeFile(crlfKey, kSiteKey + "\r\n");
    testing::ProcessResult r = cli({"show"}, {{"PROM_ENCRYPT_KEY_FILE", crlfKey}});
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 0, r.code);
    CPPUNIT_ASSERT_MESSAGE(r.err,
                           contains(r.err, "warning: PROM_ENCRYPT_KEY_FILE=" + crlfKey +
                                               ": the file ends in a Windows line end (CR LF)"));
    CPPUNIT_ASSERT_MESSAGE(r.err, !contains(r.err, kSiteKey));
  }

 private:
  testing::ProcessResult cli(std::vector<std::string> args,
                             const std::map<std::string, std::string>& env) const {
    args.insert(args.begin(), PROMSNMP_INVENTORY_CLI);
    std::map<std::string, std::string> all = env;
    all["PROM_INV_FILE"] = head_;
    return testing::runProcess(args, all, 60);
  }

  std::unique_ptr<testing::TempDir> dir_;
  std::string head_;
  std::string goodKey_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(KeyMismatchTest);
