#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Tests of the `egw` command line: argument handling, exit codes, and the
bad-input cases of testdata/bad, each run through the CLI.

A bad case is a file testdata/bad/NAME.{yaml,json} whose leading comment
lines (or, for JSON, a sidecar NAME.expect) say what must happen:

  # args: --to gateway-api -o json     extra arguments (default: the golden run's)
  # exit: 1                             expected exit code (default 0)
  # diag: 7:11: error: mapping values   a diagnostic on stderr: FILE:7:11: error: ...
                                        whose message contains the text after the
                                        severity (repeatable; in any order); a
                                        leading NAME: gives another input's name
                                        (<config> for --config)
  # stderr: no readable document        a line of stderr contains this text
  # stdout: "name": "after"             stdout contains this text (repeatable)
  # no-stdout: "name": "broken"         stdout does not contain this text

Every diagnostic line the CLI prints (FILE:LINE:COL: severity: ...) must be
matched by a `diag:` expectation: no unexpected diagnostics.

usage: test_cli.py EGW SOURCE_ROOT
"""
import json
import os
import re
import subprocess
import sys
import tempfile

FAILS = []


def run(egw, args, stdin=None, cwd=None):
    p = subprocess.run([egw] + args, input=stdin, capture_output=True, cwd=cwd, timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL: " + what)
    return cond


def arg_cases(egw, root):
    quick = os.path.join(root, "testdata", "examples", "quickstart.yaml")
    rc, out, err = run(egw, ["version"])
    check(rc == 0 and re.fullmatch(r"egw \d+\.\d+\.\d+\n", out), f"egw version: rc={rc} out={out!r}")
    rc, out, _ = run(egw, ["--version"])
    check(rc == 0 and out.startswith("egw "), "egw --version")
    for a in (["--help"], ["-h"], ["help"], ["translate", "--help"]):
        rc, out, _ = run(egw, a)
        check(rc == 0 and "usage: egw translate" in out, f"egw {' '.join(a)} prints usage, exit 0")
    rc, _, err = run(egw, [])
    check(rc == 2 and "usage" in err, "no command: exit 2 with usage on stderr")
    bad = [
        (["frobnicate"], "unknown command"),
        (["translate", "--bogus", "-f", quick], "unknown flag"),
        (["translate", "-f", quick, "--from", "kubernetes"], "--from must be"),
        (["translate", "-f", quick, "--to", "xds,nonsense"], "unknown output nonsense"),
        (["translate", "-f", quick, "--type", "unknown"], "--type must be"),
        (["translate", "-f", quick, "-o", "xml"], "--output must be"),
        (["translate"], "no input"),
        (["translate", "-f"], "-f needs a value"),
        (["translate", "-f", quick, "--output"], "--output needs a value"),
        (["translate", "-f", quick, "--now", "yesterday"], "--now wants seconds"),
        (["translate", "-f", quick, "--now", "-5"], "--now wants seconds"),
    ]
    for a, msg in bad:
        rc, out, err = run(egw, a)
        check(rc == 2 and msg in err and out == "", f"egw {' '.join(a)}: exit 2 with {msg!r} (got {rc}, {err.strip()[:120]!r})")
    rc, out, err = run(egw, ["translate", "-f", "/nonexistent/input.yaml"])
    check(rc == 1 and "cannot read /nonexistent/input.yaml" in err and out == "", "missing file: exit 1")

    # stdin, --flag=value, and the same bytes through a file give the same output
    data = open(quick, "rb").read()
    rc1, out1, _ = run(egw, ["translate", "--to", "gateway-api,xds", "-o", "json", "-f", quick])
    rc2, out2, _ = run(egw, ["translate", "--to=gateway-api,xds", "--output=json", "--file=-"], stdin=data)
    check(rc1 == 0 and rc2 == 0 and out1 == out2 and out1, "stdin and --flag=value give the file's output")
    # JSON output is JSON; YAML output reads back as the same document
    try:
        doc = json.loads(out1)
        check(isinstance(doc, dict) and "xds" in doc, "-o json output has the xds part")
    except ValueError as e:
        check(False, f"-o json output is not JSON: {e}")
        doc = None
    rc3, out3, _ = run(egw, ["translate", "--to", "gateway-api,xds", "-f", quick])
    try:
        import yaml
        check(rc3 == 0 and yaml.safe_load(out3) == doc, "default -o yaml output reads back as the JSON output")
    except ImportError:
        pass
    # --to selects parts
    rc, out, _ = run(egw, ["translate", "--to", "ir", "-o", "json", "-f", quick])
    d = json.loads(out) if rc == 0 else {}
    # egctl prints the resources with the IR (the corpus's quickstart run)
    check(rc == 0 and {"xdsIR", "infraIR", "gateways", "httpRoutes"} <= set(d) and "xds" not in d,
          f"--to ir renders the IR and the resources, not xDS (got {sorted(d)})")
    rc, out, _ = run(egw, ["translate", "-o", "json", "-f", quick])
    d = json.loads(out) if rc == 0 else {}
    check(rc == 0 and set(d) == {"xds"}, f"--to defaults to xds (got {sorted(d)})")
    # --now: certificates are checked at that time (the golden HTTPS case's
    # certificate is valid 2025 .. 2035); the default is the clock
    https = os.path.join(root, "testdata", "golden", "https-terminate", "input.yaml")
    if os.path.exists(https):
        verdicts = {}
        for now in ("0", "1893456000", "4102444800"):  # none, 2030, 2100
            rc, out, _ = run(egw, ["translate", "--to", "gateway-api", "-o", "json", "--now", now, "-f", https])
            verdicts[now] = rc == 0 and "has expired since" in out
        check(verdicts == {"0": False, "1893456000": False, "4102444800": True},
              f"--now moves the certificate check (expired at: {verdicts})")
    # the same file twice is a duplicate of every object
    rc, out, err = run(egw, ["translate", "-o", "json", "-f", quick, "-f", quick])
    check(rc == 0 and "duplicate" in err, "the same file twice: duplicates diagnosed, exit 0")
    # a namespace for objects without one
    with tempfile.TemporaryDirectory() as tmp:
        p = os.path.join(tmp, "nons.yaml")
        with open(p, "w") as f:
            f.write("apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\n"
                    "metadata: {name: eg}\nspec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n"
                    "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
                    "metadata: {name: g}\nspec:\n  gatewayClassName: eg\n"
                    "  listeners: [{name: http, protocol: HTTP, port: 80}]\n")
        rc, out, _ = run(egw, ["translate", "--to", "gateway-api", "-o", "json", "-n", "team-a", "-f", p])
        gws = json.loads(out).get("gateways", []) if rc == 0 else []
        check(rc == 0 and [g["metadata"].get("namespace") for g in gws] == ["team-a"],
              "-n puts objects without a namespace into it")
        rc, out, _ = run(egw, ["translate", "--to", "gateway-api", "-o", "json", "-f", p])
        gws = json.loads(out).get("gateways", []) if rc == 0 else []
        check(rc == 0 and [g["metadata"].get("namespace") for g in gws] == ["envoy-gateway-system"],
              "without -n, objects without a namespace go to envoy-gateway-system (as egctl)")
        # without --config, egctl's settings: the Backend API is on; a
        # configuration that does not enable it turns it off
        be = os.path.join(tmp, "backend.yaml")
        with open(be, "w") as f:
            f.write("apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\n"
                    "metadata: {name: be, namespace: default}\n"
                    "spec: {endpoints: [{fqdn: {hostname: be.example, port: 443}}]}\n")
        cfg = os.path.join(tmp, "eg.yaml")
        with open(cfg, "w") as f:
            f.write("apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyGateway\n")
        verdicts = []
        for extra in ([], ["--config", cfg]):
            rc, out, _ = run(egw, ["translate", "--to", "gateway-api", "-o", "json", "-f", p, "-f", be] + extra)
            bes = json.loads(out).get("backends", []) if rc == 0 else []
            conds = [c["type"] + "=" + c["status"] for b in bes for c in b.get("status", {}).get("conditions", [])]
            verdicts.append(conds)
        check(verdicts == [["Accepted=True"], ["Invalid=False"]],
              f"Backend API on without --config, off with a config that does not enable it (got {verdicts})")


DIAG_RE = re.compile(r"^(.*?):(\d+):(\d+): (error|warning|info): (.*)$")


def expectations(path):
    exp = {"args": None, "exit": 0, "diag": [], "stderr": [], "stdout": [], "no-stdout": []}
    src = path
    if path.endswith(".json"):
        src = path[: -len(".json")] + ".expect"
    for line in open(src, encoding="utf-8"):
        if not line.startswith("#"):
            if path.endswith(".json"):
                continue
            break
        m = re.match(r"#\s*([a-z-]+):\s?(.*)$", line.rstrip("\n"))
        if not m or m.group(1) not in exp:
            continue
        k, v = m.group(1), m.group(2)
        if k == "exit":
            exp[k] = int(v)
        elif k == "args":
            exp[k] = v.split()
        else:
            exp[k].append(v)
    return exp


def bad_cases(egw, root):
    bad_dir = os.path.join(root, "testdata", "bad")
    names = sorted(f for f in os.listdir(bad_dir) if f.endswith((".yaml", ".json")))
    check(len(names) > 0, "testdata/bad has cases")
    for name in names:
        path = os.path.join(bad_dir, name)
        exp = expectations(path)
        args = exp["args"] or ["--from", "gateway-api", "--to", "gateway-api,ir,xds", "-o", "json"]
        rc, out, err = run(egw, ["translate"] + args + ["-f", name], cwd=bad_dir)
        ok = True
        ok &= check(rc == exp["exit"], f"{name}: exit {rc}, expected {exp['exit']}\n{err}")
        diags = [DIAG_RE.match(l) for l in err.splitlines()]
        diags = [m for m in diags if m]
        used = set()
        for want in exp["diag"]:
            m = re.match(r"(?:([^:\s]+):)?(\d+):(\d+): (error|warning|info): (.*)$", want)
            if not check(m is not None, f"{name}: malformed diag expectation {want!r}"):
                continue
            where, line, col, sev, text = m.group(1) or name, m.group(2), m.group(3), m.group(4), m.group(5)
            hit = None
            for i, d in enumerate(diags):
                if i in used:
                    continue
                if (d.group(1) == where and d.group(2) == line and d.group(3) == col
                        and d.group(4) == sev and text in d.group(5)):
                    hit = i
                    break
            if check(hit is not None, f"{name}: no diagnostic {name}:{want}\nstderr:\n{err}"):
                used.add(hit)
            else:
                ok = False
        for i, d in enumerate(diags):
            if i not in used:
                ok &= check(False, f"{name}: unexpected diagnostic: {d.group(0)}")
        for s in exp["stderr"]:
            ok &= check(s in err, f"{name}: stderr lacks {s!r}\n{err}")
        for s in exp["stdout"]:
            ok &= check(s in out, f"{name}: stdout lacks {s!r}")
        for s in exp["no-stdout"]:
            ok &= check(s not in out, f"{name}: stdout has {s!r}")
        if rc == 0 and "-o" in args and args[args.index("-o") + 1] == "json":
            try:
                json.loads(out)
            except ValueError as e:
                ok &= check(False, f"{name}: stdout is not JSON: {e}")
        if rc != 0:
            ok &= check(out == "", f"{name}: a failing run printed to stdout")
        print(("ok   " if ok else "FAIL ") + name)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    egw, root = os.path.abspath(sys.argv[1]), sys.argv[2]
    arg_cases(egw, root)
    bad_cases(egw, root)
    if FAILS:
        print(f"{len(FAILS)} check(s) failed")
        return 1
    print("all CLI checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
