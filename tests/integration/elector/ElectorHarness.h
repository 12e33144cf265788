#pragma once

// Shared by the integration tests that run the real elector binary (the elector suites and
// SiteFailoverTest): a child process, a reader of its leadership socket, bounded polling and a
// small HTTP GET against 127.0.0.1. Everything is in namespace elector_test.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <cppunit/extensions/HelperMacros.h>

#include "elector/LeadershipEvent.h"

namespace elector_test {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

inline const std::string kElectorBinary = std::string(PROMSNMP_BIN_DIR) + "/elector";

/// One child process: `argv` (argv[0] the program's path) with `env` added to the environment,
/// stdout to /dev/null, stderr appended to `logPath`. The destructor SIGKILLs and reaps it. Not
/// thread-safe.
class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, const std::string& logPath,
               const std::map<std::string, std::string>& env = {}) {
    pid_ = ::fork();
    if (pid_ < 0) {
      throw std::runtime_error("fork failed");
    }
    if (pid_ == 0) {
      for (const auto& [name, value] : env) {
        ::setenv(name.c_str(), value.c_str(), 1);
      }
      const int log = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      const int devnull = ::open("/dev/null", O_WRONLY);
      ::dup2(devnull, 1);
      ::dup2(log, 2);
      // Nothing else of the test leaks into the child: an inherited listening socket of a
      // fake server would keep accepting after the test closed it.
      for (int fd = 3; fd < 1024; ++fd) {
        ::close(fd);
      }
      std::vector<char*> raw;
      for (std::string& arg : argv) {
        raw.push_back(arg.data());
      }
      raw.push_back(nullptr);
      ::execv(raw[0], raw.data());
      ::_exit(127);
    }
  }
  ~ChildProcess() { kill9(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  /// The process id, or -1 once it has been reaped.
  pid_t pid() const { return pid_; }

  /// Sends `signal` (SIGSTOP, SIGCONT, SIGTERM, ...) without waiting; nothing once reaped.
  void send(int signal) const {
    if (pid_ > 0) {
      ::kill(pid_, signal);
    }
  }

  /// SIGKILLs and reaps the process; nothing once reaped.
  void kill9() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

  /// Sends SIGTERM and waits at most `timeout`; the exit code, or -1 if it had to be killed.
  int terminate(milliseconds timeout) {
    send(SIGTERM);
    return waitExit(timeout);
  }

  /// Waits at most `timeout` for the process to exit (on its own or after a signal sent
  /// elsewhere); the exit code, or -1 (then it is killed, or it was already reaped).
  int waitExit(milliseconds timeout) {
    if (pid_ <= 0) {
      return -1;
    }
    const auto until = Steady::now() + timeout;
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (Steady::now() > until) {
        kill9();
        return -1;
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  /// True while the process has not exited (one that has is reaped).
  bool running() {
    int status = 0;
    if (pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
    }
    return pid_ > 0;
  }

 private:
  pid_t pid_ = -1;
};

/// One elector child process: `args` are the elector's arguments; see ChildProcess.
class ElectorChild : public ChildProcess {
 public:
  ElectorChild(std::vector<std::string> args, const std::string& logPath,
               const std::map<std::string, std::string>& env = {})
      : ChildProcess(withBinary(std::move(args)), logPath, env) {}

 private:
  static std::vector<std::string> withBinary(std::vector<std::string> args) {
    args.insert(args.begin(), kElectorBinary);
    return args;
  }
};

/// A client of one leadership socket that keeps the last event and every role change.
class LeadershipReader {
 public:
  /// Connects, retrying until the elector has bound the socket (at most `timeout`).
  LeadershipReader(const std::string& path, milliseconds timeout) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    const auto until = Steady::now() + timeout;
    while (true) {
      fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        return;
      }
      ::close(fd_);
      fd_ = -1;
      if (Steady::now() > until) {
        throw std::runtime_error("cannot connect to " + path);
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
  }
  ~LeadershipReader() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  LeadershipReader(const LeadershipReader&) = delete;
  LeadershipReader& operator=(const LeadershipReader&) = delete;

  /// Reads what arrives within `timeout`; false on end of stream. Every line must decode.
  bool poll(milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (eof_ || ::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
      return !eof_;
    }
    char buffer[4096];
    const ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    pending_.append(buffer, static_cast<std::size_t>(n));
    std::size_t newline = 0;
    while ((newline = pending_.find('\n')) != std::string::npos) {
      std::string error;
      const auto event = elector::decode(pending_.substr(0, newline), &error);
      CPPUNIT_ASSERT_MESSAGE("bad line: " + error, event.has_value());
      if (!last_ || last_->role != event->role) {
        roles_.push_back(event->role);
      }
      last_ = event;
      ++lines_;
      pending_.erase(0, newline + 1);
    }
    return true;
  }

  bool isLeader() const { return last_ && last_->role == elector::LeadershipRole::Leader; }
  bool isFollower() const { return last_ && last_->role == elector::LeadershipRole::Follower; }
  const std::optional<elector::LeadershipEvent>& last() const { return last_; }
  /// The announced roles in order, one entry per change.
  const std::vector<elector::LeadershipRole>& roles() const { return roles_; }
  /// How many events have been read.
  int lines() const { return lines_; }
  bool eof() const { return eof_; }

 private:
  int fd_ = -1;
  std::string pending_;
  std::optional<elector::LeadershipEvent> last_;
  std::vector<elector::LeadershipRole> roles_;
  int lines_ = 0;
  bool eof_ = false;
};

/// Polls every reader until `done()` or `timeout`; whether `done()` became true.
template <typename Done>
bool pollUntil(const std::vector<LeadershipReader*>& readers, milliseconds timeout, Done done) {
  const auto until = Steady::now() + timeout;
  while (Steady::now() < until) {
    for (LeadershipReader* reader : readers) {
      reader->poll(milliseconds(10));
    }
    if (done()) {
      return true;
    }
  }
  return done();
}

/// Milliseconds from `start` to now.
inline long msSince(Steady::time_point start) {
  return static_cast<long>(std::chrono::duration_cast<milliseconds>(Steady::now() - start).count());
}

inline std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

struct HttpResult {
  int status = 0;  ///< 0 when there was no answer
  std::string body;
  std::string contentType;
};

/// One HTTP request to 127.0.0.1:`port` with a 2 s timeout, with `headers` added.
inline HttpResult httpRequest(int port, const std::string& path, const std::string& method = "GET",
                              const std::map<std::string, std::string>& headers = {}) {
  HttpResult result;
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
    session.setTimeout(Poco::Timespan(2, 0));
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : headers) {
      request.set(name, value);
    }
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    Poco::StreamCopier::copyToString(in, result.body);
    result.status = static_cast<int>(response.getStatus());
    result.contentType = response.getContentType();
  } catch (const Poco::Exception&) {
    result.status = 0;
  }
  return result;
}

/// Retries GET until it answers `status` (or `timeout`); the last result.
inline HttpResult httpWaitFor(int port, const std::string& path, int status, milliseconds timeout) {
  const auto until = Steady::now() + timeout;
  HttpResult result = httpRequest(port, path);
  while (result.status != status && Steady::now() < until) {
    std::this_thread::sleep_for(milliseconds(50));
    result = httpRequest(port, path);
  }
  return result;
}

}  // namespace elector_test
