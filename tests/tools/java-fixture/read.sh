#!/usr/bin/env bash
# Loads an inventory file with the Java PromSNMP's model and mapper (ReadJavaInventory.java)
# and prints its devices, one line each. Needs a JDK and Debian's Jackson (scripts/deps.sh).
# Usage: read.sh FILE KEY
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
jars=(/usr/share/java/jackson-databind.jar /usr/share/java/jackson-core.jar
      /usr/share/java/jackson-annotations.jar)
classpath="$(IFS=:; echo "${jars[*]}")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
javac -encoding UTF-8 -Xlint:all -Werror -d "$work" -cp "$classpath" \
  "$here"/model/*.java "$here/ReadJavaInventory.java"
java -Dfile.encoding=UTF-8 -cp "$work:$classpath" ReadJavaInventory "$1" "$2"
