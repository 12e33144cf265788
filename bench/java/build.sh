#!/usr/bin/env bash
# Compiles the Java inventory peer (bench/java/JavaInventoryBench.java) together with the Java
# PromSNMP model mirror it shares with the fixture generator (tests/tools/java-fixture/model/).
# Needs javac 17+ and Debian's Jackson (default-jdk-headless, libjackson2-databind-java: both in
# scripts/deps.sh). Prints the classpath to run JavaInventoryBench with.
# Usage: bench/java/build.sh OUT_DIR   (e.g. build-bench/java)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${1:?usage: $0 OUT_DIR}"

jars=(/usr/share/java/jackson-databind.jar /usr/share/java/jackson-core.jar
      /usr/share/java/jackson-annotations.jar)
command -v javac >/dev/null || { echo "javac not found (run 'make deps')" >&2; exit 1; }
for jar in "${jars[@]}"; do
  [[ -f "$jar" ]] || { echo "$jar not found (run 'make deps')" >&2; exit 1; }
done
classpath="$(IFS=:; echo "${jars[*]}")"

rm -rf "$out/classes"
mkdir -p "$out/classes"
javac -encoding UTF-8 -Xlint:all -Werror -d "$out/classes" -cp "$classpath" \
  "$repo"/tests/tools/java-fixture/model/*.java "$here/JavaInventoryBench.java"
echo "$(cd "$out/classes" && pwd):$classpath"
