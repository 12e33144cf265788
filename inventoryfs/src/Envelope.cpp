#include "inventoryfs/Envelope.h"

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "AesGcm.h"
#include "Base64.h"
#include "Hex.h"
#include "inventoryfs/Exceptions.h"

namespace inventoryfs {

namespace {

constexpr std::string_view kMagic = "PSNMPINV";
constexpr uint16_t kFormatV2 = 2;
constexpr uint16_t kFormatV3 = 3;
static_assert(kWriteFormat == kFormatV2 || kWriteFormat == kFormatV3);

// Offsets of the header fields (Envelope.h); format 3 adds those from kOffInventoryId on.
constexpr size_t kOffFormat = 8;
constexpr size_t kOffHeaderLength = 10;
constexpr size_t kOffFlags = 12;
constexpr size_t kOffVersion = 16;
constexpr size_t kOffEpoch = 24;
constexpr size_t kOffWriterId = 32;
constexpr size_t kOffKeyId = 48;
constexpr size_t kOffNonce = 56;
constexpr size_t kOffCreatedAt = 68;
constexpr size_t kOffCiphertextLength = 76;
static_assert(kOffCiphertextLength + 8 == kV2HeaderSize);
constexpr size_t kOffInventoryId = 84;
constexpr size_t kOffKdf = 100;
constexpr size_t kOffLog2N = 101;
constexpr size_t kOffScryptR = 102;
constexpr size_t kOffScryptP = 104;
constexpr size_t kOffReserved1 = 106;
constexpr size_t kOffKdfSalt = 108;
constexpr size_t kOffReserved2 = 124;
static_assert(kOffReserved2 + 4 == kV3HeaderSize);
static_assert(kNonceSize == detail::kGcmIvSize && kTagSize == detail::kGcmTagSize);

// Legacy files: Base64 of IV[12] || ciphertext || tag[16].
constexpr size_t kLegacyMinBytes = kNonceSize + kTagSize;

bool isAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trimAsciiSpace(std::string_view text) {
  while (!text.empty() && isAsciiSpace(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && isAsciiSpace(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

void putBigEndian(std::string& out, uint64_t value, size_t width) {
  for (size_t i = width; i-- > 0;) {
    out += static_cast<char>((value >> (8 * i)) & 0xff);
  }
}

uint64_t getBigEndian(std::string_view in, size_t offset, size_t width) {
  uint64_t value = 0;
  for (size_t i = 0; i < width; ++i) {
    value = (value << 8) | static_cast<unsigned char>(in[offset + i]);
  }
  return value;
}

template <size_t N>
void putBytes(std::string& out, const std::array<uint8_t, N>& bytes) {
  out.append(detail::asView(bytes));
}

template <size_t N>
std::array<uint8_t, N> getBytes(std::string_view in, size_t offset) {
  std::array<uint8_t, N> bytes{};
  std::copy_n(in.begin() + offset, N, bytes.begin());
  return bytes;
}

std::string encodeHeader(const Header& header, uint16_t format) {
  const size_t size = format == kFormatV2 ? kV2HeaderSize : kV3HeaderSize;
  std::string out;
  out.reserve(size);
  out.append(kMagic);
  putBigEndian(out, format, 2);
  putBigEndian(out, size, 2);
  putBigEndian(out, header.flags, 4);
  putBigEndian(out, header.version, 8);
  putBigEndian(out, header.epoch, 8);
  putBytes(out, header.writerId);
  putBytes(out, header.keyId);
  putBytes(out, header.nonce);
  putBigEndian(out, static_cast<uint64_t>(header.createdAtMs), 8);
  putBigEndian(out, header.ciphertextLength, 8);
  if (format == kFormatV3) {
    putBytes(out, header.inventoryId);
    putBigEndian(out, static_cast<uint8_t>(header.kdf.algorithm), 1);
    putBigEndian(out, header.kdf.log2N, 1);
    putBigEndian(out, header.kdf.r, 2);
    putBigEndian(out, header.kdf.p, 2);
    putBigEndian(out, 0, 2);
    putBytes(out, header.kdf.salt);
    putBigEndian(out, 0, 4);
  }
  return out;
}

// Why a format-3 kdf field is refused, or "" when it is acceptable: a known algorithm, zero
// parameters for Direct, and for scrypt a cost a reader can afford (no file makes a reader
// allocate more than kMaxScryptMemoryBytes).
std::string kdfProblem(const KdfParams& kdf) {
  if (kdf.algorithm == Kdf::Direct) {
    return kdf == KdfParams{} ? "" : "kdf 0 (direct) with non-zero parameters";
  }
  if (kdf.algorithm != Kdf::Scrypt) {
    return "unknown kdf " + std::to_string(static_cast<unsigned>(kdf.algorithm));
  }
  const std::string params = "scrypt log2(N) " + std::to_string(kdf.log2N) + ", r " +
                             std::to_string(kdf.r) + ", p " + std::to_string(kdf.p);
  if (kdf.log2N < 1 || kdf.log2N > 24 || kdf.r < 1 || kdf.p < 1 || kdf.p > 64) {
    return params + " out of range";
  }
  // scrypt's memory is 128 * r * (N + p) bytes.
  const uint64_t memory = uint64_t{128} * kdf.r * ((uint64_t{1} << kdf.log2N) + kdf.p);
  if (memory > kMaxScryptMemoryBytes) {
    return params + " needs " + std::to_string(memory >> 20) + " MiB, more than the " +
           std::to_string(kMaxScryptMemoryBytes >> 20) + " MiB a reader allows";
  }
  return "";
}

Opened openV2(std::string_view file, const Keyring& keys) {
  Opened opened;
  opened.format = EnvelopeFormat::V2;
  const Header header = readHeader(file);
  const size_t headerSize = header.size();
  // The length check first: it is cheap, and a torn file must not cost an scrypt derivation.
  const uint64_t body = file.size() - headerSize;
  if (header.ciphertextLength > body || body - header.ciphertextLength != kTagSize) {
    const uint64_t overhead = headerSize + kTagSize;
    const std::string expected =
        header.ciphertextLength <= std::numeric_limits<uint64_t>::max() - overhead
            ? std::to_string(header.ciphertextLength + overhead)
            : std::to_string(headerSize) + " + " + std::to_string(header.ciphertextLength) +
                  " + 16";
    throw TruncatedException("inventory file length does not match its header: expected " +
                             expected + " bytes, file has " + std::to_string(file.size()));
  }
  const std::optional<Key> key = keys.findFileKey(header.kdf, header.keyId);
  if (!key) {
    // Every source tried, in order, with the id it gives: the operator compares ids, and a key
    // file's stray whitespace shows next to it.
    if (header.kdf.algorithm == Kdf::Scrypt) {
      throw WrongKeyException(
          "the inventory was written with a passphrase key (scrypt), key id " + header.keyIdHex() +
          ", that no configured passphrase derives: a wrong passphrase, or the file's salt or "
          "scrypt parameters were modified; tried, in order: " +
          keys.describeTried(header.kdf));
    }
    throw WrongKeyException(
        "the inventory was written with key id " + header.keyIdHex() +
        ", which no configured key has; tried, in order: " + keys.describeTried(header.kdf));
  }
  if (!detail::aesGcmDecrypt(detail::asView(key->bytes), detail::asView(header.nonce),
                             file.substr(0, headerSize), file.substr(headerSize),
                             opened.plaintext)) {
    throw AuthenticationException("authentication failed: file modified or corrupted (key id " +
                                  header.keyIdHex() + ")");
  }
  opened.header = header;
  return opened;
}

Opened openLegacy(std::string_view file, const Keyring& keys) {
  Opened opened;
  opened.format = EnvelopeFormat::LegacyEncrypted;
  // Java writes no whitespace, but editors and `echo` add a newline: tolerate it.
  const std::string_view text = trimAsciiSpace(file);
  if (text.empty()) {
    throw TruncatedException("inventory file is empty");
  }
  const std::optional<std::string> raw = detail::base64Decode(text);
  if (!raw) {
    throw DataException(
        "not an inventory file: neither a v2 envelope, JSON, nor the strict standard Base64 of a "
        "Java PromSNMP encrypted file");
  }
  if (raw->size() < kLegacyMinBytes) {
    throw TruncatedException("Java PromSNMP encrypted file: expected at least " +
                             std::to_string(kLegacyMinBytes) + " bytes (IV and tag), file has " +
                             std::to_string(raw->size()) + " after Base64 decoding");
  }
  const std::vector<const Key*> candidates = keys.legacyKeys();
  if (candidates.empty()) {
    throw WrongKeyException(
        "inventory file is a Java PromSNMP encrypted file (AES-128-GCM); reading it needs the "
        "16-character PROM_ENCRYPT_KEY it was written with, and no configured key is 16 bytes; "
        "tried, in order: " +
        keys.describeTried(KdfParams{}));
  }
  const std::string_view data(*raw);
  for (const Key* key : candidates) {
    if (detail::aesGcmDecrypt(*key->legacy, data.substr(0, kNonceSize), {}, data.substr(kNonceSize),
                              opened.plaintext)) {
      return opened;
    }
  }
  std::string tried;
  for (const Key* key : candidates) {
    tried += (tried.empty() ? "" : ", ") + key->source + " (key id " + key->idHex() + ")";
  }
  throw AuthenticationException(
      "authentication failed: wrong key or corrupted file (Java PromSNMP encrypted file; tried "
      "its 16-byte keys, in order: " +
      tried + ")");
}

}  // namespace

std::string Header::writerIdHex() const { return detail::toHex(writerId.data(), writerId.size()); }

std::string Header::keyIdHex() const { return detail::toHex(keyId.data(), keyId.size()); }

std::string Header::nonceHex() const { return detail::toHex(nonce.data(), nonce.size()); }

std::string Header::inventoryIdHex() const {
  return hasInventoryId() ? detail::toHex(inventoryId.data(), inventoryId.size()) : "";
}

bool Header::hasInventoryId() const { return inventoryId != InventoryId{}; }

size_t Header::size() const { return format == kFormatV2 ? kV2HeaderSize : kV3HeaderSize; }

EnvelopeFormat detectFormat(std::string_view file) {
  // A non-empty prefix of the magic counts as v2, so that a v2 file cut inside its magic is
  // reported as truncated rather than as bad Base64.
  if (!file.empty() && kMagic.substr(0, std::min(file.size(), kMagic.size())) ==
                           file.substr(0, std::min(file.size(), kMagic.size()))) {
    return EnvelopeFormat::V2;
  }
  const std::string_view text = trimAsciiSpace(file);
  if (!text.empty() && text.front() == '{') {
    return EnvelopeFormat::PlainJson;
  }
  return EnvelopeFormat::LegacyEncrypted;
}

Header readHeader(std::string_view file) {
  if (file.empty()) {
    throw TruncatedException("inventory file is empty");
  }
  const size_t magicBytes = std::min(file.size(), kMagic.size());
  if (file.substr(0, magicBytes) != kMagic.substr(0, magicBytes)) {
    throw DataException("not a v2 inventory file (no PSNMPINV magic)");
  }
  if (file.size() < kOffFlags) {
    throw TruncatedException("header truncated: expected at least " +
                             std::to_string(kV2HeaderSize) + " bytes, file has " +
                             std::to_string(file.size()));
  }
  const uint64_t format = getBigEndian(file, kOffFormat, 2);
  const uint64_t headerLength = getBigEndian(file, kOffHeaderLength, 2);
  if (format != kFormatV2 && format != kFormatV3) {
    // A format above ours comes from a newer release during an upgrade (README "Upgrades"): the
    // file is sound and the reader is what must change, so the message says so.
    const std::string why =
        format > kFormatV3 ? ": written by a newer promsnmp; upgrade this build to read it" : "";
    throw DataException("unsupported format " + std::to_string(format) +
                        " (this build reads formats 2 and 3)" + why);
  }
  const size_t expectedLength = format == kFormatV2 ? kV2HeaderSize : kV3HeaderSize;
  if (file.size() < expectedLength) {
    throw TruncatedException(
        "format " + std::to_string(format) + " header truncated: expected at least " +
        std::to_string(expectedLength) + " bytes, file has " + std::to_string(file.size()));
  }
  const uint64_t flags = getBigEndian(file, kOffFlags, 4);
  if (headerLength != expectedLength || (flags & ~uint64_t{kFlagAdminWrite}) != 0) {
    throw DataException("unsupported format " + std::to_string(format) +
                        " variant: header length " + std::to_string(headerLength) + " (expected " +
                        std::to_string(expectedLength) + "), flags " + std::to_string(flags) +
                        " (known: " + std::to_string(kFlagAdminWrite) + ")");
  }
  Header header;
  header.format = static_cast<uint16_t>(format);
  header.flags = static_cast<uint32_t>(flags);
  header.version = getBigEndian(file, kOffVersion, 8);
  header.epoch = getBigEndian(file, kOffEpoch, 8);
  header.writerId = getBytes<16>(file, kOffWriterId);
  header.keyId = getBytes<8>(file, kOffKeyId);
  header.nonce = getBytes<kNonceSize>(file, kOffNonce);
  header.createdAtMs = static_cast<int64_t>(getBigEndian(file, kOffCreatedAt, 8));
  header.ciphertextLength = getBigEndian(file, kOffCiphertextLength, 8);
  if (format == kFormatV3) {
    header.inventoryId = getBytes<16>(file, kOffInventoryId);
    header.kdf.algorithm = static_cast<Kdf>(getBigEndian(file, kOffKdf, 1));
    header.kdf.log2N = static_cast<uint8_t>(getBigEndian(file, kOffLog2N, 1));
    header.kdf.r = static_cast<uint16_t>(getBigEndian(file, kOffScryptR, 2));
    header.kdf.p = static_cast<uint16_t>(getBigEndian(file, kOffScryptP, 2));
    header.kdf.salt = getBytes<16>(file, kOffKdfSalt);
    if (getBigEndian(file, kOffReserved1, 2) != 0 || getBigEndian(file, kOffReserved2, 4) != 0) {
      throw DataException("unsupported format 3 variant: reserved header bytes are not zero");
    }
    if (const std::string problem = kdfProblem(header.kdf); !problem.empty()) {
      throw DataException("unsupported format 3 key derivation: " + problem);
    }
  }
  return header;
}

std::string sealV2(Header header, std::string_view plaintext, const Keyring& keys) {
  const Key& configured = keys.current();
  header.format = kWriteFormat;
  if (kWriteFormat == kFormatV2 || !configured.passphrase) {
    header.kdf = KdfParams{};
  } else if (header.kdf.algorithm != Kdf::Scrypt) {
    // A new inventory (or its first version under a passphrase): a fresh salt, which every
    // later version keeps so that readers and writers derive its key once.
    header.kdf = keys.newFileKdf();
  }
  const Key key = keys.fileKey(configured, header.kdf);
  header.keyId = key.id;
  // Random, never derived from the version: a deposed writer and the new leader may both seal
  // "version N+1" with the same key (reference §5.5).
  detail::randomBytes(header.nonce.data(), header.nonce.size());
  header.ciphertextLength = plaintext.size();
  const std::string aad = encodeHeader(header, kWriteFormat);
  std::string out;
  out.reserve(aad.size() + plaintext.size() + kTagSize);
  out = aad;
  detail::aesGcmEncrypt(detail::asView(key.bytes), detail::asView(header.nonce), aad, plaintext,
                        out);
  return out;
}

Opened open(std::string_view file, const Keyring& keys) {
  switch (detectFormat(file)) {
    case EnvelopeFormat::V2:
      return openV2(file, keys);
    case EnvelopeFormat::LegacyEncrypted:
      return openLegacy(file, keys);
    case EnvelopeFormat::PlainJson:
      break;
  }
  Opened opened;
  opened.format = EnvelopeFormat::PlainJson;
  opened.plaintext = std::string(file);
  return opened;
}

std::string sealLegacy(std::string_view plaintext, const Keyring& keys, std::string_view iv) {
  const Key& key = keys.current();
  if (!key.legacy) {
    throw KeyConfigException(
        "writing a Java PromSNMP file needs a 16-character current key (Java uses the raw "
        "PROM_ENCRYPT_KEY text as its AES-128 key); the key from " +
        key.source + " is not 16 bytes");
  }
  std::string raw;
  if (iv.empty()) {
    raw = detail::randomBytes(kNonceSize);
  } else if (iv.size() == kNonceSize) {
    raw = std::string(iv);
  } else {
    throw InventoryException("sealLegacy: the IV must be 12 bytes, got " +
                             std::to_string(iv.size()));
  }
  raw.reserve(kNonceSize + plaintext.size() + kTagSize);
  const std::string nonce = raw;
  detail::aesGcmEncrypt(*key.legacy, nonce, {}, plaintext, raw);
  return detail::base64Encode(raw);
}

InventoryId newInventoryId() {
  InventoryId id{};
  detail::randomBytes(id.data(), id.size());
  return id;
}

InventoryId inventoryIdFromHex(std::string_view hex) {
  InventoryId id{};
  if (hex.size() != 2 * id.size()) {
    return id;
  }
  const std::optional<std::string> raw = detail::fromHex(std::string(hex));
  if (raw) {
    std::copy_n(raw->begin(), id.size(), id.begin());
  }
  return id;
}

std::array<uint8_t, 16> newWriterId() {
  std::array<uint8_t, 16> id{};
  detail::randomBytes(id.data(), id.size());
  return id;
}

}  // namespace inventoryfs
