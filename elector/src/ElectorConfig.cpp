#include "ElectorConfig.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <typeinfo>

#include <Poco/URI.h>
#include <libconfig.h++>

#include "elector/LeadershipEvent.h"

namespace elector {

ConfigException::ConfigException(std::vector<std::string> problems)
    : Poco::Exception([&problems] {
        std::string text;
        for (const auto& problem : problems) {
          text += (text.empty() ? "" : "\n") + problem;
        }
        return text;
      }()),
      problems_(std::move(problems)) {}

const char* ConfigException::name() const noexcept { return "Configuration error"; }
const char* ConfigException::className() const noexcept { return typeid(*this).name(); }
Poco::Exception* ConfigException::clone() const { return new ConfigException(*this); }
void ConfigException::rethrow() const { throw *this; }

namespace {

using Ms = std::chrono::milliseconds;

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) {
    return "";
  }
  return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

/// `"text"` with control characters escaped, so odd values are visible in messages.
std::string quote(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned>(c));
      out += hex;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::optional<std::int64_t> parseInteger(const std::string& raw) {
  const std::string text = trim(raw);
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return value;
}

/// Milliseconds: a bare integer, or an integer with a unit ms, s or m ("2s", "500ms").
std::optional<std::int64_t> parseDurationMs(const std::string& raw) {
  const std::string text = trim(raw);
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])) != 0) {
    ++digits;
  }
  const auto number =
      digits > 0 && digits <= 12 ? parseInteger(text.substr(0, digits)) : std::nullopt;
  const std::string unit = text.substr(digits);
  const std::int64_t scale = unit.empty() || unit == "ms" ? 1
                             : unit == "s"                ? 1000
                             : unit == "m"                ? 60000
                                                          : 0;
  if (!number || scale == 0) {
    return std::nullopt;
  }
  return *number * scale;
}

/// "host:port" or "[v6]:port" with a port minPort..65535; the problem text, or "" when fine.
std::string splitHostPort(const std::string& value, std::string& host, int& port, int minPort = 1) {
  std::string portText;
  if (!value.empty() && value.front() == '[') {
    const std::size_t close = value.find(']');
    if (close == std::string::npos || close + 1 >= value.size() || value[close + 1] != ':') {
      return "expected [host]:port (got " + quote(value) + ")";
    }
    host = value.substr(1, close - 1);
    portText = value.substr(close + 2);
  } else {
    const std::size_t colon = value.rfind(':');
    if (colon == std::string::npos) {
      return "expected host:port (got " + quote(value) + ")";
    }
    host = value.substr(0, colon);
    portText = value.substr(colon + 1);
  }
  const auto number = portText.find_first_not_of("0123456789") == std::string::npos
                          ? parseInteger(portText)
                          : std::nullopt;
  if (host.empty() || !number || *number < minPort || *number > 65535) {
    return "expected host:port with a port " + std::to_string(minPort) + "..65535 (got " +
           quote(value) + ")";
  }
  port = static_cast<int>(*number);
  return "";
}

/// Plain http only: the sidecar serves HTTP on the pod's localhost.
std::string checkHttpUrl(const std::string& value) {
  std::string problem = "expected http://host[:port][/path] (got " + quote(value) + ")";
  try {
    const Poco::URI uri(value);
    return uri.getScheme() == "http" && !uri.getHost().empty() ? "" : problem;
  } catch (const Poco::SyntaxException&) {
    return problem;
  }
}

// ---------------------------------------------------------------------------------------------
// The settings table: one row per setting with its file key, environment variables (first set
// one wins), flag, default, bounds and how it is shown. Everything below only walks it.

struct Def {
  std::string key;
  std::vector<std::string> env;
  std::string flag;
  bool inFile = true;
  bool shown = true;
  std::function<void(ElectorConfig&)> setDefault;
  std::function<std::string(ElectorConfig&, const std::string&)> fromText;  // "" = ok
  std::function<std::string(const ElectorConfig&)> show;
};

Def named(std::string key, std::vector<std::string> env, std::string flag) {
  Def def;
  def.key = std::move(key);
  def.env = std::move(env);
  def.flag = std::move(flag);
  return def;
}

Def text(std::string key, std::vector<std::string> env, std::string flag,
         std::string ElectorConfig::*member, const std::string& value,
         const std::function<std::string(const std::string&)>& check = {}) {
  Def def = named(std::move(key), std::move(env), std::move(flag));
  def.setDefault = [=](ElectorConfig& c) { c.*member = value; };
  def.fromText = [=](ElectorConfig& c, const std::string& v) -> std::string {
    std::string problem = check ? check(v) : "";
    if (problem.empty()) {
      c.*member = v;
    }
    return problem;
  };
  def.show = [=](const ElectorConfig& c) { return quote(c.*member); };
  return def;
}

Def choice(std::string key, std::vector<std::string> env, std::string flag,
           std::string ElectorConfig::*member, const std::string& value,
           const std::vector<std::string>& allowed) {
  return text(std::move(key), std::move(env), std::move(flag), member, value,
              [allowed](const std::string& v) -> std::string {
                if (std::find(allowed.begin(), allowed.end(), v) != allowed.end()) {
                  return "";
                }
                std::string list;
                for (const auto& a : allowed) {
                  list += (list.empty() ? "" : "|") + a;
                }
                return "expected " + list + " (got " + quote(v) + ")";
              });
}

std::string nonEmpty(const std::string& v) { return v.empty() ? "must not be empty" : ""; }

Def duration(std::string key, std::vector<std::string> env, std::string flag,
             Ms ElectorConfig::*member, std::int64_t value, std::int64_t min, std::int64_t max) {
  Def def = named(std::move(key), std::move(env), std::move(flag));
  def.setDefault = [=](ElectorConfig& c) { c.*member = Ms(value); };
  def.fromText = [=](ElectorConfig& c, const std::string& v) -> std::string {
    const auto parsed = parseDurationMs(v);
    if (!parsed || *parsed < min || *parsed > max) {
      return "expected milliseconds " + std::to_string(min) + ".." + std::to_string(max) +
             " (a number, or with a unit: 2s, 500ms) (got " + quote(v) + ")";
    }
    c.*member = Ms(*parsed);
    return "";
  };
  def.show = [=](const ElectorConfig& c) { return std::to_string((c.*member).count()); };
  return def;
}

/// REDIS_URL (environment only): redis://[user][:password@]host:port[/db]. Sets the address and
/// a password that redis.password and redis.password_file override. Messages never contain
/// the password.
Def redisUrl() {
  Def def = named("redis.url", {"REDIS_URL"}, "");
  def.inFile = false;
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
    }
    return "";
  };
  def.show = [](const ElectorConfig&) { return std::string(); };
  return def;
}

std::vector<Def> buildTable() {
  using C = ElectorConfig;
  std::vector<Def> t;
  t.push_back(choice("backend", {"ELECTOR_BACKEND"}, "backend", &C::backend, "redis",
                     {"redis", "kubernetes", "file", "static"}));
  t.push_back(text("id", {"ELECTOR_ID", "POD_NAME"}, "id", &C::id, "",
                   [](const std::string& v) -> std::string {
                     if (v.empty() || v.size() > kMaxHolderBytes / 2) {
                       return "expected 1.." + std::to_string(kMaxHolderBytes / 2) + " bytes";
                     }
                     return "";
                   }));
  t.push_back(text("socket", {"ELECTOR_SOCKET"}, "socket", &C::socketPath,
                   "/run/promsnmp/elector.sock", [](const std::string& v) -> std::string {
                     return v.empty() ? "must not be empty" : v.size() > 100 ? "path too long" : "";
                   }));
  t.push_back(duration("lease.ttl_ms", {"ELECTOR_LEASE_TTL_MS"}, "lease.ttl", &C::leaseTtl, 10000,
                       300, kMaxLeaseMs));
  t.push_back(text("lease.key", {"ELECTOR_LEASE_KEY"}, "lease.key", &C::leaseKey, "promsnmp:leader",
                   nonEmpty));
  // 0: the lease TTL (finish() fills it in); a value given must be within the bounds.
  t.push_back(duration("lease.collector_grace_ms", {"ELECTOR_LEASE_COLLECTOR_GRACE_MS"},
                       "lease.collector-grace", &C::collectorGrace, 0, 100, 600000));
  t.push_back(redisUrl());
  Def address = named("redis.address", {"REDIS_ADDRESS"}, "redis.address");
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
    return quote((v6 ? "[" + c.redis.host + "]" : c.redis.host) + ":" +
                 std::to_string(c.redis.port));
  };
  t.push_back(address);
  Def password = named("redis.password", {"REDIS_PASSWORD"}, "");
  password.setDefault = [](C& c) { c.redisPassword = common::Secret(); };
  password.fromText = [](C& c, const std::string& v) {
    c.redisPassword = common::Secret(v);
    return std::string();
  };
  password.show = [](const C& c) { return c.redisPassword.display(); };
  t.push_back(password);
  t.push_back(text("redis.password_file", {"REDIS_PASSWORD_FILE"}, "", &C::redisPasswordFile, ""));
  t.push_back(
      choice("static.role", {"PROMSNMP_ROLE"}, "role", &C::role, "", {"leader", "follower"}));
  t.push_back(text("kubernetes.url", {"ELECTOR_KUBERNETES_URL"}, "kubernetes.url",
                   &C::kubernetesUrl, "http://localhost:4040", checkHttpUrl));
  t.push_back(duration("kubernetes.poll_interval_ms", {"ELECTOR_KUBERNETES_POLL_INTERVAL_MS"},
                       "kubernetes.poll-interval", &C::kubernetesPollInterval, 1000, 50, 60000));
  t.push_back(duration("kubernetes.timeout_ms", {"ELECTOR_KUBERNETES_TIMEOUT_MS"},
                       "kubernetes.timeout", &C::kubernetesTimeout, 1000, 10, 60000));
  t.push_back(text("file.path", {"ELECTOR_FILE_PATH"}, "file.path", &C::filePath,
                   "/run/promsnmp/elector.lock", nonEmpty));
  t.push_back(text("web.listen_address", {"ELECTOR_WEB_LISTEN_ADDRESS"}, "web.listen-address",
                   &C::listenAddress, "127.0.0.1:9465", [](const std::string& v) -> std::string {
                     if (v.empty() || v == "-") {
                       return "";
                     }
                     std::string host;
                     int port = 0;
                     // ":port" means every interface; port 0 picks a free port (tests; the
                     // port is logged).
                     return splitHostPort(v.front() == ':' ? "0.0.0.0" + v : v, host, port, 0);
                   }));
  t.push_back(choice("log.level", {"ELECTOR_LOG_LEVEL"}, "log.level", &C::logLevel, "info",
                     {"debug", "info", "warn", "error"}));
  t.push_back(choice("log.format", {"ELECTOR_LOG_FORMAT"}, "log.format", &C::logFormat, "logfmt",
                     {"logfmt", "json"}));
  return t;
}

const std::vector<Def>& table() {
  static const std::vector<Def> kTable = buildTable();
  return kTable;
}

const Def* findByKey(const std::string& key) {
  for (const auto& def : table()) {
    if (def.key == key) {
      return &def;
    }
  }
  return nullptr;
}

bool isGroupPrefix(const std::string& path) {
  return std::any_of(table().begin(), table().end(),
                     [&](const Def& def) { return def.key.rfind(path + ".", 0) == 0; });
}

std::optional<std::string> scalarText(const libconfig::Setting& setting) {
  switch (setting.getType()) {
    case libconfig::Setting::TypeInt:
    case libconfig::Setting::TypeInt64:
      return std::to_string(static_cast<long long>(setting));
    case libconfig::Setting::TypeBoolean:
      return std::string(static_cast<bool>(setting) ? "true" : "false");
    case libconfig::Setting::TypeString:
      return std::string(static_cast<const char*>(setting));
    default:
      return std::nullopt;
  }
}

/// Reads the file into `config`, adding `file:line: message` problems.
class FileReader {
 public:
  FileReader(const std::string& path, ElectorConfig& config, std::vector<std::string>& problems)
      : path_(path), config_(config), problems_(problems) {}

  void read() {
    if (::access(path_.c_str(), R_OK) != 0) {
      problems_.push_back(path_ + ": cannot read config file: " + std::strerror(errno));
      return;
    }
    libconfig::Config file;
    file.setAutoConvert(true);  // an int read as long long
    try {
      file.readFile(path_.c_str());
    } catch (const libconfig::ParseException& e) {
      problems_.push_back(std::string(e.getFile() != nullptr ? e.getFile() : path_.c_str()) + ":" +
                          std::to_string(e.getLine()) + ": " + e.getError());
      return;
    } catch (const libconfig::FileIOException&) {
      problems_.push_back(path_ + ": cannot read config file");
      return;
    }
    try {
      walk(file.getRoot());
    } catch (const libconfig::SettingException& e) {
      problems_.push_back(path_ + ": " + e.getPath() + ": " + e.what());
    }
  }

 private:
  std::string where(const libconfig::Setting& setting) const {
    const char* file = setting.getSourceFile();
    return std::string(file != nullptr ? file : path_) + ":" +
           std::to_string(setting.getSourceLine());
  }

  void walk(const libconfig::Setting& group) {
    for (int i = 0; i < group.getLength(); ++i) {
      const libconfig::Setting& setting = group[i];
      const std::string key = setting.getPath();
      const Def* def = findByKey(key);
      if (setting.isGroup()) {
        if (def == nullptr && isGroupPrefix(key)) {
          walk(setting);
        } else {
          problems_.push_back(where(setting) + ": unknown group '" + key + "'");
        }
        continue;
      }
      if (def == nullptr || !def->inFile) {
        problems_.push_back(where(setting) + ": unknown setting '" + key + "'");
        continue;
      }
      const auto value = scalarText(setting);
      if (!value) {
        problems_.push_back(where(setting) + ": " + key + ": must be a single value");
        continue;
      }
      const std::string problem = def->fromText(config_, *value);
      if (problem.empty()) {
        config_.sources[def->key] = where(setting);
      } else {
        std::string line = where(setting);
        line += ": " + key + ": ";
        line += problem;
        problems_.push_back(std::move(line));
      }
    }
  }

  const std::string& path_;
  ElectorConfig& config_;
  std::vector<std::string>& problems_;
};

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
                         quote(config.redisPasswordFile));
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

ElectorConfig::ElectorConfig() {
  for (const auto& def : table()) {
    def.setDefault(*this);
  }
}

std::string ElectorConfig::describe() const {
  std::string out =
      "# elector configuration; file: " + (configFile.empty() ? "none" : configFile) + "\n";
  for (const auto& def : table()) {
    if (!def.shown) {
      continue;
    }
    const auto source = sources.find(def.key);
    out += def.key + " = " + def.show(*this) + "  # " +
           (source == sources.end() ? "default" : source->second) + "\n";
  }
  return out;
}

ElectorConfig loadElectorConfig(const ConfigSources& sources) {
  ElectorConfig config;
  std::vector<std::string> problems;
  if (sources.file) {
    config.configFile = *sources.file;
  } else if (!sources.defaultFile.empty() && ::access(sources.defaultFile.c_str(), F_OK) == 0) {
    config.configFile = sources.defaultFile;
  }
  if (!config.configFile.empty()) {
    FileReader(config.configFile, config, problems).read();
  }
  for (const auto& def : table()) {
    for (const auto& name : def.env) {
      const auto found = sources.env.find(name);
      if (found == sources.env.end() || found->second.empty()) {
        continue;
      }
      const std::string problem = def.fromText(config, found->second);
      if (problem.empty() && def.key == "redis.url") {
        config.sources["redis.address"] = "env " + name;
        if (config.redisPassword.isSet() && config.sources.count("redis.password") == 0) {
          config.sources["redis.password"] = "env " + name;
        }
      } else if (problem.empty()) {
        config.sources[def.key] = "env " + name;
      } else {
        std::string line = "env " + name + ": ";
        line += problem;
        problems.push_back(std::move(line));
      }
      break;  // the first variable set wins
    }
  }
  for (const auto& entry : sources.flags) {
    const std::string& flag = entry.first;
    const std::string& value = entry.second;
    const auto def = std::find_if(table().begin(), table().end(),
                                  [&](const Def& d) { return !d.flag.empty() && d.flag == flag; });
    if (def == table().end()) {
      problems.push_back("flag --" + flag + ": unknown flag");
      continue;
    }
    const std::string problem = def->fromText(config, value);
    if (problem.empty()) {
      config.sources[def->key] = "flag --" + flag;
    } else {
      std::string line = "flag --" + flag + ": ";
      line += problem;
      problems.push_back(std::move(line));
    }
  }
  if (problems.empty()) {
    finish(config, problems);
  }
  if (!problems.empty()) {
    throw ConfigException(std::move(problems));
  }
  return config;
}

std::vector<std::string> configEnvironmentNames() {
  std::vector<std::string> names;
  for (const auto& def : table()) {
    names.insert(names.end(), def.env.begin(), def.env.end());
  }
  return names;
}

bool isSettingFlag(const std::string& flag) {
  return std::any_of(table().begin(), table().end(),
                     [&](const Def& d) { return !d.flag.empty() && d.flag == flag; });
}

}  // namespace elector
