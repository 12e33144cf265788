#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace promsnmp {

/// The addresses a discovery seed names. A seed's `potentialTargets` entries may be:
///   - an IPv4 or IPv6 literal: `10.0.0.1`, `fd00::1`;
///   - an IPv4 CIDR block: `10.0.0.0/22` (every address of the block, network and broadcast
///     included, so a /16 is 65,536 probes); an IPv6 block from /112 (65,536 addresses) up;
///   - an IPv4 range: `10.0.0.1-10.0.0.50` or `10.0.0.1-50`;
///   - a DNS name, resolved with the system resolver when the run starts (Java resolves names
///     the same way; a name that does not resolve is skipped with a message, not fatal).
/// Duplicates are removed; order is kept (first occurrence).
struct TargetExpansion {
  std::vector<std::string> addresses;  // IP literals, ready for probing
  std::vector<std::string> problems;   // one human message per skipped entry
};

/// Resolves a DNS name to its IP literals (first IPv4 ones, then IPv6); empty when it does not
/// resolve. The real one calls getaddrinfo; tests pass their own.
using NameResolver = std::function<std::vector<std::string>(const std::string& name)>;

/// getaddrinfo, numeric results only. Thread-safe.
std::vector<std::string> resolveWithSystem(const std::string& name);

/// How many addresses `entry` stands for without resolving names (a name counts as 1), or
/// throws Poco::SyntaxException with a message that names the entry (bad literal, prefix out of
/// range, reversed range). Thread-safe (pure).
size_t countTargets(const std::string& entry);

/// Expands every entry (see TargetExpansion). Throws Poco::RangeException when the total would
/// exceed `maxAddresses` and Poco::SyntaxException for a malformed entry. Thread-safe if
/// `resolve` is.
TargetExpansion expandTargets(const std::vector<std::string>& entries, size_t maxAddresses,
                              const NameResolver& resolve = resolveWithSystem);

}  // namespace promsnmp
