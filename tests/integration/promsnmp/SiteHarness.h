#pragma once

// Pieces of a loopback site shared by the integration and fault suites: finding programs,
// reading logs, a redis-server of their own, a stand-in elector socket, and a fixture base for
// a whole site of real elector + promsnmp pairs (ElectorSiteFixture). Header-only; namespace
// testing.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <cppunit/extensions/HelperMacros.h>

#include "DaemonHelpers.h"
#include "ElectorHarness.h"
#include "ProcessHelpers.h"

namespace testing {

/// The full path of `name` on $PATH, or "" when it is not there.
inline std::string findProgram(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return "";
}

/// The last `lines` lines of a log file (for failure messages).
inline std::string tailOf(const std::string& path, std::size_t lines = 25) {
  std::ifstream in(path);
  std::vector<std::string> all;
  std::string line;
  while (std::getline(in, line)) {
    all.push_back(line);
  }
  std::string out = "--- " + path + "\n";
  for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) {
    out += all[i] + "\n";
  }
  return out;
}

/// The size of a file (0 when absent), to read what a log gained later.
inline std::size_t fileSize(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<std::size_t>(st.st_size) : 0;
}

/// One inline command to 127.0.0.1:port over RESP with a 500 ms timeout; returns the raw
/// reply, or "" when nothing answered.
inline std::string redisCommand(int port, const std::string& command) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return "";
  }
  timeval timeout{0, 500000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  std::string reply;
  const std::string line = command + "\r\n";
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size())) {
    // A reply is one line, or a bulk header line plus its payload line.
    char buffer[1024];
    ssize_t n = 0;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0) {
      reply.append(buffer, static_cast<std::size_t>(n));
      const std::size_t first = reply.find("\r\n");
      if (first == std::string::npos) {
        continue;
      }
      if (reply[0] != '$' || reply.compare(0, 3, "$-1") == 0 ||
          reply.find("\r\n", first + 2) != std::string::npos) {
        break;
      }
    }
  }
  ::close(fd);
  return reply;
}

/// redis-server on 127.0.0.1 and a free port, without persistence; restartable on that port.
class RedisProcess {
 public:
  RedisProcess(std::string dir, std::string logPath)
      : dir_(std::move(dir)), log_(std::move(logPath)), port_(freeTcpPort()) {
    start();
  }

  /// Starts it (again) and waits for PING to answer, at most 10 s.
  void start() {
    const std::string binary = findProgram("redis-server");
    if (binary.empty()) {
      throw std::runtime_error("redis-server is not on PATH");
    }
    std::vector<std::string> argv{binary, "--port", std::to_string(port_), "--bind", "127.0.0.1"};
    argv.insert(argv.end(), extraBinds_.begin(), extraBinds_.end());
    if (!extraBinds_.empty()) {
      argv.insert(argv.end(), {"--protected-mode", "no"});
    }
    for (const char* arg : {"--save", "", "--appendonly", "no", "--dir"}) {
      argv.emplace_back(arg);
    }
    argv.insert(argv.end(), {dir_, "--logfile", log_});
    process_ = std::make_unique<elector_test::ChildProcess>(argv, log_, env_);
    const auto until = elector_test::Steady::now() + std::chrono::seconds(10);
    while (elector_test::Steady::now() < until) {
      if (command("PING").rfind("+PONG", 0) == 0) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("redis-server did not answer PING within 10 s");
  }

  int port() const { return port_; }
  /// Also listens on `addresses` (besides 127.0.0.1) from now on and after every restart, e.g.
  /// the root-side end of a veth into a test's own network namespace; they must exist. Protected
  /// mode (loopback clients only, as no password is set) is turned off for them: nothing but
  /// those addresses is listened on. Throws with Redis's answer when CONFIG SET fails.
  void bindAlso(const std::vector<std::string>& addresses) {
    extraBinds_ = addresses;
    for (const std::string& setting :
         {"bind \"" + bindList() + "\"", std::string("protected-mode no")}) {
      const std::string reply = command("CONFIG SET " + setting);
      if (reply.rfind("+OK", 0) != 0) {
        throw std::runtime_error("CONFIG SET " + setting + ": " + reply);
      }
    }
  }
  /// Added to the environment of the next start() (e.g. an LD_PRELOAD fault layer).
  void setEnvironment(std::map<std::string, std::string> env) { env_ = std::move(env); }
  void kill9() { process_.reset(); }  // SIGKILL and reap
  void pause() const { process_->send(SIGSTOP); }
  void resume() const {
    if (process_) {
      process_->send(SIGCONT);
    }
  }
  std::string command(const std::string& c) const { return redisCommand(port_, c); }
  /// The value of `key`, "" when absent or Redis does not answer.
  std::string get(const std::string& key) const {
    const std::string reply = command("GET " + key);
    if (reply.empty() || reply[0] != '$' || reply.compare(0, 3, "$-1") == 0) {
      return "";
    }
    const std::size_t start = reply.find("\r\n") + 2;
    const std::size_t end = reply.find("\r\n", start);
    return end == std::string::npos ? "" : reply.substr(start, end - start);
  }

 private:
  std::string bindList() const {
    std::string list = "127.0.0.1";
    for (const std::string& address : extraBinds_) {
      list += " " + address;
    }
    return list;
  }

  std::string dir_;
  std::string log_;
  int port_;
  std::vector<std::string> extraBinds_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<elector_test::ChildProcess> process_;
};

/// A stand-in elector: accepts one collector on a Unix socket and writes the lines it is given.
class FakeElector {
 public:
  explicit FakeElector(const std::string& path) {
    listen_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    if (::bind(listen_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_, 4) != 0) {
      throw std::runtime_error("cannot listen on " + path);
    }
  }
  ~FakeElector() {
    if (client_ >= 0) {
      ::close(client_);
    }
    ::close(listen_);
  }
  /// Waits (at most 10 s) for the collector to connect.
  void accept() {
    timeval timeout{10, 0};
    ::setsockopt(listen_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    client_ = ::accept(listen_, nullptr, nullptr);
    if (client_ < 0) {
      throw std::runtime_error("the collector did not connect to the elector socket");
    }
  }
  void send(const std::string& line) {
    std::string data = line + "\n";
    if (::write(client_, data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
      throw std::runtime_error("write to the collector failed");
    }
  }
  void disconnect() {
    ::close(client_);
    client_ = -1;
  }

 private:
  int listen_ = -1;
  int client_ = -1;
};

/// One elector + promsnmp pair of an ElectorSiteFixture; its files live in `dir`.
struct Replica {
  std::string id;
  std::string dir;
  std::unique_ptr<elector_test::ChildProcess> elector;
  std::unique_ptr<Daemon> collector;

  std::string socket() const { return dir + "/elector.sock"; }
  std::string electorLog() const { return dir + "/elector.log"; }
  std::string collectorLog() const { return dir + "/promsnmp.log"; }
  /// The collector's HTTP port, 0 when it is down.
  int port() const { return collector && collector->pid() > 0 ? collector->port() : 0; }
  /// Whether the elector runs (one that exited is reaped) and the collector was not stopped.
  bool up() const { return elector && elector->running() && collector && collector->pid() > 0; }
  /// The status of GET /promsnmp/leader (0 when the collector is down or does not answer).
  int leaderStatus(int timeoutMs = 500) const { return get("/promsnmp/leader", timeoutMs); }
  int get(const std::string& path, int timeoutMs = 1000) const {
    const int p = port();
    return p == 0 ? 0 : httpRequest(p, "GET", path, {}, {}, timeoutMs).status;
  }
  int post(const std::string& path, const std::string& body, int timeoutMs = 5000) const {
    const int p = port();
    return p == 0 ? 0 : httpRequest(p, "POST", path, {}, body, timeoutMs).status;
  }
  std::string logs() const { return tailOf(electorLog()) + tailOf(collectorLog()); }
};

/// One entry of `promsnmp-inventory --json history`.
struct Slot {
  uint64_t version = 0;
  uint64_t epoch = 0;
  std::string writer;
  bool admin = false;
  bool ok = false;
  uint64_t devices = 0;
};

/// How an elector is started: `prefix` runs it (ip netns exec …), `redisHost` is where it finds
/// Redis, `env` is added to its environment (libfaketime).
struct ElectorLaunch {
  std::vector<std::string> prefix;
  std::string redisHost = "127.0.0.1";
  std::map<std::string, std::string> env;
};

/// What differs between the sites of ElectorSiteFixture's users.
struct SiteConfig {
  int replicas = 3;
  long ttlMs = 2000;                                // --lease.ttl of every elector
  std::string leaseKey;                             // --lease.key of every elector
  std::string encryptKey;                           // PROM_ENCRYPT_KEY of the shared inventory
  std::map<std::string, std::string> collectorEnv;  // added to every collector's environment
};

/// A CppUnit fixture base for a whole site on loopback: one redis-server (no persistence) and
/// `replicas` pairs r0, r1, … of a real elector (Redis backend) and a promsnmp collector on its
/// socket, sharing one inventory directory. setUp() starts them all; tearDown() stops every
/// process, paused ones too. A derived fixture overriding them calls startSite() and
/// stopReplicas() itself. Every wait has a deadline. Not thread-safe.
class ElectorSiteFixture : public CppUnit::TestFixture {
 public:
  explicit ElectorSiteFixture(SiteConfig config) : config_(std::move(config)) {}

  void setUp() override { startSite(); }

  void tearDown() override {
    stopReplicas();
    redis_.reset();
    dir_.reset();
  }

 protected:
  /// A temp dir with an initialised shared inventory, Redis, and every pair started.
  void startSite() {
    dir_ = std::make_unique<TempDir>();
    ::mkdir((dir_->path() + "/share").c_str(), 0755);
    ::mkdir((dir_->path() + "/redis").c_str(), 0755);
    inventoryCli(sharedEnv(), {"init"});
    redis_ = std::make_unique<RedisProcess>(dir_->path() + "/redis", dir_->path() + "/redis.log");
    replicas_.clear();
    replicas_.resize(static_cast<std::size_t>(config_.replicas));
    for (int i = 0; i < config_.replicas; ++i) {
      replicas_[i].id = "r" + std::to_string(i);
      replicas_[i].dir = dir_->path() + "/" + replicas_[i].id;
      ::mkdir(replicas_[i].dir.c_str(), 0755);
      startElector(i);
      startCollector(i);
    }
  }

  /// Resumes Redis and every process, then kills and reaps every collector and elector.
  void stopReplicas() {
    // Resume everything first: a stopped process would hold SIGTERM pending until killed.
    if (redis_) {
      redis_->resume();
    }
    for (Replica& r : replicas_) {
      if (r.elector) {
        r.elector->send(SIGCONT);
      }
      if (r.collector && r.collector->pid() > 0) {
        r.collector->signal(SIGCONT);
      }
    }
    for (Replica& r : replicas_) {
      if (r.collector && r.collector->pid() > 0) {
        r.collector->signal(SIGKILL, 5000);
      }
      r.collector.reset();
      r.elector.reset();  // SIGKILL and reap
    }
  }

  /// The environment of the inventory CLI and of every collector: the shared inventory.
  std::map<std::string, std::string> sharedEnv() const {
    return {{"PROM_INV_FILE", dir_->path() + "/share/promsnmp-inventory.json"},
            {"PROM_ENCRYPT_KEY", config_.encryptKey},
            {"PROM_INV_KEEP", "200"}};
  }

  /// Starts (or restarts) the elector of replica `i` as `launch` says.
  void startElector(int i, const ElectorLaunch& launch = {}) {
    Replica& r = replicas_[i];
    r.elector.reset();
    ::unlink(r.socket().c_str());
    std::vector<std::string> argv = launch.prefix;
    argv.insert(argv.end(), {elector_test::kElectorBinary, "--backend", "redis", "--redis.address",
                             launch.redisHost + ":" + std::to_string(redis_->port()), "--id", r.id,
                             "--socket", r.socket(), "--lease.ttl", std::to_string(config_.ttlMs),
                             "--lease.key", config_.leaseKey});
    std::map<std::string, std::string> env = launch.env;
    // Several electors on one host: no status listener on the shared default port (an
    // environment variable, so an elector without that setting still starts).
    env["ELECTOR_WEB_LISTEN_ADDRESS"] = "-";
    r.elector = std::make_unique<elector_test::ChildProcess>(argv, r.electorLog(), env);
  }

  /// Starts (or restarts) the collector of replica `i` on its elector's socket.
  void startCollector(int i) {
    Replica& r = replicas_[i];
    r.collector.reset();
    std::map<std::string, std::string> env = sharedEnv();
    env["PROMSNMP_STATE_DIR"] = r.dir + "/state";
    env["PROMSNMP_ELECTOR_SOCKET"] = r.socket();
    for (const auto& [name, value] : config_.collectorEnv) {
      env[name] = value;
    }
    r.collector = std::make_unique<Daemon>(r.dir, env);
  }

  /// Which replica holds the Redis lease (-1 if none or Redis does not answer).
  int leaseHolder() const {
    const std::string value = redis_->get(config_.leaseKey);
    for (int i = 0; i < config_.replicas; ++i) {
      if (value.rfind(replicas_[i].id + ":", 0) == 0) {
        return i;
      }
    }
    return -1;
  }

  /// Waits until the lease holder is up and its collector answers 200 on /promsnmp/leader;
  /// returns it. Fails the test after `timeout`.
  int waitForLeader(std::chrono::milliseconds timeout) {
    const auto until = elector_test::Steady::now() + timeout;
    while (elector_test::Steady::now() < until) {
      const int holder = leaseHolder();
      if (holder >= 0 && replicas_[holder].up() && replicas_[holder].leaderStatus() == 200) {
        return holder;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CPPUNIT_FAIL("no leader within " + std::to_string(timeout.count()) + " ms (holder " +
                 redis_->get(config_.leaseKey) + ")\n" + allLogs());
    return -1;
  }

  /// Polls every replica but `excluded` until one answers 200 on /promsnmp/leader or `until`
  /// passes; returns its index, or -1.
  int waitForLeaderOtherThan(int excluded, elector_test::Steady::time_point until) const {
    while (elector_test::Steady::now() < until) {
      for (int i = 0; i < config_.replicas; ++i) {
        if (i != excluded && replicas_[i].leaderStatus(300) == 200) {
          return i;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }

  /// POSTs `body` to /promsnmp/inventory, retrying 503 for at most 3 s; returns the last status.
  int postUntilAccepted(const Replica& r, const std::string& body) {
    int status = 0;
    const auto until = elector_test::Steady::now() + std::chrono::milliseconds(3000);
    do {
      status = r.post("/promsnmp/inventory", body);
      if (status != 503) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (elector_test::Steady::now() < until);
    return status;
  }

  /// The kept slots, oldest first, from `promsnmp-inventory --json history`; throws
  /// std::runtime_error when there are none.
  std::vector<Slot> history() const {
    const std::string text = inventoryCli(sharedEnv(), {"--json", "history"});
    Poco::JSON::Parser parser;
    Poco::JSON::Array::Ptr array = parser.parse(text).extract<Poco::JSON::Array::Ptr>();
    std::vector<Slot> chain;
    for (std::size_t i = 0; i < array->size(); ++i) {
      Poco::JSON::Object::Ptr e = array->getObject(static_cast<unsigned>(i));
      Slot s;
      s.version = e->getValue<uint64_t>("version");
      s.ok = e->optValue<bool>("ok", false);
      s.epoch = e->optValue<uint64_t>("epoch", 0);
      s.writer = e->optValue<std::string>("writer", "");
      s.admin = e->optValue<bool>("admin", false);
      s.devices = e->optValue<uint64_t>("devices", 0);
      chain.push_back(s);
    }
    std::sort(chain.begin(), chain.end(),
              [](const Slot& a, const Slot& b) { return a.version < b.version; });
    if (chain.empty()) {
      throw std::runtime_error("empty history: " + text);
    }
    return chain;
  }

  /// The tail of every replica's elector and collector log (for failure messages).
  std::string allLogs() const {
    std::string out;
    for (const Replica& r : replicas_) {
      out += r.logs();
    }
    return out;
  }

  SiteConfig config_;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<RedisProcess> redis_;
  std::vector<Replica> replicas_;
};

}  // namespace testing
