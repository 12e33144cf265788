#pragma once

// Pieces of a loopback site shared by the integration and fault suites: finding programs,
// reading logs, a redis-server of their own, and a stand-in elector socket.
// Header-only; namespace testing.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "DaemonHelpers.h"
#include "ElectorHarness.h"

namespace testing {

/// The full path of `name` on $PATH, or "" when it is not there.
inline std::string findProgram(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return "";
}

/// The last `lines` lines of a log file (for failure messages).
inline std::string tailOf(const std::string& path, std::size_t lines = 25) {
  std::ifstream in(path);
  std::vector<std::string> all;
  std::string line;
  while (std::getline(in, line)) {
    all.push_back(line);
  }
  std::string out = "--- " + path + "\n";
  for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) {
    out += all[i] + "\n";
  }
  return out;
}

/// The size of a file (0 when absent), to read what a log gained later.
inline std::size_t fileSize(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<std::size_t>(st.st_size) : 0;
}

/// One inline command to 127.0.0.1:port over RESP with a 500 ms timeout; returns the raw
/// reply, or "" when nothing answered.
inline std::string redisCommand(int port, const std::string& command) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return "";
  }
  timeval timeout{0, 500000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  std::string reply;
  const std::string line = command + "\r\n";
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size())) {
    // A reply is one line, or a bulk header line plus its payload line.
    char buffer[1024];
    ssize_t n = 0;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0) {
      reply.append(buffer, static_cast<std::size_t>(n));
      const std::size_t first = reply.find("\r\n");
      if (first == std::string::npos) {
        continue;
      }
      if (reply[0] != '$' || reply.compare(0, 3, "$-1") == 0 ||
          reply.find("\r\n", first + 2) != std::string::npos) {
        break;
      }
    }
  }
  ::close(fd);
  return reply;
}

/// redis-server on 127.0.0.1 and a free port, without persistence; restartable on that port.
class RedisProcess {
 public:
  RedisProcess(std::string dir, std::string logPath)
      : dir_(std::move(dir)), log_(std::move(logPath)), port_(freeTcpPort()) {
    start();
  }

  /// Starts it (again) and waits for PING to answer, at most 10 s.
  void start() {
    const std::string binary = findProgram("redis-server");
    if (binary.empty()) {
      throw std::runtime_error("redis-server is not on PATH");
    }
    std::vector<std::string> argv{binary, "--port", std::to_string(port_), "--bind", "127.0.0.1"};
    argv.insert(argv.end(), extraBinds_.begin(), extraBinds_.end());
    if (!extraBinds_.empty()) {
      argv.insert(argv.end(), {"--protected-mode", "no"});
    }
    for (const char* arg : {"--save", "", "--appendonly", "no", "--dir"}) {
      argv.emplace_back(arg);
    }
    argv.insert(argv.end(), {dir_, "--logfile", log_});
    process_ = std::make_unique<elector_test::ChildProcess>(argv, log_, env_);
    const auto until = elector_test::Steady::now() + std::chrono::seconds(10);
    while (elector_test::Steady::now() < until) {
      if (command("PING").rfind("+PONG", 0) == 0) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("redis-server did not answer PING within 10 s");
  }

  int port() const { return port_; }
  /// Also listens on `addresses` (besides 127.0.0.1) from now on and after every restart, e.g.
  /// the root-side end of a veth into a test's own network namespace; they must exist. Protected
  /// mode (loopback clients only, as no password is set) is turned off for them: nothing but
  /// those addresses is listened on. Throws with Redis's answer when CONFIG SET fails.
  void bindAlso(const std::vector<std::string>& addresses) {
    extraBinds_ = addresses;
    for (const std::string& setting :
         {"bind \"" + bindList() + "\"", std::string("protected-mode no")}) {
      const std::string reply = command("CONFIG SET " + setting);
      if (reply.rfind("+OK", 0) != 0) {
        throw std::runtime_error("CONFIG SET " + setting + ": " + reply);
      }
    }
  }
  /// Added to the environment of the next start() (e.g. an LD_PRELOAD fault layer).
  void setEnvironment(std::map<std::string, std::string> env) { env_ = std::move(env); }
  void kill9() { process_.reset(); }  // SIGKILL and reap
  void pause() const { process_->send(SIGSTOP); }
  void resume() const {
    if (process_) {
      process_->send(SIGCONT);
    }
  }
  std::string command(const std::string& c) const { return redisCommand(port_, c); }
  /// The value of `key`, "" when absent or Redis does not answer.
  std::string get(const std::string& key) const {
    const std::string reply = command("GET " + key);
    if (reply.empty() || reply[0] != '$' || reply.compare(0, 3, "$-1") == 0) {
      return "";
    }
    const std::size_t start = reply.find("\r\n") + 2;
    const std::size_t end = reply.find("\r\n", start);
    return end == std::string::npos ? "" : reply.substr(start, end - start);
  }

 private:
  std::string bindList() const {
    std::string list = "127.0.0.1";
    for (const std::string& address : extraBinds_) {
      list += " " + address;
    }
    return list;
  }

  std::string dir_;
  std::string log_;
  int port_;
  std::vector<std::string> extraBinds_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<elector_test::ChildProcess> process_;
};

/// A stand-in elector: accepts one collector on a Unix socket and writes the lines it is given.
class FakeElector {
 public:
  explicit FakeElector(const std::string& path) {
    listen_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    if (::bind(listen_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_, 4) != 0) {
      throw std::runtime_error("cannot listen on " + path);
    }
  }
  ~FakeElector() {
    if (client_ >= 0) {
      ::close(client_);
    }
    ::close(listen_);
  }
  /// Waits (at most 10 s) for the collector to connect.
  void accept() {
    timeval timeout{10, 0};
    ::setsockopt(listen_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    client_ = ::accept(listen_, nullptr, nullptr);
    if (client_ < 0) {
      throw std::runtime_error("the collector did not connect to the elector socket");
    }
  }
  void send(const std::string& line) {
    std::string data = line + "\n";
    if (::write(client_, data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
      throw std::runtime_error("write to the collector failed");
    }
  }
  void disconnect() {
    ::close(client_);
    client_ = -1;
  }

 private:
  int listen_ = -1;
  int client_ = -1;
};

}  // namespace testing
