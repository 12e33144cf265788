#include "leadership/LeadershipClient.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <Poco/Exception.h>
#include <Poco/Logger.h>

#include "common/Logging.h"
#include "elector/LeadershipEvent.h"

namespace promsnmp {

using common::Clock;
using common::logEvent;
using common::logger;

namespace {

Poco::Logger& log() { return logger("promsnmp.leadership"); }

}  // namespace

std::optional<LeadershipEvent> parseLeadershipLine(std::string_view line, std::string* error) {
  std::optional<elector::LeadershipEvent> decoded = elector::decode(line, error);
  if (!decoded) {
    return std::nullopt;
  }
  return LeadershipEvent{decoded->role == elector::LeadershipRole::Leader, decoded->epoch,
                         std::move(decoded->holder), decoded->leaseMs};
}

LeadershipClient::LeadershipClient(std::string path, Clock& clock)
    : LeadershipClient(std::move(path), clock, Options{}) {}

LeadershipClient::LeadershipClient(std::string path, Clock& clock, Options options,
                                   RoleCallback onChange)
    : path_(std::move(path)), clock_(clock), options_(options), onChange_(std::move(onChange)) {}

LeadershipClient::~LeadershipClient() { stop(); }

void LeadershipClient::start() {
  std::lock_guard<std::mutex> lifecycle(lifecycleMutex_);
  if (thread_.joinable()) {
    throw Poco::IllegalStateException("leadership client already started");
  }
  int pipeFds[2];
  if (::pipe2(pipeFds, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw Poco::IOException(std::string("pipe2: ") + std::strerror(errno));
  }
  wakeRead_ = pipeFds[0];
  wakeWrite_ = pipeFds[1];
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void LeadershipClient::stop() {
  std::lock_guard<std::mutex> lifecycle(lifecycleMutex_);
  if (!thread_.joinable()) {
    return;
  }
  stopping_ = true;
  const char byte = 's';
  [[maybe_unused]] ssize_t ignored = ::write(wakeWrite_, &byte, 1);
  thread_.join();
  ::close(wakeRead_);
  ::close(wakeWrite_);
  wakeRead_ = wakeWrite_ = -1;
  std::lock_guard<std::mutex> lock(mutex_);
  event_.reset();
}

LeadershipState LeadershipClient::stateLocked(std::chrono::steady_clock::time_point now) const {
  LeadershipState state;
  if (event_) {
    state.leader = event_->leader && now < deadline_;
    state.epoch = event_->epoch;
    state.holder = event_->holder;
  }
  return state;
}

LeadershipState LeadershipClient::state() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stateLocked(clock_.steadyNow());
}

bool LeadershipClient::isLeader() const { return state().leader; }

std::uint64_t LeadershipClient::epoch() const { return state().epoch; }

std::string LeadershipClient::holder() const { return state().holder; }

bool LeadershipClient::waitFor(std::chrono::milliseconds d) {
  pollfd wake{wakeRead_, POLLIN, 0};
  const int rc = ::poll(&wake, 1, static_cast<int>(std::max<std::int64_t>(d.count(), 0)));
  (void)rc;  // Whether woken, interrupted or timed out, stopping_ decides.
  return !stopping_;
}

int LeadershipClient::connectSocket() {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path_.empty() || path_.size() >= sizeof address.sun_path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  std::memcpy(address.sun_path, path_.c_str(), path_.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    const int error = errno;
    ::close(fd);
    errno = error;
    return -1;
  }
  return fd;
}

void LeadershipClient::resetToFollower(const char* reason) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    event_.reset();
    longestLease_ = std::chrono::milliseconds::zero();
  }
  evaluate(reason);
}

void LeadershipClient::evaluate(const char* reason) {
  LeadershipState now = state();
  if (now.leader == reportedLeader_) {
    return;
  }
  reportedLeader_ = now.leader;
  // Losing leadership other than by the elector's word is a degraded mode (I5).
  const bool degraded =
      !now.leader && std::string_view(reason) != "event" && std::string_view(reason) != "stopped";
  logEvent(log(), degraded ? Poco::Message::PRIO_WARNING : Poco::Message::PRIO_INFORMATION,
           "leadership changed",
           {{"role", now.leader ? "leader" : "follower"},
            {"epoch", now.epoch},
            {"holder", now.holder},
            {"reason", reason}});
  if (onChange_) {
    try {
      onChange_(now);
    } catch (const std::exception& e) {
      logEvent(log(), Poco::Message::PRIO_ERROR, "leadership callback failed",
               {{"error", e.what()}});
    }
  }
}

bool LeadershipClient::handleLine(std::string_view line) {
  std::string error;
  auto event = parseLeadershipLine(line, &error);
  if (!event) {
    ++badLines_;
    logEvent(log(), Poco::Message::PRIO_WARNING, "leadership socket bad line",
             {{"path", path_}, {"error", error}});
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // The elector already keeps its own margin out of lease_ms; ours covers delivery delay and
    // clock rate. For short leases it is at most a quarter of the lease, or a leader line would
    // expire before the next renew arrives (every TTL/3) and leadership would flap. A quarter of
    // the longest lease of the connection (a fresh renew's), not of this line's: the elector
    // sends lines between renews too, and late in an unrenewed lease (Redis unreachable, F-8)
    // a margin shrinking with the time left would move the deadline later and revive a
    // leadership that had already ended by it.
    const auto lease = std::chrono::milliseconds(event->leaseMs);
    if (event->leader) {
      longestLease_ = std::max(longestLease_, lease);
    }
    deadline_ = clock_.steadyNow() + lease - std::min(options_.margin, longestLease_ / 4);
    event_ = std::move(*event);
  }
  evaluate("event");
  return true;
}

bool LeadershipClient::readLoop(int fd) {
  bool gotEvent = false;
  std::string buffer;
  char chunk[1024];
  while (!stopping_) {
    pollfd fds[2] = {{wakeRead_, POLLIN, 0}, {fd, POLLIN, 0}};
    const int rc = ::poll(fds, 2, static_cast<int>(options_.tick.count()));
    if (rc < 0 && errno != EINTR) {
      logEvent(log(), Poco::Message::PRIO_WARNING, "leadership socket poll failed",
               {{"path", path_}, {"error", std::strerror(errno)}});
      return gotEvent;
    }
    if (stopping_) {
      return gotEvent;
    }
    if (rc > 0 && fds[1].revents != 0) {
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
      if (n == 0) {
        logEvent(log(), Poco::Message::PRIO_WARNING, "leadership socket closed by the elector",
                 {{"path", path_}});
        return gotEvent;
      }
      if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          logEvent(log(), Poco::Message::PRIO_WARNING, "leadership socket read failed",
                   {{"path", path_}, {"error", std::strerror(errno)}});
          return gotEvent;
        }
      } else {
        buffer.append(chunk, static_cast<std::size_t>(n));
        std::size_t newline;
        while ((newline = buffer.find('\n')) != std::string::npos) {
          if (!handleLine(std::string_view(buffer).substr(0, newline))) {
            return gotEvent;
          }
          gotEvent = true;
          buffer.erase(0, newline + 1);
        }
        if (buffer.size() > elector::kMaxLineBytes) {
          ++badLines_;
          logEvent(
              log(), Poco::Message::PRIO_WARNING, "leadership socket bad line",
              {{"path", path_},
               {"error", "line longer than " + std::to_string(elector::kMaxLineBytes) + " bytes"}});
          return gotEvent;
        }
      }
    }
    evaluate("deadline");  // Notices a deadline that passed in silence (F-4).
  }
  return gotEvent;
}

void LeadershipClient::run() {
  auto backoff = options_.initialBackoff;
  bool warned = false;
  while (!stopping_) {
    const int fd = connectSocket();
    if (fd >= 0) {
      ++connects_;
      warned = false;
      logEvent(log(), Poco::Message::PRIO_INFORMATION, "leadership socket connected",
               {{"path", path_}});
      // A fresh connection starts as a follower until its first event (F-26).
      resetToFollower("connected");
      const bool gotEvent = readLoop(fd);
      ::close(fd);
      resetToFollower(stopping_ ? "stopped" : "disconnected");
      if (gotEvent) {
        backoff = options_.initialBackoff;
      }
    } else if (!warned) {
      warned = true;
      // Once per outage, not per attempt.
      logEvent(log(), Poco::Message::PRIO_WARNING, "leadership socket connect failed",
               {{"path", path_}, {"error", std::strerror(errno)}});
    }
    if (stopping_) {
      break;
    }
    // Full jitter in [backoff/2, backoff] so replicas do not reconnect in lockstep.
    std::uniform_int_distribution<std::int64_t> jitter(backoff.count() / 2, backoff.count());
    if (!waitFor(std::chrono::milliseconds(jitter(random_)))) {
      break;
    }
    backoff = std::min(backoff * 2, options_.maxBackoff);
  }
  resetToFollower("stopped");
}

}  // namespace promsnmp
