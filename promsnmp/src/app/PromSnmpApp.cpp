#include "app/PromSnmpApp.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <memory>
#include <thread>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>
#include <openssl/ssl.h>

#include "app/HealthCheck.h"
#include "app/SystemdNotifier.h"
#include "collection/Collector.h"
#include "collection/DevicePoller.h"
#include "discovery/DiscoveryService.h"
#include "discovery/UdpProber.h"
#include "exposition/SelfMetrics.h"
#include "http/HttpApi.h"
#include "http/WebConfig.h"
#include "inventory/InventoryState.h"
#include "inventory/LocalState.h"
#include "inventoryfs/DirectorySlotStore.h"
#include "inventoryfs/Exceptions.h"
#include "inventoryfs/InventoryStore.h"
#include "inventoryfs/Keyring.h"
#include "leadership/Leadership.h"
#include "leadership/LeadershipClient.h"
#include "snmp/NetSnmpClient.h"
#include "support/Clock.h"
#include "support/Logging.h"

namespace promsnmp {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitUnavailable = 69;
constexpr auto kDrainTimeout = std::chrono::milliseconds(10000);
constexpr auto kAbortTimeout = std::chrono::milliseconds(2000);
constexpr auto kFenceStopTimeout = std::chrono::milliseconds(2000);
constexpr int kHttpThreads = 128;

/// Splits "host:port", ":port" or "[v6]:port" into a socket address; an empty host means every
/// interface.
/// The access control `config` asks for, or null for none. Throws Poco::Exception when it
/// cannot be enforced (a bad file, an admin who is not a user, admins without a file).
std::unique_ptr<WebAccess> openWebAccess(const Config& config) {
  std::set<std::string> admins = WebAccess::parseUsers(config.webAdminUsers);
  if (config.webConfigFile.empty()) {
    if (!admins.empty()) {
      throw Poco::DataFormatException(
          "web.admin_users is set but web.config_file is not: there are no users to check");
    }
    return nullptr;
  }
  return std::make_unique<WebAccess>(config.webConfigFile, admins);
}

Poco::Net::Context::Protocols protocolOf(const std::string& version) {
  if (version == "TLS10") {
    return Poco::Net::Context::PROTO_TLSV1;
  }
  if (version == "TLS11") {
    return Poco::Net::Context::PROTO_TLSV1_1;
  }
  return version == "TLS13" ? Poco::Net::Context::PROTO_TLSV1_3 : Poco::Net::Context::PROTO_TLSV1_2;
}

/// The TLS server context of `tls` (tls_server_config). Throws Poco::Exception (unreadable
/// certificate or key, a key that does not match).
Poco::Net::Context::Ptr tlsContext(const TlsConfig& tls) {
  Poco::Net::initializeSSL();
  Poco::Net::Context::Params params;
  params.privateKeyFile = tls.keyFile;
  params.certificateFile = tls.certFile;
  params.caLocation = tls.clientCaFile;
  params.loadDefaultCAs = false;
  params.verificationMode =
      tls.clientAuthType == "RequireAndVerifyClientCert" ? Poco::Net::Context::VERIFY_STRICT
      : tls.clientAuthType == "VerifyClientCertIfGiven"  ? Poco::Net::Context::VERIFY_RELAXED
                                                         : Poco::Net::Context::VERIFY_NONE;
  params.cipherList = "HIGH:!aNULL:!MD5:!RC4";
  Poco::Net::Context::Ptr context =
      new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
  // OpenSSL verifies a client certificate's chain against client_ca_file; POCO's extra check
  // would also match the client's certificate against the client's address, which names no
  // host (exporter-toolkit does not either).
  context->enableExtendedCertificateVerification(false);
  if (SSL_CTX_check_private_key(context->sslContext()) != 1) {
    throw Poco::Net::SSLContextException("the TLS key does not match the certificate",
                                         tls.keyFile + " / " + tls.certFile);
  }
  context->requireMinimumProtocol(protocolOf(tls.minVersion));
  if (!tls.maxVersion.empty()) {
    int above = 0;
    for (int p = protocolOf(tls.maxVersion) << 1; p <= Poco::Net::Context::PROTO_TLSV1_3; p <<= 1) {
      above |= p;
    }
    context->disableProtocols(above);
  }
  return context;
}

Poco::Net::SocketAddress listenAddressOf(const std::string& text) {
  auto colon = text.rfind(':');
  std::string host = text.substr(0, colon);
  std::string port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) {
    host = "0.0.0.0";
  }
  return Poco::Net::SocketAddress(host, static_cast<uint16_t>(std::stoi(port)));
}

/// Delivers SIGHUP to a callback on its own thread (the signal is blocked everywhere else).
class HangupListener {
 public:
  explicit HangupListener(std::function<void()> onHangup) : onHangup_(std::move(onHangup)) {
    thread_ = std::thread([this] { run(); });
  }
  ~HangupListener() {
    stopping_ = true;
    ::pthread_kill(thread_.native_handle(), SIGHUP);
    thread_.join();
  }

 private:
  void run() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    while (true) {
      int signal = 0;
      if (::sigwait(&set, &signal) != 0 || stopping_) {
        return;
      }
      onHangup_();
    }
  }

  std::function<void()> onHangup_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

/// Sends WATCHDOG=1 at half the systemd interval and refreshes STATUS, until destroyed.
class SystemdReporter {
 public:
  SystemdReporter(SystemdNotifier& notifier, std::function<std::string()> status)
      : notifier_(notifier), status_(std::move(status)) {
    if (notifier_.enabled()) {
      thread_ = std::thread([this] { run(); });
    }
  }
  ~SystemdReporter() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
      thread_.join();
    }
  }

 private:
  void run() {
    auto period = notifier_.watchdogInterval()
                      ? std::chrono::duration_cast<std::chrono::milliseconds>(
                            *notifier_.watchdogInterval() / 2)
                      : std::chrono::milliseconds(5000);
    period = std::min(period, std::chrono::milliseconds(5000));
    std::unique_lock<std::mutex> lock(mutex_);
    while (!wake_.wait_for(lock, period, [this] { return stopping_; })) {
      if (notifier_.watchdogInterval()) {
        notifier_.watchdog();
      }
      notifier_.status(status_());
    }
  }

  SystemdNotifier& notifier_;
  std::function<std::string()> status_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

/// The inventory's storage, shared: a fence stuck in a hung share's storage call keeps it (and
/// the Leadership) alive after main() tore everything else down (Leadership::stop).
struct Storage {
  Storage(inventoryfs::Keyring k, const std::string& file, inventoryfs::StoreOptions options)
      : keys(std::move(k)), slots(file), store(slots, keys, options) {}
  inventoryfs::Keyring keys;
  inventoryfs::DirectorySlotStore slots;
  inventoryfs::InventoryStore store;
};

/// Everything the daemon runs, owned in dependency order: the members are destroyed in reverse,
/// so nothing is destroyed before what uses it. stop() is the teardown, in this order, run by
/// the destructor too, so that every return from main() (the early error returns included)
/// goes through it: stop accepting HTTP and mark draining; finish the requests in flight (or,
/// after kDrainTimeout, stop the collector so that scrapes waiting for a poll answer, and abort
/// the connections); stop discovery; stop the collector (no poll starts; the polls in flight are
/// cancelled through the SNMP client and their callbacks have run); stop the elector client's
/// reader (no more role callbacks), the fencing thread, and the inventory watcher (no more
/// listener calls); then the members are destroyed, the SNMP clients after everything that
/// sends through them.
struct Site {
  std::unique_ptr<LocalState> local;
  std::shared_ptr<Storage> storage;
  std::shared_ptr<inventoryfs::InventoryStore> store;  // storage's, shared with leadership
  std::unique_ptr<InventoryState> inventory;
  std::unique_ptr<NetSnmpClient> snmp;
  std::unique_ptr<DevicePoller> poller;
  SelfMetrics metrics;
  SystemClock clock;
  std::unique_ptr<Collector> collector;
  std::unique_ptr<LeadershipClient> electorClient;
  std::shared_ptr<Leadership> leadership;
  std::mutex mirrorMutex;  // two concurrent /metrics requests must not both add a delta
  std::unique_ptr<NetSnmpClient> discoverySnmp;
  UdpProber prober;
  std::unique_ptr<DiscoveryService> discovery;
  std::unique_ptr<WebAccess> access;
  Lifecycle lifecycle;
  std::unique_ptr<Poco::ThreadPool> httpThreads;
  std::unique_ptr<Poco::Net::HTTPServer> server;

  Site() = default;
  Site(const Site&) = delete;
  Site& operator=(const Site&) = delete;
  ~Site() { stop(); }

  /// The teardown (see the struct). Idempotent; every step is bounded (HTTP by kDrainTimeout,
  /// then the connections are aborted; polls by the SNMP client's cancellation; a hung fence is
  /// left to its own thread).
  void stop() {
    Poco::Logger& log = promsnmp::logger("promsnmp");
    lifecycle.draining = true;
    if (server) {
      // Refuse new connections; keep-alive connections end after their current request.
      server->stopAll(false);
      waitForConnections(kDrainTimeout);
      if (server->currentConnections() > 0) {
        logEvent(log, Poco::Message::PRIO_WARNING,
                 "aborting requests still running after the drain",
                 {{"connections", server->currentConnections()}});
        if (collector) {
          collector->stop();  // a scrape waiting for its poll gets the cancelled poll's answer
        }
        server->stopAll(true);
        waitForConnections(kAbortTimeout);
      }
      if (server->currentConnections() > 0) {
        // A handler stuck in a storage call (a hung share): the objects it uses cannot be
        // destroyed under it, and it cannot be interrupted.
        logEvent(log, Poco::Message::PRIO_ERROR,
                 "requests still running after the drain: exiting without waiting for them",
                 {{"connections", server->currentConnections()}});
        std::_Exit(kExitUnavailable);
      }
      httpThreads->joinAll();
    }
    if (discovery) {
      discovery->stop();
    }
    if (collector) {
      collector->stop();
    }
    if (electorClient) {
      electorClient->stop();
    }
    if (leadership && !leadership->stop(kFenceStopTimeout)) {
      logEvent(log, Poco::Message::PRIO_WARNING,
               "a fence is still in a storage call (hung share?): not waiting for it");
    }
    if (inventory) {
      inventory->stop();
    }
  }

 private:
  void waitForConnections(std::chrono::milliseconds bound) {
    auto deadline = std::chrono::steady_clock::now() + bound;
    while (server->currentConnections() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
};

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
    case CommandLine::Action::CheckConfig: {
      PromSnmpApp probe(commandLine);
      try {
        Config config = loadConfig(probe.sources());
        try {
          std::unique_ptr<WebAccess> access = openWebAccess(config);
          if (access && access->tls().enabled()) {
            tlsContext(access->tls());  // the certificate and key load and match
          }
        } catch (const Poco::Exception& e) {
          std::cerr << "web config: " << e.displayText() << "\n";
          return kExitConfig;
        }
        std::cout << config.describe();
        for (const std::string& warning : config.warnings) {
          std::cerr << "warning: " << warning << "\n";
        }
        std::cerr << "configuration ok\n";
        return kExitOk;
      } catch (const ConfigException& e) {
        std::cerr << e.message() << "\n";
        return kExitConfig;
      }
    }
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
  // Block the signals before any thread exists, so every thread inherits the mask: SIGHUP is
  // for reloads (only HangupListener takes it); SIGTERM, SIGINT and SIGQUIT are taken by
  // waitForTerminationRequest's sigwait. A second SIGTERM during the drain (an impatient
  // operator, a supervisor repeating it) then stays pending instead of killing the process by
  // its default action in whichever thread it reaches, half-way through the teardown.
  sigset_t handled;
  sigemptyset(&handled);
  for (int signal : {SIGHUP, SIGTERM, SIGINT, SIGQUIT}) {
    sigaddset(&handled, signal);
  }
  ::pthread_sigmask(SIG_BLOCK, &handled, nullptr);
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

  // Declared before anything else of the run: destroyed last, after its stop() ran (above).
  Site site;
  std::unique_ptr<inventoryfs::Keyring> keys;
  try {
    keys = std::make_unique<inventoryfs::Keyring>(
        inventoryfs::Keyring::fromEnvironment(inventoryfs::Keyring::processEnvironment()));
  } catch (const inventoryfs::KeyConfigException& e) {
    logEvent(log, Poco::Message::PRIO_ERROR, "no usable inventory key",
             {{"error", e.displayText()}});
    return kExitConfig;
  }

  try {
    site.local = std::make_unique<LocalState>(config_.stateDir);
  } catch (const Poco::Exception& e) {
    logEvent(log, Poco::Message::PRIO_WARNING,
             "no local state: a restart with the share down will have no inventory",
             {{"state_dir", config_.stateDir}, {"error", e.displayText()}});
  }

  inventoryfs::StoreOptions storeOptions;
  storeOptions.keep = static_cast<size_t>(config_.inventoryKeep);
  site.storage = std::make_shared<Storage>(std::move(*keys), config_.inventoryFile, storeOptions);
  keys.reset();
  site.store = std::shared_ptr<inventoryfs::InventoryStore>(site.storage, &site.storage->store);
  inventoryfs::InventoryStore& store = *site.store;
  site.inventory = std::make_unique<InventoryState>(store, site.storage->keys, site.local.get(),
                                                    config_.inventoryPollInterval);
  InventoryState& inventory = *site.inventory;
  inventory.start();

  NetSnmpClient::Options snmpOptions;
  snmpOptions.maxInFlight = static_cast<size_t>(config_.snmpMaxInFlight);
  snmpOptions.maxInFlightPerTarget = static_cast<size_t>(config_.snmpMaxInFlightPerDevice);
  site.snmp = std::make_unique<NetSnmpClient>(snmpOptions);
  NetSnmpClient& snmp = *site.snmp;
  DevicePoller::Options pollerOptions;
  pollerOptions.initialMaxRepetitions = static_cast<int>(config_.snmpMaxRepetitions);
  site.poller = std::make_unique<DevicePoller>(snmp, pollerOptions);

  SelfMetrics& metrics = site.metrics;
  SystemClock& clock = site.clock;
  Collector::Options collectorOptions;
  CollectionMode mode = config_.collectionMode.value_or(
      config_.electorSocket ? CollectionMode::Scraped : CollectionMode::All);
  collectorOptions.mode =
      mode == CollectionMode::All ? Collector::Mode::All : Collector::Mode::Scraped;
  collectorOptions.interval = config_.collectionInterval;
  collectorOptions.cacheTtl = config_.cacheExpiry;
  collectorOptions.cacheEntries = static_cast<size_t>(config_.cacheMaxEntries);
  collectorOptions.defaultScrapeBudget = config_.scrapeDefaultTimeout;
  collectorOptions.scrapeTimeoutMargin = config_.scrapeTimeoutMargin;
  site.collector =
      std::make_unique<Collector>(inventory, *site.poller, metrics, clock, collectorOptions);
  Collector& collector = *site.collector;

  // Who may write: a fixed role, the elector's word (through its socket), or standalone.
  Leadership::Mode leadershipMode =
      config_.role            ? (*config_.role == Role::Leader ? Leadership::Mode::FixedLeader
                                                               : Leadership::Mode::FixedFollower)
      : config_.electorSocket ? Leadership::Mode::Elector
                              : Leadership::Mode::Standalone;
  if (leadershipMode == Leadership::Mode::Elector) {
    // On becoming leader, fence at once (on the fencing thread, never on the socket's reader),
    // so the fence precedes any write of this lease. The client's reader stops (Site::stop)
    // before the leadership goes.
    site.electorClient = std::make_unique<LeadershipClient>(
        *config_.electorSocket, clock, LeadershipClient::Options{},
        [&site](const LeadershipState& state) {
          if (site.leadership) {
            site.leadership->onRoleChange(state);
          }
        });
  }
  site.leadership =
      std::make_shared<Leadership>(site.store, leadershipMode, site.electorClient.get());
  Leadership& leadership = *site.leadership;
  auto& writeFailures = metrics
                            .counter("promsnmp_inventory_write_failures_total",
                                     "Inventory commits this replica refused for the file's sake "
                                     "(unreadable or rolled-back head, storage errors).")
                            .get();
  leadership.setWriteFailureHandler([&inventory, &writeFailures, &log](const std::string& error) {
    writeFailures.inc();
    logEvent(log, Poco::Message::PRIO_ERROR, "inventory write refused", {{"error", error}});
    inventory.recheck();  // the damage shows in health, read_failing and the write check
  });
  leadership.setWriteCheck([&inventory] {
    InventoryState::Status s = inventory.status();
    if (!s.loaded || s.fromLocalReplica) {
      return "the share is unreadable" + (s.lastError.empty() ? std::string() : ": " + s.lastError);
    }
    return s.lastError.empty() ? std::string()
                               : "the newest inventory is unreadable: " + s.lastError;
  });
  inventory.addListener([&leadership](const std::shared_ptr<const InventoryView>&,
                                      const std::shared_ptr<const InventoryView>& after) {
    if (after && !after->fromLocalReplica) {
      leadership.observeHead(after->version, after->epoch);
    }
  });
  if (site.electorClient) {
    site.electorClient->start();
  }
  auto& isLeader =
      metrics.gauge("promsnmp_leader_election_is_leader", "1 if this replica is the leader.").get();
  auto& leaderEpoch = metrics
                          .gauge("promsnmp_leader_election_epoch",
                                 "Epoch of this replica's last fence or inventory write.")
                          .get();
  metrics.onCollect([&] {
    isLeader.set(leadership.isLeader() ? 1 : 0);
    leaderEpoch.set(static_cast<double>(leadership.epoch()));
  });
  auto& inventoryVersion =
      metrics.gauge("promsnmp_inventory_version", "Version of the inventory served.").get();
  auto& inventoryDevices =
      metrics.gauge("promsnmp_inventory_device_count", "Devices in the inventory served.").get();
  auto& inventoryFailing = metrics
                               .gauge("promsnmp_inventory_read_failing",
                                      "1 while the share cannot be read (the last good inventory "
                                      "is served).")
                               .get();
  auto& inventoryLocal = metrics
                             .gauge("promsnmp_inventory_from_local_replica",
                                    "1 while the inventory comes from the local replica.")
                             .get();
  // The SNMP client's own counters, mirrored at each scrape of /metrics.
  auto& packetsSent = metrics
                          .counter("promsnmp_snmp_packets_sent_total",
                                   "SNMP request packets sent, retries and engine-id probes "
                                   "included.")
                          .get();
  auto& snmpTimeouts =
      metrics.counter("promsnmp_snmp_timeouts_total", "SNMP requests that timed out.").get();
  auto& snmpAuthFailures = metrics
                               .counter("promsnmp_snmp_authentication_failures_total",
                                        "SNMPv3 requests refused for authentication or privacy.")
                               .get();
  auto& snmpSessions =
      metrics.gauge("promsnmp_snmp_sessions", "Open SNMP sessions (sockets).").get();
  auto& snmpInFlight =
      metrics.gauge("promsnmp_snmp_requests_in_flight", "SNMP requests awaiting an answer.").get();
  auto& snmpQueued =
      metrics.gauge("promsnmp_snmp_requests_queued", "SNMP requests waiting for an in-flight slot.")
          .get();
  metrics.onCollect([&] {
    std::lock_guard<std::mutex> lock(site.mirrorMutex);
    NetSnmpClient::Stats stats = snmp.stats();
    packetsSent.inc(static_cast<double>(stats.packetsSent) - packetsSent.value());
    snmpTimeouts.inc(static_cast<double>(stats.timeouts) - snmpTimeouts.value());
    snmpAuthFailures.inc(static_cast<double>(stats.authenticationFailures) -
                         snmpAuthFailures.value());
    snmpSessions.set(static_cast<double>(stats.openSessions));
    snmpInFlight.set(static_cast<double>(stats.inFlight));
    snmpQueued.set(static_cast<double>(stats.queued));
  });
  metrics.onCollect([&] {
    InventoryState::Status s = inventory.status();
    inventoryVersion.set(static_cast<double>(s.version));
    inventoryDevices.set(static_cast<double>(s.devices));
    inventoryFailing.set(s.lastError.empty() ? 0 : 1);
    inventoryLocal.set(s.fromLocalReplica ? 1 : 0);
  });

  // Discovery has its own SNMP client, so a sweep never queues behind (or delays) polling.
  NetSnmpClient::Options discoverySnmpOptions;
  discoverySnmpOptions.maxInFlight = 64;
  discoverySnmpOptions.maxSessions = 1024;
  discoverySnmpOptions.sessionIdleTimeout = std::chrono::seconds(30);
  site.discoverySnmp = std::make_unique<NetSnmpClient>(discoverySnmpOptions);
  DiscoveryService::Options discoveryOptions;
  discoveryOptions.discovery.sweep.maxInFlight = static_cast<size_t>(config_.discoveryMaxInFlight);
  discoveryOptions.discovery.sweep.timeout = config_.discoveryTimeout;
  discoveryOptions.discovery.sweep.retries = static_cast<int>(config_.discoveryRetries);
  discoveryOptions.discovery.maxAddresses = static_cast<size_t>(config_.discoveryMaxAddresses);
  discoveryOptions.maxQueued = static_cast<size_t>(config_.discoveryMaxQueued);
  discoveryOptions.cron = config_.discoveryCron;
  discoveryOptions.zone = config_.discoveryZone;
  discoveryOptions.onStart = config_.discoveryOnStart;
  try {
    site.discovery =
        std::make_unique<DiscoveryService>(inventory, leadership, *site.discoverySnmp, site.prober,
                                           metrics, site.local.get(), discoveryOptions);
  } catch (const Poco::Exception& e) {
    logEvent(log, Poco::Message::PRIO_ERROR, "discovery schedule unusable",
             {{"cron", config_.discoveryCron},
              {"zone", config_.discoveryZone},
              {"error", e.displayText()}});
    return kExitConfig;
  }

  // Access control: the server does not start with a web config it cannot enforce.
  Poco::Net::Context::Ptr tls;
  try {
    site.access = openWebAccess(config_);
    if (site.access && site.access->tls().enabled()) {
      tls = tlsContext(site.access->tls());
    }
  } catch (const Poco::Exception& e) {
    logEvent(log, Poco::Message::PRIO_ERROR, "web config unusable", {{"error", e.displayText()}});
    return kExitConfig;
  }
  if (!site.access) {
    logEvent(log, Poco::Message::PRIO_WARNING,
             "no access control: anyone who reaches this port can rewrite the inventory and start "
             "scans (set --web.config.file)",
             {});
  }

  Lifecycle& lifecycle = site.lifecycle;
  ApiContext context{collector,
                     inventory,
                     store,
                     metrics,
                     lifecycle,
                     [this] {
                       std::lock_guard<std::mutex> lock(configMutex_);
                       return config_.describe();
                     },
                     [this] { return reload(); },
                     leadership,
                     static_cast<size_t>(config_.maxRequestBodyBytes),
                     site.discovery.get(),
                     static_cast<size_t>(config_.discoveryMaxAddresses),
                     site.access.get(),
                     static_cast<double>(config_.discoveryMaxRequestsPerMinute)};

  site.httpThreads = std::make_unique<Poco::ThreadPool>("http", 4, kHttpThreads);
  try {
    // SO_REUSEADDR but not SO_REUSEPORT (POCO's constructor sets both): a second process on
    // the same port must fail to start, not silently take half of the connections.
    // HTTPS when the web config has tls_server_config.
    Poco::Net::ServerSocket socket;
    if (tls) {
      socket = Poco::Net::SecureServerSocket(tls);
    }
    socket.bind(listenAddressOf(config_.listenAddress), true, false);
    socket.listen(256);
    // POCO holds a thread per keep-alive connection: size the pool for the connections a site
    // keeps open (Prometheus servers, HAProxy), not for the cores.
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(kHttpThreads);
    params->setMaxQueued(512);
    params->setKeepAlive(true);
    params->setTimeout(Poco::Timespan(
        std::chrono::duration_cast<std::chrono::microseconds>(config_.webReadTimeout).count()));
    params->setServerName("promsnmp");
    site.server = std::make_unique<Poco::Net::HTTPServer>(new HttpApi(context), *site.httpThreads,
                                                          socket, params);
    site.server->start();
    logEvent(log, Poco::Message::PRIO_INFORMATION, "listening",
             {{"address", socket.address().toString()}, {"role", leadership.describe()}});
  } catch (const Poco::Exception& e) {
    logEvent(log, Poco::Message::PRIO_ERROR, "cannot listen",
             {{"address", config_.listenAddress}, {"error", e.displayText()}});
    return kExitUnavailable;
  }
  collector.start();
  site.discovery->start();
  lifecycle.ready = true;

  SystemdNotifier notifier = SystemdNotifier::fromProcessEnvironment();
  std::atomic<bool> readySent{false};
  auto sendReadyOnce = [&] {
    if (inventory.status().loaded && !readySent.exchange(true)) {
      notifier.ready();
    }
  };
  inventory.addListener([&](auto, auto) { sendReadyOnce(); });
  sendReadyOnce();
  // The reporter and the listener stop before the site (declared after it).
  SystemdReporter reporter(notifier, [&] {
    InventoryState::Status s = inventory.status();
    sendReadyOnce();
    return "inventory v" + std::to_string(s.version) + ", " + std::to_string(s.devices) +
           " devices" + (s.lastError.empty() ? "" : ", share unreadable") + ", " +
           leadership.describe();
  });
  HangupListener hangupListener([this] { reload(); });

  waitForTerminationRequest();

  // Drain: refuse readiness first (load balancers stop sending), finish requests in flight,
  // then stop polling (Site::stop has the whole order).
  logEvent(log, Poco::Message::PRIO_INFORMATION, "stopping: draining requests");
  notifier.stopping();
  site.stop();
  logEvent(log, Poco::Message::PRIO_INFORMATION, "stopped");
  return kExitOk;
}

}  // namespace promsnmp
