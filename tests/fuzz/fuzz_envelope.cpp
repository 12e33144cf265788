// libFuzzer target: arbitrary bytes through the envelope reader with a fixed keyring.
// Refusal (any InventoryException) is the expected outcome for almost every input; any other
// exception escaping, a crash, a sanitizer report or a broken round trip is a bug.
//
// Seeds in corpus/envelope/: a format-2 file sealed with the current key below (made with
// Python's AESGCM, see EnvelopeTest::testGoldenV2File), format-3 files (`promsnmp-inventory
// encrypt` with the current key, a passphrase: scrypt; and with the previous, raw key), the
// Java test vector, and plain JSON.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "inventoryfs/Envelope.h"
#include "inventoryfs/Exceptions.h"
#include "inventoryfs/Keyring.h"

namespace {

using namespace inventoryfs;

// The Java default key (also a legacy AES-128 key) as current, one 64-hex-digit key as
// previous, so that both legacy decryption and key selection by id are reachable.
const Keyring& fuzzKeyring() {
  static const Keyring keys(
      Keyring::deriveKey("0123456789ABCDEF", "fuzz current"),
      {Keyring::deriveKey("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                          "fuzz previous")});
  return keys;
}

void check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view file(reinterpret_cast<const char*>(data), size);
  const Keyring& keys = fuzzKeyring();
  const EnvelopeFormat format = detectFormat(file);
  try {
    readHeader(file);
  } catch (const InventoryException&) {
  }
  try {
    const Opened opened = open(file, keys);
    check(opened.format == format);
    switch (opened.format) {
      case EnvelopeFormat::V2: {
        check(opened.header.ciphertextLength == opened.plaintext.size());
        check(size == opened.header.size() + opened.plaintext.size() + kTagSize);
        const std::string resealed = sealV2(opened.header, opened.plaintext, keys);
        const Opened again = open(resealed, keys);
        check(again.plaintext == opened.plaintext);
        check(again.header.version == opened.header.version);
        check(again.header.epoch == opened.header.epoch);
        check(again.header.format == kWriteFormat);
        check(again.header.inventoryId == opened.header.inventoryId);
        break;
      }
      case EnvelopeFormat::LegacyEncrypted: {
        const std::string resealed = sealLegacy(opened.plaintext, keys);
        check(open(resealed, keys).plaintext == opened.plaintext);
        break;
      }
      case EnvelopeFormat::PlainJson:
        check(opened.plaintext == file);
        break;
    }
  } catch (const InventoryException&) {
    // Refused: the expected outcome for damaged input.
  }
  return 0;
}
