# SPDX-License-Identifier: Apache-2.0
"""parse() once, translate() many times: the same answers as translating
the buffers, from one thread or many."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import MANIFEST


def _snap(r):
    return (tuple((f.name, f.version) for f in r.fleets), r.render(),
            tuple((d.code, d.input_name, d.line, d.message) for d in r.diagnostics))


def test_same_as_buffers(egw):
    inputs = [("manifest.yaml", MANIFEST), ("bad.yaml", "kind: [\n")]
    with egw.parse(*inputs) as docs:
        assert len(docs) >= 5
        for kw in ({}, {"controller_namespace": ""}, {"dns_domain": "corp.local"}):
            with egw.translate(*inputs, **kw) as a, egw.translate(docs, **kw) as b:
                assert _snap(a) == _snap(b)
    assert "closed" in repr(docs)
    with pytest.raises(ValueError):
        egw.translate(docs)


def test_errors_surface_at_translate(egw):
    docs = egw.parse(("junk.yaml", "{ nope"))
    with pytest.raises(egw.ParseError) as ei:
        egw.translate(docs)
    assert ei.value.diagnostics[0].input_name == "junk.yaml"
    docs = egw.parse(MANIFEST, limits={"max_input_bytes": 16})
    with pytest.raises(egw.LimitError):
        egw.translate(docs)


def test_not_mixed_with_buffers(egw):
    with egw.parse(MANIFEST) as docs:
        with pytest.raises(TypeError):
            egw.translate(docs, MANIFEST)


def test_shared_across_threads(egw):
    docs = egw.parse(MANIFEST)
    with egw.translate(MANIFEST) as r:
        want = _snap(r)

    def work(_):
        out = set()
        for _ in range(10):
            with egw.translate(docs) as r:
                out.add(_snap(r))
        return out

    with ThreadPoolExecutor(8) as ex:
        for got in ex.map(work, range(8)):
            assert got == {want}
