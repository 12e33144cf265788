#include "collection/MetricsCache.h"

#include <algorithm>

namespace promsnmp {

using common::Clock;

namespace {

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

TargetStatus CacheLookup::status(std::string_view target, double scrapeSeconds) const {
  TargetStatus s;
  s.target = target;
  s.live = source == Source::Polled || source == Source::Waited;
  s.scrapeDurationSeconds = scrapeSeconds;
  if (!entry || !entry->last) {
    return s;
  }
  s.polled = true;
  s.up = entry->last->up();
  s.pollAgeSeconds = seconds(at - entry->storedAt);
  s.pollDurationSeconds = entry->last->durationSeconds;
  if (body) {
    s.dataAgeSeconds = seconds(at - entry->goodAt);
    s.interfaces = body->interfaces();
  }
  s.errors = entry->errors;
  return s;
}

MetricsCache::MetricsCache(Clock& clock, Options options) : clock_(clock), options_(options) {}

bool MetricsCache::fresh(const CacheEntry& e, std::chrono::steady_clock::time_point now) const {
  return now - e.storedAt < options_.ttl;
}

bool MetricsCache::requestTakesOver(Node& node, std::chrono::steady_clock::time_point now) {
  bool hole = false;
  if (node.requested) {
    const auto gap = now - node.requestedAt;
    const auto cadence = std::max(node.lastGap, node.gapBefore);
    hole = cadence.count() > 0 && gap > cadence + cadence / 2 + kHoleSlack;
    node.gapBefore = node.lastGap;
    node.lastGap = gap;
  }
  node.requestedAt = now;
  node.requested = true;
  return hole;
}

std::shared_ptr<const DeviceBody> MetricsCache::servableBody(
    const CacheEntry& e, std::chrono::steady_clock::time_point now) const {
  return e.body && now - e.goodAt < options_.ttl ? e.body : nullptr;
}

CacheLookup MetricsCache::answer(std::shared_ptr<const CacheEntry> entry,
                                 CacheLookup::Source source,
                                 std::chrono::steady_clock::time_point now) const {
  CacheLookup lookup;
  if (entry) {
    lookup.body = servableBody(*entry, now);
  } else {
    source = CacheLookup::Source::None;
  }
  lookup.entry = std::move(entry);
  lookup.source = source;
  lookup.at = now;
  return lookup;
}

MetricsCache::Lru::iterator MetricsCache::touch(const std::string& target) {
  auto it = index_.find(target);
  if (it == index_.end()) {
    return lru_.end();
  }
  lru_.splice(lru_.begin(), lru_, it->second);  // iterators stay valid
  return it->second;
}

CacheLookup MetricsCache::get(const std::string& target, std::chrono::milliseconds waitBudget,
                              const PollFn& pollFn) {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto requestedAt = clock_.steadyNow();
  auto markRequested = [&] {
    if (auto node = touch(target); node != lru_.end()) {
      node->requestedAt = requestedAt;
      node->requested = true;
    }
  };
  auto current = [&]() -> std::shared_ptr<const CacheEntry> {
    auto it = index_.find(target);
    return it == index_.end() ? nullptr : it->second->entry;
  };

  std::shared_ptr<const CacheEntry> previous;
  if (auto node = touch(target); node != lru_.end()) {
    const bool takeover = requestTakesOver(*node, requestedAt);
    previous = node->entry;
    if (fresh(*previous, requestedAt)) {
      if (!takeover) {
        ++stats_.hits;
        return answer(previous, CacheLookup::Source::Hit, requestedAt);
      }
      ++stats_.takeovers;
    }
  }

  if (auto f = flights_.find(target); f != flights_.end()) {
    ++stats_.waits;
    std::shared_ptr<Flight> flight = f->second;
    const bool finished = flight->done.wait_for(lock, waitBudget, [&] { return flight->finished; });
    markRequested();
    const auto now = clock_.steadyNow();
    if (finished && flight->result) {
      return answer(flight->result, CacheLookup::Source::Waited, now);
    }
    if (!finished) {
      ++stats_.timeouts;
    }
    return answer(current(), CacheLookup::Source::Stale, now);
  }

  ++stats_.misses;
  flights_.emplace(target, std::make_shared<Flight>());
  lock.unlock();
  PollOutcome outcome;
  try {
    outcome = pollFn(previous);
  } catch (...) {
    lock.lock();
    finishLocked(target, nullptr);
    throw;
  }
  lock.lock();
  const auto now = clock_.steadyNow();
  std::shared_ptr<const CacheEntry> stored;
  if (outcome.result) {
    stored = storeLocked(target, std::move(outcome), now);
  }
  markRequested();
  finishLocked(target, stored);
  if (!stored) {
    return answer(current(), CacheLookup::Source::Stale, now);
  }
  return answer(stored, CacheLookup::Source::Polled, now);
}

bool MetricsCache::beginPoll(const std::string& target) {
  std::lock_guard<std::mutex> lock(mutex_);
  return flights_.emplace(target, std::make_shared<Flight>()).second;
}

std::shared_ptr<const CacheEntry> MetricsCache::finishPoll(const std::string& target,
                                                           PollOutcome outcome) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::shared_ptr<const CacheEntry> stored;
  if (outcome.result) {
    stored = storeLocked(target, std::move(outcome), clock_.steadyNow());
  }
  finishLocked(target, stored);
  return stored;
}

std::shared_ptr<const CacheEntry> MetricsCache::put(const std::string& target,
                                                    PollOutcome outcome) {
  if (!outcome.result) {
    return peek(target);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  return storeLocked(target, std::move(outcome), clock_.steadyNow());
}

std::shared_ptr<const CacheEntry> MetricsCache::storeLocked(
    const std::string& target, PollOutcome outcome, std::chrono::steady_clock::time_point now) {
  auto node = touch(target);
  std::shared_ptr<const CacheEntry> old = node != lru_.end() ? node->entry : nullptr;
  if (old && old->last && outcome.result->startedAt < old->last->startedAt) {
    return old;  // a slower, older poll finished last: keep the newer counters
  }
  auto e = std::make_shared<CacheEntry>(old ? *old : CacheEntry{});
  e->last = outcome.result;
  e->storedAt = now;
  ++e->polls;
  e->recentUp = (e->recentUp << 1U) | (outcome.result->up() ? 1U : 0U);
  if (outcome.result->up()) {
    e->lastGood = outcome.result;
    e->body = std::move(outcome.body);
    e->goodAt = now;
  } else {
    if (size_t i = pollErrorReasonIndex(outcome.result->error); i < e->errors.size()) {
      ++e->errors[i];
    }
    if (e->body && now - e->goodAt >= options_.ttl) {
      e->body.reset();  // never served again; free it now rather than at eviction
    }
  }
  if (node != lru_.end()) {
    node->entry = e;
    return e;
  }
  lru_.push_front(Node{target, e});
  index_.emplace(target, lru_.begin());
  while (lru_.size() > options_.maxEntries) {
    index_.erase(lru_.back().target);
    lru_.pop_back();
    ++stats_.evictions;
  }
  return e;
}

void MetricsCache::finishLocked(const std::string& target,
                                std::shared_ptr<const CacheEntry> result) {
  auto it = flights_.find(target);
  if (it == flights_.end()) {
    return;
  }
  it->second->finished = true;
  it->second->result = std::move(result);
  it->second->done.notify_all();
  flights_.erase(it);
}

std::shared_ptr<const CacheEntry> MetricsCache::peek(const std::string& target) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = index_.find(target);
  return it == index_.end() ? nullptr : it->second->entry;
}

void MetricsCache::evictAll() {
  std::lock_guard<std::mutex> lock(mutex_);
  index_.clear();
  lru_.clear();
}

bool MetricsCache::erase(const std::string& target) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = index_.find(target);
  if (it == index_.end()) {
    return false;
  }
  lru_.erase(it->second);
  index_.erase(it);
  return true;
}

size_t MetricsCache::purgeExpired() {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto now = clock_.steadyNow();
  size_t removed = 0;
  for (auto it = lru_.begin(); it != lru_.end();) {
    if (fresh(*it->entry, now)) {
      ++it;
      continue;
    }
    index_.erase(it->target);
    it = lru_.erase(it);
    ++removed;
  }
  stats_.expirations += removed;
  return removed;
}

std::vector<std::string> MetricsCache::recentlyRequested(std::chrono::milliseconds window) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto now = clock_.steadyNow();
  std::vector<std::string> targets;
  for (const Node& node : lru_) {
    if (node.requested && now - node.requestedAt <= window) {
      targets.push_back(node.target);
    }
  }
  return targets;
}

MetricsCache::Stats MetricsCache::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  Stats s = stats_;
  s.size = lru_.size();
  s.inFlight = flights_.size();
  return s;
}

}  // namespace promsnmp
