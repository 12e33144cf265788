#include "http/TrustedProxies.h"

#include <cstring>

#include <Poco/Exception.h>
#include <Poco/NumberParser.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

namespace promsnmp {

namespace {

// An IPv4-mapped IPv6 address (a dual-stack socket's IPv4 peer) as its IPv4 address.
Poco::Net::IPAddress unmapped(const Poco::Net::IPAddress& address) {
  if (address.family() == Poco::Net::IPAddress::IPv6 && address.isIPv4Mapped()) {
    const auto* bytes = static_cast<const unsigned char*>(address.addr());
    return Poco::Net::IPAddress(bytes + 12, 4);
  }
  return address;
}

// Whether the first `prefix` bits of `a` and `b` (same family) are equal.
bool samePrefix(const Poco::Net::IPAddress& a, const Poco::Net::IPAddress& b, unsigned prefix) {
  if (a.family() != b.family()) {
    return false;
  }
  const auto* x = static_cast<const unsigned char*>(a.addr());
  const auto* y = static_cast<const unsigned char*>(b.addr());
  const unsigned whole = prefix / 8;
  if (std::memcmp(x, y, whole) != 0) {
    return false;
  }
  const unsigned rest = prefix % 8;
  if (rest == 0) {
    return true;
  }
  const auto mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (x[whole] & mask) == (y[whole] & mask);
}

}  // namespace

TrustedProxies TrustedProxies::parse(const std::string& list) {
  TrustedProxies proxies;
  for (const std::string& entry : Poco::StringTokenizer(
           list, ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY)) {
    const size_t slash = entry.find('/');
    Range range;
    if (!Poco::Net::IPAddress::tryParse(entry.substr(0, slash), range.network)) {
      throw Poco::DataFormatException("'" + entry + "' is not an IP address or CIDR range");
    }
    range.network = unmapped(range.network);
    const unsigned bits = range.network.length() * 8;
    range.prefix = bits;
    if (slash != std::string::npos) {
      unsigned prefix = 0;
      if (!Poco::NumberParser::tryParseUnsigned(entry.substr(slash + 1), prefix) || prefix > bits) {
        throw Poco::DataFormatException("'" + entry + "': the prefix length must be 0 to " +
                                        std::to_string(bits));
      }
      range.prefix = prefix;
    }
    proxies.ranges_.push_back(range);
  }
  return proxies;
}

std::string TrustedProxies::problem(const std::string& list) {
  try {
    parse(list);
  } catch (const Poco::DataFormatException& e) {
    return e.message();
  }
  return "";
}

bool TrustedProxies::contains(const Poco::Net::IPAddress& address) const {
  const Poco::Net::IPAddress plain = unmapped(address);
  for (const Range& range : ranges_) {
    if (samePrefix(plain, range.network, range.prefix)) {
      return true;
    }
  }
  return false;
}

ClientSource TrustedProxies::clientOf(const Poco::Net::IPAddress& peer,
                                      const std::string& forwardedFor) const {
  ClientSource source{unmapped(peer).toString(), ""};
  if (forwardedFor.empty() || !contains(peer)) {
    return source;
  }
  const Poco::StringTokenizer entries(
      forwardedFor, ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
  Poco::Net::IPAddress client;
  bool found = false;
  for (auto it = entries.end(); it != entries.begin();) {
    --it;
    Poco::Net::IPAddress address;
    if (!Poco::Net::IPAddress::tryParse(*it, address)) {
      return source;  // not what a proxy appends: believe only the peer
    }
    client = unmapped(address);
    found = true;
    if (!contains(client)) {
      break;
    }
  }
  if (found) {
    source.proxy = source.address;
    source.address = client.toString();
  }
  return source;
}

}  // namespace promsnmp
