# SPDX-License-Identifier: Apache-2.0
"""The cdef is generated from egw.h, never copied: check the generator."""
from __future__ import annotations

import importlib.util
import re

import pytest

from conftest import HEADER, PKG_DIR

cffi = pytest.importorskip("cffi")


def _cdef_module():
    spec = importlib.util.spec_from_file_location("_egw_cdef_t", PKG_DIR / "egw" / "_cdef.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def gen():
    return _cdef_module()


@pytest.fixture(scope="module")
def header_text():
    if not HEADER.is_file():
        pytest.skip("egw.h not in this tree")
    return HEADER.read_text(encoding="utf-8")


def test_generated_cdef_parses(gen, header_text):
    cdef = gen.generate_cdef(header_text)
    ffi = cffi.FFI()
    ffi.cdef(cdef)
    for bad in ("#include", "#ifndef", "#ifdef", "#endif", "EGW_EXTERN", "__cplusplus", 'extern "C"'):
        assert bad not in cdef
    # the integer macro survives, the brace-initialiser macro does not
    assert "#define EGW_OPTIONS_VERSION 1" in cdef
    assert "EGW_OPTIONS_INIT" not in cdef


def test_every_exported_function_is_declared(gen, header_text):
    ffi = cffi.FFI()
    ffi.cdef(gen.generate_cdef(header_text))
    names = re.findall(r"EGW_EXTERN[^;(]*?\b(egw_\w+)\s*\(", gen.strip_comments(header_text))
    assert len(names) > 20
    decl = gen.generate_cdef(header_text)
    for n in names:
        assert re.search(r"\b%s\s*\(" % n, decl), n


def test_every_exported_function_is_in_the_loaded_library(egw, header_text, gen):
    from egw._loader import lib

    names = re.findall(r"EGW_EXTERN[^;(]*?\b(egw_\w+)\s*\(", gen.strip_comments(header_text))
    for n in names:
        assert getattr(lib, n) is not None


def test_generator_conditionals(gen):
    h = """
    /* comment with #define X 1 inside */
    #ifndef GUARD_H
    #define GUARD_H
    #include <stdint.h>
    #ifdef __cplusplus
    extern "C" {
    #endif
    #if defined(EGW_BUILDING) && defined(__GNUC__)
    #define EGW_EXTERN __attribute__((visibility("default")))
    #else
    #define EGW_EXTERN
    #endif
    #define ANSWER 42 // trailing comment
    #define HEXED (0x10)
    #define NOT_INT "text"
    #define FN(x) ((x) + 1)
    #if 0
    int hidden(void);
    #elif 1
    int shown(void);
    #else
    int also_hidden(void);
    #endif
    EGW_EXTERN int f(int a,
                     int b);
    #ifdef __cplusplus
    }
    #endif
    #endif
    """
    out = gen.generate_cdef(h)
    assert "#define ANSWER 42" in out
    assert "#define HEXED 0x10" in out
    assert "NOT_INT" not in out and "FN" not in out
    assert "shown" in out and "hidden" not in out
    assert "EGW_EXTERN" not in out and "extern" not in out
    ffi = cffi.FFI()
    ffi.cdef(out)
    assert ffi.typeof("int(*)(int, int)")


def test_generator_rejects_unbalanced(gen):
    with pytest.raises(ValueError):
        gen.generate_cdef("#ifdef X\nint f(void);\n")


def test_cli(tmp_path, header_text):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, str(PKG_DIR / "egw" / "_cdef.py"), str(HEADER)],
                         capture_output=True, text=True, check=True).stdout
    assert "egw_translate" in out
