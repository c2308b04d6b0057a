# SPDX-License-Identifier: Apache-2.0
"""TLS: the Secret resource carries the real key in its protobuf; text
renderings redact it unless show_secrets."""
from __future__ import annotations

import base64
import json
import time

import pytest

from conftest import MANIFEST, REPO

CERTS = REPO / "testdata" / "certs"


def _tls_manifest() -> str:
    crt = (CERTS / "example.crt").read_bytes()
    key = (CERTS / "example.key").read_bytes()
    return MANIFEST.replace("""  - name: admin
    protocol: HTTP
    port: 8080
    hostname: admin.example.com
""", """  - name: admin
    protocol: HTTPS
    port: 8443
    hostname: admin.example.com
    tls:
      mode: Terminate
      certificateRefs:
      - name: example-tls
""") + f"""---
apiVersion: v1
kind: Secret
metadata:
  name: example-tls
  namespace: apps
type: kubernetes.io/tls
data:
  tls.crt: {base64.b64encode(crt).decode()}
  tls.key: {base64.b64encode(key).decode()}
"""


@pytest.fixture
def tls(egw):
    if not (CERTS / "example.key").is_file():
        pytest.skip("testdata/certs not in this tree")
    # the test certificate's validity starts after libegw's default clock
    with egw.translate(_tls_manifest(), now_unix=int(time.time())) as r:
        yield r


def _key_bytes(secret: dict) -> str:
    pk = secret["tlsCertificate"]["privateKey"]
    return pk.get("inlineBytes") or pk.get("inlineString") or ""


def test_secret_redaction(egw, tls):
    f = tls.fleets[0]
    secrets = f.resources("secret")
    if not secrets:
        pytest.skip("no xDS Secret translated for the HTTPS listener yet")
    key = (CERTS / "example.key").read_bytes()
    redacted = {s["name"]: s for s in f.to_dict("secret")["secrets"]}
    shown = {s["name"]: s for s in f.to_dict("secret", show_secrets=True)["secrets"]}
    for res in secrets:
        assert key in res.bytes()  # the protobuf Envoy gets has the real key
        assert base64.b64decode(_key_bytes(shown[res.name])) == key
        assert key not in base64.b64decode(_key_bytes(redacted[res.name]))
        assert base64.b64decode(_key_bytes(redacted[res.name])) == b"[redacted]"
    dump = tls.render("xds", types="secret")
    assert base64.b64encode(key).decode() not in dump
    assert base64.b64encode(key).decode()[:40] in tls.render("xds", types="secret",
                                                            show_secrets=True)
    assert json.loads(tls.render("xds", types="secret", fmt=egw.Format.JSON_COMPACT |
                                 egw.Format.SHOW_SECRETS)) == json.loads(
        tls.render("xds", types="secret", show_secrets=True))
    # the IR is always redacted
    assert base64.b64encode(key).decode()[:40] not in f.xds_ir_json()


def test_secret_decodes_with_envoy_types(egw, tls):
    pytest.importorskip("envoy.extensions.transport_sockets.tls.v3.secret_pb2",
                        reason="xds-protos is not installed")
    import xdsproto

    xdsproto.load()
    key = (CERTS / "example.key").read_bytes()
    crt = (CERTS / "example.crt").read_bytes()
    secrets = tls.fleets[0].resources("secret")
    if not secrets:
        pytest.skip("no xDS Secret translated for the HTTPS listener yet")
    for res in secrets:
        assert xdsproto.check(res.type_url, res.bytes()) == []
        m = xdsproto.decode(res.type_url, res.bytes())
        assert m.tls_certificate.private_key.inline_bytes == key
        assert m.tls_certificate.certificate_chain.inline_bytes == crt
