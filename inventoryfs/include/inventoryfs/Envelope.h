#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "inventoryfs/Keyring.h"

namespace inventoryfs {

// The on-disk envelopes of an inventory (DESIGN.md §3):
//
// legacy  Java PromSNMP: Base64(IV[12] || AES-GCM ciphertext || tag[16]), key = the raw 16
//         bytes of PROM_ENCRYPT_KEY, no AAD; or plain JSON.
// ours    a fixed big-endian header, authenticated as GCM AAD, then the AES-256-GCM ciphertext
//         of the JSON and the 16-byte tag. Two formats, told apart by the format field:
//   format 2 (84-byte header, read only):
//           0  magic "PSNMPINV"   8  format u16 (=2)   10 header length u16 (=84)
//           12 flags u32          16 version u64        24 epoch u64
//           32 writer id [16]     48 key id [8]         56 nonce [12]
//           68 created-at u64 (unix ms)                 76 ciphertext length u64
//         The key is the configured key as is (64 hex digits), or HKDF-SHA256 of other text.
//   format 3 (128-byte header, written by this build): the 84 bytes of format 2 (format = 3,
//         header length = 128), then
//           84 inventory id [16]  the identity of the inventory, created at `init` (or on the
//                                 first commit over a Java, plain or format-2 file) and kept by
//                                 every later version; all zero only for stand-alone files
//           100 kdf u8            0 direct (64-hex-digit keys), 1 scrypt (passphrases)
//           101 scrypt log2(N) u8 102 scrypt r u16      104 scrypt p u16
//           106 reserved u16 (0)  108 kdf salt [16]     124 reserved u32 (0)
//         A passphrase key is scrypt(passphrase, salt, N, r, p) (KdfParams; the salt is chosen
//         once per inventory and kept by every version, so a process derives it once), and the
//         key id is over a label of its own, so the id says which derivation a file used.
//         kdf 0 has all-zero parameters and salt; reserved bytes are zero.
//   Any change to a header byte, the ciphertext or the tag fails authentication (a changed salt
//   or cost derives another key, whose id matches no configured key: WrongKeyException); the
//   length field makes truncation a distinct error.
//
// Compatibility: this build reads formats 2 and 3 (and legacy, plain) and writes format 3
// (kWriteFormat, the one place that decides). Releases from before format 3 read only format 2
// and refuse a format-3 file with "unsupported format 3 (this build reads format 2)"; a format
// above 3 is named as a newer promsnmp's. README "Upgrades" says which releases may share a file.

enum class EnvelopeFormat { V2, LegacyEncrypted, PlainJson };  // V2: ours, format 2 or 3

inline constexpr size_t kV2HeaderSize = 84;
inline constexpr size_t kV3HeaderSize = 128;
inline constexpr size_t kMaxHeaderSize = kV3HeaderSize;  // read this much to parse any header
inline constexpr size_t kTagSize = 16;
inline constexpr size_t kNonceSize = 12;
/// The format this build writes.
inline constexpr uint16_t kWriteFormat = 3;

/// Header flag: an operator's write (CLI) that rides the current epoch instead of owning one;
/// it is serialised by the slot claim like any write, and leaders do not treat it as a second
/// writer of their epoch. Unknown flag bits make a file unreadable (DataException).
inline constexpr uint32_t kFlagAdminWrite = 1u << 0;

/// The identity of an inventory (16 random bytes); all zero = none (format 2, stand-alone).
using InventoryId = std::array<uint8_t, 16>;

struct Header {
  uint16_t format = kWriteFormat;  // as read; sealV2 writes kWriteFormat whatever this says
  uint32_t flags = 0;
  uint64_t version = 0;
  uint64_t epoch = 0;
  std::array<uint8_t, 16> writerId{};
  std::array<uint8_t, 8> keyId{};
  std::array<uint8_t, kNonceSize> nonce{};
  int64_t createdAtMs = 0;
  uint64_t ciphertextLength = 0;
  InventoryId inventoryId{};  // format 3
  KdfParams kdf;              // format 3; Direct for format 2

  std::string writerIdHex() const;
  std::string keyIdHex() const;
  std::string nonceHex() const;
  /// The inventory id as 32 lowercase hex digits, "" when there is none.
  std::string inventoryIdHex() const;
  bool hasInventoryId() const;
  /// The size of this header on disk (84 or 128).
  size_t size() const;
};

struct Opened {
  EnvelopeFormat format = EnvelopeFormat::V2;
  Header header;          // zero for legacy and plain files
  std::string plaintext;  // the JSON document
};

/// What a file looks like from its first bytes, without a key. Thread-safe.
EnvelopeFormat detectFormat(std::string_view file);

/// Parses only the header of our envelope (a watcher reads kMaxHeaderSize bytes of the head).
/// Throws DataException if `file` does not start with a format 2 or 3 header (unknown format,
/// flags, kdf, reserved bytes, or scrypt parameters beyond kMaxScryptMemoryBytes; a format above
/// 3 is named as a newer release's, to be read after upgrading the reader),
/// TruncatedException if it is shorter than its header.
Header readHeader(std::string_view file);

/// Seals `plaintext` in our envelope of format kWriteFormat with the keyring's current key and
/// a fresh random nonce (the format, nonce, key id and ciphertext length of `header` are
/// overwritten). The kdf follows the current key: Direct for a 64-hex-digit key; for a
/// passphrase, scrypt with the salt and cost of `header.kdf` when it is scrypt already (an
/// inventory keeps its salt), else a fresh random salt and the keyring's cost. The inventory id
/// is written as given. Thread-safe.
std::string sealV2(Header header, std::string_view plaintext, const Keyring& keys);

/// A fresh random inventory id (16 bytes from the system CSPRNG).
InventoryId newInventoryId();

/// Parses 32 hex digits (Header::inventoryIdHex); "" and anything else give the zero id.
InventoryId inventoryIdFromHex(std::string_view hex);

/// Opens any envelope. Ours: the key is chosen by kdf and key id (WrongKeyException if none
/// matches, naming the derivation),
/// TruncatedException on a length mismatch, AuthenticationException on a bad tag. Legacy: every
/// 16-byte key is tried (AuthenticationException "wrong key or corrupted file" if none fits);
/// leading and trailing ASCII whitespace is ignored. Plain JSON is returned as is.
/// Thread-safe.
Opened open(std::string_view file, const Keyring& keys);

/// Encrypts as the Java PromSNMP does with a 16-byte key (throws KeyConfigException if the
/// keyring's current key has no 16-byte legacy text). `iv` is for test vectors only; empty
/// means random. Thread-safe.
std::string sealLegacy(std::string_view plaintext, const Keyring& keys, std::string_view iv = {});

/// A random writer id (16 bytes from the system CSPRNG).
std::array<uint8_t, 16> newWriterId();

}  // namespace inventoryfs
