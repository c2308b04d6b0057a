# SPDX-License-Identifier: Apache-2.0
"""Extension hooks and the fetcher as Python callables.

Two layers: the C-callable trampolines are driven directly (as libegw
calls them), which tests the exception and ownership rules whatever the
translator does; and end-to-end translations whose hook assertions apply
once libegw calls hooks (skipped, saying so, while it calls none)."""
from __future__ import annotations

import json

import pytest

from conftest import MANIFEST


def _str_arg(ffi, keep, text):
    v = ffi.new("egw_str *")
    b = text.encode()
    buf = ffi.new("char[]", b)
    keep.append(buf)
    v.data = buf
    v.len = len(b)
    return v[0]


def _call_hook(egw, fn, point, resource, context):
    """Calls the hook trampoline the way libegw does."""
    from egw._loader import HOOK_CALLBACK, ffi

    state = egw._CallState(egw._hook_map(fn), None)
    h = ffi.new_handle(state)
    keep = []
    out = ffi.new("egw_str *")
    rc = HOOK_CALLBACK(h, int(point), _str_arg(ffi, keep, resource), _str_arg(ffi, keep, context), out)
    text = None if out.data == ffi.NULL else ffi.unpack(out.data, out.len).decode()
    return rc, text, state


def test_trampoline_keep(egw):
    seen = []

    def hook(point, resource, context):
        seen.append((point, resource, context))

    rc, text, st = _call_hook(egw, hook, egw.HookPoint.POST_CLUSTER, '{"name":"c"}', '{"ir":"x"}')
    assert (rc, text) == (0, None)
    assert seen == [(egw.HookPoint.POST_CLUSTER, {"name": "c"}, {"ir": "x"})]
    assert st.errors == []


@pytest.mark.parametrize("ret,expect", [
    ({"name": "c", "connectTimeout": "7s"}, {"name": "c", "connectTimeout": "7s"}),
    ('{"name":"s"}', {"name": "s"}),
    (b'{"name":"b"}', {"name": "b"}),
    ([1, 2], [1, 2]),
])
def test_trampoline_replace(egw, ret, expect):
    rc, text, st = _call_hook(egw, lambda p, r, c: ret, egw.HookPoint.POST_ROUTE, '{"name":"c"}', "{}")
    assert rc == 0
    assert json.loads(text) == expect
    # the output buffer stays alive until the next hook call
    assert st.keep is not None


def test_trampoline_exception_is_failure(egw):
    def hook(point, resource, context):
        raise RuntimeError("extension server down")

    rc, text, st = _call_hook(egw, hook, egw.HookPoint.POST_TRANSLATE, "{}", "{}")
    assert rc != 0
    assert text == "RuntimeError: extension server down"  # the reason libegw reports
    assert len(st.errors) == 1
    point, exc = st.errors[0]
    assert point == egw.HookPoint.POST_TRANSLATE
    assert isinstance(exc, RuntimeError)


def test_trampoline_bad_return_is_failure(egw):
    rc, _, st = _call_hook(egw, lambda p, r, c: object(), egw.HookPoint.POST_ROUTE, "{}", "{}")
    assert rc != 0 and isinstance(st.errors[0][1], TypeError)


def test_trampoline_unregistered_point_is_failure(egw):
    rc, _, st = _call_hook(egw, {"post_route": lambda p, r, c: None}, egw.HookPoint.POST_CLUSTER,
                           "{}", "{}")
    assert rc != 0 and isinstance(st.errors[0][1], KeyError)


def test_fetch_trampoline(egw):
    from egw._loader import FETCH_CALLBACK, ffi

    def call(fetcher):
        st = egw._CallState({}, fetcher)
        h = ffi.new_handle(st)
        keep = []
        resp = ffi.new("egw_fetch_response *")
        rc = FETCH_CALLBACK(h, _str_arg(ffi, keep, "https://issuer.example.com/.well-known/jwks"), resp)
        body = None if resp.body.data == ffi.NULL else ffi.unpack(resp.body.data, resp.body.len)
        return rc, resp.status, body, st

    urls = []
    assert call(lambda u: urls.append(u) or '{"keys":[]}')[:3] == (0, 200, b'{"keys":[]}')
    assert urls == ["https://issuer.example.com/.well-known/jwks"]
    assert call(lambda u: (404, b"nope"))[:3] == (0, 404, b"nope")
    assert call(lambda u: None)[0] != 0
    rc, _, _, st = call(lambda u: 1 / 0)
    assert rc != 0 and isinstance(st.fetch_errors[0][1], ZeroDivisionError)


def test_hook_map(egw):
    f = lambda p, r, c: None  # noqa: E731
    assert set(egw._hook_map(f)) == set(egw.HookPoint)
    m = egw._hook_map({"post-route": f, egw.HookPoint.POST_CLUSTER: f, 4: f, "post_virtual_host": None})
    assert set(m) == {egw.HookPoint.POST_ROUTE, egw.HookPoint.POST_CLUSTER, egw.HookPoint.POST_TRANSLATE}


# ---- end to end ----

def _calls(egw, **kw):
    calls = []

    def hook(point, resource, context):
        calls.append((point, resource, context))

    with egw.translate(MANIFEST, hooks=hook, **kw) as r:
        names = [x.name for x in r.fleets[0].resources()]
    return calls, names


def _require_hooks(egw):
    calls, _ = _calls(egw)
    if not calls:
        pytest.skip("libegw does not call extension hooks yet")
    return calls


def test_translate_accepts_hooks_and_fetcher(egw):
    """Whatever libegw does with them, passing hooks and a fetcher works and
    changes nothing when they keep every resource."""
    with egw.translate(MANIFEST) as r:
        plain = [(x.name, x.version) for x in r.fleets[0].resources()]
    with egw.translate(MANIFEST, hooks=lambda p, r, c: None, fetcher=lambda u: None) as r:
        assert [(x.name, x.version) for x in r.fleets[0].resources()] == plain
        assert r.hook_errors == []


def test_hooks_are_called(egw):
    calls = _require_hooks(egw)
    for p, res, ctx in calls:
        assert isinstance(p, egw.HookPoint)
        assert isinstance(res, (dict, list))
        assert ctx is None or isinstance(ctx, (dict, list))


def test_hook_modifies_clusters(egw):
    """Whichever of POST_CLUSTER (per cluster) and POST_TRANSLATE (all
    clusters at once) libegw calls for this manifest, what the hook returns
    is what comes out."""
    _require_hooks(egw)
    touched = set()

    def post_cluster(point, cluster, context):
        touched.add(cluster["name"])
        cluster["connectTimeout"] = "7s"
        return cluster

    def post_translate(point, resources, context):
        for c in resources.get("clusters", []):
            touched.add(c["name"])
            c["connectTimeout"] = "7s"
        return resources

    with egw.translate(MANIFEST, hooks={"post_cluster": post_cluster,
                                        "post_translate": post_translate}) as r:
        clusters = r.fleets[0].to_dict("cluster")["clusters"]
        protos = {x.name: x.bytes() for x in r.fleets[0].resources("cluster")}
    if not touched:
        pytest.skip("libegw calls no cluster hook for this manifest")
    for c in clusters:
        if c["name"] in touched:
            assert c.get("connectTimeout") == "7s", c["name"]
    try:
        import xdsproto

        xdsproto.load()
    except ImportError:
        return  # xds-protos absent: the JSON check above stands alone
    for name in touched & set(protos):
        m = xdsproto.decode("type.googleapis.com/envoy.config.cluster.v3.Cluster", protos[name])
        assert m.connect_timeout.seconds == 7


def test_hook_exception_fail_closed(egw):
    """Fail-closed: the call raises HookError (EGW_EHOOK), or the fleet
    fails with the exception's text as its error (how libegw's xds stage
    does it, as Envoy Gateway fails the translation); both are allowed by
    egw.h, and either way the exception itself is kept."""
    _require_hooks(egw)

    def hook(point, resource, context):
        raise RuntimeError("boom")

    try:
        r = egw.translate(MANIFEST, hooks=hook)
    except egw.HookError as e:
        assert e.code == egw.ErrorCode.EHOOK == -6
        assert isinstance(e.__cause__, RuntimeError)
        assert e.hook_exceptions and isinstance(e.hook_exceptions[0][1], RuntimeError)
        assert "boom" in str(e)
        # libegw hands back the result too, saying which fleet failed
        if e.result is not None:
            assert any("RuntimeError: boom" in f.error for f in e.result.fleets)
            assert any(d.code == egw.DiagCode.HOOK and d.severity == egw.Severity.ERROR
                       for d in e.diagnostics)
        return
    with r:
        assert r.hook_errors and all(isinstance(e, RuntimeError) for _, e in r.hook_errors)
        errors = [f.error for f in r.fleets if f.error]
        assert errors and all("RuntimeError: boom" in e for e in errors), errors
        hooks = [d for d in r.diagnostics if d.code == egw.DiagCode.HOOK]
        assert hooks and all(d.severity == egw.Severity.ERROR for d in hooks)
        assert any("RuntimeError: boom" in d.message for d in hooks)


def test_hook_exception_fail_open(egw):
    _require_hooks(egw)
    with egw.translate(MANIFEST) as r:
        plain = [(x.name, x.version) for x in r.fleets[0].resources()]

    def hook(point, resource, context):
        raise RuntimeError("boom")

    with egw.translate(MANIFEST, hooks=hook, hooks_fail_open=True) as r:
        assert [(x.name, x.version) for x in r.fleets[0].resources()] == plain
        assert r.fleets[0].error == ""
        assert r.hook_errors and all(isinstance(e, RuntimeError) for _, e in r.hook_errors)
        hooks = [d for d in r.diagnostics if d.code == egw.DiagCode.HOOK]
        assert hooks and all(d.severity == egw.Severity.WARNING for d in hooks)
        assert any("RuntimeError: boom" in d.message for d in hooks)


def test_keyboard_interrupt_in_hook_propagates(egw):
    _require_hooks(egw)

    def hook(point, resource, context):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        egw.translate(MANIFEST, hooks=hook, hooks_fail_open=True)


EXT_CONFIG = """\
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyGateway
gateway:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
extensionManager:
  resources:
  - {group: foo.example.io, version: v1alpha1, kind: Foo}
  service:
    fqdn: {hostname: extension.example, port: 443}
"""

EXT_MANIFEST = MANIFEST.replace("""  - backendRefs:
    - name: api
      port: 8080
""", """  - backendRefs:
    - name: api
      port: 8080
    filters:
    - type: ExtensionRef
      extensionRef: {group: foo.example.io, kind: Foo, name: foo-1}
""") + """---
apiVersion: foo.example.io/v1alpha1
kind: Foo
metadata:
  name: foo-1
  namespace: apps
spec:
  header: x-from-extension
"""


def test_route_hook_sees_extension_resource(egw):
    """An HTTPRoute rule with an ExtensionRef filter: POST_ROUTE gets the
    extension object in its context, and the route it returns is the one
    that goes to Envoy."""
    _require_hooks(egw)
    seen = []

    def post_route(point, route, context):
        seen.append((route["name"], context))
        foo = context["extensionResources"][0]
        route["requestHeadersToRemove"] = [foo["spec"]["header"]]
        return route

    with egw.translate(EXT_MANIFEST, config=EXT_CONFIG, hooks={"post_route": post_route}) as r:
        assert not [d for d in r.diagnostics if d.severity == egw.Severity.ERROR]
        routes = r.fleets[0].to_dict("route")["routes"]
        proto = {x.name: x.bytes() for x in r.fleets[0].resources("route")}
    assert len(seen) == 1
    name, ctx = seen[0]
    assert ctx["hostnames"] == ["www.example.com"]
    assert [(o["kind"], o["metadata"]["name"], o["spec"]) for o in ctx["extensionResources"]] == \
        [("Foo", "foo-1", {"header": "x-from-extension"})]
    got = {rt["name"]: rt for rc in routes for vh in rc.get("virtualHosts", []) for rt in vh["routes"]}
    assert got[name]["requestHeadersToRemove"] == ["x-from-extension"]
    others = [rt for n, rt in got.items() if n != name]
    assert others and all("requestHeadersToRemove" not in rt for rt in others)
    try:
        import xdsproto

        xdsproto.load()
    except ImportError:
        return
    rc = xdsproto.decode("type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
                         proto["apps/gw/http"])
    by_name = {rt.name: rt for vh in rc.virtual_hosts for rt in vh.routes}
    assert list(by_name[name].request_headers_to_remove) == ["x-from-extension"]


def test_endpoints_hook(egw):
    """POST_ENDPOINTS gets each load assignment of the route's destination;
    what it returns is what Envoy gets."""
    if not hasattr(egw.HookPoint, "POST_ENDPOINTS"):
        pytest.skip("no POST_ENDPOINTS hook point in this libegw")
    _require_hooks(egw)
    seen = []

    def post_endpoints(point, cla, context):
        seen.append(cla["clusterName"])
        for e in cla.get("endpoints", []):
            e["loadBalancingWeight"] = 7
        return cla

    with egw.translate(EXT_MANIFEST, config=EXT_CONFIG,
                       hooks={"post_endpoints": post_endpoints}) as r:
        clas = {c["clusterName"]: c for c in r.fleets[0].to_dict("endpoint")["endpoints"]}
    if not seen:
        pytest.skip("libegw calls POST_ENDPOINTS for none of this manifest's clusters")
    for name in seen:
        assert all(e.get("loadBalancingWeight") == 7 for e in clas[name]["endpoints"])


def test_cluster_hook_sees_backend_resources(egw):
    _require_hooks(egw)
    seen = []

    def post_cluster(point, cluster, context):
        seen.append((cluster["name"], [o["kind"] for o in context["backendExtensionResources"]]))

    with egw.translate(EXT_MANIFEST, config=EXT_CONFIG, hooks={"post_cluster": post_cluster}):
        pass
    assert seen == [("httproute/apps/web/rule/1", ["Foo"])]
