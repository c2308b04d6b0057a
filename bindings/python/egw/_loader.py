# SPDX-License-Identifier: Apache-2.0
"""Finds libegw and gives the package one ``ffi`` and one ``lib``.

Two modes, picked at import time (env ``EGW_PY_MODE`` = ``api``, ``abi`` or
unset for automatic):

* API mode: the extension ``egw._native`` that ``pip install`` compiled
  against the built library (see ``egw_build.py``).  Preferred: the C
  compiler checks the declarations against the header, and the hook and
  fetch callbacks are ``extern "Python"`` functions, not libffi closures.
* ABI mode: ``dlopen`` of libegw with a cdef generated from egw.h (by
  ``_cdef.generate_cdef``, at install time into ``_generated.py``, or at
  import time from the header in the source tree).

Where the library is looked for, first hit wins:

1. ``EGW_LIBRARY_PATH``: the library file, or a directory holding it;
2. the library directory recorded at install time;
3. ``pkg-config --variable=libdir libegw``;
4. the source tree's build directories (``build/src`` next to bindings/);
5. the dynamic linker's own search (``ctypes.util.find_library``).

In API mode, ``EGW_LIBRARY_PATH`` is honoured by loading that file with
``RTLD_GLOBAL`` before the extension, so the extension's ``libegw.so.0``
dependency resolves to it.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import importlib
import importlib.util
import os
import subprocess
import warnings
from pathlib import Path
from typing import Any, List, Optional, Tuple

__all__ = ["ffi", "lib", "MODE", "LIBRARY", "HOOK_CALLBACK", "FETCH_CALLBACK", "on_hook", "on_fetch"]

_HERE = Path(__file__).resolve().parent
# bindings/python/egw -> repository root, when running from the source tree
_REPO = _HERE.parent.parent.parent

_SONAMES = ("libegw.so.0", "libegw.so", "libegw.dylib", "egw.dll")


def _generated() -> Any:
    try:
        return importlib.import_module(__package__ + "._generated")  # written by setup.py
    except ImportError:
        return None


def _pkgconfig(var: str) -> Optional[str]:
    try:
        out = subprocess.run(["pkg-config", f"--variable={var}", "libegw"],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    v = out.stdout.strip()
    return v if out.returncode == 0 and v else None


def _in_dir(d: Path) -> Optional[Path]:
    for name in _SONAMES:
        p = d / name
        if p.exists():
            return p
    return None


def _candidates() -> List[Path]:
    out: List[Path] = []
    env = os.environ.get("EGW_LIBRARY_PATH")
    if env:
        for part in env.split(os.pathsep):
            p = Path(part)
            out.append(p if p.is_file() else (_in_dir(p) or p / _SONAMES[0]))
    dirs: List[Path] = []
    g = _generated()
    if g is not None and getattr(g, "LIBRARY_DIR", None):
        dirs.append(Path(g.LIBRARY_DIR))
    libdir = _pkgconfig("libdir")
    if libdir:
        dirs.append(Path(libdir))
    dirs += [_REPO / sub for sub in ("build/src", "builddir/src", "_build/src")]
    for d in dirs:
        found = _in_dir(d)
        if found:
            out.append(found)
    return out


def find_library() -> str:
    """Path (or bare name for the dynamic linker) of the libegw to load."""
    for p in _candidates():
        if p.exists():
            return str(p)
    if os.environ.get("EGW_LIBRARY_PATH"):
        raise OSError(f"EGW_LIBRARY_PATH={os.environ['EGW_LIBRARY_PATH']!r} holds no libegw")
    found = ctypes.util.find_library("egw")
    if found:
        return found
    raise OSError("libegw not found: set EGW_LIBRARY_PATH to the built library "
                  "(e.g. build/src/libegw.so) or install it where pkg-config finds libegw")


def find_header() -> Path:
    """egw.h for generating the cdef at import time (ABI mode from the tree)."""
    cands: List[Path] = []
    env = os.environ.get("EGW_INCLUDE_DIR")
    if env:
        cands += [Path(p) / "egw" / "egw.h" for p in env.split(os.pathsep)]
    cands.append(_REPO / "include" / "egw" / "egw.h")
    inc = _pkgconfig("includedir")
    if inc:
        cands.append(Path(inc) / "egw" / "egw.h")
    for c in cands:
        if c.is_file():
            return c
    raise OSError("egw.h not found: set EGW_INCLUDE_DIR, or reinstall the package "
                  "so that it records the generated declarations")


def _load_cdef_module() -> Any:
    spec = importlib.util.spec_from_file_location("_egw_cdef", _HERE / "_cdef.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _abi() -> Tuple[Any, Any, str]:
    import cffi

    g = _generated()
    if g is not None and getattr(g, "CDEF", None):
        cdef = g.CDEF
    else:
        cdef = _load_cdef_module().generate_cdef(find_header().read_text(encoding="utf-8"))
    ffi = cffi.FFI()
    ffi.cdef(cdef)
    path = find_library()
    return ffi, ffi.dlopen(path), path


def _api() -> Tuple[Any, Any, str]:
    env = os.environ.get("EGW_LIBRARY_PATH")
    path = ""
    if env:
        path = find_library()
        ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
    from . import _native  # type: ignore[attr-defined]

    return _native.ffi, _native.lib, path or "(linked)"


def _load() -> Tuple[Any, Any, str, str]:
    mode = os.environ.get("EGW_PY_MODE", "").lower()
    if mode not in ("", "api", "abi"):
        raise ImportError(f"EGW_PY_MODE must be 'api' or 'abi', not {mode!r}")
    have_ext = importlib.util.find_spec(__package__ + "._native") is not None
    if mode == "api" or (mode == "" and have_ext):
        try:
            return (*_api(), "api")
        except ImportError as e:  # the extension is there but does not load
            if mode == "api":
                raise
            warnings.warn(f"egw: the compiled extension does not load ({e}); using ABI mode. "
                          "Rebuild it against this libegw (pip install again).",
                          RuntimeWarning, stacklevel=2)
    return (*_abi(), "abi")


ffi, lib, LIBRARY, MODE = _load()

# The one C entry point for every hook and every fetch.  Which Python
# function a call is for travels in `ud` as an ffi handle, so no per-call
# closure is made and nothing has to be kept alive but the handle.
_hook_impl: Any = None
_fetch_impl: Any = None


def on_hook(fn: Any) -> Any:
    global _hook_impl
    _hook_impl = fn
    return fn


def on_fetch(fn: Any) -> Any:
    global _fetch_impl
    _fetch_impl = fn
    return fn


def _hook_trampoline(ud, point, resource, context, out):  # type: ignore[no-untyped-def]
    return _hook_impl(ud, point, resource, context, out)


def _fetch_trampoline(ud, url, resp):  # type: ignore[no-untyped-def]
    return _fetch_impl(ud, url, resp)


if MODE == "api":
    ffi.def_extern(name="egw_py_hook", error=-1)(_hook_trampoline)
    ffi.def_extern(name="egw_py_fetch", error=-1)(_fetch_trampoline)
    HOOK_CALLBACK = lib.egw_py_hook
    FETCH_CALLBACK = lib.egw_py_fetch
else:
    HOOK_CALLBACK = ffi.callback("egw_hook_fn", _hook_trampoline, error=-1)
    FETCH_CALLBACK = ffi.callback("egw_fetch_fn", _fetch_trampoline, error=-1)
