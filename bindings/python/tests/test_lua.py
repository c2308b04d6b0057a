# SPDX-License-Identifier: Apache-2.0
"""An EnvoyExtensionPolicy's Lua script reaches Envoy: the IR spells its
fields with capitals (Name, Code) as Envoy Gateway's does, and the xds
stage must read them so (it once read them case-insensitively)."""
from __future__ import annotations

from conftest import MANIFEST

POLICY = """\
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyExtensionPolicy
metadata:
  name: lua
  namespace: apps
spec:
  targetRefs:
  - group: gateway.networking.k8s.io
    kind: HTTPRoute
    name: web
  lua:
  - type: Inline
    inline: "function envoy_on_response(h) h:headers():add('x-lua', 'yes') end"
"""


def test_lua_code_and_name_reach_the_listener(egw):
    res = egw.translate(MANIFEST + POLICY)
    f = res.fleets[0]
    (l,) = [l for l in f.to_dict("listener")["listeners"] if l["name"] == "apps/gw/http"]
    hcm = l["defaultFilterChain"]["filters"][0]["typedConfig"]
    luas = [h for h in hcm["httpFilters"] if h["name"].startswith("envoy.filters.http.lua/")]
    assert len(luas) == 1
    assert luas[0]["name"] == "envoy.filters.http.lua/envoyextensionpolicy/apps/lua/lua/0"
    src = luas[0]["typedConfig"]["defaultSourceCode"]
    assert src == {"inlineString": "function envoy_on_response(h) h:headers():add('x-lua', 'yes') end"}
