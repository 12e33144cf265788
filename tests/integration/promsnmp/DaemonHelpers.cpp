#include "DaemonHelpers.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "ProcessHelpers.h"

namespace testing {

namespace {

int freePort(int type) {
  int fd = ::socket(AF_INET, type, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("cannot find a free port");
  }
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

std::string unescape(const std::string& raw) {
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size()) {
      char c = raw[++i];
      out += c == 'n' ? '\n' : c;
    } else {
      out += raw[i];
    }
  }
  return out;
}

}  // namespace

int freeTcpPort() { return freePort(SOCK_STREAM); }

HttpAnswer httpRequest(int port, const std::string& method, const std::string& pathAndQuery,
                       const std::map<std::string, std::string>& headers, const std::string& body,
                       int timeoutMs) {
  HttpAnswer answer;
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<uint16_t>(port));
    session.setTimeout(Poco::Timespan(static_cast<long>(timeoutMs) * 1000));
    Poco::Net::HTTPRequest request(method, pathAndQuery, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : headers) {
      request.set(name, value);
    }
    if (!body.empty()) {
      request.setContentLength(static_cast<std::streamsize>(body.size()));
      request.setContentType("application/json");
    }
    std::ostream& out = session.sendRequest(request);
    out << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    Poco::StreamCopier::copyToString(in, answer.body);
    answer.status = static_cast<int>(response.getStatus());
    answer.contentType = response.getContentType();
    for (const auto& [name, value] : response) {
      answer.headers[name] = value;
    }
  } catch (const Poco::Exception&) {
    answer.status = 0;
  }
  return answer;
}

std::vector<Sample> parseSamples(const std::string& text) {
  std::vector<Sample> samples;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    Sample s;
    size_t i = line.find_first_of("{ ");
    s.name = line.substr(0, i);
    if (i != std::string::npos && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        size_t eq = line.find('=', i);
        std::string key = line.substr(i, eq - i);
        size_t j = eq + 2;  // after ="
        std::string raw;
        while (j < line.size() && line[j] != '"') {
          if (line[j] == '\\') {
            raw += line[j++];
          }
          raw += line[j++];
        }
        s.labels[key] = unescape(raw);
        i = j + 1;
        if (i < line.size() && line[i] == ',') {
          ++i;
        }
      }
      ++i;
    }
    size_t start = line.find_first_not_of(' ', i);
    s.value = line.substr(start, line.find(' ', start) - start);
    samples.push_back(std::move(s));
  }
  return samples;
}

std::string sampleValue(const std::vector<Sample>& samples, const std::string& name,
                        const std::map<std::string, std::string>& labels) {
  for (const Sample& s : samples) {
    if (s.name != name) {
      continue;
    }
    bool match = true;
    for (const auto& [key, value] : labels) {
      auto it = s.labels.find(key);
      match = match && it != s.labels.end() && it->second == value;
    }
    if (match) {
      return s.value;
    }
  }
  return "";
}

Daemon::Daemon(const std::string& dir, const std::map<std::string, std::string>& env,
               const std::vector<std::string>& args, int readyTimeoutMs,
               const std::function<bool(int)>& ready)
    : dir_(dir), port_(freeTcpPort()) {
  pid_ = ::fork();
  if (pid_ < 0) {
    throw std::runtime_error("fork failed");
  }
  if (pid_ == 0) {
    int logFd = ::open((dir + "/promsnmp.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(logFd, 1);
    ::dup2(logFd, 2);
    for (const auto& [name, value] : env) {
      ::setenv(name.c_str(), value.c_str(), 1);
    }
    std::string binary = std::string(PROMSNMP_BIN_DIR) + "/promsnmp";
    std::vector<std::string> argv = {binary,
                                     "--web.listen-address=127.0.0.1:" + std::to_string(port_)};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> raw;
    for (std::string& a : argv) {
      raw.push_back(a.data());
    }
    raw.push_back(nullptr);
    ::execv(raw[0], raw.data());
    ::_exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(readyTimeoutMs);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("promsnmp exited during start-up:\n" + log());
    }
    if (ready ? ready(port_) : httpRequest(port_, "GET", "/-/ready", {}, {}, 1000).status == 200) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  signal(SIGKILL, 5000);
  throw std::runtime_error("promsnmp not ready in time:\n" + log());
}

Daemon::~Daemon() {
  if (pid_ > 0) {
    signal(SIGTERM, 15000);
  }
}

HttpAnswer Daemon::get(const std::string& pathAndQuery,
                       const std::map<std::string, std::string>& headers) const {
  return httpRequest(port_, "GET", pathAndQuery, headers);
}

int Daemon::signal(int sig, int waitMs) {
  if (pid_ <= 0) {
    return -1;
  }
  ::kill(pid_, sig);
  if (sig != SIGTERM && sig != SIGKILL && sig != SIGINT) {
    return 0;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(waitMs);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return -1;
}

std::string Daemon::log() const {
  std::ifstream in(dir_ + "/promsnmp.log");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string inventoryCli(const std::map<std::string, std::string>& env,
                         const std::vector<std::string>& args) {
  std::vector<std::string> argv = {std::string(PROMSNMP_BIN_DIR) + "/promsnmp-inventory"};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessResult r = runProcess(argv, env, 60);
  if (r.code != 0) {
    throw std::runtime_error("promsnmp-inventory failed (" + std::to_string(r.code) +
                             "): " + r.err);
  }
  return r.out;
}

}  // namespace testing
