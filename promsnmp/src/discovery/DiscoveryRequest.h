#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include <Poco/Exception.h>

#include "discovery/DiscoveryTargets.h"
#include "inventoryfs/Inventory.h"

namespace promsnmp {

/// Parses and validates the body of `POST /promsnmp/discovery` (Java's DiscoveryRequestDTO,
/// reference/promsnmp-java.md §3.3): potentialTargets, agentType (snmp-community | snmp-user),
/// version (v2c | v3; v1 accepted for community agents), port (1..65535, required as in Java),
/// readCommunity, securityName, securityLevel, authProtocol, authPassphrase, privProtocol,
/// privPassphrase. Extension: `readCommunity` may be an array of strings (a community list); the
/// request then becomes one seed per community, in order, so the file keeps Java's seed schema.
///
/// Targets are checked for syntax and size (at most `maxAddresses` per request) and names are
/// resolved with `resolve`: when nothing usable is left the request is refused, as Java does.
/// Throws Poco::InvalidArgumentException whose message is the 400 body (its subclass
/// DiscoveryTooLargeException when only the address limit was exceeded); Java's texts where Java
/// has one ("No valid targets provided.", "readCommunity is required for snmp-community",
/// "Incomplete SNMPv3 configuration", "Unsupported agent type: X", "Unsupported authentication
/// protocol: X", "Unsupported privacy protocol: X"). Thread-safe if `resolve` is.
/// A discovery request naming more addresses than discovery.max_addresses: a limit, counted
/// apart from malformed requests.
POCO_DECLARE_EXCEPTION(, DiscoveryTooLargeException, Poco::InvalidArgumentException)

std::vector<inventoryfs::DiscoverySeed> parseDiscoveryRequest(
    std::string_view body, size_t maxAddresses, const NameResolver& resolve = resolveWithSystem);

}  // namespace promsnmp
