#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "snmp/SnmpClient.h"
#include "snmp/SnmpTarget.h"

namespace promsnmp {

/// Walks several table columns of one agent at once. Logic only: all I/O goes through the
/// SnmpClient.
///
/// SNMPv2c/v3: GETBULK with non-repeaters 0 and one varbind per column that is still open (at
/// most `maxColumnsPerRequest` per request); each column continues from the last OID it
/// returned until it leaves its subtree, or the agent says endOfMibView/noSuchObject.
/// Max-repetitions adapts: it starts at `initialMaxRepetitions`, grows while responses come
/// back complete (not truncated by the agent) and fast, and is halved on tooBig (and then no
/// longer grows: the agent's size limit does not move); a tooBig at max-repetitions 1 splits the
/// columns over more requests. With `expectedRows` (e.g. ifNumber)
/// it asks for no more rows than a column can still have, plus one to see its end.
/// SNMPv1: GETNEXT with one varbind per open column; noSuchName closes that column.
///
/// Guards: a column that returns an OID not greater than its previous one stops (an agent loop),
/// and the walk sends at most `maxRequests` requests. Both keep the data read so far and set
/// `truncated`. With `allowNonincreasingOids` (snmp_exporter's `allow_nonincreasing_oids`,
/// net-snmp's `-Cc`) a column goes on from an OID that is not greater than its previous one, and
/// stops only at an OID it returned before (still a loop) or at `maxRequests`.
///
/// Failures: by default the first failed request fails the whole walk. With `isolateFailures`
/// (several users share one walk, as ModulePoller's modules do) a failed request fails only its
/// columns (`columnFailures`) and the others go on: an error-status names its varbind, so only
/// that column fails (without an index, the request's columns are asked again one per
/// request). A timeout of a request with several columns asks them again one per request (a
/// subagent that hangs on one subtree), and a column that times out alone fails; but when the
/// agent answered nothing at all while a request waited, twice in a row, it is gone and the
/// whole walk fails. Authentication and transport failures always fail the whole walk.
class TableWalker {
 public:
  struct Options {
    int initialMaxRepetitions = 25;
    int maxMaxRepetitions = 100;
    int maxColumnsPerRequest = 12;
    int maxParallelRequests = 2;  // requests of one walk in flight at once
    uint32_t maxRequests = 10000;
    uint32_t expectedRows = 0;  // rows each column probably has; 0 = unknown
    bool grow = true;           // false once the agent said tooBig: its limit does not move
    std::chrono::milliseconds fastResponse{250};  // "fast" for growing max-repetitions
    bool allowNonincreasingOids = false;  // see above; off: a non-increasing OID ends a column
    bool isolateFailures = false;         // see above; fills Result::columnFailures
    bool recordRequests = false;          // fills Result::log
    bool fullOids = false;  // rows carry the whole OID instead of the index after the column's
  };

  /// (row index — the OID after the column's OID, or with `fullOids` the whole OID —, value),
  /// each once; ascending unless `allowNonincreasingOids` (then in the agent's order).
  using Column = std::vector<std::pair<Oid, SnmpValue>>;

  /// Why one column failed (`isolateFailures`); `status` Ok when it did not.
  struct ColumnFailure {
    SnmpResponse::Status status = SnmpResponse::Status::Ok;
    int errorStatus = 0;
    std::string message;
    bool failed() const { return status != SnmpResponse::Status::Ok; }
  };

  /// One request of the walk (`recordRequests`): the columns it asked for (indexes into the
  /// requested columns) and the packets it took, retries included.
  struct RequestRecord {
    std::vector<uint32_t> columns;
    uint32_t packets = 0;
  };

  struct Result {
    SnmpResponse::Status status = SnmpResponse::Status::Ok;  // Ok, or why the walk failed
    int errorStatus = 0;
    std::string message;  // the failure, or what was cut short when `truncated`
    bool truncated = false;
    bool internalError = false;   // an exception inside the walker (a bug), not the agent
    std::vector<Column> columns;  // parallel to the requested columns
    uint32_t requests = 0;        // packets sent, retries included
    uint32_t varbinds = 0;        // varbinds received
    int maxRepetitions = 0;       // the adapted value at the end (to start the next walk with)
    bool sawTooBig = false;       // the agent answered tooBig at least once (stop growing)
    /// Parallel to `columns` with `isolateFailures` (a column that failed keeps what it read
    /// before; `status` is then the failure of the whole walk, if any); empty otherwise.
    std::vector<ColumnFailure> columnFailures;
    std::vector<RequestRecord> log;  // with `recordRequests`, in the order answered
  };

  using Done = std::function<void(Result)>;

  /// Starts walking `columns` (column OIDs without index) of `target`. `done` is called exactly
  /// once, on the client's thread (or on the caller's, if the client answers synchronously).
  /// On a failure (timeout, authentication, transport, error-status) `status` says so and the
  /// columns hold what was read before. Thread-safe.
  static void walk(SnmpClient& client, const SnmpTarget& target, std::vector<Oid> columns,
                   const Options& options, Done done);
};

/// The max-repetitions each agent's walks adapted to, kept between polls so that the next walk
/// starts there (and does not grow again past a tooBig). Keyed by SnmpTarget::sessionKey().
/// Thread-safe.
class LearnedRepetitions {
 public:
  /// Sets `options.initialMaxRepetitions` and `options.grow` from what `key`'s agent adapted
  /// to, if anything was learned.
  void apply(const std::string& key, TableWalker::Options& options) const;
  /// Remembers where `walked` ended, if it sent anything.
  void learn(const std::string& key, const TableWalker::Result& walked);
  void forget(const std::string& key);
  size_t size() const;

 private:
  struct Entry {
    int maxRepetitions = 0;
    bool capped = false;  // the agent said tooBig once: do not grow past what works
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> bySession_;
};

}  // namespace promsnmp
