#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include "exposition/SelfMetrics.h"
#include "inventoryfs/InventoryStore.h"
#include "site/SitePage.h"
#include "site/SiteReport.h"

namespace Poco::Net {
class HTTPServerRequest;
class HTTPServerResponse;
}  // namespace Poco::Net

namespace promsnmp {

class ModuleRegistry;
class ProfileRegistry;

class Collector;
class DiscoveryService;
class InventoryState;
class Leadership;
class LoginFailureLog;
class WebAccess;

/// Where the process is in its life, for the probes (Spring semantics): not ready until the
/// inventory is loaded and the listener bound; not ready again while draining after SIGTERM.
struct Lifecycle {
  std::atomic<bool> ready{false};
  std::atomic<bool> draining{false};
};

/// Everything the HTTP API reads or acts on. References outlive the server.
struct ApiContext {
  Collector& collector;
  InventoryState& inventory;
  inventoryfs::InventoryStore& store;
  SelfMetrics& metrics;
  Lifecycle& lifecycle;
  std::function<std::string()> describeConfig;  // /config, secrets masked
  std::function<std::string()> reload;          // "" when reloaded, else the error
  Leadership& leadership;                       // inventory writes only on the leader
  size_t maxRequestBody = 16u << 20;
  DiscoveryService* discovery = nullptr;    // nullptr: discovery answers 503
  size_t discoveryMaxAddresses = 65536;     // per discovery request
  WebAccess* access = nullptr;              // nullptr: no access control (everything open)
  double discoveryRequestsPerMinute = 30;   // POST /promsnmp/discovery, token bucket
  const ModuleRegistry* modules = nullptr;  // the module files, for the health details
  /// The profiles files, for the health details.
  const ProfileRegistry* profiles = nullptr;
  // The site page.
  std::string replicaId;           // this replica's name
  std::vector<std::string> peers;  // site.peers as configured (expanded per page)
  std::chrono::system_clock::time_point startedAt = std::chrono::system_clock::now();
  LoginFailureLog* failedLogins = nullptr;  // with `access`: failed logins are logged there
};

/// The HTTP API of the collector (promsnmp-java.md §3 plus the Prometheus and Spring endpoints):
/// one route table, one handler per route. Every request is counted by route and status in
/// promsnmp_http_requests_total. Thread-safe (handlers only read shared state or go through
/// thread-safe components).
class HttpApi : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit HttpApi(ApiContext context);
  ~HttpApi() override;

  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest& request) override;

  /// Handles one request (the handler objects call this). Public for tests.
  void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

 private:
  using Handler = void (HttpApi::*)(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&);
  struct Route {
    Handler handler;
    std::string methods;       // e.g. "GET,HEAD"
    std::string adminMethods;  // the methods that need the admin scope; the others need read
    bool open = false;         // a probe: answered without credentials, saying only its status
  };

  void scrape(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&);
  void metricsOrScrape(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&);
  void selfMetrics(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&);
  void targets(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&);
  void inventory(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&);
  void hello(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&);
  void evictCache(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&);
  void authProtocols(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&);
  void privProtocols(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&);
  void leader(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&);
  void elected(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&);
  void republish(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&);
  void health(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&);
  void healthy(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&);
  void ready(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&);
  void reload(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&);
  void config(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&);
  void landing(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&);
  void siteReplica(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&);
  /// What this replica tells the site page of any replica (GET /promsnmp/site/replica).
  ReplicaReport localReport() const;
  /// The kept versions' headers, read again only when the served version changed.
  std::vector<InventoryVersion> inventoryHistory();
  void discovery(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&);
  void startDiscovery(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&);
  void deleteSeeds(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&,
                   const std::string& seedId);
  void discoveryRuns(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&,
                     const std::string& runId);
  /// Commits `change` as the leader and reloads the view. On failure answers 503 (not the
  /// leader, stepped down, or the share refused the write) and returns false.
  bool commitAsLeader(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&,
                      const inventoryfs::InventoryStore::Change& change);
  /// Whether the request may go on: answers 401 (no or bad credentials) or 403 (read scope where
  /// admin is needed) and returns false otherwise. Always true without access control.
  bool authorize(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&, const Route& route);
  /// Whether an inventory is loaded; answers 503 with the reason (and returns false) if not.
  bool inventoryLoaded(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&);
  /// Whether credentials are masked in this answer: true unless the request asks with
  /// includeCredentials=true; nullopt after answering 403 when it asks and is not an
  /// authenticated admin.
  std::optional<bool> maskCredentials(Poco::Net::HTTPServerRequest&,
                                      Poco::Net::HTTPServerResponse&);
  /// The request body, or nullopt after answering 413 when it exceeds the limit.
  std::optional<std::string> readBody(Poco::Net::HTTPServerRequest&,
                                      Poco::Net::HTTPServerResponse&);

  ApiContext context_;
  Family<Counter>& requests_;
  Family<Counter>& authFailures_;
  Family<Counter>& rejected_;  // by limit
  // The discovery request bucket: tokens refill at discoveryRequestsPerMinute, up to that many.
  std::mutex bucketMutex_;
  double bucketTokens_ = 0;
  std::chrono::steady_clock::time_point bucketAt_{};
  std::map<std::string, Route> routes_;
  // The site page: the name each peer URL last answered with (a replica that stops answering
  // keeps its name), and the inventory history of the version last read.
  std::mutex siteMutex_;
  std::map<std::string, std::string> peerNames_;
  uint64_t historyVersion_ = UINT64_MAX;
  std::vector<InventoryVersion> history_;
};

}  // namespace promsnmp
