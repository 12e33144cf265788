#include "StatusServer.h"

#include <sstream>
#include <utility>

#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/URI.h>

#include "StatusPage.h"

namespace elector {
namespace {

using Poco::Net::HTTPRequest;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

void send(HTTPServerRequest& request, HTTPServerResponse& response, HTTPResponse::HTTPStatus status,
          const std::string& contentType, const std::string& body) {
  response.setStatusAndReason(status);  // setStatus() would keep "OK" as the reason
  response.setContentType(contentType);
  // Scrapers and probes must always see the current state, never a cached copy.
  response.set("Cache-Control", "no-cache, no-store");
  response.setContentLength(static_cast<std::streamsize>(body.size()));
  if (request.getMethod() == HTTPRequest::HTTP_HEAD) {
    response.send();
  } else {
    response.sendBuffer(body.data(), body.size());
  }
}

/// `/health` as text: `?format=text`, or an Accept header asking for text/plain (and not
/// for JSON); `?format=json` forces JSON.
bool wantsText(const HTTPServerRequest& request) {
  std::string format;
  try {
    for (const auto& [name, value] : Poco::URI(request.getURI()).getQueryParameters()) {
      if (name == "format") {
        format = value;
      }
    }
  } catch (const Poco::SyntaxException&) {
    // A malformed query asks for nothing: the default form.
  }
  if (!format.empty()) {
    return format == "text";
  }
  const std::string accept = request.get("Accept", "");
  return accept.find("text/plain") != std::string::npos &&
         accept.find("application/json") == std::string::npos;
}

class StatusHandler : public Poco::Net::HTTPRequestHandler {
 public:
  StatusHandler(const ElectorMetrics& metrics, const ElectorStatus& status, const Clock& clock,
                std::chrono::milliseconds lease)
      : metrics_(metrics), status_(status), clock_(clock), lease_(lease) {}

  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    const std::string path = request.getURI().substr(0, request.getURI().find('?'));
    if (path != "/" && path != "/health" && path != "/metrics" && path != "/healthz") {
      send(request, response, HTTPResponse::HTTP_NOT_FOUND, "text/plain; charset=utf-8",
           "not found: try /, /health, /metrics or /healthz\n");
      return;
    }
    if (request.getMethod() != HTTPRequest::HTTP_GET &&
        request.getMethod() != HTTPRequest::HTTP_HEAD) {
      response.set("Allow", "GET, HEAD");
      send(request, response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
           "method not allowed\n");
      return;
    }
    if (path == "/metrics") {
      send(request, response, HTTPResponse::HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
           metrics_.render());
      return;
    }
    if (path == "/") {
      send(request, response, HTTPResponse::HTTP_OK, "text/html; charset=utf-8",
           renderStatusPage(status_.snapshot()));
      return;
    }
    if (path == "/health") {
      const ElectorStatus::Snapshot snapshot = status_.snapshot();
      const auto code =
          snapshot.up ? HTTPResponse::HTTP_OK : HTTPResponse::HTTP_SERVICE_UNAVAILABLE;
      if (wantsText(request)) {
        send(request, response, code, "text/plain; charset=utf-8", renderHealthText(snapshot));
      } else {
        send(request, response, code, "application/json", renderHealthJson(snapshot));
      }
      return;
    }
    const ElectorMetrics::Health health = metrics_.health(clock_.steadyNow(), lease_);
    Poco::JSON::Object body;
    body.set("status", health.healthy ? "ok" : "failing");
    body.set("role", health.leader ? "leader" : "follower");
    body.set("backend", health.backend);
    body.set("holder", health.holder);
    body.set("epoch", health.epoch);
    body.set("failing_ms", static_cast<Poco::Int64>(health.failingFor.count()));
    if (!health.collector.empty()) {
      body.set("collector", health.collector);
    }
    if (!health.detail.empty()) {
      body.set("detail", health.detail);
    }
    std::ostringstream text;
    body.stringify(text);
    text << "\n";
    send(request, response,
         health.healthy ? HTTPResponse::HTTP_OK : HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
         "application/json", text.str());
  }

 private:
  const ElectorMetrics& metrics_;
  const ElectorStatus& status_;
  const Clock& clock_;
  const std::chrono::milliseconds lease_;
};

class StatusHandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  StatusHandlerFactory(const ElectorMetrics& metrics, const ElectorStatus& status,
                       const Clock& clock, std::chrono::milliseconds lease)
      : metrics_(metrics), status_(status), clock_(clock), lease_(lease) {}

  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new StatusHandler(metrics_, status_, clock_, lease_);
  }

 private:
  const ElectorMetrics& metrics_;
  const ElectorStatus& status_;
  const Clock& clock_;
  const std::chrono::milliseconds lease_;
};

}  // namespace

StatusServer::StatusServer(std::string address, const ElectorMetrics& metrics,
                           const ElectorStatus& status, const Clock& clock,
                           std::chrono::milliseconds lease)
    : address_(std::move(address)),
      metrics_(metrics),
      status_(status),
      clock_(clock),
      lease_(lease) {}

StatusServer::~StatusServer() { stop(); }

void StatusServer::start() {
  // ":port" means every interface, as in the collector's web.listen_address.
  const std::string address =
      !address_.empty() && address_.front() == ':' ? "0.0.0.0" + address_ : address_;
  // Without SO_REUSEPORT (POCO's ServerSocket constructor sets it): a second elector on the
  // same port must fail to bind, not silently share the port and answer for the other.
  Poco::Net::ServerSocket socket;
  socket.bind(Poco::Net::SocketAddress(address), true, false);
  socket.listen(16);
  port_ = socket.address().port();
  Poco::AutoPtr<Poco::Net::HTTPServerParams> params(new Poco::Net::HTTPServerParams);
  params->setMaxThreads(2);  // a scraper and a probe; anything more waits in the queue
  params->setMaxQueued(16);
  params->setKeepAlive(false);
  params->setTimeout(Poco::Timespan(5, 0));
  server_ = std::make_unique<Poco::Net::HTTPServer>(
      new StatusHandlerFactory(metrics_, status_, clock_, lease_), socket, params);
  server_->start();
}

void StatusServer::stop() {
  if (server_) {
    server_->stopAll(true);
    server_.reset();
  }
}

}  // namespace elector
