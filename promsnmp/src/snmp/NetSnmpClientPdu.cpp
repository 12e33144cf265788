// One NetSnmpClient request on the wire: the PDU sent for an SnmpRequest (or an SNMPv3
// engine-ID probe), and the net-snmp callback that reads the answer back into an SnmpResponse.
// The per-varbind conversion (responseFrom, valueFrom, oidFrom) stays in this file, next to the
// callback that calls it.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "snmp/NetSnmpClientImpl.h"

namespace promsnmp {

namespace {

using Status = SnmpResponse::Status;

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

/// RFC 3414 4: an unauthenticated GET without varbinds; the agent answers with a
/// usmStatsUnknownEngineIDs report that carries its engine ID, boots and time.
netsnmp_pdu* probePdu() {
  netsnmp_pdu* pdu = snmp_pdu_create(SNMP_MSG_GET);
  pdu->version = SNMP_VERSION_3;
  pdu->securityName = strdup("");
  pdu->securityNameLen = 0;
  pdu->securityLevel = SNMP_SEC_LEVEL_NOAUTH;
  pdu->securityModel = SNMP_SEC_MODEL_USM;
  return pdu;
}

/// The PDU for `request` on a session of SNMP `version` (SNMP_VERSION_*), or nullptr with
/// `failure` set when the request cannot be sent.
netsnmp_pdu* requestPdu(const SnmpRequest& request, long version, const char*& failure) {
  int command = SNMP_MSG_GET;
  switch (request.type) {
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
  if (command == SNMP_MSG_GETBULK && version == SNMP_VERSION_1) {
    failure = "GETBULK does not exist in SNMPv1";
    return nullptr;
  }
  netsnmp_pdu* pdu = snmp_pdu_create(command);
  if (command == SNMP_MSG_GETBULK) {
    pdu->non_repeaters = std::max(0, request.nonRepeaters);
    pdu->max_repetitions = std::max(0, request.maxRepetitions);
  }
  std::vector<::oid> name;
  for (const Oid& o : request.oids) {
    if (o.empty() || o.size() > MAX_OID_LEN) {
      snmp_free_pdu(pdu);
      failure = "OID empty or longer than 128 sub-identifiers";
      return nullptr;
    }
    name.assign(o.ids().begin(), o.ids().end());
    snmp_add_null_var(pdu, name.data(), name.size());
  }
  return pdu;
}

}  // namespace

void NetSnmpClient::Impl::markAnswered(Request* r) {
  r->answered = true;
  r->nextCompleted = *r->completedHead;
  *r->completedHead = r;
}

int NetSnmpClient::Impl::onNetSnmpEvent(int op, netsnmp_session* /*session*/, int /*reqid*/,
                                        netsnmp_pdu* pdu, void* magic) noexcept {
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

void NetSnmpClient::Impl::answer(Request& r, Status status, std::string message) {
  r.response = SnmpResponse();
  r.response.status = status;
  r.response.message = std::move(message);
  markAnswered(&r);
}

void NetSnmpClient::Impl::transmit(Session& s, Request& r) {
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
    pdu = probePdu();
  } else {
    const char* failure = nullptr;
    pdu = requestPdu(r.request, ss->version, failure);
    if (pdu == nullptr) {
      answer(r, Status::Transport, failure);
      return;
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

}  // namespace promsnmp
