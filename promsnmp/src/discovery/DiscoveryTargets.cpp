#include "discovery/DiscoveryTargets.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <optional>
#include <unordered_set>

#include <Poco/Exception.h>
#include <Poco/String.h>

namespace promsnmp {

namespace {

std::optional<uint32_t> parseIpv4(const std::string& text) {
  in_addr address{};
  if (::inet_pton(AF_INET, text.c_str(), &address) != 1) {
    return std::nullopt;
  }
  return ntohl(address.s_addr);
}

std::optional<std::array<uint8_t, 16>> parseIpv6(const std::string& text) {
  std::array<uint8_t, 16> bytes{};
  if (::inet_pton(AF_INET6, text.c_str(), bytes.data()) != 1) {
    return std::nullopt;
  }
  return bytes;
}

std::string formatIpv4(uint32_t address) {
  in_addr a{};
  a.s_addr = htonl(address);
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &a, text, sizeof text);
  return text;
}

std::string formatIpv6(const std::array<uint8_t, 16>& bytes) {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET6, bytes.data(), text, sizeof text);
  return text;
}

bool isHostName(const std::string& text) {
  if (text.empty() || text.size() > 253 || text.front() == '-' || text.front() == '.') {
    return false;
  }
  return std::all_of(text.begin(), text.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_';
  });
}

int parsePrefix(const std::string& entry, const std::string& text, int max) {
  if (text.empty() || text.size() > 3 ||
      !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); })) {
    throw Poco::SyntaxException("bad prefix length in \"" + entry + "\"");
  }
  int prefix = std::stoi(text);
  if (prefix > max) {
    throw Poco::SyntaxException("prefix length above " + std::to_string(max) + " in \"" + entry +
                                "\"");
  }
  return prefix;
}

/// One parsed entry: a block of IPv4 addresses [first, first + count), an IPv6 block, or a name.
struct Parsed {
  enum class Kind { Ipv4, Ipv6, Name } kind = Kind::Name;
  uint32_t first4 = 0;
  std::array<uint8_t, 16> first6{};
  uint64_t count = 1;
  std::string name;
};

constexpr int kMinIpv6Prefix = 112;  // 65,536 addresses: a sweep, not a scan of the universe

Parsed parseEntry(const std::string& raw) {
  const std::string entry = Poco::trim(raw);  // ASCII white space: " \t\n\v\f\r"
  if (entry.empty()) {
    throw Poco::SyntaxException("empty target");
  }
  Parsed parsed;
  size_t slash = entry.find('/');
  if (slash != std::string::npos) {
    std::string base = entry.substr(0, slash);
    std::string prefixText = entry.substr(slash + 1);
    if (auto v4 = parseIpv4(base)) {
      int prefix = parsePrefix(entry, prefixText, 32);
      uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
      parsed.kind = Parsed::Kind::Ipv4;
      parsed.first4 = *v4 & mask;
      parsed.count = uint64_t{1} << (32 - prefix);
      return parsed;
    }
    if (auto v6 = parseIpv6(base)) {
      int prefix = parsePrefix(entry, prefixText, 128);
      if (prefix < kMinIpv6Prefix) {
        throw Poco::SyntaxException("IPv6 block \"" + entry + "\" is larger than /" +
                                    std::to_string(kMinIpv6Prefix));
      }
      parsed.kind = Parsed::Kind::Ipv6;
      parsed.first6 = *v6;
      for (int bit = prefix; bit < 128; ++bit) {
        parsed.first6[static_cast<size_t>(bit / 8)] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
      }
      parsed.count = uint64_t{1} << (128 - prefix);
      return parsed;
    }
    throw Poco::SyntaxException("\"" + entry + "\" is not an address block (like 10.0.0.0/22)");
  }
  if (auto v4 = parseIpv4(entry)) {
    parsed.kind = Parsed::Kind::Ipv4;
    parsed.first4 = *v4;
    return parsed;
  }
  if (auto v6 = parseIpv6(entry)) {
    parsed.kind = Parsed::Kind::Ipv6;
    parsed.first6 = *v6;
    return parsed;
  }
  size_t dash = entry.find('-');
  if (dash != std::string::npos) {
    if (auto first = parseIpv4(entry.substr(0, dash))) {
      std::string lastText = entry.substr(dash + 1);
      std::optional<uint32_t> last = parseIpv4(lastText);
      if (!last && !lastText.empty() && lastText.size() <= 3 &&
          std::all_of(lastText.begin(), lastText.end(),
                      [](unsigned char c) { return std::isdigit(c); })) {
        int octet = std::stoi(lastText);
        if (octet <= 255) {
          last = (*first & 0xFFFFFF00u) | static_cast<uint32_t>(octet);
        }
      }
      if (!last) {
        throw Poco::SyntaxException("bad end of range in \"" + entry + "\"");
      }
      if (*last < *first) {
        throw Poco::SyntaxException("range \"" + entry + "\" ends before it starts");
      }
      parsed.kind = Parsed::Kind::Ipv4;
      parsed.first4 = *first;
      parsed.count = uint64_t{*last} - *first + 1;
      return parsed;
    }
  }
  if (!isHostName(entry) || entry.find(':') != std::string::npos) {
    throw Poco::SyntaxException("\"" + entry + "\" is neither an IP address, a block, a range " +
                                "nor a host name");
  }
  parsed.name = entry;
  return parsed;
}

}  // namespace

std::vector<std::string> resolveWithSystem(const std::string& name) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(name.c_str(), nullptr, &hints, &found) != 0) {
    return {};
  }
  std::vector<std::string> v4;
  std::vector<std::string> v6;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    if (a->ai_family == AF_INET) {
      ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr, text,
                  sizeof text);
      v4.emplace_back(text);
    } else if (a->ai_family == AF_INET6) {
      ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr, text,
                  sizeof text);
      v6.emplace_back(text);
    }
  }
  ::freeaddrinfo(found);
  v4.insert(v4.end(), v6.begin(), v6.end());
  return v4;
}

size_t countTargets(const std::string& entry) {
  return static_cast<size_t>(parseEntry(entry).count);
}

TargetExpansion expandTargets(const std::vector<std::string>& entries, size_t maxAddresses,
                              const NameResolver& resolve) {
  std::vector<Parsed> parsed;
  uint64_t total = 0;
  for (const std::string& entry : entries) {
    parsed.push_back(parseEntry(entry));
    total += parsed.back().count;
    if (total > maxAddresses) {
      throw Poco::RangeException("the targets name more than " + std::to_string(maxAddresses) +
                                 " addresses (the discovery.max_addresses limit)");
    }
  }
  TargetExpansion out;
  std::unordered_set<std::string> seen;
  auto add = [&](std::string address) {
    if (seen.insert(address).second) {
      out.addresses.push_back(std::move(address));
    }
  };
  for (const Parsed& p : parsed) {
    switch (p.kind) {
      case Parsed::Kind::Ipv4:
        for (uint64_t i = 0; i < p.count; ++i) {
          add(formatIpv4(static_cast<uint32_t>(p.first4 + i)));
        }
        break;
      case Parsed::Kind::Ipv6:
        for (uint64_t i = 0; i < p.count; ++i) {
          std::array<uint8_t, 16> a = p.first6;
          a[14] = static_cast<uint8_t>(a[14] | ((i >> 8) & 0xFF));
          a[15] = static_cast<uint8_t>(a[15] | (i & 0xFF));
          add(formatIpv6(a));
        }
        break;
      case Parsed::Kind::Name: {
        std::vector<std::string> resolved = resolve(p.name);
        if (resolved.empty()) {
          out.problems.push_back("\"" + p.name + "\" does not resolve");
        } else {
          add(resolved.front());  // one agent per name, as Java's InetAddress.getByName
        }
        break;
      }
    }
  }
  return out;
}

}  // namespace promsnmp
