#include "discovery/UdpProber.h"

#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <deque>
#include <random>
#include <unordered_map>

#include <Poco/Exception.h>

#include "discovery/ProbePacket.h"

namespace promsnmp {

const char* probeResultName(ProbeResult result) {
  switch (result) {
    case ProbeResult::Answered:
      return "answered";
    case ProbeResult::Timeout:
      return "timeout";
    case ProbeResult::Unreachable:
      return "unreachable";
    case ProbeResult::Error:
      return "error";
  }
  return "error";
}

namespace {

using Clock = std::chrono::steady_clock;

class Socket {
 public:
  Socket() = default;
  ~Socket() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  /// Opens a non-blocking datagram socket that queues ICMP errors (IP_RECVERR). Throws
  /// Poco::IOException naming the call.
  void open(int family) {
    fd_ = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      throw Poco::IOException(std::string("socket: ") + std::strerror(errno));
    }
    int on = 1;
    int level = family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
    int option = family == AF_INET ? IP_RECVERR : IPV6_RECVERR;
    if (::setsockopt(fd_, level, option, &on, sizeof on) != 0) {
      throw Poco::IOException(std::string("setsockopt(RECVERR): ") + std::strerror(errno));
    }
    // Answers and ICMP errors arrive in bursts; a full queue drops them (the probe then times
    // out). SO_RCVBUFFORCE passes rmem_max when we may (CAP_NET_ADMIN); else the capped size.
    int buffer = 16 << 20;
    if (::setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer) != 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    }
  }
  int fd() const { return fd_; }
  bool isOpen() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

/// A socket address and its compact identity (family, address and port bytes).
struct Peer {
  sockaddr_storage storage{};
  socklen_t length = 0;
  std::string key;
};

std::string keyOf(const sockaddr* address) {
  if (address->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address);
    std::string key(7, '\0');
    key[0] = '4';
    std::memcpy(key.data() + 1, &in->sin_addr, 4);
    std::memcpy(key.data() + 5, &in->sin_port, 2);
    return key;
  }
  if (address->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    std::string key(19, '\0');
    key[0] = '6';
    std::memcpy(key.data() + 1, &in6->sin6_addr, 16);
    std::memcpy(key.data() + 17, &in6->sin6_port, 2);
    return key;
  }
  return "";
}

bool toPeer(const ProbeTarget& target, Peer& peer) {
  peer = Peer{};
  auto* in = reinterpret_cast<sockaddr_in*>(&peer.storage);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&peer.storage);
  if (::inet_pton(AF_INET, target.address.c_str(), &in->sin_addr) == 1) {
    in->sin_family = AF_INET;
    in->sin_port = htons(target.port);
    peer.length = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, target.address.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(target.port);
    peer.length = sizeof(sockaddr_in6);
  } else {
    return false;
  }
  peer.key = keyOf(reinterpret_cast<sockaddr*>(&peer.storage));
  return true;
}

bool isTransient(int error) { return error == EAGAIN || error == EWOULDBLOCK || error == ENOBUFS; }

/// One sweep: the state of every probe and the two sockets.
class Sweep {
 public:
  Sweep(const std::vector<ProbeTarget>& targets, const ProbeOptions& options)
      : targets_(targets),
        options_(options),
        outcomes_(targets.size()),
        state_(targets.size(), State::Waiting),
        attempts_(targets.size(), 0),
        sentAt_(targets.size()),
        salt_(static_cast<uint32_t>(std::random_device{}()) & 0x7FFFFFFF) {
    if (options_.maxInFlight == 0) {
      options_.maxInFlight = 1;
    }
  }

  std::vector<ProbeOutcome> run(const std::atomic<bool>& stop) {
    while (!stop.load()) {
      fillWindow();
      if (inFlight_.empty() && resend_.empty() && next_ >= targets_.size()) {
        break;
      }
      wait();
      receiveAll();
      expire();
    }
    for (size_t i = 0; i < targets_.size(); ++i) {
      if (state_[i] != State::Done) {
        finish(i, ProbeResult::Error, "stopped");
      }
    }
    return std::move(outcomes_);
  }

 private:
  enum class State : uint8_t { Waiting, InFlight, Done };
  static constexpr size_t kBurst = 256;
  struct Deadline {
    Clock::time_point at;
    size_t index;
    uint8_t attempt;
  };

  int32_t requestIdOf(size_t index) const {
    return static_cast<int32_t>((salt_ + static_cast<uint32_t>(index)) & 0x7FFFFFFF);
  }
  size_t indexOf(int32_t requestId) const {
    return static_cast<size_t>((static_cast<uint32_t>(requestId) - salt_) & 0x7FFFFFFF);
  }

  Socket& socketFor(int family) {
    Socket& socket = family == AF_INET ? socket4_ : socket6_;
    if (!socket.isOpen()) {
      socket.open(family);
    }
    return socket;
  }

  void finish(size_t index, ProbeResult result, std::string message = {}) {
    if (state_[index] == State::InFlight) {
      inFlight_.erase(peers_[index].key);
    }
    state_[index] = State::Done;
    outcomes_[index].result = result;
    outcomes_[index].message = std::move(message);
    if (result == ProbeResult::Answered) {
      outcomes_[index].rtt =
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sentAt_[index]);
    }
    peers_.erase(index);
  }

  /// Sends attempt N of probe `index`. Returns false when the socket buffer is full (try later).
  bool send(size_t index) {
    const Peer& peer = peers_[index];
    const ProbeTarget& target = targets_[index];
    std::string packet = encodeProbe(target.version, target.community, requestIdOf(index));
    Socket& socket = socketFor(peer.storage.ss_family);
    for (int attempt = 0; attempt < 2; ++attempt) {
      ssize_t sent = ::sendto(socket.fd(), packet.data(), packet.size(), 0,
                              reinterpret_cast<const sockaddr*>(&peer.storage), peer.length);
      if (sent >= 0) {
        sentAt_[index] = Clock::now();
        ++attempts_[index];
        deadlines_.push_back({sentAt_[index] + options_.timeout, index, attempts_[index]});
        return true;
      }
      if (isTransient(errno)) {
        return false;
      }
      // An ICMP error queued for an earlier probe is reported by the next send on the socket
      // (and cleared): try once more before blaming this destination.
    }
    finish(index, ProbeResult::Error, std::string("sendto: ") + std::strerror(errno));
    return true;
  }

  void fillWindow() {
    blocked_ = false;
    while (!resend_.empty()) {
      size_t index = resend_.front();
      if (state_[index] != State::InFlight) {
        resend_.pop_front();
        continue;
      }
      if (!send(index)) {
        blocked_ = true;
        return;
      }
      resend_.pop_front();
    }
    // New probes go out in bursts, with the sockets read between bursts, so a large window
    // does not overflow the receive queue with answers and ICMP errors nobody reads yet.
    for (size_t burst = 0;
         burst < kBurst && inFlight_.size() < options_.maxInFlight && next_ < targets_.size();
         ++burst) {
      size_t index = next_;
      Peer peer;
      if (!toPeer(targets_[index], peer)) {
        ++next_;
        finish(index, ProbeResult::Error, "not an IP address: " + targets_[index].address);
        continue;
      }
      if (inFlight_.count(peer.key) != 0) {
        ++next_;
        finish(index, ProbeResult::Error, "the same address and port twice in one sweep");
        continue;
      }
      peers_[index] = peer;
      if (!send(index)) {
        peers_.erase(index);
        blocked_ = true;
        return;
      }
      ++next_;
      if (state_[index] == State::Waiting) {
        state_[index] = State::InFlight;
        inFlight_[peer.key] = index;
      }
    }
  }

  void wait() {
    std::array<pollfd, 2> fds{};
    nfds_t count = 0;
    for (Socket* socket : {&socket4_, &socket6_}) {
      if (socket->isOpen()) {
        fds[count].fd = socket->fd();
        fds[count].events = static_cast<short>(POLLIN | (blocked_ ? POLLOUT : 0));
        ++count;
      }
    }
    const bool moreToSend =
        !blocked_ && next_ < targets_.size() && inFlight_.size() < options_.maxInFlight;
    int timeoutMs = blocked_ ? 5 : moreToSend ? 0 : 1000;
    if (!deadlines_.empty()) {
      auto until =
          std::chrono::ceil<std::chrono::milliseconds>(deadlines_.front().at - Clock::now());
      timeoutMs = std::max(0, std::min(timeoutMs, static_cast<int>(until.count())));
    }
    if (count == 0) {
      return;
    }
    ::poll(fds.data(), count, timeoutMs);
  }

  void receiveAll() {
    for (Socket* socket : {&socket4_, &socket6_}) {
      if (socket->isOpen()) {
        receiveAnswers(socket->fd());
        receiveErrors(socket->fd());
      }
    }
  }

  void receiveAnswers(int fd) {
    std::array<char, 65536> buffer{};
    for (int budget = 0; budget < 100000; ++budget) {
      sockaddr_storage from{};
      socklen_t fromLength = sizeof from;
      ssize_t n = ::recvfrom(fd, buffer.data(), buffer.size(), MSG_DONTWAIT,
                             reinterpret_cast<sockaddr*>(&from), &fromLength);
      if (n < 0) {
        if (isTransient(errno)) {
          return;
        }
        continue;  // a pending ICMP error surfaced here; the error queue has the details
      }
      auto answer = decodeProbeAnswer(std::string_view(buffer.data(), static_cast<size_t>(n)));
      if (!answer) {
        continue;
      }
      size_t index = indexOf(answer->requestId);
      if (index >= targets_.size() || state_[index] != State::InFlight ||
          peers_[index].key != keyOf(reinterpret_cast<sockaddr*>(&from))) {
        continue;  // late, duplicate or spoofed
      }
      finish(index, ProbeResult::Answered);
    }
  }

  void receiveErrors(int fd) {
    for (int budget = 0; budget < 100000; ++budget) {
      std::array<char, 512> data{};
      std::array<char, 512> control{};
      sockaddr_storage offender{};
      iovec io{data.data(), data.size()};
      msghdr message{};
      message.msg_name = &offender;
      message.msg_namelen = sizeof offender;
      message.msg_iov = &io;
      message.msg_iovlen = 1;
      message.msg_control = control.data();
      message.msg_controllen = control.size();
      if (::recvmsg(fd, &message, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
        return;
      }
      for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
        bool v4 = c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR;
        bool v6 = c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR;
        if (!v4 && !v6) {
          continue;
        }
        sock_extended_err error{};
        std::memcpy(&error, CMSG_DATA(c), sizeof error);
        // msg_name holds the destination of the datagram that caused the error.
        auto found = inFlight_.find(keyOf(reinterpret_cast<sockaddr*>(&offender)));
        if (found == inFlight_.end()) {
          continue;
        }
        finish(found->second, ProbeResult::Unreachable,
               std::strerror(static_cast<int>(error.ee_errno)));
      }
    }
  }

  void expire() {
    Clock::time_point now = Clock::now();
    while (!deadlines_.empty() && deadlines_.front().at <= now) {
      Deadline d = deadlines_.front();
      deadlines_.pop_front();
      if (state_[d.index] != State::InFlight || attempts_[d.index] != d.attempt) {
        continue;  // decided, or a newer attempt has its own deadline
      }
      if (attempts_[d.index] <= options_.retries) {
        resend_.push_back(d.index);
      } else {
        finish(d.index, ProbeResult::Timeout);
      }
    }
  }

  const std::vector<ProbeTarget>& targets_;
  ProbeOptions options_;
  std::vector<ProbeOutcome> outcomes_;
  std::vector<State> state_;
  std::vector<uint8_t> attempts_;
  std::vector<Clock::time_point> sentAt_;
  std::unordered_map<size_t, Peer> peers_;            // probes being sent or in flight
  std::unordered_map<std::string, size_t> inFlight_;  // peer key → index
  std::deque<Deadline> deadlines_;                    // in send order = deadline order
  std::deque<size_t> resend_;                         // retries waiting for the socket
  size_t next_ = 0;
  bool blocked_ = false;
  uint32_t salt_;
  Socket socket4_;
  Socket socket6_;
};

}  // namespace

std::vector<ProbeOutcome> UdpProber::probe(const std::vector<ProbeTarget>& targets,
                                           const ProbeOptions& options,
                                           const std::atomic<bool>& stop) {
  return Sweep(targets, options).run(stop);
}

}  // namespace promsnmp
