# SPDX-License-Identifier: Apache-2.0
"""Distinct translations on distinct threads, and one Result read from
many threads at once, give the single-threaded answers."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from conftest import MANIFEST


def _snapshot(r):
    return (tuple((f.name, f.version) for f in r.fleets),
            tuple((x.name, x.version, x.bytes()) for f in r.fleets for x in f.resources()),
            r.render(), tuple(s.name for s in r.statuses))


def test_parallel_translations(egw):
    with egw.translate(MANIFEST) as r:
        want = _snapshot(r)

    def work(i):
        outs = set()
        for _ in range(10):
            with egw.translate(("m%d.yaml" % i, MANIFEST)) as r:
                outs.add(_snapshot(r))
        return outs

    with ThreadPoolExecutor(8) as ex:
        for outs in ex.map(work, range(16)):
            assert outs == {want}


def test_one_result_many_readers(egw):
    r = egw.translate(MANIFEST)
    want = _snapshot(r)
    barrier = threading.Barrier(8)

    def read(_):
        barrier.wait()
        out = set()
        for _ in range(20):
            out.add(_snapshot(r))
            r.fleets[0].to_json()
            r.fleets[0].xds_ir_json()
        return out

    with ThreadPoolExecutor(8) as ex:
        for got in ex.map(read, range(8)):
            assert got == {want}
    r.close()


def test_parallel_hooks_and_fetchers(egw):
    """Each call's callbacks see their own state, also when calls overlap."""
    def work(i):
        errs = []

        def hook(point, resource, context):
            errs.append(i)
            raise RuntimeError(str(i))

        for _ in range(5):
            with egw.translate(MANIFEST, hooks=hook, hooks_fail_open=True,
                               fetcher=lambda u: (200, str(i))) as r:
                assert all(str(e) == str(i) for _, e in r.hook_errors)
        return set(errs) <= {i}

    with ThreadPoolExecutor(6) as ex:
        assert all(ex.map(work, range(12)))
