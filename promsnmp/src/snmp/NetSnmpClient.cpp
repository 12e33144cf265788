#include "snmp/NetSnmpClient.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <Poco/Exception.h>
#include <Poco/Message.h>

#include "support/Logging.h"

// net-snmp last: its headers define many macros. This is the only file that includes them.
// net-snmp-config.h must precede the others, hence no sorting here.
// clang-format off
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/keytools.h>
#include <net-snmp/library/large_fd_set.h>
#include <net-snmp/library/snmpusm.h>
#include <net-snmp/library/transform_oids.h>
// clang-format on

namespace promsnmp {

namespace {

using SteadyClock = std::chrono::steady_clock;
using Status = SnmpResponse::Status;

// ---------------------------------------------------------------------------------------------
// Protocol names

struct ProtocolOid {
  const ::oid* id;
  size_t length;
};

std::string normalizeName(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (c == '-' || c == '_' || std::isspace(static_cast<unsigned char>(c))) {
      continue;
    }
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::optional<ProtocolOid> authProtocolOid(const std::string& name) {
  std::string n = normalizeName(name);
  if (n == "MD5" || n == "HMACMD5") {
    return ProtocolOid{usmHMACMD5AuthProtocol, OID_LENGTH(usmHMACMD5AuthProtocol)};
  }
  if (n == "SHA" || n == "SHA1" || n == "HMACSHA") {
    return ProtocolOid{usmHMACSHA1AuthProtocol, OID_LENGTH(usmHMACSHA1AuthProtocol)};
  }
  if (n == "SHA224" || n == "HMAC128SHA224") {
    return ProtocolOid{usmHMAC128SHA224AuthProtocol, OID_LENGTH(usmHMAC128SHA224AuthProtocol)};
  }
  if (n == "SHA256" || n == "HMAC192SHA256") {
    return ProtocolOid{usmHMAC192SHA256AuthProtocol, OID_LENGTH(usmHMAC192SHA256AuthProtocol)};
  }
  if (n == "SHA384" || n == "HMAC256SHA384") {
    return ProtocolOid{usmHMAC256SHA384AuthProtocol, OID_LENGTH(usmHMAC256SHA384AuthProtocol)};
  }
  if (n == "SHA512" || n == "HMAC384SHA512") {
    return ProtocolOid{usmHMAC384SHA512AuthProtocol, OID_LENGTH(usmHMAC384SHA512AuthProtocol)};
  }
  return std::nullopt;
}

std::optional<ProtocolOid> privProtocolOid(const std::string& name) {
  std::string n = normalizeName(name);
  if (n == "DES") {
    return ProtocolOid{usmDESPrivProtocol, OID_LENGTH(usmDESPrivProtocol)};
  }
  if (n == "AES" || n == "AES128") {
    return ProtocolOid{usmAESPrivProtocol, OID_LENGTH(usmAESPrivProtocol)};
  }
  // AES-192/256 with Blumenthal key extension (draft-blumenthal-aes-usm-04, what net-snmp's
  // snmpd and most agents mean); the "C" names are Cisco's (Reeder) key extension.
  if (n == "AES192") {
    return ProtocolOid{usmAES192PrivProtocol, OID_LENGTH(usmAES192PrivProtocol)};
  }
  if (n == "AES256") {
    return ProtocolOid{usmAES256PrivProtocol, OID_LENGTH(usmAES256PrivProtocol)};
  }
  if (n == "AES192C") {
    return ProtocolOid{usmAES192CiscoPrivProtocol, OID_LENGTH(usmAES192CiscoPrivProtocol)};
  }
  if (n == "AES256C") {
    return ProtocolOid{usmAES256CiscoPrivProtocol, OID_LENGTH(usmAES256CiscoPrivProtocol)};
  }
  return std::nullopt;
}

bool isSecurityError(int snmpErrno) {
  switch (snmpErrno) {
    case SNMPERR_BAD_SEC_NAME:
    case SNMPERR_BAD_SEC_LEVEL:
    case SNMPERR_UNKNOWN_SEC_MODEL:
    case SNMPERR_UNKNOWN_ENG_ID:
    case SNMPERR_UNKNOWN_USER_NAME:
    case SNMPERR_UNSUPPORTED_SEC_LEVEL:
    case SNMPERR_AUTHENTICATION_FAILURE:
    case SNMPERR_NOT_IN_TIME_WINDOW:
    case SNMPERR_DECRYPTION_ERR:
    case SNMPERR_KT_NOT_AVAILABLE:
    case SNMPERR_USM_GENERICERROR:
    case SNMPERR_USM_UNKNOWNSECURITYNAME:
    case SNMPERR_USM_UNSUPPORTEDSECURITYLEVEL:
    case SNMPERR_USM_ENCRYPTIONERROR:
    case SNMPERR_USM_AUTHENTICATIONFAILURE:
    case SNMPERR_USM_PARSEERROR:
    case SNMPERR_USM_UNKNOWNENGINEID:
    case SNMPERR_USM_NOTINTIMEWINDOW:
    case SNMPERR_USM_DECRYPTIONERROR:
      return true;
    default:
      return false;
  }
}

std::string apiErrorText(int snmpErrno) {
  const char* text = snmp_api_errstring(snmpErrno);
  return text != nullptr ? text : "error " + std::to_string(snmpErrno);
}

// ---------------------------------------------------------------------------------------------
// Requests and sessions (touched only on the I/O thread once accepted)

struct Session;

struct Request {
  SnmpTarget target;
  SnmpRequest request;
  SnmpClient::Done done;
  Session* session = nullptr;
  bool probe = false;  // an SNMPv3 engine-ID discovery, not a user request
  uint32_t packets = 0;
  bool sent = false;
  SteadyClock::time_point firstSent{};

  // The outcome, written by the net-snmp callback.
  bool answered = false;
  SnmpResponse response;
  int lastReport = 0;  // SNMPERR_* of the last SNMPv3 report seen for this request
  Request* nextCompleted = nullptr;
  Request** completedHead = nullptr;  // the client's list of answered requests
};

struct Session {
  std::string key;
  void* handle = nullptr;  // net-snmp single session
  int fd = -1;
  enum class State { Closed, Discovering, Ready };
  State state = State::Closed;
  bool reopen = false;  // close once idle: the credentials or the engine need a fresh start
  size_t inFlight = 0;
  std::deque<std::unique_ptr<Request>> queued;
  std::vector<std::unique_ptr<Request>> active;  // in flight, probe included
  bool inReady = false;
  SteadyClock::time_point lastUsed = SteadyClock::now();
  uint32_t carryPackets = 0;  // engine-ID probe packets, charged to the next request
  std::optional<SteadyClock::time_point> carryStart;
  // SNMPv3: the USM user this session installed (to notice when another session replaced it).
  const void* user = nullptr;
  std::string authKey;
  std::string privKey;
};

Oid oidFrom(const ::oid* name, size_t length) {
  Oid::Ids ids;
  ids.reserve(length);
  for (size_t i = 0; i < length; ++i) {
    ids.push_back(static_cast<uint32_t>(name[i]));
  }
  return Oid(std::move(ids));
}

SnmpValue valueFrom(const netsnmp_variable_list* vp) {
  SnmpValue v;
  switch (vp->type) {
    case ASN_INTEGER:
      return SnmpValue::makeInteger(vp->val.integer != nullptr ? *vp->val.integer : 0);
    case ASN_COUNTER:
      return SnmpValue::makeUnsigned(
          SnmpType::Counter32,
          vp->val.integer != nullptr ? static_cast<uint64_t>(*vp->val.integer) & 0xffffffffULL : 0);
    case ASN_GAUGE:  // == ASN_UNSIGNED
      return SnmpValue::makeUnsigned(
          SnmpType::Gauge32,
          vp->val.integer != nullptr ? static_cast<uint64_t>(*vp->val.integer) & 0xffffffffULL : 0);
    case ASN_TIMETICKS:
      return SnmpValue::makeUnsigned(
          SnmpType::TimeTicks,
          vp->val.integer != nullptr ? static_cast<uint64_t>(*vp->val.integer) & 0xffffffffULL : 0);
    case ASN_COUNTER64: {
      uint64_t c = 0;
      if (vp->val.counter64 != nullptr) {
        c = (static_cast<uint64_t>(vp->val.counter64->high & 0xffffffffUL) << 32) |
            (static_cast<uint64_t>(vp->val.counter64->low & 0xffffffffUL));
      }
      return SnmpValue::makeUnsigned(SnmpType::Counter64, c);
    }
    case ASN_OCTET_STR:
      return SnmpValue::makeOctetString(
          vp->val.string != nullptr
              ? std::string(reinterpret_cast<const char*>(vp->val.string), vp->val_len)
              : std::string());
    case ASN_IPADDRESS:
      v.type = SnmpType::IpAddress;
      if (vp->val.string != nullptr) {
        v.bytes.assign(reinterpret_cast<const char*>(vp->val.string), vp->val_len);
      }
      return v;
    case ASN_OBJECT_ID: {
      if (vp->val.objid == nullptr) {
        return SnmpValue::makeObjectId(Oid());
      }
      return SnmpValue::makeObjectId(oidFrom(vp->val.objid, vp->val_len / sizeof(::oid)));
    }
    case ASN_NULL:
      return v;
    case SNMP_NOSUCHOBJECT:
      return SnmpValue::makeException(SnmpType::NoSuchObject);
    case SNMP_NOSUCHINSTANCE:
      return SnmpValue::makeException(SnmpType::NoSuchInstance);
    case SNMP_ENDOFMIBVIEW:
      return SnmpValue::makeException(SnmpType::EndOfMibView);
    default:
      v.type = SnmpType::Other;
      if (vp->val.string != nullptr && vp->val_len > 0) {
        v.bytes.assign(reinterpret_cast<const char*>(vp->val.string), vp->val_len);
      }
      return v;
  }
}

SnmpResponse responseFrom(const netsnmp_pdu* pdu) {
  SnmpResponse out;
  out.errorStatus = static_cast<int>(pdu->errstat);
  out.errorIndex = static_cast<int>(pdu->errindex);
  if (pdu->errstat == SNMP_ERR_NOERROR) {
    out.status = Status::Ok;
  } else {
    out.status = pdu->errstat == SNMP_ERR_TOOBIG ? Status::TooBig : Status::ErrorStatus;
    const char* text = snmp_errstring(static_cast<int>(pdu->errstat));
    out.message = text != nullptr ? text : "error-status " + std::to_string(pdu->errstat);
  }
  size_t count = 0;
  for (const netsnmp_variable_list* vp = pdu->variables; vp != nullptr; vp = vp->next_variable) {
    ++count;
  }
  out.varbinds.reserve(count);
  for (const netsnmp_variable_list* vp = pdu->variables; vp != nullptr; vp = vp->next_variable) {
    VarBind& vb = out.varbinds.emplace_back();
    vb.oid = oidFrom(vp->name, vp->name_length);
    vb.value = valueFrom(vp);
  }
  return out;
}

void markAnswered(Request* r) {
  r->answered = true;
  r->nextCompleted = *r->completedHead;
  *r->completedHead = r;
}

/// The net-snmp callback. Runs inside snmp_sess_read2/snmp_sess_timeout/snmp_sess_close on the
/// I/O thread. Copies the outcome into the Request and nothing else: user code runs later, from
/// the loop, never inside net-snmp. No exception leaves this function.
int onNetSnmpEvent(int op, netsnmp_session* /*session*/, int /*reqid*/, netsnmp_pdu* pdu,
                   void* magic) noexcept {
  auto* r = static_cast<Request*>(magic);
  if (r == nullptr || r->answered) {
    return 1;
  }
  try {
    switch (op) {
      case NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE:
        if (pdu == nullptr) {
          return 1;
        }
        if (pdu->command == SNMP_MSG_REPORT) {
          // net-snmp follows up: a resend (notInTimeWindow, the engine's clock learned) or
          // OP_SEC_ERROR. Remember why.
          r->lastReport = snmpv3_get_report_type(pdu);
          if (r->lastReport == SNMPERR_NOT_IN_TIME_WINDOW) {
            ++r->packets;
          }
          return 1;
        }
        r->response = responseFrom(pdu);
        break;
      case NETSNMP_CALLBACK_OP_TIMED_OUT:
        r->response = SnmpResponse();
        if (r->lastReport != 0) {
          r->response.status = Status::Authentication;
          r->response.message = "SNMPv3 report: " + apiErrorText(r->lastReport);
        } else {
          r->response.status = Status::Timeout;
          r->response.message = "no response";
        }
        break;
      case NETSNMP_CALLBACK_OP_SEC_ERROR:
        r->response = SnmpResponse();
        r->response.status = Status::Authentication;
        r->response.message =
            "SNMPv3 report: " +
            apiErrorText(r->lastReport != 0 ? r->lastReport : SNMPERR_AUTHENTICATION_FAILURE);
        break;
      case NETSNMP_CALLBACK_OP_SEND_FAILED:
      case NETSNMP_CALLBACK_OP_DISCONNECT:
        r->response = SnmpResponse();
        r->response.status = Status::Transport;
        r->response.message =
            op == NETSNMP_CALLBACK_OP_SEND_FAILED ? "send failed" : "disconnected";
        break;
      default:
        return 1;
    }
  } catch (...) {
    r->response = SnmpResponse();
    r->response.status = Status::Transport;
    r->response.message = "internal error while reading the response";
  }
  markAnswered(r);
  return 1;
}

/// net-snmp's log lines → the "promsnmp.snmp" logger. No exception leaves this function.
int onNetSnmpLog(int /*major*/, int /*minor*/, void* serverArg, void* /*clientArg*/) noexcept {
  try {
    const auto* m = static_cast<const snmp_log_message*>(serverArg);
    if (m == nullptr || m->msg == nullptr) {
      return 0;
    }
    std::string text(m->msg);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
      text.pop_back();
    }
    if (text.empty()) {
      return 0;
    }
    auto priority =
        m->priority <= LOG_WARNING ? Poco::Message::PRIO_WARNING : Poco::Message::PRIO_DEBUG;
    logEvent(logger("promsnmp.snmp"), priority, "net-snmp", {{"text", text}});
  } catch (...) {
  }
  return 0;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

class NetSnmpClient::Impl {
 public:
  explicit Impl(Options options) : options_(options) {
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

  ~Impl() {
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

  void send(const SnmpTarget& target, const SnmpRequest& request, Done done) {
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

  void cancelAll() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopped_) {
        return;  // nothing is pending after the shutdown
      }
      cancelRequested_ = true;
    }
    wake();
  }

  Stats stats() const {
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

 private:
  // ---- the loop ------------------------------------------------------------------------------

  void run() {
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
          timeoutMs =
              timeoutMs < 0 ? static_cast<int>(ms) : std::min(timeoutMs, static_cast<int>(ms));
        }
      }

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

  void wake() {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wakeFd_, &one, sizeof one);
  }

  void acceptIncoming() {
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

  void markReady(Session& s) {
    if (!s.inReady && !s.queued.empty()) {
      s.inReady = true;
      ready_.push_back(&s);
    }
  }

  /// Starts queued requests while there is room: round robin over the sessions with work.
  void dispatch() {
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

  void activate(Session& s, std::unique_ptr<Request> r) {
    s.active.push_back(std::move(r));
    if (s.inFlight++ == 0) {
      busy_.insert(&s);
    }
    ++inFlight_;
    ++inFlightGauge_;
  }

  std::unique_ptr<Request> release(Session& s, Request* r) {
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

  // ---- sessions ------------------------------------------------------------------------------

  /// Opens the session for its first queued request's target. On failure, fails the queued
  /// requests and returns false. For SNMPv3 starts engine-ID discovery (state Discovering).
  bool open(Session& s) {
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
    if (t.version == 0 || t.version == 1) {
      in.version = t.version == 0 ? SNMP_VERSION_1 : SNMP_VERSION_2c;
      in.community = reinterpret_cast<u_char*>(community.data());
      in.community_len = community.size();
    } else if (t.version == 3) {
      in.version = SNMP_VERSION_3;
      in.securityModel = SNMP_SEC_MODEL_USM;
      in.securityName = securityName.data();
      in.securityNameLen = securityName.size();
      in.securityLevel = t.securityLevel >= 3   ? SNMP_SEC_LEVEL_AUTHPRIV
                         : t.securityLevel == 2 ? SNMP_SEC_LEVEL_AUTHNOPRIV
                                                : SNMP_SEC_LEVEL_NOAUTH;
      in.flags |= SNMP_FLAGS_DONT_PROBE;  // discovery is asynchronous, below
      failStatus = Status::Authentication;
      if (in.securityLevel != SNMP_SEC_LEVEL_NOAUTH) {
        std::optional<ProtocolOid> auth = authProtocolOid(t.authProtocol);
        if (!auth) {
          failure = "unsupported SNMPv3 auth protocol '" + t.authProtocol + "'";
        } else {
          in.securityAuthProto = const_cast<::oid*>(auth->id);
          in.securityAuthProtoLen = auth->length;
          in.securityAuthKeyLen = USM_AUTH_KU_LEN;
          if (generate_Ku(auth->id, static_cast<u_int>(auth->length),
                          reinterpret_cast<const u_char*>(t.authPassphrase.data()),
                          t.authPassphrase.size(), in.securityAuthKey,
                          &in.securityAuthKeyLen) != SNMPERR_SUCCESS) {
            failure = "cannot derive the SNMPv3 auth key (passphrase shorter than 8 characters?)";
          }
        }
        if (failure.empty() && in.securityLevel == SNMP_SEC_LEVEL_AUTHPRIV) {
          std::optional<ProtocolOid> priv = privProtocolOid(t.privProtocol);
          if (!priv) {
            failure = "unsupported SNMPv3 priv protocol '" + t.privProtocol + "'";
          } else {
            in.securityPrivProto = const_cast<::oid*>(priv->id);
            in.securityPrivProtoLen = priv->length;
            in.securityPrivKeyLen = USM_PRIV_KU_LEN;
            if (generate_Ku(in.securityAuthProto, static_cast<u_int>(in.securityAuthProtoLen),
                            reinterpret_cast<const u_char*>(t.privPassphrase.data()),
                            t.privPassphrase.size(), in.securityPrivKey,
                            &in.securityPrivKeyLen) != SNMPERR_SUCCESS) {
              failure = "cannot derive the SNMPv3 priv key (passphrase shorter than 8 characters?)";
            }
          }
        }
      }
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

  void startProbe(Session& s, const SnmpTarget& t) {
    auto probe = std::make_unique<Request>();
    probe->target = t;
    probe->probe = true;
    probe->session = &s;
    probe->completedHead = &completedHead_;
    Request* raw = probe.get();
    activate(s, std::move(probe));
    transmit(s, *raw);
  }

  void closeSession(Session& s) {
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

  /// Keeps the number of open sessions under the bound: closes the least recently used ones
  /// that have nothing in flight.
  void evictIfFull() {
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

  /// Closes sessions unused for sessionIdleTimeout and forgets empty ones.
  void sweep(SteadyClock::time_point now) {
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

  // ---- SNMPv3 user -----------------------------------------------------------------------------

  static usmUser* findUser(const netsnmp_session* ss) {
    for (usmUser* u = usm_get_userList(); u != nullptr; u = u->next) {
      if (u->name != nullptr && ss->securityName != nullptr &&
          std::strcmp(u->name, ss->securityName) == 0 &&
          u->engineIDLen == ss->securityEngineIDLen && u->engineID != nullptr &&
          std::memcmp(u->engineID, ss->securityEngineID, ss->securityEngineIDLen) == 0) {
        return u;
      }
    }
    return nullptr;
  }

  static std::string keyBytes(const u_char* key, size_t length) {
    return key != nullptr ? std::string(reinterpret_cast<const char*>(key), length) : std::string();
  }

  /// Installs this session's user (keys localised to the discovered engine) in net-snmp's
  /// global USM table, replacing a user of the same name and engine that another session put
  /// there.
  bool installUser(Session& s) {
    netsnmp_session* ss = snmp_sess_session(s.handle);
    if (usmUser* old = findUser(ss)) {
      usm_remove_user(old);
      usm_free_user(old);
    }
    ss->flags &= ~SNMP_FLAGS_USER_CREATED;
    if (usm_create_user_from_session(ss) != SNMPERR_SUCCESS) {
      return false;
    }
    usmUser* u = findUser(ss);
    if (u == nullptr) {
      return false;
    }
    s.user = u;
    s.authKey = keyBytes(u->authKey, u->authKeyLen);
    s.privKey = keyBytes(u->privKey, u->privKeyLen);
    return true;
  }

  bool ensureUser(Session& s) {
    netsnmp_session* ss = snmp_sess_session(s.handle);
    usmUser* u = findUser(ss);
    if (u != nullptr && u == s.user && keyBytes(u->authKey, u->authKeyLen) == s.authKey &&
        keyBytes(u->privKey, u->privKeyLen) == s.privKey) {
      return true;
    }
    return installUser(s);
  }

  // ---- sending -------------------------------------------------------------------------------

  static void answer(Request& r, Status status, std::string message) {
    r.response = SnmpResponse();
    r.response.status = status;
    r.response.message = std::move(message);
    markAnswered(&r);
  }

  /// Sends one packet of `r` on `s`. A failure to send answers `r` (Transport/Authentication).
  void transmit(Session& s, Request& r) {
    r.answered = false;
    r.response = SnmpResponse();
    r.lastReport = 0;
    if (s.handle == nullptr) {
      answer(r, Status::Transport, "session closed");
      return;
    }
    netsnmp_session* ss = snmp_sess_session(s.handle);
    ss->timeout = static_cast<long>(std::max(1, r.target.timeoutMs)) * 1000L;
    if (!r.probe && ss->version == SNMP_VERSION_3 && !ensureUser(s)) {
      answer(r, Status::Authentication, "cannot install the SNMPv3 user (usm_create_user)");
      return;
    }

    netsnmp_pdu* pdu = nullptr;
    if (r.probe) {
      // RFC 3414 4: an unauthenticated GET without varbinds; the agent answers with a
      // usmStatsUnknownEngineIDs report that carries its engine ID, boots and time.
      pdu = snmp_pdu_create(SNMP_MSG_GET);
      pdu->version = SNMP_VERSION_3;
      pdu->securityName = strdup("");
      pdu->securityNameLen = 0;
      pdu->securityLevel = SNMP_SEC_LEVEL_NOAUTH;
      pdu->securityModel = SNMP_SEC_MODEL_USM;
    } else {
      int command = SNMP_MSG_GET;
      switch (r.request.type) {
        case SnmpRequest::Type::Get:
          command = SNMP_MSG_GET;
          break;
        case SnmpRequest::Type::GetNext:
          command = SNMP_MSG_GETNEXT;
          break;
        case SnmpRequest::Type::GetBulk:
          command = SNMP_MSG_GETBULK;
          break;
      }
      if (command == SNMP_MSG_GETBULK && ss->version == SNMP_VERSION_1) {
        answer(r, Status::Transport, "GETBULK does not exist in SNMPv1");
        return;
      }
      pdu = snmp_pdu_create(command);
      if (command == SNMP_MSG_GETBULK) {
        pdu->non_repeaters = std::max(0, r.request.nonRepeaters);
        pdu->max_repetitions = std::max(0, r.request.maxRepetitions);
      }
      std::vector<::oid> name;
      for (const Oid& o : r.request.oids) {
        if (o.empty() || o.size() > MAX_OID_LEN) {
          snmp_free_pdu(pdu);
          answer(r, Status::Transport, "OID empty or longer than 128 sub-identifiers");
          return;
        }
        name.assign(o.ids().begin(), o.ids().end());
        snmp_add_null_var(pdu, name.data(), name.size());
      }
    }

    if (!r.sent) {
      r.sent = true;
      r.firstSent = SteadyClock::now();
    }
    if (snmp_sess_async_send(s.handle, pdu, &onNetSnmpEvent, &r) == 0) {
      snmp_free_pdu(pdu);  // not taken on failure
      int libErr = 0;
      int snmpErr = 0;
      char* text = nullptr;
      snmp_sess_error(s.handle, &libErr, &snmpErr, &text);
      std::string message = std::string("send: ") + (text != nullptr ? text : "failed");
      std::free(text);
      s.reopen = true;
      answer(r, isSecurityError(snmpErr) ? Status::Authentication : Status::Transport, message);
      return;
    }
    ++r.packets;
    ++packetsSent_;
  }

  // ---- completion ----------------------------------------------------------------------------

  /// Takes the answered requests: retries timeouts that have retries left, advances engine-ID
  /// discovery, and moves the finished requests to `finished`.
  void processCompleted(std::vector<std::unique_ptr<Request>>& finished) {
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

  void count(Status status) {
    if (status == Status::Timeout) {
      ++timeouts_;
    } else if (status == Status::Authentication) {
      ++authFailures_;
    }
  }

  void probeDone(Session& s, Request* probe, std::vector<std::unique_ptr<Request>>& finished) {
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

  /// Fails every queued request of `s` with `failure`; the first carries the probe's packets.
  void failQueued(Session& s, const SnmpResponse& failure,
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

  /// Calls the user callbacks, outside net-snmp and without locks. A callback that throws is
  /// logged and ignored: the contract says done must not throw.
  void deliver(std::vector<std::unique_ptr<Request>>& finished) {
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

  bool stoppingNow() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stopping_;
  }

  bool takeCancelRequest() {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::exchange(cancelRequested_, false);
  }

  /// On the I/O thread, after the loop: closes everything and fails what is pending, including
  /// what the failure callbacks send.
  void shutdown() {
    failEverything("client stopped");
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
    for (auto& r : incoming_) {  // only if a callback kept sending for 1000 rounds
      --queuedGauge_;
      (void)r;
    }
    incoming_.clear();
  }

  /// On the I/O thread: closes every session and fails every request in flight or queued with
  /// Transport (`why`), including what the failure callbacks send (up to 1000 rounds).
  void failEverything(const char* why) {
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

  Options options_;
  int wakeFd_ = -1;
  std::thread thread_;

  std::mutex mutex_;
  std::vector<std::unique_ptr<Request>> incoming_;  // guarded by mutex_
  bool stopping_ = false;                           // guarded by mutex_
  bool stopped_ = false;                            // guarded by mutex_
  bool cancelRequested_ = false;                    // guarded by mutex_

  // I/O thread only.
  std::unordered_map<std::string, std::unique_ptr<Session>> sessions_;
  std::unordered_set<Session*> open_;  // sessions_ with a net-snmp handle
  std::deque<Session*> ready_;
  std::unordered_set<Session*> busy_;
  size_t inFlight_ = 0;
  Request* completedHead_ = nullptr;
  netsnmp_large_fd_set readSet_;

  std::atomic<uint64_t> packetsSent_{0};
  std::atomic<uint64_t> timeouts_{0};
  std::atomic<uint64_t> authFailures_{0};
  std::atomic<uint64_t> discoveries_{0};
  std::atomic<uint64_t> openSessions_{0};
  std::atomic<uint64_t> inFlightGauge_{0};
  std::atomic<uint64_t> queuedGauge_{0};
};

// ---------------------------------------------------------------------------------------------

void NetSnmpClient::initLibrary() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Numeric OIDs only: no MIB files parsed (fast, quiet start), no snmp.conf read, nothing
    // written to /var/lib/snmp.
    ::setenv("MIBS", "", 1);
    netsnmp_set_mib_directory("");
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
    // init_snmp creates <persistent dir>/cert_indexes for the (D)TLS transports even with the
    // above set. promsnmp uses neither TLS nor persistent state: point net-snmp at a path that
    // can never be created (below a device file), so it writes nothing (mkdirhier fails quietly).
    netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_PERSISTENT_DIR,
                          "/dev/null/promsnmp-has-no-net-snmp-state");
    snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, &onNetSnmpLog, nullptr);
    netsnmp_register_loghandler(NETSNMP_LOGHANDLER_CALLBACK, LOG_INFO);
    init_snmp("promsnmp");
  });
}

bool NetSnmpClient::supportsAuthProtocol(const std::string& name) {
  return authProtocolOid(name).has_value();
}

bool NetSnmpClient::supportsPrivProtocol(const std::string& name) {
  return privProtocolOid(name).has_value();
}

NetSnmpClient::NetSnmpClient() : NetSnmpClient(Options()) {}

NetSnmpClient::NetSnmpClient(Options options) {
  initLibrary();
  impl_ = std::make_unique<Impl>(options);
}

NetSnmpClient::~NetSnmpClient() = default;

void NetSnmpClient::send(const SnmpTarget& target, const SnmpRequest& request, Done done) {
  impl_->send(target, request, std::move(done));
}

void NetSnmpClient::cancelAll() { impl_->cancelAll(); }

NetSnmpClient::Stats NetSnmpClient::stats() const { return impl_->stats(); }

}  // namespace promsnmp
