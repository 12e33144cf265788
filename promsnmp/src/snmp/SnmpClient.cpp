#include "snmp/SnmpClient.h"

#include <algorithm>

#include <Poco/Exception.h>

namespace promsnmp {

Oid Oid::parse(std::string_view text) {
  std::string_view rest = text;
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
  }
  if (rest.empty()) {
    throw Poco::SyntaxException("empty OID", std::string(text));
  }
  Oid::Ids ids;
  uint64_t current = 0;
  bool digits = false;
  for (char c : rest) {
    if (c >= '0' && c <= '9') {
      current = current * 10 + static_cast<uint64_t>(c - '0');
      if (current > UINT32_MAX) {
        throw Poco::SyntaxException("OID sub-identifier out of range", std::string(text));
      }
      digits = true;
    } else if (c == '.' && digits) {
      ids.push_back(static_cast<uint32_t>(current));
      current = 0;
      digits = false;
    } else {
      throw Poco::SyntaxException("malformed OID", std::string(text));
    }
  }
  if (!digits) {
    throw Poco::SyntaxException("malformed OID", std::string(text));
  }
  ids.push_back(static_cast<uint32_t>(current));
  return Oid(std::move(ids));
}

std::string Oid::str() const {
  std::string out;
  out.reserve(ids_.size() * 4);
  for (size_t i = 0; i < ids_.size(); ++i) {
    if (i > 0) {
      out += '.';
    }
    out += std::to_string(ids_[i]);
  }
  return out;
}

bool Oid::startsWith(const Oid& prefix) const {
  return prefix.ids_.size() <= ids_.size() &&
         std::equal(prefix.ids_.begin(), prefix.ids_.end(), ids_.begin());
}

Oid Oid::suffix(size_t n) const {
  if (n >= ids_.size()) {
    return Oid();
  }
  return Oid(Ids(ids_.begin() + static_cast<std::ptrdiff_t>(n), ids_.end()));
}

Oid Oid::child(uint32_t id) const {
  Oid out = *this;
  out.ids_.push_back(id);
  return out;
}

const char* snmpTypeName(SnmpType type) {
  switch (type) {
    case SnmpType::Integer:
      return "integer";
    case SnmpType::Counter32:
      return "counter32";
    case SnmpType::Counter64:
      return "counter64";
    case SnmpType::Gauge32:
      return "gauge32";
    case SnmpType::TimeTicks:
      return "timeticks";
    case SnmpType::OctetString:
      return "octetString";
    case SnmpType::ObjectId:
      return "objectId";
    case SnmpType::IpAddress:
      return "ipAddress";
    case SnmpType::Null:
      return "null";
    case SnmpType::NoSuchObject:
      return "noSuchObject";
    case SnmpType::NoSuchInstance:
      return "noSuchInstance";
    case SnmpType::EndOfMibView:
      return "endOfMibView";
    case SnmpType::Other:
      return "other";
  }
  return "unknown";
}

SnmpValue SnmpValue::makeInteger(int64_t v) {
  SnmpValue out;
  out.type = SnmpType::Integer;
  out.integer = v;
  return out;
}

SnmpValue SnmpValue::makeUnsigned(SnmpType type, uint64_t v) {
  SnmpValue out;
  out.type = type;
  out.unsignedValue = v;
  return out;
}

SnmpValue SnmpValue::makeOctetString(std::string v) {
  SnmpValue out;
  out.type = SnmpType::OctetString;
  out.bytes = std::move(v);
  return out;
}

SnmpValue SnmpValue::makeObjectId(Oid v) {
  SnmpValue out;
  out.type = SnmpType::ObjectId;
  out.oid = std::move(v);
  return out;
}

SnmpValue SnmpValue::makeException(SnmpType type) {
  SnmpValue out;
  out.type = type;
  return out;
}

bool SnmpValue::isException() const {
  return type == SnmpType::NoSuchObject || type == SnmpType::NoSuchInstance ||
         type == SnmpType::EndOfMibView;
}

std::optional<uint64_t> SnmpValue::toUnsigned() const {
  switch (type) {
    case SnmpType::Counter32:
    case SnmpType::Counter64:
    case SnmpType::Gauge32:
    case SnmpType::TimeTicks:
      return unsignedValue;
    case SnmpType::Integer:
      if (integer >= 0) {
        return static_cast<uint64_t>(integer);
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

const char* responseStatusName(SnmpResponse::Status status) {
  switch (status) {
    case SnmpResponse::Status::Ok:
      return "ok";
    case SnmpResponse::Status::Timeout:
      return "timeout";
    case SnmpResponse::Status::TooBig:
      return "too_big";
    case SnmpResponse::Status::ErrorStatus:
      return "error_status";
    case SnmpResponse::Status::Authentication:
      return "authentication";
    case SnmpResponse::Status::Transport:
      return "transport";
  }
  return "unknown";
}

std::string describeResponse(const SnmpResponse& response) {
  std::string out = responseStatusName(response.status);
  if (response.status == SnmpResponse::Status::ErrorStatus) {
    out +=
        " " + std::to_string(response.errorStatus) + " at " + std::to_string(response.errorIndex);
  }
  if (!response.message.empty()) {
    out += ": " + response.message;
  }
  return out;
}

}  // namespace promsnmp
