# SPDX-License-Identifier: Apache-2.0
"""SecurityPolicy JWT reaches Envoy: the jwt_authn filter on the listener,
a requirement per route, the JWKS cluster (src/xds/jwt.c)."""
from __future__ import annotations

from conftest import MANIFEST

JWT = "envoy.filters.http.jwt_authn"


def policy(name: str, route: str, providers: str, extra: str = "") -> str:
    return f"""\
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata:
  name: {name}
  namespace: apps
spec:
  targetRefs:
  - group: gateway.networking.k8s.io
    kind: HTTPRoute
    name: {route}
  jwt:
{extra}    providers:
{providers}"""


PROVIDER = """\
    - name: corp
      issuer: https://issuer.example.com
      audiences: [api]
      remoteJWKS:
        uri: https://issuer.example.com/jwks.json
      claimToHeaders:
      - {header: x-sub, claim: sub}
"""

SECOND_ROUTE = """\
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: other
  namespace: apps
spec:
  parentRefs:
  - name: gw
    sectionName: http
  hostnames: [other.example.com]
  rules:
  - backendRefs:
    - name: api
      port: 8080
"""


def jwt_config(fleet):
    listeners = fleet.to_dict("listener")["listeners"]
    (l,) = [l for l in listeners if l["name"] == "apps/gw/http"]
    hcm = l["defaultFilterChain"]["filters"][0]["typedConfig"]
    names = [f["name"] for f in hcm["httpFilters"]]
    assert names.count(JWT) <= 1
    for f in hcm["httpFilters"]:
        if f["name"] == JWT:
            # authentication runs before the router
            assert names.index(JWT) < names.index("envoy.filters.http.router")
            return f["typedConfig"]
    return None


def route_requirements(fleet):
    out = {}
    for rc in fleet.to_dict("route")["routes"]:
        for vh in rc.get("virtualHosts", []):
            for r in vh["routes"]:
                cfg = r.get("typedPerFilterConfig", {}).get(JWT)
                out[r["name"]] = cfg["requirementName"] if cfg else None
    return out


def test_jwt_policy_is_enforced(egw):
    res = egw.translate(MANIFEST + SECOND_ROUTE + policy("jwt", "web", PROVIDER))
    st = res.status("SecurityPolicy", "apps", "jwt")
    (anc,) = st.status["ancestors"]
    (acc,) = [c for c in anc["conditions"] if c["type"] == "Accepted"]
    assert acc["status"] == "True", acc
    f = res.fleets[0]
    cfg = jwt_config(f)
    assert cfg is not None, "an accepted JWT policy must put jwt_authn on the listener"
    (key,) = cfg["providers"]
    assert key.startswith("corp_")
    p = cfg["providers"][key]
    assert p["issuer"] == "https://issuer.example.com"
    assert p["audiences"] == ["api"]
    assert p["claimToHeaders"] == [{"headerName": "x-sub", "claimName": "sub"}]
    assert p["payloadInMetadata"] == "corp"
    uri = p["remoteJwks"]["httpUri"]
    assert uri["uri"] == "https://issuer.example.com/jwks.json"
    # the JWKS cluster exists and speaks TLS to the issuer
    clusters = {c["name"]: c for c in f.to_dict("cluster")["clusters"]}
    assert uri["cluster"] == "issuer_example_com_443"
    assert clusters[uri["cluster"]]["transportSocket"]["typedConfig"]["sni"] == "issuer.example.com"
    # every route of "web" requires it; "other" does not
    reqs = route_requirements(f)
    web = {n: r for n, r in reqs.items() if "/web/" in n}
    other = {n: r for n, r in reqs.items() if "/other/" in n}
    assert web and all(r is not None for r in web.values())
    assert other and all(r is None for r in other.values())
    for r in web.values():
        assert cfg["requirementMap"][r] == {"providerName": key}


def test_jwt_shared_provider_and_optional(egw):
    # the same provider on two routes is one provider entry; optional adds
    # allowMissing in a requiresAny
    res = egw.translate(MANIFEST + SECOND_ROUTE + policy("a", "web", PROVIDER)
                        + policy("b", "other", PROVIDER, extra="    optional: true\n"))
    f = res.fleets[0]
    cfg = jwt_config(f)
    assert len(cfg["providers"]) == 1
    (key,) = cfg["providers"]
    reqs = route_requirements(f)
    other = {r for n, r in reqs.items() if "/other/" in n}
    (name,) = other
    assert name.startswith("corp-or-missing_")
    assert cfg["requirementMap"][name] == {
        "requiresAny": {"requirements": [{"providerName": key}, {"allowMissing": {}}]}}
    # the protobuf carries the filter too, and renders back the same
    (l,) = [r for r in f.resources("listener") if r.name == "apps/gw/http"]
    assert JWT.encode() in l.bytes()


def test_no_jwt_no_filter(egw):
    res = egw.translate(MANIFEST)
    assert jwt_config(res.fleets[0]) is None
    assert set(route_requirements(res.fleets[0]).values()) == {None}
