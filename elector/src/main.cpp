// elector: the leader-election sidecar (see ElectorDaemon.h).
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "ElectorDaemon.h"
#include "common/Logging.h"

int main(int argc, char** argv) {
  const elector::ParsedSettings parsed =
      elector::parseSettings(std::vector<std::string>(argv + 1, argv + argc),
                             [](const char* name) -> const char* { return std::getenv(name); });
  if (parsed.exitCode) {
    (*parsed.exitCode == elector::kExitOk ? std::cout : std::cerr) << parsed.output;
    return *parsed.exitCode;
  }
  // One line per event on stderr: logfmt (`ts=… level=info logger=elector msg="…" key=value`)
  // or json. The level and format were checked by parseSettings.
  common::setupLogging(parsed.settings.logLevel, parsed.settings.logFormat);
  return elector::runDaemon(parsed.settings);
}
