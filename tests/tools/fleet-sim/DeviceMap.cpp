#include "DeviceMap.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

#include <Poco/Exception.h>

namespace fleetsim {

uint32_t parseIpv4(const std::string& text) {
  in_addr addr{};
  if (inet_pton(AF_INET, text.c_str(), &addr) != 1) {
    throw Poco::InvalidArgumentException("bad IPv4 address", text);
  }
  return ntohl(addr.s_addr);
}

std::string formatIpv4(uint32_t address) {
  in_addr addr{};
  addr.s_addr = htonl(address);
  char text[INET_ADDRSTRLEN];
  return inet_ntop(AF_INET, &addr, text, sizeof(text));
}

DeviceRange DeviceMap::parse(const std::string& spec, unsigned defaultInterfaces) {
  DeviceRange range;
  range.interfaces = defaultInterfaces;
  std::string addresses = spec;
  if (size_t colon = spec.find(':'); colon != std::string::npos) {
    addresses = spec.substr(0, colon);
    std::string count = spec.substr(colon + 1);
    auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), range.interfaces);
    if (ec != std::errc() || end != count.data() + count.size() || range.interfaces > 100000) {
      throw Poco::InvalidArgumentException("bad interface count in --devices", spec);
    }
  }
  if (size_t slash = addresses.find('/'); slash != std::string::npos) {
    uint32_t base = parseIpv4(addresses.substr(0, slash));
    std::string lengthText = addresses.substr(slash + 1);
    unsigned length = 0;
    auto [end, ec] =
        std::from_chars(lengthText.data(), lengthText.data() + lengthText.size(), length);
    if (ec != std::errc() || end != lengthText.data() + lengthText.size() || length > 32 ||
        length < 8) {
      throw Poco::InvalidArgumentException("bad prefix length in --devices", spec);
    }
    uint32_t mask = length == 32 ? 0xFFFFFFFFU : ~(0xFFFFFFFFU >> length);
    range.first = base & mask;
    range.last = range.first | ~mask;
  } else if (size_t dash = addresses.find('-'); dash != std::string::npos) {
    range.first = parseIpv4(addresses.substr(0, dash));
    range.last = parseIpv4(addresses.substr(dash + 1));
  } else {
    range.first = range.last = parseIpv4(addresses);
  }
  if (range.last < range.first) {
    throw Poco::InvalidArgumentException("empty address range in --devices", spec);
  }
  return range;
}

void DeviceMap::add(DeviceRange range) {
  for (const DeviceRange& r : ranges_) {
    if (range.first <= r.last && r.first <= range.last) {
      throw Poco::InvalidArgumentException("overlapping --devices ranges",
                                           formatIpv4(range.first) + "-" + formatIpv4(range.last));
    }
  }
  ranges_.push_back(range);
  std::sort(ranges_.begin(), ranges_.end(),
            [](const DeviceRange& a, const DeviceRange& b) { return a.first < b.first; });
}

const DeviceRange* DeviceMap::find(uint32_t address) const {
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), address,
                             [](uint32_t a, const DeviceRange& r) { return a < r.first; });
  if (it == ranges_.begin()) {
    return nullptr;
  }
  --it;
  return address <= it->last ? &*it : nullptr;
}

uint64_t DeviceMap::deviceCount() const {
  uint64_t n = 0;
  for (const DeviceRange& r : ranges_) {
    n += static_cast<uint64_t>(r.last) - r.first + 1;
  }
  return n;
}

}  // namespace fleetsim
