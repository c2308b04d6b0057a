#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sanitizer and leak-check runs of the test suites.
#
#   scripts/sanitize.sh [--asan] [--valgrind] [--conformance] [--jobs N]
#
# --asan (the default when neither is given): builds build-asan/ with
#   AddressSanitizer + UndefinedBehaviorSanitizer, -fno-sanitize-recover=all
#   and the debug pool (each arena allocation a real malloc, so ASan guards
#   it), and runs the unit, reliability, golden and cli suites (and the
#   conformance corpus with --conformance).  LeakSanitizer is on.
# --valgrind: builds build-valgrind/ (no sanitizer, debug pool) and runs the
#   unit and reliability suites (but the CLI battery, a Python driver) under
#   `valgrind --error-exitcode=1 --leak-check=full` through meson's --wrapper,
#   with the malformed battery and the allocation sweep sampled
#   (EGW_BATTERY_SCALE, EGW_SWEEP_STRIDE), then the egw CLI under valgrind on
#   every golden input (testdata/golden) and the egctl corpus inputs.
#
# Prints how long each part took.  Exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

ASAN=0
VG=0
CONFORMANCE=0
JOBS=${MESON_TEST_JOBS:-2}
while [ $# -gt 0 ]; do
  case "$1" in
    --asan) ASAN=1 ;;
    --valgrind) VG=1 ;;
    --conformance) CONFORMANCE=1 ;;
    --jobs) JOBS=$2; shift ;;
    -h|--help) sed -n '3,20p' "$0"; exit 0 ;;
    *) echo "sanitize.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[ "$ASAN" = 1 ] || [ "$VG" = 1 ] || ASAN=1

status=0
t_start=$(date +%s)
stamp() { echo "sanitize.sh: $1: $(( $(date +%s) - $2 )) s" >&2; }

if [ "$ASAN" = 1 ]; then
  B=${EGW_ASAN_BUILD_DIR:-build-asan}
  t0=$(date +%s)
  if [ ! -f "$B/build.ninja" ]; then
    meson setup "$B" -Db_sanitize=address,undefined -Dc_args=-fno-sanitize-recover=all \
      -Ddebug_pool=true -Dbuildtype=debug >/dev/null || exit 2
  fi
  ninja -C "$B" >"$B-build.log" 2>&1 || { tail -20 "$B-build.log" >&2; exit 2; }
  stamp "asan build" "$t0"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  export CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-10} # Check's 4 s per unit test
  suites=(--suite unit --suite reliability --suite golden --suite cli)
  [ "$CONFORMANCE" = 1 ] && suites+=(--suite conformance)
  t0=$(date +%s)
  meson test -C "$B" --print-errorlogs --num-processes "$JOBS" --timeout-multiplier 4 \
    "${suites[@]}" || status=1
  stamp "asan tests (${suites[*]})" "$t0"
fi

if [ "$VG" = 1 ]; then
  command -v valgrind >/dev/null || { echo "sanitize.sh: valgrind is not installed" >&2; exit 2; }
  B=${EGW_VALGRIND_BUILD_DIR:-build-valgrind}
  t0=$(date +%s)
  if [ ! -f "$B/build.ninja" ]; then
    meson setup "$B" -Ddebug_pool=true -Dbuildtype=debugoptimized >/dev/null || exit 2
  fi
  ninja -C "$B" >"$B-build.log" 2>&1 || { tail -20 "$B-build.log" >&2; exit 2; }
  stamp "valgrind build" "$t0"
  VGCMD="valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect --track-origins=yes -q"
  t0=$(date +%s)
  EGW_BATTERY_SCALE=${EGW_BATTERY_SCALE:-0.05} EGW_SWEEP_STRIDE=${EGW_SWEEP_STRIDE:-37} \
  EGW_BATTERY_CASE_TIMEOUT=${EGW_BATTERY_CASE_TIMEOUT:-900} \
  CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-50} \
    meson test -C "$B" --print-errorlogs --num-processes "$JOBS" --timeout-multiplier 10 \
      --suite unit --suite reliability --no-suite reliability-cli --wrapper "$VGCMD" || status=1
  stamp "valgrind unit + reliability suites" "$t0"

  # The golden and CLI tests are Python drivers around the egw binary; run
  # the binary itself under valgrind on their inputs (the normal build checks
  # the outputs).
  t0=$(date +%s)
  n=0
  bad=0
  inputs=(testdata/golden/*/input.yaml testdata/examples/*.yaml)
  [ -d ../shared/conformance/egctl/in ] && inputs+=(../shared/conformance/egctl/in/*.yaml)
  for f in "${inputs[@]}"; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    for to in gateway-api,ir,xds; do
      if ! $VGCMD "$B/src/egw" translate --to "$to" -o json -f "$f" >/dev/null 2>"$B-vg.log"; then
        if grep -q "==[0-9]*==" "$B-vg.log"; then
          echo "sanitize.sh: valgrind: $f" >&2
          grep "==[0-9]*==" "$B-vg.log" | head -30 >&2
          bad=$((bad + 1))
        fi
      fi
    done
    if ! $VGCMD "$B/src/egw" translate --add-missing-resources -o yaml -f "$f" >/dev/null 2>"$B-vg.log" &&
       grep -q "==[0-9]*==" "$B-vg.log"; then
      echo "sanitize.sh: valgrind (--add-missing-resources): $f" >&2
      grep "==[0-9]*==" "$B-vg.log" | head -30 >&2
      bad=$((bad + 1))
    fi
  done
  [ "$bad" = 0 ] || status=1
  stamp "valgrind egw CLI on $n golden/egctl inputs ($bad with errors)" "$t0"
fi

stamp "total" "$t_start"
exit $status
