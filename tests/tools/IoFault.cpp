// LD_PRELOAD fault layer for the storage faults of election-and-shared-file.md §7.3 (F-9 delayed
// operation, F-10 ambiguous link, F-19 ENOSPC/EDQUOT/EIO, F-20 ESTALE/ENOENT): chosen libc calls
// on chosen paths fail with a chosen errno, lie about their outcome, or stall — what
// unreliablefs does below a FUSE mount, here per process and without root.
//
// Rules come from PROMSNMP_IO_FAULT (fixed for the life of the process) and from the file named
// by PROMSNMP_IO_FAULT_FILE, re-read whenever it changes (replace it by rename), so that a test
// can arm and clear faults in a running daemon; a new file starts its rules' counts afresh.
// One rule per line or between ';', made of space-separated `key=value` words:
//   call=write|fsync  the calls it applies to: open (also open64, openat), read (also pread),
//                     write (also pwrite), fsync, fdatasync, close, link, rename, unlink
//   path=REGEX        POSIX extended regex searched in the path: the new name for link and
//                     rename, the file behind the descriptor (/proc/self/fd) for fd calls;
//                     without it, every path
//   errno=ENOSPC      the error reported (a name below, or a number)
//   delay=MS          sleep first, then go on (alone: the call runs late but normally)
//   skip=N            let the first N matching calls through (default 0)
//   times=N           then fault N of them (default: every one after the skipped)
//   lie=1             do the call for real, then report the errno (an NFS reply lost after the
//                     server did the work). close(2) always does this: a close that fails has
//                     still released the descriptor (close(2) NOTES), so the caller must not
//                     close it again
// Rules are tried in order (the fixed ones first) until one decides: a rule whose call and path
// match counts the call, and decides it when the count is past `skip` and within `times`.
// Example: "call=fsync path=/\.tmp\. errno=EIO times=1". A bad rule aborts the process.
// PROMSNMP_IO_FAULT_LOG=FILE appends "<pid> <call> <path> [ERRNO] [delay=MS]" for each fault.
#include <dlfcn.h>
#include <fcntl.h>
#include <regex.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

namespace {

enum Call : unsigned { Open, Read, Write, Fsync, Fdatasync, Close, Link, Rename, Unlink, kCalls };
constexpr const char* kCallNames[kCalls] = {"open",  "read", "write",  "fsync", "fdatasync",
                                            "close", "link", "rename", "unlink"};

struct ErrnoName {
  const char* name;
  int value;
};
constexpr ErrnoName kErrnos[] = {{"ENOSPC", ENOSPC}, {"EDQUOT", EDQUOT}, {"EIO", EIO},
                                 {"ESTALE", ESTALE}, {"ENOENT", ENOENT}, {"EEXIST", EEXIST},
                                 {"EROFS", EROFS},   {"EACCES", EACCES}, {"EINTR", EINTR}};

template <typename Fn>
Fn next(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

std::string errnoName(int err) {
  for (const ErrnoName& e : kErrnos) {
    if (e.value == err) {
      return e.name;
    }
  }
  return std::to_string(err);
}

[[noreturn]] void badRule(const std::string& rule, const std::string& why) {
  static auto realWrite = next<ssize_t (*)(int, const void*, size_t)>("write");
  std::string line = "iofault: bad rule '" + rule + "': " + why + "\n";
  (void)!realWrite(2, line.data(), line.size());
  std::abort();
}

struct Rule {
  unsigned calls = 0;  // bit per Call
  bool hasPath = false;
  regex_t path{};
  int err = 0;
  long delayMs = 0;
  long skip = 0;
  long times = -1;  // -1: unlimited
  bool lie = false;
  long seen = 0;  // matching calls so far

  Rule() = default;
  Rule(const Rule&) = delete;
  Rule& operator=(const Rule&) = delete;
  ~Rule() {
    if (hasPath) {
      regfree(&path);
    }
  }
};

using Rules = std::vector<std::unique_ptr<Rule>>;

std::unique_ptr<Rule> parseRule(const std::string& text) {
  auto rule = std::make_unique<Rule>();
  std::istringstream words(text);
  std::string word;
  while (words >> word) {
    auto eq = word.find('=');
    if (eq == std::string::npos) {
      badRule(text, "'" + word + "' is not key=value");
    }
    std::string key = word.substr(0, eq);
    std::string value = word.substr(eq + 1);
    if (key == "call") {
      std::istringstream names(value);
      std::string name;
      while (std::getline(names, name, '|')) {
        unsigned i = 0;
        while (i < kCalls && name != kCallNames[i]) {
          ++i;
        }
        if (i == kCalls) {
          badRule(text, "unknown call '" + name + "'");
        }
        rule->calls |= 1u << i;
      }
    } else if (key == "path") {
      if (regcomp(&rule->path, value.c_str(), REG_EXTENDED | REG_NOSUB) != 0) {
        badRule(text, "bad regex");
      }
      rule->hasPath = true;
    } else if (key == "errno") {
      for (const ErrnoName& e : kErrnos) {
        if (value == e.name) {
          rule->err = e.value;
        }
      }
      if (rule->err == 0) {
        rule->err = std::atoi(value.c_str());
      }
      if (rule->err <= 0) {
        badRule(text, "unknown errno '" + value + "'");
      }
    } else if (key == "delay") {
      rule->delayMs = std::atol(value.c_str());
    } else if (key == "skip") {
      rule->skip = std::atol(value.c_str());
    } else if (key == "times") {
      rule->times = std::atol(value.c_str());
    } else if (key == "lie") {
      rule->lie = value == "1";
    } else {
      badRule(text, "unknown key '" + key + "'");
    }
  }
  if (rule->calls == 0 || (rule->err == 0 && rule->delayMs == 0)) {
    badRule(text, "needs call= and errno= or delay=");
  }
  return rule;
}

void parseRules(const std::string& text, Rules& out) {
  std::string rule;
  for (char c : text + "\n") {
    if (c == '\n' || c == ';') {
      if (rule.find_first_not_of(" \t\r") != std::string::npos && rule[0] != '#') {
        out.push_back(parseRule(rule));
      }
      rule.clear();
    } else {
      rule += c;
    }
  }
}

/// What to do to one call.
struct Fault {
  bool matched = false;
  int err = 0;
  bool lie = false;
};

class Layer {
 public:
  /// Finds the first rule for this call and path (`path`, or the file behind `fd`), counts the
  /// call against it, sleeps its delay, and says what to do. Thread-safe.
  Fault decide(Call call, const char* path, int fd) {
    const int savedErrno = errno;  // our own stat/readlink must not show through to the caller
    Fault fault;
    long delayMs = 0;
    std::string where;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      reloadFile();
      for (Rules* rules : {&fixed_, &fromFile_}) {
        for (auto& rule : *rules) {
          if ((rule->calls & (1u << call)) == 0) {
            continue;
          }
          if (where.empty()) {
            where = path != nullptr ? path : pathOf(fd);
          }
          if (rule->hasPath && regexec(&rule->path, where.c_str(), 0, nullptr, 0) != 0) {
            continue;
          }
          long n = rule->seen++;
          if (n < rule->skip || (rule->times >= 0 && n >= rule->skip + rule->times)) {
            continue;
          }
          fault = Fault{true, rule->err, rule->lie};
          delayMs = rule->delayMs;
          break;
        }
        if (fault.matched) {
          break;
        }
      }
    }
    if (fault.matched) {
      std::string what = fault.err != 0 ? errnoName(fault.err) : "";
      if (delayMs > 0) {
        what += (what.empty() ? "" : " ") + std::string("delay=") + std::to_string(delayMs);
      }
      logFault(call, where, what);
      timespec t{delayMs / 1000, (delayMs % 1000) * 1000000};
      while (delayMs > 0 && nanosleep(&t, &t) != 0 && errno == EINTR) {
      }
    }
    errno = savedErrno;
    return fault;
  }

  static Layer& get() {
    static Layer* layer = new Layer;  // never destroyed: calls may come during exit
    return *layer;
  }

 private:
  Layer() {
    if (const char* text = std::getenv("PROMSNMP_IO_FAULT")) {
      parseRules(text, fixed_);
    }
    if (const char* file = std::getenv("PROMSNMP_IO_FAULT_FILE")) {
      file_ = file;
    }
    if (const char* log = std::getenv("PROMSNMP_IO_FAULT_LOG")) {
      log_ = log;
    }
  }

  /// Reads the rule file again when its inode, size or mtime changed; no file, no rules.
  void reloadFile() {
    if (file_.empty()) {
      return;
    }
    struct stat st {};
    bool present = ::stat(file_.c_str(), &st) == 0;
    if (present == filePresent_ && st.st_ino == fileStat_.st_ino &&
        st.st_size == fileStat_.st_size && st.st_mtim.tv_sec == fileStat_.st_mtim.tv_sec &&
        st.st_mtim.tv_nsec == fileStat_.st_mtim.tv_nsec) {
      return;
    }
    filePresent_ = present;
    fileStat_ = st;
    fromFile_.clear();
    if (!present) {
      return;
    }
    static auto realOpen = next<int (*)(const char*, int, ...)>("open");
    static auto realRead = next<ssize_t (*)(int, void*, size_t)>("read");
    static auto realClose = next<int (*)(int)>("close");
    int fd = realOpen(file_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return;
    }
    std::string text;
    char buffer[4096];
    ssize_t n = 0;
    while ((n = realRead(fd, buffer, sizeof buffer)) > 0) {
      text.append(buffer, static_cast<size_t>(n));
    }
    realClose(fd);
    parseRules(text, fromFile_);
  }

  static std::string pathOf(int fd) {
    char link[64];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    char target[4096];
    ssize_t n = ::readlink(link, target, sizeof target - 1);
    return n > 0 ? std::string(target, static_cast<size_t>(n)) : std::string();
  }

  void logFault(Call call, const std::string& where, const std::string& what) {
    if (log_.empty()) {
      return;
    }
    static auto realOpen = next<int (*)(const char*, int, ...)>("open");
    static auto realWrite = next<ssize_t (*)(int, const void*, size_t)>("write");
    static auto realClose = next<int (*)(int)>("close");
    std::string line =
        std::to_string(::getpid()) + " " + kCallNames[call] + " " + where + " " + what + "\n";
    int fd = realOpen(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      (void)!realWrite(fd, line.data(), line.size());
      realClose(fd);
    }
  }

  std::mutex mutex_;
  Rules fixed_;
  Rules fromFile_;
  std::string file_;
  bool filePresent_ = false;
  struct stat fileStat_ {};
  std::string log_;
};

/// Runs `real` under the rules for `call`: fails before it, or after it for lies and close.
template <typename Result, typename Real>
Result faulty(Call call, const char* path, int fd, Real real) {
  Fault fault = Layer::get().decide(call, path, fd);
  const bool after = fault.lie || call == Close;
  if (fault.err != 0 && !after) {
    errno = fault.err;
    return Result(-1);
  }
  Result result = real();
  if (fault.err != 0 && result >= 0) {
    errno = fault.err;
    return Result(-1);
  }
  return result;
}

mode_t modeOf(int flags, va_list args) {
  return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE
             ? static_cast<mode_t>(va_arg(args, int))
             : 0;
}

}  // namespace

#define IOFAULT_OPEN(name)                                                       \
  extern "C" int name(const char* path, int flags, ...) {                        \
    static auto real = next<int (*)(const char*, int, ...)>(#name);              \
    va_list args;                                                                \
    va_start(args, flags);                                                       \
    mode_t mode = modeOf(flags, args);                                           \
    va_end(args);                                                                \
    return faulty<int>(Open, path, -1, [&] { return real(path, flags, mode); }); \
  }
#define IOFAULT_OPENAT(name)                                                          \
  extern "C" int name(int dir, const char* path, int flags, ...) {                    \
    static auto real = next<int (*)(int, const char*, int, ...)>(#name);              \
    va_list args;                                                                     \
    va_start(args, flags);                                                            \
    mode_t mode = modeOf(flags, args);                                                \
    va_end(args);                                                                     \
    return faulty<int>(Open, path, -1, [&] { return real(dir, path, flags, mode); }); \
  }
IOFAULT_OPEN(open)
IOFAULT_OPEN(open64)
IOFAULT_OPENAT(openat)
IOFAULT_OPENAT(openat64)

extern "C" ssize_t read(int fd, void* buf, size_t n) {
  static auto real = next<ssize_t (*)(int, void*, size_t)>("read");
  return faulty<ssize_t>(Read, nullptr, fd, [&] { return real(fd, buf, n); });
}

#define IOFAULT_PREAD(name)                                                          \
  extern "C" ssize_t name(int fd, void* buf, size_t n, off_t at) {                   \
    static auto real = next<ssize_t (*)(int, void*, size_t, off_t)>(#name);          \
    return faulty<ssize_t>(Read, nullptr, fd, [&] { return real(fd, buf, n, at); }); \
  }
IOFAULT_PREAD(pread)
IOFAULT_PREAD(pread64)

extern "C" ssize_t write(int fd, const void* buf, size_t n) {
  static auto real = next<ssize_t (*)(int, const void*, size_t)>("write");
  return faulty<ssize_t>(Write, nullptr, fd, [&] { return real(fd, buf, n); });
}

#define IOFAULT_PWRITE(name)                                                          \
  extern "C" ssize_t name(int fd, const void* buf, size_t n, off_t at) {              \
    static auto real = next<ssize_t (*)(int, const void*, size_t, off_t)>(#name);     \
    return faulty<ssize_t>(Write, nullptr, fd, [&] { return real(fd, buf, n, at); }); \
  }
IOFAULT_PWRITE(pwrite)
IOFAULT_PWRITE(pwrite64)

extern "C" int fsync(int fd) {
  static auto real = next<int (*)(int)>("fsync");
  return faulty<int>(Fsync, nullptr, fd, [&] { return real(fd); });
}

extern "C" int fdatasync(int fd) {
  static auto real = next<int (*)(int)>("fdatasync");
  return faulty<int>(Fdatasync, nullptr, fd, [&] { return real(fd); });
}

extern "C" int close(int fd) {
  static auto real = next<int (*)(int)>("close");
  return faulty<int>(Close, nullptr, fd, [&] { return real(fd); });
}

extern "C" int link(const char* from, const char* to) {
  static auto real = next<int (*)(const char*, const char*)>("link");
  return faulty<int>(Link, to, -1, [&] { return real(from, to); });
}

extern "C" int rename(const char* from, const char* to) {
  static auto real = next<int (*)(const char*, const char*)>("rename");
  return faulty<int>(Rename, to, -1, [&] { return real(from, to); });
}

extern "C" int unlink(const char* path) {
  static auto real = next<int (*)(const char*)>("unlink");
  return faulty<int>(Unlink, path, -1, [&] { return real(path); });
}
