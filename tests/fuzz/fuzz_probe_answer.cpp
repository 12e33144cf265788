// The discovery sweep's decoder reads datagrams from any host that answers on the probe socket.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "discovery/ProbePacket.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto answer =
      promsnmp::decodeProbeAnswer(std::string_view(reinterpret_cast<const char*>(data), size));
  if (answer) {
    // A decoded id must survive a round trip through our own encoder.
    std::string packet =
        promsnmp::encodeProbe(answer->version, answer->community, answer->requestId & 0x7FFFFFFF);
    if (packet.empty()) {
      __builtin_trap();
    }
  }
  return 0;
}
