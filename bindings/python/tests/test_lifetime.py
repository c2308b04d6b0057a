# SPDX-License-Identifier: Apache-2.0
"""Objects keep their Result alive; close() never frees memory that a
memoryview still shows; a closed Result refuses use."""
from __future__ import annotations

import gc
import weakref

import pytest

from conftest import MANIFEST


def _one_resource(egw):
    r = egw.translate(MANIFEST)
    res = r.fleets[0].resources()
    assert res, "the manifest translates to resources"
    return weakref.ref(r), res[0], res[0].bytes()


def test_resource_keeps_result_alive(egw):
    wr, res, copy = _one_resource(egw)
    gc.collect()
    assert wr() is not None  # held by the Resource
    # allocate and free other results so freed memory would be reused
    for _ in range(5):
        egw.translate(MANIFEST).close()
    assert bytes(res.proto) == copy
    del res
    gc.collect()
    assert wr() is None


def test_memoryview_keeps_result_alive(egw):
    r = egw.translate(MANIFEST)
    wr = weakref.ref(r)
    res = r.fleets[0].resources()[0]
    copy = res.bytes()
    view = res.proto
    del r, res
    gc.collect()
    assert wr() is not None  # held by the view alone
    for _ in range(5):
        egw.translate(MANIFEST).close()
    assert bytes(view) == copy
    del view
    gc.collect()
    assert wr() is None


def test_fleet_keeps_result_alive(egw):
    r = egw.translate(MANIFEST)
    wr = weakref.ref(r)
    fleet = r.fleets[0]
    del r
    gc.collect()
    assert wr() is not None
    assert fleet.name == "apps/gw" and fleet.resources()
    del fleet
    gc.collect()
    assert wr() is None


def test_context_manager_closes(egw):
    with egw.translate(MANIFEST) as r:
        fleet = r.fleets[0]
        res = fleet.resources()[0]
        assert not r.closed
    assert r.closed
    for op in (lambda: r.fleets, lambda: r.statuses, lambda: r.diagnostics, lambda: r.render(),
               lambda: fleet.resources(), lambda: fleet.version, lambda: fleet.to_json(),
               lambda: res.proto, lambda: res.bytes(), lambda: r.fleet("apps/gw"),
               lambda: r.set_gateway_infra("apps", "gw", [])):
        with pytest.raises(ValueError, match="closed"):
            op()
    # data already copied into Python stays
    assert res.name and fleet.name == "apps/gw"
    r.close()  # idempotent
    assert "closed" in repr(r)


def test_close_with_live_view_defers_free(egw):
    r = egw.translate(MANIFEST)
    res = r.fleets[0].resources()[0]
    copy = res.bytes()
    view = res.proto
    r.close()
    assert r.closed and r._exports == 1
    for _ in range(5):
        egw.translate(MANIFEST).close()
    assert bytes(view) == copy  # still the result's memory, not freed
    wr = weakref.ref(r)
    del r, res
    gc.collect()
    assert wr() is not None  # the view holds it
    del view
    gc.collect()
    assert wr() is None


def test_view_counting(egw):
    with egw.translate(MANIFEST) as r:
        res = r.fleets[0].resources()
        views = [x.proto for x in res]
        assert r._exports == len(views)
        sliced = views[0][1:3]
        del views
        gc.collect()
        assert r._exports == 1  # the slice keeps its base view
        del sliced
        gc.collect()
        assert r._exports == 0


def test_error_result_is_freed(egw):
    with pytest.raises(egw.ParseError) as ei:
        egw.translate("{ nope")
    wr = weakref.ref(ei.value.result)
    del ei
    gc.collect()
    assert wr() is None


def test_many_results_no_growth(egw):
    """Results are freed: RSS stays flat over many translations."""
    import os
    import resource

    if "libasan" in os.environ.get("LD_PRELOAD", ""):
        pytest.skip("ASan's quarantine keeps freed memory: ASan checks leaks itself")

    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize()

    try:
        rss()
    except OSError:
        pytest.skip("no /proc/self/statm")
    for _ in range(50):
        egw.translate(MANIFEST).close()
    before = rss()
    for _ in range(300):
        with egw.translate(MANIFEST) as r:
            [x.bytes() for x in r.fleets[0].resources()]
            r.render()
    for _ in range(300):
        r = egw.translate(MANIFEST)
        r.fleets[0].resources()[0].proto
        del r
    gc.collect()
    grown = rss() - before
    assert grown < 16 << 20, f"RSS grew by {grown} bytes over 600 translations"
