#include "RedisLeaseStore.h"

#include <sys/time.h>

#include <cstdlib>
#include <utility>

#include <Poco/Logger.h>
#include <hiredis.h>

namespace elector {

namespace {

Poco::Logger& logger() { return Poco::Logger::get("elector.redis"); }

// KEYS[1] = lease key, KEYS[2] = fencing counter; ARGV[1] = token, ARGV[2] = ttl ms.
// Returns the new epoch when acquired, else the current holder's token (a string).
const char* const kAcquireScript =
    "if redis.call('set',KEYS[1],ARGV[1],'NX','PX',ARGV[2]) then "
    "return redis.call('incr',KEYS[2]) else return redis.call('get',KEYS[1]) end";
const char* const kRenewScript =
    "if redis.call('get',KEYS[1])==ARGV[1] then "
    "return redis.call('pexpire',KEYS[1],ARGV[2]) else return 0 end";
const char* const kReleaseScript =
    "if redis.call('get',KEYS[1])==ARGV[1] then return redis.call('del',KEYS[1]) else return 0 end";

timeval toTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

std::string replyText(const redisReply* reply) { return std::string(reply->str, reply->len); }

LeaseResult unknown(std::string error) {
  LeaseResult result;
  result.outcome = LeaseResult::Unknown;
  result.error = std::move(error);
  return result;
}

// Turns an unexpected reply into an Unknown with a message naming the call.
LeaseResult unexpected(const char* call, const redisReply* reply) {
  if (reply->type == REDIS_REPLY_ERROR) {
    return unknown(std::string(call) + ": " + replyText(reply));
  }
  return unknown(std::string(call) + ": unexpected reply type " + std::to_string(reply->type));
}

}  // namespace

void RedisLeaseStore::ReplyDeleter::operator()(redisReply* reply) const { freeReplyObject(reply); }

RedisLeaseStore::RedisLeaseStore(RedisOptions options) : options_(std::move(options)) {}

RedisLeaseStore::~RedisLeaseStore() { disconnect(); }

void RedisLeaseStore::disconnect() {
  if (context_ != nullptr) {
    redisFree(context_);
    context_ = nullptr;
  }
}

bool RedisLeaseStore::connect(std::string& error) {
  const std::string where = options_.host + ":" + std::to_string(options_.port);
  redisContext* context = redisConnectWithTimeout(options_.host.c_str(), options_.port,
                                                  toTimeval(options_.connectTimeout));
  if (context == nullptr) {
    error = "redisConnectWithTimeout " + where + ": out of memory";
    return false;
  }
  if (context->err != 0) {
    error = "redisConnectWithTimeout " + where + ": " + context->errstr;
    redisFree(context);
    return false;
  }
  if (redisSetTimeout(context, toTimeval(options_.commandTimeout)) != REDIS_OK) {
    error = "redisSetTimeout " + where + ": " + context->errstr;
    redisFree(context);
    return false;
  }
  context_ = context;
  if (!options_.password.empty()) {
    const char* argv[] = {"AUTH", options_.password.c_str()};
    const size_t lengths[] = {4, options_.password.size()};
    Reply reply(static_cast<redisReply*>(redisCommandArgv(context_, 2, argv, lengths)));
    if (!reply) {
      error = "AUTH " + where + ": " + context_->errstr;
      disconnect();
      return false;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
      // The server's text ("WRONGPASS ...") never contains the password.
      error = "AUTH " + where + ": " + replyText(reply.get());
      disconnect();
      return false;
    }
  }
  if (warnedDown_) {
    warnedDown_ = false;
    logger().information("event=redis_connected address=%s", where);
  }
  return true;
}

RedisLeaseStore::Reply RedisLeaseStore::command(const std::vector<std::string>& args,
                                                std::string& error) {
  if (context_ == nullptr && !connect(error)) {
    if (!warnedDown_) {
      warnedDown_ = true;
      logger().warning("event=redis_unavailable error=\"%s\"", error);
    }
    return nullptr;
  }
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const std::string& arg : args) {
    argv.push_back(arg.c_str());
    lengths.push_back(arg.size());
  }
  Reply reply(static_cast<redisReply*>(
      redisCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data())));
  if (!reply) {
    // hiredis: after an error the context cannot be reused.
    error = args.front() + ": " + context_->errstr;
    disconnect();
    if (!warnedDown_) {
      warnedDown_ = true;
      logger().warning("event=redis_unavailable error=\"%s\"", error);
    }
    return nullptr;
  }
  return reply;
}

LeaseResult RedisLeaseStore::tryAcquire(const std::string& key, const std::string& token,
                                        std::chrono::milliseconds ttl) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string error;
  Reply reply = command(
      {"EVAL", kAcquireScript, "2", key, key + ":epoch", token, std::to_string(ttl.count())},
      error);
  if (!reply) {
    return unknown("acquire " + error);
  }
  LeaseResult result;
  if (reply->type == REDIS_REPLY_INTEGER) {
    result.outcome = LeaseResult::Ok;
    result.epoch = reply->integer;
    return result;
  }
  if (reply->type == REDIS_REPLY_STRING) {
    result.outcome = LeaseResult::NotHeld;
    result.holder = replyText(reply.get());
    return result;
  }
  return unexpected("acquire", reply.get());
}

LeaseResult RedisLeaseStore::renew(const std::string& key, const std::string& token,
                                   std::chrono::milliseconds ttl) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string error;
  Reply reply =
      command({"EVAL", kRenewScript, "1", key, token, std::to_string(ttl.count())}, error);
  if (!reply) {
    return unknown("renew " + error);
  }
  if (reply->type != REDIS_REPLY_INTEGER) {
    return unexpected("renew", reply.get());
  }
  LeaseResult result;
  result.outcome = reply->integer == 1 ? LeaseResult::Ok : LeaseResult::NotHeld;
  return result;
}

LeaseResult RedisLeaseStore::release(const std::string& key, const std::string& token) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string error;
  Reply reply = command({"EVAL", kReleaseScript, "1", key, token}, error);
  if (!reply) {
    return unknown("release " + error);
  }
  if (reply->type != REDIS_REPLY_INTEGER) {
    return unexpected("release", reply.get());
  }
  LeaseResult result;
  result.outcome = reply->integer == 1 ? LeaseResult::Ok : LeaseResult::NotHeld;
  return result;
}

LeaseResult RedisLeaseStore::holder(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string error;
  Reply reply = command({"MGET", key, key + ":epoch"}, error);
  if (!reply) {
    return unknown("holder " + error);
  }
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
    return unexpected("holder", reply.get());
  }
  const redisReply* holder = reply->element[0];
  const redisReply* epoch = reply->element[1];
  LeaseResult result;
  result.outcome = LeaseResult::Ok;
  if (holder->type == REDIS_REPLY_STRING) {
    result.holder = replyText(holder);
  } else if (holder->type != REDIS_REPLY_NIL) {
    return unexpected("holder", holder);
  }
  if (epoch->type == REDIS_REPLY_STRING) {
    char* end = nullptr;
    const std::string text = replyText(epoch);
    result.epoch = std::strtoll(text.c_str(), &end, 10);
    if (end == text.c_str() || *end != '\0') {
      return unknown("holder: fencing counter is not an integer");
    }
  } else if (epoch->type != REDIS_REPLY_NIL) {
    return unexpected("holder", epoch);
  }
  return result;
}

}  // namespace elector
