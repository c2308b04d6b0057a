#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the benchmark workloads as ordinary multi-document YAML.

Workloads
  small, medium, large  the shape of Envoy Gateway's own translation
                        benchmark: one Gateway with HTTP, HTTPS, gRPC and UDP
                        listeners; N HTTPRoutes, N/2 GRPCRoutes, N/5 UDPRoutes,
                        N each of JWKS ConfigMaps, SecurityPolicies,
                        BackendTrafficPolicies, EnvoyExtensionPolicies,
                        Services and EndpointSlices, plus one Backend, one TLS
                        Secret and one ClientTrafficPolicy (small: N=1,
                        medium: N=50, large: N=500)
  routes-N              N HTTPRoutes with their Services and EndpointSlices,
                        spread over several Gateways and hostnames
  tls-routes-N          routes-N plus a BackendTLSPolicy for every Service
                        (lookups that cross objects, one policy per backend)

Usage: gen_workload.py OUTDIR [--routes 100,1000,...] [--tls-routes 10000]
                       [--only NAME]
"""
import argparse
import base64
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CERTS = os.path.join(HERE, "..", "..", "testdata", "certs")


def b64file(name):
    with open(os.path.join(CERTS, name), "rb") as f:
        return base64.b64encode(f.read()).decode()


def doc(text):
    return "---\n" + text.strip("\n") + "\n"


def gateway_class():
    return doc("""
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: bench
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
""")


def policy_gateway():
    return doc("""
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: bench
  namespace: default
spec:
  gatewayClassName: bench
  listeners:
  - name: http
    protocol: HTTP
    port: 80
  - name: https
    protocol: HTTPS
    port: 443
    tls:
      mode: Terminate
      certificateRefs:
      - name: bench-tls
  - name: grpc
    protocol: HTTP
    port: 81
  - name: udp
    protocol: UDP
    port: 82
""")


def tls_secret(ns="default"):
    return doc(f"""
apiVersion: v1
kind: Secret
metadata:
  name: bench-tls
  namespace: {ns}
type: kubernetes.io/tls
data:
  tls.crt: {b64file("example.crt")}
  tls.key: {b64file("example.key")}
""")


def service(name, port, ns="default", ip="10.96.0.10"):
    return doc(f"""
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {ns}
spec:
  clusterIP: {ip}
  ports:
  - name: http
    port: {port}
    protocol: TCP
    targetPort: {port}
""")


def endpoint_slice(svc, port, addr, ns="default"):
    return doc(f"""
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: {svc}-1
  namespace: {ns}
  labels:
    kubernetes.io/service-name: {svc}
addressType: IPv4
ports:
- name: http
  protocol: TCP
  port: {port}
endpoints:
- addresses: ["{addr}"]
  conditions:
    ready: true
""")


def http_route(i, gw="bench", ns="default", host=None, section=None):
    host = host or f"app-{i}.example.com"
    sec = f"\n    sectionName: {section}" if section else ""
    return doc(f"""
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: app-{i}
  namespace: {ns}
spec:
  parentRefs:
  - name: {gw}{sec}
  hostnames:
  - "{host}"
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /api/{i}
    backendRefs:
    - name: svc-{i}
      port: 8000
""")


def grpc_route(i):
    return doc(f"""
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata:
  name: grpc-{i}
  namespace: default
spec:
  parentRefs:
  - name: bench
    sectionName: grpc
  hostnames:
  - "grpc-{i}.example.com"
  rules:
  - matches:
    - method:
        service: bench.Service{i}
        method: Call
    backendRefs:
    - name: svc-{i}
      port: 9000
""")


def udp_route(i):
    return doc(f"""
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: UDPRoute
metadata:
  name: udp-{i}
  namespace: default
spec:
  parentRefs:
  - name: bench
    sectionName: udp
  rules:
  - backendRefs:
    - name: svc-{i}
      port: {5000 + i}
""")


def jwks_configmap(i):
    return doc(f"""
apiVersion: v1
kind: ConfigMap
metadata:
  name: jwks-{i}
  namespace: default
data:
  jwks.json: '{{"keys": [{{"kty": "RSA", "n": "bW9kdWx1cw", "e": "AQAB", "kid": "key-{i}"}}]}}'
""")


def security_policy(i):
    return doc(f"""
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata:
  name: jwt-{i}
  namespace: default
spec:
  targetRefs:
  - group: gateway.networking.k8s.io
    kind: HTTPRoute
    name: app-{i}
  jwt:
    providers:
    - name: issuer-{i}
      issuer: https://issuer.example.com
      localJWKS:
        type: ValueRef
        valueRef:
          group: ""
          kind: ConfigMap
          name: jwks-{i}
""")


def backend_traffic_policy(i):
    return doc(f"""
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata:
  name: btp-{i}
  namespace: default
spec:
  targetRefs:
  - group: gateway.networking.k8s.io
    kind: HTTPRoute
    name: app-{i}
  circuitBreaker:
    maxConnections: {64 + i}
    maxPendingRequests: {32 + i}
  loadBalancer:
    type: RoundRobin
""")


def extension_policy(i):
    return doc(f"""
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyExtensionPolicy
metadata:
  name: eep-{i}
  namespace: default
spec:
  targetRefs:
  - group: gateway.networking.k8s.io
    kind: HTTPRoute
    name: app-{i}
  extProc:
  - backendRefs:
    - kind: Service
      name: ext-proc
      port: 9002
    messageTimeout: 2s
""")


def extras():
    return (
        doc("""
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata:
  name: static-backend
  namespace: default
spec:
  endpoints:
  - ip:
      address: 10.0.0.5
      port: 8000
""")
        + tls_secret()
        + doc("""
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata:
  name: client
  namespace: default
spec:
  targetRefs:
  - group: gateway.networking.k8s.io
    kind: Gateway
    name: bench
  timeout:
    http:
      requestReceivedTimeout: 20s
""")
        + service("ext-proc", 9002, ip="10.96.0.99")
    )


def policy_workload(n):
    parts = [gateway_class(), policy_gateway(), extras()]
    for i in range(n):
        parts.append(http_route(i))
    for i in range(n // 2):
        parts.append(grpc_route(i))
    for i in range(n // 5):
        parts.append(udp_route(i))
    for i in range(n):
        parts += [jwks_configmap(i), security_policy(i), backend_traffic_policy(i),
                  extension_policy(i), service(f"svc-{i}", 8000),
                  endpoint_slice(f"svc-{i}", 8000, f"10.244.{(i // 250) % 256}.{i % 250 + 1}")]
    return "".join(parts)


def backend_tls_policy(svc, ns="default"):
    return doc(f"""
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata:
  name: {svc}-tls
  namespace: {ns}
spec:
  targetRefs:
  - group: ""
    kind: Service
    name: {svc}
  validation:
    wellKnownCACertificates: System
    hostname: {svc}.example.com
""")


def routes_workload(n, gateways=None, tls=False):
    gateways = gateways or max(1, min(10, n // 1000))
    parts = [gateway_class()]
    for g in range(gateways):
        parts.append(doc(f"""
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gw-{g}
  namespace: default
spec:
  gatewayClassName: bench
  listeners:
  - name: http
    protocol: HTTP
    port: 80
    allowedRoutes:
      namespaces:
        from: All
"""))
    for i in range(n):
        g = i % gateways
        host = f"h{i // 10}.example.com"  # ten routes share a hostname
        parts.append(http_route(i, gw=f"gw-{g}", host=host))
        parts.append(service(f"svc-{i}", 8000, ip=f"10.96.{(i // 250) % 256}.{i % 250 + 1}"))
        parts.append(endpoint_slice(f"svc-{i}", 8000, f"10.244.{(i // 250) % 256}.{i % 250 + 1}"))
        if tls:
            parts.append(backend_tls_policy(f"svc-{i}"))
    return "".join(parts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--routes", default="100,1000,10000,100000")
    ap.add_argument("--tls-routes", default="10000")
    ap.add_argument("--only", default=None)
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    work = {"small": lambda: policy_workload(1), "medium": lambda: policy_workload(50),
            "large": lambda: policy_workload(500)}
    for n in [int(x) for x in args.routes.split(",") if x]:
        work[f"routes-{n}"] = (lambda n=n: routes_workload(n))
    for n in [int(x) for x in args.tls_routes.split(",") if x]:
        work[f"tls-routes-{n}"] = (lambda n=n: routes_workload(n, tls=True))
    for name, fn in work.items():
        if args.only and name != args.only:
            continue
        path = os.path.join(args.outdir, name + ".yaml")
        with open(path, "w") as f:
            f.write(fn())
        print(path)


if __name__ == "__main__":
    sys.exit(main())
