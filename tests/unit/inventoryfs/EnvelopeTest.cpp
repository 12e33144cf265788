// Tests of the inventory envelopes: the Java legacy format against its published test vectors,
// the v2 format against a golden file made by an independent implementation (Python
// `cryptography`), and refusal of every kind of damaged file.
#include "inventoryfs/Envelope.h"

#include <set>
#include <string>
#include <vector>

#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include "AesGcm.h"
#include "Base64.h"
#include "Hex.h"
#include "inventoryfs/Exceptions.h"
#include "inventoryfs/Keyring.h"

using namespace inventoryfs;

namespace {

const std::string kJavaKey = "0123456789ABCDEF";
const std::string kJavaIv = *detail::fromHex("000102030405060708090a0b");
const std::string kHelloVector = "AAECAwQFBgcICQoLGVYU5SC6pFSXeDQANPFsLpKnx2VX";
const std::string kEmptyInventory = "{\n  \"devices\" : [ ],\n  \"discoverySeeds\" : [ ]\n}";
const std::string kEmptyInventoryVector =
    "AAECAwQFBgcICQoLCjlYqW2cOYoPnFyrvoMs6FSILuBtY4iXTw09VZ7r2UOQHzEdtsuaj7WuH7z59aWD8Ol94AgzW2ee"
    "8Wd72WNr";

// A v2 file of kEmptyInventory under deriveKey("0123456789ABCDEF"), version 7, epoch 3, writer
// id 10..1f, nonce a0..ab, created at 1735689600123 ms; sealed with Python's AESGCM.
const std::string kGoldenV2Hex =
    "50534e4d50494e56000200540000000000000000000000070000000000000003101112131415161718191a1b1c1d"
    "1e1fd01481b0c6c89f73a0a1a2a3a4a5a6a7a8a9aaab000001941f297c7b000000000000002f83558035acdf68b4"
    "f92d793c4336e22030a5b73cc9710734837ae4f9c8d69c666ec4aafe6e58bde577e793d6a1bdf1f03228b3aec530"
    "fa0b88f0f0c6cce392";

Keyring javaKeyring() { return Keyring(Keyring::deriveKey(kJavaKey, "test")); }

// A small scrypt cost, passed explicitly, keeps the many seals of this suite fast; the default
// cost has its own test (testDefaultScryptCost).
constexpr ScryptCost kFastScrypt{10, 8, 1};

Keyring keyringOf(const std::string& text) {
  return Keyring(Keyring::deriveKey(text, "test"), {}, kFastScrypt);
}

// The id of the key a file sealed with `keys` names (scrypt-derived for a passphrase).
std::array<uint8_t, 8> fileKeyId(const std::string& file, const Keyring& keys) {
  return keys.fileKey(keys.current(), readHeader(file).kdf).id;
}

Header sampleHeader() {
  Header header;
  header.version = 42;
  header.epoch = 9;
  for (size_t i = 0; i < header.writerId.size(); ++i) {
    header.writerId[i] = static_cast<uint8_t>(0xf0 + i);
  }
  header.createdAtMs = 1735689600123;
  return header;
}

// Runs open() and reports which exception it threw ("none" if it returned).
std::string outcome(const std::string& file, const Keyring& keys) {
  try {
    const Opened opened = open(file, keys);
    return "none: " + std::to_string(opened.plaintext.size()) + " bytes of plaintext";
  } catch (const TruncatedException&) {
    return "truncated";
  } catch (const DataException&) {
    return "data";
  } catch (const WrongKeyException&) {
    return "wrongkey";
  } catch (const AuthenticationException&) {
    return "authentication";
  } catch (const InventoryException& e) {
    return std::string("other: ") + e.displayText();
  }
}

std::string messageOf(const std::string& file, const Keyring& keys) {
  try {
    open(file, keys);
  } catch (const InventoryException& e) {
    return e.message();
  }
  return "";
}

}  // namespace

class EnvelopeTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(EnvelopeTest);
  CPPUNIT_TEST(testAesGcmKnownAnswer);
  CPPUNIT_TEST(testJavaVectorHelloSeal);
  CPPUNIT_TEST(testJavaVectorHelloOpen);
  CPPUNIT_TEST(testJavaVectorEmptyInventorySeal);
  CPPUNIT_TEST(testJavaVectorEmptyInventoryOpen);
  CPPUNIT_TEST(testJavaVectorTrailingNewline);
  CPPUNIT_TEST(testLegacyRandomIvRoundTrip);
  CPPUNIT_TEST(testLegacyWrongKey);
  CPPUNIT_TEST(testLegacyNeedsSixteenByteKey);
  CPPUNIT_TEST(testLegacyPreviousKey);
  CPPUNIT_TEST(testLegacyTruncated);
  CPPUNIT_TEST(testLegacyStrictBase64);
  CPPUNIT_TEST(testLegacyTamperedCharacters);
  CPPUNIT_TEST(testSealLegacyArguments);
  CPPUNIT_TEST(testGoldenV2File);
  CPPUNIT_TEST(testV2RoundTrip);
  CPPUNIT_TEST(testV2EmptyAndLargePlaintext);
  CPPUNIT_TEST(testV2HeaderLayout);
  CPPUNIT_TEST(testTamperEveryHeaderByte);
  CPPUNIT_TEST(testTamperCiphertext);
  CPPUNIT_TEST(testTamperEveryTagByte);
  CPPUNIT_TEST(testSplicedFiles);
  CPPUNIT_TEST(testWrongKey);
  CPPUNIT_TEST(testWrongKeyNamesSourcesAndWhitespace);
  CPPUNIT_TEST(testTruncated);
  CPPUNIT_TEST(testUnsupportedHeader);
  CPPUNIT_TEST(testNewerFormatAsksForUpgrade);
  CPPUNIT_TEST(testNonceUniqueness);
  CPPUNIT_TEST(testPreviousKeyDuringRotation);
  CPPUNIT_TEST(testPlainJson);
  CPPUNIT_TEST(testDetectFormat);
  CPPUNIT_TEST(testReadHeader);
  CPPUNIT_TEST(testHexAndWriterId);
  CPPUNIT_TEST(testFormat2OpensAndResealsAsFormat3);
  CPPUNIT_TEST(testPassphraseFileKeyIsScrypt);
  CPPUNIT_TEST(testRawKeySkipsKdf);
  CPPUNIT_TEST(testTamperedSaltOrCostRefused);
  CPPUNIT_TEST(testDefaultScryptCost);
  CPPUNIT_TEST(testIdentityAndSaltKeptByReseal);
  CPPUNIT_TEST_SUITE_END();

 public:
  // The wrapper against the GCM specification's test cases 13 and 14 (AES-256, zero key and
  // IV), and a bad tag: EVP_DecryptFinal_ex returns 0 there, which must mean "refused".
  void testAesGcmKnownAnswer() {
    const std::string key(32, '\0');
    const std::string iv(12, '\0');
    CPPUNIT_ASSERT_EQUAL(std::string("530f8afbc74536b9a963b4f1c4cb738b"),
                         hex(detail::aesGcmEncrypt(key, iv, {}, {})));
    const std::string sealed = detail::aesGcmEncrypt(key, iv, {}, std::string(16, '\0'));
    CPPUNIT_ASSERT_EQUAL(
        std::string("cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919"),
        hex(sealed));
    std::string plaintext;
    CPPUNIT_ASSERT(detail::aesGcmDecrypt(key, iv, {}, sealed, plaintext));
    CPPUNIT_ASSERT_EQUAL(std::string(16, '\0'), plaintext);
    std::string bad = sealed;
    bad.back() ^= 1;
    CPPUNIT_ASSERT(!detail::aesGcmDecrypt(key, iv, {}, bad, plaintext));
    CPPUNIT_ASSERT(plaintext.empty());
    CPPUNIT_ASSERT(!detail::aesGcmDecrypt(key, iv, "aad", sealed, plaintext));
    CPPUNIT_ASSERT_THROW(detail::aesGcmEncrypt(std::string(24, 'k'), iv, {}, "x"),
                         InventoryException);
    CPPUNIT_ASSERT_THROW(detail::aesGcmEncrypt(key, std::string(16, '\0'), {}, "x"),
                         InventoryException);
    CPPUNIT_ASSERT_THROW(detail::aesGcmDecrypt(key, iv, {}, "short", plaintext),
                         InventoryException);
  }

  void testJavaVectorHelloSeal() {
    CPPUNIT_ASSERT_EQUAL(kHelloVector, sealLegacy("hello", javaKeyring(), kJavaIv));
  }

  void testJavaVectorHelloOpen() {
    const Opened opened = open(kHelloVector, javaKeyring());
    CPPUNIT_ASSERT(opened.format == EnvelopeFormat::LegacyEncrypted);
    CPPUNIT_ASSERT_EQUAL(std::string("hello"), opened.plaintext);
    CPPUNIT_ASSERT_EQUAL(uint64_t{0}, opened.header.version);
  }

  void testJavaVectorEmptyInventorySeal() {
    CPPUNIT_ASSERT_EQUAL(size_t{47}, kEmptyInventory.size());
    const std::string sealed = sealLegacy(kEmptyInventory, javaKeyring(), kJavaIv);
    CPPUNIT_ASSERT_EQUAL(size_t{100}, sealed.size());
    CPPUNIT_ASSERT_EQUAL(kEmptyInventoryVector, sealed);
  }

  void testJavaVectorEmptyInventoryOpen() {
    const Opened opened = open(kEmptyInventoryVector, javaKeyring());
    CPPUNIT_ASSERT(opened.format == EnvelopeFormat::LegacyEncrypted);
    CPPUNIT_ASSERT_EQUAL(kEmptyInventory, opened.plaintext);
  }

  void testJavaVectorTrailingNewline() {
    CPPUNIT_ASSERT_EQUAL(std::string("hello"), open(kHelloVector + "\n", javaKeyring()).plaintext);
    CPPUNIT_ASSERT_EQUAL(kEmptyInventory,
                         open(kEmptyInventoryVector + "\n", javaKeyring()).plaintext);
    CPPUNIT_ASSERT_EQUAL(kEmptyInventory,
                         open(" \t" + kEmptyInventoryVector + "\r\n", javaKeyring()).plaintext);
  }

  void testLegacyRandomIvRoundTrip() {
    const Keyring keys = javaKeyring();
    const std::string first = sealLegacy(kEmptyInventory, keys);
    const std::string second = sealLegacy(kEmptyInventory, keys);
    CPPUNIT_ASSERT(first != second);
    CPPUNIT_ASSERT(first.find_first_of("\r\n ") == std::string::npos);
    CPPUNIT_ASSERT_EQUAL(kEmptyInventory, open(first, keys).plaintext);
    CPPUNIT_ASSERT_EQUAL(kEmptyInventory, open(second, keys).plaintext);
  }

  void testLegacyWrongKey() {
    CPPUNIT_ASSERT_EQUAL(std::string("authentication"),
                         outcome(kHelloVector, keyringOf("FEDCBA9876543210")));
    const std::string message = messageOf(kHelloVector, keyringOf("FEDCBA9876543210"));
    CPPUNIT_ASSERT(message.find("wrong key or corrupted file") != std::string::npos);
    CPPUNIT_ASSERT(message.find("FEDCBA9876543210") == std::string::npos);
  }

  void testLegacyNeedsSixteenByteKey() {
    const Keyring keys = keyringOf("a key that is not sixteen bytes");
    CPPUNIT_ASSERT_EQUAL(std::string("wrongkey"), outcome(kHelloVector, keys));
    const std::string message = messageOf(kHelloVector, keys);
    CPPUNIT_ASSERT(message.find("16-character PROM_ENCRYPT_KEY") != std::string::npos);
    CPPUNIT_ASSERT(message.find("a key that is not") == std::string::npos);
  }

  void testLegacyPreviousKey() {
    const Keyring keys(
        Keyring::deriveKey("new key, not 16 chars", "current"),
        {Keyring::deriveKey("FEDCBA9876543210", "old"), Keyring::deriveKey(kJavaKey, "older")});
    CPPUNIT_ASSERT_EQUAL(std::string("hello"), open(kHelloVector, keys).plaintext);
  }

  void testLegacyTruncated() {
    // 27 decoded bytes: one short of IV + tag.
    const std::string raw = kJavaIv + std::string(15, 'x');
    CPPUNIT_ASSERT_EQUAL(std::string("truncated"), outcome(base64(raw), javaKeyring()));
    CPPUNIT_ASSERT_EQUAL(std::string("truncated"), outcome("", javaKeyring()));
    CPPUNIT_ASSERT_EQUAL(std::string("truncated"), outcome(" \n", javaKeyring()));
    CPPUNIT_ASSERT_EQUAL(std::string("truncated"), outcome("AAAA", javaKeyring()));
    // Java's own output cut at a 4-character boundary decodes, but the tag is then wrong.
    CPPUNIT_ASSERT_EQUAL(std::string("authentication"),
                         outcome(kEmptyInventoryVector.substr(0, 96), javaKeyring()));
  }

  void testLegacyStrictBase64() {
    const Keyring keys = javaKeyring();
    const std::vector<std::string> bad = {
        kHelloVector.substr(0, kHelloVector.size() - 1),              // length not a multiple of 4
        kHelloVector.substr(0, 20) + "\n" + kHelloVector.substr(21),  // inner whitespace
        kHelloVector.substr(0, 20) + "-_" + kHelloVector.substr(22),  // URL-safe alphabet
        kHelloVector + "====",                                        // padding in a full group
        "AAECAwQFBgcICQoLGVYU5SC6pFSXeDQANPFsLpKnx2V=",               // padding replacing data
        "AA=A" + kHelloVector,                                        // padding in the middle
        "not base64 at all!",
    };
    for (const std::string& text : bad) {
      CPPUNIT_ASSERT_EQUAL_MESSAGE(text, std::string("data"), outcome(text, keys));
    }
    for (size_t size = 0; size <= 20; ++size) {
      const std::string bytes = detail::randomBytes(size);
      const std::string text = detail::base64Encode(bytes);
      CPPUNIT_ASSERT_EQUAL((size + 2) / 3 * 4, text.size());
      CPPUNIT_ASSERT(detail::base64Decode(text) == bytes);
    }
    // "AAECAw==" and "AAECAx==" differ only in unused bits: only the canonical form is accepted.
    CPPUNIT_ASSERT_EQUAL(std::string("truncated"), outcome("AAECAw==", keys));
    CPPUNIT_ASSERT_EQUAL(std::string("data"), outcome("AAECAx==", keys));
    CPPUNIT_ASSERT_EQUAL(std::string("data"), outcome("AAECAwQ=" + std::string("AAAA"), keys));
  }

  void testLegacyTamperedCharacters() {
    const Keyring keys = javaKeyring();
    for (size_t i = 0; i < kEmptyInventoryVector.size(); ++i) {
      std::string tampered = kEmptyInventoryVector;
      tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
      const std::string result = outcome(tampered, keys);
      CPPUNIT_ASSERT_MESSAGE(std::to_string(i) + ": " + result,
                             result == "authentication" || result == "data");
    }
  }

  void testSealLegacyArguments() {
    CPPUNIT_ASSERT_THROW(sealLegacy("x", keyringOf("not sixteen bytes long")), KeyConfigException);
    CPPUNIT_ASSERT_THROW(sealLegacy("x", javaKeyring(), "short iv"), InventoryException);
  }

  void testGoldenV2File() {
    const std::string file = *detail::fromHex(kGoldenV2Hex);
    const Opened opened = open(file, javaKeyring());
    CPPUNIT_ASSERT(opened.format == EnvelopeFormat::V2);
    CPPUNIT_ASSERT_EQUAL(kEmptyInventory, opened.plaintext);
    CPPUNIT_ASSERT_EQUAL(uint64_t{7}, opened.header.version);
    CPPUNIT_ASSERT_EQUAL(uint64_t{3}, opened.header.epoch);
    CPPUNIT_ASSERT_EQUAL(std::string("101112131415161718191a1b1c1d1e1f"),
                         opened.header.writerIdHex());
    CPPUNIT_ASSERT_EQUAL(std::string("d01481b0c6c89f73"), opened.header.keyIdHex());
    CPPUNIT_ASSERT_EQUAL(std::string("a0a1a2a3a4a5a6a7a8a9aaab"), opened.header.nonceHex());
    CPPUNIT_ASSERT_EQUAL(int64_t{1735689600123}, opened.header.createdAtMs);
    CPPUNIT_ASSERT_EQUAL(uint64_t{47}, opened.header.ciphertextLength);
  }

  void testV2RoundTrip() {
    const Keyring keys = keyringOf("correct horse battery staple");
    const Header in = sampleHeader();
    const std::string file = sealV2(in, kEmptyInventory, keys);
    CPPUNIT_ASSERT_EQUAL(kV3HeaderSize + kEmptyInventory.size() + kTagSize, file.size());
    CPPUNIT_ASSERT(detectFormat(file) == EnvelopeFormat::V2);
    const Opened opened = open(file, keys);
    CPPUNIT_ASSERT(opened.format == EnvelopeFormat::V2);
    CPPUNIT_ASSERT_EQUAL(kEmptyInventory, opened.plaintext);
    CPPUNIT_ASSERT_EQUAL(in.version, opened.header.version);
    CPPUNIT_ASSERT_EQUAL(in.epoch, opened.header.epoch);
    CPPUNIT_ASSERT(in.writerId == opened.header.writerId);
    CPPUNIT_ASSERT(fileKeyId(file, keys) == opened.header.keyId);
    CPPUNIT_ASSERT_EQUAL(in.createdAtMs, opened.header.createdAtMs);
    CPPUNIT_ASSERT_EQUAL(uint64_t{kEmptyInventory.size()}, opened.header.ciphertextLength);
    // The plaintext does not appear in the file.
    CPPUNIT_ASSERT(file.find("discoverySeeds") == std::string::npos);
  }

  void testV2EmptyAndLargePlaintext() {
    const Keyring keys = keyringOf("correct horse battery staple");
    const std::string empty = sealV2(sampleHeader(), "", keys);
    CPPUNIT_ASSERT_EQUAL(kV3HeaderSize + kTagSize, empty.size());
    CPPUNIT_ASSERT_EQUAL(std::string(), open(empty, keys).plaintext);

    std::string large(3 * 1024 * 1024 + 7, '\0');
    for (size_t i = 0; i < large.size(); ++i) {
      large[i] = static_cast<char>(i * 131 + (i >> 9));
    }
    const std::string file = sealV2(sampleHeader(), large, keys);
    CPPUNIT_ASSERT(open(file, keys).plaintext == large);
  }

  void testV2HeaderLayout() {
    const Keyring keys = keyringOf("correct horse battery staple");
    Header in = sampleHeader();
    in.flags = kFlagAdminWrite;
    in.version = 0x0102030405060708;
    in.epoch = 0x1112131415161718;
    in.createdAtMs = -2;  // stored as its two's complement bit pattern
    for (size_t i = 0; i < in.inventoryId.size(); ++i) {
      in.inventoryId[i] = static_cast<uint8_t>(0xc0 + i);
    }
    const std::string file = sealV2(in, "abc", keys);
    const Header out = readHeader(file);
    const std::string expected =
        "50534e4d50494e56"                    // "PSNMPINV"
        "0003"                                // format 3
        "0080"                                // header length 128
        "00000001"                            // flags: admin write
        "0102030405060708"                    // version
        "1112131415161718"                    // epoch
        "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"    // writer id
        + out.keyIdHex()                      // key id (of the scrypt-derived key)
        + out.nonceHex()                      // nonce (random)
        + "fffffffffffffffe"                  // created-at
        + "0000000000000003"                  // ciphertext length
        + "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"  // inventory id
        + "01"                                // kdf: scrypt
        + "0a"                                // log2(N) = 10
        + "0008"                              // r
        + "0001"                              // p
        + "0000"                              // reserved
        + hex(std::string(detail::asView(keys.newFileKdf().salt)))  // salt
        + "00000000";                                               // reserved
    CPPUNIT_ASSERT_EQUAL(expected, hex(file.substr(0, kV3HeaderSize)));
    CPPUNIT_ASSERT(out.keyId == fileKeyId(file, keys));
    CPPUNIT_ASSERT(out.inventoryId == in.inventoryId);
    CPPUNIT_ASSERT_EQUAL(std::string("c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"), out.inventoryIdHex());
    CPPUNIT_ASSERT_EQUAL(int64_t{-2}, out.createdAtMs);
    CPPUNIT_ASSERT_EQUAL(kFlagAdminWrite, out.flags);
    CPPUNIT_ASSERT_EQUAL(std::string("abc"), open(file, keys).plaintext);
  }

  // Every single header byte, changed three ways, is refused; structural fields are refused
  // with the error that names the problem, every other field by the tag.
  void testTamperEveryHeaderByte() {
    const Keyring keys = keyringOf("correct horse battery staple");
    const std::string file = sealV2(sampleHeader(), kEmptyInventory, keys);
    for (size_t i = 0; i < kV3HeaderSize; ++i) {
      std::string expected = "authentication";  // also the inventory id (84..99)
      if (i < 16) {
        expected = "data";  // magic, format, header length, flags
      } else if (i >= 48 && i < 56) {
        expected = "wrongkey";
      } else if (i >= 76 && i < 84) {
        expected = "truncated";  // ciphertext length
      } else if (i >= 100) {
        expected = "kdf";  // kdf, cost, salt, reserved: below
      }
      for (const uint8_t mask : {0x01, 0x80, 0xff}) {
        std::string tampered = file;
        tampered[i] = static_cast<char>(tampered[i] ^ mask);
        // Toggling only the known admin-write flag gives a well-formed header: the tag refuses it.
        const bool knownFlag = i == 15 && mask == kFlagAdminWrite;
        const std::string got = outcome(tampered, keys);
        const std::string what = "byte " + std::to_string(i) + " mask " + std::to_string(mask);
        if (expected == "kdf") {
          // An impossible kdf is refused as data; another salt or cost derives another key,
          // whose id the file does not name.
          CPPUNIT_ASSERT_MESSAGE(what + ": " + got, got == "data" || got == "wrongkey");
        } else {
          CPPUNIT_ASSERT_EQUAL_MESSAGE(what, knownFlag ? std::string("authentication") : expected,
                                       got);
        }
      }
    }
  }

  void testTamperCiphertext() {
    const Keyring keys = keyringOf("correct horse battery staple");
    const std::string file = sealV2(sampleHeader(), kEmptyInventory, keys);
    for (const size_t offset : {size_t{0}, size_t{1}, size_t{23}, kEmptyInventory.size() - 1}) {
      for (const uint8_t mask : {0x01, 0x80}) {
        std::string tampered = file;
        tampered[kV3HeaderSize + offset] ^= static_cast<char>(mask);
        CPPUNIT_ASSERT_EQUAL_MESSAGE("ciphertext byte " + std::to_string(offset),
                                     std::string("authentication"), outcome(tampered, keys));
      }
    }
    std::string tampered = file;
    tampered[kV3HeaderSize] ^= 1;
    const std::string message = messageOf(tampered, keys);
    CPPUNIT_ASSERT(message.find("authentication failed: file modified or corrupted (key id " +
                                readHeader(file).keyIdHex() + ")") != std::string::npos);
  }

  void testTamperEveryTagByte() {
    const Keyring keys = keyringOf("correct horse battery staple");
    const std::string file = sealV2(sampleHeader(), kEmptyInventory, keys);
    for (size_t i = file.size() - kTagSize; i < file.size(); ++i) {
      std::string tampered = file;
      tampered[i] ^= 1;
      CPPUNIT_ASSERT_EQUAL_MESSAGE("tag byte " + std::to_string(i), std::string("authentication"),
                                   outcome(tampered, keys));
    }
  }

  // The header of one version with the body of another (same length) fails: the nonce and
  // the AAD bind them.
  void testSplicedFiles() {
    const Keyring keys = keyringOf("correct horse battery staple");
    Header second = sampleHeader();
    second.version += 1;
    const std::string a = sealV2(sampleHeader(), "{\"devices\":[1]}", keys);
    const std::string b = sealV2(second, "{\"devices\":[2]}", keys);
    CPPUNIT_ASSERT_EQUAL(std::string("authentication"),
                         outcome(a.substr(0, kV3HeaderSize) + b.substr(kV3HeaderSize), keys));
    // Same nonce and body, only the version changed in the header: still refused.
    std::string bumped = a;
    bumped[16 + 7] ^= 0x03;
    CPPUNIT_ASSERT_EQUAL(std::string("authentication"), outcome(bumped, keys));
  }

  void testWrongKey() {
    const Keyring writer = keyringOf("correct horse battery staple");
    const Keyring reader = keyringOf("a different key");
    const std::string file = sealV2(sampleHeader(), kEmptyInventory, writer);
    CPPUNIT_ASSERT_EQUAL(std::string("wrongkey"), outcome(file, reader));
    const std::string message = messageOf(file, reader);
    CPPUNIT_ASSERT(message.find(readHeader(file).keyIdHex()) != std::string::npos);
    CPPUNIT_ASSERT(message.find("wrong passphrase") != std::string::npos);
    // The reader's id for this file: its passphrase with the file's salt and cost.
    CPPUNIT_ASSERT(message.find("tried, in order: test (key id " +
                                detail::toHex(fileKeyId(file, reader).data(), 8) + " with") !=
                   std::string::npos);
    CPPUNIT_ASSERT(message.find("correct horse") == std::string::npos);
    CPPUNIT_ASSERT(message.find("a different key") == std::string::npos);
    // Distinct from the truncation message.
    const std::string truncated = messageOf(file.substr(0, file.size() - 1), writer);
    CPPUNIT_ASSERT(!truncated.empty());
    CPPUNIT_ASSERT(message != truncated);
    CPPUNIT_ASSERT(message.find("expected") == std::string::npos);
  }

  // A raw-key file read with a key file that has a stray space: the space makes the text a
  // passphrase, and the message shows both ids and the whitespace.
  void testWrongKeyNamesSourcesAndWhitespace() {
    const std::string hexKey(64, 'a');
    const Keyring writer = keyringOf(hexKey);
    Key configured = Keyring::deriveKey(hexKey + " ", "PROM_ENCRYPT_KEY_FILE=/run/secrets/key");
    configured.whitespace = Keyring::whitespaceProblem(hexKey + " ");
    const Keyring reader(configured, {Keyring::deriveKey("FEDCBA9876543210", "old")}, kFastScrypt);
    const std::string file = sealV2(sampleHeader(), kEmptyInventory, writer);
    CPPUNIT_ASSERT_EQUAL(std::string("wrongkey"), outcome(file, reader));
    CPPUNIT_ASSERT_EQUAL("the inventory was written with key id " + writer.current().idHex() +
                             ", which no configured key has; tried, in order: "
                             "PROM_ENCRYPT_KEY_FILE=/run/secrets/key (key id " +
                             reader.current().idHex() +
                             "; the key text ends in whitespace \" \"), old (key id " +
                             reader.previous()[0].idHex() + ")",
                         messageOf(file, reader));
    // Java files: the 16-byte keys tried, by source.
    const std::string java = messageOf(kHelloVector, reader);
    CPPUNIT_ASSERT_MESSAGE(java, java.find("in order: old (key id " + reader.previous()[0].idHex() +
                                           ")") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(java, java.find("FEDCBA9876543210") == std::string::npos);
  }

  void testTruncated() {
    const Keyring keys = keyringOf("correct horse battery staple");
    const std::string file = sealV2(sampleHeader(), kEmptyInventory, keys);
    for (const size_t length :
         {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{40}, kV2HeaderSize - 1, kV2HeaderSize,
          kV2HeaderSize + 1, kV2HeaderSize + kTagSize, file.size() - kTagSize, file.size() - 1}) {
      CPPUNIT_ASSERT_EQUAL_MESSAGE("length " + std::to_string(length), std::string("truncated"),
                                   outcome(file.substr(0, length), keys));
    }
    const std::string message = messageOf(file.substr(0, file.size() - 1), keys);
    CPPUNIT_ASSERT(message.find("expected " + std::to_string(file.size()) + " bytes, file has " +
                                std::to_string(file.size() - 1)) != std::string::npos);
    // Longer than the header says is the same error (a torn overwrite of a longer file).
    CPPUNIT_ASSERT_EQUAL(std::string("truncated"), outcome(file + "x", keys));
    // A length field near 2^64 does not overflow into a match.
    std::string huge = file;
    for (size_t i = 76; i < 84; ++i) {
      huge[i] = '\xff';
    }
    CPPUNIT_ASSERT_EQUAL(std::string("truncated"), outcome(huge, keys));
  }

  void testUnsupportedHeader() {
    const Keyring keys = keyringOf("correct horse battery staple");
    const std::string file = sealV2(sampleHeader(), kEmptyInventory, keys);
    std::string format4 = file;
    format4[9] = 4;
    CPPUNIT_ASSERT_EQUAL(std::string("data"), outcome(format4, keys));
    CPPUNIT_ASSERT(messageOf(format4, keys)
                       .find("unsupported format 4 (this build reads formats 2 "
                             "and 3)") != std::string::npos);
    std::string flags = file;
    flags[15] = 2;  // bit 0 is the admin-write flag; other bits are unknown
    CPPUNIT_ASSERT(messageOf(flags, keys).find("unsupported format") != std::string::npos);
    std::string length = file;
    length[11] = 84;  // a format-3 header must be 128 bytes long
    CPPUNIT_ASSERT(messageOf(length, keys).find("unsupported format 3 variant") !=
                   std::string::npos);
    std::string reserved = file;
    reserved[kV3HeaderSize - 1] = 1;
    CPPUNIT_ASSERT(messageOf(reserved, keys).find("reserved") != std::string::npos);
    std::string kdf = file;
    kdf[100] = 7;
    CPPUNIT_ASSERT(messageOf(kdf, keys).find("unknown kdf 7") != std::string::npos);
    // A cost no reader should pay (2^24 * 128 * 8 bytes = 16 GiB) is refused before scrypt runs.
    std::string costly = file;
    costly[101] = 24;
    CPPUNIT_ASSERT_EQUAL(std::string("data"), outcome(costly, keys));
    CPPUNIT_ASSERT(messageOf(costly, keys).find("MiB a reader allows") != std::string::npos);
  }

  // A format above the newest this build reads is a newer release's file (an upgrade in
  // progress): the message says so and names the fix; an unknown older number does not claim to
  // be newer. readHeader (the watcher's peek) and open give the same message.
  void testNewerFormatAsksForUpgrade() {
    const Keyring keys = keyringOf("correct horse battery staple");
    const std::string file = sealV2(sampleHeader(), kEmptyInventory, keys);
    const std::string newer =
        "(this build reads formats 2 and 3): written by a newer promsnmp; upgrade this build to "
        "read it";
    for (const uint16_t format : {uint16_t{4}, uint16_t{0x0100}, uint16_t{0xffff}}) {
      std::string crafted = file;
      crafted[8] = static_cast<char>(format >> 8);
      crafted[9] = static_cast<char>(format & 0xff);
      const std::string expected = "unsupported format " + std::to_string(format) + " " + newer;
      CPPUNIT_ASSERT_EQUAL(std::string("data"), outcome(crafted, keys));
      CPPUNIT_ASSERT_EQUAL(expected, messageOf(crafted, keys));
      try {
        readHeader(crafted);
        CPPUNIT_FAIL("format " + std::to_string(format) + " was read");
      } catch (const DataException& e) {
        CPPUNIT_ASSERT_EQUAL(expected, e.message());
      }
    }
    for (const uint16_t format : {uint16_t{0}, uint16_t{1}}) {
      std::string crafted = file;
      crafted[8] = 0;
      crafted[9] = static_cast<char>(format);
      const std::string message = messageOf(crafted, keys);
      CPPUNIT_ASSERT(message.find("unsupported format " + std::to_string(format) +
                                  " (this build reads formats 2 and 3)") != std::string::npos);
      CPPUNIT_ASSERT(message.find("newer") == std::string::npos);
    }
  }

  // Nonces are random per seal, even for identical header and plaintext.
  void testNonceUniqueness() {
    const Keyring keys = keyringOf("correct horse battery staple");
    const Header header = sampleHeader();
    std::set<std::string> nonces;
    constexpr size_t kSeals = 10000;
    for (size_t i = 0; i < kSeals; ++i) {
      const std::string file = sealV2(header, "{}", keys);
      const std::string nonce = file.substr(56, kNonceSize);
      CPPUNIT_ASSERT_EQUAL(readHeader(file).nonceHex(), hex(nonce));
      nonces.insert(nonce);
    }
    CPPUNIT_ASSERT_EQUAL(kSeals, nonces.size());
  }

  void testPreviousKeyDuringRotation() {
    const Keyring old = keyringOf("the old key");
    const std::string file = sealV2(sampleHeader(), kEmptyInventory, old);
    const Keyring rotating(Keyring::deriveKey("the new key", "current"),
                           {Keyring::deriveKey("the old key", "previous")});
    const Opened opened = open(file, rotating);
    CPPUNIT_ASSERT_EQUAL(kEmptyInventory, opened.plaintext);
    CPPUNIT_ASSERT(opened.header.keyId == fileKeyId(file, old));
    // Re-sealing uses the new current key; the old keyring can then no longer read it.
    const std::string resealed = sealV2(opened.header, opened.plaintext, rotating);
    CPPUNIT_ASSERT(readHeader(resealed).keyId == fileKeyId(resealed, rotating));
    CPPUNIT_ASSERT_EQUAL(std::string("wrongkey"), outcome(resealed, old));
    // After the rotation the previous key is gone and the old file is refused.
    CPPUNIT_ASSERT_EQUAL(std::string("wrongkey"), outcome(file, keyringOf("the new key")));
  }

  void testPlainJson() {
    const Keyring keys = keyringOf("correct horse battery staple");
    for (const std::string& text : {kEmptyInventory, "\n  \t" + kEmptyInventory + "\n"}) {
      const Opened opened = open(text, keys);
      CPPUNIT_ASSERT(opened.format == EnvelopeFormat::PlainJson);
      CPPUNIT_ASSERT_EQUAL(text, opened.plaintext);
    }
  }

  void testDetectFormat() {
    CPPUNIT_ASSERT(detectFormat(std::string_view("PSNMPINV\0\2", 10)) == EnvelopeFormat::V2);
    CPPUNIT_ASSERT(detectFormat("PSNM") == EnvelopeFormat::V2);
    CPPUNIT_ASSERT(detectFormat("{}") == EnvelopeFormat::PlainJson);
    CPPUNIT_ASSERT(detectFormat(" \r\n\t{") == EnvelopeFormat::PlainJson);
    CPPUNIT_ASSERT(detectFormat(kHelloVector) == EnvelopeFormat::LegacyEncrypted);
    CPPUNIT_ASSERT(detectFormat("") == EnvelopeFormat::LegacyEncrypted);
    CPPUNIT_ASSERT(detectFormat(" PSNMPINV") == EnvelopeFormat::LegacyEncrypted);
    CPPUNIT_ASSERT(detectFormat("[]") == EnvelopeFormat::LegacyEncrypted);
  }

  void testReadHeader() {
    const std::string golden = *detail::fromHex(kGoldenV2Hex);
    // Needs no key, and only the header bytes.
    const Header header = readHeader(golden.substr(0, kV2HeaderSize));
    CPPUNIT_ASSERT_EQUAL(uint64_t{7}, header.version);
    CPPUNIT_ASSERT_EQUAL(uint64_t{3}, header.epoch);
    CPPUNIT_ASSERT_THROW(readHeader(golden.substr(0, 50)), TruncatedException);
    CPPUNIT_ASSERT_THROW(readHeader(""), TruncatedException);
    CPPUNIT_ASSERT_THROW(readHeader(kHelloVector), DataException);
    try {
      readHeader(kEmptyInventory);
      CPPUNIT_FAIL("readHeader accepted JSON");
    } catch (const TruncatedException&) {
      CPPUNIT_FAIL("JSON reported as truncated");
    } catch (const DataException&) {
    }
  }

  void testHexAndWriterId() {
    Header header;
    header.writerId.fill(0xab);
    header.keyId.fill(0xcd);
    header.nonce.fill(0xef);
    std::string abab;
    for (int i = 0; i < 16; ++i) {
      abab += "ab";
    }
    CPPUNIT_ASSERT_EQUAL(abab, header.writerIdHex());
    CPPUNIT_ASSERT_EQUAL(std::string("cdcdcdcdcdcdcdcd"), header.keyIdHex());
    CPPUNIT_ASSERT_EQUAL(std::string("efefefefefefefefefefefef"), header.nonceHex());
    const auto first = newWriterId();
    const auto second = newWriterId();
    CPPUNIT_ASSERT(first != second);
  }

  // A file of the previous release (format 2, HKDF of the passphrase) still opens; sealing its
  // content again writes format 3 with scrypt.
  void testFormat2OpensAndResealsAsFormat3() {
    const std::string golden = *detail::fromHex(kGoldenV2Hex);
    const Keyring keys(Keyring::deriveKey(kJavaKey, "test"), {}, kFastScrypt);
    const Opened opened = open(golden, keys);
    CPPUNIT_ASSERT_EQUAL(uint16_t{2}, opened.header.format);
    CPPUNIT_ASSERT_EQUAL(kV2HeaderSize, opened.header.size());
    CPPUNIT_ASSERT(!opened.header.hasInventoryId());
    CPPUNIT_ASSERT_EQUAL(std::string(), opened.header.inventoryIdHex());
    CPPUNIT_ASSERT(opened.header.kdf == KdfParams{});
    CPPUNIT_ASSERT(opened.header.keyId == keys.current().id);  // the HKDF key's id
    const std::string resealed = sealV2(opened.header, opened.plaintext, keys);
    const Header header = readHeader(resealed);
    CPPUNIT_ASSERT_EQUAL(uint16_t{3}, header.format);
    CPPUNIT_ASSERT(header.kdf.algorithm == Kdf::Scrypt);
    CPPUNIT_ASSERT_EQUAL(kEmptyInventory, open(resealed, keys).plaintext);
  }

  // A passphrase seals new files with scrypt: the key id is not the HKDF key's, the HKDF key
  // cannot open the file, and an independent scrypt of the passphrase with the header's salt
  // and cost can.
  void testPassphraseFileKeyIsScrypt() {
    const std::string passphrase = "correct horse battery staple";
    const Keyring keys = keyringOf(passphrase);
    const std::string file = sealV2(sampleHeader(), kEmptyInventory, keys);
    const Header header = readHeader(file);
    CPPUNIT_ASSERT(header.kdf.algorithm == Kdf::Scrypt);
    CPPUNIT_ASSERT_EQUAL(uint8_t{10}, header.kdf.log2N);
    CPPUNIT_ASSERT(header.kdf.salt != decltype(header.kdf.salt){});
    CPPUNIT_ASSERT(header.keyId != keys.current().id);
    const std::string_view aad = std::string_view(file).substr(0, kV3HeaderSize);
    const std::string_view sealed = std::string_view(file).substr(kV3HeaderSize);
    std::string plaintext;
    CPPUNIT_ASSERT_MESSAGE(
        "the HKDF-derived key opened a new passphrase file",
        !detail::aesGcmDecrypt(detail::asView(keys.current().bytes), detail::asView(header.nonce),
                               aad, sealed, plaintext));
    const std::string scrypted =
        detail::scrypt(passphrase, detail::asView(header.kdf.salt), header.kdf.log2N, header.kdf.r,
                       header.kdf.p, 32, kMaxScryptMemoryBytes);
    CPPUNIT_ASSERT(
        detail::aesGcmDecrypt(scrypted, detail::asView(header.nonce), aad, sealed, plaintext));
    CPPUNIT_ASSERT_EQUAL(kEmptyInventory, plaintext);
    // A keyring holding only the HKDF key (a format-2 reader's view) does not find the key id.
    Key hkdfOnly = keys.current();
    hkdfOnly.passphrase.reset();
    CPPUNIT_ASSERT_EQUAL(std::string("wrongkey"), outcome(file, Keyring(hkdfOnly)));
  }

  // 64 hex digits are the key: no KDF, the configured key's id.
  void testRawKeySkipsKdf() {
    const Keyring keys(Keyring::deriveKey(
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "test"));
    CPPUNIT_ASSERT(!keys.current().passphrase);
    const std::string file = sealV2(sampleHeader(), kEmptyInventory, keys);
    const Header header = readHeader(file);
    CPPUNIT_ASSERT_EQUAL(uint16_t{3}, header.format);
    CPPUNIT_ASSERT(header.kdf == KdfParams{});
    CPPUNIT_ASSERT(header.keyId == keys.current().id);
    CPPUNIT_ASSERT_EQUAL(kEmptyInventory, open(file, keys).plaintext);
  }

  // The salt and cost are authenticated in effect: changing them derives another key, which the
  // file's key id does not name; the message says so without key material.
  void testTamperedSaltOrCostRefused() {
    const Keyring keys = keyringOf("correct horse battery staple");
    const std::string file = sealV2(sampleHeader(), kEmptyInventory, keys);
    for (const size_t offset : {size_t{101}, size_t{103}, size_t{105}, size_t{108}, size_t{123}}) {
      std::string tampered = file;
      tampered[offset] ^= 0x02;  // log2(N) 8, r 10, p 3, another salt: all still valid
      CPPUNIT_ASSERT_EQUAL_MESSAGE("byte " + std::to_string(offset), std::string("wrongkey"),
                                   outcome(tampered, keys));
      CPPUNIT_ASSERT(messageOf(tampered, keys).find("salt or scrypt parameters were modified") !=
                     std::string::npos);
    }
    // The inventory id is AAD: changing it fails the tag.
    std::string id = file;
    id[90] ^= 0x01;
    CPPUNIT_ASSERT_EQUAL(std::string("authentication"), outcome(id, keys));
  }

  // The default cost (no option): what production writes, and a fresh reader opens it.
  void testDefaultScryptCost() {
    const Keyring writer(Keyring::deriveKey("a human passphrase", "test"));
    const std::string file = sealV2(sampleHeader(), kEmptyInventory, writer);
    const Header header = readHeader(file);
    CPPUNIT_ASSERT(header.kdf.algorithm == Kdf::Scrypt);
    CPPUNIT_ASSERT_EQUAL(ScryptCost{}.log2N, header.kdf.log2N);
    CPPUNIT_ASSERT_EQUAL(uint8_t{14}, header.kdf.log2N);
    CPPUNIT_ASSERT_EQUAL(uint16_t{8}, header.kdf.r);
    CPPUNIT_ASSERT_EQUAL(uint16_t{1}, header.kdf.p);
    const Keyring reader(Keyring::deriveKey("a human passphrase", "test"));
    CPPUNIT_ASSERT_EQUAL(kEmptyInventory, open(file, reader).plaintext);
    CPPUNIT_ASSERT_EQUAL(std::string("wrongkey"),
                         outcome(file, Keyring(Keyring::deriveKey("a human passphrasf", "t"))));
  }

  // Sealing a version read from a file keeps its inventory id and salt (what every commit does).
  void testIdentityAndSaltKeptByReseal() {
    const Keyring first = keyringOf("correct horse battery staple");
    Header header = sampleHeader();
    header.inventoryId = newInventoryId();
    const std::string file = sealV2(header, kEmptyInventory, first);
    const Keyring second = keyringOf("correct horse battery staple");  // another process
    CPPUNIT_ASSERT(first.newFileKdf().salt != second.newFileKdf().salt);
    Opened opened = open(file, second);
    opened.header.version += 1;
    const Header next = readHeader(sealV2(opened.header, opened.plaintext, second));
    CPPUNIT_ASSERT(next.inventoryId == header.inventoryId);
    CPPUNIT_ASSERT(next.kdf == readHeader(file).kdf);
    CPPUNIT_ASSERT(next.keyId == readHeader(file).keyId);
    CPPUNIT_ASSERT(inventoryIdFromHex(next.inventoryIdHex()) == header.inventoryId);
    CPPUNIT_ASSERT(inventoryIdFromHex("") == InventoryId{});
    CPPUNIT_ASSERT(newInventoryId() != newInventoryId());
  }

 private:
  static std::string hex(const std::string& bytes) {
    return detail::toHex(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  static std::string base64(const std::string& bytes) { return detail::base64Encode(bytes); }
};

CPPUNIT_TEST_SUITE_REGISTRATION(EnvelopeTest);
