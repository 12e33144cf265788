#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

// The only place in inventoryfs that calls OpenSSL (STYLE.md: C libraries are wrapped once).
// Every function checks the documented failure value of each call, frees what OpenSSL
// allocated, and throws InventoryException with the call name and OpenSSL's error text. All
// functions are thread-safe (OpenSSL 3 needs no locking callbacks).

namespace inventoryfs::detail {

inline constexpr size_t kGcmIvSize = 12;
inline constexpr size_t kGcmTagSize = 16;

/// Fills `out[0..size)` from the OpenSSL CSPRNG (RAND_bytes).
void randomBytes(uint8_t* out, size_t size);

/// `size` random bytes as a string.
std::string randomBytes(size_t size);

/// SHA-256 of `data`.
std::array<uint8_t, 32> sha256(std::string_view data);

/// HKDF-SHA256 (RFC 5869, extract and expand) of `length` bytes (at most 255 * 32).
std::string hkdfSha256(std::string_view ikm, std::string_view salt, std::string_view info,
                       size_t length);

/// scrypt (RFC 7914) of `length` bytes with N = 2^log2N, block size r and parallelism p, through
/// OpenSSL 3's EVP_KDF "SCRYPT". `maxMemoryBytes` bounds the memory OpenSSL may use (parameters
/// needing more throw). Costs CPU and memory by design: callers cache the result.
std::string scrypt(std::string_view password, std::string_view salt, unsigned log2N, unsigned r,
                   unsigned p, size_t length, uint64_t maxMemoryBytes);

/// AES-GCM with a 16-byte (AES-128) or 32-byte (AES-256) key, a 12-byte IV and a 16-byte tag:
/// appends ciphertext || tag (plaintext.size() + 16 bytes) to `out`. Throws on a bad key or IV
/// size and on any OpenSSL failure.
void aesGcmEncrypt(std::string_view key, std::string_view iv, std::string_view aad,
                   std::string_view plaintext, std::string& out);

/// As above, returning ciphertext || tag.
std::string aesGcmEncrypt(std::string_view key, std::string_view iv, std::string_view aad,
                          std::string_view plaintext);

/// Reverses aesGcmEncrypt: `sealed` is ciphertext || tag. Returns false, with `plaintext`
/// cleared, when the tag does not verify (wrong key, wrong AAD, any modified byte); true with
/// the plaintext otherwise. Throws on a bad key or IV size, on `sealed` shorter than a tag and
/// on OpenSSL failures other than the tag check.
bool aesGcmDecrypt(std::string_view key, std::string_view iv, std::string_view aad,
                   std::string_view sealed, std::string& plaintext);

/// Views a byte array as the string_view the functions above take.
template <size_t N>
std::string_view asView(const std::array<uint8_t, N>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), N};
}

}  // namespace inventoryfs::detail
