#include "inventoryfs/Inventory.h"

#include <sys/random.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "inventoryfs/Exceptions.h"

namespace inventoryfs {

const Agent* resolvePrimaryAgent(const Device& device) {
  if (device.primaryAgent) {
    return &*device.primaryAgent;
  }
  if (!device.agents.empty()) {
    return &device.agents.front();
  }
  return nullptr;
}

bool Device::operatorOwns(std::string_view field) const {
  return operatorSet &&
         std::find(operatorSet->begin(), operatorSet->end(), field) != operatorSet->end();
}

const char* agentTypeName(AgentType type) {
  return type == AgentType::User ? "snmp-user" : "snmp-community";
}

std::string newUuid() {
  std::array<unsigned char, 16> bytes{};
  size_t filled = 0;
  while (filled < bytes.size()) {
    const ssize_t n = getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw InventoryException(std::string("getrandom: ") + std::strerror(errno));
    }
    filled += static_cast<size_t>(n);
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out.push_back('-');
    }
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0x0F]);
  }
  return out;
}

Instant nowInstant() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return Instant{static_cast<int64_t>(ts.tv_sec), static_cast<int32_t>(ts.tv_nsec)};
}

}  // namespace inventoryfs
