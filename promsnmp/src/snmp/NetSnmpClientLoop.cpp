// NetSnmpClient's caller side (send, cancelAll, stats) and its I/O thread: one poll(2) over the
// sockets of the sessions with requests in flight and an eventfd that wakes it for new work.
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <Poco/Exception.h>
#include <Poco/Message.h>

#include "snmp/NetSnmpClientImpl.h"

namespace promsnmp {

NetSnmpClient::Impl::Impl(Options options) : options_(options) {
  options_.maxInFlight = std::max<size_t>(1, options_.maxInFlight);
  options_.maxInFlightPerTarget = std::max<size_t>(1, options_.maxInFlightPerTarget);
  options_.maxSessions = std::max(options_.maxSessions, options_.maxInFlight);
  wakeFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wakeFd_ < 0) {
    throw Poco::SystemException("eventfd", std::strerror(errno));
  }
  netsnmp_large_fd_set_init(&readSet_, FD_SETSIZE);
  NETSNMP_LARGE_FD_ZERO(&readSet_);
  thread_ = std::thread([this] { run(); });
}

NetSnmpClient::Impl::~Impl() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake();
  if (thread_.joinable()) {
    thread_.join();
  }
  netsnmp_large_fd_set_cleanup(&readSet_);
  ::close(wakeFd_);
}

void NetSnmpClient::Impl::send(const SnmpTarget& target, const SnmpRequest& request, Done done) {
  auto r = std::make_unique<Request>();
  r->target = target;
  r->request = request;
  r->done = std::move(done);
  r->completedHead = &completedHead_;
  std::unique_ptr<Request> rejected;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) {
      rejected = std::move(r);
    } else {
      incoming_.push_back(std::move(r));
      ++queuedGauge_;
    }
  }
  if (rejected) {  // the client is gone: answer here, once
    SnmpResponse response;
    response.status = Status::Transport;
    response.message = "client stopped";
    rejected->done(std::move(response));
    return;
  }
  wake();
}

void NetSnmpClient::Impl::cancelAll() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) {
      return;  // nothing is pending after the shutdown
    }
    cancelRequested_ = true;
  }
  wake();
}

NetSnmpClient::Stats NetSnmpClient::Impl::stats() const {
  Stats s;
  s.packetsSent = packetsSent_.load();
  s.timeouts = timeouts_.load();
  s.authenticationFailures = authFailures_.load();
  s.engineIdDiscoveries = discoveries_.load();
  s.openSessions = openSessions_.load();
  s.inFlight = inFlightGauge_.load();
  s.queued = queuedGauge_.load();
  return s;
}

void NetSnmpClient::Impl::run() {
  std::vector<pollfd> fds;
  std::vector<Session*> polled;
  auto lastSweep = SteadyClock::now();
  while (true) {
    acceptIncoming();
    if (takeCancelRequest()) {
      failEverything("cancelled");
    }
    dispatch();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) {
        break;
      }
    }

    int timeoutMs = preparePoll(fds, polled);
    int ready = ::poll(fds.data(), fds.size(), timeoutMs);
    if (ready < 0 && errno != EINTR) {
      logEvent(logger("promsnmp.snmp"), Poco::Message::PRIO_ERROR, "poll failed",
               {{"error", std::strerror(errno)}});
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (fds[0].revents & POLLIN) {
      uint64_t value = 0;
      [[maybe_unused]] ssize_t n = ::read(wakeFd_, &value, sizeof value);
    }
    for (size_t i = 0; i < polled.size(); ++i) {
      if (fds[i + 1].revents != 0 && polled[i]->handle != nullptr) {
        NETSNMP_LARGE_FD_SET(polled[i]->fd, &readSet_);
        snmp_sess_read2(polled[i]->handle, &readSet_);  // one datagram
        NETSNMP_LARGE_FD_CLR(polled[i]->fd, &readSet_);
      }
    }
    // Expire what is due (net-snmp checks each request's own deadline).
    std::vector<Session*> busyNow(busy_.begin(), busy_.end());
    for (Session* s : busyNow) {
      if (s->handle != nullptr) {
        snmp_sess_timeout(s->handle);
      }
    }

    std::vector<std::unique_ptr<Request>> finished;
    processCompleted(finished);
    deliver(finished);

    auto now = SteadyClock::now();
    if (now - lastSweep >= std::chrono::seconds(1)) {
      sweep(now);
      lastSweep = now;
    }
  }
  shutdown();
}

int NetSnmpClient::Impl::preparePoll(std::vector<pollfd>& fds, std::vector<Session*>& polled) {
  fds.clear();
  polled.clear();
  fds.push_back({wakeFd_, POLLIN, 0});
  // Idle sessions are swept about each second; answers produced while sending (a failed
  // send) are processed at once.
  int timeoutMs = completedHead_ != nullptr ? 0 : sessions_.empty() ? -1 : 1000;
  for (Session* s : busy_) {
    if (s->handle == nullptr || s->fd < 0) {
      continue;
    }
    fds.push_back({s->fd, POLLIN, 0});
    polled.push_back(s);
    int numFds = 0;
    int block = 1;
    timeval tv{};
    netsnmp_large_fd_set scratch;
    netsnmp_large_fd_set_init(&scratch, FD_SETSIZE);
    NETSNMP_LARGE_FD_ZERO(&scratch);
    snmp_sess_select_info2(s->handle, &numFds, &scratch, &tv, &block);
    netsnmp_large_fd_set_cleanup(&scratch);
    if (!block) {
      long ms = tv.tv_sec * 1000L + (tv.tv_usec + 999) / 1000;
      timeoutMs = timeoutMs < 0 ? static_cast<int>(ms) : std::min(timeoutMs, static_cast<int>(ms));
    }
  }
  return timeoutMs;
}

void NetSnmpClient::Impl::wake() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wakeFd_, &one, sizeof one);
}

void NetSnmpClient::Impl::acceptIncoming() {
  std::vector<std::unique_ptr<Request>> incoming;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    incoming.swap(incoming_);
  }
  for (auto& r : incoming) {
    std::string key = r->target.sessionKey();
    auto& slot = sessions_[key];
    if (!slot) {
      slot = std::make_unique<Session>();
      slot->key = key;
    }
    Session* s = slot.get();
    r->session = s;
    s->lastUsed = SteadyClock::now();
    s->queued.push_back(std::move(r));
    markReady(*s);
  }
}

void NetSnmpClient::Impl::dispatch() {
  // Terminates: each turn either starts a request (bounded by the caps) or drops a session
  // from the ready list (it comes back when its probe or one of its requests completes).
  while (inFlight_ < options_.maxInFlight && !ready_.empty()) {
    Session* s = ready_.front();
    ready_.pop_front();
    s->inReady = false;
    if (s->queued.empty() || s->state == Session::State::Discovering ||
        s->inFlight >= options_.maxInFlightPerTarget) {
      continue;
    }
    if (s->handle == nullptr) {
      if (!open(*s) || s->state == Session::State::Discovering) {
        continue;
      }
    }
    std::unique_ptr<Request> r = std::move(s->queued.front());
    s->queued.pop_front();
    --queuedGauge_;
    Request* raw = r.get();
    activate(*s, std::move(r));
    raw->packets += s->carryPackets;  // the engine-ID probe was sent for this request
    if (s->carryStart) {
      raw->sent = true;
      raw->firstSent = *s->carryStart;
    }
    s->carryPackets = 0;
    s->carryStart.reset();
    transmit(*s, *raw);
    markReady(*s);
  }
}

bool NetSnmpClient::Impl::stoppingNow() {
  std::lock_guard<std::mutex> lock(mutex_);
  return stopping_;
}

bool NetSnmpClient::Impl::takeCancelRequest() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::exchange(cancelRequested_, false);
}

void NetSnmpClient::Impl::shutdown() {
  failEverything("client stopped");
  std::lock_guard<std::mutex> lock(mutex_);
  stopped_ = true;
  for (auto& r : incoming_) {  // only if a callback kept sending for 1000 rounds
    --queuedGauge_;
    (void)r;
  }
  incoming_.clear();
}

}  // namespace promsnmp
