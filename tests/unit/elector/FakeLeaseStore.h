#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

#include "LeaseStore.h"
#include "common/FakeClock.h"

namespace elector {

/// An in-memory lease store whose keys expire by the FakeClock. Faults are injected per
/// operation: the next call returns Unknown, and the command either ran ("applied", like a
/// timed-out request the server still executed) or did not. An optional latency moves the clock
/// forward inside every call. Not thread-safe.
class FakeLeaseStore : public LeaseStore {
 public:
  enum class Op { Acquire, Renew, Release, Holder };

  explicit FakeLeaseStore(common::FakeClock& clock) : clock_(clock) {}

  LeaseResult tryAcquire(const std::string& key, const std::string& token,
                         std::chrono::milliseconds ttl) override;
  LeaseResult renew(const std::string& key, const std::string& token,
                    std::chrono::milliseconds ttl) override;
  LeaseResult release(const std::string& key, const std::string& token) override;
  LeaseResult holder(const std::string& key) override;

  /// The next call of `op` returns Unknown; the command takes effect iff `applied`.
  void failNext(Op op, bool applied);
  /// Every call of `op` returns Unknown without effect until cleared (a store that is down).
  void setDown(bool down) { down_ = down; }
  void setLatency(std::chrono::milliseconds latency) { latency_ = latency; }

  /// Another client takes or overwrites the key (no NX), as after our expiry.
  void forceSet(const std::string& key, const std::string& token, std::chrono::milliseconds ttl);
  void flushAll();

  /// The live holder of `key` (expired keys are absent), its remaining TTL, the fence counter.
  std::optional<std::string> currentHolder(const std::string& key) const;
  std::optional<std::chrono::milliseconds> pttl(const std::string& key) const;
  std::int64_t epochOf(const std::string& key) const;
  int calls(Op op) const;

 private:
  struct Entry {
    std::string token;
    common::Clock::TimePoint expiresAt;
  };
  struct Fault {
    Op op;
    bool applied;
  };

  // Applies latency, counts the call and pops a fault for `op`; returns true when the call must
  // report Unknown, and sets `applied` to whether the command still runs.
  bool begin(Op op, bool& applied);
  const Entry* live(const std::string& key) const;

  common::FakeClock& clock_;
  std::map<std::string, Entry> keys_;
  std::map<std::string, std::int64_t> epochs_;
  std::deque<Fault> faults_;
  std::map<Op, int> calls_;
  std::chrono::milliseconds latency_{0};
  bool down_ = false;
};

}  // namespace elector
