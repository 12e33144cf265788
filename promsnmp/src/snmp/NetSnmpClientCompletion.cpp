// What NetSnmpClient does with answered requests, on the I/O thread: a timeout with retries
// left is sent again, an engine-ID probe's outcome readies its session or fails what waits on
// it, the rest are counted and their callbacks called outside net-snmp; and failing everything
// at once, for cancelAll and the shutdown.
#include <algorithm>
#include <exception>
#include <utility>

#include <Poco/Message.h>

#include "snmp/NetSnmpClientImpl.h"

namespace promsnmp {

void NetSnmpClient::Impl::processCompleted(std::vector<std::unique_ptr<Request>>& finished) {
  while (completedHead_ != nullptr) {
    std::vector<Request*> batch;
    for (Request* r = completedHead_; r != nullptr; r = r->nextCompleted) {
      batch.push_back(r);
    }
    completedHead_ = nullptr;
    std::reverse(batch.begin(), batch.end());
    for (Request* r : batch) {
      Session& s = *r->session;
      bool retry = r->response.status == Status::Timeout && s.handle != nullptr &&
                   r->packets < static_cast<uint32_t>(std::max(0, r->target.retries)) + 1 &&
                   !stoppingNow();
      if (retry) {
        transmit(s, *r);
        continue;
      }
      if (r->probe) {
        probeDone(s, r, finished);
        continue;
      }
      r->response.packetsSent = r->packets;
      r->response.elapsed = r->sent ? std::chrono::duration_cast<std::chrono::microseconds>(
                                          SteadyClock::now() - r->firstSent)
                                    : std::chrono::microseconds(0);
      count(r->response.status);
      if (r->response.status == Status::Authentication) {
        s.reopen = true;  // rediscover the engine and reinstall keys next time
      }
      finished.push_back(release(s, r));
      if (s.reopen && s.inFlight == 0) {
        closeSession(s);
      }
      markReady(s);
    }
  }
}

void NetSnmpClient::Impl::count(Status status) {
  if (status == Status::Timeout) {
    ++timeouts_;
  } else if (status == Status::Authentication) {
    ++authFailures_;
  }
}

void NetSnmpClient::Impl::probeDone(Session& s, Request* probe,
                                    std::vector<std::unique_ptr<Request>>& finished) {
  s.carryPackets += probe->packets;
  if (probe->sent && !s.carryStart) {
    s.carryStart = probe->firstSent;
  }
  SnmpResponse outcome = probe->response;
  std::unique_ptr<Request> owned = release(s, probe);
  netsnmp_session* ss = s.handle != nullptr ? snmp_sess_session(s.handle) : nullptr;
  if (ss != nullptr && ss->securityEngineIDLen > 0) {
    ++discoveries_;
    if (installUser(s)) {
      s.state = Session::State::Ready;
      markReady(s);
      return;
    }
    outcome.status = Status::Authentication;
    outcome.message = "cannot install the SNMPv3 user (usm_create_user)";
  } else if (outcome.status == Status::Ok || outcome.status == Status::Authentication) {
    outcome.status = Status::Authentication;
    outcome.message =
        "engine ID discovery failed: " +
        (outcome.message.empty() ? std::string("no engine ID in the answer") : outcome.message);
  } else {
    outcome.message = "engine ID discovery: " + outcome.message;
  }
  failQueued(s, outcome, finished);
  closeSession(s);
}

void NetSnmpClient::Impl::failQueued(Session& s, const SnmpResponse& failure,
                                     std::vector<std::unique_ptr<Request>>& finished) {
  while (!s.queued.empty()) {
    std::unique_ptr<Request> r = std::move(s.queued.front());
    s.queued.pop_front();
    --queuedGauge_;
    r->response = failure;
    r->response.varbinds.clear();
    r->response.packetsSent = s.carryPackets;
    r->response.elapsed = s.carryStart ? std::chrono::duration_cast<std::chrono::microseconds>(
                                             SteadyClock::now() - *s.carryStart)
                                       : std::chrono::microseconds(0);
    s.carryPackets = 0;
    s.carryStart.reset();
    count(failure.status);
    finished.push_back(std::move(r));
  }
}

void NetSnmpClient::Impl::deliver(std::vector<std::unique_ptr<Request>>& finished) {
  for (auto& r : finished) {
    if (!r || !r->done) {
      continue;
    }
    try {
      Done done = std::move(r->done);
      done(std::move(r->response));
    } catch (const std::exception& e) {
      logEvent(logger("promsnmp.snmp"), Poco::Message::PRIO_ERROR, "callback threw",
               {{"error", e.what()}});
    } catch (...) {
      logEvent(logger("promsnmp.snmp"), Poco::Message::PRIO_ERROR, "callback threw");
    }
  }
  finished.clear();
}

void NetSnmpClient::Impl::failEverything(const char* why) {
  for (auto& [key, s] : sessions_) {
    closeSession(*s);
  }
  completedHead_ = nullptr;  // the close callbacks' outcomes: replaced below
  SnmpResponse stopped;
  stopped.status = Status::Transport;
  stopped.message = why;
  for (int round = 0; round < 1000; ++round) {
    std::vector<std::unique_ptr<Request>> finished;
    acceptIncoming();
    for (auto& [key, s] : sessions_) {
      for (auto& r : s->active) {
        if (!r->probe) {
          r->response = stopped;
          r->response.packetsSent = r->packets;
          finished.push_back(std::move(r));
        }
      }
      s->active.clear();
      inFlight_ -= s->inFlight;
      inFlightGauge_ -= s->inFlight;
      s->inFlight = 0;
      s->inReady = false;  // ready_ is cleared below: a later request marks it ready again
      failQueued(*s, stopped, finished);
    }
    busy_.clear();
    ready_.clear();
    if (finished.empty()) {
      break;
    }
    deliver(finished);
  }
}

}  // namespace promsnmp
