#pragma once

#include <string>

#include "AesGcm.h"
#include "inventoryfs/Envelope.h"
#include "inventoryfs/Keyring.h"

namespace testing {

/// A format-2 envelope as the previous release sealed it: the 84-byte header (format 2,
/// length 84; `header`'s flags, version, epoch, writer id and created-at) and `json` sealed with
/// the current key of `keys` as the previous release derived it (the configured key, or the
/// HKDF of a passphrase), under that key's id. The nonce is fixed: for test files only.
inline std::string format2Of(const inventoryfs::Keyring& keys, inventoryfs::Header header,
                             const std::string& json) {
  using namespace inventoryfs;
  header.keyId = keys.current().id;
  header.nonce = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  header.ciphertextLength = json.size();
  std::string aad = "PSNMPINV";
  auto put = [&](uint64_t value, size_t width) {
    for (size_t i = width; i-- > 0;) {
      aad += static_cast<char>((value >> (8 * i)) & 0xff);
    }
  };
  put(2, 2);
  put(84, 2);
  put(header.flags, 4);
  put(header.version, 8);
  put(header.epoch, 8);
  aad.append(reinterpret_cast<const char*>(header.writerId.data()), 16);
  aad.append(reinterpret_cast<const char*>(header.keyId.data()), 8);
  aad.append(reinterpret_cast<const char*>(header.nonce.data()), 12);
  put(static_cast<uint64_t>(header.createdAtMs), 8);
  put(header.ciphertextLength, 8);
  std::string out = aad;
  detail::aesGcmEncrypt(detail::asView(keys.current().bytes), detail::asView(header.nonce), aad,
                        json, out);
  return out;
}

}  // namespace testing
