// Tests of key derivation (pinned to values computed independently with Python's hmac/hashlib)
// and of reading key settings from an environment map, including every error case.
#include "inventoryfs/Keyring.h"

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include "AesGcm.h"
#include "Hex.h"
#include "inventoryfs/Exceptions.h"

using namespace inventoryfs;

namespace {

using Env = std::map<std::string, std::string>;

std::string hex(const uint8_t* data, size_t size) { return detail::toHex(data, size); }

std::string hex(const std::string& bytes) {
  return hex(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

template <size_t N>
std::string hex(const std::array<uint8_t, N>& bytes) {
  return hex(bytes.data(), N);
}

// The message of the KeyConfigException that fromEnvironment throws, or "" if it does not.
std::string configError(const Env& env) {
  try {
    Keyring::fromEnvironment(env);
  } catch (const KeyConfigException& e) {
    return e.message();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

class KeyringTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(KeyringTest);
  CPPUNIT_TEST(testHkdfKnownAnswer);
  CPPUNIT_TEST(testDeriveKeyFromHex);
  CPPUNIT_TEST(testDeriveKeyThroughHkdf);
  CPPUNIT_TEST(testDeriveKeyAlmostHex);
  CPPUNIT_TEST(testDeriveKeyLegacyDetection);
  CPPUNIT_TEST(testDeriveKeyEmpty);
  CPPUNIT_TEST(testEnvironmentKey);
  CPPUNIT_TEST(testEnvironmentKeyFile);
  CPPUNIT_TEST(testEnvironmentKeyFileNewlines);
  CPPUNIT_TEST(testEnvironmentCredential);
  CPPUNIT_TEST(testEnvironmentPrecedence);
  CPPUNIT_TEST(testEnvironmentBothSet);
  CPPUNIT_TEST(testEnvironmentSetButEmpty);
  CPPUNIT_TEST(testEnvironmentNoKey);
  CPPUNIT_TEST(testEnvironmentUnreadableFiles);
  CPPUNIT_TEST(testEnvironmentPreviousKeys);
  CPPUNIT_TEST(testEnvironmentPreviousFile);
  CPPUNIT_TEST(testMessagesHoldNoKeyMaterial);
  CPPUNIT_TEST(testWhitespaceProblem);
  CPPUNIT_TEST(testWhitespaceWarnedAtLoad);
  CPPUNIT_TEST(testWindowsLineEndStrippedAndWarned);
  CPPUNIT_TEST(testDescribeTriedNamesEverySource);
  CPPUNIT_TEST(testKeyringFindAndLegacyKeys);
  CPPUNIT_TEST(testProcessEnvironment);
  CPPUNIT_TEST(testScryptKnownAnswer);
  CPPUNIT_TEST(testFileKeyOfPassphraseIsScrypt);
  CPPUNIT_TEST(testFileKeyOfRawKeyIsTheKey);
  CPPUNIT_TEST(testFindFileKeyTriesPreviousPassphrases);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "keyringtest.XXXXXX").string();
    CPPUNIT_ASSERT(mkdtemp(pattern.data()) != nullptr);
    dir_ = pattern;
  }

  void tearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // RFC 5869 test case 1.
  void testHkdfKnownAnswer() {
    const std::string okm =
        detail::hkdfSha256(std::string(22, '\x0b'), *detail::fromHex("000102030405060708090a0b0c"),
                           *detail::fromHex("f0f1f2f3f4f5f6f7f8f9"), 42);
    CPPUNIT_ASSERT_EQUAL(std::string("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ec"
                                     "c4c5bf34007208d5b887185865"),
                         hex(reinterpret_cast<const uint8_t*>(okm.data()), okm.size()));
  }

  void testDeriveKeyFromHex() {
    const std::string text = "000102030405060708090A0B0C0D0E0F101112131415161718191a1b1c1d1e1f";
    const Key key = Keyring::deriveKey(text, "test");
    CPPUNIT_ASSERT_EQUAL(std::string("000102030405060708090a0b0c0d0e0f"
                                     "101112131415161718191a1b1c1d1e1f"),
                         hex(key.bytes));
    CPPUNIT_ASSERT_EQUAL(std::string("ad1056419277b81c"), key.idHex());
    CPPUNIT_ASSERT(!key.legacy);
    CPPUNIT_ASSERT_EQUAL(std::string("test"), key.source);
  }

  void testDeriveKeyThroughHkdf() {
    const Key key = Keyring::deriveKey("correct horse battery staple", "test");
    CPPUNIT_ASSERT_EQUAL(
        std::string("6592ad3565b16b2fb82e6dfa2400117820bff6f85333eda897099c28aa0bb4ea"),
        hex(key.bytes));
    CPPUNIT_ASSERT_EQUAL(std::string("6f32d252d9d04e20"), key.idHex());
    CPPUNIT_ASSERT(!key.legacy);
  }

  void testDeriveKeyAlmostHex() {
    const std::string hex64(64, 'a');
    const Key raw = Keyring::deriveKey(hex64, "test");
    CPPUNIT_ASSERT_EQUAL(hex64, hex(raw.bytes));
    // 63 or 65 hex digits, or 64 characters with one non-hex, go through HKDF.
    for (const std::string& text :
         {std::string(63, 'a'), std::string(65, 'a'), std::string(63, 'a') + "g"}) {
      const Key key = Keyring::deriveKey(text, "test");
      CPPUNIT_ASSERT_EQUAL(
          hex(detail::hkdfSha256(text, "promsnmp-inventory-v2", "aes-256-gcm key", 32)),
          hex(key.bytes));
      CPPUNIT_ASSERT(hex(key.bytes) != hex64);
    }
  }

  void testDeriveKeyLegacyDetection() {
    const Key java = Keyring::deriveKey("0123456789ABCDEF", "test");
    CPPUNIT_ASSERT(java.legacy);
    CPPUNIT_ASSERT_EQUAL(std::string("0123456789ABCDEF"), *java.legacy);
    // The AES-256 key of a 16-character text is still its HKDF output.
    CPPUNIT_ASSERT_EQUAL(
        std::string("431d6e616147179f4e2f6a461770252ebc85211e104c7117a737875fcb9d2016"),
        hex(java.bytes));
    CPPUNIT_ASSERT_EQUAL(std::string("d01481b0c6c89f73"), java.idHex());
    CPPUNIT_ASSERT(!Keyring::deriveKey("0123456789ABCDE", "test").legacy);
    CPPUNIT_ASSERT(!Keyring::deriveKey("0123456789ABCDEF0", "test").legacy);
    // Bytes, not characters: 8 two-byte UTF-8 characters are 16 bytes.
    CPPUNIT_ASSERT(Keyring::deriveKey(
                       "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", "test")
                       .legacy);
  }

  void testDeriveKeyEmpty() {
    CPPUNIT_ASSERT_THROW(Keyring::deriveKey("", "test"), KeyConfigException);
  }

  void testEnvironmentKey() {
    const Keyring keys = Keyring::fromEnvironment({{"PROM_ENCRYPT_KEY", "0123456789ABCDEF"}});
    CPPUNIT_ASSERT_EQUAL(std::string("d01481b0c6c89f73"), keys.current().idHex());
    CPPUNIT_ASSERT_EQUAL(std::string("PROM_ENCRYPT_KEY"), keys.current().source);
    CPPUNIT_ASSERT(keys.previous().empty());
  }

  void testEnvironmentKeyFile() {
    const std::string path = write("key", "correct horse battery staple\n");
    const Keyring keys = Keyring::fromEnvironment({{"PROM_ENCRYPT_KEY_FILE", path}});
    CPPUNIT_ASSERT_EQUAL(std::string("6f32d252d9d04e20"), keys.current().idHex());
    CPPUNIT_ASSERT_EQUAL("PROM_ENCRYPT_KEY_FILE=" + path, keys.current().source);
    CPPUNIT_ASSERT(keys.warnings().empty());
  }

  // Exactly one trailing "\n" or "\r\n" is removed; everything else is key text.
  void testEnvironmentKeyFileNewlines() {
    const std::map<std::string, std::string> cases = {
        {"secret", "secret"},
        {"secret\n", "secret"},
        {"secret\r\n", "secret"},
        {"secret\n\n", "secret\n"},
        {"secret\r", "secret\r"},
        {" secret ", " secret "},
        {"0123456789ABCDEF\n", "0123456789ABCDEF"},
    };
    for (const auto& [content, text] : cases) {
      const std::string path = write("key", content);
      const Keyring keys = Keyring::fromEnvironment({{"PROM_ENCRYPT_KEY_FILE", path}});
      CPPUNIT_ASSERT_EQUAL_MESSAGE(content, Keyring::deriveKey(text, "x").idHex(),
                                   keys.current().idHex());
    }
    const std::string path = write("key", "0123456789ABCDEF\n");
    const Keyring keys = Keyring::fromEnvironment({{"PROM_ENCRYPT_KEY_FILE", path}});
    CPPUNIT_ASSERT(keys.current().legacy);
  }

  void testEnvironmentCredential() {
    write("promsnmp-encrypt-key", "correct horse battery staple\n");
    const Keyring keys = Keyring::fromEnvironment({{"CREDENTIALS_DIRECTORY", dir_}});
    CPPUNIT_ASSERT_EQUAL(std::string("6f32d252d9d04e20"), keys.current().idHex());
    CPPUNIT_ASSERT_EQUAL("systemd credential " + dir_ + "/promsnmp-encrypt-key",
                         keys.current().source);
  }

  void testEnvironmentPrecedence() {
    write("promsnmp-encrypt-key", "from the credential");
    const std::string file = write("keyfile", "from the file");
    const Key fromKey = Keyring::fromEnvironment({{"PROM_ENCRYPT_KEY", "from the variable"},
                                                  {"CREDENTIALS_DIRECTORY", dir_}})
                            .current();
    CPPUNIT_ASSERT_EQUAL(Keyring::deriveKey("from the variable", "x").idHex(), fromKey.idHex());
    const Key fromFile =
        Keyring::fromEnvironment({{"PROM_ENCRYPT_KEY_FILE", file}, {"CREDENTIALS_DIRECTORY", dir_}})
            .current();
    CPPUNIT_ASSERT_EQUAL(Keyring::deriveKey("from the file", "x").idHex(), fromFile.idHex());
    // An empty PROM_ENCRYPT_KEY beside a file setting counts as unset (compose's ${VAR:-}).
    const Key emptyBeside =
        Keyring::fromEnvironment({{"PROM_ENCRYPT_KEY", ""}, {"PROM_ENCRYPT_KEY_FILE", file}})
            .current();
    CPPUNIT_ASSERT_EQUAL(fromFile.idHex(), emptyBeside.idHex());
    const Key fileEmptyBeside = Keyring::fromEnvironment({{"PROM_ENCRYPT_KEY", "from the variable"},
                                                          {"PROM_ENCRYPT_KEY_FILE", ""}})
                                    .current();
    CPPUNIT_ASSERT_EQUAL(fromKey.idHex(), fileEmptyBeside.idHex());
  }

  void testEnvironmentBothSet() {
    const std::string file = write("keyfile", "from the file");
    const std::string message =
        configError({{"PROM_ENCRYPT_KEY", "from the variable"}, {"PROM_ENCRYPT_KEY_FILE", file}});
    CPPUNIT_ASSERT_MESSAGE(message, contains(message, "set only one of"));
  }

  void testEnvironmentSetButEmpty() {
    std::string message = configError({{"PROM_ENCRYPT_KEY", ""}});
    CPPUNIT_ASSERT_MESSAGE(message, contains(message, "PROM_ENCRYPT_KEY is set but empty"));
    message = configError({{"PROM_ENCRYPT_KEY_FILE", ""}});
    CPPUNIT_ASSERT_MESSAGE(message, contains(message, "PROM_ENCRYPT_KEY_FILE is set but empty"));
    // An explicit empty setting is an error even when a systemd credential exists.
    write("promsnmp-encrypt-key", "from the credential");
    message = configError({{"PROM_ENCRYPT_KEY", ""}, {"CREDENTIALS_DIRECTORY", dir_}});
    CPPUNIT_ASSERT_MESSAGE(message, contains(message, "set but empty"));
    // Files whose content is empty, or only the newline that is stripped.
    for (const std::string& content : {std::string(), std::string("\n"), std::string("\r\n")}) {
      const std::string path = write("empty", content);
      message = configError({{"PROM_ENCRYPT_KEY_FILE", path}});
      CPPUNIT_ASSERT_MESSAGE(message, contains(message, path + " is empty"));
    }
    const std::string credentials = dir_ + "/creds";
    std::filesystem::create_directory(credentials);
    writeAt(credentials + "/promsnmp-encrypt-key", "\n");
    message = configError({{"CREDENTIALS_DIRECTORY", credentials}});
    CPPUNIT_ASSERT_MESSAGE(message, contains(message, "is empty"));
  }

  void testEnvironmentNoKey() {
    std::string message = configError({});
    CPPUNIT_ASSERT_MESSAGE(message, contains(message, "no encryption key configured"));
    CPPUNIT_ASSERT_MESSAGE(message, contains(message, "PROM_ENCRYPT_KEY,"));
    CPPUNIT_ASSERT_MESSAGE(message, contains(message, "PROM_ENCRYPT_KEY_FILE"));
    CPPUNIT_ASSERT_MESSAGE(message, contains(message, "CREDENTIALS_DIRECTORY is not set"));
    CPPUNIT_ASSERT_MESSAGE(message, contains(message, "0123456789ABCDEF"));
    // A credentials directory without our credential.
    message = configError({{"CREDENTIALS_DIRECTORY", dir_}, {"PROM_ENCRYPT_KEY_PREVIOUS", "a"}});
    CPPUNIT_ASSERT_MESSAGE(message, contains(message, "no encryption key configured"));
    CPPUNIT_ASSERT_MESSAGE(message,
                           contains(message, dir_ + "/promsnmp-encrypt-key (does not exist)"));
    CPPUNIT_ASSERT_MESSAGE(message, contains(message, "0123456789ABCDEF"));
  }

  void testEnvironmentUnreadableFiles() {
    const std::string missing = dir_ + "/missing";
    std::string message = configError({{"PROM_ENCRYPT_KEY_FILE", missing}});
    CPPUNIT_ASSERT_MESSAGE(message, contains(message, "PROM_ENCRYPT_KEY_FILE"));
    CPPUNIT_ASSERT_MESSAGE(message, contains(message, missing));
    // A directory is not a key file.
    message = configError({{"PROM_ENCRYPT_KEY_FILE", dir_}});
    CPPUNIT_ASSERT_MESSAGE(message, contains(message, dir_));
    // Nor is something enormous.
    message = configError({{"PROM_ENCRYPT_KEY_FILE", write("big", std::string(100000, 'k'))}});
    CPPUNIT_ASSERT_MESSAGE(message, contains(message, "larger than 64 KiB"));
    message =
        configError({{"PROM_ENCRYPT_KEY", "current"}, {"PROM_ENCRYPT_KEY_PREVIOUS_FILE", missing}});
    CPPUNIT_ASSERT_MESSAGE(message, contains(message, "PROM_ENCRYPT_KEY_PREVIOUS_FILE"));
    CPPUNIT_ASSERT_MESSAGE(message, contains(message, missing));
    // A credentials "directory" that is a file: the credential path cannot exist.
    message = configError({{"CREDENTIALS_DIRECTORY", write("notadir", "x")}});
    CPPUNIT_ASSERT_MESSAGE(message, contains(message, "does not exist"));
  }

  void testEnvironmentPreviousKeys() {
    const Keyring keys = Keyring::fromEnvironment(
        {{"PROM_ENCRYPT_KEY", "current key"},
         {"PROM_ENCRYPT_KEY_PREVIOUS", "old one,,0123456789ABCDEF,current key,old one"}});
    // Empty entries skipped; the current key and a repeated key dropped.
    CPPUNIT_ASSERT_EQUAL(size_t{2}, keys.previous().size());
    CPPUNIT_ASSERT_EQUAL(Keyring::deriveKey("old one", "x").idHex(), keys.previous()[0].idHex());
    CPPUNIT_ASSERT_EQUAL(std::string("PROM_ENCRYPT_KEY_PREVIOUS[1]"), keys.previous()[0].source);
    CPPUNIT_ASSERT_EQUAL(std::string("d01481b0c6c89f73"), keys.previous()[1].idHex());
    CPPUNIT_ASSERT_EQUAL(std::string("PROM_ENCRYPT_KEY_PREVIOUS[3]"), keys.previous()[1].source);
    // An empty list is "no previous keys", the state after a rotation has finished.
    CPPUNIT_ASSERT(
        Keyring::fromEnvironment({{"PROM_ENCRYPT_KEY", "k"}, {"PROM_ENCRYPT_KEY_PREVIOUS", ""}})
            .previous()
            .empty());
  }

  void testEnvironmentPreviousFile() {
    const std::string path =
        write("previous", "old one\r\n\ncurrent key\n0123456789ABCDEF\nold one\nlast");
    const Keyring keys = Keyring::fromEnvironment({{"PROM_ENCRYPT_KEY", "current key"},
                                                   {"PROM_ENCRYPT_KEY_PREVIOUS", "listed"},
                                                   {"PROM_ENCRYPT_KEY_PREVIOUS_FILE", path}});
    CPPUNIT_ASSERT_EQUAL(size_t{4}, keys.previous().size());
    CPPUNIT_ASSERT_EQUAL(Keyring::deriveKey("listed", "x").idHex(), keys.previous()[0].idHex());
    CPPUNIT_ASSERT_EQUAL(Keyring::deriveKey("old one", "x").idHex(), keys.previous()[1].idHex());
    CPPUNIT_ASSERT_EQUAL("PROM_ENCRYPT_KEY_PREVIOUS_FILE=" + path + ":1",
                         keys.previous()[1].source);
    CPPUNIT_ASSERT_EQUAL(std::string("d01481b0c6c89f73"), keys.previous()[2].idHex());
    CPPUNIT_ASSERT_EQUAL("PROM_ENCRYPT_KEY_PREVIOUS_FILE=" + path + ":4",
                         keys.previous()[2].source);
    CPPUNIT_ASSERT_EQUAL(Keyring::deriveKey("last", "x").idHex(), keys.previous()[3].idHex());
  }

  void testMessagesHoldNoKeyMaterial() {
    const std::string secret = "s3cr3t-k3y-m4t3r14l";
    const std::string keyFile = write("keyfile", secret + "\n");
    const std::string bigFile = write("big", secret + std::string(100000, 'k'));
    const std::vector<Env> cases = {
        {{"PROM_ENCRYPT_KEY", secret}, {"PROM_ENCRYPT_KEY_FILE", keyFile}},
        {{"PROM_ENCRYPT_KEY", secret}, {"PROM_ENCRYPT_KEY_PREVIOUS_FILE", dir_ + "/missing"}},
        {{"PROM_ENCRYPT_KEY_FILE", bigFile}},
        {{"PROM_ENCRYPT_KEY_PREVIOUS", secret}},
    };
    for (const Env& env : cases) {
      const std::string message = configError(env);
      CPPUNIT_ASSERT(!message.empty());
      CPPUNIT_ASSERT_MESSAGE(message, !contains(message, "s3cr3t"));
    }
  }

  // What an operator probably did not mean, shown escaped; spaces inside a passphrase are fine.
  void testWhitespaceProblem() {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"secret", ""},
        {"correct horse battery staple", ""},
        {"secret ", "ends in whitespace \" \""},
        {" secret", "starts with whitespace \" \""},
        {"secret\r", "ends in whitespace \"\\r\""},
        {"secret\n", "ends in whitespace \"\\n\""},
        {"sec\tret", "contains whitespace \"\\t\" inside"},
        {"line one\r\nline two", "contains whitespace \"\\r\\n\" inside"},
        {"\t a\vb \n",
         "starts with whitespace \"\\t \" and ends in whitespace \" \\n\" and "
         "contains whitespace \"\\v\" inside"},
        {"   ", "is only whitespace \"   \""},
        {std::string(20, ' ') + "x", "starts with whitespace \"        \" (20 characters)"},
        {std::string(32, 'a') + " " + std::string(32, 'b'),
         "is 64 hex digits with spaces between them, so it is taken as a passphrase, not as a "
         "raw key"},
        // 63 hex digits and a space: a passphrase like any other.
        {std::string(31, 'a') + " " + std::string(32, 'b'), ""},
        {"", ""},
    };
    for (const auto& [text, expected] : cases) {
      CPPUNIT_ASSERT_EQUAL_MESSAGE(text, expected, Keyring::whitespaceProblem(text));
    }
  }

  // Each source's whitespace is warned about once at load, naming the source and the key id;
  // the key is the text as configured all the same.
  void testWhitespaceWarnedAtLoad() {
    const std::string file = write("key", "s3cr3t \n");
    Keyring keys = Keyring::fromEnvironment({{"PROM_ENCRYPT_KEY_FILE", file}});
    CPPUNIT_ASSERT_EQUAL(Keyring::deriveKey("s3cr3t ", "x").idHex(), keys.current().idHex());
    CPPUNIT_ASSERT_EQUAL(std::string("ends in whitespace \" \""), keys.current().whitespace);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, keys.warnings().size());
    CPPUNIT_ASSERT_EQUAL("PROM_ENCRYPT_KEY_FILE=" + file +
                             ": the key text ends in whitespace \" \", which is part of the key; "
                             "if it is not meant, remove it",
                         keys.warnings()[0]);
    // The variable is not a file: its final newline is whitespace too.
    keys = Keyring::fromEnvironment(
        {{"PROM_ENCRYPT_KEY", "s3cr3t\n"}, {"PROM_ENCRYPT_KEY_PREVIOUS", "old1, old2"}});
    CPPUNIT_ASSERT_EQUAL(size_t{2}, keys.warnings().size());
    CPPUNIT_ASSERT(contains(keys.warnings()[0],
                            "PROM_ENCRYPT_KEY: the key text ends in whitespace "
                            "\"\\n\""));
    CPPUNIT_ASSERT(contains(keys.warnings()[1],
                            "PROM_ENCRYPT_KEY_PREVIOUS[2]: the key text starts "
                            "with whitespace \" \""));
    write("promsnmp-encrypt-key", "\ts3cr3t\n");
    keys = Keyring::fromEnvironment({{"CREDENTIALS_DIRECTORY", dir_}});
    CPPUNIT_ASSERT_EQUAL(size_t{1}, keys.warnings().size());
    CPPUNIT_ASSERT(contains(keys.warnings()[0], "systemd credential " + dir_ +
                                                    "/promsnmp-encrypt-key: the key text starts "
                                                    "with whitespace \"\\t\""));
    // Clean settings: nothing to say.
    CPPUNIT_ASSERT(Keyring::fromEnvironment({{"PROM_ENCRYPT_KEY", "a passphrase"},
                                             {"PROM_ENCRYPT_KEY_PREVIOUS", "old1,old2"}})
                       .warnings()
                       .empty());
    for (const std::string& warning : keys.warnings()) {
      CPPUNIT_ASSERT_MESSAGE(warning, !contains(warning, "s3cr3t"));
    }
  }

  // A key file ending in CR LF is read as without it (as before: key ids of files written with
  // such a key do not change), and warned about: `$(cat file)` would keep the CR.
  void testWindowsLineEndStrippedAndWarned() {
    const std::string file = write("key", "s3cr3t\r\n");
    const Keyring keys = Keyring::fromEnvironment({{"PROM_ENCRYPT_KEY_FILE", file}});
    CPPUNIT_ASSERT_EQUAL(Keyring::deriveKey("s3cr3t", "x").idHex(), keys.current().idHex());
    CPPUNIT_ASSERT(keys.current().whitespace.empty());
    CPPUNIT_ASSERT_EQUAL(size_t{1}, keys.warnings().size());
    CPPUNIT_ASSERT_EQUAL("PROM_ENCRYPT_KEY_FILE=" + file +
                             ": the file ends in a Windows line end (CR LF), stripped like a final "
                             "newline; a tool that strips only the newline, such as "
                             "PROM_ENCRYPT_KEY=\"$(cat file)\", reads another key from it",
                         keys.warnings()[0]);
    // A CR LF inside the text (two lines) is part of the key, and warned about as such.
    const std::string twoLines = write("two", "s3cr3t\r\nmore\r\n");
    const Keyring two = Keyring::fromEnvironment({{"PROM_ENCRYPT_KEY_FILE", twoLines}});
    CPPUNIT_ASSERT_EQUAL(Keyring::deriveKey("s3cr3t\r\nmore", "x").idHex(), two.current().idHex());
    CPPUNIT_ASSERT_EQUAL(size_t{2}, two.warnings().size());
    CPPUNIT_ASSERT(contains(two.warnings()[0], "contains whitespace \"\\r\\n\" inside"));
    // The previous-keys file: lines' CRs stripped, said once.
    const std::string previous = write("previous", "old1\r\nold2\r\n");
    const Keyring withPrevious = Keyring::fromEnvironment(
        {{"PROM_ENCRYPT_KEY", "current"}, {"PROM_ENCRYPT_KEY_PREVIOUS_FILE", previous}});
    CPPUNIT_ASSERT_EQUAL(Keyring::deriveKey("old2", "x").idHex(),
                         withPrevious.previous()[1].idHex());
    CPPUNIT_ASSERT_EQUAL(size_t{1}, withPrevious.warnings().size());
    CPPUNIT_ASSERT_EQUAL("PROM_ENCRYPT_KEY_PREVIOUS_FILE=" + previous +
                             ": 2 line(s) end in a Windows line end (CR LF); the CR was stripped "
                             "with the newline",
                         withPrevious.warnings()[0]);
  }

  // The WrongKeyException's list: every configured key, current first, with the id it gives for
  // the file's kdf (scrypt-derived for passphrases) and its whitespace problem.
  void testDescribeTriedNamesEverySource() {
    const std::string file = write("key", "s3cr3t \n");
    const std::string hexKey(64, 'c');
    const Keyring loaded = Keyring::fromEnvironment(
        {{"PROM_ENCRYPT_KEY_FILE", file}, {"PROM_ENCRYPT_KEY_PREVIOUS", "old," + hexKey}});
    const Keyring keys(loaded.current(), loaded.previous(), ScryptCost{10, 8, 1});  // fast
    const std::string current = Keyring::deriveKey("s3cr3t ", "x").idHex();
    const std::string old = Keyring::deriveKey("old", "x").idHex();
    const std::string raw = Keyring::deriveKey(hexKey, "x").idHex();
    CPPUNIT_ASSERT_EQUAL("PROM_ENCRYPT_KEY_FILE=" + file + " (key id " + current +
                             "; the key text ends in whitespace \" \"), "
                             "PROM_ENCRYPT_KEY_PREVIOUS[1] (key id " +
                             old + "), PROM_ENCRYPT_KEY_PREVIOUS[2] (key id " + raw + ")",
                         keys.describeTried(KdfParams{}));
    const KdfParams& scrypt = keys.newFileKdf();
    CPPUNIT_ASSERT_EQUAL(
        "PROM_ENCRYPT_KEY_FILE=" + file + " (key id " +
            keys.fileKey(keys.current(), scrypt).idHex() +
            " with the file's scrypt parameters; the key text ends in whitespace \" \"), "
            "PROM_ENCRYPT_KEY_PREVIOUS[1] (key id " +
            keys.fileKey(keys.previous()[0], scrypt).idHex() +
            " with the file's scrypt parameters), PROM_ENCRYPT_KEY_PREVIOUS[2] (key id " + raw +
            ": 64 hex digits, a raw key, not a passphrase)",
        keys.describeTried(scrypt));
    CPPUNIT_ASSERT(keys.fileKey(keys.current(), scrypt).idHex() != current);
    CPPUNIT_ASSERT(!contains(keys.describeTried(scrypt), "s3cr3t"));
  }

  void testKeyringFindAndLegacyKeys() {
    const Key current = Keyring::deriveKey("current key", "a");
    const Key legacyOld = Keyring::deriveKey("FEDCBA9876543210", "b");
    const Key other = Keyring::deriveKey("other", "c");
    const Key legacyOlder = Keyring::deriveKey("0123456789ABCDEF", "d");
    const Keyring keys(current, {legacyOld, current, other, legacyOlder, other});
    CPPUNIT_ASSERT_EQUAL(size_t{3}, keys.previous().size());
    CPPUNIT_ASSERT(keys.find(current.id) == &keys.current());
    CPPUNIT_ASSERT(keys.find(other.id) == &keys.previous()[1]);
    std::array<uint8_t, 8> unknown{};
    CPPUNIT_ASSERT(keys.find(unknown) == nullptr);
    const std::vector<const Key*> legacy = keys.legacyKeys();
    CPPUNIT_ASSERT_EQUAL(size_t{2}, legacy.size());
    CPPUNIT_ASSERT_EQUAL(std::string("FEDCBA9876543210"), *legacy[0]->legacy);
    CPPUNIT_ASSERT_EQUAL(std::string("0123456789ABCDEF"), *legacy[1]->legacy);
    // The current key comes first when it is a legacy key.
    const Keyring javaFirst(legacyOlder, {legacyOld});
    CPPUNIT_ASSERT_EQUAL(std::string("0123456789ABCDEF"), *javaFirst.legacyKeys()[0]->legacy);
  }

  void testProcessEnvironment() {
    const Env env = Keyring::processEnvironment();
    CPPUNIT_ASSERT(!env.empty());
    for (const auto& [name, value] : env) {
      const char* actual = std::getenv(name.c_str());
      CPPUNIT_ASSERT_MESSAGE(name, actual != nullptr);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(name, std::string(actual), value);
    }
  }

  // The wrapper against RFC 7914 §12 (the second vector: N = 1024, r = 8, p = 16).
  void testScryptKnownAnswer() {
    CPPUNIT_ASSERT_EQUAL(std::string("fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b"
                                     "3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360"
                                     "cbdfa2cc0640"),
                         hex(detail::scrypt("password", "NaCl", 10, 8, 16, 64, 64u << 20)));
    CPPUNIT_ASSERT_THROW(detail::scrypt("password", "NaCl", 0, 8, 1, 32, 64u << 20),
                         InventoryException);
    // More memory than allowed is an error, not an allocation.
    CPPUNIT_ASSERT_THROW(detail::scrypt("password", "NaCl", 20, 8, 1, 32, 16u << 20),
                         InventoryException);
  }

  // A passphrase's file key is scrypt of the text with the file's salt and cost; its id is over
  // the scrypt label, so it differs from the HKDF key's id; the same request is answered from
  // the cache (the same key, also through a copy of the keyring).
  void testFileKeyOfPassphraseIsScrypt() {
    const Keyring keys(Keyring::deriveKey("correct horse battery staple", "test"), {},
                       ScryptCost{10, 8, 1});
    const KdfParams& kdf = keys.newFileKdf();
    CPPUNIT_ASSERT(kdf.algorithm == Kdf::Scrypt);
    CPPUNIT_ASSERT_EQUAL(10, int{kdf.log2N});
    const Key key = keys.fileKey(keys.current(), kdf);
    CPPUNIT_ASSERT_EQUAL(hex(detail::scrypt("correct horse battery staple",
                                            detail::asView(kdf.salt), 10, 8, 1, 32, 64u << 20)),
                         hex(key.bytes));
    std::string idInput = "promsnmp scrypt key id";
    idInput += detail::asView(key.bytes);
    CPPUNIT_ASSERT_EQUAL(hex(detail::sha256(idInput)).substr(0, 16), key.idHex());
    CPPUNIT_ASSERT(key.id != keys.current().id);  // 6f32d252d9d04e20, the HKDF key's id
    CPPUNIT_ASSERT(!key.passphrase);
    const Keyring copy = keys;
    CPPUNIT_ASSERT_EQUAL(key.idHex(), copy.fileKey(copy.current(), kdf).idHex());
    // Another salt, another key.
    KdfParams other = kdf;
    other.salt[0] ^= 1;
    CPPUNIT_ASSERT(keys.fileKey(keys.current(), other).id != key.id);
    // Direct is the configured (HKDF) key, as format 2 uses it.
    CPPUNIT_ASSERT_EQUAL(keys.current().idHex(), keys.fileKey(keys.current(), KdfParams{}).idHex());
  }

  void testFileKeyOfRawKeyIsTheKey() {
    const Keyring keys(Keyring::deriveKey(std::string(64, 'a'), "test"));
    CPPUNIT_ASSERT(keys.newFileKdf() == KdfParams{});
    KdfParams scrypt;
    scrypt.algorithm = Kdf::Scrypt;
    scrypt.log2N = 10;
    scrypt.r = 8;
    scrypt.p = 1;
    CPPUNIT_ASSERT_EQUAL(keys.current().idHex(), keys.fileKey(keys.current(), scrypt).idHex());
    CPPUNIT_ASSERT(!keys.findFileKey(scrypt, keys.current().id));
  }

  void testFindFileKeyTriesPreviousPassphrases() {
    const Keyring old(Keyring::deriveKey("old passphrase", "old"), {}, ScryptCost{10, 8, 1});
    const Key oldFileKey = old.fileKey(old.current(), old.newFileKdf());
    const Keyring rotating(Keyring::deriveKey("new passphrase", "new"),
                           {Keyring::deriveKey("old passphrase", "previous")});
    const std::optional<Key> found = rotating.findFileKey(old.newFileKdf(), oldFileKey.id);
    CPPUNIT_ASSERT(found);
    CPPUNIT_ASSERT_EQUAL(hex(oldFileKey.bytes), hex(found->bytes));
    CPPUNIT_ASSERT(!Keyring(Keyring::deriveKey("new passphrase", "new"))
                        .findFileKey(old.newFileKdf(), oldFileKey.id));
  }

 private:
  std::string write(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    writeAt(path, content);
    return path;
  }

  static void writeAt(const std::string& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    CPPUNIT_ASSERT_MESSAGE(path, out.good());
  }

  std::string dir_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(KeyringTest);
