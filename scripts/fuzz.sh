#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Timed libFuzzer sessions, one per target (yaml, json, ir, config, block).
#
#   scripts/fuzz.sh [--seconds N] [--jobs J] [--max-len B] [--no-seeds] [TARGET...]
#   (--no-seeds: keep the seeds of the last run)
#
# Installs clang when it is missing (the normal build does not need it),
# builds the targets with ASan+UBSan into build-fuzz/ (debug pool on, so the
# arena's allocations are real mallocs ASan can guard), generates seed
# corpora from testdata/ and ../shared/conformance (into build-fuzz/, never
# into the tree), and runs each target N seconds (default 60).  J targets run
# at once (default 1; this machine has 2 cores).  --max-len caps input size
# (default 64 KiB; smaller runs faster, larger seeds are cut).  The working corpus in
# build-fuzz/fuzz-corpus/ grows from run to run.  Findings land in
# build-fuzz/fuzz-findings/TARGET/; a finding, once fixed, becomes a
# regression input: copy it into tests/fuzz/corpus/TARGET/ (the normal test
# suite replays that folder).  Exits 1 when a run found something.
#
# EGW_FUZZ_CFLAGS adds compiler flags to a fresh build-fuzz/ (for instance
# -fno-sanitize=nonnull-attribute to fuzz past a known memcpy(p, NULL, 0)).
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=60
JOBS=1
SEEDS=1
MAXLEN=65536
TARGETS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECS=$2; shift 2 ;;
    --seconds=*) SECS=${1#*=}; shift ;;
    --jobs) JOBS=$2; shift 2 ;;
    --jobs=*) JOBS=${1#*=}; shift ;;
    --max-len) MAXLEN=$2; shift 2 ;;
    --no-seeds) SEEDS=0; shift ;;
    -h|--help) sed -n '3,21p' "$0"; exit 0 ;;
    yaml|json|ir|config|block) TARGETS+=("$1"); shift ;;
    *) echo "fuzz.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(yaml json ir config block)

B=${EGW_FUZZ_BUILD_DIR:-build-fuzz}
CONF=${EGW_CONFORMANCE_DIR:-../shared/conformance}

if ! command -v clang >/dev/null 2>&1; then
  echo "fuzz.sh: installing clang" >&2
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq clang >/dev/null
fi

if [ ! -f "$B/build.ninja" ]; then
  CC=clang meson setup "$B" \
    -Dfuzzers=true -Ddebug_pool=true \
    -Db_sanitize=address,undefined -Db_lundef=false \
    -Dc_args="-fsanitize=fuzzer-no-link -fno-sanitize-recover=all -fno-omit-frame-pointer ${EGW_FUZZ_CFLAGS:-}" \
    -Dbuildtype=debugoptimized >/dev/null
fi
if ! ninja -C "$B" $(printf 'tests/fuzz/fuzz_%s ' "${TARGETS[@]}") >"$B/fuzz-build.log" 2>&1; then
  grep -E 'error|FAILED' "$B/fuzz-build.log" | head -20 >&2
  echo "fuzz.sh: build failed; see $B/fuzz-build.log" >&2
  exit 2
fi

SEED_DIR="$B/fuzz-seeds"
if [ "$SEEDS" = 1 ]; then
  rm -rf "$SEED_DIR"
  mkdir -p "$SEED_DIR"
  python3 - "$SEED_DIR" "$CONF" <<'PY'
# Seed corpora and dictionaries, generated at fuzz time from the golden inputs.
import glob, hashlib, json, os, sys
import yaml

out, conf = sys.argv[1], sys.argv[2]
seeds = {t: {} for t in ("yaml", "json", "ir", "config", "block")}
keys = {t: {} for t in seeds}

def add(t, data):
    if isinstance(data, str):
        data = data.encode()
    if len(data) > 60000:
        return
    seeds[t][hashlib.sha1(data).hexdigest()[:16]] = data

def collect_keys(t, node):
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(k, str) and len(k) < 40:
                keys[t][k] = keys[t].get(k, 0) + 1
            collect_keys(t, v)
    elif isinstance(node, list):
        for v in node:
            collect_keys(t, v)

def load_all(text):
    try:
        return [d for d in yaml.safe_load_all(text) if d is not None]
    except Exception:
        return None

manifests = sorted(glob.glob("testdata/**/*.yaml", recursive=True))
manifests += sorted(glob.glob(os.path.join(conf, "gatewayapi", "*.in.yaml")))
manifests += sorted(glob.glob(os.path.join(conf, "gatewayapi-extensions", "*.in.yaml")))
manifests += sorted(glob.glob(os.path.join(conf, "egctl", "in", "*.yaml")))
manifests += sorted(glob.glob("tests/reliability/data/*.yaml"))
for p in manifests:
    text = open(p, "rb").read()
    add("yaml", text)
    docs = load_all(text)
    if docs is None:
        continue
    for d in docs:
        collect_keys("yaml", d)
    # JSON: the whole file as a kind: List, and each object alone
    try:
        add("json", json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}))
        for d in docs[:3]:
            add("json", json.dumps(d, indent=1))
    except (TypeError, ValueError):
        pass
keys["json"] = keys["yaml"]
# block.c's scanner against libyaml: the same manifests
seeds["block"] = dict(seeds["yaml"])
keys["block"] = keys["yaml"]

irs = []
for sub in ("xds-ir", "extension-xds-ir", "ratelimit-config"):
    irs += sorted(glob.glob(os.path.join(conf, "xds", sub, "in", "*.yaml")))
for p in irs:
    if p.endswith(".settings.yaml"):
        continue
    text = open(p, "rb").read()
    add("ir", text)
    docs = load_all(text)
    for d in docs or []:
        collect_keys("ir", d)

for p in sorted(glob.glob(os.path.join(conf, "gatewayapi*", "*.config.yaml"))):
    text = open(p, "rb").read()
    add("config", text)
    for d in load_all(text) or []:
        collect_keys("config", d)

for t in seeds:
    for src in sorted(glob.glob(os.path.join("tests", "fuzz", "corpus", t, "*"))):
        add(t, open(src, "rb").read())

syntax = ['"---\\x0a"', '"- "', '": "', '"&a "', '"*a"', '"!!str "', '"? "', '"|\\x0a"',
          '">-\\x0a"', '"[]"', '"{}"', '"\\x22"', '"\'"', '"#"', '"%YAML 1.2\\x0a"',
          '"<<: "', '"null"', '"true"', '"0x1F"', '".inf"', '"1e999"', '"\\\\u0000"',
          '"# egw-add-missing\\x0a"', '"kind: List\\x0a"', '"items:\\x0a"']
for t in seeds:
    os.makedirs(os.path.join(out, t), exist_ok=True)
    for h, data in seeds[t].items():
        open(os.path.join(out, t, h), "wb").write(data)
    top = sorted(keys[t].items(), key=lambda kv: -kv[1])[:400]
    with open(os.path.join(out, t + ".dict"), "w") as f:
        for s in syntax:
            f.write(s + "\n")
        for k, _ in top:
            if all(32 <= ord(ch) < 127 and ch not in '"\\' for ch in k):
                f.write('"%s"\n' % k)
    print("fuzz.sh: %-6s %5d seeds, %3d dictionary words" % (t, len(seeds[t]), len(top)))
PY
fi

mkdir -p "$B/fuzz-corpus" "$B/fuzz-findings" "$B/fuzz-logs"
run_target() {
  local t=$1
  local corpus="$B/fuzz-corpus/$t" findings="$B/fuzz-findings/$t" log="$B/fuzz-logs/$t.log"
  mkdir -p "$corpus" "$findings"
  local dict=()
  [ -f "$SEED_DIR/$t.dict" ] && dict=(-dict="$SEED_DIR/$t.dict")
  local seeds=()
  [ -d "$SEED_DIR/$t" ] && seeds=("$SEED_DIR/$t")
  # libFuzzer stops at a crash: restart it for the time left, so one session
  # collects every finding (each is written to $findings).
  local end=$(( $(date +%s) + SECS )) left rounds=0
  : >"$log"
  while left=$(( end - $(date +%s) )); [ "$left" -gt 5 ]; do
    rounds=$((rounds + 1))
    ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$B/tests/fuzz/fuzz_$t" "$corpus" "${seeds[@]}" "${dict[@]}" \
      -max_total_time="$left" -timeout=10 -rss_limit_mb=2048 -max_len="$MAXLEN" \
      -artifact_prefix="$findings/" -print_final_stats=1 >>"$log" 2>&1 && break
    [ "$rounds" -lt 50 ] || break
  done
  local n
  n=$(find "$findings" -type f | wc -l)
  local stats
  stats=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed 's/  */ /g' || true)
  local execs
  execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{s += $2} END {print s + 0}')
  echo "fuzz.sh: $t: ${SECS}s, $execs executions, $n finding(s) in $findings; last: $stats"
}

pids=()
for t in "${TARGETS[@]}"; do
  run_target "$t" &
  pids+=($!)
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do sleep 1; done
done
wait

found=$(find "$B/fuzz-findings" -type f | wc -l)
if [ "$found" -gt 0 ]; then
  echo "fuzz.sh: $found finding(s); reproduce with $B/tests/fuzz/fuzz_TARGET FILE" >&2
  exit 1
fi
