#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "inventoryfs/Keyring.h"

namespace inventoryfs {

// The two on-disk envelopes of an inventory (DESIGN.md §3):
//
// legacy  Java PromSNMP: Base64(IV[12] || AES-GCM ciphertext || tag[16]), key = the raw 16
//         bytes of PROM_ENCRYPT_KEY, no AAD; or plain JSON.
// v2      ours: a fixed 84-byte big-endian header, authenticated as GCM AAD, then the
//         AES-256-GCM ciphertext of the JSON and the 16-byte tag:
//           0  magic "PSNMPINV"   8  format u16 (=2)   10 header length u16 (=84)
//           12 flags u32          16 version u64        24 epoch u64
//           32 writer id [16]     48 key id [8]         56 nonce [12]
//           68 created-at u64 (unix ms)                 76 ciphertext length u64
//         Any change to a header byte, the ciphertext or the tag fails authentication; the
//         length field makes truncation a distinct error.

enum class EnvelopeFormat { V2, LegacyEncrypted, PlainJson };

inline constexpr size_t kV2HeaderSize = 84;
inline constexpr size_t kTagSize = 16;
inline constexpr size_t kNonceSize = 12;

/// Header flag: an operator's write (CLI) that rides the current epoch instead of owning one;
/// it is serialised by the slot claim like any write, and leaders do not treat it as a second
/// writer of their epoch. Unknown flag bits make a file unreadable (DataException).
inline constexpr uint32_t kFlagAdminWrite = 1u << 0;

struct Header {
  uint32_t flags = 0;
  uint64_t version = 0;
  uint64_t epoch = 0;
  std::array<uint8_t, 16> writerId{};
  std::array<uint8_t, 8> keyId{};
  std::array<uint8_t, kNonceSize> nonce{};
  int64_t createdAtMs = 0;
  uint64_t ciphertextLength = 0;

  std::string writerIdHex() const;
  std::string keyIdHex() const;
  std::string nonceHex() const;
};

struct Opened {
  EnvelopeFormat format = EnvelopeFormat::V2;
  Header header;          // zero for legacy and plain files
  std::string plaintext;  // the JSON document
};

/// What a file looks like from its first bytes, without a key. Thread-safe.
EnvelopeFormat detectFormat(std::string_view file);

/// Parses only the v2 header (a watcher reads this much of the head). Throws DataException if
/// `file` does not start with a v2 header, TruncatedException if it is shorter than one.
Header readHeader(std::string_view file);

/// Seals `plaintext` in a v2 envelope with the keyring's current key and a fresh random nonce
/// (the nonce and key id fields of `header` are overwritten). Thread-safe.
std::string sealV2(Header header, std::string_view plaintext, const Keyring& keys);

/// Opens any envelope. v2: the key is chosen by key id (WrongKeyException if none matches),
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
