#include "site/PeerClient.h"

#include <algorithm>
#include <future>
#include <memory>
#include <sstream>

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/DNS.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/HostEntry.h>
#include <Poco/NumberParser.h>
#include <Poco/StreamCopier.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

namespace promsnmp {
namespace {

constexpr size_t kMaxPeers = 64;         // a site page asks at most this many
constexpr size_t kMaxAnswer = 8u << 20;  // a report larger than this is refused

/// The client TLS context for https peers: the system's CAs, names checked.
Poco::Net::Context::Ptr clientContext() {
  static Poco::Net::Context::Ptr context = new Poco::Net::Context(
      Poco::Net::Context::TLS_CLIENT_USE, "", Poco::Net::Context::VERIFY_RELAXED, 9, true);
  return context;
}

PeerAnswer ask(const std::string& url, const std::string& authorization,
               std::chrono::milliseconds timeout) {
  PeerAnswer answer;
  answer.url = url;
  const auto started = std::chrono::steady_clock::now();
  try {
    Poco::URI uri(url);
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (uri.getScheme() == "https") {
      session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(),
                                                                clientContext());
    } else {
      session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    }
    const Poco::Timespan span(static_cast<Poco::Timespan::TimeDiff>(timeout.count()) * 1000);
    session->setTimeout(span, span, span);
    session->setKeepAlive(false);
    std::string path = uri.getPath();
    while (!path.empty() && path.back() == '/') {
      path.pop_back();
    }
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET,
                                   path + "/promsnmp/site/replica",
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.setHost(uri.getHost(), uri.getPort());
    if (!authorization.empty()) {
      request.set("Authorization", authorization);
    }
    session->sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    answer.status = static_cast<int>(response.getStatus());
    std::string body;
    char chunk[65536];
    while (body.size() <= kMaxAnswer && (in.read(chunk, sizeof(chunk)) || in.gcount() > 0)) {
      body.append(chunk, static_cast<size_t>(in.gcount()));
    }
    if (body.size() > kMaxAnswer) {
      answer.error = "answer larger than 8 MiB";
    } else if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK) {
      answer.error = "HTTP " + std::to_string(static_cast<int>(response.getStatus())) + " " +
                     response.getReason();
    } else {
      answer.report = parseReplicaReport(body);
    }
  } catch (const Poco::TimeoutException&) {
    answer.error = "no answer within " + std::to_string(timeout.count()) + " ms";
  } catch (const Poco::Exception& e) {
    answer.error = e.displayText();
  } catch (const std::exception& e) {
    answer.error = e.what();
  }
  answer.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return answer;
}

}  // namespace

std::vector<std::string> expandPeers(const std::vector<std::string>& peers,
                                     std::vector<std::string>& problems,
                                     std::map<std::string, std::string>& names) {
  std::vector<std::string> urls;
  auto add = [&](std::string url, const std::string& name = "") {
    while (!url.empty() && url.back() == '/') {
      url.pop_back();
    }
    if (!name.empty()) {
      names[url] = name;
    }
    if (std::find(urls.begin(), urls.end(), url) == urls.end() && urls.size() < kMaxPeers) {
      urls.push_back(std::move(url));
    }
  };
  for (const std::string& entry : peers) {
    std::string peer = entry;
    std::string name;
    if (const size_t equals = entry.find('='); equals != std::string::npos) {
      name = entry.substr(0, equals);
      peer = entry.substr(equals + 1);
      if (name.empty() || peer.rfind("http", 0) != 0) {
        problems.push_back("site.peers: '" + entry + "' is not REPLICA=http(s)://host:port");
        continue;
      }
    }
    if (peer.rfind("dns:", 0) == 0) {
      const std::string rest = peer.substr(4);
      const size_t colon = rest.rfind(':');
      unsigned port = 0;
      if (colon == std::string::npos || colon == 0 ||
          !Poco::NumberParser::tryParseUnsigned(rest.substr(colon + 1), port) || port == 0 ||
          port > 65535) {
        problems.push_back("site.peers: '" + peer + "' is not dns:NAME:PORT");
        continue;
      }
      try {
        Poco::Net::HostEntry entry = Poco::Net::DNS::resolve(rest.substr(0, colon));
        std::vector<std::string> addresses;
        for (const Poco::Net::IPAddress& address : entry.addresses()) {
          const std::string text = address.toString();
          addresses.push_back(address.family() == Poco::Net::IPAddress::IPv6 ? "[" + text + "]"
                                                                             : text);
        }
        std::sort(addresses.begin(), addresses.end());
        for (const std::string& address : addresses) {
          add("http://" + address + ":" + std::to_string(port));
        }
      } catch (const Poco::Exception& e) {
        problems.push_back("site.peers: " + peer + ": " + e.displayText());
      }
    } else if (peer.rfind("http://", 0) == 0 || peer.rfind("https://", 0) == 0) {
      add(peer, name);
    } else {
      problems.push_back("site.peers: '" + entry +
                         "' is none of http(s)://host:port, REPLICA=http(s)://host:port, "
                         "dns:NAME:PORT");
    }
  }
  return urls;
}

std::vector<PeerAnswer> askPeers(const std::vector<std::string>& urls,
                                 const std::string& authorization,
                                 std::chrono::milliseconds timeout) {
  std::vector<std::future<PeerAnswer>> pending;
  pending.reserve(urls.size());
  for (const std::string& url : urls) {
    pending.push_back(std::async(std::launch::async, ask, url, authorization, timeout));
  }
  std::vector<PeerAnswer> answers;
  answers.reserve(urls.size());
  for (auto& answer : pending) {
    answers.push_back(answer.get());
  }
  return answers;
}

}  // namespace promsnmp
