#include "app/SystemdNotifier.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstring>

namespace promsnmp {

namespace {

std::optional<uint64_t> parseUnsigned(const std::string& text) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

SystemdNotifier::SystemdNotifier(const std::map<std::string, std::string>& env, long pid) {
  if (pid == 0) {
    pid = static_cast<long>(::getpid());
  }
  const auto socket = env.find("NOTIFY_SOCKET");
  // Like sd_notify: only absolute paths and abstract names; anything else (vsock:, relative
  // paths) is not something we can reach, so we stay silent.
  if (socket != env.end() && socket->second.size() > 1 &&
      (socket->second[0] == '/' || socket->second[0] == '@')) {
    socket_ = socket->second;
  }
  const auto usec = env.find("WATCHDOG_USEC");
  if (usec != env.end()) {
    const auto value = parseUnsigned(usec->second);
    const auto watchdogPid = env.find("WATCHDOG_PID");
    const bool forUs = watchdogPid == env.end() ||
                       parseUnsigned(watchdogPid->second) == static_cast<uint64_t>(pid);
    if (value && *value > 0 && forUs) {
      watchdog_ = std::chrono::microseconds(*value);
    }
  }
}

SystemdNotifier SystemdNotifier::fromProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (const char* name : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"}) {
    if (const char* value = ::getenv(name)) {
      env[name] = value;
    }
  }
  return SystemdNotifier(env);
}

bool SystemdNotifier::ready() { return notify("READY=1"); }

bool SystemdNotifier::status(const std::string& text) {
  std::string line = text;
  for (auto& c : line) {
    if (c == '\n' || c == '\r') {
      c = ' ';
    }
  }
  return notify("STATUS=" + line);
}

bool SystemdNotifier::watchdog() { return notify("WATCHDOG=1"); }

bool SystemdNotifier::stopping() { return notify("STOPPING=1"); }

bool SystemdNotifier::reloading() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const uint64_t usec =
      static_cast<uint64_t>(now.tv_sec) * 1000000u + static_cast<uint64_t>(now.tv_nsec) / 1000u;
  return notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

bool SystemdNotifier::notify(const std::string& state) {
  if (socket_.empty()) {
    return false;
  }
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_.size() >= sizeof(address.sun_path)) {
    return false;
  }
  std::memcpy(address.sun_path, socket_.data(), socket_.size());
  if (socket_[0] == '@') {
    address.sun_path[0] = '\0';  // abstract namespace: the name is not NUL-terminated
  }
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size() +
                                             (socket_[0] == '@' ? 0 : 1));
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  ssize_t sent = 0;
  do {
    sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                    reinterpret_cast<const sockaddr*>(&address), length);
  } while (sent < 0 && errno == EINTR);
  ::close(fd);
  return sent == static_cast<ssize_t>(state.size());
}

}  // namespace promsnmp
