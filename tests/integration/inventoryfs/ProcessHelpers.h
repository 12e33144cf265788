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
