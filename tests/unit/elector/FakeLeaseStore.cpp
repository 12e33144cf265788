#include "FakeLeaseStore.h"

#include <algorithm>

namespace elector {

namespace {

LeaseResult unknown() {
  LeaseResult result;
  result.outcome = LeaseResult::Unknown;
  result.error = "fake: injected timeout";
  return result;
}

}  // namespace

bool FakeLeaseStore::begin(Op op, bool& applied) {
  ++calls_[op];
  clock_.advance(latency_);
  applied = true;
  if (down_) {
    applied = false;
    return true;
  }
  auto fault =
      std::find_if(faults_.begin(), faults_.end(), [op](const Fault& f) { return f.op == op; });
  if (fault == faults_.end()) {
    return false;
  }
  applied = fault->applied;
  faults_.erase(fault);
  return true;
}

const FakeLeaseStore::Entry* FakeLeaseStore::live(const std::string& key) const {
  auto it = keys_.find(key);
  if (it == keys_.end() || clock_.steadyNow() >= it->second.expiresAt) {
    return nullptr;
  }
  return &it->second;
}

LeaseResult FakeLeaseStore::tryAcquire(const std::string& key, const std::string& token,
                                       std::chrono::milliseconds ttl) {
  bool applied = true;
  const bool fail = begin(Op::Acquire, applied);
  LeaseResult result;
  if (applied) {
    if (const Entry* entry = live(key)) {
      result.outcome = LeaseResult::NotHeld;
      result.holder = entry->token;
    } else {
      keys_[key] = Entry{token, clock_.steadyNow() + ttl};
      result.outcome = LeaseResult::Ok;
      result.epoch = ++epochs_[key];
    }
  }
  return fail ? unknown() : result;
}

LeaseResult FakeLeaseStore::renew(const std::string& key, const std::string& token,
                                  std::chrono::milliseconds ttl) {
  bool applied = true;
  const bool fail = begin(Op::Renew, applied);
  LeaseResult result;
  if (applied) {
    const Entry* entry = live(key);
    if (entry != nullptr && entry->token == token) {
      keys_[key].expiresAt = clock_.steadyNow() + ttl;
      result.outcome = LeaseResult::Ok;
    } else {
      result.outcome = LeaseResult::NotHeld;
    }
  }
  return fail ? unknown() : result;
}

LeaseResult FakeLeaseStore::release(const std::string& key, const std::string& token) {
  bool applied = true;
  const bool fail = begin(Op::Release, applied);
  LeaseResult result;
  if (applied) {
    const Entry* entry = live(key);
    if (entry != nullptr && entry->token == token) {
      keys_.erase(key);
      result.outcome = LeaseResult::Ok;
    } else {
      result.outcome = LeaseResult::NotHeld;
    }
  }
  return fail ? unknown() : result;
}

LeaseResult FakeLeaseStore::holder(const std::string& key) {
  bool applied = true;
  if (begin(Op::Holder, applied)) {
    return unknown();
  }
  LeaseResult result;
  result.outcome = LeaseResult::Ok;
  result.holder = currentHolder(key);
  result.epoch = epochOf(key);
  return result;
}

void FakeLeaseStore::failNext(Op op, bool applied) { faults_.push_back(Fault{op, applied}); }

void FakeLeaseStore::forceSet(const std::string& key, const std::string& token,
                              std::chrono::milliseconds ttl) {
  keys_[key] = Entry{token, clock_.steadyNow() + ttl};
}

void FakeLeaseStore::flushAll() {
  keys_.clear();
  epochs_.clear();
}

std::optional<std::string> FakeLeaseStore::currentHolder(const std::string& key) const {
  if (const Entry* entry = live(key)) {
    return entry->token;
  }
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> FakeLeaseStore::pttl(const std::string& key) const {
  if (const Entry* entry = live(key)) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(entry->expiresAt -
                                                                 clock_.steadyNow());
  }
  return std::nullopt;
}

std::int64_t FakeLeaseStore::epochOf(const std::string& key) const {
  auto it = epochs_.find(key);
  return it == epochs_.end() ? 0 : it->second;
}

int FakeLeaseStore::calls(Op op) const {
  auto it = calls_.find(op);
  return it == calls_.end() ? 0 : it->second;
}

}  // namespace elector
