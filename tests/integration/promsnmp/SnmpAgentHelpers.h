#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ProcessHelpers.h"

namespace testing {

// Real SNMP agents on 127.0.0.1 for integration tests, each on a free port, started with a time
// bound and always stopped by the destructor. The net-snmp command-line tools read the same
// agents so tests compare promsnmp with an independent reader.

/// A UDP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
uint16_t freeUdpPort();

/// A child process started with fork/exec, its output in `logPath`. The destructor stops it
/// (SIGTERM, then SIGKILL after 3 s) and reaps it.
class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  /// Throws std::runtime_error if fork fails. `env` is added to the current environment.
  void start(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
             const std::string& logPath);
  /// True while the child has not exited.
  bool running();
  void stop();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

/// Environment for the net-snmp tools: no MIB loading, persistent files in `dir`.
std::map<std::string, std::string> snmpToolEnv(const std::string& dir);

/// snmpsimd (0.4.5) serving the snmpsim package's recording of a Cisco Catalyst 3750 stack
/// (cisco_16_switch: 59 interfaces), community "cisco_16_switch", and any further recordings
/// asked for, each under its own community. At most 64 varbinds per response. Throws
/// std::runtime_error if it does not answer within 60 s.
class SnmpSimAgent {
 public:
  struct Options {
    std::string address = "127.0.0.1";
    uint16_t port = 0;                          // 0: a free one
    std::string recording = "cisco_16_switch";  // a .snmprec.gz of the snmpsim package
    std::string community = "cisco_16_switch";  // what the recording answers to
  };
  SnmpSimAgent() : SnmpSimAgent(Options()) {}
  /// `moreRecordings`: further recordings served by the same agent, community -> a file under
  /// the snmpsim package's examples/data ("recorded/linux-full-walk.snmprec.gz",
  /// "mib2dev/host-resources-mib.snmprec"; .gz ones are unpacked) or an absolute path (the
  /// project's tests/data/recordings). The agent is ready when
  /// `options.community` answers, so those may lack sysUpTime.
  explicit SnmpSimAgent(Options options,
                        const std::map<std::string, std::string>& moreRecordings = {});
  ~SnmpSimAgent();
  uint16_t port() const { return port_; }
  const std::string& address() const { return options_.address; }
  const std::string& community() const { return options_.community; }
  const std::string& dir() const { return dir_.path(); }

 private:
  Options options_;
  TempDir dir_;
  ChildProcess process_;
  uint16_t port_ = 0;
};

/// A real snmpd (net-snmp 5.9.3) with a v2c community and an SNMPv3 authPriv user with the
/// strongest protocols it has (SHA-512, AES-256 Blumenthal). Serves this machine's interfaces.
/// Throws std::runtime_error if it does not answer within 30 s.
class SnmpdAgent {
 public:
  static constexpr const char* kCommunity = "promsnmp-it";
  static constexpr const char* kUser = "promsnmpv3";
  static constexpr const char* kAuthProtocol = "SHA-512";
  static constexpr const char* kAuthPassphrase = "authpass123";
  static constexpr const char* kPrivProtocol = "AES-256";
  static constexpr const char* kPrivPassphrase = "privpass123";

  /// One SNMPv3 user per protocol combination, all with kAuthPassphrase/kPrivPassphrase.
  struct V3User {
    std::string name;
    std::string authProtocol;  // as snmpd and the tools spell it ("SHA-224"); empty = noAuth
    std::string privProtocol;  // ("AES-192-C"); empty = noPriv
  };
  /// Every auth (MD5, SHA, SHA-224..SHA-512) with every priv (DES, AES, AES-192, AES-256,
  /// AES-192-C, AES-256-C) and with none, plus one noAuthNoPriv user.
  static std::vector<V3User> protocolUsers();

  struct Options {
    std::string address = "127.0.0.1";
    uint16_t port = 0;    // 0: a free one
    std::string sysName;  // empty: the host name
  };
  SnmpdAgent() : SnmpdAgent(Options()) {}
  explicit SnmpdAgent(Options options);
  ~SnmpdAgent();
  const std::string& address() const { return options_.address; }
  uint16_t port() const { return port_; }
  /// Kills the agent (SIGKILL): requests to its port go unanswered.
  void kill();
  /// Starts it again on the same port and waits until it answers (throws after 30 s).
  void restart();
  const std::string& dir() const { return dir_.path(); }

  /// Command-line arguments of the net-snmp tools for the v2c community / the v3 user.
  std::vector<std::string> v2cArgs() const;
  std::vector<std::string> v3Args() const;

 private:
  void launch();

  Options options_;
  TempDir dir_;
  ChildProcess process_;
  uint16_t port_ = 0;
};

/// One value as the net-snmp tools print it with -Oqnx (hex for octet strings).
struct ToolValue {
  bool isString = false;
  std::string bytes;  // octet strings, decoded from hex
  std::string text;   // anything else, as printed ("59", "1000000000")
};

/// Parses `snmpwalk -On -Oq -Ox` output: ".1.3.6... value" lines, hex strings over several lines.
std::map<std::string, ToolValue> parseToolOutput(const std::string& out);

/// Runs snmpbulkwalk (`args` select version and credentials) below `oid` on `address`:`port`.
/// Keys are OIDs without a leading dot. Throws std::runtime_error if the tool fails.
std::map<std::string, ToolValue> toolWalk(const std::vector<std::string>& args, uint16_t port,
                                          const std::string& oid, const std::string& envDir,
                                          const std::string& address = "127.0.0.1");

}  // namespace testing
