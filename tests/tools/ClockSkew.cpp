// LD_PRELOAD wall-clock skew for one process, for the F-22 clock-jump faults on redis-server.
// libfaketime cannot be used there: Debian's redis-server is linked with jemalloc, whose
// initialisation calls clock_gettime() while libfaketime is still resolving its symbols, and
// libfaketime gives up ("Unexpected recursive calls to clock_gettime()", libfaketime issue #130).
// This layer resolves nothing: the real clocks are read with the raw syscall.
//
// PROMSNMP_CLOCK_SKEW_FILE names a file holding "<offset ms> <rate>", e.g. "60000 1" (one minute
// ahead) or "0 10" (ten times as fast). It is read again at most every 20 ms of real time; each
// change takes effect from that moment without a jump other than the change of offset, so
// "0 10" after "0 1" makes the wall clock run fast from now on. CLOCK_REALTIME (and its coarse
// variant), gettimeofday() and time() are skewed; CLOCK_MONOTONIC and the others are not.
// Without the variable, or with an unreadable file, the clock is the real one.
#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

namespace {

int64_t realNs(clockid_t clock) {
  timespec ts{};
  ::syscall(SYS_clock_gettime, clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

struct Skew {
  pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
  bool started = false;
  int64_t nextReadNs = 0;  // monotonic
  int64_t offsetMs = 0;
  double rate = 1.0;
  int64_t anchorReal = 0;  // real realtime at the last change
  int64_t anchorFake = 0;  // skewed realtime at the last change
};

Skew skew;

int64_t fakeAt(int64_t real) {
  return skew.anchorFake +
         static_cast<int64_t>(skew.rate * static_cast<double>(real - skew.anchorReal));
}

/// Parses "<offset ms> <rate>" from the file without allocating; false when it cannot.
bool readSkew(int64_t& offsetMs, double& rate) {
  const char* path = std::getenv("PROMSNMP_CLOCK_SKEW_FILE");
  if (path == nullptr) {
    return false;
  }
  const int fd = static_cast<int>(::syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC));
  if (fd < 0) {
    return false;
  }
  char text[64] = {};
  const ssize_t n = ::syscall(SYS_read, fd, text, sizeof text - 1);
  ::syscall(SYS_close, fd);
  if (n <= 0) {
    return false;
  }
  char* end = nullptr;
  const long long offset = std::strtoll(text, &end, 10);
  if (end == text) {
    return false;
  }
  char* rateEnd = nullptr;
  const double r = std::strtod(end, &rateEnd);
  offsetMs = offset;
  rate = (rateEnd != end && r > 0.0) ? r : 1.0;
  return true;
}

/// The skewed CLOCK_REALTIME in ns.
int64_t skewedNow() {
  const int64_t real = realNs(CLOCK_REALTIME);
  pthread_mutex_lock(&skew.mutex);
  if (!skew.started) {
    skew.started = true;
    skew.anchorReal = real;
    skew.anchorFake = real;
  }
  const int64_t mono = realNs(CLOCK_MONOTONIC);
  if (mono >= skew.nextReadNs) {
    skew.nextReadNs = mono + 20000000;
    int64_t offsetMs = 0;
    double rate = 1.0;
    if (readSkew(offsetMs, rate) && (offsetMs != skew.offsetMs || rate != skew.rate)) {
      skew.anchorFake = fakeAt(real) + (offsetMs - skew.offsetMs) * 1000000;
      skew.anchorReal = real;
      skew.offsetMs = offsetMs;
      skew.rate = rate;
    }
  }
  const int64_t fake = fakeAt(real);
  pthread_mutex_unlock(&skew.mutex);
  return fake;
}

}  // namespace

extern "C" int clock_gettime(clockid_t clock, timespec* ts) {
  if (clock != CLOCK_REALTIME && clock != CLOCK_REALTIME_COARSE) {
    return static_cast<int>(::syscall(SYS_clock_gettime, clock, ts));
  }
  const int64_t now = skewedNow();
  ts->tv_sec = static_cast<time_t>(now / 1000000000);
  ts->tv_nsec = static_cast<long>(now % 1000000000);
  return 0;
}

extern "C" int gettimeofday(timeval* tv, void* /*timezone*/) {
  // glibc declares tv nonnull.
  const int64_t now = skewedNow();
  tv->tv_sec = static_cast<time_t>(now / 1000000000);
  tv->tv_usec = static_cast<suseconds_t>((now % 1000000000) / 1000);
  return 0;
}

extern "C" time_t time(time_t* out) {
  const time_t now = static_cast<time_t>(skewedNow() / 1000000000);
  if (out != nullptr) {
    *out = now;
  }
  return now;
}
