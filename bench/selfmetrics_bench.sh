#!/usr/bin/env bash
# Self-metrics registry benchmark (issue 13): the hand-written registry promsnmp had, the
# SelfMetrics of this tree and prometheus-cpp used directly, in one process (selfmetrics_bench).
# Usage: bench/selfmetrics_bench.sh BUILD_DIR [RUNS] [TARGETS]
# Prints a Markdown section on stdout; progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_NAME="self-metrics bench"
# shellcheck source=bench/common.sh
. bench/common.sh
build=${1:?usage: bench/selfmetrics_bench.sh BUILD_DIR [RUNS] [TARGETS]}
runs=${2:-21}
targets=${3:-1000}

load=$(cut -d' ' -f1-3 /proc/loadavg)
log "$runs runs per figure, $targets targets..."
table=$("$build/bin/selfmetrics_bench" "$runs" "$targets")
ratio() { # ROW-PREFIX COLUMN: a ratio column of the row whose first cell starts with ROW-PREFIX
  echo "$table" | awk -F'|' -v p="$1" -v c="$2" 'index($2, " " p) == 1 { gsub(/ /, "", $c); print $c }'
}

cat <<EOT
## Self-metrics registry (issue #13)

Command: \`bench/selfmetrics_bench.sh $build $runs $targets\` (\`$build/bin/selfmetrics_bench $runs $targets\`),
on $(date -u +%Y-%m-%d), load average before the run: $load. One process, three registries
holding the same series: the 36 families the daemon registers (its names, label sets and the
series a running replica shows) plus \`promsnmp_target_polls_total{target}\` for $targets targets.
*hand-written* is the registry promsnmp had before issue 13 (kept in \`bench/selfmetrics/\` as
the baseline); *SelfMetrics* is \`promsnmp/src/exposition/SelfMetrics\` as built in this tree;
*prometheus-cpp direct* is Debian's prometheus-cpp $(dpkg-query -W -f='${Version}' libprometheus-cpp-core1.0 2>/dev/null || echo '?')
core used as its documentation shows, a series looked up with \`Family::Add(labels)\` and
rendered with \`Registry::Collect\` and \`TextSerializer\`. Each figure is the median of 3
interleaved rounds of medians of $runs samples; a sample is the thread's CPU time
(\`CLOCK_THREAD_CPUTIME_ID\`) over 100,000 updates or 20 renders, divided.

- *poll: target counter* is the one per-target update a poll makes (\`Collector::outcomeOf\`).
- *poll: all updates* is everything one poll records: that, the duration histogram, the varbind
  counter and \`promsnmp_snmp_polls_total{trigger,result}\`.
- *scrape* is what a \`/snmp?target=\` (or \`/metrics?target=\`) request records in the registry:
  \`promsnmp_http_requests_total{handler,code}\` and \`cache_gets_total{cache,result}\`. The
  status families of a scrape (\`promsnmp_target_up\` and the rest) are written by
  \`Exposition\`, not by the registry, and the device text is not rendered by it either.
- *render* is one render of promsnmp's own \`/metrics\` (\`process_*\` left out: /proc reads,
  the same in all three); it runs only when that endpoint is scraped.

$table

SelfMetrics / hand-written: poll $(ratio "poll: all" 6), scrape $(ratio "scrape" 6), render $(ratio "render" 6).
For scale: the SNMP section above measures the collector's CPU per cached gzip scrape in tens of
microseconds and per live poll in milliseconds, so a difference of a few hundred nanoseconds on
the poll and scrape rows is below what those sections can resolve.
EOT
