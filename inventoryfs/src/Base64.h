#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace inventoryfs::detail {

/// Standard Base64 (RFC 4648 §4: `+`, `/`, `=` padding), no line breaks. Thread-safe.
std::string base64Encode(std::string_view data);

/// Strict standard Base64: length a multiple of 4, only the 64 alphabet characters, `=` only
/// as the final one or two characters, and unused bits of the last group zero (so exactly one
/// text decodes to each byte string). No whitespace is accepted. Returns nullopt for anything
/// else. Thread-safe.
std::optional<std::string> base64Decode(std::string_view text);

}  // namespace inventoryfs::detail
