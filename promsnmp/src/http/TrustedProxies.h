#pragma once

#include <string>
#include <vector>

#include <Poco/Net/IPAddress.h>

namespace promsnmp {

/// Where a request came from, for logs: the client, and the proxy it came through (when the
/// client's address was taken from the proxy's X-Forwarded-For).
struct ClientSource {
  std::string address;
  std::string proxy;  // "" when the TCP peer is the client
};

/// `web.trusted_proxies`: the load balancers (HAProxy) whose X-Forwarded-For is believed, as a
/// comma-separated list of addresses and CIDR ranges ("127.0.0.1, 10.0.0.0/8, fd00::/8"). A
/// request from anywhere else is attributed to its TCP peer whatever headers it sends: anyone can
/// write an X-Forwarded-For. Immutable; thread-safe.
class TrustedProxies {
 public:
  TrustedProxies() = default;

  /// Parses the list (empty entries ignored). Throws Poco::DataFormatException naming the first
  /// entry that is not an address or address/prefix.
  static TrustedProxies parse(const std::string& list);
  /// "" when `list` parses, else why not (for the settings table).
  static std::string problem(const std::string& list);

  bool empty() const { return ranges_.empty(); }
  /// Whether `address` (an IPv4-mapped IPv6 address as its IPv4 address) is in a range.
  bool contains(const Poco::Net::IPAddress& address) const;

  /// The client of a request from `peer` with this X-Forwarded-For value ("" when absent): the
  /// peer itself unless it is trusted; else the rightmost forwarded address that is not a trusted
  /// proxy (each proxy appends the address it was connected from), with `proxy` the peer; the
  /// peer when the header is absent or its rightmost untrusted entry is not an address.
  ClientSource clientOf(const Poco::Net::IPAddress& peer, const std::string& forwardedFor) const;

 private:
  struct Range {
    Poco::Net::IPAddress network;
    unsigned prefix = 0;  // bits
  };
  std::vector<Range> ranges_;
};

}  // namespace promsnmp
