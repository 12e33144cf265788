#include "AesGcm.h"

#include <algorithm>
#include <memory>
#include <string>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "inventoryfs/Exceptions.h"

namespace inventoryfs::detail {

namespace {

// EVP_*Update and RAND_bytes take int lengths; larger inputs are fed in chunks of this size.
constexpr size_t kMaxChunk = size_t{1} << 30;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
struct KdfFree {
  void operator()(EVP_KDF* kdf) const { EVP_KDF_free(kdf); }
};
struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* ctx) const { EVP_KDF_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

// Throws InventoryException("<call> failed: <OpenSSL error queue>") and empties the
// (thread-local) error queue so that a later message does not repeat stale entries.
[[noreturn]] void throwOpenSsl(const char* call) {
  std::string detail;
  for (unsigned long code = ERR_get_error(); code != 0; code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    if (!detail.empty()) {
      detail += "; ";
    }
    detail += text;
  }
  if (detail.empty()) {
    detail = "no detail in the OpenSSL error queue";
  }
  throw InventoryException(std::string(call) + " failed: " + detail);
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

const EVP_CIPHER* gcmCipher(std::string_view key, std::string_view iv) {
  if (iv.size() != kGcmIvSize) {
    throw InventoryException("AES-GCM IV must be 12 bytes, got " + std::to_string(iv.size()));
  }
  switch (key.size()) {
    case 16:
      return EVP_aes_128_gcm();
    case 32:
      return EVP_aes_256_gcm();
    default:
      throw InventoryException("AES-GCM key must be 16 or 32 bytes, got " +
                               std::to_string(key.size()));
  }
}

// Creates a context set up for `encrypt` (1) or decrypt (0) with key, IV and AAD.
CipherCtx gcmContext(int encrypt, std::string_view key, std::string_view iv, std::string_view aad) {
  const EVP_CIPHER* cipher = gcmCipher(key, iv);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) {
    throwOpenSsl("EVP_CIPHER_CTX_new");
  }
  if (EVP_CipherInit_ex(ctx.get(), cipher, nullptr, nullptr, nullptr, encrypt) != 1) {
    throwOpenSsl("EVP_CipherInit_ex");
  }
  // 12 bytes is GCM's default, but say so rather than depend on it.
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kGcmIvSize),
                          nullptr) <= 0) {
    throwOpenSsl("EVP_CIPHER_CTX_ctrl(EVP_CTRL_GCM_SET_IVLEN)");
  }
  if (EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, bytes(key), bytes(iv), encrypt) != 1) {
    throwOpenSsl("EVP_CipherInit_ex");
  }
  for (size_t done = 0; done < aad.size();) {
    const int chunk = static_cast<int>(std::min(aad.size() - done, kMaxChunk));
    int written = 0;
    if (EVP_CipherUpdate(ctx.get(), nullptr, &written, bytes(aad) + done, chunk) != 1) {
      throwOpenSsl("EVP_CipherUpdate(aad)");
    }
    done += static_cast<size_t>(chunk);
  }
  return ctx;
}

// Runs `in` through the context into `out` (which has room for in.size() bytes); returns the
// number of bytes written (GCM is a stream mode: equal to in.size()).
size_t gcmUpdate(EVP_CIPHER_CTX* ctx, std::string_view in, unsigned char* out) {
  size_t total = 0;
  for (size_t done = 0; done < in.size();) {
    const int chunk = static_cast<int>(std::min(in.size() - done, kMaxChunk));
    int written = 0;
    if (EVP_CipherUpdate(ctx, out + total, &written, bytes(in) + done, chunk) != 1) {
      throwOpenSsl("EVP_CipherUpdate");
    }
    done += static_cast<size_t>(chunk);
    total += static_cast<size_t>(written);
  }
  return total;
}

// Runs the OpenSSL 3 KDF `name` with `params` and returns `length` bytes; `what` names it in
// errors.
std::string deriveWithKdf(const char* name, const char* what, const OSSL_PARAM* params,
                          size_t length) {
  std::unique_ptr<EVP_KDF, KdfFree> kdf(EVP_KDF_fetch(nullptr, name, nullptr));
  if (!kdf) {
    throwOpenSsl((std::string("EVP_KDF_fetch(") + what + ")").c_str());
  }
  std::unique_ptr<EVP_KDF_CTX, KdfCtxFree> ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) {
    throwOpenSsl("EVP_KDF_CTX_new");
  }
  std::string out(length, '\0');
  if (EVP_KDF_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), out.size(), params) <=
      0) {
    throwOpenSsl((std::string("EVP_KDF_derive(") + what + ")").c_str());
  }
  return out;
}

}  // namespace

void randomBytes(uint8_t* out, size_t size) {
  for (size_t done = 0; done < size;) {
    const int chunk = static_cast<int>(std::min(size - done, kMaxChunk));
    if (RAND_bytes(out + done, chunk) != 1) {
      throwOpenSsl("RAND_bytes");
    }
    done += static_cast<size_t>(chunk);
  }
}

std::string randomBytes(size_t size) {
  std::string out(size, '\0');
  randomBytes(reinterpret_cast<uint8_t*>(out.data()), size);
  return out;
}

std::array<uint8_t, 32> sha256(std::string_view data) {
  std::array<uint8_t, 32> digest{};
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1) {
    throwOpenSsl("EVP_Digest(SHA-256)");
  }
  if (size != digest.size()) {
    throw InventoryException("EVP_Digest(SHA-256) returned " + std::to_string(size) + " bytes");
  }
  return digest;
}

std::string hkdfSha256(std::string_view ikm, std::string_view salt, std::string_view info,
                       size_t length) {
  // OSSL_PARAM takes non-const pointers but only reads through them here.
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<char*>(ikm.data()),
                                        ikm.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()),
                                        salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()),
                                        info.size()),
      OSSL_PARAM_construct_end(),
  };
  return deriveWithKdf(OSSL_KDF_NAME_HKDF, "HKDF-SHA256", params, length);
}

std::string scrypt(std::string_view password, std::string_view salt, unsigned log2N, unsigned r,
                   unsigned p, size_t length, uint64_t maxMemoryBytes) {
  if (log2N == 0 || log2N > 63 || r == 0 || p == 0) {
    throw InventoryException("scrypt: invalid parameters log2N=" + std::to_string(log2N) +
                             " r=" + std::to_string(r) + " p=" + std::to_string(p));
  }
  uint64_t n = uint64_t{1} << log2N;
  uint32_t blockSize = r;
  uint32_t parallel = p;
  uint64_t maxMemory = maxMemoryBytes;
  // OSSL_PARAM takes non-const pointers but only reads through them here.
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, const_cast<char*>(password.data()),
                                        password.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()),
                                        salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &blockSize),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &parallel),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxMemory),
      OSSL_PARAM_construct_end(),
  };
  return deriveWithKdf(OSSL_KDF_NAME_SCRYPT, "SCRYPT", params, length);
}

void aesGcmEncrypt(std::string_view key, std::string_view iv, std::string_view aad,
                   std::string_view plaintext, std::string& out) {
  CipherCtx ctx = gcmContext(1, key, iv, aad);
  const size_t start = out.size();
  out.resize(start + plaintext.size() + kGcmTagSize);
  try {
    auto* dst = reinterpret_cast<unsigned char*>(out.data()) + start;
    size_t written = gcmUpdate(ctx.get(), plaintext, dst);
    int last = 0;
    if (EVP_EncryptFinal_ex(ctx.get(), dst + written, &last) != 1) {
      throwOpenSsl("EVP_EncryptFinal_ex");
    }
    written += static_cast<size_t>(last);
    if (written != plaintext.size()) {
      throw InventoryException("AES-GCM produced " + std::to_string(written) + " bytes for " +
                               std::to_string(plaintext.size()));
    }
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kGcmTagSize),
                            dst + written) <= 0) {
      throwOpenSsl("EVP_CIPHER_CTX_ctrl(EVP_CTRL_GCM_GET_TAG)");
    }
  } catch (...) {
    out.resize(start);
    throw;
  }
}

std::string aesGcmEncrypt(std::string_view key, std::string_view iv, std::string_view aad,
                          std::string_view plaintext) {
  std::string out;
  aesGcmEncrypt(key, iv, aad, plaintext, out);
  return out;
}

bool aesGcmDecrypt(std::string_view key, std::string_view iv, std::string_view aad,
                   std::string_view sealed, std::string& plaintext) {
  plaintext.clear();
  if (sealed.size() < kGcmTagSize) {
    throw InventoryException("AES-GCM input of " + std::to_string(sealed.size()) +
                             " bytes is shorter than the 16-byte tag");
  }
  const std::string_view ciphertext = sealed.substr(0, sealed.size() - kGcmTagSize);
  // The tag length is fixed at 16: never taken from the input (reference §5.5).
  std::array<unsigned char, kGcmTagSize> tag{};
  std::copy_n(bytes(sealed) + ciphertext.size(), kGcmTagSize, tag.begin());

  CipherCtx ctx = gcmContext(0, key, iv, aad);
  plaintext.resize(ciphertext.size());
  auto* dst = reinterpret_cast<unsigned char*>(plaintext.data());
  size_t written = gcmUpdate(ctx.get(), ciphertext, dst);
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag.size()),
                          tag.data()) <= 0) {
    throwOpenSsl("EVP_CIPHER_CTX_ctrl(EVP_CTRL_GCM_SET_TAG)");
  }
  int last = 0;
  // EVP_DecryptFinal_ex returns 1 when the tag verifies and 0 when it does not: anything but
  // 1 is a refusal (checking "< 0" would accept forged files).
  if (EVP_DecryptFinal_ex(ctx.get(), dst + written, &last) != 1) {
    ERR_clear_error();
    // The bytes decrypted so far are unauthenticated: do not hand them out.
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    plaintext.clear();
    return false;
  }
  written += static_cast<size_t>(last);
  if (written != ciphertext.size()) {
    throw InventoryException("AES-GCM produced " + std::to_string(written) + " bytes for " +
                             std::to_string(ciphertext.size()));
  }
  return true;
}

}  // namespace inventoryfs::detail
