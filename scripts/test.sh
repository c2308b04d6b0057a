#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The README's second command: set up, build, and run every test.  Ends
# with one line "N passed, N failed" over all meson tests of the run.
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh || exit 1
./scripts/build.sh >/dev/null || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
B=${EGW_BUILD_DIR:-build}
meson test -C "$B" --print-errorlogs ${EGW_TEST_ARGS:-}
rc=$?
python3 - "$B/meson-logs/testlog.json" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    r = json.loads(line).get("result")
    if r in ("OK", "EXPECTEDFAIL"):
        p += 1
    elif r == "SKIP":
        s += 1
    else:
        f += 1
print(f"{p} passed, {f} failed" + (f", {s} skipped" if s else ""))
PY
exit $rc
