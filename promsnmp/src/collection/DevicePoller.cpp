#include "collection/DevicePoller.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "collection/MetricCatalog.h"
#include "snmp/SnmpClient.h"
#include "snmp/TableWalker.h"

namespace promsnmp {

namespace {

using Status = SnmpResponse::Status;

/// What a walked column is for.
struct ColumnRole {
  enum class Kind { Metric, Descr, Name, Alias };
  Kind kind = Kind::Metric;
  IfMetric metric = IfMetric::Count_;
};

/// The catalog's OIDs, parsed once.
struct KnownOids {
  Oid sysUpTime = Oid::parse(kSysUpTime);
  Oid ifTableLastChange = Oid::parse(kIfTableLastChange);
  Oid ifNumber = Oid::parse(kIfNumber);
  Oid ifDescr = Oid::parse(kIfDescrColumn);
  Oid ifName = Oid::parse(kIfNameColumn);
  Oid ifAlias = Oid::parse(kIfAliasColumn);
  std::vector<Oid> metric;  // indexed by IfMetric

  KnownOids() {
    for (const MetricDef& def : ifMetrics()) {
      metric.push_back(Oid::parse(def.column));
    }
  }
};

const KnownOids& known() {
  static const KnownOids kOids;
  return kOids;
}

/// One poll in progress: GET scalars → main walk → (fallback walk) → (label walk) → done.
/// Each step starts from the previous step's callback, so at most one step runs at a time.
class PollRun : public std::enable_shared_from_this<PollRun> {
 public:
  PollRun(SnmpClient& client, const DevicePoller::Options& options,
          std::shared_ptr<LearnedRepetitions> learned, const SnmpTarget& target,
          std::shared_ptr<const PollResult> previous, DevicePoller::Done done)
      : client_(client),
        options_(options),
        learned_(std::move(learned)),
        target_(target),
        previous_(previous && previous->up() ? std::move(previous) : nullptr),
        done_(std::move(done)),
        result_(std::make_shared<PollResult>()) {}

  void start() {
    result_->target = target_.name;
    result_->startedAt = std::chrono::system_clock::now();
    started_ = std::chrono::steady_clock::now();
    guarded([&] { sendScalars({known().sysUpTime, known().ifTableLastChange, known().ifNumber}); });
  }

 private:
  template <typename F>
  void guarded(F&& step) {
    try {
      step();
    } catch (const std::exception& e) {
      finish(PollError::Internal, std::string("internal error: ") + e.what());
    } catch (...) {
      finish(PollError::Internal, "internal error");
    }
  }

  void sendScalars(std::vector<Oid> oids) {
    SnmpRequest request;
    request.type = SnmpRequest::Type::Get;
    request.oids = oids;
    client_.send(target_, request,
                 [self = shared_from_this(), oids = std::move(oids)](SnmpResponse response) {
                   self->guarded([&] { self->onScalars(oids, std::move(response)); });
                 });
  }

  void onScalars(std::vector<Oid> oids, SnmpResponse response) {
    count(response.packetsSent, response.varbinds.size());
    if (response.status == Status::ErrorStatus && response.errorIndex >= 1 &&
        static_cast<size_t>(response.errorIndex) <= oids.size() && oids.size() > 1) {
      // SNMPv1 fails the whole GET for one missing object (noSuchName): ask without it.
      oids.erase(oids.begin() + (response.errorIndex - 1));
      sendScalars(std::move(oids));
      return;
    }
    if (response.status == Status::ErrorStatus && oids.size() == 1 &&
        response.errorStatus == kErrNoSuchName) {
      response.status = Status::Ok;  // nothing of the three: the walk decides what the agent has
      response.varbinds.clear();
    }
    if (!response.ok()) {
      finish(pollErrorFor(response.status), "GET scalars: " + describeResponse(response));
      return;
    }
    for (const VarBind& vb : response.varbinds) {
      std::optional<uint64_t> v = vb.value.toUnsigned();
      if (!v) {
        continue;
      }
      if (vb.oid == known().sysUpTime) {
        result_->sysUpTime = *v;
      } else if (vb.oid == known().ifTableLastChange) {
        result_->ifTableLastChange = *v;
      } else if (vb.oid == known().ifNumber) {
        ifNumber_ = *v;
      }
    }
    decide();
    walkMain();
  }

  /// Whether labels are walked in this poll, and what is known about ifXTable.
  void decide() {
    refreshLabels_ = true;
    if (previous_ && previous_->sysUpTime && result_->sysUpTime &&
        *result_->sysUpTime >= *previous_->sysUpTime &&
        previous_->ifTableLastChange == result_->ifTableLastChange) {
      refreshLabels_ = false;
    }
    if (previous_ && !refreshLabels_) {
      knownIfX_ = previous_->hasIfXTable;
      // A device whose last poll found no ifXTable column at all is not asked for one again
      // until its labels are refreshed (restart or ifTableLastChange).
      noIfXTable_ = true;
      for (const InterfaceRow& row : previous_->interfaces) {
        bool any = !row.ifName.empty() || !row.ifAlias.empty();
        for (const MetricDef& def : ifMetrics()) {
          any |= def.group == ColumnGroup::IfX && row.present.test(static_cast<size_t>(def.id));
        }
        if (any) {
          noIfXTable_ = false;
          break;
        }
      }
    }
  }

  TableWalker::Options walkOptions() const {
    TableWalker::Options o;
    o.initialMaxRepetitions = options_.initialMaxRepetitions;
    learned_->apply(target_.sessionKey(), o);
    o.maxMaxRepetitions = options_.maxMaxRepetitions;
    o.maxColumnsPerRequest = options_.maxColumnsPerRequest;
    if (ifNumber_ && *ifNumber_ > 0 && *ifNumber_ < 1000000) {
      o.expectedRows = static_cast<uint32_t>(*ifNumber_);
    }
    return o;
  }

  /// ifName and ifAlias live in ifXTable, which some agents have without its 64-bit counters
  /// (net-snmp's Linux agent of old): they are always asked for; a missing column costs one
  /// varbind in a request that is sent anyway.
  void addLabelColumns(std::vector<Oid>& oids, std::vector<ColumnRole>& roles) const {
    oids.push_back(known().ifDescr);
    roles.push_back({ColumnRole::Kind::Descr, IfMetric::Count_});
    if (noIfXTable_) {
      return;
    }
    oids.push_back(known().ifName);
    roles.push_back({ColumnRole::Kind::Name, IfMetric::Count_});
    oids.push_back(known().ifAlias);
    roles.push_back({ColumnRole::Kind::Alias, IfMetric::Count_});
  }

  void walk(std::vector<Oid> oids, std::vector<ColumnRole> roles,
            void (PollRun::*next)(const std::vector<ColumnRole>&, const TableWalker::Result&)) {
    TableWalker::walk(client_, target_, std::move(oids), walkOptions(),
                      [self = shared_from_this(), roles = std::move(roles),
                       next](const TableWalker::Result& walked) {
                        self->guarded([&] { ((*self).*next)(roles, walked); });
                      });
  }

  void walkMain() {
    std::vector<Oid> oids;
    std::vector<ColumnRole> roles;
    // hasIfXTable means "has the 64-bit octet counters"; without them the 32-bit ifTable
    // counters are walked too. Agents with a partial ifXTable (names and speeds but no HC
    // counters) keep getting the ifXTable columns they have.
    for (const MetricDef& def : ifMetrics()) {
      bool wanted = def.group == ColumnGroup::If ||
                    (def.group == ColumnGroup::IfX && !noIfXTable_) ||
                    (def.group == ColumnGroup::IfFallback && knownIfX_ == false);
      if (wanted) {
        oids.push_back(known().metric[static_cast<size_t>(def.id)]);
        roles.push_back({ColumnRole::Kind::Metric, def.id});
      }
    }
    if (refreshLabels_) {
      addLabelColumns(oids, roles);
    }
    walk(std::move(oids), std::move(roles), &PollRun::onMain);
  }

  void onMain(const std::vector<ColumnRole>& roles, const TableWalker::Result& walked) {
    if (!absorb(roles, walked)) {
      return;
    }
    if (knownIfX_) {
      result_->hasIfXTable = *knownIfX_;
    } else {
      // First sight of this device (or it changed): it has 64-bit counters if its ifHCInOctets
      // or ifHCOutOctets column answered.
      bool any = false;
      for (size_t i = 0; i < roles.size(); ++i) {
        bool octets =
            roles[i].kind == ColumnRole::Kind::Metric &&
            (roles[i].metric == IfMetric::HCInOctets || roles[i].metric == IfMetric::HCOutOctets);
        any |= octets && !walked.columns[i].empty();
      }
      result_->hasIfXTable = any;
      if (!any) {
        std::vector<Oid> oids;
        std::vector<ColumnRole> fallback;
        for (const MetricDef& def : ifMetrics()) {
          if (def.group == ColumnGroup::IfFallback) {
            oids.push_back(known().metric[static_cast<size_t>(def.id)]);
            fallback.push_back({ColumnRole::Kind::Metric, def.id});
          }
        }
        walk(std::move(oids), std::move(fallback), &PollRun::onFallback);
        return;
      }
    }
    afterValues();
  }

  void onFallback(const std::vector<ColumnRole>& roles, const TableWalker::Result& walked) {
    if (absorb(roles, walked)) {
      afterValues();
    }
  }

  /// Labels: walked already, reused from the previous poll, or walked now because an
  /// interface appeared that the previous poll did not know.
  void afterValues() {
    if (refreshLabels_) {
      result_->labelsRefreshed = true;
      complete();
      return;
    }
    std::map<uint32_t, const InterfaceRow*> before;
    for (const InterfaceRow& row : previous_->interfaces) {
      before.emplace(row.ifIndex, &row);
    }
    for (auto& [ifIndex, row] : rows_) {
      auto it = before.find(ifIndex);
      if (it == before.end()) {
        std::vector<Oid> oids;
        std::vector<ColumnRole> roles;
        addLabelColumns(oids, roles);
        walk(std::move(oids), std::move(roles), &PollRun::onLabels);
        return;
      }
      row.ifDescr = it->second->ifDescr;
      row.ifName = it->second->ifName;
      row.ifAlias = it->second->ifAlias;
    }
    complete();
  }

  void onLabels(const std::vector<ColumnRole>& roles, const TableWalker::Result& walked) {
    for (auto& [ifIndex, row] : rows_) {
      row.ifDescr.clear();  // drop what the reuse loop copied before it met the new interface
      row.ifName.clear();
      row.ifAlias.clear();
    }
    if (absorb(roles, walked)) {
      result_->labelsRefreshed = true;
      complete();
    }
  }

  /// Files a walk's columns into rows_; false (and the poll finished) if the walk failed.
  bool absorb(const std::vector<ColumnRole>& roles, const TableWalker::Result& walked) {
    count(walked.requests, walked.varbinds);
    learned_->learn(target_.sessionKey(), walked);
    if (walked.internalError) {
      finish(PollError::Internal, walked.message);
      return false;
    }
    if (walked.status != Status::Ok) {
      std::string detail = std::string("walk: ") + responseStatusName(walked.status);
      if (!walked.message.empty()) {
        detail += ": " + walked.message;
      }
      finish(pollErrorFor(walked.status), detail);
      return false;
    }
    if (walked.truncated) {
      note(walked.message);
    }
    for (size_t i = 0; i < roles.size() && i < walked.columns.size(); ++i) {
      for (const auto& [index, value] : walked.columns[i]) {
        if (index.size() != 1) {
          continue;  // ifIndex is a single sub-identifier; anything else is not an interface
        }
        uint32_t ifIndex = index[0];
        switch (roles[i].kind) {
          case ColumnRole::Kind::Metric:
            if (std::optional<uint64_t> v = value.toUnsigned()) {
              row(ifIndex).set(roles[i].metric, *v);
            }
            break;
          case ColumnRole::Kind::Descr:
            // ifDescr defines an interface even when no value column has it (Java's only source).
            if (value.type == SnmpType::OctetString) {
              row(ifIndex).ifDescr = value.bytes;
            } else {
              row(ifIndex);
            }
            break;
          case ColumnRole::Kind::Name:
            if (value.type == SnmpType::OctetString) {
              named_[ifIndex] = value.bytes;
            }
            break;
          case ColumnRole::Kind::Alias:
            if (value.type == SnmpType::OctetString) {
              aliased_[ifIndex] = value.bytes;
            }
            break;
        }
      }
    }
    return true;
  }

  InterfaceRow& row(uint32_t ifIndex) {
    InterfaceRow& r = rows_[ifIndex];
    r.ifIndex = ifIndex;
    return r;
  }

  void complete() {
    for (auto& [ifIndex, r] : rows_) {
      if (auto it = named_.find(ifIndex); it != named_.end()) {
        r.ifName = it->second;
      }
      if (auto it = aliased_.find(ifIndex); it != aliased_.end()) {
        r.ifAlias = it->second;
      }
    }
    if (rows_.empty() && !ifNumber_ && !result_->sysUpTime) {
      finish(PollError::Unsupported, "the agent has no IF-MIB interfaces and no sysUpTime");
      return;
    }
    result_->interfaces.reserve(rows_.size());
    for (auto& [ifIndex, r] : rows_) {
      result_->interfaces.push_back(std::move(r));  // std::map: ascending ifIndex
    }
    finish(PollError::None, "");
  }

  void count(uint32_t packets, size_t varbinds) {
    result_->requests += packets;
    result_->varbinds += static_cast<uint32_t>(varbinds);
  }

  void note(const std::string& text) {
    if (text.empty()) {
      return;
    }
    if (!notes_.empty()) {
      notes_ += "; ";
    }
    notes_ += text;
  }

  void finish(PollError error, const std::string& detail) {
    if (finished_.exchange(true)) {
      return;
    }
    result_->error = error;
    if (error != PollError::None) {
      result_->interfaces.clear();  // partial counters would look like resets; publish none
      result_->errorDetail = detail;
    } else {
      result_->errorDetail = notes_;  // a partial walk (agent loop, request limit), if any
    }
    result_->durationSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    DevicePoller::Done done = std::move(done_);
    done(std::move(result_));
  }

  SnmpClient& client_;
  DevicePoller::Options options_;
  std::shared_ptr<LearnedRepetitions> learned_;
  SnmpTarget target_;
  std::shared_ptr<const PollResult> previous_;
  DevicePoller::Done done_;
  std::shared_ptr<PollResult> result_;
  std::chrono::steady_clock::time_point started_;
  std::atomic<bool> finished_{false};

  std::optional<uint64_t> ifNumber_;
  bool refreshLabels_ = true;
  std::optional<bool> knownIfX_;
  bool noIfXTable_ = false;  // the previous poll found no ifXTable column at all
  std::map<uint32_t, InterfaceRow> rows_;
  std::map<uint32_t, std::string> named_;
  std::map<uint32_t, std::string> aliased_;
  std::string notes_;
};

}  // namespace

DevicePoller::DevicePoller(SnmpClient& client) : DevicePoller(client, Options()) {}

DevicePoller::DevicePoller(SnmpClient& client, Options options)
    : client_(client), options_(options), learned_(std::make_shared<LearnedRepetitions>()) {}

void DevicePoller::poll(const SnmpTarget& target, std::shared_ptr<const PollResult> previous,
                        Done done) {
  std::make_shared<PollRun>(client_, options_, learned_, target, std::move(previous),
                            std::move(done))
      ->start();
}

void DevicePoller::forget(const std::string& sessionKey) { learned_->forget(sessionKey); }

size_t DevicePoller::learnedAgents() const { return learned_->size(); }
void DevicePoller::cancelAll() { client_.cancelAll(); }

}  // namespace promsnmp
