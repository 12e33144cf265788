// The body of POST /promsnmp/discovery, from any HTTP client. Names never reach a resolver here.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <Poco/Exception.h>

#include "discovery/DiscoveryRequest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto noDns = [](const std::string&) { return std::vector<std::string>{}; };
  try {
    auto seeds = promsnmp::parseDiscoveryRequest(
        std::string_view(reinterpret_cast<const char*>(data), size), 4096, noDns);
    if (seeds.empty()) {
      __builtin_trap();  // accepted requests always name at least one seed
    }
  } catch (const Poco::InvalidArgumentException&) {
    // the expected refusal: a 400
  }
  return 0;
}
