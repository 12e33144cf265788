#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "ProcessHelpers.h"

// Test helper: a free loopback port and a redis-server child process (no persistence).
namespace elector_test {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

inline int freePort() { return testing::freePort(SOCK_STREAM); }

/// One redis-server child process; the destructor always stops it (SIGCONT, SIGTERM, SIGKILL).
class RedisServer {
 public:
  RedisServer(int port, std::string password = "") : port_(port), password_(std::move(password)) {
    start();
  }
  ~RedisServer() { stop(); }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  void start() {
    std::vector<std::string> args = {ELECTOR_REDIS_SERVER,
                                     "--port",
                                     std::to_string(port_),
                                     "--bind",
                                     "127.0.0.1",
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "no",
                                     "--dir",
                                     dir_.path()};
    if (!password_.empty()) {
      args.push_back("--requirepass");
      args.push_back(password_);
    }
    pid_ = ::fork();
    if (pid_ < 0) {
      throw std::runtime_error("fork failed");
    }
    if (pid_ == 0) {
      const int devnull = ::open("/dev/null", O_WRONLY);
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
      std::vector<char*> argv;
      for (std::string& arg : args) {
        argv.push_back(arg.data());
      }
      argv.push_back(nullptr);
      ::execv(ELECTOR_REDIS_SERVER, argv.data());
      ::_exit(127);
    }
    const auto until = Steady::now() + std::chrono::seconds(10);
    while (Steady::now() < until) {
      if (cli({"PING"}).find("PONG") != std::string::npos) {
        return;
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
    stop();  // the destructor does not run when the constructor throws
    throw std::runtime_error("redis-server did not answer PING within 10 s");
  }

  void stop() {
    if (pid_ <= 0) {
      return;
    }
    ::kill(pid_, SIGCONT);
    ::kill(pid_, SIGTERM);
    const auto until = Steady::now() + std::chrono::seconds(5);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (Steady::now() > until) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
    pid_ = -1;
  }

  void pause() { ::kill(pid_, SIGSTOP); }
  void resume() { ::kill(pid_, SIGCONT); }

  /// Runs redis-cli against this server and returns its stdout (trimmed).
  std::string cli(const std::vector<std::string>& command) const {
    std::vector<std::string> argv = {ELECTOR_REDIS_CLI, "-h", "127.0.0.1", "-p",
                                     std::to_string(port_)};
    std::map<std::string, std::string> env;
    if (!password_.empty()) {
      env["REDISCLI_AUTH"] = password_;
    }
    argv.insert(argv.end(), command.begin(), command.end());
    std::string out = testing::runProcess(argv, env, 10).out;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) {
      out.pop_back();
    }
    return out;
  }

  long pttl(const std::string& key) const { return std::stol(cli({"PTTL", key})); }
  int port() const { return port_; }

 private:
  int port_;
  std::string password_;
  testing::TempDir dir_;
  pid_t pid_ = -1;
};

}  // namespace elector_test
