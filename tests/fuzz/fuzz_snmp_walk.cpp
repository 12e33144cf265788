// SNMP response handling above net-snmp: DevicePoller and TableWalker against an agent whose
// every answer is decoded from the fuzz input — status (ok, timeout, tooBig, error-status with
// any index, authentication, transport), varbind counts (none, fewer or far more than asked),
// OIDs (the next row, the same OID again, a parent, another column, anything), types and values.
// Some answers come from an honest in-memory agent (FakeSnmpClient, 3 interfaces), optionally
// damaged, so that polls also get deep into the label walk and the fallback to ifTable.
//
// Termination: every request consumes input; once the input is used up, or after kMaxSends
// requests, the agent times out, which ends any poll or walk. Total varbinds are capped too.
//
// Byte 0 picks the driver: even = DevicePoller (v1 or v2c by bit 1, twice when the first poll
// succeeds, the second with the first as `previous`), odd = TableWalker::walk with columns and
// options from the following bytes. Invariants: `done` exactly once; a walk keeps the columns'
// shape, rows strictly ascending and non-empty, at most maxRequests requests; a poll's
// interfaces are ascending and unique, a failed poll has none, and no poll fails with
// PollError::Internal (an exception inside promsnmp).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "FuzzInput.h"
#include "collection/DevicePoller.h"
#include "collection/MetricCatalog.h"
#include "collection/PollResult.h"
#include "snmp/FakeSnmpClient.h"
#include "snmp/SnmpClient.h"
#include "snmp/TableWalker.h"

using namespace promsnmp;
using fuzz::Input;

namespace {

constexpr uint32_t kMaxSends = 400;
constexpr size_t kMaxTotalVarbinds = 20000;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_snmp_walk: %s\n", what.c_str());
  std::abort();
}

void check(bool condition, const char* what) {
  if (!condition) {
    fail(what);
  }
}

/// The OIDs a poll asks for: the scalars and every column of the catalog.
const std::vector<Oid>& knownOids() {
  static const std::vector<Oid> oids = [] {
    std::vector<Oid> v = {Oid::parse(kSysUpTime),    Oid::parse(kIfTableLastChange),
                          Oid::parse(kIfNumber),     Oid::parse(kIfDescrColumn),
                          Oid::parse(kIfNameColumn), Oid::parse(kIfAliasColumn)};
    for (const MetricDef& def : ifMetrics()) {
      v.push_back(Oid::parse(def.column));
    }
    return v;
  }();
  return oids;
}

Oid randomOid(Input& in) {
  Oid::Ids ids;
  size_t n = in.byte() % 24;
  for (size_t i = 0; i < n; ++i) {
    uint8_t b = in.byte();
    ids.push_back(b < 0xF0 ? b : in.u32());
  }
  return Oid(std::move(ids));
}

SnmpValue randomValue(Input& in) {
  uint8_t t = in.byte();
  switch (t % 14) {
    case 0:
      return SnmpValue::makeInteger(static_cast<int64_t>(in.u64()));
    case 1:
      return SnmpValue::makeInteger(in.byte());
    case 2:
      return SnmpValue::makeUnsigned(SnmpType::Counter32, in.u64());  // may exceed 32 bits
    case 3:
      return SnmpValue::makeUnsigned(SnmpType::Counter64, in.u64());
    case 4:
      return SnmpValue::makeUnsigned(SnmpType::Gauge32, in.u32());
    case 5:
      return SnmpValue::makeUnsigned(SnmpType::TimeTicks, in.u64());
    case 6: {
      size_t n = in.byte();
      return SnmpValue::makeOctetString(in.bytes(n < 250 ? n % 40 : 70000));
    }
    case 7:
      return SnmpValue::makeObjectId(randomOid(in));
    case 8: {
      SnmpValue v;
      v.type = SnmpType::IpAddress;
      v.bytes = in.bytes(in.byte() % 6);
      return v;
    }
    case 9:
      return SnmpValue();  // Null
    case 10:
      return SnmpValue::makeException(SnmpType::NoSuchObject);
    case 11:
      return SnmpValue::makeException(SnmpType::NoSuchInstance);
    case 12:
      return SnmpValue::makeException(SnmpType::EndOfMibView);
    default: {
      SnmpValue v;
      v.type = SnmpType::Other;
      v.bytes = in.bytes(in.byte() % 16);
      return v;
    }
  }
}

/// An agent scripted by the fuzz input. Answers on the caller's thread with FakeSnmpClient's
/// queue discipline (no recursion: a send from inside a callback is answered after it returns).
class ScriptedClient : public SnmpClient {
 public:
  explicit ScriptedClient(Input& in) : in_(in) {
    honest_.setTimeTicks("1.3.6.1.2.1.1.3.0", 5000);
    honest_.setTimeTicks("1.3.6.1.2.1.31.1.5.0", 100);
    honest_.setInteger("1.3.6.1.2.1.2.1.0", 3);
    for (uint32_t i : {1u, 2u, 7u}) {
      std::string idx = "." + std::to_string(i);
      honest_.setString("1.3.6.1.2.1.2.2.1.2" + idx, "eth" + std::to_string(i));
      honest_.setInteger("1.3.6.1.2.1.2.2.1.8" + idx, 1);
      honest_.setCounter32("1.3.6.1.2.1.2.2.1.10" + idx, 1000 * i);
      honest_.setString("1.3.6.1.2.1.31.1.1.1.1" + idx, "e" + std::to_string(i));
      honest_.setCounter64("1.3.6.1.2.1.31.1.1.1.6" + idx, 12345 * i);
      honest_.setGauge("1.3.6.1.2.1.31.1.1.1.15" + idx, 1000);
      honest_.setString("1.3.6.1.2.1.31.1.1.1.18" + idx, "uplink");
    }
  }

  uint32_t sends() const { return sends_; }

  /// Every request is answered inside send(): nothing is ever pending.
  void cancelAll() override {}

  void send(const SnmpTarget& target, const SnmpRequest& request, Done done) override {
    ++sends_;
    SnmpResponse response = answer(target, request);
    pending_.push_back(
        [done = std::move(done), response = std::move(response)]() mutable { done(response); });
    if (draining_) {
      return;
    }
    draining_ = true;
    while (!pending_.empty()) {
      auto call = std::move(pending_.front());
      pending_.pop_front();
      call();
    }
    draining_ = false;
  }

 private:
  SnmpResponse answer(const SnmpTarget& target, const SnmpRequest& request) {
    SnmpResponse out;
    out.packetsSent = 1;
    out.elapsed = std::chrono::microseconds(100);
    if (in_.empty() || sends_ > kMaxSends || varbinds_ >= kMaxTotalVarbinds) {
      out.status = SnmpResponse::Status::Timeout;
      out.packetsSent = static_cast<uint32_t>(target.retries + 1);
      out.message = "no response";
      return out;
    }
    uint8_t op = in_.byte();
    if (op & 0x80) {
      out.elapsed = std::chrono::milliseconds(in_.u16());  // slow answers stop the growth
    }
    switch (op % 16) {
      case 0:
        out.status = SnmpResponse::Status::Timeout;
        out.packetsSent = static_cast<uint32_t>(target.retries + 1);
        return out;
      case 1:
        out.status = SnmpResponse::Status::TooBig;
        out.errorStatus = kErrTooBig;
        return out;
      case 2:
        out.status = SnmpResponse::Status::ErrorStatus;
        out.errorStatus = static_cast<int8_t>(in_.byte());
        out.errorIndex = static_cast<int8_t>(in_.byte());
        if (in_.byte() & 1) {
          out.message = "error-status";
        }
        for (const Oid& o : request.oids) {
          out.varbinds.push_back({o, SnmpValue()});
        }
        return out;
      case 3:
        out.status = SnmpResponse::Status::Authentication;
        return out;
      case 4:
        out.status = SnmpResponse::Status::Transport;
        return out;
      case 5:
      case 6:
      case 7:
        out = honest(target, request);
        damage(out);
        break;
      default:
        scripted(request, op % 16 == 15, out);
        break;
    }
    varbinds_ += out.varbinds.size();
    return out;
  }

  SnmpResponse honest(const SnmpTarget& target, const SnmpRequest& request) {
    SnmpResponse captured;
    honest_.send(target, request, [&](SnmpResponse r) { captured = std::move(r); });
    honest_.clearLog();
    return captured;
  }

  void damage(SnmpResponse& out) {
    uint8_t how = in_.byte();
    if (out.varbinds.empty()) {
      return;
    }
    size_t at = in_.byte() % out.varbinds.size();
    switch (how % 8) {
      case 0:
      case 1:
        break;  // as the agent meant it
      case 2:
        out.varbinds.resize(at);  // truncated
        break;
      case 3:
        out.varbinds.insert(out.varbinds.begin() + static_cast<std::ptrdiff_t>(at),
                            out.varbinds[at]);  // duplicated
        break;
      case 4:
        out.varbinds[at].value = randomValue(in_);
        break;
      case 5:
        out.varbinds[at].oid = randomOid(in_);
        break;
      case 6:
        out.varbinds[at].oid = knownOids()[in_.byte() % knownOids().size()].child(in_.byte());
        break;
      case 7:
        std::swap(out.varbinds[at], out.varbinds[out.varbinds.size() - 1 - at]);
        break;
    }
  }

  /// An Ok answer built varbind by varbind from the input.
  void scripted(const SnmpRequest& request, bool many, SnmpResponse& out) {
    const size_t n = std::max<size_t>(1, request.oids.size());
    size_t count = many ? in_.u16() % 4096 : in_.byte() % (2 * n + 8);
    count = std::min(count, kMaxTotalVarbinds - varbinds_);
    std::vector<Oid> last(request.oids.begin(), request.oids.end());
    for (size_t p = 0; p < count; ++p) {
      const size_t c = p % n;
      const Oid& asked = c < request.oids.size() ? request.oids[c] : knownOids()[0];
      uint8_t kind = in_.empty() ? 0 : in_.byte();
      VarBind vb;
      switch (kind % 8) {
        case 0:
        case 1: {  // the next row after this column's last, as an agent would
          Oid& prev = c < last.size() ? last[c] : last.emplace_back(asked);
          Oid::Ids ids = prev.ids();
          bool column =
              std::find(knownOids().begin(), knownOids().end(), prev) != knownOids().end();
          if (column || ids.empty()) {
            ids.push_back(1 + kind / 8 % 4);
          } else {
            ids.back() += 1 + kind / 8 % 4;  // wraps at 2^32: a decreasing OID
          }
          prev = Oid(std::move(ids));
          vb.oid = prev;
          break;
        }
        case 2:
          vb.oid = asked;  // the same OID again
          break;
        case 3:
          vb.oid = asked.child(in_.byte());
          break;
        case 4: {  // the parent
          Oid::Ids ids = asked.ids();
          if (!ids.empty()) {
            ids.pop_back();
          }
          vb.oid = Oid(std::move(ids));
          break;
        }
        case 5:
          vb.oid = knownOids()[in_.byte() % knownOids().size()].child(in_.byte() % 8);
          break;
        case 6:
          vb.oid = randomOid(in_);
          break;
        default:
          vb.oid = knownOids()[in_.byte() % knownOids().size()];
          break;
      }
      vb.value =
          (kind & 0x40) != 0 ? SnmpValue::makeUnsigned(SnmpType::Counter64, p) : randomValue(in_);
      out.varbinds.push_back(std::move(vb));
    }
  }

  Input& in_;
  FakeSnmpClient honest_;
  uint32_t sends_ = 0;
  size_t varbinds_ = 0;
  std::deque<std::function<void()>> pending_;
  bool draining_ = false;
};

void checkPoll(const PollResult& r) {
  if (r.error == PollError::Internal) {
    fail("poll failed with an internal error: " + r.errorDetail);
  }
  if (!r.up()) {
    check(r.interfaces.empty(), "a failed poll has interfaces");
  }
  for (size_t i = 1; i < r.interfaces.size(); ++i) {
    check(r.interfaces[i - 1].ifIndex < r.interfaces[i].ifIndex,
          "interfaces not strictly ascending by ifIndex");
  }
}

void runPoller(Input& in) {
  uint8_t setup = in.byte();
  SnmpTarget target;
  target.name = "fuzz";
  target.address = "192.0.2.1";
  target.version = (setup & 2) != 0 ? 0 : ((setup & 4) != 0 ? 3 : 1);
  target.retries = setup >> 6;
  DevicePoller::Options options;
  options.initialMaxRepetitions = 1 + in.byte() % 64;
  options.maxMaxRepetitions = 1 + in.byte();
  options.maxColumnsPerRequest = 1 + in.byte() % 24;
  ScriptedClient client(in);
  DevicePoller poller(client, options);
  std::shared_ptr<PollResult> previous;
  for (int round = 0; round < 3; ++round) {
    int calls = 0;
    std::shared_ptr<PollResult> result;
    poller.poll(target, previous, [&](std::shared_ptr<PollResult> r) {
      ++calls;
      result = std::move(r);
    });
    check(calls == 1, "DevicePoller done not called exactly once");
    check(result != nullptr, "DevicePoller gave a null result");
    checkPoll(*result);
    if (!result->up() || in.empty()) {
      break;
    }
    previous = result;
  }
}

void runWalker(Input& in) {
  uint8_t setup = in.byte();
  SnmpTarget target;
  target.name = "fuzz";
  target.address = "192.0.2.1";
  target.version = (setup & 2) != 0 ? 0 : 1;
  target.timeoutMs = 1 + in.u16() % 5000;
  std::vector<Oid> columns;
  size_t count = 1 + in.byte() % 16;
  for (size_t i = 0; i < count; ++i) {
    uint8_t pick = in.byte();
    columns.push_back(pick < 200 ? knownOids()[pick % knownOids().size()] : randomOid(in));
  }
  TableWalker::Options options;
  options.initialMaxRepetitions = static_cast<int8_t>(in.byte());
  options.maxMaxRepetitions = in.byte();
  options.maxColumnsPerRequest = static_cast<int8_t>(in.byte()) % 20;
  options.maxParallelRequests = in.byte() % 4;
  options.maxRequests = in.byte() % 200;
  options.grow = (setup & 4) == 0;
  uint8_t rows = in.byte();
  options.expectedRows = rows == 255 ? UINT32_MAX : rows == 254 ? in.u32() : rows % 64;
  ScriptedClient client(in);
  int calls = 0;
  TableWalker::Result result;
  TableWalker::walk(client, target, columns, options, [&](TableWalker::Result r) {
    ++calls;
    result = std::move(r);
  });
  check(calls == 1, "TableWalker done not called exactly once");
  check(!result.internalError, "TableWalker internal error");
  check(result.columns.size() == columns.size(), "TableWalker changed the number of columns");
  check(client.sends() <= options.maxRequests, "TableWalker sent more than maxRequests requests");
  for (const TableWalker::Column& column : result.columns) {
    for (size_t i = 0; i < column.size(); ++i) {
      check(!column[i].first.empty(), "TableWalker filed a row with an empty index");
      check(!column[i].second.isException(), "TableWalker filed an exception value");
      if (i > 0) {
        check(column[i - 1].first < column[i].first, "TableWalker rows not strictly ascending");
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 65536) {
    return 0;
  }
  Input in(data, size);
  if (in.byte() % 2 == 0) {
    runPoller(in);
  } else {
    runWalker(in);
  }
  return 0;
}
