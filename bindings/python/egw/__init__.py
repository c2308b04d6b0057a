# SPDX-License-Identifier: Apache-2.0
"""Python bindings for libegw: Kubernetes Gateway API and Envoy Gateway
resources in, Envoy xDS out, as one pure function.

    import egw

    with egw.translate(open("gateway.yaml").read()) as r:
        for fleet in r.fleets:
            for res in fleet.resources(egw.XdsType.LISTENER):
                print(fleet.name, res.name, len(res.proto))
        for d in r.diagnostics:
            print(d)

Lifetime: every object handed out (Fleet, Resource, the memoryview of a
Resource's protobuf) keeps its Result alive, and the Result frees the C
result when the last of them is gone, or on ``close()`` / leaving a ``with``
block.  ``close()`` with memoryviews still held defers the free to the
garbage collector, so a view never points at freed memory; any other use of
a closed Result raises ValueError.

Errors: a failing call raises ``egw.Error`` (or its subclass for the code)
with ``.code`` (the negative libegw code) and ``.message`` (egw_strerror).
Problems in the input are not errors: they are ``Result.diagnostics`` and
``Result.statuses``.

A Result may be read from many threads at once; translations run with the
GIL released, so distinct translations run in parallel.
"""
from __future__ import annotations

import enum
import json
import os
import threading
from dataclasses import dataclass
from typing import (Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple,
                    Union)

from ._loader import FETCH_CALLBACK, HOOK_CALLBACK, LIBRARY, MODE, ffi, lib, on_fetch, on_hook

__version__ = "0.1.0"

__all__ = [
    "translate", "parse", "Documents", "library_version", "strerror", "Result", "Fleet",
    "Resource", "Status", "Diagnostic",
    "Limits", "ErrorCode", "From", "HookPoint", "XdsType", "Format", "Severity", "DiagCode",
    "RenderPart", "Error", "OutOfMemoryError", "InvalidArgumentError", "LimitError",
    "ParseError", "HookError", "NotFoundError", "VersionError", "ConfigError",
    "MODE", "LIBRARY",
]


# --------------------------------------------------------------------------
# Enums.  Written out so that they document themselves and type-check;
# tests/test_enums.py proves every value equals the header's.
# --------------------------------------------------------------------------

class ErrorCode(enum.IntEnum):
    """egw_error: return codes of the C API."""
    OK = 0
    ERROR = -1
    ENOMEM = -2
    EINVAL = -3
    ELIMIT = -4
    EPARSE = -5
    EHOOK = -6
    ENOTFOUND = -7
    EVERSION = -8
    ECONFIG = -9


class From(enum.IntEnum):
    """egw_from: which half of the pipeline the inputs feed."""
    GATEWAY_API = 0
    XDS_IR = 1


class HookPoint(enum.IntEnum):
    """egw_hook_point: Envoy Gateway's extension server hook points."""
    POST_ROUTE = 0
    POST_VIRTUAL_HOST = 1
    POST_HTTP_LISTENER = 2
    POST_CLUSTER = 3
    POST_TRANSLATE = 4
    POST_ENDPOINTS = 5


HOOK_POINT_COUNT = 6  # EGW_HOOK_POINT_COUNT: the size of egw_options.hooks


class XdsType(enum.IntEnum):
    """egw_xds_type: xDS resource types, in Envoy's config dump order."""
    LISTENER = 0
    ROUTE = 1
    CLUSTER = 2
    ENDPOINT = 3
    SECRET = 4


XDS_TYPE_COUNT = 5


class Format(enum.IntEnum):
    """egw_format: rendering formats."""
    JSON = 0
    JSON_COMPACT = 1
    YAML = 2
    SHOW_SECRETS = 0x100  # OR'ed into a format: xDS Secrets with their real bytes


class Severity(enum.IntEnum):
    """egw_severity."""
    ERROR = 0
    WARNING = 1
    INFO = 2


class DiagCode(enum.IntEnum):
    """egw_diag_code: what a diagnostic is about."""
    SYNTAX = 1
    UNKNOWN_KIND = 2
    UNKNOWN_FIELD = 3
    TYPE = 4
    MISSING = 5
    LIMIT = 6
    DUPLICATE = 7
    INVALID = 8
    REJECTED = 9
    UNSUPPORTED = 10
    HOOK = 11


class RenderPart(enum.IntFlag):
    """Parts of Result.render (EGW_RENDER_*)."""
    GATEWAY_API = 1
    IR = 2
    XDS = 4
    RESOURCES = 8  # the objects without the GatewayClass's status (egctl --to ir)


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------

class Error(Exception):
    """A libegw call failed.  ``code`` is the libegw code (negative),
    ``message`` its egw_strerror text.  For ELIMIT, EPARSE and ECONFIG the C
    library also returns a result saying why: it is ``result``, and its
    diagnostics are ``diagnostics``."""

    code: int = ErrorCode.ERROR

    def __init__(self, code: Optional[int] = None, detail: str = "",
                 result: Optional["Result"] = None) -> None:
        if code is None:
            code = type(self).code
        self.code = int(code)
        self.message = strerror(self.code)
        self.detail = detail
        self.result = result
        self.diagnostics: List[Diagnostic] = result.diagnostics if result is not None else []
        text = f"{self.message} ({_code_name(self.code)})"
        if detail:
            text += f": {detail}"
        elif self.diagnostics:
            text += ": " + "; ".join(str(d) for d in self.diagnostics[:3])
        super().__init__(text)


class OutOfMemoryError(Error, MemoryError):
    code = ErrorCode.ENOMEM


class InvalidArgumentError(Error, ValueError):
    code = ErrorCode.EINVAL


class LimitError(Error):
    code = ErrorCode.ELIMIT


class ParseError(Error):
    code = ErrorCode.EPARSE


class HookError(Error):
    """An extension hook failed with fail-closed set.  ``hook_exceptions``
    holds the (HookPoint, exception) pairs raised by Python hooks; the
    first one is also the ``__cause__``."""
    code = ErrorCode.EHOOK
    hook_exceptions: List[Tuple[Union[HookPoint, int], BaseException]] = []


class NotFoundError(Error, LookupError):
    code = ErrorCode.ENOTFOUND


class VersionError(Error):
    code = ErrorCode.EVERSION


class ConfigError(Error):
    code = ErrorCode.ECONFIG


_ERRORS: Dict[int, type] = {c.code: c for c in (
    Error, OutOfMemoryError, InvalidArgumentError, LimitError, ParseError, HookError,
    NotFoundError, VersionError, ConfigError)}


def _code_name(code: int) -> str:
    try:
        return "EGW_" + ErrorCode(code).name
    except ValueError:
        return str(code)


def strerror(code: int) -> str:
    """egw_strerror: libegw's English description of a code."""
    return _str(lib.egw_strerror(int(code)))


def _raise(rc: int, detail: str = "", result: Optional["Result"] = None) -> None:
    cls = _ERRORS.get(rc, Error)
    raise cls(rc, detail, result)


def library_version() -> str:
    """The version of the loaded libegw ("MAJOR.MINOR.PATCH")."""
    return _str(lib.egw_version())


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------

def _str(p: Any) -> str:
    return "" if p == ffi.NULL else ffi.string(p).decode("utf-8", "replace")


def _view_str(v: Any) -> str:
    """An egw_str view returned by the library, as a Python str (a copy)."""
    if v.data == ffi.NULL or not v.len:
        return ""
    b: bytes = ffi.unpack(v.data, v.len)
    return b.decode("utf-8", "replace")


def _to_bytes(x: Union[str, bytes, bytearray, memoryview]) -> bytes:
    if isinstance(x, str):
        return x.encode("utf-8")
    if isinstance(x, (bytes, bytearray, memoryview)):
        return bytes(x) if not isinstance(x, bytes) else x
    raise TypeError(f"expected str or bytes, not {type(x).__name__}")


class _Keep:
    """Holds the cdata behind every view passed into one C call."""

    def __init__(self) -> None:
        self.items: List[Any] = []

    def set(self, view: Any, data: Optional[Union[str, bytes, bytearray, memoryview]]) -> None:
        """Points the egw_str `view` at `data` (None leaves it NULL)."""
        if data is None:
            return
        if isinstance(data, (bytes, bytearray, memoryview)) and len(data) >= 4096:
            try:  # large buffers are lent to the call, not copied
                buf = ffi.from_buffer(data)
            except (TypeError, ValueError, BufferError):  # not contiguous bytes
                buf = ffi.from_buffer(bytes(data))
            n = len(buf)
        else:
            b = _to_bytes(data)
            # char[] with a NUL, so that an empty string is a non-NULL pointer
            buf = ffi.new("char[]", b)
            n = len(b)
        self.items.append(buf)
        view.data = buf
        view.len = n


_TYPE_NAMES = {
    "listener": XdsType.LISTENER, "listeners": XdsType.LISTENER,
    "route": XdsType.ROUTE, "routes": XdsType.ROUTE,
    "cluster": XdsType.CLUSTER, "clusters": XdsType.CLUSTER,
    "endpoint": XdsType.ENDPOINT, "endpoints": XdsType.ENDPOINT,
    "secret": XdsType.SECRET, "secrets": XdsType.SECRET,
}

XdsTypeLike = Union[XdsType, int, str]
FormatLike = Union[Format, int, str]


def _xds_type(t: XdsTypeLike) -> XdsType:
    if isinstance(t, str):
        try:
            return _TYPE_NAMES[t.lower()]
        except KeyError:
            raise ValueError(f"unknown xDS type {t!r}; one of {sorted(set(_TYPE_NAMES))}") from None
    return XdsType(t)


def _type_mask(types: Optional[Union[XdsTypeLike, Iterable[XdsTypeLike]]]) -> int:
    if types is None:
        return 0
    if isinstance(types, (str, int)):
        types = [types]
    mask = 0
    for t in types:
        mask |= 1 << int(_xds_type(t))
    return mask


_FORMATS = {"json": Format.JSON, "json-compact": Format.JSON_COMPACT, "compact": Format.JSON_COMPACT,
            "yaml": Format.YAML}


def _format(fmt: FormatLike, show_secrets: bool = False) -> int:
    """A format name, Format or int (Format.SHOW_SECRETS may be OR'ed in)."""
    flags = int(Format.SHOW_SECRETS) if show_secrets else 0
    if isinstance(fmt, str):
        try:
            return int(_FORMATS[fmt.lower()]) | flags
        except KeyError:
            raise ValueError(f"unknown format {fmt!r}; one of {sorted(_FORMATS)}") from None
    base = int(fmt) & ~int(Format.SHOW_SECRETS)
    return int(Format(base)) | (int(fmt) & int(Format.SHOW_SECRETS)) | flags


_PARTS = {"gateway-api": RenderPart.GATEWAY_API, "gateway_api": RenderPart.GATEWAY_API,
          "ir": RenderPart.IR, "xds": RenderPart.XDS}


def _parts(parts: Union[int, str, Iterable[Union[str, int]]]) -> int:
    if isinstance(parts, int):
        return int(parts)
    if isinstance(parts, str):
        if parts == "all":
            return int(RenderPart.GATEWAY_API | RenderPart.IR | RenderPart.XDS)
        parts = [p.strip() for p in parts.split(",") if p.strip()]
    mask = 0
    for p in parts:
        if isinstance(p, str):
            try:
                mask |= int(_PARTS[p.lower()])
            except KeyError:
                raise ValueError(f"unknown part {p!r}; one of {sorted(_PARTS)}") from None
        else:
            mask |= int(p)
    return mask


# --------------------------------------------------------------------------
# Result objects
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Status:
    """The status libegw computed for one input object."""
    api_version: str
    kind: str
    namespace: str
    name: str
    status: Dict[str, Any]

    def conditions(self) -> Dict[str, Dict[str, Any]]:
        """Top-level conditions by type (Gateway, GatewayClass, policies)."""
        return {c.get("type", ""): c for c in self.status.get("conditions", []) or []}


@dataclass(frozen=True)
class Diagnostic:
    """A problem in the input: which buffer, where, and what it concerns."""
    code: DiagCode
    severity: Severity
    message: str
    input: int
    input_name: str
    line: int
    column: int
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        where = self.input_name or f"input {self.input}"
        if self.line:
            where += f":{self.line}:{self.column}"
        obj = "/".join(x for x in (self.kind, self.namespace, self.name) if x)
        sev = self.severity.name.lower() if isinstance(self.severity, Severity) else self.severity
        return f"{where}: {sev}: {self.message}" + (f" [{obj}]" if obj else "")


@dataclass(frozen=True)
class Limits:
    """egw_limits; 0 (or None) in a field means libegw's default."""
    max_input_bytes: int = 0
    max_documents: int = 0
    max_depth: int = 0
    max_string_bytes: int = 0
    max_alias_nodes: int = 0
    max_objects_per_kind: int = 0


class Resource:
    """One xDS resource.  ``proto`` is a read-only memoryview of the
    serialized protobuf in libegw's memory (no copy); ``bytes()`` copies it.
    Holds its Result alive."""

    __slots__ = ("result", "fleet", "type", "name", "type_url", "version", "_data", "_len")

    def __init__(self, fleet: "Fleet", t: XdsType, c: Any) -> None:
        self.fleet = fleet
        self.result = fleet.result
        self.type = t
        self.name = _view_str(c.name)
        self.type_url = _view_str(c.type_url)
        self.version = int(c.version)
        self._data = c.proto.data
        self._len = int(c.proto.len)

    @property
    def proto(self) -> memoryview:
        """The serialized protobuf, zero-copy and read-only."""
        return self.result._export(self._data, self._len)

    def bytes(self) -> bytes:
        """A copy of the serialized protobuf."""
        self.result._check()
        return ffi.unpack(self._data, self._len) if self._len else b""

    def __len__(self) -> int:
        return self._len

    def __repr__(self) -> str:
        return (f"<egw.Resource {self.type.name.lower()} {self.name!r} "
                f"{self._len} bytes version={self.version:016x}>")


class Fleet:
    """One proxy fleet (a Gateway, or a GatewayClass when merged).  Holds
    its Result alive."""

    __slots__ = ("result", "_p", "name")

    def __init__(self, result: "Result", p: Any) -> None:
        self.result = result
        self._p = p
        self.name = _view_str(lib.egw_fleet_name(p))

    @property
    def version(self) -> int:
        """The snapshot version: xxh64 over all resources' names and versions."""
        self.result._check()
        return int(lib.egw_fleet_version(self._p))

    @property
    def error(self) -> str:
        """The xds stage's error for this fleet ("" when it translated)."""
        self.result._check()
        return _view_str(lib.egw_fleet_error(self._p))

    def resource_count(self, type: XdsTypeLike) -> int:  # noqa: A002
        self.result._check()
        return int(lib.egw_fleet_resource_count(self._p, int(_xds_type(type))))

    def resources(self, type: Optional[XdsTypeLike] = None) -> List[Resource]:  # noqa: A002
        """The resources of one type, sorted by name; all types (in config
        dump order) when type is None."""
        self.result._check()
        types = [_xds_type(type)] if type is not None else list(XdsType)
        out: List[Resource] = []
        c = ffi.new("egw_resource *")
        for t in types:
            n = lib.egw_fleet_resource_count(self._p, int(t))
            for i in range(n):
                rc = lib.egw_fleet_resource(self._p, int(t), i, c)
                if rc != 0:
                    _raise(rc, f"resource {t.name.lower()} #{i}")
                out.append(Resource(self, t, c))
        return out

    def _render(self, fn: Callable[..., int], *args: Any) -> str:
        self.result._check()
        out = ffi.new("egw_str *")
        rc = fn(self._p, *args, out)
        if rc != 0:
            _raise(rc, f"fleet {self.name}")
        return _view_str(out[0])

    def to_json(self, types: Optional[Union[XdsTypeLike, Iterable[XdsTypeLike]]] = None,
                fmt: FormatLike = "json", show_secrets: bool = False) -> str:
        """The resources in Envoy's canonical JSON, as
        {"listeners":[...],"routes":[...],...}.  Secret bytes (private keys,
        ...) read "[redacted]" unless show_secrets; the protobuf always has
        the real bytes."""
        return self._render(lib.egw_fleet_render_xds, _type_mask(types),
                            _format(fmt, show_secrets))

    def to_dict(self, types: Optional[Union[XdsTypeLike, Iterable[XdsTypeLike]]] = None,
                show_secrets: bool = False) -> Dict[str, Any]:
        """to_json(), parsed."""
        d: Dict[str, Any] = json.loads(self.to_json(types, Format.JSON_COMPACT, show_secrets))
        return d

    def xds_ir_json(self, fmt: FormatLike = "json") -> str:
        """The fleet's xDS IR as Envoy Gateway dumps it."""
        return self._render(lib.egw_fleet_render_xds_ir, _format(fmt))

    def infra_ir_json(self, fmt: FormatLike = "json") -> Optional[str]:
        """The fleet's infra IR, or None when it has none (xds-ir input)."""
        try:
            return self._render(lib.egw_fleet_render_infra_ir, _format(fmt))
        except NotFoundError:
            return None

    def ratelimit_json(self, fmt: FormatLike = "json") -> str:
        """The global rate limit service configuration for this fleet."""
        return self._render(lib.egw_fleet_render_ratelimit, _format(fmt))

    def __repr__(self) -> str:
        return f"<egw.Fleet {self.name!r}>"


class Result:
    """What one translation produced.  Free it with ``close()`` or a
    ``with`` block, or let the garbage collector do it."""

    def __init__(self, ptr: Any) -> None:
        self._ptr = ffi.gc(ptr, lib.egw_result_free)
        self._raw = ptr
        self._lock = threading.RLock()
        self._closed = False
        self._exports = 0
        self._fleets: Optional[List[Fleet]] = None
        self._statuses: Optional[List[Status]] = None
        self._diagnostics: Optional[List[Diagnostic]] = None
        self.hook_errors: List[Tuple[Union[HookPoint, int], BaseException]] = []
        """Exceptions raised by Python hooks that fail-open absorbed."""

    # ---- lifetime ----

    def _check(self) -> None:
        if self._closed:
            raise ValueError("operation on a closed egw.Result")

    def _export(self, data: Any, n: int) -> memoryview:
        """A read-only memoryview of n bytes at data; the view keeps this
        Result (and so its memory) alive, and close() waits for it."""
        with self._lock:
            self._check()
            self._exports += 1
        keep = ffi.gc(ffi.cast("char *", data), self._unexport)
        return memoryview(ffi.buffer(keep, n)).toreadonly()

    def _unexport(self, _p: Any) -> None:
        with self._lock:
            self._exports -= 1

    def close(self) -> None:
        """Frees the C result now, unless memoryviews of it are still held:
        then it is freed when the last of them goes.  Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._exports == 0:
                ffi.release(self._ptr)
            self._fleets = None

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> "Result":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---- content ----

    @property
    def fleets(self) -> List[Fleet]:
        """The proxy fleets, in name order."""
        self._check()
        if self._fleets is None:
            n = lib.egw_result_fleet_count(self._raw)
            self._fleets = [Fleet(self, lib.egw_result_fleet(self._raw, i)) for i in range(n)]
        return list(self._fleets)

    def fleet(self, name: str) -> Fleet:
        """The fleet named "<namespace>/<gateway>" (or the class name)."""
        self._check()
        k = _Keep()
        v = ffi.new("egw_str *")
        k.set(v, name)
        p = lib.egw_result_fleet_by_name(self._raw, v[0])
        if p == ffi.NULL:
            raise NotFoundError(ErrorCode.ENOTFOUND, f"no fleet {name!r}")
        return Fleet(self, p)

    @property
    def statuses(self) -> List[Status]:
        """Every input object's status, sorted by kind, namespace, name."""
        self._check()
        if self._statuses is None:
            c = ffi.new("egw_status *")
            out = []
            for i in range(lib.egw_result_status_count(self._raw)):
                rc = lib.egw_result_status(self._raw, i, c)
                if rc != 0:
                    _raise(rc, f"status #{i}")
                js = _view_str(c.status_json)
                out.append(Status(_view_str(c.api_version), _view_str(c.kind),
                                  _view_str(c.namespace_), _view_str(c.name),
                                  json.loads(js) if js else {}))
            self._statuses = out
        return list(self._statuses)

    def status(self, kind: str, namespace: str, name: str) -> Status:
        """The status of one object; NotFoundError if it has none."""
        for s in self.statuses:
            if s.kind == kind and s.namespace == namespace and s.name == name:
                return s
        raise NotFoundError(ErrorCode.ENOTFOUND, f"no status for {kind} {namespace}/{name}")

    @property
    def diagnostics(self) -> List[Diagnostic]:
        """Everything rejected or skipped, with input, line and column."""
        self._check()
        if self._diagnostics is None:
            c = ffi.new("egw_diagnostic *")
            out = []
            for i in range(lib.egw_result_diagnostic_count(self._raw)):
                rc = lib.egw_result_diagnostic(self._raw, i, c)
                if rc != 0:
                    _raise(rc, f"diagnostic #{i}")
                try:
                    code: Any = DiagCode(int(c.code))
                except ValueError:
                    code = int(c.code)
                try:
                    sev: Any = Severity(int(c.severity))
                except ValueError:
                    sev = int(c.severity)
                out.append(Diagnostic(code, sev, _view_str(c.message), int(c.input),
                                      _view_str(c.input_name), int(c.line), int(c.column),
                                      _view_str(c.kind), _view_str(c.namespace_),
                                      _view_str(c.name)))
            self._diagnostics = out
        return list(self._diagnostics)

    def render(self, parts: Union[int, str, Iterable[Union[str, int]]] = "all",
               types: Optional[Union[XdsTypeLike, Iterable[XdsTypeLike]]] = None,
               fmt: FormatLike = "json", show_secrets: bool = False) -> str:
        """The result as `egctl x translate` prints it.  parts: "all", a
        comma list or iterable of "gateway-api", "ir", "xds", or RenderPart
        flags; types restricts the xds part; show_secrets as in
        Fleet.to_json."""
        self._check()
        out = ffi.new("egw_str *")
        rc = lib.egw_result_render(self._raw, _parts(parts), _type_mask(types),
                                   _format(fmt, show_secrets), out)
        if rc != 0:
            _raise(rc, "render")
        return _view_str(out[0])

    def set_gateway_infra(self, namespace: str, name: str, addresses: Sequence[str] = (),
                          ready: bool = True) -> None:
        """Completes a Gateway's status from its proxy's infrastructure
        (status.addresses, Programmed).  NotFoundError if there is no such
        Gateway."""
        self._check()
        k = _Keep()
        infra = ffi.new("egw_gateway_infra *")
        k.set(infra.namespace_, namespace)
        k.set(infra.name, name)
        addrs = ffi.new("egw_str[]", max(len(addresses), 1))
        for i, a in enumerate(addresses):
            k.set(addrs[i], a)
        infra.addresses = addrs
        infra.addresses_len = len(addresses)
        infra.ready = 1 if ready else 0
        with self._lock:
            rc = lib.egw_result_set_gateway_infra(self._raw, infra)
            self._statuses = None
        if rc != 0:
            _raise(rc, f"Gateway {namespace}/{name}")

    def __repr__(self) -> str:
        if self._closed:
            return "<egw.Result closed>"
        return (f"<egw.Result fleets={lib.egw_result_fleet_count(self._raw)} "
                f"statuses={lib.egw_result_status_count(self._raw)} "
                f"diagnostics={lib.egw_result_diagnostic_count(self._raw)}>")


# --------------------------------------------------------------------------
# Hooks and the fetcher
# --------------------------------------------------------------------------

HookFn = Callable[[HookPoint, Any, Any], Any]
"""hook(point, resource, context) -> None (keep the resource), or the new
resource as a dict/list (JSON-encoded) or str/bytes (raw JSON).  resource
and context arrive parsed from JSON."""

FetchFn = Callable[[str], Any]
"""fetcher(url) -> (status, body) or body (status 200); None, or raising,
means "could not fetch"."""


class _CallState:
    """Everything one translate() call's callbacks need; reached from C
    through an ffi handle in the callback's `ud`."""

    def __init__(self, hooks: Dict[HookPoint, HookFn], fetcher: Optional[FetchFn]) -> None:
        self.hooks = hooks
        self.fetcher = fetcher
        self.errors: List[Tuple[Union[HookPoint, int], BaseException]] = []
        self.fetch_errors: List[Tuple[str, BaseException]] = []
        self.keep: Any = None       # the last hook output, alive until the next call
        self.fetch_keep: Any = None


@on_hook
def _hook(ud: Any, point: int, resource: Any, context: Any, out: Any) -> int:
    st: _CallState = ffi.from_handle(ud)
    st.keep = None
    try:
        hp = HookPoint(point)
        fn = st.hooks[hp]
        res_s = _view_str(resource)
        ctx_s = _view_str(context)
        ret = fn(hp, json.loads(res_s) if res_s else None, json.loads(ctx_s) if ctx_s else None)
        if ret is None:
            return 0
        if not isinstance(ret, (str, bytes, bytearray)):
            ret = json.dumps(ret, separators=(",", ":"))
        b = _to_bytes(ret)
        buf = ffi.new("char[]", b)
        st.keep = buf
        out.data = buf
        out.len = len(b)
        return 0
    except BaseException as e:  # noqa: BLE001 - every failure is the hook's error
        st.errors.append((HookPoint(point) if point in HookPoint._value2member_map_ else point, e))
        # a failing hook may say why in *out: libegw puts it in the fleet's
        # error and the diagnostic
        why = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        buf = ffi.new("char[]", why.encode("utf-8", "replace"))
        st.keep = buf
        out.data = buf
        out.len = len(buf) - 1
        return -1


@on_fetch
def _fetch(ud: Any, url: Any, resp: Any) -> int:
    st: _CallState = ffi.from_handle(ud)
    st.fetch_keep = None
    u = _view_str(url)
    try:
        ret = st.fetcher(u) if st.fetcher else None
        if ret is None:
            return -1
        if isinstance(ret, tuple):
            status, body = ret
        else:
            status, body = 200, ret
        b = _to_bytes(body if body is not None else b"")
        buf = ffi.new("char[]", b)
        st.fetch_keep = buf
        resp.status = int(status)
        resp.body.data = buf
        resp.body.len = len(b)
        return 0
    except BaseException as e:  # noqa: BLE001
        st.fetch_errors.append((u, e))
        return -1


_HOOK_NAMES = {p.name.lower(): p for p in HookPoint}
_HOOK_NAMES.update({p.name.lower().replace("_", "-"): p for p in HookPoint})


def _hook_map(hooks: Optional[Union[HookFn, Mapping[Any, HookFn]]]) -> Dict[HookPoint, HookFn]:
    if hooks is None:
        return {}
    if callable(hooks):
        return {p: hooks for p in HookPoint}
    out: Dict[HookPoint, HookFn] = {}
    for k, fn in hooks.items():
        if isinstance(k, str):
            try:
                p = _HOOK_NAMES[k.lower()]
            except KeyError:
                raise ValueError(f"unknown hook point {k!r}; one of {sorted(_HOOK_NAMES)}") from None
        else:
            p = HookPoint(k)
        if fn is not None:
            if not callable(fn):
                raise TypeError(f"hook for {p.name} is not callable")
            out[p] = fn
    return out


# --------------------------------------------------------------------------
# translate
# --------------------------------------------------------------------------

InputLike = Union[str, bytes, bytearray, memoryview, "os.PathLike[str]", Tuple[str, Union[str, bytes]]]

_FROMS = {"gateway-api": From.GATEWAY_API, "gateway_api": From.GATEWAY_API,
          "xds-ir": From.XDS_IR, "xds_ir": From.XDS_IR, "ir": From.XDS_IR}


def _input(x: Any, i: int) -> Tuple[str, Union[str, bytes, bytearray, memoryview]]:
    if isinstance(x, tuple):
        if len(x) != 2:
            raise TypeError(f"input {i}: a tuple must be (name, data)")
        return str(x[0]), x[1]
    if isinstance(x, os.PathLike):
        p = os.fspath(x)
        with open(p, "rb") as f:
            return str(p), f.read()
    if isinstance(x, (str, bytes, bytearray, memoryview)):
        return "", x
    raise TypeError(f"input {i}: expected str, bytes, a path or (name, data), not {type(x).__name__}")


class Documents:
    """Parsed input that many translations share (egw_parse): parse once,
    then ``translate(docs, ...)`` as often as the options change.  A
    Documents may be translated from many threads at once.  Freed by the
    garbage collector, or by ``close()`` / a ``with`` block."""

    def __init__(self, ptr: Any) -> None:
        self._ptr = ffi.gc(ptr, lib.egw_documents_free)
        self._closed = False

    def _raw(self) -> Any:
        if self._closed:
            raise ValueError("operation on closed egw.Documents")
        return self._ptr

    def __len__(self) -> int:
        """Documents parsed (a `kind: List` counts as one)."""
        return int(lib.egw_documents_count(self._raw()))

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            ffi.release(self._ptr)

    def __enter__(self) -> "Documents":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return "<egw.Documents closed>" if self._closed else f"<egw.Documents {len(self)}>"


def _c_inputs(keep: _Keep, inputs: Sequence[Any]) -> Tuple[Any, int]:
    items = [_input(x, i) for i, x in enumerate(inputs)]
    cin = ffi.new("egw_input[]", max(len(items), 1))
    keep.items.append(cin)
    for i, (name, data) in enumerate(items):
        keep.set(cin[i].name, name)
        keep.set(cin[i].data, data)
    return (cin if items else ffi.NULL), len(items)


def _limits(opts: Any, limits: Optional[Union[Limits, Mapping[str, int]]]) -> None:
    if limits is None:
        return
    lim = limits if isinstance(limits, Mapping) else limits.__dict__
    for k, v in lim.items():
        if not hasattr(Limits, k):
            raise ValueError(f"unknown limit {k!r}")
        setattr(opts.limits, k, int(v or 0))


def _new_options() -> Any:
    opts = ffi.new("egw_options *")
    rc = lib.egw_options_init(opts, lib.EGW_OPTIONS_VERSION)
    if rc != 0:
        _raise(rc, "egw_options_init")
    return opts


def parse(*inputs: InputLike, limits: Optional[Union[Limits, Mapping[str, int]]] = None) -> Documents:
    """Parses inputs (as translate() takes them) once, for many
    translations.  Unreadable documents and limit hits are reported by each
    translate() of the result, as translate() on the inputs would."""
    keep = _Keep()
    opts = _new_options()
    _limits(opts, limits)
    cin, n = _c_inputs(keep, inputs)
    out = ffi.new("egw_documents **")
    rc = lib.egw_parse(out, cin, n, opts)
    if rc != 0:
        _raise(rc, "egw_parse")
    return Documents(out[0])


def translate(*inputs: Union[InputLike, Documents],
              config: Optional[Union[str, bytes, Mapping[str, Any]]] = None,
              controller_namespace: Optional[str] = None,
              default_namespace: Optional[str] = None,
              dns_domain: Optional[str] = None,
              runtime_flags: Iterable[str] = (),
              from_: Union[str, From, int] = "gateway-api",
              hooks: Optional[Union[HookFn, Mapping[Any, HookFn]]] = None,
              hooks_fail_open: bool = False,
              fetcher: Optional[FetchFn] = None,
              limits: Optional[Union[Limits, Mapping[str, int]]] = None,
              ratelimit_namespace: Optional[str] = None,
              add_missing_resources: bool = False,
              crd_defaults: bool = False,
              service_routing: bool = False,
              now_unix: int = 0) -> Result:
    """Translates Kubernetes Gateway API / Envoy Gateway resources to xDS.

    inputs: YAML or JSON buffers (str or bytes, one or many documents),
    ``(name, data)`` pairs (the name appears in diagnostics), or paths
    (``pathlib.Path``; a plain str is always data); or one Documents from
    parse().

    config: the EnvoyGateway configuration (YAML/JSON text or a dict).
    controller_namespace: None = "envoy-gateway-system"; "" = the empty
    namespace.  default_namespace: given to namespaced objects without one
    (egctl's -n).  dns_domain: None = "cluster.local".  runtime_flags:
    extra runtime flags.  from_: "gateway-api" or "xds-ir".

    hooks: one callable for every hook point, or a mapping from HookPoint
    (or its name, "post_route", ...) to a callable; see HookFn.  An
    exception in a hook is that hook's failure, and its text is the reason
    libegw reports: with hooks_fail_open the resource is kept (a warning
    diagnostic); fail-closed, the fleet fails (Fleet.error, an error
    diagnostic), or the whole call raises HookError (``__cause__`` = the
    exception) when libegw returns EGW_EHOOK.  Either way the exceptions are
    in Result.hook_errors.

    fetcher: answers the library's URL fetches (OIDC discovery, JWKS); see
    FetchFn.  limits: a Limits or a dict of its fields.

    add_missing_resources, crd_defaults, service_routing: what `egctl x
    translate` does for files (add a GatewayClass/Namespaces/EndpointSlices
    where missing; fill in the CRD defaults the API server would; route to
    Service ClusterIPs rather than EndpointSlices).  now_unix: the time for
    certificate validity checks (0 = no clock: not checked; pass
    int(time.time()) to refuse expired certificates as Envoy Gateway does).

    Returns a Result; raises Error (a subclass per code) when the call
    fails.  Problems in the input are Result.diagnostics, not exceptions.
    """
    keep = _Keep()
    opts = _new_options()

    if isinstance(from_, str):
        try:
            setattr(opts, "from", int(_FROMS[from_.lower()]))
        except KeyError:
            raise ValueError(f"from_ must be one of {sorted(_FROMS)}, not {from_!r}") from None
    else:
        setattr(opts, "from", int(From(from_)))
    if config is not None:
        if isinstance(config, Mapping):
            config = json.dumps(config)
        keep.set(opts.config, config)
    keep.set(opts.controller_namespace, controller_namespace)
    keep.set(opts.default_namespace, default_namespace)
    keep.set(opts.ratelimit_namespace, ratelimit_namespace)
    keep.set(opts.dns_domain, dns_domain)
    flags = [runtime_flags] if isinstance(runtime_flags, str) else list(runtime_flags)
    if flags:
        arr = ffi.new("egw_str[]", len(flags))
        for i, f in enumerate(flags):
            keep.set(arr[i], f)
        keep.items.append(arr)
        opts.runtime_flags = arr
        opts.runtime_flags_len = len(flags)
    opts.add_missing_resources = 1 if add_missing_resources else 0
    opts.crd_defaults = 1 if crd_defaults else 0
    opts.service_routing = 1 if service_routing else 0
    opts.now_unix = int(now_unix)
    _limits(opts, limits)

    state = _CallState(_hook_map(hooks), fetcher)
    handle = ffi.new_handle(state)
    if state.hooks:
        for p in state.hooks:
            opts.hooks[int(p)] = HOOK_CALLBACK
        opts.hooks_ud = handle
    opts.hooks_fail_open = 1 if hooks_fail_open else 0
    if fetcher is not None:
        opts.fetch = FETCH_CALLBACK
        opts.fetch_ud = handle

    out = ffi.new("egw_result **")
    docs = [x for x in inputs if isinstance(x, Documents)]
    if docs:
        if len(inputs) != 1:
            raise TypeError("translate() takes one Documents, or buffers, not both")
        rc = lib.egw_translate_documents(out, docs[0]._raw(), opts)
    else:
        cin, n = _c_inputs(keep, inputs)
        rc = lib.egw_translate(out, cin, n, opts)
    del handle  # callbacks cannot run any more

    # a KeyboardInterrupt or SystemExit inside a callback is not a hook
    # failure to report: it goes on after the call
    for e in [e for _, e in state.errors] + [e for _, e in state.fetch_errors]:
        if not isinstance(e, Exception):
            if out[0] != ffi.NULL:
                lib.egw_result_free(out[0])
            raise e

    result = Result(out[0]) if out[0] != ffi.NULL else None
    if rc != 0:
        if rc == ErrorCode.EHOOK:
            err = HookError(rc, _hook_detail(state), result)
            err.hook_exceptions = list(state.errors)
            if state.errors:
                raise err from state.errors[0][1]
            raise err
        _raise(rc, "", result)
    assert result is not None
    result.hook_errors = list(state.errors)
    return result


def _hook_detail(st: _CallState) -> str:
    if not st.errors:
        return ""
    p, e = st.errors[0]
    name = p.name if isinstance(p, HookPoint) else str(p)
    return f"hook {name} raised {type(e).__name__}: {e}"
