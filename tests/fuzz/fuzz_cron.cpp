// DISCOVERY_CRON comes from the environment or the config file: parse it, then ask for fire times.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include <Poco/Exception.h>

#include "discovery/CronExpression.h"
#include "discovery/TimeZone.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const promsnmp::TimeZone zone = promsnmp::TimeZone::load("America/New_York");
  try {
    auto cron =
        promsnmp::CronExpression::parse(std::string(reinterpret_cast<const char*>(data), size));
    auto start = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
    auto next = cron.next(start, zone);
    if (next && *next <= start) {
      __builtin_trap();  // the next fire is strictly after the given instant
    }
  } catch (const Poco::SyntaxException&) {
  }
  return 0;
}
