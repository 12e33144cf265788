// elector: the leader-election sidecar (see ElectorDaemon.h).
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "ElectorDaemon.h"

int main(int argc, char** argv) {
  const elector::ParsedSettings parsed =
      elector::parseSettings(std::vector<std::string>(argv + 1, argv + argc),
                             [](const char* name) -> const char* { return std::getenv(name); });
  if (parsed.exitCode) {
    (*parsed.exitCode == elector::kExitOk ? std::cout : std::cerr) << parsed.output;
    return *parsed.exitCode;
  }
  elector::setupLogging(parsed.settings.logLevel, parsed.settings.logFormat);
  return elector::runDaemon(parsed.settings);
}
