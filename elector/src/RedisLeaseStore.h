#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "LeaseStore.h"

struct redisContext;
struct redisReply;

namespace elector {

/// Where and how to reach Redis. `password` is optional (empty: no AUTH); it is sent only in
/// AUTH and never logged or put into an error text.
struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;
  std::chrono::milliseconds connectTimeout{500};
  /// Per command (SO_RCVTIMEO/SO_SNDTIMEO); a command that times out is Unknown.
  std::chrono::milliseconds commandTimeout{500};
};

/// LeaseStore on one Redis node through hiredis 0.14 (the only file that includes hiredis).
///
/// Acquire is one Lua script: SET key token NX PX ttl, then INCR `<key>:epoch`; renew and
/// release are compare-token scripts (I4); holder() is MGET key `<key>:epoch`. Scripts always go
/// with EVAL (no EVALSHA, so a restarted server without its script cache still works).
///
/// Connects lazily; after any I/O error the context is freed and the next call reconnects.
/// Every failure is reported as `Unknown` (never thrown, never assumed). Thread-safe (one mutex;
/// calls are serialised). hiredis writes with write(2): the process must ignore SIGPIPE (the
/// daemon does at start) or a write to a reset connection kills it.
class RedisLeaseStore : public LeaseStore {
 public:
  explicit RedisLeaseStore(RedisOptions options);
  ~RedisLeaseStore() override;
  RedisLeaseStore(const RedisLeaseStore&) = delete;
  RedisLeaseStore& operator=(const RedisLeaseStore&) = delete;

  LeaseResult tryAcquire(const std::string& key, const std::string& token,
                         std::chrono::milliseconds ttl) override;
  LeaseResult renew(const std::string& key, const std::string& token,
                    std::chrono::milliseconds ttl) override;
  LeaseResult release(const std::string& key, const std::string& token) override;
  LeaseResult holder(const std::string& key) override;

 private:
  struct ReplyDeleter {
    void operator()(redisReply* reply) const;
  };
  using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

  /// Sends one command; on success returns the reply (which may be an error reply). On failure
  /// returns null, fills `error` and drops the connection. Caller holds mutex_.
  Reply command(const std::vector<std::string>& args, std::string& error);
  bool connect(std::string& error);
  void disconnect();

  RedisOptions options_;
  std::mutex mutex_;
  redisContext* context_ = nullptr;
  bool warnedDown_ = false;
};

}  // namespace elector
