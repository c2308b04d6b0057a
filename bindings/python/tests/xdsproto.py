# SPDX-License-Identifier: Apache-2.0
"""Decodes libegw's xDS resources with Envoy's real protobuf types (the
`xds-protos` package) and checks them: every field known at every depth,
inside `Any` too, and a lossless re-serialization.

Helpers for test_protos.py; importing this module needs protobuf and
xds-protos (the test skips cleanly without them)."""
from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

from google.protobuf import descriptor_pool, json_format, message_factory

try:
    from google.protobuf import unknown_fields as _uf
except ImportError:  # older protobuf: use the message's own accessor
    _uf = None

# the modules of the five resource types; the rest is imported on demand
ROOT_MODULES = [
    "envoy.config.listener.v3.listener_pb2",
    "envoy.config.route.v3.route_pb2",
    "envoy.config.cluster.v3.cluster_pb2",
    "envoy.config.endpoint.v3.endpoint_pb2",
    "envoy.extensions.transport_sockets.tls.v3.secret_pb2",
]

_pool = descriptor_pool.Default()
_loaded_pkgs: Set[str] = set()


def load() -> None:
    for m in ROOT_MODULES:
        importlib.import_module(m)


def _import_package_of(full_name: str) -> None:
    """Imports every *_pb2 module of the proto package that defines
    full_name (a proto package is a Python package in xds-protos)."""
    parts = full_name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        pkg = ".".join(parts[:cut])
        if pkg in _loaded_pkgs:
            continue
        try:
            spec = importlib.util.find_spec(pkg)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.submodule_search_locations:
            continue
        _loaded_pkgs.add(pkg)
        for info in pkgutil.iter_modules(spec.submodule_search_locations):
            if info.name.endswith("_pb2"):
                importlib.import_module(f"{pkg}.{info.name}")
        return


def message_class(full_name: str) -> Any:
    try:
        desc = _pool.FindMessageTypeByName(full_name)
    except KeyError:
        _import_package_of(full_name)
        desc = _pool.FindMessageTypeByName(full_name)  # KeyError: not an Envoy type
    return message_factory.GetMessageClass(desc)


def _unknown_numbers(m: Any) -> List[int]:
    if _uf is not None:
        return [f.field_number for f in _uf.UnknownFieldSet(m)]
    return [f[0] >> 3 for f in m.UnknownFields()]


# Fields and types that libegw writes because Envoy Gateway's Envoy has
# them, but that the installed xds-protos release predates.  The proto
# generator (scripts/gen-xds-proto.py, SUPPLEMENT_*) is the authority: its
# lists are read from the tree when present; this one is the fallback.  A
# field or type is only tolerated while the installed descriptors lack it.
NEWER_THAN_XDS_PROTOS: Dict[Tuple[str, int], str] = {
    ("envoy.config.route.v3.RouteMatch", 17): "RouteMatch.cookies",
    ("envoy.config.route.v3.RateLimit", 7): "RateLimit.x_ratelimit_option",
    ("envoy.config.route.v3.RateLimit.Action", 13): "RateLimit.Action.remote_address_match",
    ("envoy.extensions.common.ratelimit.v3.LocalRateLimitDescriptor", 3):
        "LocalRateLimitDescriptor.shadow_mode",
    ("envoy.extensions.filters.http.ext_authz.v3.HttpService", 10): "HttpService.path_override",
    ("envoy.extensions.load_balancing_policies.client_side_weighted_round_robin.v3."
     "ClientSideWeightedRoundRobin", 9): "ClientSideWeightedRoundRobin.oob_reporting_config",
    ("envoy.extensions.dynamic_modules.v3.DynamicModuleConfig", 6): "DynamicModuleConfig.module",
}
NEWER_TYPES: Set[str] = {"envoy.type.matcher.v3.HttpResponseLocalReplyMatchInput"}


def load_supplement(script: Path) -> int:
    """Adds the proto generator's SUPPLEMENT_FIELDS and SUPPLEMENT_MESSAGES
    (read as literals, the script is not run); returns how many entries."""
    import ast

    if not script.is_file():
        return 0
    n = 0
    for node in ast.parse(script.read_text(encoding="utf-8")).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and
                isinstance(node.targets[0], ast.Name)):
            continue
        name = node.targets[0].id
        if name == "SUPPLEMENT_FIELDS":
            for msg, (fname, number, *_rest) in ast.literal_eval(node.value):
                NEWER_THAN_XDS_PROTOS[(msg, int(number))] = f"{msg.rsplit('.', 1)[-1]}.{fname}"
                n += 1
        elif name == "SUPPLEMENT_MESSAGES":
            for _file, full, _fields in ast.literal_eval(node.value):
                NEWER_TYPES.add(full)
                n += 1
    return n


def _tolerated(m: Any, number: int) -> bool:
    name = m.DESCRIPTOR.full_name
    return (name, number) in NEWER_THAN_XDS_PROTOS and \
        number not in m.DESCRIPTOR.fields_by_number


def _repeated(fd: Any) -> bool:
    rep = getattr(fd, "is_repeated", None)  # protobuf >= 6
    if rep is not None:
        return bool(rep() if callable(rep) else rep)
    return fd.label == fd.LABEL_REPEATED


def problems(m: Any, path: str = "", tolerated: Optional[List[str]] = None) -> List[str]:
    """Unknown fields and undecodable Any payloads anywhere in m.  Unknown
    fields listed in NEWER_THAN_XDS_PROTOS go to `tolerated` instead."""
    out: List[str] = []
    path = path or m.DESCRIPTOR.full_name
    unknown = _unknown_numbers(m)
    bad = sorted({n for n in unknown if not _tolerated(m, n)})
    if bad:
        out.append(f"{path}: unknown field number(s) {bad}")
    if tolerated is not None:
        tolerated += [f"{path}: {NEWER_THAN_XDS_PROTOS[(m.DESCRIPTOR.full_name, n)]}"
                      for n in sorted(set(unknown) - set(bad))]
    if m.DESCRIPTOR.full_name == "google.protobuf.Any":
        if not m.type_url and not m.value:
            return out  # an empty Any: Envoy Gateway enables per-route filters so
        type_name = m.type_url.rsplit("/", 1)[-1]
        try:
            cls = message_class(type_name)
        except KeyError:
            if type_name in NEWER_TYPES:
                if tolerated is not None:
                    tolerated.append(f"type:{path}: {type_name}")
                return out
            return out + [f"{path}: Any of a type Envoy does not have: {m.type_url!r}"]
        sub = cls()
        try:
            sub.ParseFromString(m.value)
        except Exception as e:  # noqa: BLE001
            return out + [f"{path}<{type_name}>: does not parse: {e}"]
        return out + problems(sub, f"{path}<{type_name}>", tolerated)
    for fd, value in m.ListFields():
        if fd.message_type is None:
            continue
        name = f"{path}.{fd.name}"
        if fd.message_type.GetOptions().map_entry:
            vfd = fd.message_type.fields_by_name["value"]
            if vfd.message_type is not None:
                for k, v in value.items():
                    out += problems(v, f"{name}[{k!r}]", tolerated)
        elif _repeated(fd):
            for i, v in enumerate(value):
                out += problems(v, f"{name}[{i}]", tolerated)
        else:
            out += problems(value, name, tolerated)
    return out


def decode(type_url: str, data: bytes) -> Any:
    """The resource as an Envoy message; raises on malformed bytes."""
    cls = message_class(type_url.rsplit("/", 1)[-1])
    m = cls()
    m.ParseFromString(data)
    return m


def check(type_url: str, data: bytes, tolerated: Optional[List[str]] = None) -> List[str]:
    """Everything wrong with one serialized resource ([] = nothing)."""
    try:
        m = decode(type_url, data)
    except Exception as e:  # noqa: BLE001
        return [f"{type_url}: does not parse: {type(e).__name__}: {e}"]
    out = problems(m, "", tolerated)
    # lossless: what Envoy's types re-serialize parses back to the same
    # message and is as long (map entries may come in another order)
    again = type(m)()
    again.ParseFromString(m.SerializeToString(deterministic=True))
    if again != m:
        out.append(f"{type_url}: re-serialization changes the message")
    if len(m.SerializeToString()) != len(data):
        out.append(f"{type_url}: re-serialized to {len(m.SerializeToString())} bytes, "
                   f"libegw wrote {len(data)}")
    return out


def json_agrees(type_url: str, data: bytes, rendered: Dict[str, Any],
                lenient: bool = False) -> Optional[str]:
    """None when libegw's JSON rendering of a resource, read with Envoy's
    types (proto3 JSON mapping), is the same message as its protobuf bytes;
    else what differs.  lenient (for a resource with fields newer than
    xds-protos): the JSON may name fields Envoy's types lack, which drop
    out of the comparison."""
    m = decode(type_url, data)
    try:
        j = json_format.ParseDict(rendered, type(m)(), ignore_unknown_fields=lenient)
    except Exception as e:  # noqa: BLE001
        return f"the JSON rendering is not a valid {type(m).DESCRIPTOR.full_name}: {e}"
    if not lenient and j == m:
        return None
    # an Any holds bytes: a map or Struct inside one may be packed in
    # another order from JSON than libegw wrote it, so compare unpacked
    a, b = to_dict(m), to_dict(j)
    if a == b:
        return None
    keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    return f"protobuf and JSON differ in {keys}"


def to_dict(m: Any) -> Dict[str, Any]:
    return json_format.MessageToDict(m)


def protos_available() -> bool:
    try:
        load()
        return True
    except ImportError:
        return False

