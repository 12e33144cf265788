#include "FaultPoint.h"

#ifdef INVENTORYFS_FAULT_POINTS

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

namespace inventoryfs::detail {

namespace {

struct Setting {
  std::string point;
  std::string action;  // "", "stop" or "sleep=MS"
};

const Setting& setting() {
  static const Setting kSetting = [] {
    Setting s;
    const char* value = std::getenv("INVENTORYFS_FAULT_POINT");
    if (value == nullptr) {
      return s;
    }
    std::string text(value);
    auto colon = text.find(':');
    s.point = text.substr(0, colon);
    if (colon != std::string::npos) {
      s.action = text.substr(colon + 1);
    }
    return s;
  }();
  return kSetting;
}

}  // namespace

void faultPoint(const char* name) {
  const Setting& s = setting();
  if (s.point.empty() || s.point != name) {
    return;
  }
  if (s.action.empty()) {
    ::kill(::getpid(), SIGKILL);
  } else if (s.action == "stop") {
    ::kill(::getpid(), SIGSTOP);
  } else if (s.action.rfind("sleep=", 0) == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::atoll(s.action.c_str() + 6)));
  }
}

}  // namespace inventoryfs::detail

#endif  // INVENTORYFS_FAULT_POINTS
