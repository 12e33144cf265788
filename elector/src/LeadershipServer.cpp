#include "LeadershipServer.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <Poco/Exception.h>
#include <Poco/Logger.h>

namespace elector {

namespace {

Poco::Logger& logger() { return Poco::Logger::get("elector.socket"); }

std::string errnoText(const char* call, int error) {
  return std::string(call) + ": " + std::strerror(error);
}

}  // namespace

LeadershipServer::LeadershipServer(std::string path, unsigned mode)
    : path_(std::move(path)), mode_(mode) {}

LeadershipServer::~LeadershipServer() {
  try {
    stop();
  } catch (...) {
    // Destructors do not throw; stop() only fails on close/unlink, which cannot be acted on here.
  }
}

void LeadershipServer::start() {
  std::lock_guard<std::mutex> startLock(lifecycleMutex_);
  if (thread_.joinable()) {
    throw Poco::IllegalStateException("leadership server already started");
  }
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path_.empty() || path_.size() >= sizeof address.sun_path) {
    throw Poco::InvalidArgumentException("leadership socket path empty or too long", path_);
  }
  std::memcpy(address.sun_path, path_.c_str(), path_.size() + 1);

  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      throw Poco::IOException("leadership socket path exists and is not a socket", path_);
    }
    if (::unlink(path_.c_str()) != 0) {
      throw Poco::IOException(errnoText("unlink", errno), path_);
    }
    logger().information("event=stale_socket_removed path=" + path_);
  }

  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    throw Poco::IOException(errnoText("socket", errno), path_);
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::chmod(path_.c_str(), mode_) != 0 || ::listen(fd, 16) != 0) {
    const int error = errno;
    ::close(fd);
    ::unlink(path_.c_str());
    throw Poco::IOException(errnoText("bind/chmod/listen", error), path_);
  }
  int pipeFds[2];
  if (::pipe2(pipeFds, O_CLOEXEC | O_NONBLOCK) != 0) {
    const int error = errno;
    ::close(fd);
    ::unlink(path_.c_str());
    throw Poco::IOException(errnoText("pipe2", error));
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    noClientSince_ = std::chrono::steady_clock::now();
  }
  listenFd_ = fd;
  wakeRead_ = pipeFds[0];
  wakeWrite_ = pipeFds[1];
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
  logger().information("event=listening path=" + path_);
}

void LeadershipServer::stop() {
  std::lock_guard<std::mutex> startLock(lifecycleMutex_);
  if (!thread_.joinable()) {
    return;
  }
  stopping_ = true;
  const char byte = 's';
  [[maybe_unused]] ssize_t ignored = ::write(wakeWrite_, &byte, 1);
  thread_.join();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const Client& client : clients_) {
      ::close(client.fd);
    }
    for (int fd : pendingClose_) {
      ::close(fd);
    }
    clients_.clear();
    pendingClose_.clear();
    // A restarted server must not hand out a state from before the stop (F-26).
    currentEvent_.reset();
  }
  ::close(listenFd_);
  ::close(wakeRead_);
  ::close(wakeWrite_);
  listenFd_ = wakeRead_ = wakeWrite_ = -1;
  ::unlink(path_.c_str());
  logger().information("event=stopped path=" + path_);
}

void LeadershipServer::publish(const LeadershipEvent& event) {
  std::string line = encode(event);
  std::lock_guard<std::mutex> lock(mutex_);
  currentEvent_ = event;
  publishedAt_ = std::chrono::steady_clock::now();
  for (std::size_t i = clients_.size(); i-- > 0;) {
    if (!sendTo(clients_[i], line)) {
      dropLocked(i);
    }
  }
}

std::size_t LeadershipServer::clientCount() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return clients_.size();
}

std::vector<LeadershipServer::ClientInfo> LeadershipServer::clients() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<ClientInfo> infos;
  infos.reserve(clients_.size());
  for (const Client& client : clients_) {
    infos.push_back(client.info);
  }
  return infos;
}

std::optional<std::chrono::steady_clock::time_point> LeadershipServer::noClientSince() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return noClientSince_;
}

void LeadershipServer::noteClientGoneLocked() {
  if (clients_.empty() && !noClientSince_) {
    noClientSince_ = std::chrono::steady_clock::now();
  }
}

std::uint64_t LeadershipServer::droppedCount() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return dropped_;
}

bool LeadershipServer::sendAll(int fd, const std::string& line) {
  const ssize_t n = ::send(fd, line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  // A partial line would corrupt the stream for that client, so it counts as a failure.
  return n == static_cast<ssize_t>(line.size());
}

bool LeadershipServer::sendTo(Client& client, const std::string& line) {
  if (!sendAll(client.fd, line)) {
    return false;
  }
  client.info.lastEvent = line.substr(0, line.find('\n'));
  client.info.lastSentAt = std::chrono::steady_clock::now();
  return true;
}

void LeadershipServer::dropLocked(std::size_t index) {
  const int fd = clients_[index].fd;
  clients_.erase(clients_.begin() + static_cast<std::ptrdiff_t>(index));
  // Closed only by the server thread, between polls, so a descriptor number in its poll set is
  // never reused under it; shutdown() already makes the client see EOF.
  ::shutdown(fd, SHUT_RDWR);
  pendingClose_.push_back(fd);
  ++dropped_;
  noteClientGoneLocked();
  logger().warning("event=client_dropped reason=slow_or_failed clients=" +
                   std::to_string(clients_.size()));
}

LeadershipEvent LeadershipServer::aged(LeadershipEvent event) const {
  if (event.role != LeadershipRole::Leader) {
    return event;
  }
  const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - publishedAt_)
                       .count();
  if (age >= static_cast<std::int64_t>(event.leaseMs)) {
    event.role = LeadershipRole::Follower;  // the lease ran out since: no longer ours to claim
    event.holder.clear();
    return event;
  }
  event.leaseMs -= static_cast<std::uint32_t>(age);
  return event;
}

void LeadershipServer::acceptClient() {
  const int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED) {
      logger().warning("event=accept_failed " + errnoText("accept4", errno));
    }
    return;
  }
  Client client;
  client.fd = fd;
  client.info.connectedAt = std::chrono::steady_clock::now();
  ucred peer{};
  socklen_t length = sizeof peer;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) == 0 && peer.pid > 0) {
    client.info.pid = static_cast<int>(peer.pid);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  // Under the lock so the client sees the current event before any later publish().
  if (currentEvent_ && !sendTo(client, encode(aged(*currentEvent_)))) {
    ::close(fd);
    ++dropped_;
    return;
  }
  clients_.push_back(std::move(client));
  noClientSince_.reset();
  logger().debug("event=client_connected clients=" + std::to_string(clients_.size()));
}

void LeadershipServer::run() {
  std::vector<pollfd> fds;
  char buffer[512];
  while (!stopping_) {
    fds.clear();
    fds.push_back({wakeRead_, POLLIN, 0});
    fds.push_back({listenFd_, POLLIN, 0});
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (int fd : pendingClose_) {
        ::close(fd);
      }
      pendingClose_.clear();
      for (const Client& client : clients_) {
        fds.push_back({client.fd, POLLIN, 0});
      }
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      logger().error("event=poll_failed " + errnoText("poll", errno));
      return;
    }
    if (fds[0].revents != 0) {
      while (::read(wakeRead_, buffer, sizeof buffer) > 0) {
      }
    }
    if (fds[1].revents & POLLIN) {
      acceptClient();
    }
    // Clients never send anything meaningful; reading detects hang-ups and discards input.
    for (std::size_t k = 2; k < fds.size(); ++k) {
      if (fds[k].revents == 0) {
        continue;
      }
      const ssize_t n = ::recv(fds[k].fd, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))) {
        continue;
      }
      std::lock_guard<std::mutex> lock(mutex_);
      for (std::size_t i = 0; i < clients_.size(); ++i) {
        if (clients_[i].fd == fds[k].fd) {
          clients_.erase(clients_.begin() + static_cast<std::ptrdiff_t>(i));
          pendingClose_.push_back(fds[k].fd);
          noteClientGoneLocked();
          logger().debug("event=client_disconnected clients=" + std::to_string(clients_.size()));
          break;
        }
      }
    }
  }
}

}  // namespace elector
