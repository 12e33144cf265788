#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "collection/PollResult.h"
#include "common/Clock.h"
#include "modules/Module.h"
#include "modules/PduTable.h"
#include "snmp/SnmpClient.h"
#include "snmp/SnmpTarget.h"

namespace promsnmp {

// One poll of one device for a list of snmp_exporter modules: what snmp_exporter's
// collector.go ScrapeTarget does once per module (dynamic filters, GETs, a BulkWalkAll per
// `walk` subtree), done once for all the modules, with fewer packets:
//
// - Only the columns that can matter are walked. snmp_exporter matches each PDU to the metric
//   whose OID is its shortest prefix with a metric (collector.go: the loop in collect stops at
//   the first node of buildMetricTree's tree that holds one), and
//   reads lookups and the address type of InetAddress/LldpPortId values by exact OID
//   (indexesToLabels, pduToSamples: oidToPdu[oid]). So within a walked subtree S a PDU can feed
//   a series or a label only if it lies under a metric OID, a lookup OID or such a type column
//   (the "previous" OID) that lies under S, or if a metric OID is a prefix of S itself. Walking
//   exactly those (S whole in the second case) yields every PDU a metric, a lookup or a type
//   can see, and nothing a whole-subtree walk would not have returned. A module sees only the
//   PDUs under its own walks and its own GETs (ModulePollResult::findFor), never another
//   module's, as with snmp_exporter's per-module oidToPdu.
// - A subtree or column several modules need is walked once per poll (a column inside another
//   needed subtree is read from that subtree's walk); GETs are merged the same way.
// - Columns are walked together, several per GETBULK (TableWalker), with adaptive
//   max-repetitions learned per agent, at most 2 requests of a poll in flight.
// - Label-only columns (lookups and their type columns that no metric covers) are reused from
//   the previous poll while sysUpTime did not go back and they are younger than a TTL
//   (snmp_exporter #744), or walked again when an indexed row appears that they may lack.

/// What one module got out of a poll.
struct ModuleOutcome {
  std::string module;
  PollError error = PollError::None;
  /// The failure; with error None, what was cut short (agent loop, request limit) if anything.
  std::string errorDetail;
  /// From the start of the poll to the answer of the last request this module needed.
  double walkSeconds = 0;
  /// Packets of the requests this module needed, retries included. A request shared with
  /// other modules counts in each of them; the poll's first GET counts only in the modules
  /// that asked for one of its OIDs (it always carries sysUpTime.0 for the poll itself), and
  /// reused label columns cost nothing. Summed over modules it can exceed the poll's requests.
  uint32_t packetsSent = 0;
  uint32_t packetsRetried = 0;  // of packetsSent, the retries (packets beyond one per request)
  /// The varbinds this module sees (ModulePollResult::pdusOf): what its walks and GETs
  /// returned that can matter, not all that whole-subtree walks would have returned.
  uint32_t pdusReturned = 0;

  bool up() const { return error == PollError::None; }
};

/// What a module read in one poll, as snmp_exporter's ScrapeTarget would have: its `walk`
/// subtrees and its `get` OIDs, both after its dynamic filters.
struct ModuleScope {
  std::vector<Oid> walked;  // ascending, none under another
  std::vector<Oid> got;     // ascending, each once

  /// True when `oid` lies under a walked subtree (or is one) or is a GET OID.
  bool contains(const Oid& oid) const;
};

/// One poll of one device for a list of modules. Immutable once published.
struct ModulePollResult {
  std::vector<std::shared_ptr<const Module>> modules;
  std::vector<ModuleOutcome> outcomes;  // parallel to modules
  std::vector<ModuleScope> scopes;      // parallel to modules
  /// Every varbind read for every module (label columns included, reused or fresh; the
  /// poll's own sysUpTime.0 too). A module's series come from findFor/pdusOf, not from this.
  PduTable pdus;
  /// `pdus` after pack(): a result kept between polls holds its varbinds in this compact form
  /// (about 20× smaller); pdusOf, findFor and tableOf then see nothing, unpackedPdus() does.
  PackedPduTable packedPdus;
  bool packed = false;
  /// What the next poll of the set reads back from this one, kept apart so that it need not
  /// unpack every value: the rows under the label units and under the metrics the label
  /// sources follow (set at the end of the poll; packed by pack() into `packedCarried`).
  PduTable carried;
  PackedPduTable packedCarried;
  /// Rows of the longest column walked: how many rows the next poll asks for at once.
  uint32_t longestColumn = 0;
  /// After pack(): `labelColumns` was dropped, its rows are the label units' subtrees of the
  /// varbinds (the poll files every label row there too).
  bool labelsInPdus = false;
  std::optional<uint64_t> sysUpTime;  // read in every poll (rides in the first GET)
  /// The label-only columns in force (reused from `previous` or walked now), and which
  /// subtrees they are; null when some could not be read.
  std::shared_ptr<const PduTable> labelColumns;
  std::vector<Oid> labelUnits;
  std::chrono::steady_clock::time_point labelsReadAt{};
  bool labelsRefreshed = false;  // walked in this poll, not reused
  std::chrono::system_clock::time_point startedAt{};
  double durationSeconds = 0;
  uint32_t requests = 0;  // packets sent, retries included
  uint32_t varbinds = 0;  // varbinds received

  bool anyUp() const;

  /// Moves `pdus` into `packedPdus` (once; then `pdus` is empty). Not thread-safe: call it
  /// before the result is shared.
  void pack();
  /// `pdus`, or a copy unpacked from `packedPdus` after pack(). Thread-safe (const).
  PduTable unpackedPdus() const;
  /// This result with `pdus` restored when packed (a copy; the modules and scopes are shared
  /// or small), else a plain copy: what pdusOf, findFor and tableOf work on. Thread-safe.
  ModulePollResult unpacked() const;

  /// The varbinds module `i` sees, ascending: snmp_exporter's oidToPdu for that module, less
  /// what cannot matter to it. Thread-safe (const).
  std::vector<const VarBind*> pdusOf(size_t i) const;
  /// snmp_exporter's oidToPdu[oid] for module `i`: the varbind with exactly `oid` if that
  /// module read it, else null. Thread-safe (const).
  const VarBind* findFor(size_t i, const Oid& oid) const;
  /// pdusOf(i) as a table of its own (copies): what to render module `i` from, so that neither
  /// its metrics nor its lookups see another module's varbinds (`pdus` holds every module's).
  /// Thread-safe (const).
  PduTable tableOf(size_t i) const;
};

/// What a module list needs read (pure; built once per module list and cached by the poller).
/// A "unit" is one subtree walked by GETBULK/GETNEXT: a metric or lookup column, a type
/// column, or a whole `walk` subtree when a metric OID is a prefix of it.
struct ModulePlan {
  struct Unit {
    Oid oid;
    std::vector<uint32_t> modules;  // the modules whose walks need it, ascending
    bool labelOnly = false;         // read only by lookups: cached between polls
    /// Some module walks exactly this OID: when its walk finds nothing below it, it is asked
    /// for with a GET, as gosnmp's walk does (walk.go: "too narrowly defined").
    bool wholeSubtree = false;
  };
  struct Get {
    Oid oid;
    std::vector<uint32_t> modules;  // the modules whose `get` lists it, ascending
    /// Of `modules`, those whose dynamic filters cannot drop it (collector.go updateGetConfig
    /// drops the GETs whose text starts with a filter target): for them it is asked for in
    /// the poll's first GETs, before the filters are walked; for the others after.
    std::vector<uint32_t> earlyModules;
  };
  /// One `filters[]` entry of one module.
  struct Filter {
    uint32_t module = 0;
    uint32_t oid = 0;  // index into filterOids
    const DynamicFilter* filter = nullptr;
    std::vector<std::shared_ptr<const re2::RE2>> values;  // unanchored, as snmp_exporter
  };
  struct ModuleParts {
    /// Parallel to the module's `walk`: the units each subtree needs (indexes into units).
    std::vector<std::vector<uint32_t>> unitsByWalk;
    std::vector<uint32_t> filters;  // indexes into filters, in the module's order
  };
  /// A label unit whose rows follow the rows of a metric (a lookup keyed by the metric's whole
  /// index): a row of the metric that the previous poll did not have may lack its label.
  struct LabelSource {
    uint32_t unit = 0;
    Oid metric;
  };

  std::vector<std::shared_ptr<const Module>> moduleList;  // keeps the pointers below alive
  std::vector<Unit> units;                                // ascending, none under another
  std::vector<Get> gets;                                  // ascending, each once
  std::vector<Oid> filterOids;                            // ascending, each once
  std::vector<Filter> filters;
  std::vector<ModuleParts> modules;  // parallel to moduleList
  std::vector<LabelSource> labelSources;
  bool allowNonincreasingOids = false;  // some module allows them: the shared walk does
  /// The smallest `max_repetitions` below snmp_exporter's default 25 that a module asks for
  /// (its agent cannot take more), else 0: max-repetitions never grows past it.
  int maxRepetitionsCap = 0;
};

/// The plan for `modules` (in that order; a null entry is an empty module). Pure; thread-safe.
ModulePlan planModules(const std::vector<std::shared_ptr<const Module>>& modules);

namespace detail {
struct ModulePollerShared;
}  // namespace detail

/// Polls devices for lists of modules. Logic only: all I/O goes through the SnmpClient.
/// Per device: the client's in-flight limit applies, and a poll has at most 2 requests in
/// flight.
///
/// Failures are per module: a request that fails fails the modules that needed it, the others
/// are served. An error-status names its varbind: only that OID or column fails (an SNMPv1
/// noSuchName on a GET only drops the OID, as collector.go does); tooBig splits a GET, and
/// shrinks or splits a GETBULK, until one value alone does not fit. A GETBULK that times out
/// is asked again one column per request, so only the column that hangs fails (TableWalker
/// isolateFailures). The device counts as gone, and nothing more is asked, when the first GET
/// (the one with sysUpTime.0) times out, when two GETs in a row time out, when a walk's agent
/// answers nothing while two of its requests in a row wait, or on an authentication or
/// transport failure; every module still waiting then fails with that. A dynamic filter whose
/// walk fails is skipped, as collector.go does (its targets are walked whole).
class ModulePoller {
 public:
  struct Options {
    int initialMaxRepetitions = 25;
    int maxMaxRepetitions = 100;
    int maxColumnsPerRequest = 12;
    int maxGetOidsPerRequest = 60;
    std::chrono::milliseconds labelTtl{600000};
  };

  /// `client` and `clock` must outlive the poller and the polls in flight.
  ModulePoller(SnmpClient& client, common::Clock& clock, Options options);

  using Done = std::function<void(std::shared_ptr<ModulePollResult>)>;

  /// Polls `target` for `modules`. `done` is called exactly once with the result, on the
  /// client's thread (or the caller's, if the client answers synchronously); it must not block.
  /// `previous` is this device's last result for a module list (its label columns are reused
  /// when still valid), or null. Never throws for what the device does (a failure is a
  /// module's outcome; a bug is PollError::Internal). Thread-safe.
  void poll(const SnmpTarget& target, const std::vector<std::shared_ptr<const Module>>& modules,
            std::shared_ptr<const ModulePollResult> previous, Done done);

  /// Forgets what was learned about the agent of `sessionKey` (its max-repetitions).
  /// Thread-safe.
  void forget(const std::string& sessionKey);
  /// The number of agents with learned state (tests). Thread-safe.
  size_t learnedAgents() const;
  /// SnmpClient::cancelAll: each poll in flight soon ends with Transport failures. For
  /// shutdown; affects every user of the client. Thread-safe.
  void cancelAll();

 private:
  SnmpClient& client_;
  common::Clock& clock_;
  Options options_;
  std::shared_ptr<detail::ModulePollerShared> shared_;  // learned repetitions, plan cache
};

/// The target for an address that is not an inventory device (or any target scraped with
/// auth=), from a module file's auth and the modules' walk parameters. Thread-safe (pure).
///
/// - version 1/2/3 becomes SnmpTarget's 0/1/3; the community is used for v1/v2c.
/// - v3: security_level sets which of the protocols apply (noAuthNoPriv: none; authNoPriv: the
///   auth protocol; authPriv: both, as snmp_exporter's ConfigureSNMP). Protocol names become
///   the inventory's (NetSnmpClient's): MD5, SHA, SHA224..SHA512; DES, AES → AES128, AES192,
///   AES256 (the Blumenthal key extension, as gosnmp's AES192/AES256 and net-snmp's
///   usmAES192/256PrivProtocol), AES192C, AES256C (the Reeder/Cisco key extension, as
///   gosnmp's, net-snmp's usmAES192/256CiscoPrivProtocol).
/// - timeout and retries: the largest of the modules' (defaults 5 s and 3 when there are
///   none); snmp_exporter applies each module's own to its requests, but here requests are
///   shared.
/// - use_unconnected_udp_socket: snmp_exporter applies it to all modules when any sets it
///   (#1247). NetSnmpClient's net-snmp sessions always send with sendto and accept the answer
///   from any address, i.e. they behave as unconnected sockets whatever the setting.
/// - `context` (the snmp_context URL parameter) overrides the auth's context_name.
SnmpTarget targetFromModuleAuth(const std::string& name, const std::string& address, uint16_t port,
                                const ModuleAuth& auth,
                                const std::vector<std::shared_ptr<const Module>>& modules,
                                const std::string& context = "");

}  // namespace promsnmp
