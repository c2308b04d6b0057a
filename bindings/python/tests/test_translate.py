# SPDX-License-Identifier: Apache-2.0
"""translate() on a small manifest: fleets, resources, renderings,
statuses, diagnostics and the options."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import MANIFEST

TYPE_KEYS = ["listeners", "routes", "clusters", "endpoints", "secrets"]


def test_library_version(egw):
    v = egw.library_version()
    assert v.count(".") == 2
    assert egw.MODE in ("api", "abi")


def test_fleets(egw, result):
    assert [f.name for f in result.fleets] == ["apps/gw"]
    f = result.fleet("apps/gw")
    assert f.name == "apps/gw"
    assert isinstance(f.version, int) and 0 <= f.version < 2**64
    assert f.error == ""
    with pytest.raises(egw.NotFoundError):
        result.fleet("apps/nope")
    with pytest.raises(LookupError):
        result.fleet("")


def test_resources(egw, result):
    f = result.fleets[0]
    everything = f.resources()
    assert len(everything) == sum(f.resource_count(t) for t in egw.XdsType)
    for t in egw.XdsType:
        rs = f.resources(t)
        assert rs == [] or [r.name for r in rs] == sorted(r.name for r in rs)
        assert len(rs) == f.resource_count(t)
        for r in rs:
            assert r.type == t
            assert r.type_url.startswith("type.googleapis.com/envoy.")
            assert r.name
            assert isinstance(r.version, int) and 0 <= r.version < 2**64
            assert len(r.proto) == len(r) == len(r.bytes()) > 0
            assert r.proto.readonly
            assert bytes(r.proto) == r.bytes()
            assert r.fleet is f and r.result is result
    # the resources this manifest must give (the listener and route stages
    # translate it since the xds stage's first commit)
    assert "apps/gw/http" in [r.name for r in f.resources("listener")]
    assert "apps/gw/http" in [r.name for r in f.resources(egw.XdsType.ROUTE)]
    # names and ints are accepted for types, bad ones are not
    assert len(f.resources("clusters")) == len(f.resources(2))
    with pytest.raises(ValueError):
        f.resources("bogus")


def _xxh64():
    try:
        import xxhash

        return lambda b: xxhash.xxh64_intdigest(b, seed=0)
    except ImportError:
        pass
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("xxhash")
    if not name:
        pytest.skip("neither the xxhash module nor libxxhash is available")
    so = ctypes.CDLL(name)
    so.XXH64.restype = ctypes.c_uint64
    so.XXH64.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint64]
    return lambda b: so.XXH64(b, len(b), 0)


def test_resource_versions_are_xxh64(result):
    h = _xxh64()
    for r in result.fleets[0].resources():
        assert r.version == h(r.bytes())


def test_to_json(egw, result):
    f = result.fleets[0]
    d = json.loads(f.to_json())
    assert list(d) == TYPE_KEYS
    for i, key in enumerate(TYPE_KEYS):
        assert len(d[key]) == f.resource_count(i)
    assert f.to_dict() == d
    only = f.to_dict(types=["listener", egw.XdsType.CLUSTER])
    assert set(only) == {"listeners", "clusters"}
    assert only["listeners"] == d["listeners"]
    compact = f.to_json(fmt="json-compact")
    assert "\n" not in compact and json.loads(compact) == d
    assert f.to_json(fmt=egw.Format.YAML).lstrip().startswith("listeners:")
    with pytest.raises(ValueError):
        f.to_json(fmt="xml")


def test_ir_renderings(result):
    f = result.fleets[0]
    ir = json.loads(f.xds_ir_json())
    assert [h["name"] for h in ir["http"]] == ["apps/gw/admin", "apps/gw/http"] or \
        sorted(h["name"] for h in ir["http"]) == ["apps/gw/admin", "apps/gw/http"]
    infra = json.loads(f.infra_ir_json())
    assert infra["proxy"]["name"] == "apps/gw"
    assert infra["proxy"]["namespace"] == "envoy-gateway-system"
    assert isinstance(f.ratelimit_json(), str)


def test_render(egw, result):
    doc = json.loads(result.render())
    assert {"xdsIR", "infraIR", "xds"} <= set(doc)
    assert list(doc["xds"]) == ["apps/gw"]
    api = json.loads(result.render("gateway-api"))
    assert "xds" not in api and "xdsIR" not in api
    assert [g["metadata"]["name"] for g in api["gateways"]] == ["gw"]
    assert [r["metadata"]["name"] for r in api["httpRoutes"]] == ["web"]
    ir = json.loads(result.render(egw.RenderPart.IR))
    assert set(ir) == {"xdsIR", "infraIR"}
    x = json.loads(result.render(["xds"], types="listener"))
    assert x["xds"]["apps/gw"]["@type"].endswith("ListenersConfigDump")
    assert result.render("gateway-api,ir", fmt="yaml").startswith(("gateways:", "gatewayClass:",
                                                                   "httpRoutes:", "infraIR:"))
    with pytest.raises(ValueError):
        result.render("everything")


def test_statuses(egw, result):
    kinds = [(s.kind, s.namespace, s.name) for s in result.statuses]
    assert ("Gateway", "apps", "gw") in kinds
    assert ("HTTPRoute", "apps", "web") in kinds
    assert ("GatewayClass", "", "eg") in kinds
    gc = result.status("GatewayClass", "", "eg")
    assert gc.conditions()["Accepted"]["status"] == "True"
    assert gc.api_version == "gateway.networking.k8s.io/v1"
    gw = result.status("Gateway", "apps", "gw")
    listeners = {l["name"]: l for l in gw.status["listeners"]}
    assert listeners["http"]["attachedRoutes"] == 1
    assert listeners["admin"]["attachedRoutes"] == 0
    route = result.status("HTTPRoute", "apps", "web")
    conds = {c["type"]: c for c in route.status["parents"][0]["conditions"]}
    assert conds["Accepted"]["status"] == "True"
    assert conds["ResolvedRefs"]["status"] == "True"
    with pytest.raises(egw.NotFoundError):
        result.status("Gateway", "apps", "nope")


def test_set_gateway_infra(egw):
    def programmed(**kw):
        with egw.translate(MANIFEST) as r:
            r.set_gateway_infra("apps", "gw", **kw)
            st = r.status("Gateway", "apps", "gw")
            return st.conditions()["Programmed"], st.status.get("addresses")

    cond, addrs = programmed(addresses=["192.0.2.10", "gw.example.com"], ready=True)
    assert cond["status"] == "True"
    assert addrs == [{"type": "IPAddress", "value": "192.0.2.10"},
                     {"type": "Hostname", "value": "gw.example.com"}]
    cond, _ = programmed(addresses=["192.0.2.10"], ready=False)
    assert (cond["status"], cond["reason"]) == ("False", "NoResources")
    cond, _ = programmed(addresses=[], ready=True)
    assert (cond["status"], cond["reason"]) == ("False", "AddressNotAssigned")
    with egw.translate(MANIFEST) as r:
        with pytest.raises(egw.NotFoundError) as ei:
            r.set_gateway_infra("apps", "missing", ["192.0.2.1"])
        assert ei.value.code == egw.ErrorCode.ENOTFOUND == -7


def test_diagnostics(egw):
    bad = "kind: [\n"
    unknown = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: apps\n"
    with egw.translate(("manifest.yaml", MANIFEST), ("bad.yaml", bad), ("widget.yaml", unknown)) as r:
        ds = r.diagnostics
        assert [f.name for f in r.fleets] == ["apps/gw"]  # the good input still translates
    syntax = [d for d in ds if d.code == egw.DiagCode.SYNTAX]
    assert len(syntax) == 1
    d = syntax[0]
    assert (d.input, d.input_name, d.severity) == (1, "bad.yaml", egw.Severity.ERROR)
    assert d.line >= 1 and d.column >= 1
    assert str(d).startswith(f"bad.yaml:{d.line}:{d.column}: error: ")
    kinds = [d for d in ds if d.code == egw.DiagCode.UNKNOWN_KIND]
    assert len(kinds) == 1
    k = kinds[0]
    assert (k.input, k.input_name, k.kind, k.namespace, k.name) == (2, "widget.yaml", "Widget", "apps", "w")
    assert k.line == 2


def test_input_forms_agree(egw, tmp_path):
    """str, bytes, (name, data), a Path and the manifest split across
    buffers all give the same snapshot."""
    p = tmp_path / "m.yaml"
    p.write_text(MANIFEST)
    docs = MANIFEST.split("---\n")
    versions = set()
    for inputs in ([MANIFEST], [MANIFEST.encode()], [("m.yaml", MANIFEST)], [p], [Path(p)],
                   [("m.yaml", MANIFEST.encode())], docs, list(reversed(docs))):
        with egw.translate(*inputs) as r:
            versions.add(tuple((f.name, f.version) for f in r.fleets))
    assert len(versions) == 1
    with pytest.raises(TypeError):
        egw.translate(42)
    with pytest.raises(TypeError):
        egw.translate(("a", "b", "c"))


def test_no_input(egw):
    with egw.translate() as r:
        assert r.fleets == [] and r.statuses == []


def test_options(egw):
    no_ns = MANIFEST.replace("  namespace: apps\n", "")
    with egw.translate(no_ns) as r:
        assert [f.name for f in r.fleets] == ["/gw"]
    with egw.translate(no_ns, default_namespace="apps") as r:
        assert [f.name for f in r.fleets] == ["apps/gw"]
    with egw.translate(MANIFEST, controller_namespace="ctl") as r:
        assert json.loads(r.fleets[0].infra_ir_json())["proxy"]["namespace"] == "ctl"
    with egw.translate(MANIFEST, controller_namespace="") as r:
        assert json.loads(r.fleets[0].infra_ir_json())["proxy"]["namespace"] == ""
    cfg = {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyGateway",
           "gateway": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"}}
    with egw.translate(MANIFEST, config=cfg, dns_domain="corp.local",
                       runtime_flags=["XDSNameSchemeV2"], now_unix=1767225600,
                       limits=egw.Limits(max_depth=100), ratelimit_namespace="rl") as r:
        assert [f.name for f in r.fleets] == ["apps/gw"]
    with egw.translate(MANIFEST, config=json.dumps(cfg), limits={"max_documents": 100}) as r:
        assert [f.name for f in r.fleets] == ["apps/gw"]
    with pytest.raises(ValueError):
        egw.translate(MANIFEST, limits={"max_bogus": 1})
    with pytest.raises(ValueError):
        egw.translate(MANIFEST, from_="kubernetes")


def test_from_xds_ir_round_trip(egw, result):
    """The fleet's IR dump fed back through the xds half gives the same
    resources, byte for byte."""
    f = result.fleets[0]
    with egw.translate(("ir.json", f.xds_ir_json()), from_="xds-ir") as r:
        assert len(r.fleets) == 1
        g = r.fleets[0]
        assert g.name == "ir.json"
        assert g.infra_ir_json() is None
        assert [(x.type, x.name, x.version) for x in g.resources()] == \
               [(x.type, x.name, x.version) for x in f.resources()]
        assert g.version == f.version
    with egw.translate(f.xds_ir_json(fmt="yaml"), from_=egw.From.XDS_IR) as r:
        assert r.fleets[0].version == f.version


def test_deterministic(egw):
    outs = set()
    for _ in range(3):
        with egw.translate(MANIFEST) as r:
            outs.add((r.render(), tuple(x.bytes() for x in r.fleets[0].resources())))
    assert len(outs) == 1


def test_large_and_buffer_inputs(egw):
    """Big buffers are lent to the call (bytes, bytearray, memoryview) and
    translate as the same text does."""
    pad = "# " + "x" * 8000 + "\n"
    big = pad + MANIFEST
    with egw.translate(big) as r:
        want = [(f.name, f.version) for f in r.fleets]
    assert want and want[0][0] == "apps/gw"
    for data in (big.encode(), bytearray(big.encode()), memoryview(big.encode()),
                 memoryview(big.encode())[0:len(big)]):
        with egw.translate(data) as r:
            assert [(f.name, f.version) for f in r.fleets] == want
    strided = memoryview(("  " * len(big)).encode())[::2]
    with egw.translate(strided) as r:  # not contiguous: copied, still fine
        assert r.fleets == []


def test_egctl_semantics_options(egw):
    """service_routing sends traffic to the Service's ClusterIP instead of
    its EndpointSlice addresses; crd_defaults changes the translation too."""
    def endpoints(**kw):
        with egw.translate(MANIFEST, **kw) as r:
            cla = r.fleets[0].to_dict("endpoint")["endpoints"]
            return sorted({lb["endpoint"]["address"]["socketAddress"]["address"]
                           for c in cla for e in c["endpoints"] for lb in e["lbEndpoints"]})

    assert endpoints() == ["10.244.0.11", "10.244.0.12"]
    assert endpoints(service_routing=True) == ["10.96.0.10"]
    with egw.translate(MANIFEST) as a, egw.translate(MANIFEST, crd_defaults=True) as b:
        assert [f.name for f in a.fleets] == [f.name for f in b.fleets]
