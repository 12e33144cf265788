#include "app/PromSnmpApp.h"

#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <mutex>

#include "app/ConfigCheck.h"
#include "app/HealthCheck.h"
#include "app/Services.h"
#include "common/Logging.h"
#include "http/WebConfig.h"
#include "inventoryfs/Keyring.h"
#include "snmp/NetSnmpClient.h"

namespace promsnmp {

using common::logEvent;
using common::logger;
using common::setupLogging;

namespace {

constexpr int kExitOk = 0;

/// Blocks the signals before any thread exists, so every thread inherits the mask: SIGHUP is for
/// reloads (only the Services' hangup listener takes it); SIGTERM, SIGINT and SIGQUIT are taken
/// by waitForTerminationRequest's sigwait. A second SIGTERM during the drain (an impatient
/// operator, a supervisor repeating it) then stays pending instead of killing the process by its
/// default action in whichever thread it reaches, half-way through the teardown.
void blockHandledSignals() {
  sigset_t handled;
  sigemptyset(&handled);
  for (int signal : {SIGHUP, SIGTERM, SIGINT, SIGQUIT}) {
    sigaddset(&handled, signal);
  }
  ::pthread_sigmask(SIG_BLOCK, &handled, nullptr);
}

}  // namespace

int PromSnmpApp::runFromCommandLine(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "healthcheck") {
    return runHealthCheck(std::vector<std::string>(argv + 2, argv + argc));
  }
  if (argc > 1 && std::string(argv[1]) == "hash-password") {
    return runHashPassword(std::vector<std::string>(argv + 2, argv + argc));
  }
  CommandLine commandLine;
  try {
    commandLine = parseCommandLine(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const UsageException& e) {
    std::cerr << "promsnmp: " << e.message() << "\nrun 'promsnmp --help' for the flags\n";
    return kExitUsage;
  }
  switch (commandLine.action) {
    case CommandLine::Action::Help:
      std::cout << usageText();
      return kExitOk;
    case CommandLine::Action::Version:
      std::cout << versionText();
      return kExitOk;
    case CommandLine::Action::CheckConfig:
      return runConfigCheck(PromSnmpApp(commandLine).sources(), std::cout, std::cerr);
    case CommandLine::Action::Run:
      break;
  }
  // POCO sees only the program name: the flags are ours (Prometheus style), parsed above.
  PromSnmpApp app(std::move(commandLine));
  char* programOnly[] = {argv[0], nullptr};
  return app.run(1, programOnly);
}

PromSnmpApp::PromSnmpApp(CommandLine commandLine) : commandLine_(std::move(commandLine)) {}

ConfigSources PromSnmpApp::sources() const {
  ConfigSources sources;
  sources.file = commandLine_.configFile;
  sources.env = inventoryfs::Keyring::processEnvironment();
  sources.flags = commandLine_.settingFlags;
  return sources;
}

std::string PromSnmpApp::reload() {
  Poco::Logger& log = promsnmp::logger("promsnmp");
  try {
    Config fresh = loadConfig(sources());
    std::lock_guard<std::mutex> lock(configMutex_);
    setupLogging(fresh.logLevel, fresh.logFormat);
    std::vector<std::string> needRestart;
    for (const Config::Item& now : fresh.items()) {
      for (const Config::Item& before : config_.items()) {
        if (before.key == now.key && before.value != now.value && now.key != "log.level" &&
            now.key != "log.format") {
          needRestart.push_back(now.key);
        }
      }
    }
    std::string pending;
    for (const std::string& key : needRestart) {
      pending += (pending.empty() ? "" : ",") + key;
    }
    config_ = std::move(fresh);
    logEvent(log, Poco::Message::PRIO_INFORMATION, "configuration reloaded",
             {{"restart_needed_for", pending.empty() ? "-" : pending}});
    return "";
  } catch (const ConfigException& e) {
    logEvent(log, Poco::Message::PRIO_ERROR, "reload failed, keeping the running configuration",
             {{"error", e.message()}});
    return e.message();
  }
}

int PromSnmpApp::main(const std::vector<std::string>&) {
  blockHandledSignals();
  NetSnmpClient::initLibrary();  // net-snmp's global state, once, before any thread

  try {
    config_ = loadConfig(sources());
  } catch (const ConfigException& e) {
    std::cerr << e.message() << "\n";
    return kExitConfig;
  }
  setupLogging(config_.logLevel, config_.logFormat);
  Poco::Logger& log = promsnmp::logger("promsnmp");
  for (const std::string& warning : config_.warnings) {
    logEvent(log, Poco::Message::PRIO_WARNING, warning);
  }

  // Every return from here on goes through Services::stop() (its destructor), a half-built
  // Services included.
  Services services(config_, inventoryfs::Keyring::processEnvironment(),
                    {[this] {
                       std::lock_guard<std::mutex> lock(configMutex_);
                       return config_.describe();
                     },
                     [this] { return reload(); }});
  try {
    services.build();
    services.start();
  } catch (const StartupException& e) {
    return e.code();  // logged by the step that failed
  }

  waitForTerminationRequest();

  // Drain: refuse readiness first (load balancers stop sending), finish requests in flight,
  // then stop polling (Services::stop has the whole order).
  logEvent(log, Poco::Message::PRIO_INFORMATION, "stopping: draining requests");
  services.stop();
  logEvent(log, Poco::Message::PRIO_INFORMATION, "stopped");
  return kExitOk;
}

}  // namespace promsnmp
