#!/usr/bin/env bash
# Regenerates the Java-written inventory fixtures in tests/data/java/:
#   inventory-java.json  plaintext, exactly as Jackson (default pretty printer) writes it
#   inventory-java.enc   the same text encrypted like the Java PromSNMP EncryptionUtils
#                        (AES-128-GCM, key "PromSnmpJava16Ky", random IV, Base64, no newline)
#
# The committed fixtures were produced with this script. Tests only read the committed files
# and do not need Java; run this only to change the fixture content. The .json output is
# deterministic; the .enc changes on every run (fresh random IV), like the Java application.
#
# Needs a JDK (javac/java 17+) and Debian's Jackson (libjackson2-databind-java, installed here
# with apt-get if missing). Usage: generate.sh [output-dir]   (default: tests/data/java)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
out="${1:-$repo/tests/data/java}"

jars=(/usr/share/java/jackson-databind.jar /usr/share/java/jackson-core.jar
      /usr/share/java/jackson-annotations.jar)

missing=0
for jar in "${jars[@]}"; do
  [[ -f "$jar" ]] || missing=1
done
if (( missing )); then
  echo "installing libjackson2-databind-java" >&2
  sudo_cmd=()
  (( EUID == 0 )) || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get install -y libjackson2-databind-java >&2
fi

classpath="$(IFS=:; echo "${jars[*]}")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

javac -encoding UTF-8 -Xlint:all -Werror -d "$work" -cp "$classpath" \
  "$here"/model/*.java "$here/GenerateJavaInventory.java"
java -Dfile.encoding=UTF-8 -cp "$work:$classpath" GenerateJavaInventory "$out"
