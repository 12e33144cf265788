#include "Base64.h"

#include <array>
#include <cstdint>

namespace inventoryfs::detail {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Character → 6-bit value, -1 for characters outside the alphabet (int16_t, not a signed
// char, so that the -1 is plainly intended).
constexpr std::array<int16_t, 256> makeDecodeTable() {
  std::array<int16_t, 256> table{};
  for (auto& entry : table) {
    entry = -1;
  }
  for (int i = 0; i < 64; ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int16_t>(i);
  }
  return table;
}
constexpr std::array<int16_t, 256> kDecode = makeDecodeTable();

}  // namespace

std::string base64Encode(std::string_view data) {
  std::string out((data.size() + 2) / 3 * 4, '\0');
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  char* dst = out.data();
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t group = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) | in[i + 2];
    *dst++ = kAlphabet[(group >> 18) & 63];
    *dst++ = kAlphabet[(group >> 12) & 63];
    *dst++ = kAlphabet[(group >> 6) & 63];
    *dst++ = kAlphabet[group & 63];
  }
  const size_t rest = data.size() - i;
  if (rest > 0) {
    uint32_t group = uint32_t{in[i]} << 16;
    if (rest == 2) {
      group |= uint32_t{in[i + 1]} << 8;
    }
    *dst++ = kAlphabet[(group >> 18) & 63];
    *dst++ = kAlphabet[(group >> 12) & 63];
    *dst++ = rest == 2 ? kAlphabet[(group >> 6) & 63] : '=';
    *dst++ = '=';
  }
  return out;
}

std::optional<std::string> base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return std::nullopt;
  }
  // Padding: "xx==" or "xxx=", and only in the final group.
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') {
    padding = text[text.size() - 2] == '=' ? 2 : 1;
  }
  std::string out(text.size() / 4 * 3 - padding, '\0');
  char* dst = out.data();
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  const size_t fullGroups = padding == 0 ? text.size() : text.size() - 4;
  for (size_t i = 0; i < fullGroups; i += 4) {
    const int a = kDecode[in[i]];
    const int b = kDecode[in[i + 1]];
    const int c = kDecode[in[i + 2]];
    const int d = kDecode[in[i + 3]];
    if ((a | b | c | d) < 0) {
      return std::nullopt;
    }
    const uint32_t group =
        (uint32_t(a) << 18) | (uint32_t(b) << 12) | (uint32_t(c) << 6) | uint32_t(d);
    *dst++ = static_cast<char>(group >> 16);
    *dst++ = static_cast<char>((group >> 8) & 0xff);
    *dst++ = static_cast<char>(group & 0xff);
  }
  if (padding > 0) {
    const size_t i = fullGroups;
    const int a = kDecode[in[i]];
    const int b = kDecode[in[i + 1]];
    const int c = padding == 1 ? kDecode[in[i + 2]] : 0;
    if ((a | b | c) < 0) {
      return std::nullopt;
    }
    const uint32_t group = (uint32_t(a) << 18) | (uint32_t(b) << 12) | (uint32_t(c) << 6);
    // Non-zero unused bits would give a second text for the same bytes: not canonical.
    if ((group & (padding == 2 ? 0xffff : 0xff)) != 0) {
      return std::nullopt;
    }
    *dst++ = static_cast<char>(group >> 16);
    if (padding == 1) {
      *dst++ = static_cast<char>((group >> 8) & 0xff);
    }
  }
  return out;
}

}  // namespace inventoryfs::detail
