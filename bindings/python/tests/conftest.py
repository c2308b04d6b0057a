# SPDX-License-Identifier: Apache-2.0
"""Shared fixtures.  The tests import the package from this source tree
(bindings/python) unless EGW_PY_TEST_INSTALLED=1, which tests whatever
`import egw` finds (a pip-installed copy).  The library comes from
EGW_LIBRARY_PATH (meson sets it to the build's src/), else from the usual
search (see egw/_loader.py)."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List

import pytest

PKG_DIR = Path(__file__).resolve().parent.parent
REPO = PKG_DIR.parent.parent
if os.environ.get("EGW_PY_TEST_INSTALLED", "") != "1":
    sys.path.insert(0, str(PKG_DIR))

HEADER = REPO / "include" / "egw" / "egw.h"

# subprocesses of the tests run elsewhere: make the paths they inherit absolute
for _var in ("EGW_LIBRARY_PATH", "EGW_INCLUDE_DIR", "EGW_BUILD_DIR"):
    if os.environ.get(_var):
        os.environ[_var] = os.pathsep.join(str(Path(p).resolve())
                                           for p in os.environ[_var].split(os.pathsep))


def conformance_dir() -> Path:
    env = os.environ.get("EGW_CONFORMANCE_DIR")
    if env:
        return Path(env)
    return REPO.parent / "shared" / "conformance" / "egctl"


def conformance_inputs() -> List[Path]:
    d = conformance_dir() / "in"
    return sorted(d.glob("*.yaml")) if d.is_dir() else []


# A Gateway with one HTTP listener, an HTTPRoute to a Service with two
# ready endpoints, and a second listener no route attaches to.
MANIFEST = """\
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: eg
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
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
  - name: admin
    protocol: HTTP
    port: 8080
    hostname: admin.example.com
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
  namespace: apps
spec:
  parentRefs:
  - name: gw
    sectionName: http
  hostnames:
  - www.example.com
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /api
    backendRefs:
    - name: api
      port: 8080
  - backendRefs:
    - name: api
      port: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: apps
spec:
  clusterIP: 10.96.0.10
  ports:
  - name: http
    port: 8080
    protocol: TCP
    targetPort: 9000
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: api-1
  namespace: apps
  labels:
    kubernetes.io/service-name: api
addressType: IPv4
ports:
- name: http
  port: 9000
  protocol: TCP
endpoints:
- addresses: [10.244.0.11]
  conditions: {ready: true}
- addresses: [10.244.0.12]
  conditions: {ready: true}
"""

# An HTTPRoute whose parent does not exist: translated, but not accepted.
ORPHAN_ROUTE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: orphan
  namespace: apps
spec:
  parentRefs:
  - name: no-such-gateway
  rules:
  - backendRefs:
    - name: api
      port: 8080
"""


@pytest.fixture(scope="session")
def egw():
    import egw as mod

    return mod


@pytest.fixture
def manifest() -> str:
    return MANIFEST


@pytest.fixture
def result(egw):
    with egw.translate(("manifest.yaml", MANIFEST)) as r:
        yield r
