#include "SnmpAgentHelpers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace testing {

namespace {

std::string slurpFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Polls `ready` until it returns true, the process dies, or `seconds` pass.
void waitUntil(ChildProcess& process, const std::string& what, const std::string& logPath,
               int seconds, const std::function<bool()>& ready) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process.running()) {
      throw std::runtime_error(what + " exited during start-up:\n" + slurpFile(logPath));
    }
    if (ready()) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  process.stop();
  throw std::runtime_error(what + " did not answer within " + std::to_string(seconds) + " s:\n" +
                           slurpFile(logPath));
}

constexpr const char* kSnmpsimExamples = "/usr/share/doc/snmpsim/examples/data/";

/// Puts the recording `source` (an snmpsim example relative to kSnmpsimExamples, or an absolute
/// path; unpacked when it ends in .gz) at `target`, readable by snmpsimd once it has dropped to
/// nobody.
void installRecording(const std::string& source, const std::string& target) {
  namespace fs = std::filesystem;
  const std::string from = source.starts_with('/') ? source : kSnmpsimExamples + source;
  const bool gz = source.size() > 3 && source.compare(source.size() - 3, 3, ".gz") == 0;
  ProcessResult unpack = runProcess(
      {"/bin/sh", "-c", (gz ? "gzip -dc '" : "cat '") + from + "' > '" + target + "'"}, {}, 60);
  if (unpack.code != 0) {
    throw std::runtime_error("cannot install the recording " + from + ": " + unpack.err);
  }
  fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                              fs::perms::others_read);
}

bool answersGet(const std::vector<std::string>& args, const std::string& address, uint16_t port,
                const std::string& envDir) {
  std::vector<std::string> argv = {"/usr/bin/snmpget"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"-t", "0.3", "-r", "0", "-On", address + ":" + std::to_string(port),
                           "1.3.6.1.2.1.1.3.0"});
  ProcessResult r = runProcess(argv, snmpToolEnv(envDir), 10);
  return r.code == 0 && r.out.find("1.3.6.1.2.1.1.3.0") != std::string::npos;
}

}  // namespace

uint16_t freeUdpPort() { return static_cast<uint16_t>(freePort(SOCK_DGRAM)); }

ChildProcess::~ChildProcess() { stop(); }

void ChildProcess::start(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env,
                         const std::string& logPath) {
  int logFd = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (logFd < 0) {
    throw std::runtime_error("cannot open " + logPath);
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(logFd);
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a crashed test does not leave agents behind
    ::dup2(logFd, 1);
    ::dup2(logFd, 2);
    int devNull = ::open("/dev/null", O_RDONLY);
    ::dup2(devNull, 0);
    for (const auto& [name, value] : env) {
      ::setenv(name.c_str(), value.c_str(), 1);
    }
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const std::string& a : argv) {
      args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(logFd);
  pid_ = pid;
}

bool ChildProcess::running() {
  if (pid_ <= 0) {
    return false;
  }
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

void ChildProcess::stop() {
  if (pid_ <= 0) {
    return;
  }
  ::kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::map<std::string, std::string> snmpToolEnv(const std::string& dir) {
  return {{"MIBS", ""}, {"MIBDIRS", ""}, {"SNMP_PERSISTENT_DIR", dir + "/tool-persist"}};
}

SnmpSimAgent::SnmpSimAgent(Options options,
                           const std::map<std::string, std::string>& moreRecordings)
    : options_(std::move(options)) {
  namespace fs = std::filesystem;
  // snmpsimd drops to nobody: the data must be readable and the cache writable by it.
  fs::permissions(dir_.path(), fs::perms::owner_all | fs::perms::group_read |
                                   fs::perms::group_exec | fs::perms::others_read |
                                   fs::perms::others_exec);
  std::string data = dir_.path() + "/data";
  std::string cache = dir_.path() + "/cache";
  fs::create_directories(data);
  fs::create_directories(cache);
  fs::permissions(cache, fs::perms::all);
  installRecording(options_.recording + ".snmprec.gz",
                   data + "/" + options_.community + ".snmprec");
  for (const auto& [community, source] : moreRecordings) {
    installRecording(source, (fs::path(data) / (community + ".snmprec")).string());
  }
  std::string log = dir_.path() + "/snmpsimd.log";
  for (int attempt = 0;; ++attempt) {
    port_ = options_.port != 0 ? options_.port : freeUdpPort();
    std::vector<std::string> argv = {
        "/usr/bin/snmpsimd", "--data-dir=" + data, "--cache-dir=" + cache,
        "--agent-udpv4-endpoint=" + options_.address + ":" + std::to_string(port_),
        "--logging-method=stderr"};
    if (::geteuid() == 0) {
      argv.push_back("--process-user=nobody");
      argv.push_back("--process-group=nogroup");
    }
    process_.start(argv, {}, log);
    try {
      waitUntil(process_, "snmpsimd", log, 60, [&] {
        return answersGet({"-v2c", "-c", community()}, options_.address, port_, dir_.path());
      });
      return;
    } catch (const std::exception&) {
      process_.stop();
      if (attempt == 2) {
        throw;  // not a port race
      }
    }
  }
}

SnmpSimAgent::~SnmpSimAgent() { process_.stop(); }

SnmpdAgent::SnmpdAgent(Options options) : options_(std::move(options)) {
  std::string persist = dir_.path() + "/persist";
  std::filesystem::create_directories(persist);
  std::string conf = dir_.path() + "/snmpd.conf";
  {
    std::ofstream out(conf);
    out << "[snmp] persistentDir " << persist << "\n"
        << "rocommunity " << kCommunity << " 127.0.0.1\n"
        << (options_.sysName.empty() ? "" : "sysName " + options_.sysName + "\n") << "createUser "
        << kUser << " " << kAuthProtocol << " " << kAuthPassphrase << " " << kPrivProtocol << " "
        << kPrivPassphrase << "\n"
        << "rouser " << kUser << " priv\n";
    for (const V3User& u : protocolUsers()) {
      out << "createUser " << u.name;
      if (!u.authProtocol.empty()) {
        out << " " << u.authProtocol << " " << kAuthPassphrase;
      }
      if (!u.privProtocol.empty()) {
        out << " " << u.privProtocol << " " << kPrivPassphrase;
      }
      out << "\nrouser " << u.name << " "
          << (u.authProtocol.empty()   ? "noauth"
              : u.privProtocol.empty() ? "auth"
                                       : "priv")
          << "\n";
    }
  }
  for (int attempt = 0;; ++attempt) {
    port_ = options_.port != 0 ? options_.port : freeUdpPort();
    try {
      launch();
      return;
    } catch (const std::exception&) {
      process_.stop();
      if (attempt == 2) {
        throw;
      }
    }
  }
}

void SnmpdAgent::launch() {
  std::string persist = dir_.path() + "/persist";
  std::string conf = dir_.path() + "/snmpd.conf";
  std::string log = dir_.path() + "/snmpd.log";
  std::map<std::string, std::string> env = snmpToolEnv(dir_.path());
  env["SNMP_PERSISTENT_DIR"] = persist;
  process_.start(
      {"/usr/sbin/snmpd", "-f", "-C", "-c", conf, "-Lf", log, "-p", dir_.path() + "/snmpd.pid",
       "udp:" + options_.address + ":" + std::to_string(port_)},
      env, dir_.path() + "/snmpd.out");
  waitUntil(process_, "snmpd", log, 30,
            [&] { return answersGet(v2cArgs(), options_.address, port_, dir_.path()); });
}

void SnmpdAgent::kill() {
  if (process_.pid() > 0) {
    ::kill(process_.pid(), SIGKILL);
  }
  process_.stop();
}

void SnmpdAgent::restart() { launch(); }

SnmpdAgent::~SnmpdAgent() { process_.stop(); }

std::vector<SnmpdAgent::V3User> SnmpdAgent::protocolUsers() {
  std::vector<V3User> users;
  users.push_back({"u-noauth", "", ""});
  for (const char* auth : {"MD5", "SHA", "SHA-224", "SHA-256", "SHA-384", "SHA-512"}) {
    users.push_back({std::string("u-") + auth, auth, ""});
    for (const char* priv : {"DES", "AES", "AES-192", "AES-256", "AES-192-C", "AES-256-C"}) {
      users.push_back({std::string("u-") + auth + "-" + priv, auth, priv});
    }
  }
  return users;
}

std::vector<std::string> SnmpdAgent::v2cArgs() const { return {"-v2c", "-c", kCommunity}; }

std::vector<std::string> SnmpdAgent::v3Args() const {
  return {"-v3",           "-l", "authPriv",    "-u", kUser,          "-a", kAuthProtocol, "-A",
          kAuthPassphrase, "-x", kPrivProtocol, "-X", kPrivPassphrase};
}

std::map<std::string, ToolValue> parseToolOutput(const std::string& out) {
  std::map<std::string, ToolValue> values;
  std::istringstream lines(out);
  std::string line;
  std::string currentOid;
  std::string pending;  // the value text of the current varbind, over several lines
  auto flush = [&] {
    if (currentOid.empty()) {
      return;
    }
    ToolValue v;
    std::string t = pending;
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) {
      t.pop_back();
    }
    if (!t.empty() && t.front() == '"') {
      v.isString = true;
      std::string hex = t.substr(1, t.size() >= 2 && t.back() == '"' ? t.size() - 2 : t.size());
      std::istringstream bytes(hex);
      std::string pair;
      while (bytes >> pair) {
        v.bytes += static_cast<char>(std::stoi(pair, nullptr, 16));
      }
    } else {
      v.text = t;
    }
    values[currentOid] = v;
    currentOid.clear();
    pending.clear();
  };
  while (std::getline(lines, line)) {
    if (!line.empty() && line[0] == '.') {
      flush();
      size_t space = line.find(' ');
      currentOid = line.substr(1, space == std::string::npos ? std::string::npos : space - 1);
      pending = space == std::string::npos ? "" : line.substr(space + 1);
    } else {
      pending += " " + line;  // a continuation of a hex string
    }
  }
  flush();
  return values;
}

std::map<std::string, ToolValue> toolWalk(const std::vector<std::string>& args, uint16_t port,
                                          const std::string& oid, const std::string& envDir,
                                          const std::string& address) {
  std::vector<std::string> argv = {"/usr/bin/snmpbulkwalk"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"-t", "2", "-r", "1", "-On", "-Oq", "-Ox", "-Cr25",
                           address + ":" + std::to_string(port), oid});
  ProcessResult r = runProcess(argv, snmpToolEnv(envDir), 120);
  if (r.code != 0) {
    throw std::runtime_error("snmpbulkwalk " + oid + " failed: " + r.err);
  }
  std::map<std::string, ToolValue> all = parseToolOutput(r.out);
  std::map<std::string, ToolValue> under;
  for (auto& [k, v] : all) {
    if (k.rfind(oid + ".", 0) == 0) {
      under.emplace(k, v);
    }
  }
  return under;
}

}  // namespace testing
