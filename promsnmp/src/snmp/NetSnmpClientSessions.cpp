// NetSnmpClient's session table: one net-snmp session (one UDP socket) per
// SnmpTarget::sessionKey(), opened for the first request, kept while used, closed least recently
// used first beyond maxSessions and after sessionIdleTimeout without use.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>

#include <Poco/Message.h>

#include "snmp/NetSnmpClientImpl.h"

namespace promsnmp {

auto NetSnmpClient::Impl::release(Session& s, Request* r) -> std::unique_ptr<Request> {
  auto it = std::find_if(s.active.begin(), s.active.end(),
                         [r](const std::unique_ptr<Request>& p) { return p.get() == r; });
  std::unique_ptr<Request> owned;
  if (it != s.active.end()) {
    owned = std::move(*it);
    s.active.erase(it);
  }
  if (--s.inFlight == 0) {
    busy_.erase(&s);
  }
  --inFlight_;
  --inFlightGauge_;
  s.lastUsed = SteadyClock::now();
  return owned;
}

bool NetSnmpClient::Impl::open(Session& s) {
  evictIfFull();
  const SnmpTarget& t = s.queued.front()->target;
  std::string failure;
  Status failStatus = Status::Transport;

  netsnmp_session in;
  snmp_sess_init(&in);
  std::string peer = t.peerName();
  in.peername = peer.data();
  in.timeout = static_cast<long>(t.timeoutMs) * 1000L;
  in.retries = 0;  // retries are ours: exact packet counts
  std::string community = t.community;
  std::string securityName = t.securityName;
  std::string contextName = t.contextName;
  if (t.version == 0 || t.version == 1) {
    in.version = t.version == 0 ? SNMP_VERSION_1 : SNMP_VERSION_2c;
    in.community = reinterpret_cast<u_char*>(community.data());
    in.community_len = community.size();
  } else if (t.version == 3) {
    in.version = SNMP_VERSION_3;
    in.securityModel = SNMP_SEC_MODEL_USM;
    in.securityName = securityName.data();
    in.securityNameLen = securityName.size();
    // The session's context goes into every PDU that names none (snmp_sess_open copies it);
    // the key includes it, so each context has its own session.
    in.contextName = contextName.data();
    in.contextNameLen = contextName.size();
    in.flags |= SNMP_FLAGS_DONT_PROBE;  // discovery is asynchronous, below
    failStatus = Status::Authentication;
    failure = setUpSecurity(in, t);
  } else {
    failure = "unsupported SNMP version " + std::to_string(t.version);
    failStatus = Status::Transport;
  }

  void* handle = nullptr;
  if (failure.empty()) {
    handle = snmp_sess_open(&in);
    if (handle == nullptr) {
      int libErr = 0;
      int snmpErr = 0;
      char* text = nullptr;
      snmp_error(&in, &libErr, &snmpErr, &text);
      failure = std::string("snmp_sess_open: ") + (text != nullptr ? text : "failed");
      std::free(text);
      failStatus = Status::Transport;
    }
  }
  // The keys derived from the passphrases sit in `in`; do not leave them on the stack.
  std::memset(in.securityAuthKey, 0, sizeof in.securityAuthKey);
  std::memset(in.securityPrivKey, 0, sizeof in.securityPrivKey);

  if (handle == nullptr) {
    SnmpResponse r;
    r.status = failStatus;
    r.message = failure;
    logEvent(logger("promsnmp.snmp"), Poco::Message::PRIO_DEBUG, "cannot open session",
             {{"peer", t.peerName()}, {"error", failure}});
    std::vector<std::unique_ptr<Request>> finished;
    failQueued(s, r, finished);
    deliver(finished);
    return false;
  }

  s.handle = handle;
  s.fd = snmp_sess_transport(handle)->sock;
  s.reopen = false;
  ++openSessions_;
  open_.insert(&s);
  netsnmp_session* ss = snmp_sess_session(handle);
  if (ss->version == SNMP_VERSION_3) {
    ss->flags |= SNMP_FLAGS_DONT_PROBE;  // snmp_sess_add_ex cleared it; keep sends async
    s.state = Session::State::Discovering;
    startProbe(s, t);
  } else {
    s.state = Session::State::Ready;
  }
  return true;
}

void NetSnmpClient::Impl::startProbe(Session& s, const SnmpTarget& t) {
  auto probe = std::make_unique<Request>();
  probe->target = t;
  probe->probe = true;
  probe->session = &s;
  probe->completedHead = &completedHead_;
  Request* raw = probe.get();
  activate(s, std::move(probe));
  transmit(s, *raw);
}

void NetSnmpClient::Impl::closeSession(Session& s) {
  if (s.handle == nullptr) {
    return;
  }
  void* handle = s.handle;
  s.handle = nullptr;
  s.fd = -1;
  s.state = Session::State::Closed;
  s.user = nullptr;
  s.authKey.clear();
  s.privKey.clear();
  --openSessions_;
  open_.erase(&s);
  snmp_sess_close(handle);  // calls back OP_TIMED_OUT for what is still in flight
}

void NetSnmpClient::Impl::evictIfFull() {
  while (openSessions_.load() >= options_.maxSessions) {
    // Only the open sessions (at most maxSessions), not every target ever polled: with a
    // fleet larger than maxSessions this runs on every open.
    Session* victim = nullptr;
    for (Session* s : open_) {
      if (s->inFlight == 0 && (victim == nullptr || s->lastUsed < victim->lastUsed)) {
        victim = s;
      }
    }
    if (victim == nullptr) {
      return;  // all busy: cannot happen while maxSessions >= maxInFlight
    }
    closeSession(*victim);
  }
}

void NetSnmpClient::Impl::sweep(SteadyClock::time_point now) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    Session& s = *it->second;
    bool idle = s.inFlight == 0 && s.queued.empty() && !s.inReady;
    if (idle && now - s.lastUsed >= options_.sessionIdleTimeout) {
      closeSession(s);
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace promsnmp
