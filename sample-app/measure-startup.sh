#!/usr/bin/env bash
# Measures what the Mooncake starter adds to the sample app's start-up: the same jar started
# N times with the auto-configuration (engine, 64 MB segment, 16 MB pool) and N times with the
# "no-mooncake" profile (auto-configuration excluded, block store off). Reports the medians of
# Spring Boot's own "Started ... in X seconds" line.
# Usage: ./mvnw -q -pl sample-app -am package -DskipTests && sample-app/measure-startup.sh [N]
set -euo pipefail
cd "$(dirname "$0")"
runs=${1:-7}
jar=$(ls target/sample-app-*.jar | grep -v original | head -1)
measure() {
  local out
  out=$(timeout 60 java -jar "$jar" --server.port=0 --mooncake.handshake-port=0 \
        --spring.main.banner-mode=off "$@" --sample.exit-after-start=true 2>&1 || true)
  echo "$out" | sed -n 's/.*Started SampleApplication in \([0-9.]*\) seconds.*/\1/p' | head -1
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
measure >/dev/null; measure --spring.profiles.active=no-mooncake >/dev/null   # warm the page cache
with=(); without=()
for _ in $(seq "$runs"); do
  with+=("$(measure)")
  without+=("$(measure --spring.profiles.active=no-mooncake)")
done
w=$(printf '%s\n' "${with[@]}" | median)
b=$(printf '%s\n' "${without[@]}" | median)
echo "with starter:    ${with[*]} -> median ${w}s"
echo "without starter: ${without[*]} -> median ${b}s"
awk -v w="$w" -v b="$b" 'BEGIN {printf "starter adds %.3fs (%.0f%%)\n", w-b, (w-b)/b*100}'
