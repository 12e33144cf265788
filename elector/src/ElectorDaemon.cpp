#include "ElectorDaemon.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <ctime>
#include <iterator>
#include <memory>
#include <random>
#include <sstream>

#include <Poco/Exception.h>
#include <Poco/Logger.h>

#include "Election.h"
#include "ElectorMetrics.h"
#include "ElectorStatus.h"
#include "FileLeaseStore.h"
#include "HttpLeaderSource.h"
#include "IdentityGuard.h"
#include "KubernetesElection.h"
#include "LeadershipServer.h"
#include "RedisLeaseStore.h"
#include "StatusServer.h"
#include "common/Clock.h"
#include "common/Settings.h"
#include "common/Text.h"
#include "elector/LeadershipEvent.h"

#ifndef ELECTOR_VERSION
#define ELECTOR_VERSION "unknown"
#endif

namespace elector {
namespace {

using common::quoted;
using common::SystemClock;

/// --help: generated from the settings table, as the collector's is.
std::string usageText() {
  common::UsageSpec spec;
  spec.program = "elector";
  spec.about = "Leader election sidecar: publishes the role of this replica on a Unix socket.\n";
  spec.processFlags = {
      {"-h, --help", "show this help and exit"},
      {"    --version", "show the version and exit"},
      {"    --config.file=PATH",
       std::string("libconfig file (default: ") + kDefaultConfigFile + " if it exists)"},
      {"    --config.check", "print the effective settings with secrets masked and exit"},
      {"", "(0 valid, 78 invalid)"}};
  spec.settingsAbout =
      "Settings. Precedence: flags > environment > config file > defaults. An environment\n"
      "variable set to the empty string counts as unset. Durations are milliseconds, or a\n"
      "number with a unit (500ms, 2s, 1m). etc/elector.cfg documents each one.\n";
  spec.epilogue =
      "\nA flag's value follows it (--name value) or an equals sign (--name=value).\n"
      "\nExit codes: 0 stopped by SIGTERM/SIGINT, 1 runtime failure, 2 bad flag, 78 bad setting.\n";
  return common::usageText(spec, settingsTable());
}

Poco::Logger& logger() { return Poco::Logger::get("elector"); }

LeadershipEvent followerEvent(std::uint64_t epoch, const std::string& holder,
                              std::chrono::milliseconds ttl) {
  LeadershipEvent event;
  event.role = LeadershipRole::Follower;
  event.epoch = epoch;
  event.holder = holder;
  event.leaseMs = static_cast<std::uint32_t>(ttl.count());
  return event;
}

/// Publishes `event` on the socket, in the metrics and on the status page (`reason`: why, as
/// the page's role changes show it); logs a role change at info.
void publish(LeadershipServer& server, ElectorMetrics& metrics, ElectorStatus& status,
             const LeadershipEvent& event, std::optional<LeadershipEvent>& last,
             const std::string& reason) {
  if (!last || last->role != event.role || last->epoch != event.epoch) {
    logger().information("msg=\"role changed\" role=%s epoch=%?d holder=%s lease_ms=%?d",
                         std::string(event.role == LeadershipRole::Leader ? "leader" : "follower"),
                         event.epoch, quoted(event.holder), event.leaseMs);
  }
  metrics.setRole(event.role == LeadershipRole::Leader, event.epoch, event.holder);
  const bool leader = event.role == LeadershipRole::Leader;
  status.setRole(leader, event.epoch, event.holder,
                 leader ? std::optional<Clock::TimePoint>(std::chrono::steady_clock::now() +
                                                          std::chrono::milliseconds(event.leaseMs))
                        : std::nullopt,
                 reason);
  try {
    server.publish(event);
  } catch (const Poco::Exception& error) {
    // An event the other side could not decode (e.g. an over-long holder): nothing is sent, so
    // clients' deadlines run out and they fail closed.
    metrics.countError("publish");
    logger().error("msg=\"publish failed\" error=%s", quoted(error.displayText()));
  }
  last = event;
}

/// The event for `decision` at `now`: a leader announces the time left on its lease.
LeadershipEvent eventFor(const Decision& decision, Clock::TimePoint now,
                         std::chrono::milliseconds ttl) {
  if (decision.role != Role::Leader) {
    return followerEvent(static_cast<std::uint64_t>(decision.epoch), decision.holder, ttl);
  }
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(decision.leaseExpiresAt - now);
  LeadershipEvent event;
  event.role = LeadershipRole::Leader;
  event.epoch = static_cast<std::uint64_t>(decision.epoch);
  event.holder = decision.holder;
  event.leaseMs =
      static_cast<std::uint32_t>(std::clamp<std::int64_t>(left.count(), kMinLeaseMs, kMaxLeaseMs));
  return event;
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

double secondsSince(Clock::TimePoint start, const Clock& clock) {
  return std::chrono::duration<double>(clock.steadyNow() - start).count();
}

/// Election's reasons that mean "the store did not answer clearly": errors for the metrics.
constexpr Reason kErrorReasons[] = {Reason::AcquireUnknown, Reason::RenewUnknown,
                                    Reason::ResolveUnknown, Reason::StoreException,
                                    Reason::ObserveUnknown};

std::vector<std::string> errorKinds(const std::string& backend) {
  std::vector<std::string> kinds = {"publish"};
  if (backend == "kubernetes") {
    for (const char* kind : KubernetesElection::kFailureKinds) {
      kinds.emplace_back(kind);
    }
  } else if (backend == "redis" || backend == "file") {
    for (const Reason reason : kErrorReasons) {
      kinds.emplace_back(reasonName(reason));
    }
    kinds.emplace_back("identity_collision");
  }
  return kinds;
}

void runStatic(const DaemonSettings& settings, LeadershipServer& server, ElectorMetrics& metrics,
               ElectorStatus& status, const sigset_t& signals) {
  const bool leader = settings.role == "leader";
  LeadershipEvent event = followerEvent(0, "", settings.leaseTtl);
  if (leader) {
    event.role = LeadershipRole::Leader;
    event.epoch = 1;
    event.holder = settings.id;
  }
  std::optional<LeadershipEvent> last;
  do {
    publish(server, metrics, status, event, last, "static_role");
  } while (!waitForStop(signals, std::chrono::steady_clock::now() + settings.leaseTtl / 3));
  publish(server, metrics, status, followerEvent(event.epoch, "", settings.leaseTtl), last,
          "stopping");
}

/// The redis and file backends: the Election state machine over `store`.
/// A token for the presence lease: our id and 128 random bits.
std::string presenceToken(const std::string& id) {
  std::random_device device;
  std::ostringstream out;
  out << id << ':' << std::hex;
  for (int i = 0; i < 4; ++i) {
    out << device();
  }
  return out.str();
}

/// `id` with every byte outside [A-Za-z0-9._-] replaced by '_', for a file name.
std::string fileNamePart(std::string id) {
  for (char& c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      c = '_';
    }
  }
  return id;
}

/// Shows the backend as failing while the election's or the presence lease's calls fail, since
/// the earlier of the two.
void noteBackendState(ElectorMetrics& metrics, ElectorStatus& status, const Election& election,
                      const IdentityGuard& identity) {
  std::optional<Clock::TimePoint> since = election.storeFailingSince();
  std::string error = election.lastStoreError();
  if (const auto presence = identity.failingSince(); presence && (!since || *presence < *since)) {
    since = presence;
    error = identity.lastError();
  }
  metrics.setBackendFailing(since, error);
  status.setBackend(since, error);
}

/// The Redis and file backends: campaigns for the lease in `store` once the presence lease of our
/// id (`presence`, in `presenceStore`) is ours. Returns kExitConfig when another live elector
/// holds our id (F-25), at start or later; kExitOk after a stop signal.
int runElection(const DaemonSettings& settings, LeaseStore& store, LeaseStore& presenceStore,
                const std::string& presenceKey, LeadershipServer& server, ElectorMetrics& metrics,
                ElectorStatus& status, const sigset_t& signals) {
  SystemClock clock;
  ElectionConfig config;
  config.key = settings.leaseKey;
  config.nodeId = settings.id;
  config.ttl = settings.leaseTtl;
  // Short TTLs (tests, small sites) keep a useful window between renews and the deadline.
  config.margin = std::min(std::chrono::milliseconds(1000), settings.leaseTtl / 4);
  config.retryInterval = std::min(std::chrono::milliseconds(1000), settings.leaseTtl / 3);
  config.collectorGrace = settings.collectorGrace;  // 0: the lease TTL
  Election election(store, clock, config);
  IdentityGuard identity(presenceStore, clock, presenceKey, presenceToken(settings.id),
                         settings.leaseTtl);

  const auto followerRefresh = settings.leaseTtl / 3;
  std::optional<LeadershipEvent> last;
  bool campaigning = false;  // from the first time the presence lease is ours
  int code = kExitOk;
  bool stop = false;
  while (!stop) {
    // A replica leads only with a collector on the socket to act on it (issue 12, item 8).
    const std::optional<Clock::TimePoint> collectorAbsentSince = server.noClientSince();
    election.setCollector(collectorAbsentSince);
    metrics.setCollector(collectorAbsentSince);
    const IdentityGuard::State presence = identity.step();
    if (presence == IdentityGuard::State::Collision) {
      logger().error(
          "msg=\"another elector is running with this id: refusing to run twice under one name "
          "(give each replica its own --id / ELECTOR_ID)\" id=%s presence_key=%s other=%s",
          quoted(settings.id), quoted(identity.key()), quoted(identity.otherHolder()));
      metrics.countError("identity_collision");
      code = kExitConfig;
      break;
    }
    if (presence == IdentityGuard::State::Held && !campaigning) {
      campaigning = true;
      logger().information("msg=\"id claimed\" id=%s presence_key=%s", quoted(settings.id),
                           quoted(identity.key()));
    }
    if (!campaigning) {
      metrics.setBackendFailing(identity.failingSince(), identity.lastError());
      status.setBackend(identity.failingSince(), identity.lastError());
      if (!last) {
        logger().information("msg=\"checking that no other elector runs with this id\" id=%s",
                             quoted(settings.id));
      }
      publish(server, metrics, status, followerEvent(0, "", settings.leaseTtl), last,
              "checking_id");
      stop = waitForStop(signals, identity.wakeAt());
      continue;
    }
    std::array<std::uint64_t, std::size(kErrorReasons)> before{};
    for (std::size_t i = 0; i < before.size(); ++i) {
      before[i] = election.count(kErrorReasons[i]);
    }
    const std::uint64_t callsBefore = election.storeCalls();
    const auto t0 = clock.steadyNow();
    const Decision decision = election.step();
    const auto now = clock.steadyNow();
    metrics.observeRenew(secondsSince(t0, clock));
    if (election.storeCalls() != callsBefore) {
      status.noteRoundTrip(t0, std::chrono::duration_cast<std::chrono::microseconds>(now - t0),
                           election.lastAnswerAt());
    }
    for (std::size_t i = 0; i < before.size(); ++i) {
      const std::uint64_t after = election.count(kErrorReasons[i]);
      for (std::uint64_t n = before[i]; n < after; ++n) {
        metrics.countError(reasonName(kErrorReasons[i]));
      }
    }
    // From the calls' outcomes, not from this step: a step that made no call (a backoff, a
    // wake-up between retries) says nothing about the backend (issue 12, item 9).
    noteBackendState(metrics, status, election, identity);
    publish(server, metrics, status, eventFor(decision, now, settings.leaseTtl), last,
            reasonName(decision.reason));
    stop =
        waitForStop(signals, std::min({decision.wakeAt, identity.wakeAt(), now + followerRefresh}));
  }
  const std::uint64_t epoch = static_cast<std::uint64_t>(election.current().epoch);
  election.stop();  // compare-token release: the other replica may take over at once
  identity.release();
  publish(server, metrics, status, followerEvent(epoch, "", settings.leaseTtl), last, "stopping");
  return code;
}

/// The kubernetes backend: follows the leader-elector sidecar.
void runKubernetes(const DaemonSettings& settings, LeadershipServer& server,
                   ElectorMetrics& metrics, ElectorStatus& status, const sigset_t& signals) {
  SystemClock clock;
  HttpLeaderSource source(settings.kubernetesUrl, settings.kubernetesTimeout);
  KubernetesConfig config;
  config.me = settings.id;
  config.pollInterval = settings.kubernetesPollInterval;
  config.requestTimeout = settings.kubernetesTimeout;
  config.lease = settings.leaseTtl;
  KubernetesElection election(source, clock, config);

  std::optional<LeadershipEvent> last;
  std::optional<Clock::TimePoint> failingSince;  // for the status page
  bool stop = false;
  while (!stop) {
    const auto t0 = clock.steadyNow();
    const Decision decision = election.step();
    const auto now = clock.steadyNow();
    metrics.observeRenew(secondsSince(t0, clock));
    const bool ok = election.failure().empty();
    if (!ok) {
      metrics.countError(election.failure());
    }
    metrics.noteBackend(ok, now);
    if (ok) {
      failingSince.reset();
    } else if (!failingSince) {
      failingSince = t0;
    }
    status.noteRoundTrip(t0, std::chrono::duration_cast<std::chrono::microseconds>(now - t0),
                         ok ? std::optional<Clock::TimePoint>(t0) : std::nullopt);
    status.setBackend(failingSince, "leader-elector sidecar: " + election.failure());
    publish(server, metrics, status, eventFor(decision, now, settings.leaseTtl), last,
            reasonName(decision.reason));
    stop = waitForStop(signals, decision.wakeAt);
  }
  // Nothing to release: the sidecar owns the lease. The collector must stop leading now.
  publish(
      server, metrics, status,
      followerEvent(static_cast<std::uint64_t>(election.current().epoch), "", settings.leaseTtl),
      last, "stopping");
}

/// What the status page shows of the settings: id, backend and where it is, socket, lease.
StatusIdentity statusIdentity(const DaemonSettings& settings) {
  StatusIdentity identity;
  identity.id = settings.id;
  identity.backend = settings.backend;
  if (settings.backend == "redis") {
    const std::string& host = settings.redis.host;
    identity.address = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                       std::to_string(settings.redis.port);
  } else if (settings.backend == "kubernetes") {
    identity.address = settings.kubernetesUrl;
  } else if (settings.backend == "file") {
    identity.address = settings.filePath;
  }
  identity.socketPath = settings.socketPath;
  identity.leaseTtl = settings.leaseTtl;
  return identity;
}

}  // namespace

ParsedSettings parseSettings(const std::vector<std::string>& args,
                             const std::function<const char*(const char*)>& getenv) {
  ParsedSettings parsed;
  ConfigSources sources;
  bool check = false;
  // Flags first, so --help and a bad flag win over bad settings.
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      parsed.exitCode = kExitOk;
      parsed.output = usageText();
      return parsed;
    }
    if (arg == "--version") {
      parsed.exitCode = kExitOk;
      parsed.output = std::string("elector ") + ELECTOR_VERSION + "\n";
      return parsed;
    }
    if (arg == "--config.check") {
      check = true;
      continue;
    }
    const std::size_t equals = arg.find('=');
    const std::string name = arg.substr(0, equals);
    const std::string bare = name.rfind("--", 0) == 0 ? name.substr(2) : "";
    if (bare != "config.file" && !isSettingFlag(bare)) {
      parsed.exitCode = kExitUsage;
      parsed.output = "elector: unknown flag \"" + name + "\" (see --help)\n";
      return parsed;
    }
    std::string value;
    if (equals != std::string::npos) {
      value = arg.substr(equals + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      parsed.exitCode = kExitUsage;
      parsed.output = "elector: flag " + name + " needs a value (see --help)\n";
      return parsed;
    }
    if (bare == "config.file") {
      sources.file = value;
    } else {
      sources.flags[bare] = value;
    }
  }
  for (const std::string& variable : configEnvironmentNames()) {
    const char* value = getenv(variable.c_str());
    if (value != nullptr) {
      sources.env[variable] = value;
    }
  }
  try {
    parsed.settings = loadElectorConfig(sources);
  } catch (const ConfigException& error) {
    parsed.exitCode = kExitConfig;
    for (const std::string& problem : error.problems()) {
      parsed.output += "elector: " + problem + "\n";
    }
    return parsed;
  }
  if (check) {
    parsed.exitCode = kExitOk;
    parsed.output = parsed.settings.describe();
  }
  return parsed;
}

int runDaemon(const DaemonSettings& settings) {
  // hiredis writes with write(2): a reset connection must give EPIPE, not kill the process.
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  // Blocked before any thread starts, so only sigtimedwait in the loop takes them.
  ::pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  logger().information(
      "msg=\"starting\" version=%s backend=%s id=%s socket=%s lease_key=%s lease_ttl_ms=%?d "
      "config_file=%s",
      std::string(ELECTOR_VERSION), settings.backend, quoted(settings.id),
      quoted(settings.socketPath), quoted(settings.leaseKey), settings.leaseTtl.count(),
      quoted(settings.configFile));
  if (settings.backend == "redis") {
    logger().information("msg=\"redis\" address=%s:%d auth=%s", settings.redis.host,
                         settings.redis.port,
                         std::string(settings.redisPassword.isSet() ? "yes" : "no"));
  } else if (settings.backend == "kubernetes") {
    logger().information("msg=\"kubernetes\" url=%s poll_ms=%?d timeout_ms=%?d",
                         quoted(settings.kubernetesUrl), settings.kubernetesPollInterval.count(),
                         settings.kubernetesTimeout.count());
  } else if (settings.backend == "file") {
    logger().information("msg=\"file lock (host-local only)\" path=%s", quoted(settings.filePath));
  }

  LeadershipServer server(settings.socketPath);
  ElectorMetrics metrics(settings.backend, errorKinds(settings.backend),
                         [&server] { return server.clientCount(); });
  SystemClock clock;
  ElectorStatus page(statusIdentity(settings), clock, [&server] { return server.clients(); });
  std::unique_ptr<StatusServer> status;
  try {
    server.start();
  } catch (const Poco::Exception& error) {
    logger().error("msg=\"cannot serve the leadership socket\" error=%s",
                   quoted(error.displayText()));
    return kExitFailure;
  }
  if (!settings.listenAddress.empty() && settings.listenAddress != "-") {
    try {
      status = std::make_unique<StatusServer>(settings.listenAddress, metrics, page, clock,
                                              settings.leaseTtl);
      status->start();
      logger().information("msg=\"http listening\" address=%s port=%d",
                           quoted(settings.listenAddress), status->port());
    } catch (const Poco::Exception& error) {
      status.reset();
      if (settings.sources.count("web.listen_address") != 0) {
        logger().error("msg=\"cannot serve the HTTP port\" address=%s error=%s",
                       quoted(settings.listenAddress), quoted(error.displayText()));
        server.stop();
        return kExitFailure;
      }
      // Only the built-in default: several electors on one host (the file backend, tests) must
      // not die because a neighbour holds the default port. A port the operator chose is fatal.
      logger().warning("msg=\"HTTP port disabled: default address in use\" address=%s error=%s",
                       quoted(settings.listenAddress), quoted(error.displayText()));
    }
  }
  int code = kExitOk;
  try {
    if (settings.backend == "static") {
      runStatic(settings, server, metrics, page, signals);
    } else if (settings.backend == "kubernetes") {
      runKubernetes(settings, server, metrics, page, signals);
    } else if (settings.backend == "file") {
      FileLeaseStore store(settings.filePath);
      // fcntl locks die with their process: a held presence lock is a live elector.
      FileLeaseStore presence(settings.filePath + ".member." + fileNamePart(settings.id));
      code =
          runElection(settings, store, presence, presence.path(), server, metrics, page, signals);
    } else {
      RedisOptions options = settings.redis;
      options.password = settings.redisPassword.reveal();
      // The deadline is checked between Redis calls: a call must not outlast a fraction of the
      // lease, or a leader would announce its step-down late during a Redis outage.
      const auto bound = std::max(std::chrono::milliseconds(20), settings.leaseTtl / 8);
      options.commandTimeout = std::min(options.commandTimeout, bound);
      options.connectTimeout = std::min(options.connectTimeout, bound);
      RedisLeaseStore store(options);
      code = runElection(settings, store, store, settings.leaseKey + ":member:" + settings.id,
                         server, metrics, page, signals);
    }
  } catch (const std::exception& error) {
    logger().error("msg=\"elector failed\" error=%s", quoted(error.what()));
    code = kExitFailure;
  }
  if (status) {
    status->stop();
  }
  server.stop();
  if (code == kExitOk) {
    logger().information("msg=\"stopped\"");
  }
  return code;
}

}  // namespace elector
