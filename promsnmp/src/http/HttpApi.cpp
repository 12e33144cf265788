#include "http/HttpApi.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <sstream>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <Poco/Timestamp.h>
#include <Poco/URI.h>

#include "collection/Collector.h"
#include "common/Text.h"
#include "discovery/Discovery.h"
#include "discovery/DiscoveryRequest.h"
#include "discovery/DiscoveryService.h"
#include "discovery/ProfileRegistry.h"
#include "exposition/Exposition.h"
#include "exposition/SelfMetrics.h"
#include "http/LoginFailureLog.h"
#include "http/WebConfig.h"
#include "inventory/InventoryState.h"
#include "inventoryfs/Exceptions.h"
#include "inventoryfs/InventoryJson.h"
#include "inventoryfs/InventoryStore.h"
#include "inventoryfs/Merge.h"
#include "leadership/Leadership.h"
#include "modules/ModuleRegistry.h"
#include "site/PeerClient.h"

namespace promsnmp {

using common::escapeInvalidUtf8;
using common::sanitizeUtf8;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

namespace {

constexpr const char* kTextPlain = "text/plain; charset=utf-8";
constexpr const char* kJson = "application/json";
constexpr size_t kGzipThreshold = 1024;
/// The site page refreshes itself this often; a replica that does not answer its peers within
/// kPeerTimeout is shown down.
constexpr int kSiteRefreshSeconds = 5;
constexpr std::chrono::milliseconds kPeerTimeout{1500};

class ApiHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit ApiHandler(HttpApi& api) : api_(api) {}
  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    api_.handle(request, response);
  }

 private:
  HttpApi& api_;
};

std::string pathOf(const HTTPServerRequest& request) {
  return Poco::URI(request.getURI()).getPath();
}

std::string query(const HTTPServerRequest& request, const std::string& name) {
  Poco::URI uri(request.getURI());
  for (const auto& [key, value] : uri.getQueryParameters()) {
    if (key == name) {
      return value;
    }
  }
  return {};
}

/// Every value of parameter `name`, in order (`module` may be repeated).
std::vector<std::string> queryAll(const HTTPServerRequest& request, const std::string& name) {
  std::vector<std::string> values;
  Poco::URI uri(request.getURI());
  for (const auto& [key, value] : uri.getQueryParameters()) {
    if (key == name) {
      values.push_back(value);
    }
  }
  return values;
}

bool hasQuery(const HTTPServerRequest& request, const std::string& name) {
  Poco::URI uri(request.getURI());
  for (const auto& [key, value] : uri.getQueryParameters()) {
    if (key == name) {
      return true;
    }
  }
  return false;
}

std::string toJson(const Poco::Dynamic::Var& value) {
  std::ostringstream out;
  Poco::JSON::Stringifier::condense(value, out);
  return out.str();
}

bool acceptsGzip(const HTTPServerRequest& request) {
  return request.get("Accept-Encoding", "").find("gzip") != std::string::npos;
}

/// Sends a finished body in one write (headers, then the buffer): a 300 KB scrape through the
/// response stream would go out in 4 KB pieces. `encoding` is the body's Content-Encoding.
void sendEncoded(HTTPServerResponse& response, int status, const std::string& contentType,
                 const std::string& encoding, const std::string& body) {
  // setStatus() keeps the reason phrase ("OK") whatever the code: 401 must read Unauthorized.
  response.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(status));
  response.setContentType(contentType);
  response.set("Cache-Control", "no-cache");
  if (!encoding.empty()) {
    response.set("Content-Encoding", encoding);
  }
  response.sendBuffer(body.data(), body.size());  // no body for HEAD (POCO checks)
}

/// Sends a body, gzip-compressed when the client accepts it and it is worth it. A JSON or text
/// body is made valid UTF-8 here, once for every answer: POCO's stringifier copies the bytes of
/// strings as they are (from a request, an agent, a file), and in JSON such bytes only occur
/// inside strings, so replacing them by U+FFFD leaves the structure intact.
void send(HTTPServerRequest& request, HTTPServerResponse& response, int status,
          const std::string& contentType, const std::string& rawBody) {
  const bool text =
      contentType.find("json") != std::string::npos || contentType.rfind("text/", 0) == 0;
  // Our own bodies (/metrics, /targets, the landing page) are valid already: copy only when not.
  const bool repair = text && !common::isValidUtf8(rawBody);
  const std::string sanitized = repair ? sanitizeUtf8(rawBody) : std::string();
  const std::string& body = repair ? sanitized : rawBody;
  if (body.size() >= kGzipThreshold && acceptsGzip(request)) {
    sendEncoded(response, status, contentType, "gzip", gzipMember(body));
  } else {
    sendEncoded(response, status, contentType, "", body);
  }
}

/// Spring Boot's error body, plus the message Spring hides by default. Bytes of the message
/// and path that are not UTF-8 (a parser quoting the request's 0xFF) are shown as `\xFF` text.
void sendError(HTTPServerRequest& request, HTTPServerResponse& response, int status,
               const std::string& rawMessage) {
  const std::string message = escapeInvalidUtf8(rawMessage);
  Poco::JSON::Object body;
  body.set("timestamp",
           Poco::DateTimeFormatter::format(Poco::Timestamp(), "%Y-%m-%dT%H:%M:%S.%i+00:00"));
  body.set("status", status);
  body.set("error",
           HTTPResponse::getReasonForStatus(static_cast<HTTPResponse::HTTPStatus>(status)));
  if (!message.empty()) {
    body.set("message", message);
  }
  body.set("path", escapeInvalidUtf8(pathOf(request)));
  send(request, response, status, kJson, toJson(body));
}

bool isUuid(const std::string& text) {
  if (text.size() != 36) {
    return false;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : std::isxdigit(static_cast<unsigned char>(text[i])) == 0) {
      return false;
    }
  }
  return true;
}

/// Why `next`, an operator's version replacing `current` (devices matched by id, as
/// markOperatorFields leaves them), cannot be written: a device it gives or changes the modules
/// or auth of names a module or auth that `registry` does not have, or names any while no module
/// files are configured. "" when it can. Names left as they were (an inventory read with GET and
/// posted back) are not checked: discovery may have set them from a profile.
std::string unusableModuleNames(const inventoryfs::Inventory& current,
                                const inventoryfs::Inventory& next,
                                const ModuleRegistry* registry) {
  const bool configured = registry != nullptr && !registry->status().patterns.empty();
  const std::shared_ptr<const ModuleSet> set =
      configured ? registry->current() : std::make_shared<const ModuleSet>();
  std::vector<std::string> modules;
  std::vector<std::string> auths;
  auto note = [](std::vector<std::string>& names, const std::string& name) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(name);
    }
  };
  for (const inventoryfs::Device& device : next.devices) {
    auto before = std::find_if(current.devices.begin(), current.devices.end(),
                               [&](const inventoryfs::Device& d) { return d.id == device.id; });
    if (before != current.devices.end() && before->modules == device.modules &&
        before->auth == device.auth) {
      continue;
    }
    for (const std::string& name : device.modules.value_or(std::vector<std::string>{})) {
      if (set->module(name) == nullptr) {
        note(modules, name);
      }
    }
    if (device.auth && set->auth(*device.auth) == nullptr) {
      note(auths, *device.auth);
    }
  }
  if (modules.empty() && auths.empty()) {
    return "";
  }
  auto quotedList = [](const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& name : names) {
      out += (out.empty() ? "'" : ", '") + name + "'";
    }
    return out;
  };
  std::string named;
  if (!modules.empty()) {
    named = "unknown modules " + quotedList(modules);
  }
  if (!auths.empty()) {
    named += (named.empty() ? "unknown auths " : "; unknown auths ") + quotedList(auths);
  }
  if (!configured) {
    return "module files are not configured (snmp.module_files): devices cannot name modules or "
           "auths (" +
           named + ")";
  }
  return named + " (not in the module files in force)";
}

const char* versionName(int version) {
  switch (version) {
    case 0:
      return "v1";
    case 3:
      return "v3";
    default:
      return "v2c";
  }
}

}  // namespace

HttpApi::HttpApi(ApiContext context)
    : context_(std::move(context)),
      requests_(context_.metrics.counter("promsnmp_http_requests_total",
                                         "HTTP requests by handler and status code.",
                                         {"handler", "code"})),
      authFailures_(context_.metrics.counter(
          "promsnmp_http_auth_failures_total",
          "HTTP requests refused by access control: missing or invalid credentials (401), or a "
          "read-only user where admin is needed (403).",
          {"reason"})),
      rejected_(context_.metrics.counter(
          "promsnmp_http_rejected_total",
          "HTTP requests refused by a limit: body_size (413), discovery_addresses (400), "
          "discovery_queue and discovery_rate (429).",
          {"limit"})) {
  bucketTokens_ = context_.discoveryRequestsPerMinute;
  bucketAt_ = std::chrono::steady_clock::now();
  // Access: `open` routes are the probes HAProxy, kubelet and compose call without credentials;
  // `adminMethods` change state or reveal credentials; everything else needs the read scope
  // whenever access control is configured (WebConfig.h).
  routes_ = {
      {"/snmp", {&HttpApi::scrape, "GET,HEAD", ""}},
      {"/metrics", {&HttpApi::metricsOrScrape, "GET,HEAD", ""}},
      {"/actuator/prometheus", {&HttpApi::selfMetrics, "GET,HEAD", ""}},
      {"/targets", {&HttpApi::targets, "GET,HEAD", ""}},
      {"/promsnmp/inventory", {&HttpApi::inventory, "GET,HEAD,POST", "POST"}},
      {"/promsnmp/hello", {&HttpApi::hello, "GET,HEAD", ""}},
      {"/promsnmp/evictCache", {&HttpApi::evictCache, "GET,POST", "GET,POST"}},
      {"/promsnmp/authProtocols", {&HttpApi::authProtocols, "GET,HEAD", ""}},
      {"/promsnmp/privProtocols", {&HttpApi::privProtocols, "GET,HEAD", ""}},
      {"/promsnmp/inventory/republish", {&HttpApi::republish, "POST", "POST"}},
      {"/promsnmp/leader", {&HttpApi::leader, "GET,HEAD", "", true}},
      {"/promsnmp/elected", {&HttpApi::elected, "GET,HEAD", "", true}},
      {"/promsnmp/discovery", {&HttpApi::discovery, "GET,HEAD,POST,DELETE", "POST,DELETE"}},
      {"/actuator/health", {&HttpApi::health, "GET,HEAD", ""}},
      {"/actuator/health/liveness", {&HttpApi::health, "GET,HEAD", "", true}},
      {"/actuator/health/readiness", {&HttpApi::health, "GET,HEAD", "", true}},
      {"/-/healthy", {&HttpApi::healthy, "GET,HEAD", "", true}},
      {"/-/ready", {&HttpApi::ready, "GET,HEAD", "", true}},
      {"/-/reload", {&HttpApi::reload, "POST,PUT", "POST,PUT"}},
      {"/config", {&HttpApi::config, "GET,HEAD", ""}},
      {"/", {&HttpApi::landing, "GET,HEAD", ""}},
      {"/promsnmp/site/replica", {&HttpApi::siteReplica, "GET,HEAD", ""}},
  };
}

std::optional<bool> HttpApi::maskCredentials(HTTPServerRequest& request,
                                             HTTPServerResponse& response) {
  const std::string include = query(request, "includeCredentials");
  if (include != "true" && include != "1") {
    return true;
  }
  // Credentials leave the process only for an authenticated admin: never without access
  // control, where anyone could ask.
  AuthResult auth = context_.access != nullptr
                        ? context_.access->check(request.get("Authorization", ""))
                        : AuthResult{};
  if (auth.outcome != AuthResult::Outcome::Granted || !auth.allows(Scope::Admin)) {
    authFailures_.labels({"forbidden"}).inc();
    sendError(request, response, 403,
              context_.access == nullptr
                  ? "includeCredentials needs access control (--web.config.file) and an admin user"
                  : "includeCredentials needs the admin scope (web.admin_users)");
    return std::nullopt;
  }
  return false;
}

bool HttpApi::authorize(HTTPServerRequest& request, HTTPServerResponse& response,
                        const Route& route) {
  if (context_.failedLogins != nullptr) {
    context_.failedLogins->tick();  // summaries of ended windows, even from probes
  }
  if (context_.access == nullptr || route.open) {
    return true;
  }
  AuthResult auth = context_.access->check(request.get("Authorization", ""));
  if (auth.outcome == AuthResult::Outcome::Invalid && context_.failedLogins != nullptr) {
    context_.failedLogins->record(auth.user, auth.failure, request.clientAddress().host(),
                                  request.get("X-Forwarded-For", ""));
  }
  const bool admin =
      ("," + route.adminMethods + ",").find("," + request.getMethod() + ",") != std::string::npos;
  if (auth.allows(admin ? Scope::Admin : Scope::Read)) {
    return true;
  }
  if (auth.outcome == AuthResult::Outcome::Granted) {
    authFailures_.labels({"forbidden"}).inc();
    sendError(request, response, 403,
              "user '" + auth.user + "' may read only; " + request.getMethod() +
                  " here needs the admin scope (web.admin_users)");
    return false;
  }
  authFailures_.labels({auth.outcome == AuthResult::Outcome::Missing ? "missing" : "invalid"})
      .inc();
  response.set("WWW-Authenticate", "Basic realm=\"promsnmp\", charset=\"UTF-8\"");
  sendError(request, response, 401,
            auth.outcome == AuthResult::Outcome::Missing ? "credentials required (HTTP basic auth)"
                                                         : "invalid credentials");
  return false;
}

HttpApi::~HttpApi() = default;

Poco::Net::HTTPRequestHandler* HttpApi::createRequestHandler(const HTTPServerRequest&) {
  return new ApiHandler(*this);
}

void HttpApi::handle(HTTPServerRequest& request, HTTPServerResponse& response) {
  std::string path = pathOf(request);
  std::string routeName = path;
  auto route = routes_.find(path);
  if (context_.access != nullptr) {
    for (const auto& [name, value] : context_.access->headers()) {
      response.set(name, value);
    }
  }
  if (route == routes_.end() && path.rfind("/actuator/health/", 0) == 0) {
    route = routes_.find("/actuator/health");
    routeName = "/actuator/health/*";
  }
  if (route == routes_.end() && path.rfind("/promsnmp/discovery/", 0) == 0) {
    route = routes_.find("/promsnmp/discovery");
    routeName = "/promsnmp/discovery/*";
  }
  try {
    if (route == routes_.end()) {
      routeName = "other";
      sendError(request, response, 404, "no such endpoint");
    } else if (("," + route->second.methods + ",").find("," + request.getMethod() + ",") ==
               std::string::npos) {
      response.set("Allow", route->second.methods);
      sendError(request, response, 405, "method " + request.getMethod() + " not allowed here");
    } else if (authorize(request, response, route->second)) {
      (this->*(route->second.handler))(request, response);
    }
  } catch (const std::exception& e) {
    // Nothing a request does may take the server down; the client gets a 500 with the reason.
    if (!response.sent()) {
      sendError(request, response, 500, e.what());
    }
  }
  requests_.labels({routeName, std::to_string(static_cast<int>(response.getStatus()))}).inc();
}

void HttpApi::scrape(HTTPServerRequest& request, HTTPServerResponse& response) {
  std::string target = query(request, "target");
  if (target.empty()) {
    sendError(request, response, 400, "Required parameter 'target' is not present.");
    return;
  }
  if (!inventoryLoaded(request, response)) {
    return;  // 503, not "unknown target": the target may well be in the unreadable inventory
  }
  std::optional<double> timeout;
  if (request.has("X-Prometheus-Scrape-Timeout-Seconds")) {
    try {
      timeout = std::stod(request.get("X-Prometheus-Scrape-Timeout-Seconds"));
    } catch (const std::exception&) {
      sendError(request, response, 400, "X-Prometheus-Scrape-Timeout-Seconds is not a number");
      return;
    }
  }
  ScrapeReply reply;
  if (hasQuery(request, "module")) {
    // snmp_exporter's interface. Without `module`: a device's own modules if its inventory entry
    // names some, else PromSNMP's answer, byte for byte (Collector::scrape).
    ModuleScrapeRequest modules;
    modules.target = target;
    modules.modules = queryAll(request, "module");
    for (const char* single : {"auth", "snmp_context"}) {
      if (queryAll(request, single).size() > 1) {
        // snmp_exporter's words and form (main.go handler: http.Error), as the other 400s of
        // this interface (Collector::scrapeModules).
        send(request, response, 400, kTextPlain,
             std::string("'") + single + "' parameter must only be specified once\n");
        return;
      }
    }
    if (hasQuery(request, "auth")) {
      modules.auth = query(request, "auth");
    }
    if (hasQuery(request, "snmp_context")) {
      modules.context = query(request, "snmp_context");
    }
    reply = context_.collector.scrapeModules(modules, request.get("Accept", "*/*"), timeout,
                                             acceptsGzip(request));
  } else {
    reply = context_.collector.scrape(target, request.get("Accept", "*/*"), timeout,
                                      acceptsGzip(request));
  }

  sendEncoded(response, reply.status, reply.contentType, reply.contentEncoding, reply.body);
}

void HttpApi::metricsOrScrape(HTTPServerRequest& request, HTTPServerResponse& response) {
  // `/metrics?target=` is the Java v0.0.8 scrape path; plain `/metrics` is our own metrics.
  if (hasQuery(request, "target")) {
    scrape(request, response);
  } else {
    selfMetrics(request, response);
  }
}

void HttpApi::selfMetrics(HTTPServerRequest& request, HTTPServerResponse& response) {
  send(request, response, 200, "text/plain; version=0.0.4; charset=utf-8",
       context_.metrics.render());
}

bool HttpApi::inventoryLoaded(HTTPServerRequest& request, HTTPServerResponse& response) {
  InventoryState::Status status = context_.inventory.status();
  if (status.loaded) {
    return true;
  }
  // Never an empty list for "could not read": Prometheus would drop every target (I10).
  sendError(request, response, 503,
            "no inventory loaded yet" +
                (status.lastError.empty() ? std::string() : ": " + status.lastError));
  return false;
}

void HttpApi::targets(HTTPServerRequest& request, HTTPServerResponse& response) {
  // Prometheus HTTP SD: one group per device, metadata only, never a credential. A device with
  // modules names them in `__meta_promsnmp_modules` (and its auth in `__meta_promsnmp_auth`),
  // for relabelling: not as `__param_module`, since the plain /snmp?target= already serves a
  // device its modules (the same cache entry), where an explicit `module=` would make one
  // module no file defines a 400 for the whole scrape.
  if (!inventoryLoaded(request, response)) {
    return;
  }
  auto view = context_.inventory.current();
  Poco::JSON::Array groups;
  for (const inventoryfs::Device& device : view->inventory.devices) {
    auto target = view->targetFor(device);
    if (!target) {
      continue;
    }
    Poco::JSON::Object group;
    Poco::JSON::Array names;
    names.add(target->name);
    group.set("targets", names);
    Poco::JSON::Object labels;
    labels.set("__meta_promsnmp_address", target->address);
    labels.set("__meta_promsnmp_port", std::to_string(target->port));
    labels.set("__meta_promsnmp_snmp_version", versionName(target->version));
    labels.set("__meta_promsnmp_sys_name", device.sysName.value_or(""));
    labels.set("__meta_promsnmp_sys_location", device.sysLocation.value_or(""));
    labels.set("__meta_promsnmp_device_id", device.id.value_or(""));
    labels.set("__meta_promsnmp_inventory_version", std::to_string(view->version));
    if (hasModules(device)) {
      std::string joined;
      for (const std::string& module : deviceModuleNames(device)) {
        joined += (joined.empty() ? "" : ",") + module;
      }
      labels.set("__meta_promsnmp_modules", joined);
      if (device.auth) {
        labels.set("__meta_promsnmp_auth", *device.auth);
      }
    }
    group.set("labels", labels);
    groups.add(group);
  }
  send(request, response, 200, kJson, toJson(groups));
}

void HttpApi::inventory(HTTPServerRequest& request, HTTPServerResponse& response) {
  if (request.getMethod() != "POST") {
    if (!inventoryLoaded(request, response)) {
      return;
    }
    inventoryfs::JsonWriteOptions options;
    std::optional<bool> mask = maskCredentials(request, response);
    if (!mask) {
      return;
    }
    options.maskCredentials = *mask;
    send(request, response, 200, kJson,
         inventoryfs::inventoryToJson(context_.inventory.current()->inventory, options));
    return;
  }
  if (!context_.leadership.isLeader()) {
    sendError(request, response, 503,
              "this replica does not lead (" + context_.leadership.describe() +
                  "); inventory writes go to the leader");
    return;
  }
  std::optional<std::string> body = readBody(request, response);
  if (!body) {
    return;
  }
  inventoryfs::Inventory replacement;
  try {
    replacement = inventoryfs::inventoryFromJson(*body, {.strict = true});
  } catch (const inventoryfs::DataException& e) {
    sendError(request, response, 400, e.displayText());
    return;
  }
  // Java's replace semantics, except that a body removing every device, or more than half of
  // them, must say so (?force=true): one careless request must not empty the inventory. Checked
  // against the version actually replaced, inside the commit.
  const std::string forceText = query(request, "force");
  const bool force = forceText == "true" || forceText == "1";
  struct Refused {
    int status;
    std::string message;
  };
  try {
    if (commitAsLeader(request, response, [&](inventoryfs::Inventory& inventory) {
          const size_t removed = inventoryfs::devicesRemovedBy(inventory, replacement);
          if (!force && inventoryfs::replaceNeedsForce(removed, inventory.devices.size())) {
            throw Refused{
                409, inventoryfs::replaceRefusal(removed, inventory.devices.size(), "?force=true")};
          }
          inventoryfs::Inventory next = replacement;
          inventoryfs::markOperatorFields(inventory, next);
          // Modules and auths the body sets must be ones this daemon can poll.
          std::string unusable = unusableModuleNames(inventory, next, context_.modules);
          if (!unusable.empty()) {
            throw Refused{400, std::move(unusable)};
          }
          inventory = std::move(next);
        })) {
      send(request, response, 200, kTextPlain, "Inventory imported successfully.");
    }
  } catch (const Refused& refused) {
    sendError(request, response, refused.status, refused.message);
  }
}

void HttpApi::hello(HTTPServerRequest& request, HTTPServerResponse& response) {
  send(request, response, 200, kTextPlain, "Hello World");
}

void HttpApi::evictCache(HTTPServerRequest& request, HTTPServerResponse& response) {
  context_.collector.evictCache();
  send(request, response, 200, kTextPlain, "Cache cleared.");
}

void HttpApi::authProtocols(HTTPServerRequest& request, HTTPServerResponse& response) {
  send(request, response, 200, kJson, R"(["MD5","SHA","SHA224","SHA256","SHA384","SHA512"])");
}

void HttpApi::privProtocols(HTTPServerRequest& request, HTTPServerResponse& response) {
  send(request, response, 200, kJson, R"(["DES","AES128","AES192","AES256"])");
}

void HttpApi::leader(HTTPServerRequest& request, HTTPServerResponse& response) {
  bool leader = context_.leadership.isLeader();
  send(request, response, leader ? 200 : 503, kTextPlain,
       std::string(leader ? "leader" : "not leader") + " (" + context_.leadership.describe() +
           ")\n");
}

void HttpApi::elected(HTTPServerRequest& request, HTTPServerResponse& response) {
  // HAProxy sends a republish here: the share is broken then, so no replica passes
  // /promsnmp/leader's write check, but the elected one is still the one to write.
  bool elected = context_.leadership.isElected();
  send(request, response, elected ? 200 : 503, kTextPlain,
       std::string(elected ? "elected" : "not elected") + " (" + context_.leadership.describe() +
           ")\n");
}

// POST /promsnmp/inventory/republish[?empty=confirmed]: the operator's "trigger inventory sync"
// after the share came back empty or older (InventoryStore::republish).
void HttpApi::republish(HTTPServerRequest& request, HTTPServerResponse& response) {
  const std::string empty = query(request, "empty");
  if (!empty.empty() && empty != "confirmed") {
    sendError(request, response, 400, "empty= takes only 'confirmed'");
    return;
  }
  if (!context_.leadership.isElected()) {
    sendError(request, response, 503,
              "this replica is not elected (" + context_.leadership.describe() +
                  "); a republish goes to the elected replica");
    return;
  }
  try {
    const inventoryfs::Snapshot lastGood = context_.inventory.lastGood();
    const std::string clusterId =
        "republished-" + (lastGood.header.hasInventoryId() ? lastGood.header.inventoryIdHex()
                                                           : std::string("inventory"));
    const inventoryfs::CommitResult result =
        context_.leadership.republish(lastGood, empty == "confirmed", clusterId);
    context_.inventory.refresh();
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("ok", true);
    body->set("version", result.version);
    body->set("epoch", result.epoch);
    body->set("devices", lastGood.inventory.devices.size());
    body->set("inventoryId", lastGood.header.inventoryIdHex());
    body->set("republishedFrom", lastGood.version);
    send(request, response, 200, kJson, toJson(body));
  } catch (const Leadership::NotLeader& e) {
    sendError(request, response, 503, e.what());
  } catch (const inventoryfs::RepublishRefusedException& e) {
    sendError(request, response, 409, e.message());
  } catch (const inventoryfs::InventoryException& e) {
    sendError(request, response, 503,
              "nothing republished: " + e.displayText() +
                  " (a damaged share is repaired with promsnmp-inventory verify, rollback or "
                  "restore)");
  }
}

std::optional<std::string> HttpApi::readBody(HTTPServerRequest& request,
                                             HTTPServerResponse& response) {
  const std::string tooLarge = "request body larger than web.max_request_body (" +
                               std::to_string(context_.maxRequestBody) + " bytes)";
  if (request.getContentLength() > static_cast<std::streamsize>(context_.maxRequestBody)) {
    rejected_.labels({"body_size"}).inc();
    sendError(request, response, 413, tooLarge);
    return std::nullopt;
  }
  std::string body;
  Poco::StreamCopier::copyToString(request.stream(), body, context_.maxRequestBody + 1);
  if (body.size() > context_.maxRequestBody) {
    rejected_.labels({"body_size"}).inc();
    sendError(request, response, 413, tooLarge);
    return std::nullopt;
  }
  return body;
}

bool HttpApi::commitAsLeader(HTTPServerRequest& request, HTTPServerResponse& response,
                             const inventoryfs::InventoryStore::Change& change) {
  try {
    context_.leadership.commit(change);
  } catch (const Leadership::NotLeader& e) {
    sendError(request, response, 503, e.what());
    return false;
  } catch (const inventoryfs::FencedException& e) {
    sendError(request, response, 503, "stepped down: " + e.displayText());
    return false;
  } catch (const inventoryfs::InventoryException& e) {
    sendError(request, response, 503, "inventory not written: " + e.displayText());
    return false;
  }
  context_.inventory.refresh();
  return true;
}

void HttpApi::discovery(HTTPServerRequest& request, HTTPServerResponse& response) {
  // /promsnmp/discovery[/{seed id}] (Java) and /promsnmp/discovery/runs[/{run id}] (ours).
  const std::string rest = pathOf(request).substr(std::string("/promsnmp/discovery").size());
  const std::string method = request.getMethod();
  if (rest == "/runs" || rest.rfind("/runs/", 0) == 0) {
    discoveryRuns(request, response, rest == "/runs" ? "" : rest.substr(6));
    return;
  }
  if (!rest.empty() && (rest.size() < 2 || rest.find('/', 1) != std::string::npos)) {
    sendError(request, response, 404, "no such endpoint");
    return;
  }
  const std::string seedId = rest.empty() ? "" : rest.substr(1);
  if (!seedId.empty() && !isUuid(seedId)) {
    sendError(request, response, 400, "not a seed id (a UUID): " + seedId);
    return;
  }
  auto view = context_.inventory.current();
  inventoryfs::JsonWriteOptions masked;
  if (method == "GET" || method == "HEAD") {
    if (!inventoryLoaded(request, response)) {
      return;
    }
    std::optional<bool> mask = maskCredentials(request, response);  // seeds hold communities
    if (!mask) {
      return;
    }
    masked.maskCredentials = *mask;
    if (seedId.empty()) {
      std::string body = "[";
      for (const inventoryfs::DiscoverySeed& seed : view->inventory.discoverySeeds) {
        body += (body.size() > 1 ? "," : "") + inventoryfs::seedToJson(seed, masked);
      }
      send(request, response, 200, kJson, body + "]");
      return;
    }
    for (const inventoryfs::DiscoverySeed& seed : view->inventory.discoverySeeds) {
      if (seed.id == seedId) {
        send(request, response, 200, kJson, inventoryfs::seedToJson(seed, masked));
        return;
      }
    }
    send(request, response, 404, kTextPlain, "");
    return;
  }
  if (!rest.empty() && method == "POST") {
    response.set("Allow", "GET,HEAD,DELETE");
    sendError(request, response, 405, "method POST not allowed here");
    return;
  }
  if (!context_.leadership.isLeader()) {
    sendError(request, response, 503,
              "this replica does not lead (" + context_.leadership.describe() +
                  "); send discovery requests to the leader");
    return;
  }
  if (method == "DELETE") {
    deleteSeeds(request, response, seedId);
    return;
  }
  startDiscovery(request, response);
}

void HttpApi::startDiscovery(HTTPServerRequest& request, HTTPServerResponse& response) {
  if (context_.discovery == nullptr) {
    sendError(request, response, 503, "discovery is not running on this replica");
    return;
  }
  auto flag = [&](const std::string& name, bool fallback) -> std::optional<bool> {
    if (!hasQuery(request, name)) {
      return fallback;
    }
    std::string value = query(request, name);
    std::transform(value.begin(), value.end(), value.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (value == "true" || value == "1") {
      return true;
    }
    if (value == "false" || value == "0") {
      return false;
    }
    return std::nullopt;
  };
  std::optional<bool> scheduleNow = flag("scheduleNow", true);
  std::optional<bool> saveSeed = flag("saveSeed", false);
  if (!scheduleNow || !saveSeed) {
    sendError(request, response, 400, "scheduleNow and saveSeed take true or false");
    return;
  }
  {
    // The rate limit: a token bucket refilled evenly, per replica.
    std::lock_guard<std::mutex> lock(bucketMutex_);
    auto now = std::chrono::steady_clock::now();
    const double perSecond = context_.discoveryRequestsPerMinute / 60.0;
    bucketTokens_ = std::min(
        context_.discoveryRequestsPerMinute,
        bucketTokens_ + perSecond * std::chrono::duration<double>(now - bucketAt_).count());
    bucketAt_ = now;
    if (bucketTokens_ < 1) {
      rejected_.labels({"discovery_rate"}).inc();
      response.set("Retry-After",
                   std::to_string(static_cast<int>(std::ceil((1 - bucketTokens_) / perSecond))));
      sendError(request, response, 429,
                "more than " + formatDouble(context_.discoveryRequestsPerMinute) +
                    " discovery requests per minute (discovery.max_requests_per_minute)");
      return;
    }
    bucketTokens_ -= 1;
  }
  std::optional<std::string> body = readBody(request, response);
  if (!body) {
    return;
  }
  std::vector<inventoryfs::DiscoverySeed> seeds;
  try {
    seeds = parseDiscoveryRequest(*body, context_.discoveryMaxAddresses);
  } catch (const DiscoveryTooLargeException& e) {
    rejected_.labels({"discovery_addresses"}).inc();
    sendError(request, response, 400, e.message());
    return;
  } catch (const Poco::InvalidArgumentException& e) {
    // Java answered the bare message as text/plain; like every other error here it is now
    // Spring's JSON error body, the message in "message" (README, "Moving from the Java PromSNMP").
    sendError(request, response, 400, e.message());
    return;
  }
  // Java: scheduleNow=false saves the seed only; saveSeed=true also keeps a scanned seed.
  std::vector<inventoryfs::DiscoverySeed> scan = *scheduleNow ? seeds : decltype(seeds){};
  std::vector<inventoryfs::DiscoverySeed> save =
      (!*scheduleNow || *saveSeed) ? seeds : decltype(seeds){};
  try {
    std::string id = context_.discovery->submit(DiscoveryService::Trigger::Api, std::move(scan),
                                                std::move(save));
    response.set("Location", "/promsnmp/discovery/runs/" + id);
    response.set("X-Discovery-Run", id);
    send(request, response, 202, kTextPlain, "Discovery request accepted.");
  } catch (const DiscoveryService::Busy& e) {
    rejected_.labels({"discovery_queue"}).inc();
    response.set("Retry-After", "30");
    sendError(request, response, 429, e.what());
  } catch (const Leadership::NotLeader& e) {
    sendError(request, response, 503, e.what());
  }
}

void HttpApi::deleteSeeds(HTTPServerRequest& request, HTTPServerResponse& response,
                          const std::string& seedId) {
  if (!seedId.empty()) {
    const auto& saved = context_.inventory.current()->inventory.discoverySeeds;
    if (std::none_of(saved.begin(), saved.end(),
                     [&](const inventoryfs::DiscoverySeed& s) { return s.id == seedId; })) {
      send(request, response, 404, kTextPlain, "");
      return;
    }
  }
  auto removeSeeds = [&seedId](inventoryfs::Inventory& inventory) {
    auto& seeds = inventory.discoverySeeds;
    seeds.erase(std::remove_if(seeds.begin(), seeds.end(),
                               [&](const inventoryfs::DiscoverySeed& s) {
                                 return seedId.empty() || s.id == seedId;
                               }),
                seeds.end());
  };
  if (commitAsLeader(request, response, removeSeeds)) {
    send(request, response, 200, kTextPlain,
         seedId.empty() ? "All discovery seeds deleted." : "Seed deleted: " + seedId);
  }
}

void HttpApi::discoveryRuns(HTTPServerRequest& request, HTTPServerResponse& response,
                            const std::string& runId) {
  if (request.getMethod() != "GET" && request.getMethod() != "HEAD") {
    response.set("Allow", "GET,HEAD");
    sendError(request, response, 405, "method " + request.getMethod() + " not allowed here");
    return;
  }
  if (context_.discovery == nullptr) {
    send(request, response, 200, kJson, "[]");
    return;
  }
  if (runId.empty()) {
    send(request, response, 200, kJson, context_.discovery->runsJson());
    return;
  }
  std::optional<std::string> json = context_.discovery->runJson(runId);
  if (!json) {
    sendError(request, response, 404, "no discovery run " + runId + " on this replica");
    return;
  }
  send(request, response, 200, kJson, *json);
}

void HttpApi::health(HTTPServerRequest& request, HTTPServerResponse& response) {
  bool ready = context_.lifecycle.ready && !context_.lifecycle.draining;
  InventoryState::Status inventory = context_.inventory.status();

  Poco::JSON::Object::Ptr components = new Poco::JSON::Object;
  auto component = [](const std::string& status) {
    Poco::JSON::Object::Ptr c = new Poco::JSON::Object;
    c->set("status", status);
    return c;
  };
  components->set("ping", component("UP"));
  components->set("livenessState", component("UP"));
  components->set("readinessState", component(ready ? "UP" : "OUT_OF_SERVICE"));
  Poco::JSON::Object::Ptr inv = component(inventory.loaded ? "UP" : "DOWN");
  Poco::JSON::Object::Ptr details = new Poco::JSON::Object;
  details->set("version", inventory.version);
  details->set("epoch", inventory.epoch);
  details->set("inventoryId", inventory.inventoryId);
  details->set("devices", inventory.devices);
  details->set("source", inventory.fromLocalReplica ? "local replica" : "share");
  details->set("share", inventory.lastError.empty() || !inventory.shareProblem
                            ? "ok"
                            : inventoryfs::shareProblemName(*inventory.shareProblem));
  if (!inventory.lastError.empty()) {
    // Degraded, not down: the last good inventory is still served (and every replica sharing
    // the broken share would otherwise leave the load balancer at once).
    details->set("error", inventory.lastError);
  }
  if (const auto& warnings = context_.store.keys().warnings(); !warnings.empty()) {
    Poco::JSON::Array keyWarnings;  // whitespace in key settings (Keyring::warnings)
    for (const std::string& warning : warnings) {
      keyWarnings.add(warning);
    }
    details->set("keyWarnings", keyWarnings);
  }
  inv->set("details", details);
  components->set("inventory", inv);
  std::vector<TargetState> targets = context_.collector.targetStates();
  size_t up = 0;
  for (const TargetState& t : targets) {
    up += t.up ? 1 : 0;
  }
  Poco::JSON::Object::Ptr snmp = component("UP");
  Poco::JSON::Object::Ptr snmpDetails = new Poco::JSON::Object;
  snmpDetails->set("targets", targets.size());
  snmpDetails->set("up", up);
  snmp->set("details", snmpDetails);
  components->set("snmp", snmp);
  if (context_.modules != nullptr) {
    // Degraded, never down: a module file that failed to reload leaves the last good set served.
    ModuleRegistry::Status loaded = context_.modules->status();
    Poco::JSON::Object::Ptr modules = component("UP");
    Poco::JSON::Object::Ptr moduleDetails = new Poco::JSON::Object;
    moduleDetails->set("modules", loaded.modules);
    moduleDetails->set("auths", loaded.auths);
    Poco::JSON::Array files;
    for (const std::string& file : loaded.files) {
      files.add(file);
    }
    moduleDetails->set("files", files);
    if (!loaded.lastLoadOk) {
      moduleDetails->set("error", loaded.lastError);
    }
    // Degraded too: such a device is polled with the modules that are defined.
    std::map<std::string, std::string> problems = context_.collector.deviceModuleProblems();
    if (!problems.empty()) {
      Poco::JSON::Object devices;
      for (const auto& [target, problem] : problems) {
        devices.set(target, problem);
      }
      moduleDetails->set("devices", devices);
    }
    modules->set("details", moduleDetails);
    components->set("modules", modules);
  }
  if (context_.profiles != nullptr) {
    // Degraded, never down: a failed reload leaves the last good profiles classifying.
    ProfileRegistry::Status loaded = context_.profiles->status();
    Poco::JSON::Object::Ptr profiles = component("UP");
    Poco::JSON::Object::Ptr profileDetails = new Poco::JSON::Object;
    profileDetails->set("profiles", loaded.profiles);
    Poco::JSON::Array files;
    for (const std::string& file : loaded.files) {
      files.add(file);
    }
    profileDetails->set("files", files);
    if (!loaded.warnings.empty()) {
      Poco::JSON::Array warnings;
      for (const std::string& warning : loaded.warnings) {
        warnings.add(warning);
      }
      profileDetails->set("warnings", warnings);
    }
    if (!loaded.lastLoadOk) {
      profileDetails->set("error", loaded.lastError);
    }
    profiles->set("details", profileDetails);
    components->set("profiles", profiles);
  }

  std::string path = pathOf(request);
  std::string status;
  Poco::JSON::Object body;
  if (path == "/actuator/health" || path == "/actuator/health/") {
    status = !inventory.loaded ? "DOWN" : ready ? "UP" : "OUT_OF_SERVICE";
    body.set("status", status);
    body.set("components", components);
    Poco::JSON::Array groups;
    groups.add("liveness");
    groups.add("readiness");
    body.set("groups", groups);
  } else if (path == "/actuator/health/liveness") {
    status = "UP";  // never depends on Redis, the share or devices
    body.set("status", status);
  } else if (path == "/actuator/health/readiness") {
    status = ready && inventory.loaded ? "UP" : "OUT_OF_SERVICE";
    body.set("status", status);
  } else {
    std::string name = path.substr(std::string("/actuator/health/").size());
    if (!components->has(name)) {
      sendError(request, response, 404, "no health component or group named '" + name + "'");
      return;
    }
    Poco::JSON::Object::Ptr c = components->getObject(name);
    status = c->getValue<std::string>("status");
    body = *c;
  }
  int code = status == "DOWN" || status == "OUT_OF_SERVICE" ? 503 : 200;
  send(request, response, code, "application/vnd.spring-boot.actuator.v3+json", toJson(body));
}

void HttpApi::healthy(HTTPServerRequest& request, HTTPServerResponse& response) {
  send(request, response, 200, kTextPlain, "Healthy.\n");
}

void HttpApi::ready(HTTPServerRequest& request, HTTPServerResponse& response) {
  bool ready = context_.lifecycle.ready && !context_.lifecycle.draining &&
               context_.inventory.status().loaded;
  send(request, response, ready ? 200 : 503, kTextPlain, ready ? "Ready.\n" : "Not ready.\n");
}

void HttpApi::reload(HTTPServerRequest& request, HTTPServerResponse& response) {
  std::string error = context_.reload();
  if (error.empty()) {
    send(request, response, 200, kTextPlain, "Reloaded.\n");
  } else {
    sendError(request, response, 500, "reload failed, keeping the running config: " + error);
  }
}

void HttpApi::config(HTTPServerRequest& request, HTTPServerResponse& response) {
  send(request, response, 200, kTextPlain, context_.describeConfig());
}

ReplicaReport HttpApi::localReport() const {
  ReplicaReport r;
  r.replica = context_.replicaId;
  r.writerId = context_.store.writerIdHex();
  r.role = context_.leadership.describe();
  r.leading = context_.leadership.isLeader();
  r.elected = context_.leadership.isElected();
  r.holder = context_.leadership.holder();
  auto status = context_.inventory.status();
  const bool ready = context_.lifecycle.ready && !context_.lifecycle.draining && status.loaded;
  r.health = !status.loaded ? "DOWN" : ready ? "UP" : "OUT_OF_SERVICE";
  r.version = status.version;
  r.epoch = status.epoch;
  r.inventoryDevices = status.devices;
  if (!status.lastError.empty()) {
    r.share = inventoryfs::shareProblemName(
        status.shareProblem.value_or(inventoryfs::ShareProblem::StorageError));
    r.shareError = status.lastError;
  }
  auto msSince = [](std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  };
  r.startedAtMs = msSince(context_.startedAt);
  r.nowMs = msSince(std::chrono::system_clock::now());
  auto view = context_.inventory.current();
  for (const TargetState& t : context_.collector.targetStates()) {
    if (!t.polled) {
      continue;  // polled by another replica, or by none
    }
    DeviceReport d;
    d.name = t.name;
    d.up = t.up;
    d.error = t.error;
    d.ageSeconds = t.ageSeconds;
    d.durationSeconds = t.durationSeconds;
    d.dataAgeSeconds = t.dataAgeSeconds;
    const inventoryfs::Device* device = view->find(t.name);
    // No interface count for a module-set poll, nor before a good poll.
    const bool counted = (device == nullptr || !hasModules(*device)) && t.dataAgeSeconds >= 0;
    d.interfaces = counted ? static_cast<int64_t>(t.interfaces) : -1;
    d.polls = t.polls;
    d.failures = t.failures;
    d.recent = t.recent;
    r.devices.push_back(std::move(d));
  }
  if (context_.discovery != nullptr) {
    std::vector<DiscoveryService::Run> runs = context_.discovery->runs();
    std::sort(runs.begin(), runs.end(),
              [](const auto& a, const auto& b) { return a.queuedAt > b.queuedAt; });
    for (size_t i = 0; i < runs.size() && i < 10; ++i) {
      const DiscoveryService::Run& run = runs[i];
      RunReport out;
      out.id = run.id;
      out.trigger = DiscoveryService::triggerName(run.trigger);
      out.state = DiscoveryService::stateName(run.state);
      out.startedAtMs = run.startedAt.time_since_epoch().count() == 0 ? 0 : msSince(run.startedAt);
      out.finishedAtMs =
          run.finishedAt.time_since_epoch().count() == 0 ? 0 : msSince(run.finishedAt);
      out.seeds = run.seeds;
      out.found = run.found;
      out.added = run.merge.newDevices;
      out.changed = run.merge.updatedDevices + run.merge.newAgents;
      out.version = run.version;
      out.error = run.error;
      r.runs.push_back(std::move(out));
    }
  }
  return r;
}

std::vector<InventoryVersion> HttpApi::inventoryHistory() {
  const uint64_t version = context_.inventory.status().version;
  {
    std::lock_guard<std::mutex> lock(siteMutex_);
    if (version == historyVersion_) {
      return history_;
    }
  }
  std::vector<InventoryVersion> history;
  try {
    for (const inventoryfs::Header& h : context_.store.keptHeaders()) {
      history.push_back(InventoryVersion{h.version, h.epoch, h.writerIdHex(),
                                         (h.flags & inventoryfs::kFlagAdminWrite) != 0,
                                         h.createdAtMs});
    }
  } catch (const std::exception&) {
    // The share cannot be listed now: the page says what the replicas say about it.
  }
  std::lock_guard<std::mutex> lock(siteMutex_);
  historyVersion_ = version;
  history_ = history;
  return history;
}

void HttpApi::siteReplica(HTTPServerRequest& request, HTTPServerResponse& response) {
  send(request, response, 200, kJson, toJson(localReport()));
}

void HttpApi::landing(HTTPServerRequest& request, HTTPServerResponse& response) {
  SitePageInput in;
  in.local = localReport();
  std::map<std::string, std::string> configured;  // URL → the name site.peers gives it
  std::vector<std::string> urls = expandPeers(context_.peers, in.problems, configured);
  const std::string authorization = request.get("Authorization", "");
  in.answers = askPeers(urls, authorization, kPeerTimeout);
  {
    std::lock_guard<std::mutex> lock(siteMutex_);
    for (const PeerAnswer& a : in.answers) {
      if (a.report) {
        peerNames_[a.url] = a.report->replica;
      }
    }
    in.knownNames = configured;
    for (const auto& [url, name] : peerNames_) {
      in.knownNames[url] = name;  // the name it answered with wins
    }
  }
  auto status = context_.inventory.status();
  if (!status.lastError.empty()) {
    in.shareProblemWords = inventoryfs::shareProblemWords(
        status.shareProblem.value_or(inventoryfs::ShareProblem::StorageError));
  }
  auto view = context_.inventory.current();
  for (const inventoryfs::Device& device : view->inventory.devices) {
    std::optional<SnmpTarget> target = view->targetFor(device);
    if (!target) {
      continue;
    }
    SiteDevice d;
    d.name = target->name;
    d.address = target->address + ":" + std::to_string(target->port);
    if (device.profile) {
      d.profile = device.profile->name;
      d.reason = device.profile->reason.value_or("");
    }
    if (device.modules) {
      for (const std::string& m : *device.modules) {
        d.modules += (d.modules.empty() ? "" : ", ") + m;
      }
    }
    in.devices.push_back(std::move(d));
  }
  in.history = inventoryHistory();
  in.localModuleSets = context_.collector.moduleSetStates();
  if (context_.access != nullptr) {
    AuthResult auth = context_.access->check(authorization);
    in.viewer = auth.user;
    in.admin = auth.allows(Scope::Admin);
  }
  in.refreshSeconds = kSiteRefreshSeconds;
  in.nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  in.filter = query(request, "q");
  send(request, response, 200, "text/html; charset=utf-8", renderSitePage(in));
}

}  // namespace promsnmp
