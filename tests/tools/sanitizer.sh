# shellcheck shell=bash
# Sanitizer reports as files, one per process: sourced by tests/tools/run_sanitized.sh (every
# CTest test of a PROMSNMP_SANITIZE build) and tests/load/load_test.sh (SANITIZE=1).
#
# sanitizer_env DIR      exports ASAN_OPTIONS, UBSAN_OPTIONS and LSAN_OPTIONS so that every
#                        instrumented process started from then on — the test runner and each
#                        daemon, CLI or forked writer it starts, which inherit the environment —
#                        writes its AddressSanitizer, LeakSanitizer (at exit, leaks included)
#                        and UBSan reports to DIR/asan.<pid> or DIR/ubsan.<pid>. UBSan stops
#                        the process at its first report (abort): GCC's UBSan runtime, a library
#                        of its own beside ASan's, ignores log_path and would print to stderr
#                        only (a daemon's log, gone with the test's temp dir), so the abort is
#                        what ASan reports (handle_abort: "ABRT" with the UBSan handler on the
#                        stack), and the UBSan text lands in the same file. Any other abort()
#                        is reported the same way. ASan does not insist on coming first in the
#                        library list: the I/O fault layer (libiofault.so) is LD_PRELOADed into
#                        instrumented processes.
#                        LSan suppressions, if any: tests/tools/lsan.supp.
# sanitizer_reports DIR  one line per report file: "<file>: <its first report line>"; nothing
#                        when no instrumented process reported anything.
sanitizer_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

sanitizer_env() {
  local dir=$1
  mkdir -p "$dir"
  export ASAN_OPTIONS="detect_leaks=1:handle_abort=1:log_path=$dir/asan:strip_path_prefix=$sanitizer_top/:verify_asan_link_order=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1:log_path=$dir/ubsan:strip_path_prefix=$sanitizer_top/"
  if [ -f "$sanitizer_top/tests/tools/lsan.supp" ]; then
    export LSAN_OPTIONS="suppressions=$sanitizer_top/tests/tools/lsan.supp:print_suppressions=0"
  fi
}

sanitizer_reports() {
  local f
  for f in "$1"/asan.* "$1"/ubsan.*; do
    [ -e "$f" ] || continue
    echo "$f: $(grep -m1 -E 'ERROR: (Address|Leak)Sanitizer|runtime error|SUMMARY' "$f" || head -1 "$f")"
  done
}
