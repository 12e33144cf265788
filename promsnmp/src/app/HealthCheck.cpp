#include "app/HealthCheck.h"

#include <iostream>
#include <optional>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include "app/CommandLine.h"
#include "config/Config.h"
#include "inventoryfs/Keyring.h"

namespace promsnmp {

std::string readinessUrlFor(const std::string& listenAddress) {
  const auto colon = listenAddress.rfind(':');
  std::string host = colon == std::string::npos ? "" : listenAddress.substr(0, colon);
  const std::string port = listenAddress.substr(colon == std::string::npos ? 0 : colon + 1);
  if (host.empty() || host == "0.0.0.0") {
    host = "127.0.0.1";
  } else if (host == "[::]") {
    host = "[::1]";
  }
  return "http://" + host + ":" + port + "/actuator/health/readiness";
}

int runHealthCheck(const std::vector<std::string>& args) {
  std::string url;
  double timeoutSeconds = 3;
  std::vector<std::string> daemonArgs;  // everything else is a daemon flag (config sources)
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto valueOf = [&](const std::string& name) -> std::optional<std::string> {
      if (arg == "--" + name && i + 1 < args.size()) {
        return args[++i];
      }
      if (arg.rfind("--" + name + "=", 0) == 0) {
        return arg.substr(name.size() + 3);
      }
      return std::nullopt;
    };
    if (auto v = valueOf("url")) {
      url = *v;
    } else if (auto t = valueOf("timeout")) {
      try {
        timeoutSeconds = std::stod(*t);
      } catch (const std::exception&) {
        std::cerr << "promsnmp healthcheck: --timeout takes seconds, not '" << *t << "'\n";
        return kExitUsage;
      }
    } else {
      daemonArgs.push_back(arg);
    }
  }
  if (url.empty()) {
    try {
      CommandLine commandLine = parseCommandLine(daemonArgs);
      ConfigSources sources;
      sources.file = commandLine.configFile;
      sources.env = inventoryfs::Keyring::processEnvironment();
      sources.flags = commandLine.settingFlags;
      url = readinessUrlFor(loadConfig(sources).listenAddress);
    } catch (const UsageException& e) {
      std::cerr << "promsnmp healthcheck: " << e.message() << "\n";
      return kExitUsage;
    } catch (const ConfigException& e) {
      std::cerr << "promsnmp healthcheck: " << e.message() << "\n";
      return kExitConfig;
    }
  }
  try {
    Poco::URI uri(url);
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(static_cast<long>(timeoutSeconds * 1e6)));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, uri.getPathAndQuery(),
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& body = session.receiveResponse(response);
    std::string text;
    Poco::StreamCopier::copyToString(body, text, 4096);
    const int status = static_cast<int>(response.getStatus());
    std::cout << url << " " << status << " " << text << "\n";
    return status == 200 ? 0 : 1;
  } catch (const Poco::Exception& e) {
    std::cerr << "promsnmp healthcheck: " << url << ": " << e.displayText() << "\n";
    return 1;
  }
}

}  // namespace promsnmp
