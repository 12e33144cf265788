#include "app/Services.h"

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <set>
#include <thread>

#include <Poco/Environment.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <openssl/ssl.h>

#include "app/CommandLine.h"
#include "common/Logging.h"
#include "inventoryfs/DirectorySlotStore.h"
#include "inventoryfs/Exceptions.h"
#include "inventoryfs/Keyring.h"

namespace promsnmp {

using common::logEvent;
using common::logger;

POCO_IMPLEMENT_EXCEPTION(StartupException, Poco::Exception, "Start-up failed")

namespace {

ModuleLoadOptions moduleLoadOptions(const Config& config) {
  ModuleLoadOptions options;
  options.expandEnvironment = config.snmpModulesExpandEnvironment;
  return options;
}

constexpr int kExitUnavailable = 69;
constexpr auto kDrainTimeout = std::chrono::milliseconds(10000);
constexpr auto kAbortTimeout = std::chrono::milliseconds(2000);
constexpr auto kFenceStopTimeout = std::chrono::milliseconds(2000);
constexpr int kHttpThreads = 128;

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

/// Splits "host:port", ":port" or "[v6]:port" into a socket address; an empty host means every
/// interface.
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

}  // namespace

/// Delivers SIGHUP to a callback on its own thread (the signal is blocked everywhere else).
class Services::HangupListener {
 public:
  explicit HangupListener(std::function<void()> onHangup) : onHangup_(std::move(onHangup)) {
    thread_ = std::thread([this] { run(); });
  }
  ~HangupListener() {
    stopping_ = true;
    ::pthread_kill(thread_.native_handle(), SIGHUP);
    thread_.join();
  }
  HangupListener(const HangupListener&) = delete;
  HangupListener& operator=(const HangupListener&) = delete;

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
class Services::SystemdReporter {
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
  SystemdReporter(const SystemdReporter&) = delete;
  SystemdReporter& operator=(const SystemdReporter&) = delete;

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
/// the Leadership) alive after the Services were torn down (Leadership::stop).
struct Services::Storage {
  Storage(inventoryfs::Keyring k, const std::string& file, inventoryfs::StoreOptions options)
      : keys(std::move(k)), slots(file), store(slots, keys, options) {}
  inventoryfs::Keyring keys;
  inventoryfs::DirectorySlotStore slots;
  inventoryfs::InventoryStore store;
};

Services::Services(Config config, std::map<std::string, std::string> env, Hooks hooks)
    : config_(std::move(config)),
      env_(std::move(env)),
      hooks_(std::move(hooks)),
      log_(logger("promsnmp")) {}

Services::~Services() { stop(); }

void Services::checkWebConfig(const Config& config) {
  std::unique_ptr<WebAccess> access = openWebAccess(config);
  if (access && access->tls().enabled()) {
    tlsContext(access->tls());  // the certificate and key load and match
  }
}

void Services::build() {
  openInventory();
  openCollector();
  openModules();
  openProfiles();
  openLeadership();
  registerLeadershipMetrics();
  registerInventoryMetrics();
  registerSnmpMetrics();
  openDiscovery();
  listen(openAccessControl());
}

/// The key, the local replica, the store on the share and the inventory served from it, its
/// watcher started.
void Services::openInventory() {
  std::unique_ptr<inventoryfs::Keyring> keys;
  try {
    keys = std::make_unique<inventoryfs::Keyring>(inventoryfs::Keyring::fromEnvironment(env_));
  } catch (const inventoryfs::KeyConfigException& e) {
    logEvent(log_, Poco::Message::PRIO_ERROR, "no usable inventory key",
             {{"error", e.displayText()}});
    throw StartupException("no usable inventory key", kExitConfig);
  }
  for (const std::string& warning : keys->warnings()) {
    logEvent(log_, Poco::Message::PRIO_WARNING, "inventory key setting has whitespace",
             {{"warning", warning}});
  }

  try {
    local_ = std::make_unique<LocalState>(config_.stateDir);
  } catch (const Poco::Exception& e) {
    logEvent(log_, Poco::Message::PRIO_WARNING,
             "no local state: a restart with the share down will have no inventory",
             {{"state_dir", config_.stateDir}, {"error", e.displayText()}});
  }

  inventoryfs::StoreOptions storeOptions;
  storeOptions.keep = static_cast<size_t>(config_.inventoryKeep);
  storage_ = std::make_shared<Storage>(std::move(*keys), config_.inventoryFile, storeOptions);
  keys.reset();
  store_ = std::shared_ptr<inventoryfs::InventoryStore>(storage_, &storage_->store);
  inventory_ = std::make_unique<InventoryState>(*store_, storage_->keys, local_.get(),
                                                config_.inventoryPollInterval);
  inventory_->start();
}

/// The polling SNMP client, the device poller and the collector (not started).
void Services::openCollector() {
  NetSnmpClient::Options snmpOptions;
  snmpOptions.maxInFlight = static_cast<size_t>(config_.snmpMaxInFlight);
  snmpOptions.maxInFlightPerTarget = static_cast<size_t>(config_.snmpMaxInFlightPerDevice);
  snmp_ = std::make_unique<NetSnmpClient>(snmpOptions);
  DevicePoller::Options pollerOptions;
  pollerOptions.initialMaxRepetitions = static_cast<int>(config_.snmpMaxRepetitions);
  poller_ = std::make_unique<DevicePoller>(*snmp_, pollerOptions);

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
  collector_ =
      std::make_unique<Collector>(*inventory_, *poller_, metrics_, clock_, collectorOptions);
}

/// snmp_exporter's module files (snmp.module_files): a start with files that do not load is a
/// configuration error (78), as snmp_exporter refuses to start; a reload keeps the last good set.
void Services::openModules() {
  modules_ = std::make_unique<ModuleRegistry>(&metrics_);
  std::string error = modules_->load(config_.snmpModuleFiles, moduleLoadOptions(config_));
  if (!error.empty()) {
    throw StartupException("module files unusable", kExitConfig);  // logged by the registry
  }
  ModulePoller::Options options;
  options.initialMaxRepetitions = static_cast<int>(config_.snmpMaxRepetitions);
  modulePoller_ = std::make_unique<ModulePoller>(*snmp_, clock_, options);
  collector_->enableModules(*modules_, *modulePoller_, config_.snmpAllowUnlistedTargets);
}

/// The device profiles (discovery.profile_files): a start with files that do not load is a
/// configuration error (78); a reload keeps the last good set.
void Services::openProfiles() {
  profiles_ = std::make_unique<ProfileRegistry>(&metrics_);
  if (!loadProfiles().empty()) {
    throw StartupException("profiles files unusable", kExitConfig);  // logged by the registry
  }
}

/// The profiles files, checked against the modules in force when module files are configured
/// (without them no device gets modules, and every name would be warned about).
std::string Services::loadProfiles() {
  const std::set<std::string> known = modules_->current()->moduleNames();
  return profiles_->load(config_.discoveryProfileFiles,
                         config_.snmpModuleFiles.empty() ? nullptr : &known);
}

std::string Services::reload() {
  std::string problems = hooks_.reload();
  if (modules_) {
    // The files named at start, read again (a changed snmp.module_files needs a restart, as the
    // other settings do; the application's reload says so).
    std::string error = modules_->load(config_.snmpModuleFiles, moduleLoadOptions(config_));
    if (!error.empty()) {
      problems += (problems.empty() ? "" : "\n") + std::string("module files: ") + error;
    }
  }
  if (profiles_) {
    // After the modules, so that the profiles are checked against the modules now in force.
    std::string error = loadProfiles();
    if (!error.empty()) {
      problems += (problems.empty() ? "" : "\n") + std::string("profiles files: ") + error;
    }
  }
  return problems;
}

/// Who may write: a fixed role, the elector's word (through its socket, the client started), or
/// standalone.
void Services::openLeadership() {
  Leadership::Mode leadershipMode =
      config_.role            ? (*config_.role == Role::Leader ? Leadership::Mode::FixedLeader
                                                               : Leadership::Mode::FixedFollower)
      : config_.electorSocket ? Leadership::Mode::Elector
                              : Leadership::Mode::Standalone;
  if (leadershipMode == Leadership::Mode::Elector) {
    // On becoming leader, fence at once (on the fencing thread, never on the socket's reader),
    // so the fence precedes any write of this lease. The client's reader stops (stop()) before
    // the leadership goes.
    electorClient_ = std::make_unique<LeadershipClient>(*config_.electorSocket, clock_,
                                                        LeadershipClient::Options{},
                                                        [this](const LeadershipState& state) {
                                                          if (leadership_) {
                                                            leadership_->onRoleChange(state);
                                                          }
                                                        });
  }
  leadership_ = std::make_shared<Leadership>(store_, leadershipMode, electorClient_.get());
  InventoryState& inventory = *inventory_;
  Leadership& leadership = *leadership_;
  auto& writeFailures = metrics_
                            .counter("promsnmp_inventory_write_failures_total",
                                     "Inventory commits this replica refused for the file's sake "
                                     "(unreadable or rolled-back head, storage errors).")
                            .get();
  leadership.setWriteFailureHandler(
      [&inventory, &writeFailures, &log = log_](const std::string& error) {
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
  if (electorClient_) {
    electorClient_->start();
  }
}

void Services::registerLeadershipMetrics() {
  SelfMetrics& metrics = metrics_;
  Leadership& leadership = *leadership_;
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
}

void Services::registerInventoryMetrics() {
  SelfMetrics& metrics = metrics_;
  InventoryState& inventory = *inventory_;
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
  auto& shareState = metrics.gauge("promsnmp_inventory_share_state",
                                   "1 for the state of the shared inventory as this replica last "
                                   "read it: ok, missing (not mounted or emptied), rolled_back "
                                   "(older than accepted: restored from a backup), unreadable, "
                                   "storage_error.",
                                   {"state"});
  metrics.onCollect([&] {
    InventoryState::Status s = inventory.status();
    const std::string state = s.lastError.empty() || !s.shareProblem
                                  ? "ok"
                                  : inventoryfs::shareProblemName(*s.shareProblem);
    for (const char* name : {"ok", "missing", "rolled_back", "unreadable", "storage_error"}) {
      shareState.labels({name}).set(state == name ? 1 : 0);
    }
    inventoryVersion.set(static_cast<double>(s.version));
    inventoryDevices.set(static_cast<double>(s.devices));
    inventoryFailing.set(s.lastError.empty() ? 0 : 1);
    inventoryLocal.set(s.fromLocalReplica ? 1 : 0);
  });
}

/// The polling SNMP client's own counters, mirrored at each scrape of /metrics.
void Services::registerSnmpMetrics() {
  SelfMetrics& metrics = metrics_;
  NetSnmpClient& snmp = *snmp_;
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
    std::lock_guard<std::mutex> lock(mirrorMutex_);
    NetSnmpClient::Stats stats = snmp.stats();
    packetsSent.inc(static_cast<double>(stats.packetsSent) - packetsSent.value());
    snmpTimeouts.inc(static_cast<double>(stats.timeouts) - snmpTimeouts.value());
    snmpAuthFailures.inc(static_cast<double>(stats.authenticationFailures) -
                         snmpAuthFailures.value());
    snmpSessions.set(static_cast<double>(stats.openSessions));
    snmpInFlight.set(static_cast<double>(stats.inFlight));
    snmpQueued.set(static_cast<double>(stats.queued));
  });
}

/// Discovery, with its own SNMP client, so a sweep never queues behind (or delays) polling.
void Services::openDiscovery() {
  NetSnmpClient::Options discoverySnmpOptions;
  discoverySnmpOptions.maxInFlight = 64;
  discoverySnmpOptions.maxSessions = 1024;
  discoverySnmpOptions.sessionIdleTimeout = std::chrono::seconds(30);
  discoverySnmp_ = std::make_unique<NetSnmpClient>(discoverySnmpOptions);
  DiscoveryService::Options discoveryOptions;
  discoveryOptions.discovery.sweep.maxInFlight = static_cast<size_t>(config_.discoveryMaxInFlight);
  discoveryOptions.discovery.sweep.timeout = config_.discoveryTimeout;
  discoveryOptions.discovery.sweep.retries = static_cast<int>(config_.discoveryRetries);
  discoveryOptions.discovery.maxAddresses = static_cast<size_t>(config_.discoveryMaxAddresses);
  discoveryOptions.maxQueued = static_cast<size_t>(config_.discoveryMaxQueued);
  discoveryOptions.cron = config_.discoveryCron;
  discoveryOptions.zone = config_.discoveryZone;
  discoveryOptions.onStart = config_.discoveryOnStart;
  discoveryOptions.profiles = profiles_.get();
  discoveryOptions.modules = modules_.get();
  try {
    discovery_ =
        std::make_unique<DiscoveryService>(*inventory_, *leadership_, *discoverySnmp_, prober_,
                                           metrics_, local_.get(), discoveryOptions);
  } catch (const Poco::Exception& e) {
    logEvent(log_, Poco::Message::PRIO_ERROR, "discovery schedule unusable",
             {{"cron", config_.discoveryCron},
              {"zone", config_.discoveryZone},
              {"error", e.displayText()}});
    throw StartupException("discovery schedule unusable", kExitConfig);
  }
}

/// Access control: the server does not start with a web config it cannot enforce. Returns the
/// TLS context, or null for plain HTTP.
Poco::Net::Context::Ptr Services::openAccessControl() {
  Poco::Net::Context::Ptr tls;
  try {
    access_ = openWebAccess(config_);
    if (access_) {
      failedLogins_ = std::make_unique<LoginFailureLog>(
          clock_, logger("promsnmp.web"), TrustedProxies::parse(config_.webTrustedProxies));
    }
    if (access_ && access_->tls().enabled()) {
      tls = tlsContext(access_->tls());
    }
  } catch (const Poco::Exception& e) {
    logEvent(log_, Poco::Message::PRIO_ERROR, "web config unusable", {{"error", e.displayText()}});
    throw StartupException("web config unusable", kExitConfig);
  }
  if (!access_) {
    logEvent(log_, Poco::Message::PRIO_WARNING,
             "no access control: anyone who reaches this port can rewrite the inventory and start "
             "scans (set --web.config.file)",
             {});
  }
  return tls;
}

/// The HTTP API on the listen address, HTTPS when `tls` is set.
void Services::listen(const Poco::Net::Context::Ptr& tls) {
  ApiContext context{*collector_,
                     *inventory_,
                     *store_,
                     metrics_,
                     lifecycle_,
                     hooks_.describeConfig,
                     [this] { return reload(); },
                     *leadership_,
                     static_cast<size_t>(config_.maxRequestBodyBytes),
                     discovery_.get(),
                     static_cast<size_t>(config_.discoveryMaxAddresses),
                     access_.get(),
                     static_cast<double>(config_.discoveryMaxRequestsPerMinute),
                     modules_.get(),
                     profiles_.get(),
                     config_.replicaId,
                     config_.peers};

  httpThreads_ = std::make_unique<Poco::ThreadPool>("http", 4, kHttpThreads);
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
    if (context.replicaId.empty()) {  // two replicas on one host differ by port
      context.replicaId =
          Poco::Environment::nodeName() + ":" + std::to_string(socket.address().port());
    }
    // POCO holds a thread per keep-alive connection: size the pool for the connections a site
    // keeps open (Prometheus servers, HAProxy), not for the cores.
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(kHttpThreads);
    params->setMaxQueued(512);
    params->setKeepAlive(true);
    params->setTimeout(Poco::Timespan(
        std::chrono::duration_cast<std::chrono::microseconds>(config_.webReadTimeout).count()));
    params->setServerName("promsnmp");
    context.failedLogins = failedLogins_.get();
    server_ = std::make_unique<Poco::Net::HTTPServer>(new HttpApi(context), *httpThreads_, socket,
                                                      params);
    server_->start();
    logEvent(log_, Poco::Message::PRIO_INFORMATION, "listening",
             {{"address", socket.address().toString()}, {"role", leadership_->describe()}});
  } catch (const Poco::Exception& e) {
    logEvent(log_, Poco::Message::PRIO_ERROR, "cannot listen",
             {{"address", config_.listenAddress}, {"error", e.displayText()}});
    throw StartupException("cannot listen", kExitUnavailable);
  }
}

void Services::start() {
  collector_->start();
  discovery_->start();
  lifecycle_.ready = true;

  notifier_ = std::make_unique<SystemdNotifier>(env_);
  inventory_->addListener([this](auto, auto) { sendReadyOnce(); });
  sendReadyOnce();
  reporter_ = std::make_unique<SystemdReporter>(*notifier_, [this] {
    InventoryState::Status s = inventory_->status();
    sendReadyOnce();
    return "inventory v" + std::to_string(s.version) + ", " + std::to_string(s.devices) +
           " devices" + (s.lastError.empty() ? "" : ", share unreadable") + ", " +
           leadership_->describe();
  });
  hangupListener_ = std::make_unique<HangupListener>([this] { reload(); });
}

/// READY=1 once, when the inventory is loaded.
void Services::sendReadyOnce() {
  if (inventory_->status().loaded && !readySent_.exchange(true)) {
    notifier_->ready();
  }
}

void Services::stop() {
  if (stopped_) {
    return;
  }
  stopped_ = true;
  if (notifier_) {
    notifier_->stopping();
  }
  lifecycle_.draining = true;
  if (server_) {
    // Refuse new connections; keep-alive connections end after their current request.
    server_->stopAll(false);
    waitForConnections(kDrainTimeout);
    if (server_->currentConnections() > 0) {
      logEvent(log_, Poco::Message::PRIO_WARNING, "aborting requests still running after the drain",
               {{"connections", server_->currentConnections()}});
      if (collector_) {
        collector_->stop();  // a scrape waiting for its poll gets the cancelled poll's answer
      }
      server_->stopAll(true);
      waitForConnections(kAbortTimeout);
    }
    if (server_->currentConnections() > 0) {
      // A handler stuck in a storage call (a hung share): the objects it uses cannot be
      // destroyed under it, and it cannot be interrupted.
      logEvent(log_, Poco::Message::PRIO_ERROR,
               "requests still running after the drain: exiting without waiting for them",
               {{"connections", server_->currentConnections()}});
      std::_Exit(kExitUnavailable);
    }
    httpThreads_->joinAll();
  }
  if (discovery_) {
    discovery_->stop();
  }
  if (collector_) {
    collector_->stop();
  }
  if (electorClient_) {
    electorClient_->stop();
  }
  if (leadership_ && !leadership_->stop(kFenceStopTimeout)) {
    logEvent(log_, Poco::Message::PRIO_WARNING,
             "a fence is still in a storage call (hung share?): not waiting for it");
  }
  if (inventory_) {
    inventory_->stop();
  }
}

void Services::waitForConnections(std::chrono::milliseconds bound) {
  auto deadline = std::chrono::steady_clock::now() + bound;
  while (server_->currentConnections() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace promsnmp
