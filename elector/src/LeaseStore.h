#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace elector {

/// What one lease-store call achieved.
///
/// `Unknown` means the outcome is ambiguous: a timeout, a dropped connection, an error reply, an
/// unexpected reply. The command may or may not have run on the server (a timed-out request can
/// sit in the server's socket buffer and still run). Callers must never treat `Unknown` as
/// success or as failure; the election resolves it with `holder()` (invariant I6).
struct LeaseResult {
  enum Outcome { Ok, NotHeld, Unknown };

  Outcome outcome = Unknown;
  /// tryAcquire Ok: the fencing token (INCR of `<key>:epoch`) of this acquisition.
  /// holder Ok: the current value of the fencing counter (0 when absent).
  std::int64_t epoch = 0;
  /// tryAcquire NotHeld: the token that holds the key. holder Ok: the token that holds the key,
  /// or nullopt when nobody does.
  std::optional<std::string> holder;
  /// For logs when `outcome == Unknown`: the call name and the library's error text. Never
  /// contains a password.
  std::string error;
};

/// The I/O seam of the election: a store of expiring leases with owner-only renew and release
/// (RedisLeaseStore; FakeLeaseStore in tests).
///
/// Error contract: implementations do not throw for anything the environment can cause
/// (network, server down, timeouts, error replies); they return `Unknown` with `error` set. A
/// throw is still treated as `Unknown` by Election, so a buggy store fails closed. TTLs are
/// relative (never an absolute time computed from this host's clock). Implementations need not
/// be thread-safe unless they say so.
class LeaseStore {
 public:
  virtual ~LeaseStore() = default;

  /// Sets `key` to `token` with expiry `ttl` only if `key` is absent, and in the same atomic step
  /// increments the fencing counter `<key>:epoch`. Ok (+ epoch) when acquired; NotHeld (+ holder)
  /// when someone holds the key; Unknown when ambiguous (the key may now be ours).
  virtual LeaseResult tryAcquire(const std::string& key, const std::string& token,
                                 std::chrono::milliseconds ttl) = 0;

  /// Resets the expiry of `key` to `ttl` only if it holds `token`. Ok when extended; NotHeld when
  /// the key is absent or holds another token (then nothing changed, I4); Unknown when ambiguous.
  virtual LeaseResult renew(const std::string& key, const std::string& token,
                            std::chrono::milliseconds ttl) = 0;

  /// Deletes `key` only if it holds `token`. Ok when deleted; NotHeld when it did not hold the
  /// token (nothing changed, I4); Unknown when ambiguous.
  virtual LeaseResult release(const std::string& key, const std::string& token) = 0;

  /// Reads, in one atomic step, the token holding `key` and the fencing counter. Ok (holder may
  /// be nullopt) or Unknown. Used to resolve an ambiguous acquire or renew.
  virtual LeaseResult holder(const std::string& key) = 0;
};

}  // namespace elector
