# SPDX-License-Identifier: Apache-2.0
"""Every enum value in Python equals the header's, and every enumerator of
the header has a Python counterpart: parsed from egw.h independently of
cffi, and read back through cffi from the loaded declarations."""
from __future__ import annotations

import importlib.util

import pytest

from conftest import HEADER, PKG_DIR


def _header_enums():
    if not HEADER.is_file():
        pytest.skip("egw.h not in this tree")
    spec = importlib.util.spec_from_file_location("_egw_cdef_e", PKG_DIR / "egw" / "_cdef.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.parse_enums(HEADER.read_text(encoding="utf-8"))


def _python_enums(egw):
    """C name -> Python value, for every Python enum member."""
    out = {}
    for m in egw.ErrorCode:
        out["EGW_" + m.name] = int(m)
    prefixes = {egw.From: "EGW_FROM_", egw.HookPoint: "EGW_HOOK_", egw.XdsType: "EGW_XDS_",
                egw.Format: "EGW_FORMAT_", egw.Severity: "EGW_SEV_", egw.DiagCode: "EGW_D_",
                egw.RenderPart: "EGW_RENDER_"}
    for cls, prefix in prefixes.items():
        for m in cls:
            out[prefix + m.name] = int(m)
    out["EGW_XDS_TYPE_COUNT"] = egw.XDS_TYPE_COUNT
    out["EGW_HOOK_POINT_COUNT"] = egw.HOOK_POINT_COUNT
    return out


def test_python_enums_match_header(egw):
    header = _header_enums()
    py = _python_enums(egw)
    assert len(header) >= 40
    missing = sorted(set(header) - set(py))
    extra = sorted(set(py) - set(header))
    assert not missing, f"enumerators without a Python counterpart: {missing}"
    assert not extra, f"Python enum members not in egw.h: {extra}"
    wrong = {k: (py[k], header[k]) for k in header if py[k] != header[k]}
    assert not wrong, f"(python, header) values differ: {wrong}"


def test_python_enums_match_cffi(egw):
    from egw._loader import lib

    for name, value in _python_enums(egw).items():
        assert getattr(lib, name) == value, name
    assert lib.EGW_OPTIONS_VERSION == 1


def test_error_classes_cover_every_code(egw):
    for code in egw.ErrorCode:
        if code == egw.ErrorCode.OK:
            continue
        e = egw._ERRORS[int(code)](int(code))
        assert isinstance(e, egw.Error)
        assert e.code == int(code)
        assert e.message == egw.strerror(int(code))
        assert e.message != "unknown error"
