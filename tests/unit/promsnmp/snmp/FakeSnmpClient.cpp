#include "snmp/FakeSnmpClient.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <utility>

using promsnmp::Oid;
using promsnmp::SnmpRequest;
using promsnmp::SnmpResponse;
using promsnmp::SnmpTarget;
using promsnmp::SnmpType;
using promsnmp::SnmpValue;
using promsnmp::VarBind;

SnmpTarget fakeTarget(const std::string& name, int version) {
  SnmpTarget t;
  t.name = name;
  t.address = "192.0.2.7";
  t.version = version;
  t.community = "public";
  t.timeoutMs = 500;
  t.retries = 1;
  return t;
}

void FakeSnmpClient::set(const std::string& oid, SnmpValue value) {
  mib_[Oid::parse(oid)] = std::move(value);
}

void FakeSnmpClient::setCounter64(const std::string& oid, uint64_t v) {
  set(oid, SnmpValue::makeUnsigned(SnmpType::Counter64, v));
}

void FakeSnmpClient::setCounter32(const std::string& oid, uint32_t v) {
  set(oid, SnmpValue::makeUnsigned(SnmpType::Counter32, v));
}

void FakeSnmpClient::setGauge(const std::string& oid, uint32_t v) {
  set(oid, SnmpValue::makeUnsigned(SnmpType::Gauge32, v));
}

void FakeSnmpClient::setInteger(const std::string& oid, int64_t v) {
  set(oid, SnmpValue::makeInteger(v));
}

void FakeSnmpClient::setTimeTicks(const std::string& oid, uint32_t v) {
  set(oid, SnmpValue::makeUnsigned(SnmpType::TimeTicks, v));
}

void FakeSnmpClient::setString(const std::string& oid, const std::string& v) {
  set(oid, SnmpValue::makeOctetString(v));
}

void FakeSnmpClient::erase(const std::string& oid) { mib_.erase(Oid::parse(oid)); }

void FakeSnmpClient::eraseSubtree(const std::string& prefix) {
  Oid p = Oid::parse(prefix);
  for (auto it = mib_.lower_bound(p); it != mib_.end() && it->first.startsWith(p);) {
    it = mib_.erase(it);
  }
}

void FakeSnmpClient::setNextOverride(const std::string& from, const std::string& to) {
  nextOverride_[Oid::parse(from)] = Oid::parse(to);
}

void FakeSnmpClient::setTimeoutOid(const std::string& prefix) {
  timeoutOids_.push_back(Oid::parse(prefix));
}

void FakeSnmpClient::setErrorOid(const std::string& prefix, int status, bool withIndex) {
  errorOids_.push_back({Oid::parse(prefix), status, withIndex});
}

size_t FakeSnmpClient::requestsTouching(const std::string& prefix) const {
  Oid p = Oid::parse(prefix);
  size_t n = 0;
  for (const SnmpRequest& r : requests_) {
    for (const Oid& o : r.oids) {
      if (o.startsWith(p)) {
        ++n;
        break;
      }
    }
  }
  return n;
}

std::optional<VarBind> FakeSnmpClient::next(const Oid& oid) const {
  if (auto o = nextOverride_.find(oid); o != nextOverride_.end()) {
    auto v = mib_.find(o->second);
    return VarBind{o->second, v != mib_.end() ? v->second : SnmpValue::makeInteger(0)};
  }
  auto it = mib_.upper_bound(oid);
  if (it == mib_.end()) {
    return std::nullopt;
  }
  return VarBind{it->first, it->second};
}

FakeSnmpClient::~FakeSnmpClient() {
  std::lock_guard<std::mutex> lock(holdMutex_);
  if (!held_.empty()) {
    std::cerr << "FakeSnmpClient destroyed with " << held_.size()
              << " request(s) held: their callbacks never ran\n";
    std::abort();
  }
}

void FakeSnmpClient::setHold(bool hold) {
  std::lock_guard<std::mutex> lock(holdMutex_);
  hold_ = hold;
}

size_t FakeSnmpClient::held() const {
  std::lock_guard<std::mutex> lock(holdMutex_);
  return held_.size();
}

size_t FakeSnmpClient::cancellations() const {
  std::lock_guard<std::mutex> lock(holdMutex_);
  return cancellations_;
}

bool FakeSnmpClient::waitForHeld(size_t n, std::chrono::milliseconds bound) {
  std::unique_lock<std::mutex> lock(holdMutex_);
  return holdChanged_.wait_for(lock, bound, [&] { return held_.size() >= n; });
}

void FakeSnmpClient::release() {
  std::vector<Held> held;
  {
    std::lock_guard<std::mutex> lock(holdMutex_);
    held.swap(held_);
    hold_ = false;
  }
  for (Held& h : held) {
    send(h.target, h.request, std::move(h.done));
  }
}

size_t FakeSnmpClient::drop() {
  std::vector<Held> held;
  {
    std::lock_guard<std::mutex> lock(holdMutex_);
    held.swap(held_);
  }
  return held.size();  // destroyed here: a callback's captures, never called
}

void FakeSnmpClient::cancelAll() {
  std::vector<Held> held;
  {
    std::lock_guard<std::mutex> lock(holdMutex_);
    held.swap(held_);
    ++cancellations_;
  }
  for (Held& h : held) {
    SnmpResponse cancelled;
    cancelled.status = SnmpResponse::Status::Transport;
    cancelled.message = "cancelled";
    h.done(std::move(cancelled));
  }
}

void FakeSnmpClient::send(const SnmpTarget& target, const SnmpRequest& request, Done done) {
  {
    std::lock_guard<std::mutex> lock(holdMutex_);
    if (hold_) {
      held_.push_back(Held{target, request, std::move(done)});
      holdChanged_.notify_all();
      return;
    }
  }
  requests_.push_back(request);
  SnmpResponse response = answer(target, request);
  packets_ += response.packetsSent;
  varbinds_ += static_cast<uint32_t>(response.varbinds.size());
  pending_.push_back(
      [done = std::move(done), response = std::move(response)]() mutable { done(response); });
  if (draining_) {
    return;  // the outer send() answers it after the current callback returns
  }
  draining_ = true;
  while (!pending_.empty()) {
    auto call = std::move(pending_.front());
    pending_.pop_front();
    call();
  }
  draining_ = false;
}

SnmpResponse FakeSnmpClient::answer(const SnmpTarget& target, const SnmpRequest& request) {
  SnmpResponse out;
  out.packetsSent = 1;
  out.elapsed = elapsed_;
  if (timeoutTargets_.count(target.name) != 0) {
    out.status = SnmpResponse::Status::Timeout;
    out.packetsSent = static_cast<uint32_t>(target.retries + 1);
    out.elapsed = std::chrono::milliseconds(target.timeoutMs) * (target.retries + 1);
    out.message = "no response";
    return out;
  }
  if (authFailTargets_.count(target.name) != 0) {
    out.status = SnmpResponse::Status::Authentication;
    out.message = "SNMPv3 report: Authentication failure";
    return out;
  }
  for (size_t i = 0; i < request.oids.size(); ++i) {
    for (const Oid& p : timeoutOids_) {
      if (request.oids[i].startsWith(p)) {
        out.status = SnmpResponse::Status::Timeout;
        out.packetsSent = static_cast<uint32_t>(target.retries + 1);
        out.message = "no response";
        return out;
      }
    }
    for (const ErrorOid& e : errorOids_) {
      if (request.oids[i].startsWith(e.prefix)) {
        out.status = SnmpResponse::Status::ErrorStatus;
        out.errorStatus = e.status;
        out.errorIndex = e.withIndex ? static_cast<int>(i + 1) : 0;
        out.message = "error-status " + std::to_string(e.status);
        return out;
      }
    }
  }
  bool v1 = target.version == 0;
  auto errorAt = [&](int status, size_t i) {
    out.status = SnmpResponse::Status::ErrorStatus;
    out.errorStatus = status;
    out.errorIndex = static_cast<int>(i + 1);
    out.varbinds.clear();
    for (const Oid& o : request.oids) {
      out.varbinds.push_back({o, SnmpValue()});
    }
  };

  switch (request.type) {
    case SnmpRequest::Type::Get:
      for (size_t i = 0; i < request.oids.size(); ++i) {
        auto it = mib_.find(request.oids[i]);
        if (it != mib_.end()) {
          out.varbinds.push_back({it->first, it->second});
        } else if (v1) {
          errorAt(promsnmp::kErrNoSuchName, i);
          return out;
        } else {
          out.varbinds.push_back(
              {request.oids[i], SnmpValue::makeException(SnmpType::NoSuchObject)});
        }
      }
      break;
    case SnmpRequest::Type::GetNext:
      for (size_t i = 0; i < request.oids.size(); ++i) {
        std::optional<VarBind> vb = next(request.oids[i]);
        if (vb) {
          out.varbinds.push_back(*vb);
        } else if (v1) {
          errorAt(promsnmp::kErrNoSuchName, i);
          return out;
        } else {
          out.varbinds.push_back(
              {request.oids[i], SnmpValue::makeException(SnmpType::EndOfMibView)});
        }
      }
      break;
    case SnmpRequest::Type::GetBulk: {
      if (v1) {
        out.status = SnmpResponse::Status::Transport;
        out.message = "fake: GETBULK sent to an SNMPv1 target";
        return out;
      }
      size_t nonRepeaters =
          std::min(request.oids.size(), static_cast<size_t>(std::max(0, request.nonRepeaters)));
      for (size_t i = 0; i < nonRepeaters; ++i) {
        std::optional<VarBind> vb = next(request.oids[i]);
        out.varbinds.push_back(
            vb ? *vb : VarBind{request.oids[i], SnmpValue::makeException(SnmpType::EndOfMibView)});
      }
      std::vector<Oid> cursor(request.oids.begin() + static_cast<std::ptrdiff_t>(nonRepeaters),
                              request.oids.end());
      for (int r = 0; r < request.maxRepetitions && !cursor.empty(); ++r) {
        bool anyLive = false;
        for (Oid& c : cursor) {
          std::optional<VarBind> vb = next(c);
          if (vb) {
            anyLive = true;
            c = vb->oid;
            out.varbinds.push_back(*vb);
          } else {
            out.varbinds.push_back({c, SnmpValue::makeException(SnmpType::EndOfMibView)});
          }
        }
        if (!anyLive) {
          break;  // everything at the end of the MIB: stop repeating (RFC 3416 4.2.3)
        }
      }
      if (maxVarbinds_ > 0 && out.varbinds.size() > maxVarbinds_) {
        out.varbinds.resize(maxVarbinds_);
      }
      break;
    }
  }
  if (request.type != SnmpRequest::Type::GetBulk && maxVarbinds_ > 0 &&
      out.varbinds.size() > maxVarbinds_) {
    out.status = SnmpResponse::Status::TooBig;
    out.errorStatus = promsnmp::kErrTooBig;
    out.varbinds.clear();
    return out;
  }
  if (tooBigAbove_ && out.varbinds.size() > *tooBigAbove_) {
    out.status = SnmpResponse::Status::TooBig;
    out.errorStatus = promsnmp::kErrTooBig;
    out.message = "tooBig";
    out.varbinds.clear();
  }
  return out;
}
