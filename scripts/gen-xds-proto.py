#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes proto/*.proto: the subset of Envoy's xDS API that libegw encodes.

The schemas are rebuilt from the descriptors compiled into the PyPI package
`xds-protos` (Python code generated from Envoy's data-plane API), not copied
from Envoy's .proto sources: for a list of root messages we take the
transitive closure of message and enum types reachable through fields and
print them again with only what the wire format and protoc-c need (names,
numbers, types, labels, oneofs, maps; no comments, no options).

Output: one file per proto package with a flat name, proto/<package>.proto,
so meson compiles a flat folder, and proto/protos.list naming them all (meson
reads it).  Google's well-known types are not written:
they are imported as google/protobuf/*.proto and compiled from the system's
copy (libprotobuf-dev).

Choices worth knowing (also in proto/README.md):

* proto3 `optional` (a synthetic oneof named `_<field>`) is rejected by
  protoc-c 1.4.  We print such a field inside a real one-member oneof of the
  same name `_<field>`.  The wire format is identical and presence is kept
  (a set field is emitted even at its default value, as protojson does).
* Pruning: none is needed at the moment (see "Cost" in proto/README.md); the
  closure is taken whole.  If it ever must be pruned, the rule is: drop a
  field only when every message reachable through it lies in a package that
  no root and no conformance golden uses, and never renumber or rename.
  The PRUNE list below is where such fields go (empty today).
* Parent messages that are only needed as the enclosing scope of a nested
  type that is reachable (but not reachable themselves) are printed with
  their nested types only, no fields.  The registry marks nothing special
  about them; encoding them simply finds no fields.

Usage: scripts/gen-xds-proto.py [--out proto] [--check]
  --check   compare with the committed files instead of writing (exit 1 on
            any difference).
"""

import argparse
import importlib
import os
import pkgutil
import subprocess
import sys

ROOTS = [
    # resources
    "envoy.config.listener.v3.Listener",
    "envoy.config.route.v3.RouteConfiguration",
    "envoy.config.cluster.v3.Cluster",
    "envoy.config.endpoint.v3.ClusterLoadAssignment",
    "envoy.extensions.transport_sockets.tls.v3.Secret",
    "envoy.config.bootstrap.v3.Bootstrap",
    # config dumps (egctl)
    "envoy.admin.v3.ConfigDump",
    "envoy.admin.v3.BootstrapConfigDump",
    "envoy.admin.v3.ListenersConfigDump",
    "envoy.admin.v3.RoutesConfigDump",
    "envoy.admin.v3.ClustersConfigDump",
    "envoy.admin.v3.EndpointsConfigDump",
    "envoy.admin.v3.SecretsConfigDump",
    # typed structs (EnvoyPatchPolicy and extension servers may use them)
    "xds.type.v3.TypedStruct",
    "udpa.type.v1.TypedStruct",
    # every "@type" in the conformance goldens
    "envoy.config.rbac.v3.Action",
    "envoy.config.route.v3.FilterConfig",
    "envoy.config.trace.v3.DatadogConfig",
    "envoy.config.trace.v3.OpenTelemetryConfig",
    "envoy.config.trace.v3.ZipkinConfig",
    "envoy.extensions.access_loggers.file.v3.FileAccessLog",
    "envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter",
    "envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig",
    "envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig",
    "envoy.extensions.clusters.dns.v3.DnsCluster",
    "envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig",
    "envoy.extensions.compression.brotli.compressor.v3.Brotli",
    "envoy.extensions.compression.gzip.compressor.v3.Gzip",
    "envoy.extensions.compression.zstd.compressor.v3.Zstd",
    "envoy.extensions.filters.http.admission_control.v3.AdmissionControl",
    "envoy.extensions.filters.http.api_key_auth.v3.ApiKeyAuth",
    "envoy.extensions.filters.http.api_key_auth.v3.ApiKeyAuthPerRoute",
    "envoy.extensions.filters.http.basic_auth.v3.BasicAuth",
    "envoy.extensions.filters.http.basic_auth.v3.BasicAuthPerRoute",
    "envoy.extensions.filters.http.buffer.v3.Buffer",
    "envoy.extensions.filters.http.buffer.v3.BufferPerRoute",
    "envoy.extensions.filters.http.compressor.v3.Compressor",
    "envoy.extensions.filters.http.compressor.v3.CompressorPerRoute",
    "envoy.extensions.filters.http.cors.v3.Cors",
    "envoy.extensions.filters.http.cors.v3.CorsPolicy",
    "envoy.extensions.filters.http.credential_injector.v3.CredentialInjector",
    "envoy.extensions.filters.http.custom_response.v3.CustomResponse",
    "envoy.extensions.filters.http.dynamic_modules.v3.DynamicModuleFilter",
    "envoy.extensions.filters.http.ext_authz.v3.ExtAuthz",
    "envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute",
    "envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor",
    "envoy.extensions.filters.http.fault.v3.HTTPFault",
    "envoy.extensions.filters.http.geoip.v3.Geoip",
    "envoy.extensions.filters.http.grpc_stats.v3.FilterConfig",
    "envoy.extensions.filters.http.grpc_web.v3.GrpcWeb",
    "envoy.extensions.filters.http.header_mutation.v3.HeaderMutation",
    "envoy.extensions.filters.http.health_check.v3.HealthCheck",
    "envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication",
    "envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig",
    "envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
    "envoy.extensions.filters.http.lua.v3.Lua",
    "envoy.extensions.filters.http.lua.v3.LuaPerRoute",
    "envoy.extensions.filters.http.oauth2.v3.OAuth2",
    "envoy.extensions.filters.http.oauth2.v3.OAuth2PerRoute",
    "envoy.extensions.filters.http.ratelimit.v3.RateLimit",
    "envoy.extensions.filters.http.ratelimit.v3.RateLimitPerRoute",
    "envoy.extensions.filters.http.rbac.v3.RBAC",
    "envoy.extensions.filters.http.rbac.v3.RBACPerRoute",
    "envoy.extensions.filters.http.router.v3.Router",
    "envoy.extensions.filters.http.stateful_session.v3.StatefulSession",
    "envoy.extensions.filters.http.stateful_session.v3.StatefulSessionPerRoute",
    "envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec",
    "envoy.extensions.filters.http.wasm.v3.Wasm",
    "envoy.extensions.filters.listener.proxy_protocol.v3.ProxyProtocol",
    "envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector",
    "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
    "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
    "envoy.extensions.filters.udp.udp_proxy.v3.Route",
    "envoy.extensions.filters.udp.udp_proxy.v3.UdpProxyConfig",
    "envoy.extensions.formatter.req_without_query.v3.ReqWithoutQuery",
    "envoy.extensions.geoip_providers.maxmind.v3.MaxMindConfig",
    "envoy.extensions.health_check.event_sinks.file.v3.HealthCheckEventFileSink",
    "envoy.extensions.http.custom_response.local_response_policy.v3.LocalResponsePolicy",
    "envoy.extensions.http.custom_response.redirect_policy.v3.RedirectPolicy",
    "envoy.extensions.http.early_header_mutation.header_mutation.v3.HeaderMutation",
    "envoy.extensions.http.header_formatters.preserve_case.v3.PreserveCaseFormatterConfig",
    "envoy.extensions.http.injected_credentials.generic.v3.Generic",
    "envoy.extensions.http.original_ip_detection.custom_header.v3.CustomHeaderConfig",
    "envoy.extensions.http.original_ip_detection.xff.v3.XffConfig",
    "envoy.extensions.http.stateful_session.cookie.v3.CookieBasedSessionState",
    "envoy.extensions.http.stateful_session.header.v3.HeaderBasedSessionState",
    "envoy.extensions.load_balancing_policies.client_side_weighted_round_robin.v3.ClientSideWeightedRoundRobin",
    "envoy.extensions.load_balancing_policies.cluster_provided.v3.ClusterProvided",
    "envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest",
    "envoy.extensions.load_balancing_policies.maglev.v3.Maglev",
    "envoy.extensions.load_balancing_policies.override_host.v3.OverrideHost",
    "envoy.extensions.load_balancing_policies.random.v3.Random",
    "envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin",
    "envoy.extensions.load_balancing_policies.wrr_locality.v3.WrrLocality",
    "envoy.extensions.matching.common_inputs.network.v3.DynamicMetadataInput",
    "envoy.extensions.matching.common_inputs.network.v3.SourceIPInput",
    "envoy.extensions.matching.input_matchers.ip.v3.Ip",
    "envoy.extensions.matching.input_matchers.metadata.v3.Metadata",
    "envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig",
    "envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig",
    "envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate",
    "envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig",
    "envoy.extensions.tracers.opentelemetry.resource_detectors.v3.StaticConfigResourceDetectorConfig",
    "envoy.extensions.tracers.opentelemetry.samplers.v3.AlwaysOnSamplerConfig",
    "envoy.extensions.tracers.opentelemetry.samplers.v3.ParentBasedSamplerConfig",
    "envoy.extensions.tracers.opentelemetry.samplers.v3.TraceIdRatioBasedSamplerConfig",
    "envoy.extensions.transport_sockets.proxy_protocol.v3.ProxyProtocolUpstreamTransport",
    "envoy.extensions.transport_sockets.quic.v3.QuicDownstreamTransport",
    "envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer",
    "envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
    "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
    "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
    "envoy.type.matcher.v3.HttpRequestHeaderMatchInput",
    "envoy.type.matcher.v3.HttpResponseHeaderMatchInput",
    "envoy.type.matcher.v3.HttpResponseLocalReplyMatchInput",
    "envoy.type.matcher.v3.HttpResponseStatusCodeMatchInput",
    "xds.type.matcher.v3.CelMatcher",
    "xds.type.matcher.v3.HttpAttributesCelMatchInput",
]

# Besides ROOTS, every top-level message of these API packages is a root, so
# the registry knows any typed_config a patch policy or an extension server
# may name (the closure of all of them compiles in about 10 s on 2 cores).
def wide_root_package(pkg):
    if not (pkg.startswith("envoy.") or pkg.startswith("xds.")):
        return False
    if ".v3" not in pkg + "." or "v3alpha" in pkg:
        return False
    return not (".service." in pkg or pkg.startswith("envoy.data.")
                or pkg.startswith("envoy.watchdog."))


# protoc-c puts `ProtobufCMessage base;` first in every message struct, so a
# field named `base` cannot be compiled.  Such a field is written `base_`:
# same number and type, and the same JSON name (protobuf's JSON name rule
# drops underscores), so neither the wire nor the JSON form changes.
C_RESERVED_FIELDS = {"base": "base_"}

# Fields left out of the schema, as "package.Message.field" (see the module
# docstring for the rule).  Empty: the whole closure compiles fast enough.
PRUNE = set()

# Types and fields newer than the xds-protos release: facts (names, numbers,
# types) from Envoy's API as go-control-plane v1.40 ships it, which the
# conformance goldens use.  Each entry: (file the type lives in, full name,
# fields); a field is (name, number, label, type, oneof) with label "" or
# "repeated", type a scalar name or ".full.Type", oneof a oneof name or None.
SUPPLEMENT_MESSAGES = [
    ("envoy/type/matcher/v3/status_code_input.proto",
     "envoy.type.matcher.v3.HttpResponseLocalReplyMatchInput", []),
    ("envoy/extensions/filters/http/oauth2/v3/oauth.proto",
     "envoy.extensions.filters.http.oauth2.v3.OAuth2TokenForwarding",
     [("header", 1, "", "string", None)]),
    ("envoy/extensions/filters/http/oauth2/v3/oauth.proto",
     "envoy.extensions.filters.http.oauth2.v3.OAuth2PerRoute",
     [("config", 1, "", ".envoy.extensions.filters.http.oauth2.v3.OAuth2Config", None)]),
    ("envoy/config/route/v3/route_components.proto",
     "envoy.config.route.v3.CookieMatcher",
     [("name", 1, "", "string", None),
      ("string_match", 2, "", ".envoy.type.matcher.v3.StringMatcher", None),
      ("invert_match", 3, "", "bool", None)]),
    ("envoy/config/route/v3/route_components.proto",
     "envoy.config.route.v3.RateLimit.Action.RemoteAddressMatch",
     [("descriptor_value", 1, "", "string", None),
      ("descriptor_key", 2, "", "string", None),
      ("default_value", 3, "", "string", None),
      ("address_matcher", 4, "", ".envoy.type.matcher.v3.AddressMatcher", None)]),
    ("envoy/extensions/load_balancing_policies/common/v3/common.proto",
     "envoy.extensions.load_balancing_policies.common.v3.OrcaOobReportingConfig",
     [("port_value", 1, "", "uint32", None),
      ("authority", 2, "", "string", None),
      ("transport_socket_match_criteria", 3, "", ".google.protobuf.Struct", None)]),
]
SUPPLEMENT_ENUMS = [
    ("envoy/config/route/v3/route_components.proto",
     "envoy.config.route.v3.RateLimit.XRateLimitOption",
     [("UNSPECIFIED", 0), ("OFF", 1), ("DRAFT_VERSION_03", 2)]),
]
SUPPLEMENT_FIELDS = [
    ("envoy.config.route.v3.RouteMatch",
     ("cookies", 17, "repeated", ".envoy.config.route.v3.CookieMatcher", None)),
    ("envoy.config.route.v3.RateLimit",
     ("x_ratelimit_option", 7, "", ".envoy.config.route.v3.RateLimit.XRateLimitOption", None)),
    ("envoy.config.route.v3.RateLimit.Action",
     ("remote_address_match", 13, "",
      ".envoy.config.route.v3.RateLimit.Action.RemoteAddressMatch", "action_specifier")),
    ("envoy.extensions.filters.http.oauth2.v3.OAuth2Config",
     ("forward_id_token", 31, "", ".envoy.extensions.filters.http.oauth2.v3.OAuth2TokenForwarding", None)),
    ("envoy.type.matcher.v3.AddressMatcher",
     ("invert_match", 2, "", "bool", None)),
    ("envoy.extensions.common.ratelimit.v3.LocalRateLimitDescriptor",
     ("shadow_mode", 3, "", "bool", None)),
    ("envoy.extensions.filters.http.ext_authz.v3.HttpService",
     ("path_override", 10, "", "string", None)),
    ("envoy.extensions.filters.http.ext_authz.v3.ExtAuthz",
     ("shadow_mode", 32, "", "bool", None)),
    ("envoy.extensions.load_balancing_policies.client_side_weighted_round_robin.v3."
     "ClientSideWeightedRoundRobin",
     ("oob_reporting_config", 9, "",
      ".envoy.extensions.load_balancing_policies.common.v3.OrcaOobReportingConfig", None)),
    ("envoy.extensions.dynamic_modules.v3.DynamicModuleConfig",
     ("module", 6, "", ".envoy.config.core.v3.AsyncDataSource", None)),
]

# Packages whose types come from the system's google/protobuf/*.proto.
WKT_FILES = {
    "google.protobuf.Any": "google/protobuf/any.proto",
    "google.protobuf.Duration": "google/protobuf/duration.proto",
    "google.protobuf.Timestamp": "google/protobuf/timestamp.proto",
    "google.protobuf.Empty": "google/protobuf/empty.proto",
    "google.protobuf.Struct": "google/protobuf/struct.proto",
    "google.protobuf.Value": "google/protobuf/struct.proto",
    "google.protobuf.ListValue": "google/protobuf/struct.proto",
    "google.protobuf.NullValue": "google/protobuf/struct.proto",
    "google.protobuf.FieldMask": "google/protobuf/field_mask.proto",
    "google.protobuf.DoubleValue": "google/protobuf/wrappers.proto",
    "google.protobuf.FloatValue": "google/protobuf/wrappers.proto",
    "google.protobuf.Int64Value": "google/protobuf/wrappers.proto",
    "google.protobuf.UInt64Value": "google/protobuf/wrappers.proto",
    "google.protobuf.Int32Value": "google/protobuf/wrappers.proto",
    "google.protobuf.UInt32Value": "google/protobuf/wrappers.proto",
    "google.protobuf.BoolValue": "google/protobuf/wrappers.proto",
    "google.protobuf.StringValue": "google/protobuf/wrappers.proto",
    "google.protobuf.BytesValue": "google/protobuf/wrappers.proto",
}

SCALAR = {
    1: "double", 2: "float", 3: "int64", 4: "uint64", 5: "int32", 6: "fixed64",
    7: "fixed32", 8: "bool", 9: "string", 12: "bytes", 13: "uint32",
    15: "sfixed32", 16: "sfixed64", 17: "sint32", 18: "sint64",
}
T_MESSAGE, T_ENUM, T_GROUP = 11, 14, 10
L_REPEATED = 3


def wide_roots():
    roots = []
    for name, mod in sorted(sys.modules.items()):
        if not name.endswith("_pb2") or not name.startswith(("envoy.", "xds.")):
            continue
        fd = getattr(mod, "DESCRIPTOR", None)
        if fd is not None and wide_root_package(fd.package):
            roots += [d.full_name for d in fd.message_types_by_name.values()]
    return roots


def load_pool():
    try:
        import envoy  # noqa: F401  (from xds-protos)
    except ImportError:
        sys.stderr.write("gen-xds-proto: installing xds-protos with pip\n")
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "xds-protos"])
    import envoy, xds, udpa, validate  # noqa: E401
    from google.protobuf import descriptor_pool
    for pkg in (envoy, xds, udpa, validate):
        for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            if m.name.endswith("_pb2"):
                importlib.import_module(m.name)
    return descriptor_pool.Default()


def xds_protos_version():
    try:
        from importlib.metadata import version
        return version("xds-protos")
    except Exception:
        return "unknown"


class Index:
    """Every message and enum of the pool by full name, as descriptor protos."""

    def __init__(self, pool):
        from google.protobuf import descriptor_pb2
        self.pool = pool
        self.msgs = {}    # full name -> (DescriptorProto, FileDescriptorProto, parent full name or None)
        self.enums = {}   # full name -> (EnumDescriptorProto, FileDescriptorProto, parent)
        self.order = {}   # full name -> sort key (file name, position path)
        self.files = {}
        self.supplemented = set()
        self._fdp = descriptor_pb2.FileDescriptorProto

    def file(self, name):
        if name in self.files:
            return self.files[name]
        fd = self.pool.FindFileByName(name)
        p = self._fdp()
        fd.CopyToProto(p)
        self.files[name] = p

        def walk(msgs, enums, prefix, parent, key):
            for i, e in enumerate(enums):
                fn = prefix + e.name
                self.enums[fn] = (e, p, parent)
                self.order[fn] = (name, key + (0, i))
            for i, m in enumerate(msgs):
                fn = prefix + m.name
                self.msgs[fn] = (m, p, parent)
                self.order[fn] = (name, key + (1, i))
                walk(m.nested_type, m.enum_type, fn + ".", fn, key + (1, i))
        walk(p.message_type, p.enum_type, p.package + "." if p.package else "", None, ())
        return p

    def ensure(self, full):
        if full in self.msgs or full in self.enums:
            return
        try:
            fd = self.pool.FindFileContainingSymbol(full)
        except KeyError:
            raise SystemExit("gen-xds-proto: unknown type " + full)
        self.file(fd.name)
        if full not in self.msgs and full not in self.enums:
            raise SystemExit("gen-xds-proto: %s not found in %s" % (full, fd.name))


def add_field(ix, msg_full, spec):
    from google.protobuf import descriptor_pb2 as dp
    m = ix.msgs[msg_full][0]
    name, number, label, typ, oneof = spec
    for f in m.field:
        if f.name == name or f.number == number:
            if f.name == name and f.number == number:
                return  # xds-protos caught up
            raise SystemExit("gen-xds-proto: supplement %s.%s clashes with %s = %d"
                             % (msg_full, name, f.name, f.number))
    f = m.field.add(name=name, number=number)
    f.label = L_REPEATED if label == "repeated" else 1
    byname = {v: k for k, v in SCALAR.items()}
    if typ in byname:
        f.type = byname[typ]
    else:
        f.type_name = typ
        f.type = T_ENUM if typ.lstrip(".") in ix.enums else T_MESSAGE
    if oneof:
        names = [o.name for o in m.oneof_decl]
        if oneof not in names:
            m.oneof_decl.add(name=oneof)
            names.append(oneof)
        f.oneof_index = names.index(oneof)
    ix.supplemented.add("%s.%s" % (msg_full, name))


def apply_supplement(ix):
    """Adds the SUPPLEMENT_* types and fields unless xds-protos has them."""
    for fname, full, values in SUPPLEMENT_ENUMS:
        p = ix.file(fname)
        if full in ix.enums:
            continue
        parent, _, short = full.rpartition(".")
        holder = ix.msgs[parent][0].enum_type if parent in ix.msgs else p.enum_type
        e = holder.add(name=short)
        for n, v in values:
            e.value.add(name=n, number=v)
        ix.enums[full] = (e, p, parent if parent in ix.msgs else None)
        ix.order[full] = (fname, ix.order.get(parent, (fname, ()))[1] + (0, len(holder) - 1))
        ix.supplemented.add(full)
    for fname, full, fields in SUPPLEMENT_MESSAGES:
        p = ix.file(fname)
        if full not in ix.msgs:
            parent, _, short = full.rpartition(".")
            holder = ix.msgs[parent][0].nested_type if parent in ix.msgs else p.message_type
            m = holder.add(name=short)
            ix.msgs[full] = (m, p, parent if parent in ix.msgs else None)
            ix.order[full] = (fname, ix.order.get(parent, (fname, ()))[1] + (1, len(holder) - 1))
            ix.supplemented.add(full)
        for spec in fields:
            add_field(ix, full, spec)
    for full, spec in SUPPLEMENT_FIELDS:
        ix.ensure(full)
        add_field(ix, full, spec)


def is_map_entry(m):
    return m.options.map_entry


def closure(ix, roots):
    """Returns (full messages, enums, container-only messages)."""
    full, enums, seen = set(), set(), set()
    work = list(roots)
    while work:
        t = work.pop()
        if t in seen:
            continue
        seen.add(t)
        ix.ensure(t)
        if t in ix.enums:
            enums.add(t)
            continue
        m, _, _ = ix.msgs[t]
        full.add(t)
        for f in m.field:
            if "%s.%s" % (t, f.name) in PRUNE:
                continue
            if f.type in (T_MESSAGE, T_ENUM):
                work.append(f.type_name.lstrip("."))
            elif f.type == T_GROUP:
                raise SystemExit("gen-xds-proto: group field %s.%s" % (t, f.name))
    # parents of nested types: needed as scopes
    containers = set()
    for t in list(full) + list(enums):
        entry = ix.msgs.get(t) or ix.enums.get(t)
        parent = entry[2]
        while parent:
            if parent not in full:
                containers.add(parent)
            parent = ix.msgs[parent][2]
    return full, enums, containers


def json_name(name):
    out, up = [], False
    for c in name:
        if c == "_":
            up = True
        elif up:
            out.append(c.upper())
            up = False
        else:
            out.append(c)
    return "".join(out)


def package_of(ix, full):
    entry = ix.msgs.get(full) or ix.enums.get(full)
    return entry[1].package


class Writer:
    def __init__(self, ix, full, enums, containers):
        self.ix, self.full, self.enums, self.containers = ix, full, enums, containers
        self.wanted = full | enums | containers
        self.stats = {"messages": 0, "enums": 0, "fields": 0, "optional": []}

    def type_ref(self, f, pkg, deps):
        if f.type in SCALAR:
            return SCALAR[f.type]
        t = f.type_name.lstrip(".")
        if t in WKT_FILES:
            deps.add(WKT_FILES[t])
        elif t.startswith("google.protobuf."):
            raise SystemExit("gen-xds-proto: unhandled google type " + t)
        else:
            p = package_of(self.ix, t)
            if p != pkg:
                deps.add(p + ".proto")
        return "." + t

    def enum(self, full, out, ind, deps):
        e = self.ix.enums[full][0]
        self.stats["enums"] += 1
        out.append("%senum %s {" % (ind, e.name))
        nums = [v.number for v in e.value]
        if len(set(nums)) != len(nums):
            out.append("%s  option allow_alias = true;" % ind)
        for v in e.value:
            out.append("%s  %s = %d;" % (ind, v.name, v.number))
        out.append("%s}" % ind)

    def field_line(self, full, m, f, pkg, deps, ind):
        self.stats["fields"] += 1
        if "%s.%s" % (full, f.name) in self.ix.supplemented or full in self.ix.supplemented:
            jn = json_name(f.name)
        else:
            jn = self.ix.pool.FindMessageTypeByName(full).fields_by_name[f.name].json_name
        if jn != json_name(f.name):
            raise SystemExit("gen-xds-proto: %s.%s has a custom json_name %s" % (full, f.name, jn))
        if f.type == T_MESSAGE:
            entry = self.ix.msgs.get(f.type_name.lstrip("."))
            if entry and is_map_entry(entry[0]):
                k = next(x for x in entry[0].field if x.number == 1)
                v = next(x for x in entry[0].field if x.number == 2)
                return "%smap<%s, %s> %s = %d;" % (
                    ind, self.type_ref(k, pkg, deps), self.type_ref(v, pkg, deps), f.name, f.number)
        lab = "repeated " if f.label == L_REPEATED else ""
        name = C_RESERVED_FIELDS.get(f.name, f.name)
        return "%s%s%s %s = %d;" % (ind, lab, self.type_ref(f, pkg, deps), name, f.number)

    def message(self, full, out, ind, deps):
        m, fdp, _ = self.ix.msgs[full]
        pkg = fdp.package
        self.stats["messages"] += 1
        out.append("%smessage %s {" % (ind, m.name))
        inner = ind + "  "
        for e in m.enum_type:
            fn = full + "." + e.name
            if fn in self.wanted:
                self.enum(fn, out, inner, deps)
        for n in m.nested_type:
            fn = full + "." + n.name
            if fn in self.wanted and not is_map_entry(n):
                self.message(fn, out, inner, deps)
        if full in self.full:
            done_oneofs = set()
            fields = [f for f in m.field if "%s.%s" % (full, f.name) not in PRUNE]
            for f in fields:
                if f.HasField("oneof_index"):
                    oi = f.oneof_index
                    if oi in done_oneofs:
                        continue
                    done_oneofs.add(oi)
                    oname = m.oneof_decl[oi].name
                    members = [g for g in fields if g.HasField("oneof_index") and g.oneof_index == oi]
                    if f.proto3_optional:
                        # see the module docstring: a one-member oneof keeps presence
                        self.stats["optional"].append("%s.%s" % (full, f.name))
                    out.append("%soneof %s {" % (inner, oname))
                    for g in members:
                        out.append(self.field_line(full, m, g, pkg, deps, inner + "  "))
                    out.append("%s}" % inner)
                else:
                    out.append(self.field_line(full, m, f, pkg, deps, inner))
        out.append("%s}" % ind)

    def package_text(self, pkg, tops, version):
        deps = set()
        body = []
        syntaxes = set()
        for t in tops:
            entry = self.ix.msgs.get(t) or self.ix.enums.get(t)
            syntaxes.add(entry[1].syntax or "proto2")
            body.append("")
            if t in self.ix.enums:
                self.enum(t, body, "", deps)
            else:
                self.message(t, body, "", deps)
        if len(syntaxes) != 1:
            raise SystemExit("gen-xds-proto: package %s mixes %s" % (pkg, syntaxes))
        deps.discard(pkg + ".proto")
        head = [
            "// SPDX-License-Identifier: Apache-2.0",
            "// Generated by scripts/gen-xds-proto.py from xds-protos %s; do not edit." % version,
            "// A subset of Envoy's data-plane API (Apache-2.0): names, numbers and types only.",
            "",
            'syntax = "%s";' % syntaxes.pop(),
            "",
            "package %s;" % pkg,
        ]
        if deps:
            head.append("")
            head += ['import "%s";' % d for d in sorted(deps)]
        return "\n".join(head + body) + "\n", deps


def check_acyclic(graph):
    state = {}

    def visit(n, stack):
        state[n] = 1
        for d in graph.get(n, ()):
            if state.get(d) == 1:
                raise SystemExit("gen-xds-proto: import cycle " + " -> ".join(stack + [n, d]))
            if d not in state:
                visit(d, stack + [n])
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n, [])


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "proto"))
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()

    sys.setrecursionlimit(10000)
    ix = Index(load_pool())
    apply_supplement(ix)
    full, enums, containers = closure(ix, ROOTS + wide_roots())
    full = {t for t in full if not t.startswith("google.protobuf.")}
    enums = {t for t in enums if not t.startswith("google.protobuf.")}
    w = Writer(ix, full, enums, containers)
    # top-level types per package, in the order of the original files
    tops = {}
    for t in full | enums | containers:
        entry = ix.msgs.get(t) or ix.enums.get(t)
        if entry[2] is None:
            tops.setdefault(entry[1].package, []).append(t)
    version = xds_protos_version()
    texts, graph = {}, {}
    for pkg in sorted(tops):
        names = sorted(tops[pkg], key=lambda t: ix.order[t])
        text, deps = w.package_text(pkg, names, version)
        texts[pkg + ".proto"] = text
        graph[pkg + ".proto"] = {d for d in deps if not d.startswith("google/")}
    check_acyclic(graph)

    os.makedirs(args.out, exist_ok=True)
    existing = {f for f in os.listdir(args.out) if f.endswith(".proto")}
    diff = False
    for name, text in sorted(texts.items()):
        path = os.path.join(args.out, name)
        old = open(path).read() if os.path.exists(path) else None
        if old != text:
            diff = True
            if not args.check:
                with open(path, "w") as fh:
                    fh.write(text)
    listing = "".join(n + "\n" for n in sorted(texts))
    lpath = os.path.join(args.out, "protos.list")
    if not os.path.exists(lpath) or open(lpath).read() != listing:
        diff = True
        if not args.check:
            with open(lpath, "w") as fh:
                fh.write(listing)
    for stale in sorted(existing - set(texts)):
        diff = True
        if not args.check:
            os.remove(os.path.join(args.out, stale))
    with_opt = w.stats["optional"]
    sys.stderr.write(
        "gen-xds-proto: %d files, %d messages (%d scope-only), %d enums, %d fields, "
        "%d proto3-optional fields as one-member oneofs, %d supplemented types/fields\n"
        % (len(texts), w.stats["messages"], len(containers), w.stats["enums"],
           w.stats["fields"], len(with_opt), len(ix.supplemented)))
    if args.check and diff:
        sys.stderr.write("gen-xds-proto: proto/ differs from what the script writes\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
