#pragma once

#include <mutex>
#include <string>
#include <vector>

#include <Poco/Util/ServerApplication.h>

#include "app/CommandLine.h"
#include "config/Config.h"

namespace promsnmp {

/// The collector daemon: reads the configuration, loads the inventory, starts SNMP, the cache,
/// background collection and the HTTP API, reports to systemd, reloads its configuration on
/// SIGHUP or POST /-/reload (keeping the running one when the new one is invalid), and drains on
/// SIGTERM. Exit codes: 0 after a clean stop, 2 bad command line, 69 cannot listen, 78 bad
/// configuration or key.
class PromSnmpApp : public Poco::Util::ServerApplication {
 public:
  /// Parses the command line, answers --help/--version/--config.check, and runs the daemon.
  /// What main() calls.
  static int runFromCommandLine(int argc, char** argv);

  explicit PromSnmpApp(CommandLine commandLine);

 protected:
  int main(const std::vector<std::string>& args) override;

 private:
  ConfigSources sources() const;
  /// Loads the configuration again; applies what can change at run time. Returns "" or the
  /// problems (the running configuration is kept).
  std::string reload();

  CommandLine commandLine_;
  std::mutex configMutex_;
  Config config_;
};

}  // namespace promsnmp
