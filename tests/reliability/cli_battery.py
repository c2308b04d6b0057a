#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The malformed-input battery through the egw CLI.

Generates bad inputs nobody wrote by hand -- truncations of valid manifests
at many offsets, random bytes and random YAML-alphabet text, deep nesting,
huge scalars, billion laughs, and every field path of the valid Gateway API
objects mistyped (pyyaml walks them) -- and runs `egw translate` on each,
from files and from stdin, as Gateway API input and as IR input.  Each run
must end by itself within the timeout with exit status 0 or 1 (never a
signal, never 2 = usage), print its diagnostics as file:line:column lines,
and, in a sanitizer build, print no sanitizer report.

usage: cli_battery.py EGW SOURCE_ROOT [--scale S] [--timeout SECONDS]
Exits 77 (meson: skipped) without PyYAML.
"""
import concurrent.futures
import os
import random
import re
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    print("cli_battery: PyYAML is missing; skipped")
    sys.exit(77)

SANITIZER = re.compile(rb"(AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:|==\d+==ERROR)")
# file:line:column: severity: message, or file: severity: message when the
# diagnostic has no position
DIAG = re.compile(rb"^[^\n]*?(:\d+:\d+)?: (error|warning|info): ", re.M)


def mistyped(docs):
    """Every field path of every document, replaced by values of other types."""
    replacements = ["x", "", -1, 0, 2**63 - 1, 1e308, True, None, [], {}, [{"x": "y"}],
                    {"x": [1]}, "a" * 5000, "12"]

    def paths(node, path):
        if isinstance(node, dict):
            for k, v in node.items():
                yield path + [k]
                yield from paths(v, path + [k])
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield path + [i]
                yield from paths(v, path + [i])

    for di, doc in enumerate(docs):
        for p in list(paths(doc, [])):
            for rep in replacements:
                new = yaml.safe_load(yaml.safe_dump(docs))
                parent = new[di]
                for step in p[:-1]:
                    parent = parent[step]
                parent[p[-1]] = rep
                yield "%d:%s=%r" % (di, ".".join(map(str, p)), rep)[:120], new
            new = yaml.safe_load(yaml.safe_dump(docs))
            parent = new[di]
            for step in p[:-1]:
                parent = parent[step]
            del parent[p[-1]]
            yield "%d:%s deleted" % (di, ".".join(map(str, p))), new


def cases(root, scale, rng):
    data = os.path.join(root, "tests", "reliability", "data")
    sources = [os.path.join(data, "gateway.yaml"), os.path.join(data, "policies.yaml"),
               os.path.join(root, "testdata", "examples", "quickstart.yaml")]
    conf = os.path.join(root, "..", "shared", "conformance", "egctl", "in")
    if os.path.isdir(conf):
        sources += sorted(os.path.join(conf, f) for f in os.listdir(conf))[:3]
    for src in sources:
        text = open(src, "rb").read()
        steps = max(1, int(150 * scale))
        for cut in range(0, len(text), max(1, len(text) // steps)):
            yield "%s cut at %d" % (os.path.basename(src), cut), text[:cut], "gateway-api"
    for i in range(int(100 * scale) or 1):
        n = rng.randrange(2048)
        yield "random bytes %d" % i, bytes(rng.randrange(256) for _ in range(n)), "gateway-api"
        alpha = b"{}[]:,-&*!|>'\"#%? \n\n   abc019.~\t\\"
        yield "random text %d" % i, bytes(rng.choice(alpha) for _ in range(n)), \
            "xds-ir" if i % 2 else "gateway-api"
    for k, v in [("[", "]"), ("{", "}"), ("{a: ", "}")]:
        yield "nested %s x100000" % k, (k * 100000 + "1" + v * 100000).encode(), "gateway-api"
        yield "unclosed %s x100000" % k, (k * 100000).encode(), "xds-ir"
    yield "5 MiB scalar", b"a: " + b"x" * (5 << 20) + b"\n", "gateway-api"
    yield "5 MiB key", b"k" * (5 << 20) + b": v\n", "xds-ir"
    laughs = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for i in range(1, 10):
        laughs += "a%d: &a%d [%s]\n" % (i, i, ", ".join(["*a%d" % (i - 1)] * 10))
    yield "billion laughs", laughs.encode(), "gateway-api"
    yield "billion laughs IR", laughs.encode(), "xds-ir"
    yield "100k documents", b"---\na: 1\n" * 100000, "gateway-api"
    yield "100k keys", b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\ndata:\n" + \
        b"".join(b"  k%d: v\n" % i for i in range(100000)), "gateway-api"
    docs = [d for d in yaml.safe_load_all(open(os.path.join(data, "gateway.yaml"))) if d]
    every = max(1, int(1 / scale)) if scale < 1 else 1
    for i, (what, new) in enumerate(mistyped(docs)):
        if i % every:
            continue
        yield "mistyped " + what, yaml.safe_dump_all(new).encode(), "gateway-api"


def run(egw, tmpdir, idx, what, data, from_, timeout, use_stdin):
    args = [egw, "translate", "--from", from_, "--to",
            "gateway-api,ir,xds" if from_ == "gateway-api" else "xds", "-o", "yaml"]
    if use_stdin:
        args += ["-f", "-"]
        stdin = data
    else:
        path = os.path.join(tmpdir, "case%d.yaml" % idx)
        with open(path, "wb") as f:
            f.write(data)
        args += ["-f", path]
        stdin = None
    try:
        p = subprocess.run(args, input=stdin, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "%s: timed out after %ds" % (what, timeout)
    finally:
        if not use_stdin:
            os.unlink(path)
    if p.returncode < 0:
        return "%s: killed by signal %d" % (what, -p.returncode)
    if p.returncode not in (0, 1):
        return "%s: exit status %d: %s" % (what, p.returncode, p.stderr[-500:].decode(errors="replace"))
    if SANITIZER.search(p.stderr):
        return "%s: sanitizer report:\n%s" % (what, p.stderr[-3000:].decode(errors="replace"))
    if p.returncode == 0 and not p.stdout:
        return "%s: exit status 0 but no output" % what
    seen_diag = False
    for line in p.stderr.splitlines():
        if line.startswith(b"egw: ") or DIAG.match(line + b"\n"):
            seen_diag = True
            continue
        if seen_diag:
            # a diagnostic whose message spans lines: reported, not failed
            return "MULTILINE %s: %r" % (what, line[:120])
        return "%s: stray stderr line %r" % (what, line[:200])
    return None


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        print(__doc__)
        return 2
    egw, root = os.path.abspath(args[0]), args[1]
    scale = 1.0
    timeout = 60
    if "--scale" in args:
        scale = float(args[args.index("--scale") + 1])
    if os.environ.get("EGW_BATTERY_SCALE"):  # wins over --scale
        scale = float(os.environ["EGW_BATTERY_SCALE"])
    if "--timeout" in args:
        timeout = int(args[args.index("--timeout") + 1])
    rng = random.Random(20261127)
    failures = []
    n = 0
    with tempfile.TemporaryDirectory() as tmp, \
            concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futs = []
        for i, (what, data, from_) in enumerate(cases(root, scale, rng)):
            futs.append(pool.submit(run, egw, tmp, i, what, data, from_, timeout, i % 7 == 0))
            n += 1
        multiline = []
        for f in futs:
            err = f.result()
            if err and err.startswith("MULTILINE "):
                multiline.append(err[10:])
            elif err:
                failures.append(err)
    for f in failures[:30]:
        print("FAIL", f)
    if multiline:
        print("note: %d runs printed a diagnostic whose message has more than one line, e.g. %s"
              % (len(multiline), multiline[0]))
    print("cli_battery: %d runs, %d failed" % (n, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
