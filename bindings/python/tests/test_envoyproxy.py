# SPDX-License-Identifier: Apache-2.0
"""An unusable EnvoyProxy on the GatewayClass: the class and the Gateways
that use it are refused with Envoy Gateway's messages (src/ir/envoyproxy.c)."""
from __future__ import annotations

CLASS = """\
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: eg
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
  parametersRef:
    group: gateway.envoyproxy.io
    kind: EnvoyProxy
    name: proxy
    namespace: infra
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata:
  name: proxy
  namespace: infra
spec:
  telemetry:
    accessLog:
      settings:
      - sinks:
        - type: {sink}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gw
  namespace: apps
spec:
  gatewayClassName: eg
  listeners:
  - name: http
    protocol: HTTP
    port: 80
"""

PROBLEM = ('unable to configure access log when using File sink type but "file" '
           'field being empty')


def accepted(status):
    (c,) = [c for c in status.status["conditions"] if c["type"] == "Accepted"]
    return c


def test_invalid_envoyproxy_refuses_class_and_gateway(egw):
    res = egw.translate(CLASS.replace("{sink}", "File"))
    c = accepted(res.status("GatewayClass", "", "eg"))
    assert (c["status"], c["reason"]) == ("False", "InvalidParameters")
    assert c["message"] == f"Invalid parametersRef: [{PROBLEM}]"
    g = accepted(res.status("Gateway", "apps", "gw"))
    assert (g["status"], g["reason"]) == ("False", "InvalidParameters")
    assert g["message"] == f"Invalid parametersRef:: [{PROBLEM}]"
    (anc,) = res.status("EnvoyProxy", "infra", "proxy").status["ancestors"]
    (ac,) = anc["conditions"]
    assert (ac["status"], ac["message"]) == ("False", f"[{PROBLEM}]")
    # the refused Gateway keeps a bare fleet and gets no listeners
    (f,) = res.fleets
    assert "apps/gw/http" not in [r.name for r in f.resources("listener")]


def test_valid_envoyproxy_is_accepted(egw):
    res = egw.translate(CLASS.replace("- type: {sink}", "- type: File\n          file: {path: /dev/stdout}"))
    assert accepted(res.status("GatewayClass", "", "eg"))["status"] == "True"
    (f,) = res.fleets
    assert "apps/gw/http" in [r.name for r in f.resources("listener")]
