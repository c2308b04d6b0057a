# SPDX-License-Identifier: Apache-2.0
"""Envoy Gateway's test extension server, as libegw hook functions.

Envoy Gateway's translator tests (TestTranslateXdsWithExtensionErrorsWhenFailOpen
and ...FailClosed, internal/xds/translator) run the xds/extension-xds-ir cases
against an in-process extension server that changes resources with given
names in given ways and fails for others.  This module does the same through
libegw's hooks, so that those goldens test libegw's hook plumbing: which
resources reach which hook, with what context, and how replies and failures
are applied.  It is written from the behaviour the goldens show, resource by
resource; a failure is a raised HookFailure whose text is the server's.

Use: egw.translate(..., hooks=ext_server.HOOKS, hooks_fail_open=True).
"""
import copy

import egw


class HookFailure(Exception):
    """The extension server's error (what its gRPC status would carry)."""


def _header(key, value):
    h = {'key': key}
    if value:
        h['value'] = value
    return {'header': h}


def _meta(obj):
    md = obj.get('metadata') or {}
    return md.get('name') or '', md.get('namespace') or ''


def post_route(route, ctx):
    if route.get('name') == 'extension-post-xdsroute-hook-error':
        raise HookFailure('route hook resource error')
    out = copy.deepcopy(route)
    headers = out.setdefault('responseHeadersToAdd', [])
    hostnames = ', '.join(ctx.get('hostnames') or [])
    for res in ctx.get('extensionResources') or []:
        name, ns = _meta(res)
        headers += [
            _header('mock-extension-was-here-route-name', out.get('name')),
            _header('mock-extension-was-here-route-hostnames', hostnames),
            _header('mock-extension-was-here-extensionRef-name', name),
            _header('mock-extension-was-here-extensionRef-namespace', ns),
            _header('mock-extension-was-here-extensionRef-kind', res.get('kind')),
            _header('mock-extension-was-here-extensionRef-apiversion', res.get('apiVersion')),
        ]
    for pol in ctx.get('extensionPolicies') or []:
        name, ns = _meta(pol)
        headers += [
            _header('mock-extension-was-here-extensionPolicy-name', name),
            _header('mock-extension-was-here-extensionPolicy-namespace', ns),
            _header('mock-extension-was-here-extensionPolicy-kind', pol.get('kind')),
            _header('mock-extension-was-here-extensionPolicy-apiversion', pol.get('apiVersion')),
        ]
    return out


def post_virtual_host(vh, ctx):
    name = vh.get('name')
    if name == 'extension-post-xdsvirtualhost-hook-error/*':
        raise HookFailure('extension post xds virtual host hook error')
    if name == 'extension-listener':
        out = copy.deepcopy(vh)
        out.setdefault('routes', []).append(
            {'name': 'mock-extension-inserted-route', 'directResponse': {'status': 200}})
        return out
    return None


def _with_stat_prefix(listener, prefix):
    out = copy.deepcopy(listener)
    out['statPrefix'] = prefix
    return out


def _one_policy(listener, ctx):
    n = len(ctx.get('extensionResources') or [])
    if n != 1:
        raise HookFailure(f'received {n} extension policies when expecting 1: {listener.get("name")}')
    return _with_stat_prefix(listener, listener.get('name'))


def post_http_listener(listener, ctx):
    name = listener.get('name')
    if name == 'extension-post-xdslistener-hook-error':
        raise HookFailure('extension post xds listener hook error')
    if name == 'extension-listener':
        return _with_stat_prefix(listener, 'mock-extension-inserted-prefix')
    if name == 'policyextension-listener':
        pols = ctx.get('extensionResources') or []
        if not pols:
            raise HookFailure('expected a policy in the ext array')
        data = (pols[0].get('spec') or {}).get('data')
        if not isinstance(data, str):
            raise HookFailure("can't find the expected information")
        return _with_stat_prefix(listener, data)
    if name in ('envoy-gateway/gateway-1/http1', 'envoy-gateway/gateway-1/udp1'):
        return _one_policy(listener, ctx)
    if name == 'envoy-gateway/gateway-1/tcp1':
        raise HookFailure("should not be called for this listener, test 'extensionpolicy-tcp-and-http' "
                          'should merge tcp and http gateways to one listener')
    if name == 'first-listener-error':
        raise HookFailure('simulate error when there is no default filter chain in the original resources')
    return None


def post_cluster(cluster, ctx):
    out = copy.deepcopy(cluster)
    pools = 0
    for res in ctx.get('backendExtensionResources') or []:
        if pools == 1:
            raise HookFailure('inference pool only support one per rule')
        if res.get('kind') != 'InferencePool':
            continue
        if int((res.get('spec') or {}).get('targetPortNumber') or 0) == 0:
            raise HookFailure('inference pool target port number is 0')
        for k in ('edsClusterConfig', 'loadAssignment', 'commonLbConfig'):
            out.pop(k, None)
        out['type'] = 'ORIGINAL_DST'
        out['originalDstLbConfig'] = {'useHttpHeader': True,
                                      'httpHeaderName': 'x-gateway-destination-endpoint'}
        pools += 1
    return out


def post_endpoints(cla, ctx):
    """Marks every endpoint (Envoy Gateway's PostEndpointsModify)."""
    out = copy.deepcopy(cla)
    for loc in out.get('endpoints') or []:
        for ep in loc.get('lbEndpoints') or []:
            fm = ep.setdefault('metadata', {}).setdefault('filterMetadata', {})
            fm.setdefault('envoy-gateway.extension', {})['hook'] = 'applied'
    return out


INJECTED_CLUSTER = {
    'name': 'mock-extension-injected-cluster',
    'loadAssignment': {
        'clusterName': 'mock-extension-injected-cluster',
        'endpoints': [{'lbEndpoints': [{'endpoint': {'address': {'socketAddress': {
            'address': 'exampleservice.examplenamespace.svc.cluster.local', 'portValue': 5000}}}}]}],
    },
}
INJECTED_SECRET = {
    'name': 'mock-extension-injected-secret',
    'genericSecret': {'secret': {'inlineString': 'super-secret-extension-secret'}},
}
SDS_TLS_SOCKET = {
    'name': 'envoy.transport_sockets.tls',
    'typedConfig': {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
        'commonTlsContext': {'tlsCertificateSdsSecretConfigs': [{
            'name': 'default',
            'sdsConfig': {'apiConfigSource': {'apiType': 'GRPC', 'grpcServices': [
                {'envoyGrpc': {'clusterName': 'sds-cluster'}}]}},
        }]},
    },
}


def _target_kind(policy):
    ref = (policy.get('spec') or {}).get('targetRef')
    if not isinstance(ref, dict):
        raise HookFailure('failed to get targetRef kind: targetRef not found or error')
    kind = ref.get('kind')
    if not isinstance(kind, str):
        raise HookFailure('failed to get targetRef kind: kind is not a string or missing in targetRef')
    return kind


def post_translate(res, ctx):
    clusters = res.get('clusters') or []
    for c in clusters:
        if c.get('name') == 'custom-backend-dest':
            return None
        svc = (c.get('edsClusterConfig') or {}).get('serviceName') or ''
        if 'fail-close-error' in svc:
            raise HookFailure(f'cluster hook resource error: {svc}')
    out = {'clusters': copy.deepcopy(clusters)}
    for c in out['clusters']:
        if c.get('name') == 'first-route':
            c['connectTimeout'] = '30s'
    injected = copy.deepcopy(INJECTED_CLUSTER)
    out['clusters'].append(injected)
    policies = ctx.get('extensionResources') or []
    for pol in policies:
        kind = _target_kind(pol)
        if pol.get('kind') == 'ExampleExtPolicy':
            if kind != 'Gateway':
                raise HookFailure(f'invalid extension policy : {_meta(pol)[0]}')
            injected['transportSocket'] = copy.deepcopy(SDS_TLS_SOCKET)
    out['secrets'] = copy.deepcopy(res.get('secrets') or []) + [copy.deepcopy(INJECTED_SECRET)]
    out['listeners'] = copy.deepcopy(res.get('listeners') or [])
    for lst in out['listeners']:
        if lst.get('name') == 'test-listener-modify':
            lst['statPrefix'] = 'extension-modified-listener'
    out['routes'] = copy.deepcopy(res.get('routes') or [])
    for rc in out['routes']:
        if rc.get('name') == 'test-route-modify':
            rc.setdefault('responseHeadersToAdd', []).append(_header('x-extension-modified', 'true'))
    if any(p.get('kind') == 'ExampleExtPolicy' for p in policies):
        out['listeners'].append({'name': 'extension-injected-listener',
                                 'statPrefix': 'extension-injected'})
        out['routes'].append({'name': 'extension-injected-route', 'responseHeadersToAdd': [
            _header('x-extension-injected', 'route')]})
    return out


_BY_POINT = {
    egw.HookPoint.POST_ROUTE: post_route,
    egw.HookPoint.POST_VIRTUAL_HOST: post_virtual_host,
    egw.HookPoint.POST_HTTP_LISTENER: post_http_listener,
    egw.HookPoint.POST_CLUSTER: post_cluster,
    egw.HookPoint.POST_TRANSLATE: post_translate,
}
# the point libegw's egw_hook_point gets next (src/xds/hooks.c)
if hasattr(egw.HookPoint, 'POST_ENDPOINTS'):
    _BY_POINT[egw.HookPoint.POST_ENDPOINTS] = post_endpoints


class Recorder:
    """HOOKS with a log of every call: (point, resource, context, failure)."""

    def __init__(self):
        self.calls = []

    def __call__(self, point, resource, context):
        try:
            out = _BY_POINT[point](resource, context or {})
        except HookFailure as e:
            self.calls.append((point, resource, context, str(e)))
            raise
        self.calls.append((point, resource, context, None))
        return out


def HOOKS(point, resource, context):  # noqa: N802 - a constant-like entry point
    """One hook function for every point, as egw.translate(hooks=...) takes it."""
    return _BY_POINT[point](resource, context or {})
