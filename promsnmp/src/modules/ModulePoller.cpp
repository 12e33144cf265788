#include "modules/ModulePoller.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <utility>

#include <re2/re2.h>

#include "common/Text.h"
#include "modules/GoText.h"
#include "snmp/TableWalker.h"

namespace promsnmp {

namespace detail {

/// What the poller keeps between polls: the max-repetitions each agent adapted to, and the
/// plans of the module lists it polled. Shared with the polls in flight.
struct ModulePollerShared {
  LearnedRepetitions learned;

  std::mutex mutex;  // guards plans
  // Keyed by the modules' addresses: the plan holds the modules, so no address is reused while
  // its entry lives. Cleared when it grows past kMaxPlans (module files reloaded many times).
  std::map<std::vector<const Module*>, std::shared_ptr<const ModulePlan>> plans;
  static constexpr size_t kMaxPlans = 256;

  std::shared_ptr<const ModulePlan> plan(const std::vector<std::shared_ptr<const Module>>& list) {
    std::vector<const Module*> key;
    key.reserve(list.size());
    for (const auto& m : list) {
      key.push_back(m.get());
    }
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (auto it = plans.find(key); it != plans.end()) {
        return it->second;
      }
    }
    auto made = std::make_shared<const ModulePlan>(planModules(list));  // outside the lock
    std::lock_guard<std::mutex> lock(mutex);
    if (plans.size() >= kMaxPlans) {
      plans.clear();
    }
    return plans.emplace(std::move(key), std::move(made)).first->second;
  }
};

}  // namespace detail

namespace {

using Status = SnmpResponse::Status;

const Oid& sysUpTimeInstance() {
  static const Oid kOid = Oid::parse("1.3.6.1.2.1.1.3.0");
  return kOid;
}

/// Value types whose rendering reads the value of the column before them (collector.go
/// combinedTypeMapping: the InetAddressType or LldpPortIdSubtype of the same row).
bool readsTypeColumn(ValueType t) {
  return t == ValueType::InetAddress || t == ValueType::InetAddressMissingSize ||
         t == ValueType::LldpPortId;
}

Oid concat(const Oid& a, const Oid& b) {
  Oid::Ids ids;
  ids.reserve(a.size() + b.size());  // one buffer: past 16 ids, a copy then an append grows twice
  ids.insert(ids.end(), a.ids().begin(), a.ids().end());
  ids.insert(ids.end(), b.ids().begin(), b.ids().end());
  return Oid(std::move(ids));
}

/// strings.HasPrefix on the dotted forms, as collector.go updateGetConfig compares a GET OID
/// with a filter target: "1.3.6.1.2.1.2.2.1.10.5" starts with "1.3.6.1.2.1.2.2.1.1".
bool textStartsWith(const Oid& oid, const Oid& prefix) {
  return oid.str().starts_with(prefix.str());
}

/// collector.go pduValueAsString(pdu, "DisplayString", "") as filterAllowedIndices calls it:
/// numbers in decimal, strings as text, OIDs dotted, addresses as gosnmp prints them.
std::string filterValueString(const SnmpValue& v) {
  switch (v.type) {
    case SnmpType::Integer:
      return std::to_string(v.integer);
    case SnmpType::Counter32:
    case SnmpType::Counter64:
    case SnmpType::Gauge32:
    case SnmpType::TimeTicks:
      return std::to_string(v.unsignedValue);
    case SnmpType::ObjectId:
      return v.oid.str();
    case SnmpType::IpAddress:
      if (v.bytes.size() == 4) {
        std::string out;
        for (size_t i = 0; i < 4; ++i) {
          out += (i > 0 ? "." : "") + std::to_string(static_cast<unsigned char>(v.bytes[i]));
        }
        return out;
      }
      return goValidUtf8(v.bytes);
    case SnmpType::OctetString:
    case SnmpType::Other:
      return goValidUtf8(v.bytes);
    case SnmpType::Null:
    case SnmpType::NoSuchObject:
    case SnmpType::NoSuchInstance:
    case SnmpType::EndOfMibView:
      break;
  }
  return "";
}

/// Sorted, each once, none under another (the outer one kept).
std::vector<Oid> outermost(std::vector<Oid> oids) {
  std::sort(oids.begin(), oids.end());
  std::vector<Oid> out;
  for (Oid& o : oids) {
    if (out.empty() || !o.startsWith(out.back())) {
      out.push_back(std::move(o));
    }
  }
  return out;
}

// ---- planning -------------------------------------------------------------------------------

enum Role : uint8_t {
  kMetricRole = 1,  // a metric's OID or below it: its values are series
  kLabelRole = 2,   // read by exact OID for a lookup (or the lookup's type column)
  kTypeRole = 4,    // read by exact OID for the type of a metric's value
};

struct Candidate {
  Oid oid;
  uint8_t roles = 0;
  uint32_t module = 0;
  bool whole = false;  // the module's walk entry itself
};

/// Index of the unit that `oid` lies in (units ascending, none under another), or -1.
int unitContaining(const std::vector<ModulePlan::Unit>& units, const Oid& oid) {
  auto it = std::upper_bound(units.begin(), units.end(), oid,
                             [](const Oid& o, const ModulePlan::Unit& u) { return o < u.oid; });
  if (it == units.begin()) {
    return -1;
  }
  --it;
  return oid.startsWith(it->oid) ? static_cast<int>(it - units.begin()) : -1;
}

}  // namespace

ModulePlan planModules(const std::vector<std::shared_ptr<const Module>>& modules) {
  ModulePlan plan;
  plan.moduleList = modules;
  plan.modules.resize(modules.size());
  static const Module kEmpty;

  // Exact reads and metric OIDs of each module, then the candidates of each walk entry.
  std::vector<Candidate> candidates;
  std::vector<std::vector<std::pair<size_t, size_t>>> candidatesByWalk(modules.size());
  std::map<Oid, ModulePlan::Get> gets;
  std::map<Oid, uint32_t> filterOids;
  for (uint32_t mi = 0; mi < modules.size(); ++mi) {
    const Module& m = modules[mi] ? *modules[mi] : kEmpty;
    std::vector<std::pair<Oid, uint8_t>> reads;  // (OID, role): metrics and exact reads
    for (const ModuleMetric& metric : m.metrics) {
      reads.emplace_back(metric.oid, kMetricRole);
      if (readsTypeColumn(metric.type)) {
        if (auto prev = previousOid(metric.oid)) {
          reads.emplace_back(*prev, kTypeRole);
        }
      }
      for (const MetricLookup& lookup : metric.lookups) {
        if (lookup.labels.empty() || lookup.oid.empty()) {
          continue;  // only deletes a label
        }
        reads.emplace_back(lookup.oid, kLabelRole);
        if (lookup.type && readsTypeColumn(*lookup.type)) {
          if (auto prev = previousOid(lookup.oid)) {
            reads.emplace_back(*prev, kLabelRole);
          }
        }
      }
    }
    plan.allowNonincreasingOids |= m.walkParams.allowNonincreasingOids;
    if (m.walkParams.maxRepetitions > 0 && m.walkParams.maxRepetitions < 25) {
      int cap = static_cast<int>(m.walkParams.maxRepetitions);
      plan.maxRepetitionsCap =
          plan.maxRepetitionsCap == 0 ? cap : std::min(plan.maxRepetitionsCap, cap);
    }

    candidatesByWalk[mi].reserve(m.walk.size());
    plan.modules[mi].unitsByWalk.resize(m.walk.size());
    for (size_t w = 0; w < m.walk.size(); ++w) {
      const Oid& subtree = m.walk[w];
      size_t first = candidates.size();
      uint8_t wholeRoles = 0;
      for (const auto& [oid, role] : reads) {
        if (subtree.startsWith(oid)) {
          wholeRoles |= role;  // a read at or above the subtree: all of it can matter
        }
      }
      if (wholeRoles != 0) {
        for (const auto& [oid, role] : reads) {
          if (oid.startsWith(subtree)) {
            wholeRoles |= role;
          }
        }
        candidates.push_back({subtree, wholeRoles, mi, true});
      } else {
        for (const auto& [oid, role] : reads) {
          if (oid.startsWith(subtree) && oid.size() > subtree.size()) {
            candidates.push_back({oid, role, mi, false});
          }
        }
      }
      candidatesByWalk[mi].emplace_back(first, candidates.size());
    }

    std::set<Oid> ownGets(m.get.begin(), m.get.end());
    for (const Oid& g : ownGets) {
      ModulePlan::Get& get = gets[g];
      get.oid = g;
      get.modules.push_back(mi);
      bool early = true;
      for (const DynamicFilter& f : m.filters) {
        for (const Oid& t : f.targets) {
          early = early && !textStartsWith(g, t);
        }
      }
      if (early) {
        get.earlyModules.push_back(mi);
      }
    }
    for (const DynamicFilter& f : m.filters) {
      filterOids.emplace(f.oid, 0);
    }
  }

  // Units: the candidates, sorted, each nested one merged into the one around it.
  std::vector<size_t> order(candidates.size());
  for (size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return candidates[a].oid < candidates[b].oid; });
  std::vector<uint8_t> roles;
  for (size_t i : order) {
    const Candidate& c = candidates[i];
    if (plan.units.empty() || !c.oid.startsWith(plan.units.back().oid)) {
      plan.units.push_back({c.oid, {}, false, false});
      roles.push_back(0);
    }
    ModulePlan::Unit& u = plan.units.back();
    roles.back() |= c.roles;
    u.modules.push_back(c.module);
    u.wholeSubtree |= c.whole && c.oid == u.oid;
  }
  for (size_t u = 0; u < plan.units.size(); ++u) {
    std::vector<uint32_t>& ms = plan.units[u].modules;
    std::sort(ms.begin(), ms.end());
    ms.erase(std::unique(ms.begin(), ms.end()), ms.end());
    plan.units[u].labelOnly = roles[u] == kLabelRole;
  }
  for (uint32_t mi = 0; mi < modules.size(); ++mi) {
    for (size_t w = 0; w < candidatesByWalk[mi].size(); ++w) {
      auto [first, last] = candidatesByWalk[mi][w];
      std::vector<uint32_t>& units = plan.modules[mi].unitsByWalk[w];
      for (size_t c = first; c < last; ++c) {
        int u = unitContaining(plan.units, candidates[c].oid);
        if (u >= 0) {
          units.push_back(static_cast<uint32_t>(u));
        }
      }
      std::sort(units.begin(), units.end());
      units.erase(std::unique(units.begin(), units.end()), units.end());
    }
  }

  for (auto& [oid, get] : gets) {
    plan.gets.push_back(std::move(get));
  }
  for (auto& [oid, index] : filterOids) {
    index = static_cast<uint32_t>(plan.filterOids.size());
    plan.filterOids.push_back(oid);
  }
  for (uint32_t mi = 0; mi < modules.size(); ++mi) {
    if (!modules[mi]) {
      continue;
    }
    for (const DynamicFilter& f : modules[mi]->filters) {
      ModulePlan::Filter pf;
      pf.module = mi;
      pf.oid = filterOids.at(f.oid);
      pf.filter = &f;
      for (const CompiledRegex& v : f.values) {
        std::shared_ptr<const re2::RE2> re = v.regex;
        if (!re) {
          auto made = std::make_shared<re2::RE2>(v.pattern, re2::RE2::Quiet);
          re = made->ok() ? std::move(made) : nullptr;  // the loader refuses bad ones
        }
        pf.values.push_back(std::move(re));
      }
      plan.modules[mi].filters.push_back(static_cast<uint32_t>(plan.filters.size()));
      plan.filters.push_back(std::move(pf));
    }
  }

  // Label sources: a lookup keyed by the metric's whole index reads row L.<row of the metric>.
  std::set<std::pair<uint32_t, Oid>> sources;
  for (uint32_t mi = 0; mi < modules.size(); ++mi) {
    if (!modules[mi]) {
      continue;
    }
    for (const ModuleMetric& metric : modules[mi]->metrics) {
      std::vector<std::string> indexLabels;
      for (const MetricIndex& index : metric.indexes) {
        indexLabels.push_back(index.labelname);
      }
      for (const MetricLookup& lookup : metric.lookups) {
        if (indexLabels.empty() || lookup.labels != indexLabels || lookup.oid.empty()) {
          continue;
        }
        int u = unitContaining(plan.units, lookup.oid);
        if (u >= 0 && plan.units[static_cast<size_t>(u)].labelOnly) {
          sources.emplace(static_cast<uint32_t>(u), metric.oid);
        }
      }
    }
  }
  // One metric per table and label unit is enough: a new row shows in every column of it.
  std::set<std::pair<uint32_t, Oid>> tables;
  for (const auto& [unit, metric] : sources) {
    Oid::Ids ids = metric.ids();
    if (ids.size() > 1) {
      ids.pop_back();  // the table entry: the metric's column without its number
    }
    Oid table(std::move(ids));
    if (tables.emplace(unit, table).second) {
      plan.labelSources.push_back({unit, metric});
    }
  }
  return plan;
}

// ---- results --------------------------------------------------------------------------------

namespace {

/// Whether `oid` lies under (or is) one of `walked` (ascending, none under another: the one it
/// could lie under is the greatest not after it).
bool underAny(const std::vector<Oid>& walked, const Oid& oid) {
  auto it = std::upper_bound(walked.begin(), walked.end(), oid);
  return it != walked.begin() && oid.startsWith(*std::prev(it));
}

/// pdusOf(i).size() without building it.
size_t visibleCount(const ModulePollResult& r, size_t i) {
  const ModuleScope& scope = r.scopes[i];
  size_t n = 0;
  for (const Oid& s : scope.walked) {
    n += r.pdus.subtree(s).size();
  }
  for (const Oid& g : scope.got) {
    n += !underAny(scope.walked, g) && r.pdus.find(g) != nullptr ? 1 : 0;
  }
  return n;
}

}  // namespace

bool ModuleScope::contains(const Oid& oid) const {
  return underAny(walked, oid) || std::binary_search(got.begin(), got.end(), oid);
}

bool ModulePollResult::anyUp() const {
  return std::any_of(outcomes.begin(), outcomes.end(),
                     [](const ModuleOutcome& o) { return o.up(); });
}

void ModulePollResult::pack() {
  if (!packed) {
    packedPdus = PackedPduTable(pdus);
    pdus = PduTable();
    packedCarried = PackedPduTable(carried);
    carried = PduTable();
    packed = true;
    // Every label row is in `pdus` too (the poll files them there): read back from there.
    labelsInPdus = labelColumns != nullptr;
    labelColumns.reset();
  }
}

PduTable ModulePollResult::unpackedPdus() const { return packed ? packedPdus.unpack() : pdus; }

ModulePollResult ModulePollResult::unpacked() const {
  ModulePollResult out(*this);  // packed, `pdus` is empty: the copy is small
  if (packed) {
    out.pdus = packedPdus.unpack();
    out.packedPdus = PackedPduTable();
    out.packed = false;
  }
  return out;
}

std::vector<const VarBind*> ModulePollResult::pdusOf(size_t i) const {
  std::vector<const VarBind*> out;
  if (i >= scopes.size()) {
    return out;
  }
  const ModuleScope& scope = scopes[i];
  for (const Oid& s : scope.walked) {
    for (const VarBind& vb : pdus.subtree(s)) {
      out.push_back(&vb);
    }
  }
  for (const Oid& g : scope.got) {
    if (underAny(scope.walked, g)) {
      continue;  // already there from the walk
    }
    if (const VarBind* vb = pdus.find(g)) {
      out.push_back(vb);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const VarBind* a, const VarBind* b) { return a->oid < b->oid; });
  return out;
}

PduTable ModulePollResult::tableOf(size_t i) const {
  std::vector<VarBind> copies;
  std::vector<const VarBind*> mine = pdusOf(i);
  copies.reserve(mine.size());
  for (const VarBind* vb : mine) {
    copies.push_back(*vb);
  }
  return PduTable(std::move(copies));
}

const VarBind* ModulePollResult::findFor(size_t i, const Oid& oid) const {
  if (i >= scopes.size() || !scopes[i].contains(oid)) {
    return nullptr;
  }
  return pdus.find(oid);
}

// ---- one poll -------------------------------------------------------------------------------

namespace {

constexpr int kMaxInFlight = 2;  // requests of one poll in flight at once (as DevicePoller)

/// One poll in progress. Phases run one after the other, each starting from the callback that
/// ends the one before: the first GETs (sysUpTime.0 and every GET no filter can drop) → the
/// dynamic filters' walks → the GETs the filters decided → one shared walk of every needed
/// column (label columns only when not reused) → the label columns again if a new row appeared
/// → a GET of each walked subtree that had nothing below it (gosnmp) → done. State is guarded
/// by mutex_; the client and TableWalker are never called with it held (a client may answer
/// synchronously).
class PollRun : public std::enable_shared_from_this<PollRun> {
 public:
  PollRun(SnmpClient& client, common::Clock& clock, const ModulePoller::Options& options,
          std::shared_ptr<detail::ModulePollerShared> shared, const SnmpTarget& target,
          std::shared_ptr<const ModulePlan> plan, std::shared_ptr<const ModulePollResult> previous,
          ModulePoller::Done done)
      : client_(client),
        clock_(clock),
        options_(options),
        shared_(std::move(shared)),
        target_(target),
        sessionKey_(target.sessionKey()),
        plan_(std::move(plan)),
        previous_(std::move(previous)),
        done_(std::move(done)),
        result_(std::make_shared<ModulePollResult>()) {
    size_t n = plan_->moduleList.size();
    mods_.resize(n);
    stamp_.assign(n, 0);
    units_.resize(plan_->units.size());
    unitModules_.resize(plan_->units.size());
    filterRows_.resize(plan_->filterOids.size());
    filterOk_.assign(plan_->filterOids.size(), false);
    filterModules_.resize(plan_->filterOids.size());
    for (uint32_t m = 0; m < n; ++m) {
      const Module* module = plan_->moduleList[m].get();
      if (module != nullptr) {
        mods_[m].walkActive.assign(module->walk.size(), true);
        mods_[m].finalGets = module->get;
      }
    }
  }

  void start() {
    started_ = clock_.steadyNow();
    result_->startedAt = clock_.systemNow();
    advance();
  }

 private:
  enum class Phase { Start, FirstGets, Filters, Gets, Walk, Labels, Roots, Done };
  enum class UnitState { Idle, Walking, Ok, Reused, Failed };

  struct ModState {
    PollError error = PollError::None;
    std::string detail;
    std::string notes;
    uint32_t packets = 0;
    uint32_t retried = 0;
    std::optional<std::chrono::steady_clock::time_point> lastAt;
    bool filtersDone = false;
    std::vector<bool> walkActive;  // parallel to the module's walk
    std::vector<Oid> finalGets;    // the module's get, after its filters
  };

  struct Unit {
    UnitState state = UnitState::Idle;
    bool empty = true;  // nothing below it (for the gosnmp root GET)
  };

  // ---- driving ------------------------------------------------------------------------------

  template <typename F>
  void guarded(F&& step) {
    try {
      step();
    } catch (const std::exception& e) {
      abort(std::string("internal error: ") + e.what());
    } catch (...) {
      abort("internal error");
    }
  }

  /// Ends the current phase and starts the next one with work to do (or finishes).
  void advance() {
    for (;;) {
      Phase p = Phase::Done;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        phase_ = stopped_ ? Phase::Done : static_cast<Phase>(static_cast<int>(phase_) + 1);
        p = phase_;
      }
      bool started = false;
      switch (p) {
        case Phase::Start:
          break;
        case Phase::FirstGets:
          started = beginFirstGets();
          break;
        case Phase::Filters:
          started = beginFilters();
          break;
        case Phase::Gets:
          started = beginGets();
          break;
        case Phase::Walk:
          started = beginWalk();
          break;
        case Phase::Labels:
          started = beginLabels();
          break;
        case Phase::Roots:
          started = beginRoots();
          break;
        case Phase::Done:
          finish();
          return;
      }
      if (started) {
        return;
      }
    }
  }

  /// Nothing more is asked: the device stopped answering. Requests in flight still end.
  void stop(PollError error, const std::string& detail) {
    if (!stopped_) {
      stopped_ = true;
      stopError_ = error;
      stopDetail_ = detail;
    }
    getQueue_.clear();
  }

  void failModule(uint32_t m, PollError error, const std::string& detail) {
    if (mods_[m].error == PollError::None) {
      mods_[m].error = error;
      mods_[m].detail = detail;
    }
  }

  bool failed(uint32_t m) const { return mods_[m].error != PollError::None; }

  /// Counts a request's packets in the poll and in each of `modules` (once each).
  template <typename Modules>
  void charge(const Modules& modules, uint32_t packets, size_t varbinds) {
    result_->requests += packets;
    result_->varbinds += static_cast<uint32_t>(varbinds);
    ++epoch_;
    auto now = clock_.steadyNow();
    for (uint32_t m : modules) {
      if (stamp_[m] == epoch_) {
        continue;
      }
      stamp_[m] = epoch_;
      mods_[m].packets += packets;
      mods_[m].retried += packets > 1 ? packets - 1 : 0;
      mods_[m].lastAt = now;
    }
  }

  // ---- GETs ---------------------------------------------------------------------------------

  /// Queues `oids` in requests of at most maxGetOidsPerRequest; call with mutex_ held.
  void queueGets(const std::vector<Oid>& oids) {
    size_t per = static_cast<size_t>(std::max(1, options_.maxGetOidsPerRequest));
    for (size_t i = 0; i < oids.size(); i += per) {
      getQueue_.emplace_back(
          oids.begin() + static_cast<std::ptrdiff_t>(i),
          oids.begin() + static_cast<std::ptrdiff_t>(std::min(oids.size(), i + per)));
    }
  }

  void pumpGets() {
    std::vector<std::vector<Oid>> out;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      while (!stopped_ && getsInFlight_ < kMaxInFlight && !getQueue_.empty()) {
        out.push_back(std::move(getQueue_.front()));
        getQueue_.pop_front();
        ++getsInFlight_;
      }
    }
    for (std::vector<Oid>& oids : out) {
      SnmpRequest request;
      request.type = SnmpRequest::Type::Get;
      request.oids = oids;
      client_.send(target_, request,
                   [self = shared_from_this(), oids = std::move(oids)](SnmpResponse response) {
                     self->guarded([&] { self->onGet(oids, response); });
                   });
    }
  }

  void onGet(const std::vector<Oid>& oids, SnmpResponse& response) {
    bool phaseDone = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --getsInFlight_;
      if (finished_) {
        return;
      }
      std::vector<uint32_t> modules;
      for (const Oid& o : oids) {
        if (auto it = getNeeds_.find(o); it != getNeeds_.end()) {
          modules.insert(modules.end(), it->second.begin(), it->second.end());
        }
      }
      charge(modules, response.packetsSent, response.varbinds.size());
      handleGet(oids, response);
      phaseDone = getsInFlight_ == 0 && (getQueue_.empty() || stopped_);
    }
    if (phaseDone) {
      advance();
    } else {
      pumpGets();
    }
  }

  void handleGet(const std::vector<Oid>& oids, SnmpResponse& response) {
    if (response.status != Status::Timeout) {
      consecutiveTimeouts_ = 0;
    }
    auto splitAndRetry = [&] {
      size_t half = oids.size() / 2;
      getQueue_.emplace_front(oids.begin() + static_cast<std::ptrdiff_t>(half), oids.end());
      getQueue_.emplace_front(oids.begin(), oids.begin() + static_cast<std::ptrdiff_t>(half));
    };
    switch (response.status) {
      case Status::Ok:
        for (VarBind& vb : response.varbinds) {
          if (vb.oid == sysUpTimeInstance() && !result_->sysUpTime &&
              vb.value.type == SnmpType::TimeTicks) {
            result_->sysUpTime = vb.value.unsignedValue;
          }
          if (!vb.value.isException()) {
            extra_.push_back(std::move(vb));
          }
        }
        for (const Oid& o : oids) {
          answered_.insert(o);
        }
        break;
      case Status::TooBig:
        if (oids.size() > 1) {
          splitAndRetry();
        } else {
          failGet(oids[0], PollError::AgentError, "GET " + oids[0].str() + ": tooBig");
        }
        break;
      case Status::ErrorStatus: {
        size_t index = static_cast<size_t>(std::max(0, response.errorIndex));
        if (index >= 1 && index <= oids.size()) {
          const Oid& culprit = oids[index - 1];
          if (target_.version == 0 && response.errorStatus == kErrNoSuchName) {
            // SNMPv1 has no noSuchObject: the agent lacks this one (collector.go skips it).
            answered_.insert(culprit);
          } else {
            failGet(culprit, PollError::AgentError,
                    "GET " + culprit.str() + ": " + describeResponse(response));
          }
          std::vector<Oid> rest;
          for (size_t i = 0; i < oids.size(); ++i) {
            if (i != index - 1) {
              rest.push_back(oids[i]);
            }
          }
          if (!rest.empty()) {
            getQueue_.push_front(std::move(rest));
          }
        } else if (oids.size() > 1) {
          splitAndRetry();
        } else {
          failGet(oids[0], PollError::AgentError,
                  "GET " + oids[0].str() + ": " + describeResponse(response));
        }
        break;
      }
      case Status::Timeout: {
        bool first = phase_ == Phase::FirstGets &&
                     std::find(oids.begin(), oids.end(), sysUpTimeInstance()) != oids.end();
        if (first || ++consecutiveTimeouts_ >= 2) {
          stop(PollError::Timeout, "GET: " + describeResponse(response));
        } else {
          for (const Oid& o : oids) {
            failGet(o, PollError::Timeout, "GET: " + describeResponse(response));
          }
        }
        break;
      }
      case Status::Authentication:
      case Status::Transport:
        stop(pollErrorFor(response.status), "GET: " + describeResponse(response));
        break;
    }
  }

  void failGet(const Oid& oid, PollError error, const std::string& detail) {
    failedGets_.emplace(oid, std::make_pair(error, detail));
    if (auto it = getNeeds_.find(oid); it != getNeeds_.end()) {
      for (uint32_t m : it->second) {
        failModule(m, error, detail);
      }
    }
  }

  /// Registers module `m`'s need of GET `oid`; true when it still has to be asked for.
  bool needGet(uint32_t m, const Oid& oid) {
    if (auto f = failedGets_.find(oid); f != failedGets_.end()) {
      failModule(m, f->second.first, f->second.second);
      return false;
    }
    std::vector<uint32_t>& needs = getNeeds_[oid];
    if (std::find(needs.begin(), needs.end(), m) == needs.end()) {
      needs.push_back(m);
    }
    return answered_.count(oid) == 0;
  }

  bool beginFirstGets() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      std::vector<Oid> oids{sysUpTimeInstance()};
      for (const ModulePlan::Get& g : plan_->gets) {
        bool wanted = false;
        for (uint32_t m : g.earlyModules) {
          wanted |= needGet(m, g.oid);
        }
        if (wanted && g.oid != sysUpTimeInstance()) {
          oids.push_back(g.oid);
        }
      }
      queueGets(oids);
    }
    pumpGets();
    return true;
  }

  bool beginGets() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      std::set<Oid> oids;
      for (uint32_t m = 0; m < mods_.size(); ++m) {
        if (failed(m)) {
          continue;
        }
        for (const Oid& g : mods_[m].finalGets) {
          if (needGet(m, g)) {
            oids.insert(g);
          }
        }
      }
      if (oids.empty()) {
        return false;
      }
      queueGets(std::vector<Oid>(oids.begin(), oids.end()));
    }
    pumpGets();
    return true;
  }

  // ---- walks --------------------------------------------------------------------------------

  TableWalker::Options walkOptions() const {
    TableWalker::Options o;
    o.initialMaxRepetitions = options_.initialMaxRepetitions;
    o.maxMaxRepetitions = options_.maxMaxRepetitions;
    shared_->learned.apply(sessionKey_, o);
    if (plan_->maxRepetitionsCap > 0) {
      o.maxMaxRepetitions = std::min(o.maxMaxRepetitions, plan_->maxRepetitionsCap);
      o.initialMaxRepetitions = std::min(o.initialMaxRepetitions, plan_->maxRepetitionsCap);
    }
    o.maxColumnsPerRequest = options_.maxColumnsPerRequest;
    o.maxParallelRequests = kMaxInFlight;
    o.expectedRows = expectedRows_;
    o.allowNonincreasingOids = plan_->allowNonincreasingOids;
    o.isolateFailures = true;
    o.recordRequests = true;
    o.fullOids = true;  // filed as varbinds: no index cut off to be put back
    return o;
  }

  /// Starts a walk of `oids`; `then` gets its result on the client's thread.
  void startWalk(std::vector<Oid> oids, void (PollRun::*then)(TableWalker::Result&)) {
    TableWalker::walk(client_, target_, std::move(oids), walkOptions(),
                      [self = shared_from_this(), then](TableWalker::Result walked) {
                        self->guarded([&] {
                          {
                            std::lock_guard<std::mutex> lock(self->mutex_);
                            if (self->finished_) {
                              return;
                            }
                            self->shared_->learned.learn(self->sessionKey_, walked);
                            ((*self).*then)(walked);
                          }
                          self->advance();
                        });
                      });
  }

  /// A walk that failed as a whole (not column by column) means the device is gone.
  void checkWalkFailure(const TableWalker::Result& walked, const char* what) {
    if (walked.internalError) {
      throw std::runtime_error(walked.message);
    }
    if (walked.status != Status::Ok) {
      stop(pollErrorFor(walked.status), std::string(what) + ": " +
                                            responseStatusName(walked.status) +
                                            (walked.message.empty() ? "" : ": " + walked.message));
    }
  }

  bool beginFilters() {
    std::vector<Oid> oids;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (const ModulePlan::Filter& f : plan_->filters) {
        if (!failed(f.module)) {
          filterModules_[f.oid].push_back(f.module);
        }
      }
      for (uint32_t k = 0; k < plan_->filterOids.size(); ++k) {
        if (!filterModules_[k].empty()) {
          walkedFilters_.push_back(k);
          oids.push_back(plan_->filterOids[k]);
        }
      }
      if (oids.empty()) {
        applyFilters();
        return false;
      }
    }
    startWalk(std::move(oids), &PollRun::onFilters);
    return true;
  }

  void onFilters(TableWalker::Result& walked) {
    for (const TableWalker::RequestRecord& r : walked.log) {
      std::vector<uint32_t> modules;
      for (uint32_t c : r.columns) {
        const std::vector<uint32_t>& ms = filterModules_[walkedFilters_[c]];
        modules.insert(modules.end(), ms.begin(), ms.end());
      }
      charge(modules, r.packets, 0);
    }
    result_->varbinds += walked.varbinds;
    for (size_t c = 0; c < walkedFilters_.size(); ++c) {
      uint32_t k = walkedFilters_[c];
      // A failed filter walk is no failure of the module: collector.go "won't do any filter
      // on this oid" and walks its targets whole.
      if (walked.columnFailures[c].failed()) {
        continue;
      }
      filterOk_[k] = true;
      for (auto& [oid, value] : walked.columns[c]) {  // whole OIDs (walkOptions)
        filterRows_[k].push_back({std::move(oid), std::move(value)});
      }
    }
    checkWalkFailure(walked, "filter walk");
    applyFilters();
  }

  /// collector.go ScrapeTarget's filter loop, for every module: which of its walks stay and
  /// which GETs replace the walks of the filters' targets.
  void applyFilters() {
    for (uint32_t m = 0; m < mods_.size(); ++m) {
      ModState& ms = mods_[m];
      ms.filtersDone = true;
      const Module* module = plan_->moduleList[m].get();
      if (module == nullptr || plan_->modules[m].filters.empty()) {
        continue;
      }
      std::vector<Oid> filteredTargets;
      std::map<Oid, std::vector<uint32_t>> allowedByTarget;
      for (uint32_t fi : plan_->modules[m].filters) {
        const ModulePlan::Filter& f = plan_->filters[fi];
        if (!filterOk_[f.oid]) {
          continue;
        }
        // filterAllowedIndices: the last sub-identifier of each row whose value matches.
        std::vector<uint32_t> allowed;
        for (const VarBind& vb : filterRows_[f.oid]) {
          std::string text = filterValueString(vb.value);
          for (const auto& re : f.values) {
            if (re && re2::RE2::PartialMatch(text, *re)) {
              allowed.push_back(vb.oid[vb.oid.size() - 1]);
              break;
            }
          }
        }
        // updateWalkConfig: the targets are not walked.
        for (size_t w = 0; w < module->walk.size(); ++w) {
          for (const Oid& t : f.filter->targets) {
            if (module->walk[w] == t) {
              ms.walkActive[w] = false;
            }
          }
        }
        // Several filters on one target: the indexes all of them allow (HEAD, #1625).
        for (const Oid& t : f.filter->targets) {
          auto it = allowedByTarget.find(t);
          if (it == allowedByTarget.end()) {
            filteredTargets.push_back(t);
            allowedByTarget.emplace(t, allowed);
          } else {
            std::set<uint32_t> keep(allowed.begin(), allowed.end());
            std::erase_if(it->second, [&](uint32_t i) { return keep.count(i) == 0; });
          }
        }
      }
      // updateGetConfig + addAllowedIndices, target by target, in order.
      std::vector<Oid>& gets = ms.finalGets;
      for (const Oid& t : filteredTargets) {
        std::erase_if(gets, [&](const Oid& g) { return textStartsWith(g, t); });
        for (uint32_t index : allowedByTarget[t]) {
          gets.push_back(t.child(index));
        }
      }
    }
  }

  /// The units the modules still up need, with the modules that need each.
  void collectNeededUnits() {
    for (auto& ms : unitModules_) {
      ms.clear();
    }
    for (uint32_t m = 0; m < mods_.size(); ++m) {
      if (failed(m)) {
        continue;
      }
      const ModulePlan::ModuleParts& parts = plan_->modules[m];
      for (size_t w = 0; w < parts.unitsByWalk.size(); ++w) {
        if (!mods_[m].walkActive[w]) {
          continue;
        }
        for (uint32_t u : parts.unitsByWalk[w]) {
          if (unitModules_[u].empty() || unitModules_[u].back() != m) {
            unitModules_[u].push_back(m);
          }
        }
      }
    }
  }

  /// The varbinds of `previous_` under its label units and the label sources' metrics
  /// (unpacked once if it was packed; all of them if not). Needs previous_.
  const PduTable& previousPdus() {
    if (!previous_->packed) {
      return previous_->pdus;
    }
    if (!previousUnpacked_) {
      previousUnpacked_ = previous_->packedCarried.unpack();
    }
    return *previousUnpacked_;
  }

  /// The label columns of `previous_`: its labelColumns, or after pack() the rows of its
  /// label units in its varbinds (built once). Null when it had none.
  const std::shared_ptr<const PduTable>& previousLabels() {
    if (previous_->labelColumns || !previous_->labelsInPdus) {
      return previous_->labelColumns;
    }
    if (!previousLabels_) {
      const PduTable& pdus = previousPdus();
      std::vector<VarBind> rows;
      for (const Oid& unit : previous_->labelUnits) {
        std::span<const VarBind> sub = pdus.subtree(unit);
        rows.insert(rows.end(), sub.begin(), sub.end());
      }
      previousLabels_ = std::make_shared<const PduTable>(std::move(rows));
    }
    return previousLabels_;
  }

  /// Whether the label columns of `previous` can stand for this poll's.
  bool labelsReusable(const std::vector<Oid>& labelUnits) {
    if (!previous_ || !previousLabels() || !previous_->sysUpTime || !result_->sysUpTime ||
        *result_->sysUpTime < *previous_->sysUpTime ||
        clock_.steadyNow() - previous_->labelsReadAt >= options_.labelTtl) {
      return false;
    }
    return std::all_of(labelUnits.begin(), labelUnits.end(), [&](const Oid& u) {
      return std::binary_search(previous_->labelUnits.begin(), previous_->labelUnits.end(), u);
    });
  }

  void fileRows(uint32_t u, std::vector<VarBind> rows) {
    Unit& unit = units_[u];
    unit.state = UnitState::Ok;
    unit.empty = rows.empty();
    std::vector<VarBind>& into = plan_->units[u].labelOnly ? labelRows_ : extra_;
    into.insert(into.end(), std::make_move_iterator(rows.begin()),
                std::make_move_iterator(rows.end()));
  }

  bool beginWalk() {
    std::vector<Oid> oids;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      collectNeededUnits();
      for (uint32_t u = 0; u < units_.size(); ++u) {
        if (!unitModules_[u].empty() && plan_->units[u].labelOnly) {
          labelUnits_.push_back(plan_->units[u].oid);
        }
      }
      reusedLabels_ = !labelUnits_.empty() && labelsReusable(labelUnits_);
      for (uint32_t u = 0; u < units_.size(); ++u) {
        if (unitModules_[u].empty()) {
          continue;
        }
        const ModulePlan::Unit& unit = plan_->units[u];
        if (unit.labelOnly && reusedLabels_) {
          units_[u].state = UnitState::Reused;
          for (const VarBind& vb : previousLabels()->subtree(unit.oid)) {
            labelRows_.push_back(vb);
          }
          continue;
        }
        // Inside a filter's walk already: read from it.
        int served = -1;
        for (uint32_t k = 0; k < plan_->filterOids.size() && served < 0; ++k) {
          if (filterOk_[k] && unit.oid.startsWith(plan_->filterOids[k])) {
            served = static_cast<int>(k);
          }
        }
        if (served >= 0) {
          std::vector<VarBind> rows;
          for (const VarBind& vb : filterRows_[static_cast<size_t>(served)]) {
            if (vb.oid.startsWith(unit.oid)) {
              rows.push_back(vb);
            }
          }
          fileRows(u, std::move(rows));
          continue;
        }
        units_[u].state = UnitState::Walking;
        walkedUnits_.push_back(u);
        oids.push_back(unit.oid);
      }
      if (reusedLabels_) {
        labelsReadAt_ = previous_->labelsReadAt;
        if (previous_->labelUnits == labelUnits_) {
          labelTable_ = previousLabels();
        } else {
          labelTable_ = std::make_shared<const PduTable>(labelRows_);
        }
      }
      if (oids.empty()) {
        afterValueWalk();
        return false;
      }
      // As many rows as last time (plus one to see the end) rather than max-repetitions:
      // a GETBULK of short columns is otherwise padded with whatever follows them.
      if (previous_) {
        expectedRows_ = previous_->longestColumn;
      }
    }
    startWalk(std::move(oids), &PollRun::onWalk);
    return true;
  }

  /// Files a walk of units `walkedUnits_`; false when some unit failed.
  bool absorbUnits(TableWalker::Result& walked) {
    for (const TableWalker::RequestRecord& r : walked.log) {
      std::vector<uint32_t> modules;
      for (uint32_t c : r.columns) {
        const std::vector<uint32_t>& ms = unitModules_[walkedUnits_[c]];
        modules.insert(modules.end(), ms.begin(), ms.end());
      }
      charge(modules, r.packets, 0);
    }
    result_->varbinds += walked.varbinds;
    // Room for every row at once: a poll files thousands, and each VarBind is 232 bytes.
    size_t values = 0;
    size_t labels = 0;
    for (size_t c = 0; c < walkedUnits_.size(); ++c) {
      (plan_->units[walkedUnits_[c]].labelOnly ? labels : values) += walked.columns[c].size();
    }
    extra_.reserve(extra_.size() + values);
    labelRows_.reserve(labelRows_.size() + labels);
    bool allOk = true;
    for (size_t c = 0; c < walkedUnits_.size(); ++c) {
      uint32_t u = walkedUnits_[c];
      const TableWalker::ColumnFailure& f = walked.columnFailures[c];
      if (f.failed()) {
        allOk = false;
        units_[u].state = UnitState::Failed;
        std::string detail = "walk " + plan_->units[u].oid.str() + ": " +
                             responseStatusName(f.status) +
                             (f.message.empty() ? "" : ": " + f.message);
        for (uint32_t m : unitModules_[u]) {
          failModule(m, pollErrorFor(f.status), detail);
        }
        continue;
      }
      longestColumn_ = std::max(longestColumn_, static_cast<uint32_t>(walked.columns[c].size()));
      // Filed in place (not through fileRows): a poll files thousands of 232-byte rows here.
      units_[u].state = UnitState::Ok;
      units_[u].empty = walked.columns[c].empty();
      std::vector<VarBind>& into = plan_->units[u].labelOnly ? labelRows_ : extra_;
      for (auto& [oid, value] : walked.columns[c]) {  // whole OIDs (walkOptions)
        into.push_back({std::move(oid), std::move(value)});
      }
    }
    if (walked.truncated) {
      for (uint32_t u : walkedUnits_) {
        for (uint32_t m : unitModules_[u]) {
          note(m, walked.message);
        }
      }
    }
    return allOk;
  }

  void onWalk(TableWalker::Result& walked) {
    absorbUnits(walked);
    checkWalkFailure(walked, "walk");
    afterValueWalk();
  }

  /// The label table, when the labels were walked with the values.
  void afterValueWalk() {
    if (reusedLabels_ || labelUnits_.empty()) {
      return;
    }
    bool all = true;
    for (uint32_t u = 0; u < units_.size(); ++u) {
      if (!unitModules_[u].empty() && plan_->units[u].labelOnly) {
        all = all && units_[u].state == UnitState::Ok;
      }
    }
    if (all) {
      labelTable_ = std::make_shared<const PduTable>(labelRows_);
      labelsReadAt_ = clock_.steadyNow();
      labelsRefreshed_ = true;
    }
  }

  /// True when a metric row that predicts a reused label unit's rows is new since the previous
  /// poll and has no row in the label unit: it may have appeared with labels not read yet.
  bool newRowWithoutLabel() {
    std::vector<Oid> metrics;
    for (const ModulePlan::LabelSource& s : plan_->labelSources) {
      if (units_[s.unit].state == UnitState::Reused) {
        metrics.push_back(s.metric);
      }
    }
    if (metrics.empty()) {
      return false;
    }
    std::sort(metrics.begin(), metrics.end());
    metrics.erase(std::unique(metrics.begin(), metrics.end()), metrics.end());
    std::map<Oid, std::vector<Oid>> rowsOf;  // metric → row indexes read now
    for (const VarBind& vb : extra_) {
      auto it = std::upper_bound(metrics.begin(), metrics.end(), vb.oid);
      if (it != metrics.begin() && vb.oid.startsWith(*std::prev(it)) &&
          vb.oid.size() > std::prev(it)->size()) {
        rowsOf[*std::prev(it)].push_back(vb.oid.suffix(std::prev(it)->size()));
      }
    }
    for (const ModulePlan::LabelSource& s : plan_->labelSources) {
      if (units_[s.unit].state != UnitState::Reused) {
        continue;
      }
      const Oid& label = plan_->units[s.unit].oid;
      for (const Oid& row : rowsOf[s.metric]) {
        if (previousPdus().find(concat(s.metric, row)) == nullptr &&
            labelTable_->find(concat(label, row)) == nullptr) {
          return true;
        }
      }
    }
    return false;
  }

  bool beginLabels() {
    std::vector<Oid> oids;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!reusedLabels_ || !labelTable_ || !newRowWithoutLabel()) {
        return false;
      }
      walkedUnits_.clear();
      for (uint32_t u = 0; u < units_.size(); ++u) {
        if (units_[u].state == UnitState::Reused) {
          walkedUnits_.push_back(u);
          oids.push_back(plan_->units[u].oid);
        }
      }
    }
    startWalk(std::move(oids), &PollRun::onLabels);
    return true;
  }

  void onLabels(TableWalker::Result& walked) {
    // A failed refresh keeps the reused labels: the modules lose nothing they had.
    std::vector<VarBind> reused = std::move(labelRows_);
    labelRows_.clear();
    std::vector<UnitState> before;
    for (uint32_t u : walkedUnits_) {
      before.push_back(units_[u].state);
    }
    std::vector<PollError> errors;
    for (uint32_t m = 0; m < mods_.size(); ++m) {
      errors.push_back(mods_[m].error);
    }
    bool ok = absorbUnits(walked) && walked.status == Status::Ok;
    if (ok) {
      labelTable_ = std::make_shared<const PduTable>(labelRows_);
      labelsReadAt_ = clock_.steadyNow();
      labelsRefreshed_ = true;
    } else {
      labelRows_ = std::move(reused);
      for (size_t i = 0; i < walkedUnits_.size(); ++i) {
        units_[walkedUnits_[i]].state = before[i];
      }
      for (uint32_t m = 0; m < mods_.size(); ++m) {
        if (errors[m] == PollError::None && mods_[m].error != PollError::None) {
          note(m, "label refresh failed, labels reused: " + mods_[m].detail);
          mods_[m].error = PollError::None;
          mods_[m].detail.clear();
        }
      }
    }
    checkWalkFailure(walked, "label walk");
  }

  /// gosnmp's walk of a subtree with nothing below it GETs the subtree's own OID (an instance
  /// named as a subtree, e.g. `walk: [1.3.6.1.2.1.1.3.0]`).
  bool beginRoots() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      std::vector<Oid> oids;
      for (uint32_t u = 0; u < units_.size(); ++u) {
        if (!plan_->units[u].wholeSubtree || units_[u].state != UnitState::Ok || !units_[u].empty) {
          continue;
        }
        bool wanted = false;
        for (uint32_t m : unitModules_[u]) {
          if (!failed(m)) {
            wanted |= needGet(m, plan_->units[u].oid);
          }
        }
        if (wanted) {
          oids.push_back(plan_->units[u].oid);
        }
      }
      if (oids.empty()) {
        return false;
      }
      queueGets(oids);
    }
    pumpGets();
    return true;
  }

  // ---- the end ------------------------------------------------------------------------------

  void note(uint32_t m, const std::string& text) {
    std::string& notes = mods_[m].notes;
    if (text.empty() || notes.find(text) != std::string::npos || notes.size() > 400) {
      return;
    }
    notes += notes.empty() ? text : "; " + text;
  }

  /// Whether module `m` got everything it needed (only in doubt after a stop).
  bool complete(uint32_t m) const {
    const ModState& ms = mods_[m];
    if (!ms.filtersDone) {
      return false;
    }
    for (const Oid& g : ms.finalGets) {
      if (answered_.count(g) == 0) {
        return false;
      }
    }
    const ModulePlan::ModuleParts& parts = plan_->modules[m];
    for (size_t w = 0; w < parts.unitsByWalk.size(); ++w) {
      if (!ms.walkActive[w]) {
        continue;
      }
      for (uint32_t u : parts.unitsByWalk[w]) {
        if (units_[u].state != UnitState::Ok && units_[u].state != UnitState::Reused) {
          return false;
        }
        if (plan_->units[u].wholeSubtree && units_[u].empty &&
            answered_.count(plan_->units[u].oid) == 0) {
          return false;  // its root GET was not asked or not answered
        }
      }
    }
    return true;
  }

  void abort(const std::string& detail) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (finished_) {
        return;
      }
      for (uint32_t m = 0; m < mods_.size(); ++m) {
        mods_[m].error = PollError::Internal;
        mods_[m].detail = detail;
      }
      stop(PollError::Internal, detail);
    }
    finish();
  }

  /// The rows of `pdus` the next poll reads back (previousPdus): those under the label units
  /// in force, and the rows of label sources' metrics that have no label row (how
  /// newRowWithoutLabel tells a row it saw last time from a new one; rows with labels need
  /// no such proof, and a poll has thousands).
  PduTable carriedPart(const PduTable& pdus) const {
    std::vector<VarBind> rows;
    for (const Oid& unit : labelUnits_) {
      std::span<const VarBind> sub = pdus.subtree(unit);
      rows.insert(rows.end(), sub.begin(), sub.end());
    }
    if (labelTable_) {
      for (const ModulePlan::LabelSource& s : plan_->labelSources) {
        const Oid& label = plan_->units[s.unit].oid;
        std::span<const VarBind> labels = labelTable_->subtree(label);
        auto l = labels.begin();
        // Both ascend by row index: one merge finds the metric's rows without a label.
        for (const VarBind& vb : pdus.subtree(s.metric)) {
          auto row = [](const Oid& oid, size_t from) {
            return std::span<const uint32_t>(oid.ids().data() + from, oid.size() - from);
          };
          std::span<const uint32_t> index = row(vb.oid, s.metric.size());
          auto before = [&](const VarBind& x) {
            std::span<const uint32_t> r = row(x.oid, label.size());
            return std::lexicographical_compare(r.begin(), r.end(), index.begin(), index.end());
          };
          while (l != labels.end() && before(*l)) {
            ++l;
          }
          bool labelled = false;
          if (l != labels.end()) {
            std::span<const uint32_t> r = row(l->oid, label.size());
            labelled = std::equal(r.begin(), r.end(), index.begin(), index.end());
          }
          if (!labelled) {
            rows.push_back(vb);
          }
        }
      }
    }
    return PduTable(std::move(rows));
  }

  void finish() {
    ModulePoller::Done done;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (finished_) {
        return;
      }
      finished_ = true;
      ModulePollResult& r = *result_;
      r.modules = plan_->moduleList;
      size_t n = mods_.size();
      r.outcomes.resize(n);
      r.scopes.resize(n);
      for (uint32_t m = 0; m < n; ++m) {
        if (stopped_ && !failed(m) && !complete(m)) {
          failModule(m, stopError_, stopDetail_);
        }
      }
      std::vector<VarBind> all = std::move(extra_);
      all.reserve(all.size() + labelRows_.size());
      all.insert(all.end(), std::make_move_iterator(labelRows_.begin()),
                 std::make_move_iterator(labelRows_.end()));  // the poll ends here
      labelRows_.clear();
      r.pdus = PduTable(std::move(all));
      r.longestColumn = longestColumn_;
      r.carried = carriedPart(r.pdus);
      for (uint32_t m = 0; m < n; ++m) {
        const Module* module = plan_->moduleList[m].get();
        ModuleScope& scope = r.scopes[m];
        if (module != nullptr) {
          std::vector<Oid> walked;
          for (size_t w = 0; w < module->walk.size(); ++w) {
            if (mods_[m].walkActive[w]) {
              walked.push_back(module->walk[w]);
            }
          }
          scope.walked = outermost(std::move(walked));
          scope.got = mods_[m].finalGets;
          std::sort(scope.got.begin(), scope.got.end());
          scope.got.erase(std::unique(scope.got.begin(), scope.got.end()), scope.got.end());
        }
        ModuleOutcome& o = r.outcomes[m];
        o.module = module != nullptr ? module->name : "";
        o.error = mods_[m].error;
        o.errorDetail = o.error != PollError::None ? mods_[m].detail : mods_[m].notes;
        o.packetsSent = mods_[m].packets;
        o.packetsRetried = mods_[m].retried;
        if (mods_[m].lastAt) {
          o.walkSeconds = std::chrono::duration<double>(*mods_[m].lastAt - started_).count();
        }
      }
      for (uint32_t m = 0; m < n; ++m) {
        r.outcomes[m].pdusReturned = static_cast<uint32_t>(visibleCount(r, m));
      }
      bool labelsWhole = std::all_of(units_.begin(), units_.end(), [&](const Unit& u) {
        size_t i = static_cast<size_t>(&u - units_.data());
        return unitModules_[i].empty() || !plan_->units[i].labelOnly || u.state == UnitState::Ok ||
               u.state == UnitState::Reused;
      });
      if (labelTable_ && labelsWhole && !labelUnits_.empty()) {
        r.labelColumns = labelTable_;
        r.labelUnits = labelUnits_;
        r.labelsReadAt = labelsReadAt_;
        r.labelsRefreshed = labelsRefreshed_;
      }
      r.durationSeconds = std::chrono::duration<double>(clock_.steadyNow() - started_).count();
      done = std::move(done_);
    }
    done(std::move(result_));
  }

  SnmpClient& client_;
  common::Clock& clock_;
  ModulePoller::Options options_;
  std::shared_ptr<detail::ModulePollerShared> shared_;
  SnmpTarget target_;
  std::string sessionKey_;
  std::shared_ptr<const ModulePlan> plan_;
  std::shared_ptr<const ModulePollResult> previous_;
  std::optional<PduTable> previousUnpacked_;        // previousPdus()
  std::shared_ptr<const PduTable> previousLabels_;  // previousLabels()
  ModulePoller::Done done_;
  std::shared_ptr<ModulePollResult> result_;
  std::chrono::steady_clock::time_point started_{};

  std::mutex mutex_;
  Phase phase_ = Phase::Start;
  bool finished_ = false;
  bool stopped_ = false;
  PollError stopError_ = PollError::None;
  std::string stopDetail_;
  int consecutiveTimeouts_ = 0;

  std::vector<ModState> mods_;
  std::vector<uint32_t> stamp_;  // charge(): the request a module was last charged for
  uint32_t epoch_ = 0;

  std::deque<std::vector<Oid>> getQueue_;
  int getsInFlight_ = 0;
  std::map<Oid, std::vector<uint32_t>> getNeeds_;  // GET OID → modules that need it
  std::set<Oid> answered_;                         // GET OIDs answered (present or not)
  std::map<Oid, std::pair<PollError, std::string>> failedGets_;

  std::vector<std::vector<VarBind>> filterRows_;  // parallel to plan_->filterOids
  std::vector<bool> filterOk_;
  std::vector<std::vector<uint32_t>> filterModules_;
  std::vector<uint32_t> walkedFilters_;  // the filter OIDs of the filter walk, in its order

  std::vector<Unit> units_;                         // parallel to plan_->units
  std::vector<std::vector<uint32_t>> unitModules_;  // the modules up that need each unit
  std::vector<uint32_t> walkedUnits_;               // the units of the walk in flight, in order
  uint32_t longestColumn_ = 0;  // rows of the longest column walked in this poll
  uint32_t expectedRows_ = 0;   // rows of the longest walked column last time; 0 unknown

  std::vector<VarBind> extra_;      // everything read but the label columns
  std::vector<VarBind> labelRows_;  // the label columns' rows (reused or walked)
  std::vector<Oid> labelUnits_;     // the label units needed, ascending
  bool reusedLabels_ = false;
  bool labelsRefreshed_ = false;
  std::shared_ptr<const PduTable> labelTable_;
  std::chrono::steady_clock::time_point labelsReadAt_{};
};

}  // namespace

// ---- ModulePoller ---------------------------------------------------------------------------

ModulePoller::ModulePoller(SnmpClient& client, common::Clock& clock, Options options)
    : client_(client),
      clock_(clock),
      options_(options),
      shared_(std::make_shared<detail::ModulePollerShared>()) {}

void ModulePoller::poll(const SnmpTarget& target,
                        const std::vector<std::shared_ptr<const Module>>& modules,
                        std::shared_ptr<const ModulePollResult> previous, Done done) {
  std::shared_ptr<const ModulePlan> plan;
  try {
    plan = shared_->plan(modules);
  } catch (const std::exception& e) {
    auto result = std::make_shared<ModulePollResult>();
    result->modules = modules;
    result->startedAt = clock_.systemNow();
    for (const auto& m : modules) {
      ModuleOutcome& o = result->outcomes.emplace_back();
      o.module = m ? m->name : "";
      o.error = PollError::Internal;
      o.errorDetail = std::string("internal error: ") + e.what();
    }
    result->scopes.resize(modules.size());
    done(std::move(result));
    return;
  }
  std::make_shared<PollRun>(client_, clock_, options_, shared_, target, std::move(plan),
                            std::move(previous), std::move(done))
      ->start();
}

void ModulePoller::forget(const std::string& sessionKey) { shared_->learned.forget(sessionKey); }

size_t ModulePoller::learnedAgents() const { return shared_->learned.size(); }

void ModulePoller::cancelAll() { client_.cancelAll(); }

// ---- targets --------------------------------------------------------------------------------

SnmpTarget targetFromModuleAuth(const std::string& name, const std::string& address, uint16_t port,
                                const ModuleAuth& auth,
                                const std::vector<std::shared_ptr<const Module>>& modules,
                                const std::string& context) {
  SnmpTarget t;
  t.name = name;
  t.address = address;
  t.port = port;
  t.version = auth.version == 1 ? 0 : auth.version == 3 ? 3 : 1;
  WalkParams defaults;
  std::chrono::milliseconds timeout{0};
  int retries = -1;
  for (const auto& m : modules) {
    if (m) {
      timeout = std::max(timeout, m->walkParams.timeout);
      retries = std::max(retries, m->walkParams.retries);
    }
  }
  t.timeoutMs = static_cast<int>(timeout.count() > 0 ? timeout.count() : defaults.timeout.count());
  t.retries = retries >= 0 ? retries : defaults.retries;
  if (t.version != 3) {
    t.community = auth.community.reveal();
    return t;
  }
  t.securityName = auth.username;
  t.contextName = context.empty() ? auth.contextName : context;
  if (auth.securityLevel == "authPriv") {
    t.securityLevel = 3;
  } else if (auth.securityLevel == "authNoPriv") {
    t.securityLevel = 2;
  } else {
    t.securityLevel = 1;
  }
  if (t.securityLevel >= 2) {
    t.authProtocol = auth.authProtocol;
    t.authPassphrase = auth.password.reveal();
  }
  if (t.securityLevel == 3) {
    t.privProtocol = auth.privProtocol == "AES" ? "AES128" : auth.privProtocol;
    t.privPassphrase = auth.privPassword.reveal();
  }
  return t;
}

}  // namespace promsnmp
