#include "UdpServer.h"

#include <arpa/inet.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <Poco/Exception.h>

namespace fleetsim {
namespace {

constexpr size_t kBatch = 32;
constexpr size_t kDatagramMax = 65536;
// Generous socket buffers so that bursts from many parallel pollers are not dropped by the
// kernel while the loop is busy.
constexpr int kSocketBuffer = 16 << 20;

[[noreturn]] void throwErrno(const std::string& call) {
  throw Poco::IOException(call + ": " + std::strerror(errno));
}

}  // namespace

int64_t monotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

UdpServer::UdpServer(const Options& options, const ShapeCatalog& catalog, const DeviceMap& devices)
    : options_(options), catalog_(catalog), devices_(devices), random_(options.seed) {
  limits_.maxVarbinds = options.maxVarbinds;
  limits_.maxSize = options.maxSize;
  socket_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (socket_ < 0) {
    throwErrno("socket");
  }
  int on = 1;
  if (setsockopt(socket_, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) < 0) {
    throwErrno("setsockopt(IP_PKTINFO)");
  }
  setsockopt(socket_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  int size = kSocketBuffer;
  // Best effort: capped by net.core.rmem_max / wmem_max, which is fine for small loads.
  setsockopt(socket_, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  setsockopt(socket_, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(options.port);
  address.sin_addr.s_addr = htonl(parseIpv4(options.listenAddress));
  if (bind(socket_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) < 0) {
    int saved = errno;
    ::close(socket_);
    errno = saved;
    throwErrno("bind(" + options.listenAddress + ":" + std::to_string(options.port) + ")");
  }

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  signals_ = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  if (signals_ < 0 || epoll_ < 0) {
    throwErrno("signalfd/epoll_create1");
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = socket_;
  if (epoll_ctl(epoll_, EPOLL_CTL_ADD, socket_, &event) < 0) {
    throwErrno("epoll_ctl");
  }
  event.data.fd = signals_;
  if (epoll_ctl(epoll_, EPOLL_CTL_ADD, signals_, &event) < 0) {
    throwErrno("epoll_ctl");
  }
  buffers_.assign(kBatch, std::vector<uint8_t>(kDatagramMax));
}

UdpServer::~UdpServer() {
  for (int fd : {socket_, epoll_, signals_}) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
}

void UdpServer::run() {
  startNs_ = monotonicNs();
  lastStatsNs_ = startNs_;
  int64_t statsNs = static_cast<int64_t>(options_.statsInterval * 1e9);
  for (;;) {
    int64_t now = monotonicNs();
    int64_t wakeNs = -1;
    if (!delayed_.empty()) {
      wakeNs = delayed_.top().dueNs;
    }
    if (statsNs > 0 && (wakeNs < 0 || lastStatsNs_ + statsNs < wakeNs)) {
      wakeNs = lastStatsNs_ + statsNs;
    }
    int timeoutMs = -1;
    if (wakeNs >= 0) {
      // Round up so a delayed response is never sent early.
      timeoutMs = wakeNs <= now ? 0 : static_cast<int>((wakeNs - now + 999999) / 1000000);
    }
    epoll_event events[2];
    int n = epoll_wait(epoll_, events, 2, timeoutMs);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throwErrno("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd == signals_) {
        signalfd_siginfo info{};
        if (read(signals_, &info, sizeof(info)) > 0) {
          std::fprintf(stderr, "fleet-sim stopping signal=%s\n", strsignal(info.ssi_signo));
          printStats(monotonicNs());
          return;
        }
      } else {
        receiveBatch();
      }
    }
    now = monotonicNs();
    sendDue(now);
    if (statsNs > 0 && now >= lastStatsNs_ + statsNs) {
      printStats(now);
    }
  }
}

void UdpServer::receiveBatch() {
  sockaddr_in peers[kBatch];
  alignas(cmsghdr) char controls[kBatch][CMSG_SPACE(sizeof(in_pktinfo))];
  iovec iovs[kBatch];
  mmsghdr messages[kBatch];
  // Bounded so that delayed responses and signals are served under sustained load.
  for (int round = 0; round < 64; ++round) {
    for (size_t i = 0; i < kBatch; ++i) {
      iovs[i] = {buffers_[i].data(), buffers_[i].size()};
      messages[i] = {};
      messages[i].msg_hdr.msg_name = &peers[i];
      messages[i].msg_hdr.msg_namelen = sizeof(peers[i]);
      messages[i].msg_hdr.msg_iov = &iovs[i];
      messages[i].msg_hdr.msg_iovlen = 1;
      messages[i].msg_hdr.msg_control = controls[i];
      messages[i].msg_hdr.msg_controllen = sizeof(controls[i]);
    }
    int n = recvmmsg(socket_, messages, kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) {
      return;
    }
    for (int i = 0; i < n; ++i) {
      in_addr destination{};
      for (cmsghdr* c = CMSG_FIRSTHDR(&messages[i].msg_hdr); c != nullptr;
           c = CMSG_NXTHDR(&messages[i].msg_hdr, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
          in_pktinfo info;
          std::memcpy(&info, CMSG_DATA(c), sizeof(info));
          destination = info.ipi_addr;
        }
      }
      handle(buffers_[i].data(), messages[i].msg_len, peers[i], destination);
    }
    if (static_cast<size_t>(n) < kBatch) {
      return;
    }
  }
}

void UdpServer::handle(const uint8_t* data, size_t length, const sockaddr_in& peer,
                       in_addr destination) {
  uint32_t address = ntohl(destination.s_addr);
  unsigned interfaces = options_.interfaces;
  if (!devices_.ranges().empty()) {
    const DeviceRange* range = devices_.find(address);
    if (range == nullptr) {
      ++total_.droppedUnknownAddress;
      return;
    }
    interfaces = range->interfaces;
  }
  if (options_.loss > 0 && std::uniform_real_distribution<double>(0, 1)(random_) < options_.loss) {
    ++total_.droppedLoss;
    return;
  }
  if (!parseRequest(data, length, request_)) {
    ++total_.malformed;
    return;
  }
  const Shape* shape = catalog_.find(catalog_.groupOf(interfaces), request_.community);
  if (shape == nullptr) {
    ++total_.droppedCommunity;  // snmpsimd is silent about unknown communities too
    return;
  }
  int64_t now = monotonicNs();
  DeviceContext device;
  device.address = address;
  device.hash = mix64(options_.seed, address);
  device.seconds = static_cast<double>(now - startNs_) / 1e9;
  device.keepSysName = options_.keepSysName;
  device.staticCounters = options_.staticCounters;
  total_.varbinds += respond(request_, *shape, device, limits_, writer_);
  ++total_.requests;
  if (options_.latencyMaxMs > 0) {
    double ms = options_.latencyMinMs;
    if (options_.latencyMaxMs > options_.latencyMinMs) {
      ms = std::uniform_real_distribution<double>(options_.latencyMinMs,
                                                  options_.latencyMaxMs)(random_);
    }
    Delayed d;
    d.dueNs = now + static_cast<int64_t>(ms * 1e6);
    d.sequence = sequence_++;
    d.datagram.assign(reinterpret_cast<const char*>(writer_.header().data()),
                      writer_.header().size());
    d.datagram.append(reinterpret_cast<const char*>(writer_.varbinds().data()),
                      writer_.varbinds().size());
    d.peer = peer;
    d.source = destination;
    delayed_.push(std::move(d));
    return;
  }
  send(writer_.header(), writer_.varbinds(), peer, destination);
}

void UdpServer::send(std::span<const uint8_t> header, std::span<const uint8_t> body,
                     const sockaddr_in& peer, in_addr source) {
  iovec iov[2] = {{const_cast<uint8_t*>(header.data()), header.size()},
                  {const_cast<uint8_t*>(body.data()), body.size()}};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in_pktinfo))] = {};
  msghdr message{};
  message.msg_name = const_cast<sockaddr_in*>(&peer);
  message.msg_namelen = sizeof(peer);
  message.msg_iov = iov;
  message.msg_iovlen = body.empty() ? 1 : 2;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  cmsghdr* c = CMSG_FIRSTHDR(&message);
  c->cmsg_level = IPPROTO_IP;
  c->cmsg_type = IP_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
  in_pktinfo info{};
  info.ipi_spec_dst = source;  // answer from the address the request was sent to
  std::memcpy(CMSG_DATA(c), &info, sizeof(info));
  if (sendmsg(socket_, &message, MSG_DONTWAIT) < 0) {
    ++total_.sendErrors;
  }
}

void UdpServer::sendDue(int64_t nowNs) {
  while (!delayed_.empty() && delayed_.top().dueNs <= nowNs) {
    const Delayed& d = delayed_.top();
    send({reinterpret_cast<const uint8_t*>(d.datagram.data()), d.datagram.size()}, {}, d.peer,
         d.source);
    delayed_.pop();
  }
}

void UdpServer::printStats(int64_t nowNs) {
  double seconds = static_cast<double>(nowNs - lastStatsNs_) / 1e9;
  if (seconds <= 0) {
    seconds = 1e-9;
  }
  const Counters& t = total_;
  const Counters& l = lastStats_;
  std::fprintf(stderr,
               "fleet-sim stats requests=%llu varbinds=%llu requests_per_s=%.1f "
               "varbinds_per_s=%.1f dropped_loss=%llu dropped_address=%llu "
               "dropped_community=%llu malformed=%llu send_errors=%llu delayed=%zu\n",
               static_cast<unsigned long long>(t.requests),
               static_cast<unsigned long long>(t.varbinds),
               static_cast<double>(t.requests - l.requests) / seconds,
               static_cast<double>(t.varbinds - l.varbinds) / seconds,
               static_cast<unsigned long long>(t.droppedLoss),
               static_cast<unsigned long long>(t.droppedUnknownAddress),
               static_cast<unsigned long long>(t.droppedCommunity),
               static_cast<unsigned long long>(t.malformed),
               static_cast<unsigned long long>(t.sendErrors), delayed_.size());
  lastStats_ = total_;
  lastStatsNs_ = nowNs;
}

}  // namespace fleetsim
