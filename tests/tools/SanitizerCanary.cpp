// A program with one deliberate sanitizer finding per mode, for the self-test of the sanitizer
// stage of `make test` (tests/tools/sanitizer_selftest.sh): it proves that a report in a process
// a test starts fails that test. Built only with PROMSNMP_SANITIZE.
//   sanitizer-canary clean      exits 0, nothing to report
//   sanitizer-canary leak       leaks 64 bytes and exits 0 (LeakSanitizer at exit)
//   sanitizer-canary overflow   writes one byte past a heap block (AddressSanitizer)
//   sanitizer-canary undefined  overflows a signed int (UBSan) and exits 0
//   sanitizer-canary daemon F   a daemon that leaks, creates file F once it handles SIGTERM,
//                               and exits 0 on SIGTERM (within 10 s: then it exits 3)
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <string>

namespace {

void* volatile gBlock = nullptr;
volatile sig_atomic_t gStop = 0;

void leak() {
  gBlock = std::malloc(64);
  gBlock = nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "clean") {
    return 0;
  }
  if (mode == "leak") {
    leak();
    return 0;
  }
  if (mode == "overflow") {
    // Through the global: the write is not a dead store, and UBSan's object-size check does
    // not know the block's size (ASan, not UBSan, reports it).
    gBlock = std::malloc(8);
    char* block = static_cast<char*>(gBlock);
    volatile size_t past = 8;
    block[past] = 1;
    return 0;
  }
  if (mode == "undefined") {
    volatile int big = INT_MAX;
    volatile int sum = big + 1;
    return sum == 0 ? 1 : 0;
  }
  if (mode == "daemon" && argc > 2) {
    leak();
    struct sigaction stop {};
    stop.sa_handler = [](int) { gStop = 1; };
    ::sigaction(SIGTERM, &stop, nullptr);
    ::close(::open(argv[2], O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    for (int i = 0; i < 1000 && gStop == 0; ++i) {
      ::usleep(10000);
    }
    return gStop != 0 ? 0 : 3;
  }
  return 2;
}
