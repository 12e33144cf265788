#include "ElectorConfig.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include <Poco/URI.h>

#include "common/SettingKinds.h"
#include "elector/LeadershipEvent.h"

namespace elector {

namespace {

using common::quoted;
using common::text;
using common::withFlag;
using Ms = std::chrono::milliseconds;
using Row = common::Setting<ElectorConfig>;

/// "host:port" or "[v6]:port" with a port minPort..65535; the problem text, or "" when fine.
std::string splitHostPort(const std::string& value, std::string& host, int& port, int minPort = 1) {
  std::string portText;
  if (!value.empty() && value.front() == '[') {
    const std::size_t close = value.find(']');
    if (close == std::string::npos || close + 1 >= value.size() || value[close + 1] != ':') {
      return "expected [host]:port (got " + quoted(value) + ")";
    }
    host = value.substr(1, close - 1);
    portText = value.substr(close + 2);
  } else {
    const std::size_t colon = value.rfind(':');
    if (colon == std::string::npos) {
      return "expected host:port (got " + quoted(value) + ")";
    }
    host = value.substr(0, colon);
    portText = value.substr(colon + 1);
  }
  const auto number = portText.find_first_not_of("0123456789") == std::string::npos
                          ? common::parseInteger(portText)
                          : std::nullopt;
  if (host.empty() || !number || *number < minPort || *number > 65535) {
    return "expected host:port with a port " + std::to_string(minPort) + "..65535 (got " +
           quoted(value) + ")";
  }
  port = static_cast<int>(*number);
  return "";
}

/// Plain http only: the sidecar serves HTTP on the pod's localhost.
std::string checkHttpUrl(const std::string& value) {
  std::string problem = "expected http://host[:port][/path] (got " + quoted(value) + ")";
  try {
    const Poco::URI uri(value);
    return uri.getScheme() == "http" && !uri.getHost().empty() ? "" : problem;
  } catch (const Poco::SyntaxException&) {
    return problem;
  }
}

// ---------------------------------------------------------------------------------------------
// The settings table: one row per setting with its file key, environment variables (first set
// one wins), flag, default, bounds and how it is shown. common::SettingsTable reads the sources.
// The elector words its own problems ("expected …"), which its operators and tests know.

/// A string from `allowed`, exactly as given.
common::Validator oneOf(std::vector<std::string> allowed) {
  return [allowed = std::move(allowed)](const std::string& v) -> std::string {
    if (std::find(allowed.begin(), allowed.end(), v) != allowed.end()) {
      return "";
    }
    std::string list;
    for (const auto& a : allowed) {
      list += (list.empty() ? "" : "|") + a;
    }
    return "expected " + list + " (got " + quoted(v) + ")";
  };
}

std::string nonEmpty(const std::string& v) { return v.empty() ? "must not be empty" : ""; }

/// The holder name the leadership protocol carries (at most half its holder limit).
std::string checkId(const std::string& v) {
  if (v.empty() || v.size() > kMaxHolderBytes / 2) {
    return "expected 1.." + std::to_string(kMaxHolderBytes / 2) + " bytes";
  }
  return "";
}

/// A Unix socket path (sun_path holds 108 bytes).
std::string checkSocket(const std::string& v) {
  return v.empty() ? "must not be empty" : v.size() > 100 ? "path too long" : "";
}

/// host:port, or :port for every interface; port 0 picks a free port (tests; the port is
/// logged); empty or "-" disables the HTTP port.
std::string checkListenAddress(const std::string& v) {
  if (v.empty() || v == "-") {
    return "";
  }
  std::string host;
  int port = 0;
  return splitHostPort(v.front() == ':' ? "0.0.0.0" + v : v, host, port, 0);
}

/// Milliseconds within [min, max]: a number, or with a unit (common::parseDurationMs).
Row duration(std::string key, std::vector<std::string> env, std::string flag,
             Ms ElectorConfig::*member, std::int64_t value, std::int64_t min, std::int64_t max,
             std::string help) {
  Row row = withFlag(
      common::duration(std::move(key), std::move(env), member, value, min, max, std::move(help)),
      std::move(flag));
  row.fromText = [read = row.fromText, min, max](ElectorConfig& c, const std::string& v) {
    return read(c, v).empty()
               ? std::string()
               : "expected milliseconds " + std::to_string(min) + ".." + std::to_string(max) +
                     " (a number, or with a unit: 2s, 500ms) (got " + quoted(v) + ")";
  };
  return row;
}

/// REDIS_URL (environment only): redis://[user][:password@]host:port[/db]. Sets the address and
/// a password that redis.password and redis.password_file override. Messages never contain
/// the password.
Row redisUrl() {
  Row def = common::environmentOnly(
      common::named<ElectorConfig>(
          "redis.url", {"REDIS_URL"},
          "redis://[:password@]host:port: the Redis address, and a password"),
      "set redis.address and redis.password (or REDIS_URL in the environment) instead");
  def.sourceKey = "redis.address";
  def.shown = false;
  def.setDefault = [](ElectorConfig&) {};
  def.fromText = [](ElectorConfig& c, const std::string& url) -> std::string {
    std::string problem = "expected redis://[:password@]host:port";
    const std::string scheme = "redis://";
    if (url.rfind(scheme, 0) != 0) {
      return problem;
    }
    std::string rest = url.substr(scheme.size());
    std::optional<std::string> password;
    const std::size_t at = rest.rfind('@');
    if (at != std::string::npos) {
      const std::string userInfo = rest.substr(0, at);
      const std::size_t colon = userInfo.find(':');
      password = colon == std::string::npos ? "" : userInfo.substr(colon + 1);
      rest = rest.substr(at + 1);
    }
    rest = rest.substr(0, rest.find('/'));
    std::string host;
    int port = 0;
    if (!splitHostPort(rest, host, port).empty()) {
      return problem;
    }
    c.redis.host = host;
    c.redis.port = port;
    if (password && !password->empty() && !c.redisPassword.isSet()) {
      c.redisPassword = common::Secret(*password);
      c.sources["redis.password"] = "env REDIS_URL";
    }
    return "";
  };
  def.show = [](const ElectorConfig&) { return std::string(); };
  return def;
}

std::vector<Row> buildTable() {
  using C = ElectorConfig;
  std::vector<Row> t;
  t.push_back(withFlag(text("backend", {"ELECTOR_BACKEND"}, &C::backend, "redis",
                            oneOf({"redis", "kubernetes", "file", "static"}),
                            "where the lease lives: redis|kubernetes|file|static"),
                       "backend"));
  Row id = withFlag(text("id", {"ELECTOR_ID", "POD_NAME"}, &C::id, "", checkId,
                         "this replica's name; empty: hostname:pid (kubernetes: hostname)"),
                    "id");
  id.envFallbacks = true;  // POD_NAME is there in every pod; ELECTOR_ID overrides it
  t.push_back(id);
  t.push_back(
      withFlag(text("socket", {"ELECTOR_SOCKET"}, &C::socketPath, "/run/promsnmp/elector.sock",
                    checkSocket, "Unix socket the collector reads its role from"),
               "socket"));
  t.push_back(duration("lease.ttl_ms", {"ELECTOR_LEASE_TTL_MS"}, "lease.ttl", &C::leaseTtl, 10000,
                       300, kMaxLeaseMs, "how long a lease lasts unless renewed"));
  t.push_back(withFlag(text("lease.key", {"ELECTOR_LEASE_KEY"}, &C::leaseKey, "promsnmp:leader",
                            nonEmpty, "Redis key of the lease"),
                       "lease.key"));
  // 0: the lease TTL (finish() fills it in; --help shows "default 0"); a value given must be
  // within the bounds.
  t.push_back(duration("lease.collector_grace_ms", {"ELECTOR_LEASE_COLLECTOR_GRACE_MS"},
                       "lease.collector-grace", &C::collectorGrace, 0, 100, 600000,
                       "redis/file: step down after this long with no collector (0: TTL)"));
  t.push_back(redisUrl());
  Row address = withFlag(
      common::named<C>("redis.address", {"REDIS_ADDRESS"}, "Redis host:port (or [v6]:port)"),
      "redis.address");
  address.setDefault = [](C& c) {
    c.redis.host = "127.0.0.1";
    c.redis.port = 6379;
  };
  address.fromText = [](C& c, const std::string& v) {
    std::string host;
    int port = 0;
    std::string problem = splitHostPort(v, host, port);
    if (problem.empty()) {
      c.redis.host = host;
      c.redis.port = port;
    }
    return problem;
  };
  address.show = [](const C& c) {
    const bool v6 = c.redis.host.find(':') != std::string::npos;
    return quoted((v6 ? "[" + c.redis.host + "]" : c.redis.host) + ":" +
                  std::to_string(c.redis.port));
  };
  t.push_back(address);
  t.push_back(common::secret("redis.password", {"REDIS_PASSWORD"}, &C::redisPassword,
                             "Redis password (wins over the password file and REDIS_URL's)"));
  t.push_back(text("redis.password_file", {"REDIS_PASSWORD_FILE"}, &C::redisPasswordFile, "",
                   common::anything,
                   "file holding the Redis password (a final line end is dropped)"));
  t.push_back(
      withFlag(text("static.role", {"PROMSNMP_ROLE"}, &C::role, "", oneOf({"leader", "follower"}),
                    "the static backend's fixed role: leader|follower"),
               "role"));
  t.push_back(withFlag(
      text("kubernetes.url", {"ELECTOR_KUBERNETES_URL"}, &C::kubernetesUrl, "http://localhost:4040",
           checkHttpUrl, "the leader-elector sidecar (http only)"),
      "kubernetes.url"));
  t.push_back(duration("kubernetes.poll_interval_ms", {"ELECTOR_KUBERNETES_POLL_INTERVAL_MS"},
                       "kubernetes.poll-interval", &C::kubernetesPollInterval, 1000, 50, 60000,
                       "how often the sidecar is asked"));
  t.push_back(duration("kubernetes.timeout_ms", {"ELECTOR_KUBERNETES_TIMEOUT_MS"},
                       "kubernetes.timeout", &C::kubernetesTimeout, 1000, 10, 60000,
                       "how long one request to the sidecar may take"));
  t.push_back(
      withFlag(text("file.path", {"ELECTOR_FILE_PATH"}, &C::filePath, "/run/promsnmp/elector.lock",
                    nonEmpty, "host-local lock file of the file backend"),
               "file.path"));
  t.push_back(withFlag(text("web.listen_address", {"ELECTOR_WEB_LISTEN_ADDRESS"}, &C::listenAddress,
                            "127.0.0.1:9465", checkListenAddress,
                            "/, /health, /metrics and /healthz (host:port or :port; empty or - "
                            "disables)"),
                       "web.listen-address"));
  t.push_back(withFlag(text("log.level", {"ELECTOR_LOG_LEVEL"}, &C::logLevel, "info",
                            oneOf({"debug", "info", "warn", "error"}), "least severe level logged"),
                       "log.level"));
  t.push_back(withFlag(text("log.format", {"ELECTOR_LOG_FORMAT"}, &C::logFormat, "logfmt",
                            oneOf({"logfmt", "json"}), "log line format"),
                       "log.format"));
  return t;
}

const common::SettingsTable<ElectorConfig>& table() {
  static const common::SettingsTable<ElectorConfig> kTable(buildTable());
  return kTable;
}

std::string hostname() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') {
    return "localhost";
  }
  return host;
}

/// Settings that depend on each other; a problem is blamed on where the first one was set.
void finish(ElectorConfig& config, std::vector<std::string>& problems) {
  const auto blame = [&config](const std::string& key) {
    const auto found = config.sources.find(key);
    return found == config.sources.end() ? key : found->second + ": " + key;
  };
  if (config.id.empty()) {
    // Kubernetes: the sidecar names pods, and a pod's hostname is its name. Elsewhere the pid
    // keeps two electors on one host apart.
    config.id =
        config.backend == "kubernetes" ? hostname() : hostname() + ":" + std::to_string(::getpid());
  }
  if (config.collectorGrace.count() == 0) {
    config.collectorGrace = config.leaseTtl;
  }
  if (config.backend == "static" && config.role.empty()) {
    problems.push_back(blame("static.role") +
                       ": the static backend needs a role: --role leader|follower "
                       "(PROMSNMP_ROLE)");
  }
  if (config.backend == "kubernetes" && config.kubernetesTimeout >= config.leaseTtl) {
    problems.push_back(blame("kubernetes.timeout_ms") + ": must be less than lease.ttl_ms (" +
                       std::to_string(config.leaseTtl.count()) + ")");
  }
  // An explicit password wins over the password file, which wins over the one in REDIS_URL.
  const auto passwordSource = config.sources.find("redis.password");
  const bool explicitPassword =
      passwordSource != config.sources.end() && passwordSource->second != "env REDIS_URL";
  if (!config.redisPasswordFile.empty() && !explicitPassword) {
    std::ifstream in(config.redisPasswordFile);
    std::stringstream content;
    content << in.rdbuf();
    if (!in) {
      problems.push_back(blame("redis.password_file") + ": cannot read " +
                         quoted(config.redisPasswordFile));
    } else {
      std::string password = content.str();
      // Drops the line end an editor leaves (spaces may belong to the password).
      while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) {
        password.pop_back();
      }
      config.redisPassword = common::Secret(password);
      config.sources["redis.password"] = config.sources["redis.password_file"];
    }
  }
}

}  // namespace

ElectorConfig::ElectorConfig() { table().setDefaults(*this); }

std::string ElectorConfig::describe() const { return table().describe("elector", *this); }

ElectorConfig loadElectorConfig(const ConfigSources& sources) {
  return table().loadChecked(sources, finish);
}

std::vector<std::string> configEnvironmentNames() { return table().environmentNames(); }

bool isSettingFlag(const std::string& flag) { return table().hasFlag(flag); }

std::vector<common::SettingInfo> settingsTable() { return table().info(ElectorConfig()); }

}  // namespace elector
