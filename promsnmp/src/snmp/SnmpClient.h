#pragma once

#include <algorithm>
#include <chrono>
#include <compare>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// GCC 12 warns (-Wstringop-overread) inside small_vector's copy for sizes it cannot reach.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overread"
#endif
#include <boost/container/small_vector.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include "snmp/SnmpTarget.h"

namespace promsnmp {

// The SNMP seam, at the level of one request/response exchange. The real implementation is
// NetSnmpClient (the only class that includes net-snmp); tests use FakeSnmpClient. Everything
// above it (TableWalker, DevicePoller) is logic on these plain types.

/// An SNMP object identifier: a sequence of sub-identifiers. Ordered as SNMP orders OIDs
/// (lexicographically, a prefix before its extensions). Plain value type.
class Oid {
 public:
  /// The sub-identifiers. Up to 16 (every IF-MIB instance OID has at most 12) are stored inline:
  /// a poll handles tens of thousands of OIDs, and a heap allocation each cost a quarter of the
  /// SNMP thread's time at fleet scale.
  using Ids = boost::container::small_vector<uint32_t, 16>;

  Oid() = default;
  Oid(std::initializer_list<uint32_t> ids) : ids_(ids) {}
  explicit Oid(Ids ids) : ids_(std::move(ids)) {}
  explicit Oid(const std::vector<uint32_t>& ids) : ids_(ids.begin(), ids.end()) {}

  /// Parses dotted decimal, e.g. "1.3.6.1.2.1.1.3.0" (one leading dot allowed). Throws
  /// Poco::SyntaxException on an empty string, an empty or non-numeric sub-identifier or one
  /// above 4294967295. Thread-safe.
  static Oid parse(std::string_view text);

  /// Dotted decimal without a leading dot ("" for the empty OID).
  std::string str() const;

  const Ids& ids() const { return ids_; }
  size_t size() const { return ids_.size(); }
  bool empty() const { return ids_.empty(); }
  uint32_t operator[](size_t i) const { return ids_[i]; }

  /// True when `prefix` equals this OID or is a prefix of it.
  bool startsWith(const Oid& prefix) const;
  /// The sub-identifiers after the first `n` (the row index of a column instance).
  Oid suffix(size_t n) const;
  /// This OID with `id` appended.
  Oid child(uint32_t id) const;

  std::strong_ordering operator<=>(const Oid& other) const {
    return std::lexicographical_compare_three_way(ids_.begin(), ids_.end(), other.ids_.begin(),
                                                  other.ids_.end());
  }
  bool operator==(const Oid& other) const { return ids_ == other.ids_; }

 private:
  Ids ids_;
};

/// The ASN.1/SMI type of a value, plus the three SNMPv2 exception values.
enum class SnmpType : uint8_t {
  Integer,
  Counter32,
  Counter64,
  Gauge32,
  TimeTicks,
  OctetString,
  ObjectId,
  IpAddress,
  Null,
  NoSuchObject,
  NoSuchInstance,
  EndOfMibView,
  Other,  // Opaque and anything else: raw bytes kept in `bytes`
};

/// Lowercase name of a type ("counter64", "endOfMibView", ...), for messages.
const char* snmpTypeName(SnmpType type);

/// One value of a varbind. Which member holds it depends on `type`.
struct SnmpValue {
  SnmpType type = SnmpType::Null;
  int64_t integer = 0;         // Integer
  uint64_t unsignedValue = 0;  // Counter32, Counter64, Gauge32, TimeTicks
  std::string bytes;           // OctetString (raw octets), IpAddress (4 octets), Other
  Oid oid;                     // ObjectId

  static SnmpValue makeInteger(int64_t v);
  static SnmpValue makeUnsigned(SnmpType type, uint64_t v);  // Counter32/64, Gauge32, TimeTicks
  static SnmpValue makeOctetString(std::string v);
  static SnmpValue makeObjectId(Oid v);
  static SnmpValue makeException(SnmpType type);  // NoSuchObject, NoSuchInstance, EndOfMibView

  /// True for NoSuchObject, NoSuchInstance and EndOfMibView.
  bool isException() const;
  /// Counter32/Counter64/Gauge32/TimeTicks, or a non-negative Integer, as an unsigned number;
  /// nullopt for anything else (a negative Integer included).
  std::optional<uint64_t> toUnsigned() const;

  bool operator==(const SnmpValue&) const = default;
};

struct VarBind {
  Oid oid;
  SnmpValue value;
  bool operator==(const VarBind&) const = default;
};

/// One request PDU. For GetBulk, `nonRepeaters` and `maxRepetitions` apply (RFC 3416 4.2.3).
struct SnmpRequest {
  enum class Type { Get, GetNext, GetBulk };
  Type type = Type::Get;
  std::vector<Oid> oids;
  int nonRepeaters = 0;
  int maxRepetitions = 0;
};

/// SNMP error-status values used by the logic above the client (RFC 3416).
inline constexpr int kErrTooBig = 1;
inline constexpr int kErrNoSuchName = 2;  // SNMPv1: also "end of MIB view" for GETNEXT
inline constexpr int kErrGenErr = 5;

/// The outcome of one request.
struct SnmpResponse {
  enum class Status {
    Ok,              // a response PDU with error-status 0; `varbinds` hold it
    Timeout,         // no answer after the target's retries
    TooBig,          // error-status tooBig: retry with a smaller request
    ErrorStatus,     // any other error-status: see errorStatus/errorIndex
    Authentication,  // SNMPv3 report (wrong digest, unknown user or engine, decryption error)
    Transport,       // cannot open, resolve, send; or the client stopped
  };
  Status status = Status::Ok;
  int errorStatus = 0;
  int errorIndex = 0;  // 1-based index of the offending varbind, as in the PDU
  std::vector<VarBind> varbinds;
  std::string message;                   // human text for logs; never a secret
  uint32_t packetsSent = 0;              // request packets sent for this request, retries included
  std::chrono::microseconds elapsed{0};  // from the first packet to the outcome

  bool ok() const { return status == Status::Ok; }
};

/// Short lowercase name of a status ("ok", "timeout", "too_big", ...).
const char* responseStatusName(SnmpResponse::Status status);

/// The outcome for logs and error details: "timeout: no response", "error_status 5 at 2: …".
std::string describeResponse(const SnmpResponse& response);

/// Sends SNMP requests. Implementations are asynchronous and thread-safe.
class SnmpClient {
 public:
  virtual ~SnmpClient() = default;

  using Done = std::function<void(SnmpResponse)>;

  /// Sends `request` to `target`. `done` is called exactly once with the outcome (a failure is
  /// a status, never an exception), on the client's I/O thread; it must not block and may call
  /// send() again. May be called from any thread, including from inside a `done`.
  virtual void send(const SnmpTarget& target, const SnmpRequest& request, Done done) = 0;

  /// Fails every request sent before this call and not answered yet with Transport
  /// ("cancelled"), soon, on the client's I/O thread (each `done` still runs exactly once), and
  /// what those callbacks send in turn; requests sent later are served as usual. For shutdown: a
  /// caller stops sending, cancels, then waits for its callbacks, so the wait is bounded by the
  /// cancellation and not by the devices' timeouts. Does not wait itself. Thread-safe; may be
  /// called from inside a `done`.
  virtual void cancelAll() = 0;
};

}  // namespace promsnmp
