#!/usr/bin/env bash
# One CTest test of a PROMSNMP_SANITIZE build (CMakeLists.txt, promsnmp_add_test):
#   run_sanitized.sh REPORT_DIR COMMAND [ARG...]
# Runs COMMAND with every sanitizer report of it and of every process it starts going to
# REPORT_DIR (emptied first; tests/tools/sanitizer.sh). Exit: COMMAND's status, or 1 when any
# process left a report, even if COMMAND passed or was skipped (the reports are printed).
set -u
report_dir=$1
shift
# shellcheck source=tests/tools/sanitizer.sh
. "$(dirname "$0")/sanitizer.sh"
rm -rf "${report_dir:?}"
sanitizer_env "$report_dir"
"$@"
code=$?
reports=$(sanitizer_reports "$report_dir")
if [ -n "$reports" ]; then
  printf '\nSANITIZER REPORTS (the test fails):\n%s\n' "$reports" >&2
  for f in "$report_dir"/*; do
    printf '\n==> %s <==\n' "$f" >&2
    head -n 80 "$f" >&2
  done
  if [ "$code" = 0 ] || [ "$code" = 77 ]; then
    code=1
  fi
fi
exit "$code"
