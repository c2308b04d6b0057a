# SPDX-License-Identifier: Apache-2.0
"""Wire compatibility with Envoy: every resource libegw emits decodes with
Envoy's real protobuf types (PyPI `xds-protos`) with no unknown field at
any depth (inside `Any` too), re-serializes losslessly, and is the same
message as libegw's JSON rendering of it read through Envoy's proto3 JSON
mapping.  libegw's .proto files are written from the API reference, so
this is what proves their field numbers and types.

Runs on the small manifest and on every input of the conformance corpus
(../shared/conformance) that is present: whatever the translators emit
today is checked, and the checks grow with them.  Skipped when xds-protos
is not importable."""
from __future__ import annotations

import fnmatch
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from conftest import MANIFEST, conformance_dir

pytest.importorskip("google.protobuf")
pytest.importorskip("envoy.config.listener.v3.listener_pb2",
                    reason="xds-protos is not installed (pip install xds-protos)")
import xdsproto  # noqa: E402

xdsproto.load()
xdsproto.load_supplement(Path(__file__).resolve().parents[3] / "scripts" / "gen-xds-proto.py")

JSON_KEYS = ["listeners", "routes", "clusters", "endpoints", "secrets"]


def _json_name(t: int, item: Dict) -> str:
    return item.get("clusterName", "") if t == 3 else item.get("name", "")


def check_result(egw, r, label: str) -> Tuple[int, List[str], List[str]]:
    """(resources checked, problems, tolerated newer fields) for a Result."""
    n, bad, tolerated = 0, [], []
    for fleet in r.fleets:
        rendered = fleet.to_dict(show_secrets=True)
        for t in egw.XdsType:
            by_name: Dict[str, List[Dict]] = {}
            for item in rendered[JSON_KEYS[t]]:
                by_name.setdefault(_json_name(t, item), []).append(item)
            for res in fleet.resources(t):
                n += 1
                where = f"{label}: fleet {fleet.name}: {t.name.lower()} {res.name}"
                data = res.bytes()
                if not res.type_url.endswith(xdsproto.decode(res.type_url, b"").DESCRIPTOR.full_name):
                    bad.append(f"{where}: type_url {res.type_url}")
                newer: List[str] = []
                bad += [f"{where}: {p}" for p in xdsproto.check(res.type_url, data, newer)]
                tolerated += newer
                if any(x.startswith("type:") for x in newer):
                    continue  # holds a type xds-protos lacks: its JSON cannot be read
                cands = by_name.get(res.name, [])
                if not cands:
                    bad.append(f"{where}: not in the JSON rendering")
                    continue
                # names can repeat (Envoy Gateway's own goldens have such
                # fleets), so any candidate that is the same message will do
                diffs = [xdsproto.json_agrees(res.type_url, data, c, lenient=bool(newer))
                         for c in cands]
                if None not in diffs:
                    bad.append(f"{where}: {diffs[0]}")
    return n, bad, tolerated


def test_manifest(egw):
    with egw.translate(MANIFEST) as r:
        n, bad, tolerated = check_result(egw, r, "manifest")
        counts = {t.name: r.fleets[0].resource_count(t) for t in egw.XdsType}
    assert not bad, "\n".join(bad)
    assert not tolerated
    # this manifest translates fully since the xds stage's first commit
    assert counts["LISTENER"] >= 2 and counts["ROUTE"] >= 2
    assert counts["CLUSTER"] == 2 and counts["ENDPOINT"] == 2
    assert n == sum(counts.values())


def test_decoded_content(egw):
    """Spot checks read through Envoy's own types."""
    with egw.translate(MANIFEST) as r:
        f = r.fleets[0]
        lst = {x.name: xdsproto.decode(x.type_url, x.bytes()) for x in f.resources("listener")}
        rc = {x.name: xdsproto.decode(x.type_url, x.bytes()) for x in f.resources("route")}
        cla = {x.name: xdsproto.decode(x.type_url, x.bytes()) for x in f.resources("endpoint")}
    http = lst["apps/gw/http"]
    assert http.address.socket_address.port_value in (80, 10080)
    route = rc["apps/gw/http"]
    assert [vh.domains[:] for vh in route.virtual_hosts] == [["www.example.com"]]
    clusters = {rt.route.cluster for vh in route.virtual_hosts for rt in vh.routes}
    assert clusters == {"httproute/apps/web/rule/0", "httproute/apps/web/rule/1"}
    eps = cla["httproute/apps/web/rule/0"]
    addrs = sorted(lb.endpoint.address.socket_address.address
                   for e in eps.endpoints for lb in e.lb_endpoints)
    assert addrs == ["10.244.0.11", "10.244.0.12"]


def test_tolerance_list():
    """What is tolerated as newer than xds-protos: the proto generator's
    supplement when the tree has it.  Entries that the installed xds-protos
    has are checked like everything else (_tolerated looks at the live
    descriptor), so a newer release only makes the check stricter."""
    script = Path(__file__).resolve().parents[3] / "scripts" / "gen-xds-proto.py"
    if script.is_file():
        assert xdsproto.load_supplement(script) > 0, "SUPPLEMENT_* not found in " + str(script)
    for (msg, number), why in xdsproto.NEWER_THAN_XDS_PROTOS.items():
        try:
            xdsproto.message_class(msg)
        except KeyError:
            assert msg in xdsproto.NEWER_TYPES, f"{why}: {msg} is in neither xds-protos nor NEWER_TYPES"


# ---- the conformance corpus ----

def _egctl_cases(root: Path):
    cases = (root / "cases.yaml").read_text() if (root / "cases.yaml").is_file() else ""
    add_missing = set(re.findall(r"in/([\w.-]+)\.yaml[^\n]*--add-missing-resources", cases))
    for p in sorted((root / "in").glob("*.yaml")):
        yield p.stem, [(p.name, p.read_bytes())], dict(
            controller_namespace="", add_missing_resources=p.stem in add_missing)


def _gatewayapi_cases(root: Path, controller_namespace):
    for p in sorted(root.glob("*.in.yaml")):
        case = p.name[: -len(".in.yaml")]
        cfg = root / f"{case}.config.yaml"
        kw = {"config": cfg.read_bytes() if cfg.is_file() else None}
        if controller_namespace is not None:
            kw["controller_namespace"] = controller_namespace
        yield case, [(p.name, p.read_bytes())], kw


def _xds_ir_cases(root: Path):
    for p in sorted((root / "in").glob("*.yaml")):
        if p.name.endswith(".settings.yaml"):
            continue
        yield p.stem, [(p.name, p.read_bytes())], {"from_": "xds-ir"}


CORPORA = {
    "egctl": lambda d: _egctl_cases(d / "egctl"),
    "gatewayapi": lambda d: _gatewayapi_cases(d / "gatewayapi", None),
    "gatewayapi-extensions": lambda d: _gatewayapi_cases(d / "gatewayapi-extensions", ""),
    "xds-ir": lambda d: _xds_ir_cases(d / "xds" / "xds-ir"),
    "extension-xds-ir": lambda d: _xds_ir_cases(d / "xds" / "extension-xds-ir"),
}

# egctl inputs whose translation is known to give resources (every
# listener-bearing input since the xds stage landed); the others must at
# least decode cleanly
EGCTL_NONEMPTY = {
    "backend-endpoint", "default-namespace", "default-resources", "echo-gateway-api",
    "envoy-patch-policy", "from-gateway-api-to-xds", "multiple-xds", "no-service-cluster-ip",
    "quickstart",
}


KNOWN_FILE = Path(__file__).with_name("wire_known.txt")


def _known() -> List[Tuple[str, str]]:
    out = []
    if KNOWN_FILE.is_file():
        for line in KNOWN_FILE.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                case, _, text = line.partition(": ")
                out.append((case.strip(), text.strip()))
    return out


def _crash_sweep(corpus: str) -> None:
    """Translates every case of a corpus, naming each on stdout first (run
    in a child process by test_corpus, so that a crash names its case)."""
    import egw

    base = conformance_dir().parent
    for name, inputs, kw in CORPORA[corpus](base):
        print(name, flush=True)
        try:
            with egw.translate(*inputs, **kw) as r:
                for f in r.fleets:
                    f.resources()
                    f.to_json()
        except egw.Error:
            pass


def _assert_no_crash(corpus: str) -> None:
    code = (f"import sys; sys.path[:0] = {[str(Path(__file__).parent)]!r}; "
            f"import conftest, test_protos; test_protos._crash_sweep({corpus!r})")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=600)
    if out.returncode != 0:
        last = (out.stdout.strip().splitlines() or ["?"])[-1]
        pytest.fail(f"libegw died (exit {out.returncode}) translating {corpus}/{last}:\n"
                    + out.stderr[-3000:])


@pytest.mark.parametrize("corpus", sorted(CORPORA))
def test_corpus(egw, corpus):
    base = conformance_dir().parent
    cases = list(CORPORA[corpus](base)) if base.is_dir() else []
    if not cases:
        pytest.skip(f"conformance corpus {corpus} not present under {base}")
    _assert_no_crash(corpus)
    known = [(c, t) for c, t in _known() if fnmatch.fnmatchcase(corpus, c.split("/", 1)[0])]
    used = set()
    total, problems, errors, tolerated = 0, [], [], []
    per_case = {}
    for name, inputs, kw in cases:
        try:
            r = egw.translate(*inputs, **kw)
        except egw.Error as e:  # a call error is the conformance suite's business
            errors.append(f"{name}: {e}")
            continue
        with r:
            n, bad, tol = check_result(egw, r, f"{corpus}/{name}")
        per_case[name] = n
        total += n
        tolerated += tol
        for p in bad:
            hit = [k for k in known if fnmatch.fnmatchcase(f"{corpus}/{name}", k[0]) and k[1] in p]
            if hit:
                used.update(hit)
            else:
                problems.append(p)
    assert not problems, (f"{len(problems)} wire problem(s) in {corpus} (known ones are in "
                          f"{KNOWN_FILE.name}):\n" + "\n".join(problems[:40]))
    if corpus == "egctl":
        empty = sorted(c for c in EGCTL_NONEMPTY if per_case.get(c, 0) == 0 and
                       (base / "egctl" / "in" / f"{c}.yaml").is_file())
        assert not empty, f"egctl inputs that translated to no resources: {empty}"
    stale = [f"{c}: {t}" for c, t in known if (c, t) not in used and "*" not in c]
    print(f"{corpus}: {len(cases)} cases, {total} resources decoded, {len(errors)} call errors, "
          f"{len(tolerated)} fields newer than xds-protos, {len(used)} known problems"
          + (f"; fixed, delete from {KNOWN_FILE.name}: {stale}" if stale else ""))
