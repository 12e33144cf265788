#include "HttpLeaderSource.h"

#include <istream>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Timespan.h>

namespace elector {
namespace {

/// The sidecar's answer is a few dozen bytes; anything longer is not its answer and is cut off
/// (the JSON then fails to parse, which fails closed).
constexpr std::size_t kMaxBodyBytes = 4096;

}  // namespace

HttpLeaderSource::HttpLeaderSource(const std::string& url, std::chrono::milliseconds timeout)
    : uri_(url), timeout_(timeout) {
  if (uri_.getScheme() != "http" || uri_.getHost().empty()) {
    throw Poco::InvalidArgumentException("kubernetes.url: expected http://host[:port][/path]", url);
  }
  if (timeout_.count() <= 0) {
    throw Poco::InvalidArgumentException("kubernetes.timeout_ms: must be positive");
  }
}

LeaderAnswer HttpLeaderSource::fetch() {
  LeaderAnswer answer;
  try {
    Poco::Net::HTTPClientSession session(uri_.getHost(), uri_.getPort());
    const Poco::Timespan timeout(static_cast<Poco::Timespan::TimeDiff>(timeout_.count()) * 1000);
    session.setTimeout(timeout, timeout, timeout);
    session.setKeepAlive(false);
    const std::string path = uri_.getPathAndQuery().empty() ? "/" : uri_.getPathAndQuery();
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Accept", "application/json");
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    answer.status = static_cast<int>(response.getStatus());
    char buffer[1024];
    while (answer.body.size() < kMaxBodyBytes && in.read(buffer, sizeof buffer).gcount() > 0) {
      answer.body.append(buffer, static_cast<std::size_t>(in.gcount()));
    }
    if (in.bad()) {
      throw Poco::IOException("reading the answer failed");
    }
    answer.received = true;
  } catch (const Poco::TimeoutException& error) {
    answer.timedOut = true;
    answer.error = error.displayText();
  } catch (const Poco::Exception& error) {
    answer.error = error.displayText();
  } catch (const std::exception& error) {
    answer.error = error.what();
  }
  if (!answer.received) {
    answer.status = 0;
    answer.body.clear();
  }
  return answer;
}

}  // namespace elector
