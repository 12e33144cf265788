#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace elector {

/// The role the elector announces on the leadership socket.
enum class LeadershipRole { Leader, Follower };

/// One line of the leadership socket protocol (DESIGN.md §4):
/// `{"role":"leader"|"follower","epoch":N,"holder":"…","lease_ms":M}` + '\n'.
/// The receiver trusts a Leader event only until its own monotonic deadline
/// (receipt + leaseMs − margin).
struct LeadershipEvent {
  LeadershipRole role = LeadershipRole::Follower;
  std::uint64_t epoch = 0;
  std::string holder;  ///< Who holds the lease (may be another replica); ≤ kMaxHolderBytes, UTF-8.
  std::uint32_t leaseMs = 0;  ///< kMinLeaseMs..kMaxLeaseMs.

  bool operator==(const LeadershipEvent&) const = default;
};

inline constexpr std::size_t kMaxLineBytes = 1024;  ///< Excluding the terminating '\n'.
inline constexpr std::size_t kMaxHolderBytes = 256;
inline constexpr std::uint32_t kMinLeaseMs = 1;
inline constexpr std::uint32_t kMaxLeaseMs = 600000;

/// Returns the event as one JSON line ending in '\n' (keys in the order role, epoch, holder,
/// lease_ms; `"`, `\` and control characters in holder escaped). Throws
/// Poco::InvalidArgumentException when the event could not be decoded by the other side (holder
/// too long or not UTF-8, lease out of range). Thread-safe.
std::string encode(const LeadershipEvent& event);

/// Parses one line (without or with its trailing '\n'). Strict: a JSON object with exactly the
/// keys role (string "leader"/"follower"), epoch (unsigned integer < 2^64), holder (string,
/// ≤ kMaxHolderBytes once unescaped, valid UTF-8) and lease_ms (integer in
/// kMinLeaseMs..kMaxLeaseMs), each once; no fractions, exponents, signs or leading zeros; the
/// line at most kMaxLineBytes. Returns nullopt on anything else and, if `error` is not null,
/// stores a one-line reason there. Never throws on bad input. Thread-safe.
std::optional<LeadershipEvent> decode(std::string_view line, std::string* error = nullptr);

}  // namespace elector
