#include "ElectorDaemon.h"

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Exception.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string_view>

#include "Clock.h"
#include "Election.h"
#include "LeadershipServer.h"
#include "elector/LeadershipEvent.h"

#ifndef ELECTOR_VERSION
#define ELECTOR_VERSION "unknown"
#endif

namespace elector {
namespace {

constexpr std::int64_t kMinTtlMs = 300;
constexpr std::int64_t kMaxTtlMs = kMaxLeaseMs;

const char* const kUsage =
    "usage: elector [flags]\n"
    "\n"
    "Leader election sidecar: publishes the role of this replica on a Unix socket.\n"
    "Flags win over the environment variables named in brackets.\n"
    "\n"
    "  --backend redis|static     [ELECTOR_BACKEND] (default redis)\n"
    "  --redis.address host:port  [REDIS_ADDRESS, or REDIS_URL redis://[:password@]host:port]\n"
    "                             (default 127.0.0.1:6379); password from REDIS_PASSWORD or\n"
    "                             REDIS_PASSWORD_FILE\n"
    "  --lease.key KEY            [ELECTOR_LEASE_KEY] (default promsnmp:leader)\n"
    "  --lease.ttl MS             [ELECTOR_LEASE_TTL_MS] (default 10000, 300..600000)\n"
    "  --id ID                    [ELECTOR_ID, else POD_NAME] (default hostname:pid)\n"
    "  --socket PATH              [ELECTOR_SOCKET] (default /run/promsnmp/elector.sock)\n"
    "  --role leader|follower     [PROMSNMP_ROLE] role of the static backend\n"
    "  --log.level LEVEL          debug|info|warn|error (default info)\n"
    "  --log.format FORMAT        logfmt|json (default logfmt)\n"
    "  --help, --version\n"
    "\n"
    "Exit codes: 0 stopped by SIGTERM/SIGINT, 1 runtime failure, 2 bad flag, 78 bad setting.\n";

Poco::Logger& logger() { return Poco::Logger::get("elector"); }

/// Thrown by the parsing helpers for a bad value; caught in parseSettings (exit 78).
struct BadSetting {
  std::string message;
};

/// Drops the line end an editor leaves after a password (spaces may belong to it).
std::string trimLineEnd(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  return text;
}

/// Parses "host:port" or "[v6]:port" into `options`; throws BadSetting naming `setting`.
void parseAddress(const std::string& setting, const std::string& value, RedisOptions& options) {
  std::string host;
  std::string port;
  if (!value.empty() && value.front() == '[') {
    const std::size_t close = value.find(']');
    if (close == std::string::npos || close + 1 >= value.size() || value[close + 1] != ':') {
      throw BadSetting{setting + ": expected [host]:port, got \"" + value + "\""};
    }
    host = value.substr(1, close - 1);
    port = value.substr(close + 2);
  } else {
    const std::size_t colon = value.rfind(':');
    if (colon == std::string::npos) {
      throw BadSetting{setting + ": expected host:port, got \"" + value + "\""};
    }
    host = value.substr(0, colon);
    port = value.substr(colon + 1);
  }
  const bool digits =
      !port.empty() && port.size() <= 5 &&
      std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
  const int number = digits ? std::stoi(port) : 0;
  if (host.empty() || number < 1 || number > 65535) {
    throw BadSetting{setting + ": expected host:port with a port 1..65535, got \"" + value + "\""};
  }
  options.host = host;
  options.port = number;
}

/// Parses redis://[user][:password@]host:port[/db]. The message never contains the password.
void parseRedisUrl(const std::string& url, RedisOptions& options) {
  const std::string scheme = "redis://";
  if (url.rfind(scheme, 0) != 0) {
    throw BadSetting{"REDIS_URL: expected redis://[:password@]host:port"};
  }
  std::string rest = url.substr(scheme.size());
  const std::size_t at = rest.rfind('@');
  if (at != std::string::npos) {
    const std::string userInfo = rest.substr(0, at);
    const std::size_t colon = userInfo.find(':');
    options.password = colon == std::string::npos ? "" : userInfo.substr(colon + 1);
    rest = rest.substr(at + 1);
  }
  const std::size_t slash = rest.find('/');
  if (slash != std::string::npos) {
    rest = rest.substr(0, slash);
  }
  try {
    parseAddress("REDIS_URL", rest, options);
  } catch (const BadSetting&) {
    throw BadSetting{"REDIS_URL: expected redis://[:password@]host:port"};
  }
}

std::chrono::milliseconds parseTtl(const std::string& setting, const std::string& value) {
  const bool digits =
      !value.empty() && value.size() <= 9 &&
      std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
  const std::int64_t ms = digits ? std::stoll(value) : -1;
  if (ms < kMinTtlMs || ms > kMaxTtlMs) {
    throw BadSetting{setting + ": expected milliseconds " + std::to_string(kMinTtlMs) + ".." +
                     std::to_string(kMaxTtlMs) + ", got \"" + value + "\""};
  }
  return std::chrono::milliseconds(ms);
}

void checkOneOf(const std::string& setting, const std::string& value,
                std::initializer_list<const char*> allowed) {
  std::string list;
  for (const char* candidate : allowed) {
    if (value == candidate) {
      return;
    }
    list += list.empty() ? candidate : std::string("|") + candidate;
  }
  throw BadSetting{setting + ": expected " + list + ", got \"" + value + "\""};
}

std::string defaultId() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) {
    host[0] = '\0';
  }
  return std::string(host[0] != '\0' ? host : "localhost") + ":" + std::to_string(::getpid());
}

const char* levelName(Poco::Message::Priority priority) {
  if (priority >= Poco::Message::PRIO_DEBUG) {
    return "debug";
  }
  if (priority >= Poco::Message::PRIO_NOTICE) {
    return "info";
  }
  if (priority == Poco::Message::PRIO_WARNING) {
    return "warn";
  }
  return "error";
}

void appendEscaped(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\u%04x", static_cast<unsigned>(c));
          out += hex;
        } else {
          out += c;
        }
    }
  }
}

/// True when `text` already is `key=value ...` (the library loggers write `event=… key=…`).
bool isKeyValue(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && ((text[i] >= 'a' && text[i] <= 'z') || text[i] == '_')) {
    ++i;
  }
  return i > 0 && i < text.size() && text[i] == '=';
}

/// One line per message to stderr (journald and Docker collect it).
class StderrLineChannel : public Poco::Channel {
 public:
  explicit StderrLineChannel(bool json) : json_(json) {}

  void log(const Poco::Message& message) override {
    const std::string ts =
        Poco::DateTimeFormatter::format(message.getTime(), "%Y-%m-%dT%H:%M:%S.%iZ");
    std::string line;
    if (json_) {
      line = "{\"ts\":\"" + ts + "\",\"level\":\"" + levelName(message.getPriority()) +
             "\",\"logger\":\"";
      appendEscaped(line, message.getSource());
      line += "\",\"msg\":\"";
      appendEscaped(line, message.getText());
      line += "\"}\n";
    } else {
      line = "ts=" + ts + " level=" + levelName(message.getPriority()) +
             " logger=" + message.getSource() + " ";
      if (isKeyValue(message.getText())) {
        line += message.getText();
      } else {
        line += "msg=\"";
        appendEscaped(line, message.getText());
        line += "\"";
      }
      line += "\n";
    }
    const std::lock_guard<std::mutex> lock(mutex_);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
  }

 private:
  bool json_;
  std::mutex mutex_;
};

std::string quoted(const std::string& value) {
  std::string out = "\"";
  appendEscaped(out, value);
  return out + "\"";
}

LeadershipEvent followerEvent(std::uint64_t epoch, const std::string& holder,
                              std::chrono::milliseconds ttl) {
  LeadershipEvent event;
  event.role = LeadershipRole::Follower;
  event.epoch = epoch;
  event.holder = holder;
  event.leaseMs = static_cast<std::uint32_t>(ttl.count());
  return event;
}

/// Publishes `event`; logs the role change at info when it differs from `last`.
void publish(LeadershipServer& server, const LeadershipEvent& event,
             std::optional<LeadershipEvent>& last) {
  if (!last || last->role != event.role || last->epoch != event.epoch) {
    logger().information("msg=\"role changed\" role=%s epoch=%?d holder=%s lease_ms=%?d",
                         std::string(event.role == LeadershipRole::Leader ? "leader" : "follower"),
                         event.epoch, quoted(event.holder), event.leaseMs);
  }
  try {
    server.publish(event);
  } catch (const Poco::Exception& error) {
    // An event the other side could not decode (e.g. an over-long holder): nothing is sent, so
    // clients' deadlines run out and they fail closed.
    logger().error("msg=\"publish failed\" error=%s", quoted(error.displayText()));
  }
  last = event;
}

/// Waits until `deadline` or a signal in `signals`; returns true when a stop signal arrived.
bool waitForStop(const sigset_t& signals, Clock::TimePoint deadline) {
  const auto now = std::chrono::steady_clock::now();
  auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now);
  wait = std::max(wait, std::chrono::nanoseconds(std::chrono::milliseconds(5)));
  timespec timeout{};
  timeout.tv_sec = static_cast<time_t>(wait.count() / 1000000000);
  timeout.tv_nsec = static_cast<long>(wait.count() % 1000000000);
  siginfo_t info{};
  const int signal = ::sigtimedwait(&signals, &info, &timeout);
  if (signal > 0) {
    logger().information("msg=\"stop signal\" signal=%d", signal);
    return true;
  }
  return false;  // timeout (EAGAIN) or EINTR: the caller steps again
}

void runStatic(const DaemonSettings& settings, LeadershipServer& server, const sigset_t& signals) {
  const bool leader = settings.role == "leader";
  LeadershipEvent event = followerEvent(0, "", settings.leaseTtl);
  if (leader) {
    event.role = LeadershipRole::Leader;
    event.epoch = 1;
    event.holder = settings.id;
  }
  std::optional<LeadershipEvent> last;
  do {
    publish(server, event, last);
  } while (!waitForStop(signals, std::chrono::steady_clock::now() + settings.leaseTtl / 3));
  publish(server, followerEvent(event.epoch, "", settings.leaseTtl), last);
}

void runRedis(const DaemonSettings& settings, LeadershipServer& server, const sigset_t& signals) {
  RedisLeaseStore store(settings.redis);
  SystemClock clock;
  ElectionConfig config;
  config.key = settings.leaseKey;
  config.nodeId = settings.id;
  config.ttl = settings.leaseTtl;
  // Short TTLs (tests, small sites) keep a useful window between renews and the deadline.
  config.margin = std::min(std::chrono::milliseconds(1000), settings.leaseTtl / 4);
  config.retryInterval = std::min(std::chrono::milliseconds(1000), settings.leaseTtl / 3);
  Election election(store, clock, config);

  const auto followerRefresh = settings.leaseTtl / 3;
  std::optional<LeadershipEvent> last;
  bool stop = false;
  while (!stop) {
    const Decision decision = election.step();
    const auto now = clock.steadyNow();
    if (decision.role == Role::Leader) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(decision.leaseExpiresAt - now);
      LeadershipEvent event;
      event.role = LeadershipRole::Leader;
      event.epoch = static_cast<std::uint64_t>(decision.epoch);
      event.holder = decision.holder;
      event.leaseMs = static_cast<std::uint32_t>(
          std::clamp<std::int64_t>(left.count(), kMinLeaseMs, kMaxLeaseMs));
      publish(server, event, last);
    } else {
      publish(server,
              followerEvent(static_cast<std::uint64_t>(decision.epoch), decision.holder,
                            settings.leaseTtl),
              last);
    }
    stop = waitForStop(signals, std::min(decision.wakeAt, now + followerRefresh));
  }
  const std::uint64_t epoch = static_cast<std::uint64_t>(election.current().epoch);
  election.stop();  // compare-token release: the other replica may take over at once
  publish(server, followerEvent(epoch, "", settings.leaseTtl), last);
}

}  // namespace

ParsedSettings parseSettings(const std::vector<std::string>& args,
                             const std::function<const char*(const char*)>& getenv) {
  ParsedSettings parsed;
  DaemonSettings& settings = parsed.settings;

  // Flags first (so --help and a bad flag win over a bad environment), applied after the
  // environment.
  std::map<std::string, std::string> flags;
  const std::vector<std::string> known = {
      "--backend", "--redis.address", "--lease.key", "--lease.ttl", "--id",
      "--socket",  "--role",          "--log.level", "--log.format"};
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      parsed.exitCode = kExitOk;
      parsed.output = kUsage;
      return parsed;
    }
    if (arg == "--version") {
      parsed.exitCode = kExitOk;
      parsed.output = std::string("elector ") + ELECTOR_VERSION + "\n";
      return parsed;
    }
    const std::size_t equals = arg.find('=');
    const std::string name = arg.substr(0, equals);
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      parsed.exitCode = kExitUsage;
      parsed.output = "elector: unknown flag \"" + name + "\" (see --help)\n";
      return parsed;
    }
    if (equals != std::string::npos) {
      flags[name] = arg.substr(equals + 1);
    } else if (i + 1 < args.size()) {
      flags[name] = args[++i];
    } else {
      parsed.exitCode = kExitUsage;
      parsed.output = "elector: flag " + name + " needs a value (see --help)\n";
      return parsed;
    }
  }
  const auto env = [&getenv](const char* name) -> std::optional<std::string> {
    const char* value = getenv(name);
    if (value == nullptr || *value == '\0') {
      return std::nullopt;
    }
    return std::string(value);
  };
  const auto pick = [&](const char* flag, const char* variable) -> std::optional<std::string> {
    const auto found = flags.find(flag);
    if (found != flags.end()) {
      return found->second;
    }
    return variable != nullptr ? env(variable) : std::nullopt;
  };

  try {
    if (auto value = pick("--backend", "ELECTOR_BACKEND")) {
      checkOneOf("backend", *value, {"redis", "static"});
      settings.backend = *value;
    }
    if (auto url = env("REDIS_URL")) {
      parseRedisUrl(*url, settings.redis);
    }
    if (flags.count("--redis.address") != 0) {
      parseAddress("redis.address", flags["--redis.address"], settings.redis);
    } else if (auto address = env("REDIS_ADDRESS")) {
      parseAddress("REDIS_ADDRESS", *address, settings.redis);
    }
    if (auto file = env("REDIS_PASSWORD_FILE")) {
      std::ifstream in(*file);
      std::stringstream content;
      content << in.rdbuf();
      if (!in) {
        throw BadSetting{"REDIS_PASSWORD_FILE: cannot read \"" + *file + "\""};
      }
      settings.redis.password = trimLineEnd(content.str());
    }
    if (auto password = env("REDIS_PASSWORD")) {
      settings.redis.password = *password;
    }
    if (auto value = pick("--lease.key", "ELECTOR_LEASE_KEY")) {
      if (value->empty()) {
        throw BadSetting{"lease.key: must not be empty"};
      }
      settings.leaseKey = *value;
    }
    if (flags.count("--lease.ttl") != 0) {
      settings.leaseTtl = parseTtl("lease.ttl", flags["--lease.ttl"]);
    } else if (auto value = env("ELECTOR_LEASE_TTL_MS")) {
      settings.leaseTtl = parseTtl("ELECTOR_LEASE_TTL_MS", *value);
    }
    if (auto value = pick("--id", "ELECTOR_ID")) {
      settings.id = *value;
    } else if (auto pod = env("POD_NAME")) {
      settings.id = *pod;
    } else {
      settings.id = defaultId();
    }
    if (settings.id.empty() || settings.id.size() > kMaxHolderBytes / 2) {
      throw BadSetting{"id: expected 1.." + std::to_string(kMaxHolderBytes / 2) + " bytes"};
    }
    if (auto value = pick("--socket", "ELECTOR_SOCKET")) {
      if (value->empty()) {
        throw BadSetting{"socket: must not be empty"};
      }
      settings.socketPath = *value;
    }
    if (auto value = pick("--role", "PROMSNMP_ROLE")) {
      checkOneOf("role", *value, {"leader", "follower"});
      settings.role = *value;
    }
    if (settings.backend == "static" && settings.role.empty()) {
      throw BadSetting{"role: the static backend needs --role leader|follower (PROMSNMP_ROLE)"};
    }
    if (auto value = pick("--log.level", nullptr)) {
      checkOneOf("log.level", *value, {"debug", "info", "warn", "error"});
      settings.logLevel = *value;
    }
    if (auto value = pick("--log.format", nullptr)) {
      checkOneOf("log.format", *value, {"logfmt", "json"});
      settings.logFormat = *value;
    }
  } catch (const BadSetting& bad) {
    parsed.exitCode = kExitConfig;
    parsed.output = "elector: " + bad.message + "\n";
  }
  return parsed;
}

void setupLogging(const std::string& level, const std::string& format) {
  static const std::map<std::string, int> kLevels = {{"debug", Poco::Message::PRIO_DEBUG},
                                                     {"info", Poco::Message::PRIO_INFORMATION},
                                                     {"warn", Poco::Message::PRIO_WARNING},
                                                     {"error", Poco::Message::PRIO_ERROR}};
  const auto found = kLevels.find(level);
  if (found == kLevels.end() || (format != "logfmt" && format != "json")) {
    throw Poco::InvalidArgumentException("log level or format", level + " " + format);
  }
  Poco::AutoPtr<Poco::Channel> channel(new StderrLineChannel(format == "json"));
  // The root first (loggers created later copy it), then every existing logger.
  Poco::Logger::root().setChannel(channel);
  Poco::Logger::root().setLevel(found->second);
  Poco::Logger::setChannel("", channel);
  Poco::Logger::setLevel("", found->second);
}

int runDaemon(const DaemonSettings& settings) {
  // hiredis writes with write(2); a reset connection must give EPIPE, not kill the process.
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  // Blocked before any thread starts, so only sigtimedwait in the loop takes them.
  ::pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  logger().information(
      "msg=\"starting\" version=%s backend=%s id=%s socket=%s lease_key=%s lease_ttl_ms=%?d",
      std::string(ELECTOR_VERSION), settings.backend, quoted(settings.id),
      quoted(settings.socketPath), quoted(settings.leaseKey), settings.leaseTtl.count());
  if (settings.backend == "redis") {
    logger().information("msg=\"redis\" address=%s:%d auth=%s", settings.redis.host,
                         settings.redis.port,
                         std::string(settings.redis.password.empty() ? "no" : "yes"));
  }

  LeadershipServer server(settings.socketPath);
  try {
    server.start();
  } catch (const Poco::Exception& error) {
    logger().error("msg=\"cannot serve the leadership socket\" error=%s",
                   quoted(error.displayText()));
    return kExitFailure;
  }
  try {
    if (settings.backend == "static") {
      runStatic(settings, server, signals);
    } else {
      runRedis(settings, server, signals);
    }
  } catch (const std::exception& error) {
    logger().error("msg=\"elector failed\" error=%s", quoted(error.what()));
    server.stop();
    return kExitFailure;
  }
  server.stop();
  logger().information("msg=\"stopped\"");
  return kExitOk;
}

}  // namespace elector
