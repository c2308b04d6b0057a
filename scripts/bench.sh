#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the benchmark workloads and writes bench-results/results.json, a table
# (bench-results/table.md) and the scaling plot (docs/performance-scaling.png).
#   scripts/bench.sh [--routes 100,1000,10000,100000] [--repeat N] [--quick]
# --quick: routes 100,1000,10000 and 3 repeats (a few minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUTES=100,1000,10000,100000
REPEAT=3
while [ $# -gt 0 ]; do
  case "$1" in
    --routes) ROUTES=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --quick) ROUTES=100,1000,10000; REPEAT=3; shift ;;
    *) echo "unknown flag $1" >&2; exit 2 ;;
  esac
done
B=${EGW_BUILD_DIR:-build-bench}
if [ ! -f "$B/build.ninja" ]; then
  meson setup "$B" --buildtype=release -Db_ndebug=true >/dev/null
fi
ninja -C "$B" tests/bench/egw-bench >/dev/null
OUT=bench-results
mkdir -p "$OUT/workloads"
python3 tests/bench/gen_workload.py "$OUT/workloads" --routes "$ROUTES" --tls-routes 10000 >/dev/null
: > "$OUT/results.jsonl"
for w in small medium large $(echo "$ROUTES" | tr ',' '\n' | sed 's/^/routes-/') tls-routes-10000; do
  f="$OUT/workloads/$w.yaml"
  r=$REPEAT
  case "$w" in large) r=1 ;; esac
  echo "bench: $w" >&2
  "$B/tests/bench/egw-bench" "$f" --repeat "$r" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)))' >> "$OUT/results.jsonl"
done
python3 tests/bench/report.py "$OUT/results.jsonl" --table "$OUT/table.md" --plot docs/performance-scaling.png
cat "$OUT/table.md"
