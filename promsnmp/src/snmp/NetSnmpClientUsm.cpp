// NetSnmpClient's SNMPv3 users: the protocol names the inventory may use, the keys derived from
// the passphrases when a session opens, and the user installed in net-snmp's global USM table
// once the session knows its engine ID.
#include <cctype>
#include <cstring>
#include <optional>
#include <string>

#include "snmp/NetSnmpClientImpl.h"

namespace promsnmp {

namespace {

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

/// Ku (RFC 3414 A.2): `passphrase` hashed with the hash of `authProtocol` into `key`;
/// `keyLength` holds the buffer's size and receives the key's. Returns whether net-snmp could
/// (it refuses a passphrase shorter than 8 characters).
bool deriveKey(const ProtocolOid& authProtocol, const std::string& passphrase, u_char* key,
               size_t* keyLength) {
  return generate_Ku(authProtocol.id, static_cast<u_int>(authProtocol.length),
                     reinterpret_cast<const u_char*>(passphrase.data()), passphrase.size(), key,
                     keyLength) == SNMPERR_SUCCESS;
}

usmUser* findUser(const netsnmp_session* ss) {
  for (usmUser* u = usm_get_userList(); u != nullptr; u = u->next) {
    if (u->name != nullptr && ss->securityName != nullptr &&
        std::strcmp(u->name, ss->securityName) == 0 && u->engineIDLen == ss->securityEngineIDLen &&
        u->engineID != nullptr &&
        std::memcmp(u->engineID, ss->securityEngineID, ss->securityEngineIDLen) == 0) {
      return u;
    }
  }
  return nullptr;
}

std::string keyBytes(const u_char* key, size_t length) {
  return key != nullptr ? std::string(reinterpret_cast<const char*>(key), length) : std::string();
}

}  // namespace

bool NetSnmpClient::supportsAuthProtocol(const std::string& name) {
  return authProtocolOid(name).has_value();
}

bool NetSnmpClient::supportsPrivProtocol(const std::string& name) {
  return privProtocolOid(name).has_value();
}

std::string NetSnmpClient::Impl::setUpSecurity(netsnmp_session& in, const SnmpTarget& t) {
  in.securityLevel = t.securityLevel >= 3   ? SNMP_SEC_LEVEL_AUTHPRIV
                     : t.securityLevel == 2 ? SNMP_SEC_LEVEL_AUTHNOPRIV
                                            : SNMP_SEC_LEVEL_NOAUTH;
  if (in.securityLevel == SNMP_SEC_LEVEL_NOAUTH) {
    return {};
  }
  std::optional<ProtocolOid> auth = authProtocolOid(t.authProtocol);
  if (!auth) {
    return "unsupported SNMPv3 auth protocol '" + t.authProtocol + "'";
  }
  in.securityAuthProto = const_cast<::oid*>(auth->id);
  in.securityAuthProtoLen = auth->length;
  in.securityAuthKeyLen = USM_AUTH_KU_LEN;
  if (!deriveKey(*auth, t.authPassphrase, in.securityAuthKey, &in.securityAuthKeyLen)) {
    return "cannot derive the SNMPv3 auth key (passphrase shorter than 8 characters?)";
  }
  if (in.securityLevel != SNMP_SEC_LEVEL_AUTHPRIV) {
    return {};
  }
  std::optional<ProtocolOid> priv = privProtocolOid(t.privProtocol);
  if (!priv) {
    return "unsupported SNMPv3 priv protocol '" + t.privProtocol + "'";
  }
  in.securityPrivProto = const_cast<::oid*>(priv->id);
  in.securityPrivProtoLen = priv->length;
  in.securityPrivKeyLen = USM_PRIV_KU_LEN;
  if (!deriveKey(*auth, t.privPassphrase, in.securityPrivKey, &in.securityPrivKeyLen)) {
    return "cannot derive the SNMPv3 priv key (passphrase shorter than 8 characters?)";
  }
  return {};
}

bool NetSnmpClient::Impl::installUser(Session& s) {
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

bool NetSnmpClient::Impl::ensureUser(Session& s) {
  netsnmp_session* ss = snmp_sess_session(s.handle);
  usmUser* u = findUser(ss);
  if (u != nullptr && u == s.user && keyBytes(u->authKey, u->authKeyLen) == s.authKey &&
      keyBytes(u->privKey, u->privKeyLen) == s.privKey) {
    return true;
  }
  return installUser(s);
}

}  // namespace promsnmp
