#!/usr/bin/env bash
# Build the Rocklet interop harness: downloads Apache RocketMQ 4.9.3 jars from Maven Central,
# compiles the Java programs into target/classes and copies all jars into target/lib.
# Idempotent: skips the Maven run when the build output is newer than every source file.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"
stamp=target/.setup-stamp
if [[ -f $stamp && -d target/lib && -d target/classes ]] && \
   [[ -z "$(find pom.xml src -newer "$stamp" -print -quit 2>/dev/null)" ]]; then
  echo "setup: up to date"
  exit 0
fi
command -v mvn >/dev/null || { echo "setup: mvn not found (apt-get install maven)" >&2; exit 1; }
command -v java >/dev/null || { echo "setup: java not found" >&2; exit 1; }
echo "setup: mvn package (first run downloads RocketMQ 4.9.3 from Maven Central)"
mvn -q -B package -DskipTests
touch "$stamp"
echo "setup: ok ($(ls target/lib | wc -l) jars in target/lib)"
