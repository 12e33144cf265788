#pragma once

#include <map>
#include <string>
#include <vector>

namespace testing {

/// Result of a child process: exit code, or the signal that killed it (then code = -1).
struct ProcessResult {
  int code = -1;
  int signal = 0;
  std::string out;
  std::string err;
};

/// Runs `argv` with `env` added to the current environment, waits at most `timeoutSeconds`
/// (then SIGKILLs it and reports the signal). Captures stdout and stderr.
ProcessResult runProcess(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env, int timeoutSeconds = 120);

/// A port a test server can bind on any loopback address, for `type` (SOCK_STREAM or SOCK_DGRAM).
/// Chosen below the kernel's ephemeral range (ip_local_port_range), so that no client socket of
/// a test running at the same time (a collector holds hundreds of SNMP sessions on ephemeral
/// ports) can take it between this check and the server's bind; checked free on the wildcard
/// address, so free on every 127.x address; random, so concurrent tests rarely pick the same.
/// Throws when none is found.
int freePort(int type);

/// A fresh directory under $TMPDIR (or /tmp), removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace testing
