#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "BerCodec.h"
#include "DeviceMap.h"
#include "Options.h"
#include "Responder.h"
#include "ShapeCatalog.h"

namespace fleetsim {

/// The simulator's I/O: one UDP socket with IP_PKTINFO, so a request to any local address is
/// answered from that address, and one epoll loop that also handles SIGINT/SIGTERM, delayed
/// responses and the periodic stats line. Single-threaded.
class UdpServer {
 public:
  /// Binds the socket. Throws Poco::IOException naming the failing call.
  UdpServer(const Options& options, const ShapeCatalog& catalog, const DeviceMap& devices);
  ~UdpServer();
  UdpServer(const UdpServer&) = delete;
  UdpServer& operator=(const UdpServer&) = delete;

  /// Serves until SIGINT or SIGTERM. Throws Poco::IOException on a failing epoll call.
  void run();

 private:
  struct Delayed {
    int64_t dueNs;
    uint64_t sequence;
    std::string datagram;
    sockaddr_in peer;
    in_addr source;
    bool operator>(const Delayed& o) const {
      return dueNs != o.dueNs ? dueNs > o.dueNs : sequence > o.sequence;
    }
  };
  struct Counters {
    uint64_t requests = 0;  // answered
    uint64_t varbinds = 0;
    uint64_t droppedLoss = 0;
    uint64_t droppedUnknownAddress = 0;
    uint64_t droppedCommunity = 0;
    uint64_t malformed = 0;
    uint64_t sendErrors = 0;
  };

  void receiveBatch();
  void handle(const uint8_t* data, size_t length, const sockaddr_in& peer, in_addr destination);
  void send(std::span<const uint8_t> header, std::span<const uint8_t> body, const sockaddr_in& peer,
            in_addr source);
  void sendDue(int64_t nowNs);
  void printStats(int64_t nowNs);

  const Options& options_;
  const ShapeCatalog& catalog_;
  const DeviceMap& devices_;
  ResponderLimits limits_;
  int socket_ = -1;
  int epoll_ = -1;
  int signals_ = -1;
  int64_t startNs_ = 0;
  Request request_;
  ResponseWriter writer_;
  std::mt19937_64 random_;
  std::priority_queue<Delayed, std::vector<Delayed>, std::greater<>> delayed_;
  uint64_t sequence_ = 0;
  Counters total_;
  Counters lastStats_;
  int64_t lastStatsNs_ = 0;
  // recvmmsg batch buffers
  std::vector<std::vector<uint8_t>> buffers_;
};

/// CLOCK_MONOTONIC in nanoseconds.
int64_t monotonicNs();

}  // namespace fleetsim
