#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
r"""The golden-case driver (one driver, one folder per case, as jansson's
test/suites).

For every case folder CASE under the cases directory, holding input.yaml and
expected.json (and optionally `flags`, extra CLI arguments, one per line):

1. runs  egw translate --from gateway-api --to gateway-api,ir,xds -o json -f input.yaml
   in CASE and compares its output semantically with expected.json: object
   member order is free, array order is not, and the corpus's rules apply
   (empty == absent, lastTransitionTime ignored, conditions are a set; see
   normalize());
2. runs the same input converted to JSON (one pretty JSON document per YAML
   document, the same with \u escapes for all non-ASCII, and a one-line
   JSON `kind: List` of them all), and with its
   documents shuffled (fixed seeds), and requires output byte-identical to
   the plain run's: determinism is a feature;
3. runs the plain input with -o yaml and requires that YAML, read by PyYAML
   (a YAML 1.1 reader), to be the same document as the JSON output.

The JSON conversions read input.yaml with the YAML 1.2 core schema, as egw
does, so `on` or `0777` in an input stay what egw takes them for.

usage: run_golden.py EGW CASES_DIR [CASE...]
       run_golden.py --show EGW CASES_DIR CASE   print the plain run's output
Exit status: 0 all passed, 1 a case failed, 77 PyYAML missing (skip).
"""
import json
import os
import random
import re
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    print("PyYAML is missing: skipping the golden cases")
    sys.exit(77)

SEEDS = (1, 2, 3)
BASE_ARGS = ["translate", "--from", "gateway-api", "--to", "gateway-api,ir,xds"]


class Core12Loader(yaml.SafeLoader):
    """PyYAML with the YAML 1.2 core schema's implicit types (no yes/no/on/off
    booleans, no octal 0777, no sexagesimal, no timestamps), as egw reads."""


Core12Loader.yaml_implicit_resolvers = {}
for tag, regexp, first in [
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^[-+]?[0-9]+$", list("-+0123456789")),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
     r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", list("-+.0123456789")),
]:
    Core12Loader.add_implicit_resolver(tag, re.compile(regexp), first)


def _int12(loader, node):
    return int(loader.construct_scalar(node), 10)


Core12Loader.add_constructor("tag:yaml.org,2002:int", _int12)


def split_documents(text):
    """The raw text of each document (split at lines starting with ---)."""
    docs, cur = [], []
    for line in text.splitlines(keepends=True):
        if re.match(r"---(\s|$)", line):
            docs.append("".join(cur))
            cur = [line[3:].lstrip(" \t")] if line[3:].strip() else []
            continue
        cur.append(line)
    docs.append("".join(cur))
    # keep only documents with content (comments alone are no document)
    return [d for d in docs if any(l.strip() and not l.lstrip().startswith("#") for l in d.splitlines())]


def run_egw(egw, cwd, fname, extra, fmt="json"):
    p = subprocess.run([egw] + BASE_ARGS + ["-o", fmt] + extra + ["-f", fname],
                       cwd=cwd, capture_output=True, timeout=300)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def is_empty(v):
    if v is None or v is False:
        return True
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v == 0
    return isinstance(v, (str, list, dict)) and len(v) == 0


def normalize(v, key=None):
    """The corpus's comparison rules (../shared/conformance/README.md), which
    Envoy Gateway's own goldens follow: an empty value (null, false, 0, "",
    [], {}) equals an absent member, lastTransitionTime is not compared, a
    `conditions` list is a set, and an integral float equals the integer."""
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if k == "lastTransitionTime":
                continue
            x = normalize(x, k)
            if not is_empty(x):
                out[k] = x
        return out
    if isinstance(v, list):
        items = [normalize(x) for x in v]
        items = [None if is_empty(x) else x for x in items]
        if key == "conditions":
            items.sort(key=lambda x: json.dumps(x, sort_keys=True))
        return items
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def diff(exp, act, path="$", out=None, limit=25):
    """Semantic differences between two JSON values, as path strings."""
    if out is None:
        out = []
    if len(out) >= limit:
        return out
    if isinstance(exp, dict) and isinstance(act, dict):
        for k in exp:
            if k not in act:
                out.append(f"{path}.{k}: missing (expected {json.dumps(exp[k])[:100]})")
            else:
                diff(exp[k], act[k], f"{path}.{k}", out, limit)
        for k in act:
            if k not in exp:
                out.append(f"{path}.{k}: unexpected {json.dumps(act[k])[:100]}")
    elif isinstance(exp, list) and isinstance(act, list):
        if len(exp) != len(act):
            out.append(f"{path}: {len(act)} items, expected {len(exp)}")
        for i, (e, a) in enumerate(zip(exp, act)):
            diff(e, a, f"{path}[{i}]", out, limit)
    elif type(exp) is not type(act) and not (
            isinstance(exp, (int, float)) and isinstance(act, (int, float))
            and not isinstance(exp, bool) and not isinstance(act, bool)):
        out.append(f"{path}: {json.dumps(act)[:100]}, expected {json.dumps(exp)[:100]}")
    elif exp != act:
        out.append(f"{path}: {json.dumps(act)[:100]}, expected {json.dumps(exp)[:100]}")
    return out


def variants(text):
    """(name, file name, content) of every rewritten input."""
    docs = split_documents(text)
    objs = [yaml.load(d, Loader=Core12Loader) for d in docs]
    out = []
    out.append(("json-documents", "input.json",
                "---\n".join(json.dumps(o, indent=2, ensure_ascii=False) + "\n" for o in objs)))
    out.append(("json-list", "input.json",
                json.dumps({"apiVersion": "v1", "kind": "List", "items": objs},
                           separators=(",", ":"), ensure_ascii=False)))
    # \u escapes for everything beyond ASCII (surrogate pairs beyond the BMP)
    out.append(("json-ascii", "input.json",
                "---\n".join(json.dumps(o) + "\n" for o in objs)))
    for seed in SEEDS:
        order = list(range(len(docs)))
        random.Random(seed).shuffle(order)
        out.append((f"shuffled-{seed}", "input.yaml",
                    "---\n".join(docs[i] if docs[i].endswith("\n") else docs[i] + "\n" for i in order)))
    return out


def run_case(egw, case_dir):
    name = os.path.basename(case_dir.rstrip("/"))
    inp = os.path.join(case_dir, "input.yaml")
    exp_path = os.path.join(case_dir, "expected.json")
    extra = []
    if os.path.exists(os.path.join(case_dir, "flags")):
        extra = [l.strip() for l in open(os.path.join(case_dir, "flags")) if l.strip()]
    problems = []
    rc, out, err = run_egw(egw, case_dir, "input.yaml", extra)
    if rc != 0:
        return name, [f"exit {rc}: {err.strip()[:2000]}"]
    try:
        actual = json.loads(out)
    except ValueError as e:
        return name, [f"output is not JSON: {e}"]
    expected = json.load(open(exp_path))
    d = diff(normalize(expected), normalize(actual))
    if d:
        problems.append("differs from expected.json:\n    " + "\n    ".join(d))

    text = open(inp, encoding="utf-8").read()
    with tempfile.TemporaryDirectory() as tmp:
        for vname, fname, content in variants(text):
            with open(os.path.join(tmp, fname), "w", encoding="utf-8") as f:
                f.write(content)
            vrc, vout, verr = run_egw(egw, tmp, fname, extra)
            if vrc != rc:
                problems.append(f"{vname}: exit {vrc}: {verr.strip()[:500]}")
            elif vout != out:
                vd = []
                try:
                    vd = diff(actual, json.loads(vout), limit=5)
                except ValueError:
                    pass
                problems.append(f"{vname}: output is not byte-identical to the plain run's"
                                + ("" if not vd else ":\n    " + "\n    ".join(vd)))

    yrc, yout, yerr = run_egw(egw, case_dir, "input.yaml", extra, fmt="yaml")
    if yrc != rc:
        problems.append(f"-o yaml: exit {yrc}: {yerr.strip()[:500]}")
    else:
        try:
            ydoc = yaml.safe_load(yout)
            yd = diff(actual, ydoc, limit=5)
            if yd or json.dumps(ydoc, sort_keys=True) != json.dumps(actual, sort_keys=True):
                problems.append("-o yaml reads back (PyYAML) differently from -o json:\n    "
                                + "\n    ".join(yd or ["types differ"]))
        except yaml.YAMLError as e:
            problems.append(f"-o yaml is not readable by PyYAML: {e}")
    return name, problems


def main(argv):
    if len(argv) >= 2 and argv[1] == "--show":
        egw, cases, case = argv[2], argv[3], argv[4]
        rc, out, err = run_egw(os.path.abspath(egw), os.path.join(cases, case), "input.yaml", [])
        sys.stderr.write(err)
        sys.stdout.write(out.decode())
        return rc
    if len(argv) < 3:
        print(__doc__)
        return 2
    egw, cases = os.path.abspath(argv[1]), argv[2]
    names = argv[3:] or sorted(n for n in os.listdir(cases)
                               if os.path.exists(os.path.join(cases, n, "input.yaml")))
    if not names:
        print(f"no cases in {cases}")
        return 1
    failed = 0
    for n in names:
        name, problems = run_case(egw, os.path.join(cases, n))
        if problems:
            failed += 1
            print(f"FAIL {name}")
            for p in problems:
                print("  " + p)
        else:
            print(f"ok   {name}")
    print(f"{len(names) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
