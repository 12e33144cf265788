#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <Poco/Exception.h>
#include <Poco/Logger.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/ThreadPool.h>

#include "app/SystemdNotifier.h"
#include "collection/Collector.h"
#include "collection/DevicePoller.h"
#include "common/Clock.h"
#include "config/Config.h"
#include "discovery/DiscoveryService.h"
#include "discovery/ProfileRegistry.h"
#include "discovery/UdpProber.h"
#include "exposition/SelfMetrics.h"
#include "http/HttpApi.h"
#include "http/LoginFailureLog.h"
#include "http/WebConfig.h"
#include "inventory/InventoryState.h"
#include "inventory/LocalState.h"
#include "inventoryfs/InventoryStore.h"
#include "leadership/Leadership.h"
#include "leadership/LeadershipClient.h"
#include "modules/ModulePoller.h"
#include "modules/ModuleRegistry.h"
#include "snmp/NetSnmpClient.h"

namespace promsnmp {

/// A start-up step that failed. Its error is logged already; code() is the exit status (78 bad
/// configuration or key, 69 cannot listen).
POCO_DECLARE_EXCEPTION(, StartupException, Poco::Exception)

/// Everything the daemon runs, owned in dependency order: the members are constructed in
/// declaration order by build() and start(), and destroyed in reverse, so nothing is destroyed
/// before what uses it.
///
/// stop() is the teardown, in this order, run by the destructor too, so that a Services that was
/// only half built (a start-up step failed) goes through it as well: stop accepting HTTP and mark
/// draining; finish the requests in flight (or, after kDrainTimeout, stop the collector so that
/// scrapes waiting for a poll answer, and abort the connections); stop discovery; stop the
/// collector (no poll starts; the polls in flight are cancelled through the SNMP client and their
/// callbacks have run); stop the elector client's reader (no more role callbacks), the fencing
/// thread, and the inventory watcher (no more listener calls); then the members are destroyed,
/// the systemd reporter and the SIGHUP listener first, the SNMP clients after everything that
/// sends through them.
///
/// SIGHUP, SIGTERM, SIGINT and SIGQUIT must be blocked before build() starts the first thread.
/// Not thread-safe: one thread builds, starts and stops.
class Services {
 public:
  /// What the services call back into the application for.
  struct Hooks {
    std::function<std::string()> describeConfig;  // GET /config: the running one, secrets masked
    std::function<std::string()> reload;          // POST /-/reload and SIGHUP: "" or the problems
  };

  /// Builds nothing yet. `config` is the configuration of this run (settings read at start);
  /// `env` the environment, for the inventory key settings (PROM_ENCRYPT_KEY, ...) and systemd's
  /// NOTIFY_SOCKET and WATCHDOG_*.
  Services(Config config, std::map<std::string, std::string> env, Hooks hooks);
  /// stop(), then the members in reverse order.
  ~Services();
  Services(const Services&) = delete;
  Services& operator=(const Services&) = delete;

  /// Builds every service in member order: the inventory (its watcher started), SNMP, the
  /// collector, the leadership (the elector client started), their self-metrics, discovery,
  /// access control and the HTTP server (listening). Throws StartupException after logging why:
  /// no usable inventory key, an unusable discovery schedule or web config (78), a listen
  /// address that cannot be bound (69).
  void build();

  /// After build(): starts collection and discovery, reports ready (to the probes, and to
  /// systemd once the inventory is loaded), keeps the systemd watchdog and status fed, and
  /// reloads on SIGHUP (Hooks::reload).
  void start();

  /// The teardown (see the class); tells systemd STOPPING=1 first if start() ran. Idempotent;
  /// every step is bounded (HTTP by kDrainTimeout, then the connections are aborted; polls by
  /// the SNMP client's cancellation; a hung fence is left to its own thread). Exits the process
  /// (69) if requests are still running after the drain and the abort.
  void stop();

  /// Loads the access control `config` asks for, as build() does, and drops it: what
  /// --config.check runs. Throws Poco::Exception when it cannot be enforced (a bad file, an admin
  /// who is not a user, admins without a file, a TLS certificate and key that do not load or do
  /// not match).
  static void checkWebConfig(const Config& config);

 private:
  class HangupListener;
  class SystemdReporter;
  struct Storage;

  void openInventory();
  void openCollector();
  void openModules();
  void openProfiles();
  std::string loadProfiles();  // "" or the problems
  /// The application's reload (Hooks::reload), then the module files and the profiles files
  /// again: "" or the problems.
  std::string reload();
  void openLeadership();
  void registerLeadershipMetrics();
  void registerInventoryMetrics();
  void registerSnmpMetrics();
  void openDiscovery();
  Poco::Net::Context::Ptr openAccessControl();
  void listen(const Poco::Net::Context::Ptr& tls);
  void sendReadyOnce();
  void waitForConnections(std::chrono::milliseconds bound);

  const Config config_;
  const std::map<std::string, std::string> env_;
  const Hooks hooks_;
  Poco::Logger& log_;
  bool stopped_ = false;

  std::unique_ptr<LocalState> local_;
  std::shared_ptr<Storage> storage_;
  std::shared_ptr<inventoryfs::InventoryStore> store_;  // storage's, shared with leadership
  std::unique_ptr<InventoryState> inventory_;
  std::unique_ptr<NetSnmpClient> snmp_;
  std::unique_ptr<DevicePoller> poller_;
  SelfMetrics metrics_;
  common::SystemClock clock_;
  std::unique_ptr<Collector> collector_;
  std::unique_ptr<ModuleRegistry> modules_;
  std::unique_ptr<ModulePoller> modulePoller_;
  std::unique_ptr<ProfileRegistry> profiles_;
  std::unique_ptr<LeadershipClient> electorClient_;
  std::shared_ptr<Leadership> leadership_;
  std::mutex mirrorMutex_;  // two concurrent /metrics requests must not both add a delta
  std::unique_ptr<NetSnmpClient> discoverySnmp_;
  UdpProber prober_;
  std::unique_ptr<DiscoveryService> discovery_;
  std::unique_ptr<WebAccess> access_;
  std::unique_ptr<LoginFailureLog> failedLogins_;  // with access_
  Lifecycle lifecycle_;
  std::unique_ptr<Poco::ThreadPool> httpThreads_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  // start(): the inventory's listener (sendReadyOnce) uses these until stop() stopped it.
  std::unique_ptr<SystemdNotifier> notifier_;
  std::atomic<bool> readySent_{false};
  std::unique_ptr<SystemdReporter> reporter_;
  std::unique_ptr<HangupListener> hangupListener_;
};

}  // namespace promsnmp
